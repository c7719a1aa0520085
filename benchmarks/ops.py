"""Op-level benchmark: forward + backward of single ops on float32 inputs of
10k and 1M elements (contiguous, and transposed where the layout matters),
side by side with PyTorch (CPU), which runs in a child process; the rounds
are interleaved as in run.py. Prints PyTorch time / autorust time per row,
sorted, and flags every row below 1.0 (autorust slower).

    python benchmarks/ops.py [--quick] [--only TEXT] [--sizes 10k,1M]

Run it in an environment with torch installed (autorust from PYTHONPATH or
installed); without torch it prints autorust's times alone.
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as harness  # noqa: E402  (the shared timing loop and child-process protocol)

SIZES = {"10k": (100, 100), "1M": (1000, 1000)}


# ---- the ops: name -> (inputs, body). `inputs(lib, rows, cols)` returns the
# tensors (the float ones require grad); `body(lib, F, *inputs)` returns the
# output whose backward is timed with it ----


def _x(lib, r, c):
    return (lib.randn(r, c, requires_grad=True),)


def _xt(lib, r, c):
    """A transposed (non-contiguous) view as the input; the leaf is its base."""
    base = lib.randn(c, r, requires_grad=True)
    return (base,)


def _pos(lib, r, c):
    return ((lib.rand(r, c) + 0.1).requires_grad_(),)


def _xy(lib, r, c):
    return (lib.randn(r, c, requires_grad=True), lib.randn(r, c, requires_grad=True))


def _prob(lib, r, c):
    return (lib.randn(r, c, requires_grad=True), lib.rand(r, c))


def _classes(lib, r, c):
    return (lib.randn(r, c, requires_grad=True), lib.randint(0, c, (r,)))


def _index(lib, r, c):
    return (lib.randn(r, c, requires_grad=True), lib.randint(0, r, (r,)))


def _gather(lib, r, c):
    return (lib.randn(r, c, requires_grad=True), lib.randint(0, c, (r, c)))


def _image(lib, r, c):
    # r * c elements as (8, C, H, W) with H = W = 16 or 64
    hw = 16 if r * c <= 20000 else 64
    ch = max(1, r * c // (8 * hw * hw))
    return (lib.randn(8, ch, hw, hw, requires_grad=True),)


UNARY = {
    "relu": lambda T, F, x: F.relu(x),
    "leaky_relu": lambda T, F, x: F.leaky_relu(x, 0.1),
    "elu": lambda T, F, x: F.elu(x),
    "selu": lambda T, F, x: F.selu(x),
    "celu": lambda T, F, x: F.celu(x),
    "gelu": lambda T, F, x: F.gelu(x),
    "gelu_tanh": lambda T, F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda T, F, x: F.silu(x),
    "mish": lambda T, F, x: F.mish(x),
    "hardswish": lambda T, F, x: F.hardswish(x),
    "hardsigmoid": lambda T, F, x: F.hardsigmoid(x),
    "hardtanh": lambda T, F, x: F.hardtanh(x),
    "relu6": lambda T, F, x: F.relu6(x),
    "softplus": lambda T, F, x: F.softplus(x),
    "logsigmoid": lambda T, F, x: F.logsigmoid(x),
    "softsign": lambda T, F, x: F.softsign(x),
    "tanhshrink": lambda T, F, x: F.tanhshrink(x),
    "sigmoid": lambda T, F, x: x.sigmoid(),
    "tanh": lambda T, F, x: x.tanh(),
    "exp": lambda T, F, x: x.exp(),
    "sin": lambda T, F, x: x.sin(),
    "erf": lambda T, F, x: x.erf(),
    "abs": lambda T, F, x: x.abs(),
    "square": lambda T, F, x: x * x,
    "pow_3": lambda T, F, x: x**3,
    "clamp": lambda T, F, x: x.clamp(-0.5, 0.5),
    "sum": lambda T, F, x: x.sum(),
    "sum_dim0": lambda T, F, x: x.sum(0),
    "sum_dim1": lambda T, F, x: x.sum(1),
    "mean_dim0": lambda T, F, x: x.mean(0),
    "mean_dim1": lambda T, F, x: x.mean(1),
    "var_dim1": lambda T, F, x: x.var(1),
    "std_dim0": lambda T, F, x: x.std(0),
    "amax_dim1": lambda T, F, x: x.amax(1),
    "max_dim0": lambda T, F, x: x.max(0)[0],
    "norm_dim1": lambda T, F, x: x.norm(dim=1),
    "logsumexp_dim1": lambda T, F, x: x.logsumexp(1),
    "cumsum_dim0": lambda T, F, x: x.cumsum(0),
    "cumsum_dim1": lambda T, F, x: x.cumsum(1),
    "softmax_dim1": lambda T, F, x: F.softmax(x, 1),
    "softmax_dim0": lambda T, F, x: F.softmax(x, 0),
    "log_softmax_dim1": lambda T, F, x: F.log_softmax(x, 1),
    "log_softmax_dim0": lambda T, F, x: F.log_softmax(x, 0),
    "layer_norm": lambda T, F, x: F.layer_norm(x, x.shape[-1:]),
    "rms_norm": lambda T, F, x: F.rms_norm(x, x.shape[-1:]),
    "batch_norm_train": lambda T, F, x: F.batch_norm(x, None, None, training=True),
    "group_norm": lambda T, F, x: F.group_norm(x.unsqueeze(-1), 4),
    "transpose_contiguous": lambda T, F, x: x.t().contiguous(),
    "flip": lambda T, F, x: x.flip(0),
    "roll": lambda T, F, x: x.roll(3, 1),
    "repeat": lambda T, F, x: x.repeat(2, 1),
    "cat_dim0": lambda T, F, x: T.cat([x, x], 0),
    "cat_dim1": lambda T, F, x: T.cat([x, x], 1),
    "stack": lambda T, F, x: T.stack([x, x]),
    "narrow_contiguous": lambda T, F, x: x[:, 1:-1].contiguous(),
    "dropout_eval": lambda T, F, x: F.dropout(x, 0.5, training=False),
    "softshrink": lambda T, F, x: F.softshrink(x),
    "hardshrink": lambda T, F, x: F.hardshrink(x),
    "threshold": lambda T, F, x: F.threshold(x, 0.1, 0.0),
    "rrelu_eval": lambda T, F, x: F.rrelu(x),
    "frac": lambda T, F, x: x.frac(),
    "exp2": lambda T, F, x: x.exp2(),
    "erfc": lambda T, F, x: x.erfc(),
    "erfinv": lambda T, F, x: (x * 0.5).tanh().erfinv(),
    "fmod": lambda T, F, x: x.fmod(0.7),
    "remainder": lambda T, F, x: x.remainder(0.7),
}

TRANSPOSED = {"relu", "gelu", "sigmoid", "exp", "sum_dim0", "sum_dim1", "softmax_dim1", "log_softmax_dim1", "layer_norm", "cumsum_dim1"}

POSITIVE = {
    "log": lambda T, F, x: x.log(),
    "sqrt": lambda T, F, x: x.sqrt(),
    "pow_2.5": lambda T, F, x: x**2.5,
    "reciprocal": lambda T, F, x: x.reciprocal(),
    "cumprod_dim1": lambda T, F, x: x.cumprod(1),
    "lgamma": lambda T, F, x: x.lgamma(),
    "digamma": lambda T, F, x: x.digamma(),
    "logit": lambda T, F, x: (x / (x + 1)).logit(),
}

BINARY = {
    "add": lambda T, F, x, y: x + y,
    "mul": lambda T, F, x, y: x * y,
    "div": lambda T, F, x, y: x / (y.abs() + 1),
    "atan2": lambda T, F, x, y: T.atan2(x, y),
    "maximum": lambda T, F, x, y: T.maximum(x, y),
    "where": lambda T, F, x, y: T.where(x > 0, x, y),
    "add_broadcast_row": lambda T, F, x, y: x + y[0],
    "mse_loss": lambda T, F, x, y: F.mse_loss(x, y),
    "l1_loss": lambda T, F, x, y: F.l1_loss(x, y),
    "smooth_l1_loss": lambda T, F, x, y: F.smooth_l1_loss(x, y),
    "huber_loss": lambda T, F, x, y: F.huber_loss(x, y),
    "matmul_rows": lambda T, F, x, y: x @ y.t()[:, :64],
    "hypot": lambda T, F, x, y: T.hypot(x, y),
    "lerp": lambda T, F, x, y: T.lerp(x, y, 0.3),
    "copysign": lambda T, F, x, y: T.copysign(x, y),
    "logaddexp": lambda T, F, x, y: T.logaddexp(x, y),
}

OTHER = {
    "bce_with_logits": (_prob, lambda T, F, x, t: F.binary_cross_entropy_with_logits(x, t)),
    "bce": (_prob, lambda T, F, x, t: F.binary_cross_entropy(x.sigmoid(), t)),
    "kl_div": (_prob, lambda T, F, x, t: F.kl_div(F.log_softmax(x, 1), t, reduction="batchmean")),
    "cross_entropy": (_classes, lambda T, F, x, t: F.cross_entropy(x, t)),
    "nll_loss": (_classes, lambda T, F, x, t: F.nll_loss(x, t)),
    "index_select": (_index, lambda T, F, x, i: x.index_select(0, i)),
    "embedding": (_index, lambda T, F, x, i: F.embedding(i, x)),
    "gather_dim1": (_gather, lambda T, F, x, i: x.gather(1, i)),
    "scatter_add_dim1": (_gather, lambda T, F, x, i: T.zeros_like(x).scatter_add(1, i, x)),
    "avg_pool2d": (_image, lambda T, F, x: F.avg_pool2d(x, 2)),
    "max_pool2d": (_image, lambda T, F, x: F.max_pool2d(x, 2)),
    "adaptive_avg_pool2d": (_image, lambda T, F, x: F.adaptive_avg_pool2d(x, 1)),
    "batch_norm2d_train": (_image, lambda T, F, x: F.batch_norm(x, None, None, training=True)),
    "upsample_nearest": (_image, lambda T, F, x: F.interpolate(x, scale_factor=2)),
}


def op_table():
    """name -> (inputs(lib, r, c), body(T, F, *inputs), transposed)."""
    ops = {}
    for name, body in UNARY.items():
        ops[name] = (_x, body, False)
        if name in TRANSPOSED:
            ops[name + " (transposed)"] = (_xt, body, True)
    for name, body in POSITIVE.items():
        ops[name] = (_pos, body, False)
    for name, body in BINARY.items():
        ops[name] = (_xy, body, False)
    for name, (inputs, body) in OTHER.items():
        ops[name] = (inputs, body, False)
    return ops


def make(lib, name, size):
    """A zero-argument callable: the op's forward and backward, grads cleared."""
    inputs, body, transposed = op_table()[name]
    r, c = SIZES[size]
    lib.manual_seed(0)
    tensors = inputs(lib, r, c)
    leaves = [t for t in tensors if t.requires_grad]
    args = (tensors[0].t(),) + tuple(tensors[1:]) if transposed else tensors
    F = lib.nn.functional
    out = body(lib, F, *args)
    grad = lib.ones_like(out)

    def step():
        body(lib, F, *args).backward(grad)
        for t in leaves:
            t.grad = None

    return step


