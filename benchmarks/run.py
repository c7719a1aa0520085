"""Side-by-side benchmarks: the same workloads under autorust and, when
installed in the same environment, PyTorch (CPU), plus NumPy for the forward
parts it can express. Prints median times and speed ratios from one run.

    python benchmarks/run.py [--quick] [--only NAME] [--no-gpu]

Ratios ("x torch") above 1 mean autorust is faster. Absolute times drift on
shared machines; ratios measured in one run are the figures to compare.
PyTorch and NumPy are timed in a child process (see `Worker`), in rounds
interleaved with autorust's. A second table times the wgpu device against
autorust's CPU path, with queue submissions and dispatches per call.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


class Local:
    """Times a callable in this process."""

    def __init__(self, fn):
        self.fn = fn

    def size(self, budget):
        self.fn()
        self.fn()
        t0 = time.perf_counter()
        self.fn()
        one = max(time.perf_counter() - t0, 1e-7)
        return max(1, int(budget / one))

    def batch(self, n):
        t0 = time.perf_counter()
        for _ in range(n):
            self.fn()
        return (time.perf_counter() - t0) / n


# glibc's malloc gives blocks above its mmap threshold (128 KiB at start)
# fresh pages from the kernel on every allocation, and raises the
# threshold to the largest block freed so far (up to 32 MiB): a process
# runs faster once it has freed one large block. PyTorch's ResNet step
# measured 54 ms as the child's first workload and 43 ms after its GPT
# step (its LSTM step 86 -> 60 ms), so ratios depended on which workloads
# ran before. Both processes start with the threshold fixed where the warm
# one ends (autorust's own times did not move with it).
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20


def child_env():
    """The environment of a timing child (PyTorch, NumPy)."""
    env = dict(os.environ)
    # libgomp's workers spin ~10 ms after each parallel region by default
    # (300000 spins), which still overlaps the start of autorust's next
    # batch; 10000 spins (~0.3 ms) outlasts the gaps between ops inside
    # PyTorch's own step, so its timings are unchanged.
    env.setdefault("GOMP_SPINCOUNT", "10000")
    # NumPy's OpenBLAS threads busy-wait ~2^28 cycles (about 0.1 s)
    # after each product; in the rounds after the child's NumPy batch
    # they took the cores from autorust's (matmul 1024 measured 0.85x
    # with them spinning, 1.08x with 2^4; NumPy's own time unchanged).
    env.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
    env.setdefault("MALLOC_MMAP_THRESHOLD_", str(MMAP_THRESHOLD))
    env.setdefault("MALLOC_TRIM_THRESHOLD_", str(TRIM_THRESHOLD))
    return env


def warm_allocator():
    """This process's malloc set as `child_env` sets the children's (glibc
    only; elsewhere both keep their defaults)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        m_trim_threshold, m_mmap_threshold = -1, -3
        libc.mallopt(m_mmap_threshold, MMAP_THRESHOLD)
        libc.mallopt(m_trim_threshold, TRIM_THRESHOLD)
    except (OSError, AttributeError):
        pass