# ---- the child process (PyTorch) ----


def worker_main():
    import torch

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", torch.get_num_threads())))
    current = None
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "versions":
                value = {"torch": torch.__version__}
            elif msg["cmd"] == "make":
                current = harness.Local(make(torch, msg["name"], msg["size"]))
                value = True
            elif msg["cmd"] == "size":
                value = current.size(msg["budget"])
            else:
                value = current.batch(msg["n"])
            reply = {"value": value}
        except Exception as e:  # reported to the parent
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


class TorchWorker(harness.Worker):
    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=harness.child_env()
        )
        self.versions = self.ask(cmd="versions")

    def op_runner(self, name, size):
        self.ask(cmd="make", name=name, size=size)
        worker = self

        class Remote:
            def size(self, budget):
                return worker.ask(cmd="size", budget=budget)

            def batch(self, n):
                return worker.ask(cmd="batch", n=n)

        return Remote()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="shorter timing runs")
    ap.add_argument("--only", help="ops whose name contains this text")
    ap.add_argument("--sizes", default="10k,1M")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker_main()
    harness.warm_allocator()
    import autorust

    try:
        import torch  # noqa: F401

        worker = TorchWorker()
    except ImportError:
        worker = None
    min_time = 0.15 if args.quick else 0.5
    rows = []
    for size in args.sizes.split(","):
        for name in op_table():
            if args.only and args.only not in name:
                continue
            runners = [harness.Local(make(autorust, name, size)), worker.op_runner(name, size) if worker else None]
            t_ar, t_th = harness.compare(runners, min_time, rounds=5)
            ratio = t_th / t_ar if t_th else None
            rows.append((size, name, t_ar, t_th, ratio))
            print(
                f"  {size:4} {name:32} {harness.fmt(t_ar)} {harness.fmt(t_th) if t_th else '':>12} {('%.2fx' % ratio) if ratio else ''}",
                file=sys.stderr,
                flush=True,
            )
    rows.sort(key=lambda r: (r[0] != "10k", r[4] if r[4] is not None else 0))
    print(f"{'size':5} {'op (forward + backward)':34} {'autorust':>12} {'torch':>12} {'x torch':>8}")
    for size, name, t_ar, t_th, ratio in rows:
        flag = "" if ratio is None or ratio >= 1.0 else "  < 1"
        print(f"{size:5} {name:34} {harness.fmt(t_ar):>12} {harness.fmt(t_th) if t_th else '-':>12} {('%.2fx' % ratio) if ratio else '-':>8}{flag}")
    if worker:
        slow = {s: sum(1 for r in rows if r[0] == s and r[4] is not None and r[4] < 1.0) for s in args.sizes.split(",")}
        total = {s: sum(1 for r in rows if r[0] == s) for s in args.sizes.split(",")}
        print("slower than PyTorch: " + ", ".join(f"{slow[s]} of {total[s]} at {s}" for s in slow))
    return rows


if __name__ == "__main__":
    main()