class Worker:
    """PyTorch and NumPy run in a child process. In one process the
    libraries' thread pools fight over the cores: libgomp's workers spin after
    every parallel region and OpenBLAS's never sleep, which slowed whichever
    library ran next by up to 2.5x on the 2-core dev machine. The rounds stay
    interleaved, so machine drift still hits every library alike."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=child_env()
        )
        self.versions = self.ask(cmd="versions")

    def ask(self, **msg):
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["value"]

    def runner(self, lib, workload):
        if not self.ask(cmd="make", lib=lib, name=workload):
            return None
        worker = self

        class Remote:
            def size(self, budget):
                return worker.ask(cmd="size", lib=lib, budget=budget)

            def batch(self, n):
                return worker.ask(cmd="batch", lib=lib, n=n)

        return Remote()


def worker_main():
    try:
        import torch
    except ImportError:
        torch = None
    current = {}
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "versions":
                value = {"torch": torch.__version__ if torch else None}
            elif msg["cmd"] == "make":
                make, make_np = WORKLOADS_BY_NAME[msg["name"]]
                if msg["lib"] == "torch":
                    if torch is not None:
                        torch.manual_seed(0)
                    runner = Local(make(torch)) if torch is not None else None
                else:
                    runner = Local(make_np()) if make_np is not None else None
                current[msg["lib"]] = runner
                value = runner is not None
            elif msg["cmd"] == "size":
                value = current[msg["lib"]].size(msg["budget"])
            else:
                value = current[msg["lib"]].batch(msg["n"])
            reply = {"value": value}
        except Exception as e:  # reported to the parent
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def compare(runners, min_time=0.6, rounds=7):
    """Seconds per call for each runner, measured in interleaved rounds
    (A, B, C, A, B, C, ...) so that drift on a shared machine hits all of
    them alike; returns the median per runner."""
    sizes = [r.size(min_time / rounds) if r else 0 for r in runners]
    samples = [[] for _ in runners]
    for _ in range(rounds):
        for i, r in enumerate(runners):
            if r:
                samples[i].append(r.batch(sizes[i]))
    return [statistics.median(s) if s else None for s in samples]


# ---- workloads: each returns a zero-argument callable for a library ----


def seed_graph(lib):
    def run():
        x = lib.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward()

    return run


def tanh_chain(lib):
    x = lib.randn(100, requires_grad=True)

    def run():
        y = x
        for _ in range(50):
            y = y.tanh()
        y.sum().backward()
        x.grad = None

    return run


def matmul_1024(lib):
    a = lib.randn(1024, 1024, requires_grad=True)
    b = lib.randn(1024, 1024, requires_grad=True)

    def run():
        c = a @ b
        c.backward(lib.ones(1024, 1024))
        a.grad = None
        b.grad = None

    return run


def sin_exp_4m(lib):
    x = lib.randn(4 * 1024 * 1024, requires_grad=True)

    def run():
        y = (x.sin() * x.exp()).sum()
        y.backward()
        x.grad = None

    return run


def cross_entropy(lib):
    logits = lib.randn(4096, 1000, requires_grad=True)
    target = lib.randint(0, 1000, (4096,))

    def run():
        loss = lib.nn.functional.cross_entropy(logits, target)
        loss.backward()
        logits.grad = None

    return run


def _train_step(lib, model, opt, x, y):
    def run():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return run


def mlp_sgd(lib, momentum=0.0):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=momentum)
    return _train_step(lib, model, opt, lib.randn(64, 784), lib.randint(0, 10, (64,)))


def mlp_sgd_momentum(lib):
    return mlp_sgd(lib, momentum=0.9)


def mlp_adam(lib):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    return _train_step(lib, model, opt, lib.randn(512, 1024), lib.randint(0, 10, (512,)))


def small_cnn(lib):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 10),
    )
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _train_step(lib, model, opt, lib.randn(64, 1, 28, 28), lib.randint(0, 10, (64,)))


# NumPy forward-only counterparts, for scale
def np_matmul():
    a, b = np.random.randn(1024, 1024).astype(np.float32), np.random.randn(1024, 1024).astype(np.float32)
    return lambda: a @ b


def np_sin_exp():
    x = np.random.randn(4 * 1024 * 1024).astype(np.float32)
    return lambda: (np.sin(x) * np.exp(x)).sum()


def np_cross_entropy():
    z = np.random.randn(4096, 1000).astype(np.float32)
    t = np.random.randint(0, 1000, 4096)

    def run():
        m = z.max(1, keepdims=True)
        logp = z - m - np.log(np.exp(z - m).sum(1, keepdims=True))
        return -logp[np.arange(4096), t].mean()

    return run


# ---- real models: the training steps of issue 12 (the same shapes) ----


def gpt_adamw(lib):
    """A small GPT: 4 pre-norm blocks, width 256, 4 heads, causal
    attention over 128 tokens, batch 16, GELU MLP, AdamW."""
    lib.manual_seed(0)
    nn = lib.nn
    width, heads, tokens, vocab = 256, 4, 128, 512

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
            self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

        def forward(self, x, mask):
            h = self.ln1(x)
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, width), nn.Embedding(tokens, width)
            self.blocks = nn.ModuleList([Block() for _ in range(4)])
            self.ln, self.head = nn.LayerNorm(width), nn.Linear(width, vocab)

        def forward(self, idx, mask):
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            for b in self.blocks:
                x = b(x, mask)
            return self.head(self.ln(x))

    model = GPT()
    opt = lib.optim.AdamW(model.parameters(), lr=3e-4)
    idx = lib.randint(0, vocab, (16, tokens))
    target = lib.randint(0, vocab, (16, tokens))
    mask = lib.triu(lib.full((tokens, tokens), float("-inf")), diagonal=1)

    def run():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(idx, mask).reshape(-1, vocab), target.reshape(-1))
        loss.backward()
        opt.step()

    return run


def resnet_sgd(lib):
    """A small ResNet: a stem and three stages of two conv-bn-relu residual
    blocks (16, 32, 64 channels), global pooling, on 32x32 RGB, batch 32,
    SGD with momentum."""
    lib.manual_seed(0)
    nn = lib.nn

    class Residual(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
            self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
            self.skip = (
                nn.Sequential() if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            )

        def forward(self, x):
            y = lib.relu(self.b1(self.c1(x)))
            return lib.relu(self.b2(self.c2(y)) + self.skip(x))

    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    for cin, cout, stride in [(16, 16, 1), (16, 16, 1), (16, 32, 2), (32, 32, 1), (32, 64, 2), (64, 64, 1)]:
        layers.append(Residual(cin, cout, stride))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    model = nn.Sequential(*layers)
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return _train_step(lib, model, opt, lib.randn(32, 3, 32, 32), lib.randint(0, 10, (32,)))


def lstm_adam(lib):
    """A 2-layer LSTM (hidden 256) over 64 steps, batch 32, a linear head on
    the last step, Adam."""
    lib.manual_seed(0)
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(64, 256, num_layers=2, batch_first=True)
            self.head = nn.Linear(256, 10)

        def forward(self, x):
            return self.head(self.lstm(x)[0][:, -1])

    model = Net()
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    return _train_step(lib, model, opt, lib.randn(32, 64, 64), lib.randint(0, 10, (32,)))


WORKLOADS = [
    ("seed graph (2x2, fwd+bwd)", seed_graph, None, 5.0),
    ("50-op tanh chain, 100 elems", tanh_chain, None, 4.0),
    ("matmul 1024x1024 fwd+bwd", matmul_1024, np_matmul, 0.9),
    ("sin(x)*exp(x), 4M, fwd+bwd", sin_exp_4m, np_sin_exp, 1.0),
    ("cross_entropy 4096x1000 fwd+bwd", cross_entropy, np_cross_entropy, 1.0),
    ("MLP 784-256-10 SGD step, b64", mlp_sgd, None, 2.0),
    ("  same, SGD momentum 0.9", mlp_sgd_momentum, None, 2.0),
    ("MLP 1024x3 Adam step, b512", mlp_adam, None, 1.0),
    ("CNN 2conv+pool SGD step, b64", small_cnn, None, 1.0),
    ("GPT 4x256, 128 tok, b16, AdamW", gpt_adamw, None, 1.3),
    ("ResNet 3 stages, 32x32, b32, SGD", resnet_sgd, None, 1.2),
    ("LSTM 2x256, 64 steps, b32, Adam", lstm_adam, None, 1.5),
]
WORKLOADS_BY_NAME = {name: (make, make_np) for name, make, make_np, _ in WORKLOADS}
# The steps whose peak memory `memory.py` compares (each builds its model
# from seed 0 itself).
MEMORY_WORKLOADS = {name: make for name, make, _, _ in WORKLOADS if make in (gpt_adamw, resnet_sgd, lstm_adam)}


def fmt(t):
    if t is None:
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:8.1f} us"
    return f"{t * 1e3:8.2f} ms"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="shorter timing runs")
    ap.add_argument("--only", help="run workloads whose name contains this text")
    ap.add_argument("--no-gpu", action="store_true", help="leave out the wgpu rows")
    ap.add_argument("--no-memory", action="store_true", help="leave out the peak-memory rows (memory.py)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker_main()
    warm_allocator()
    import autorust

    min_time = 0.4 if args.quick else 1.5
    worker = Worker()
    torch_version = worker.versions["torch"]
    print(
        f"autorust {autorust.__version__}; torch {torch_version or 'not installed'}; numpy {np.__version__} (torch and numpy timed in a child process)"
    )
    header = f"{'workload':34} {'autorust':>12} {'torch':>12} {'numpy fwd':>12} {'x torch':>8} {'target':>7}"
    print(header)
    print("-" * len(header))
    rows = []
    for name, make, make_np, target in WORKLOADS:
        if args.only and args.only not in name:
            continue
        autorust.manual_seed(0)
        runners = [Local(make(autorust)), worker.runner("torch", name) if torch_version else None, worker.runner("numpy", name)]
        t_ar, t_th, t_np = compare(runners, min_time)
        ratio = t_th / t_ar if t_th else None
        ok = "" if ratio is None else ("ok" if ratio >= target else "MISS")
        rows.append((name, t_ar, t_th, t_np, ratio, target))
        print(f"{name:34} {fmt(t_ar):>12} {fmt(t_th):>12} {fmt(t_np):>12} {('%.2fx' % ratio) if ratio else '-':>8} {('>=%.1fx' % target):>7} {ok}")
        sys.stdout.flush()
    if not args.no_memory:
        import memory

        print()
        memory.report(args.only)
    if not args.no_gpu:
        gpu_section(autorust, min_time, args.only)
    return rows


# ---- the wgpu device: the same workloads beside autorust's CPU path ----


def _gpu_matmul(lib, device, n):
    a = lib.randn(n, n, device=device)
    b = lib.randn(n, n, device=device)

    def run():
        (a @ b).sum().item()  # .item() waits for the GPU

    return run


def _gpu_mlp_sgd(lib, device):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    x, y = lib.randn(64, 784, device=device), lib.randint(0, 10, (64,), device=device)

    def run():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()  # one readback per step, as a training loop that logs the loss

    return run


GPU_WORKLOADS = [
    ("matmul 512 fwd (+sum, item)", lambda lib, d: _gpu_matmul(lib, d, 512)),
    ("matmul 1024 fwd (+sum, item)", lambda lib, d: _gpu_matmul(lib, d, 1024)),
    ("MLP 784-256-10 SGD step, b64", _gpu_mlp_sgd),
]


def gpu_section(lib, min_time, only=None):
    """Times each workload on wgpu and on autorust's CPU path in one run, and
    counts queue submissions and dispatches per call from `wgpu.stats()`."""
    if not lib.wgpu.is_available():
        print("\nwgpu: no adapter (install a Vulkan driver, e.g. mesa-vulkan-drivers) - GPU rows skipped")
        return
    print(f"\nwgpu device: {lib.wgpu.get_device_name()}")
    header = f"{'workload':34} {'wgpu':>12} {'autorust cpu':>12} {'x cpu':>8} {'submits':>8} {'dispatch':>8}"
    print(header)
    print("-" * len(header))
    for name, make in GPU_WORKLOADS:
        if only and only not in name:
            continue
        gpu_fn, cpu_fn = make(lib, "wgpu"), make(lib, "cpu")
        gpu_fn()
        lib.wgpu.synchronize()
        before = lib.wgpu.stats()
        gpu_fn()
        after = lib.wgpu.stats()
        subs = after["submissions"] - before["submissions"]
        disp = after["dispatches"] - before["dispatches"]
        t_gpu, t_cpu = compare([Local(gpu_fn), Local(cpu_fn)], min_time)
        print(f"{name:34} {fmt(t_gpu):>12} {fmt(t_cpu):>12} {t_cpu / t_gpu:7.2f}x {subs:>8} {disp:>8}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
