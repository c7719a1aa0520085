"""The real-GPU check: autorust's wgpu device beside PyTorch CUDA on the same
machine, each library in its own process.

    python benchmarks/gpu_check.py               # both libraries, one table
    python benchmarks/gpu_check.py --lib autorust  # one library, JSON lines

Rows: float32 matmul (TFLOP/s), the MLP training step of `run.py`,
`sin(x) * exp(x)` forward+backward, memory-bound elementwise and reduction
passes (GB/s), softmax, a conv2d training pass, a long cumsum, and a tensor
of 1.5 GiB (lavapipe cannot show the limits a real driver has). autorust's
rows also count queue submissions and compute dispatches per call.

"x torch" is PyTorch's time over autorust's: below 1 means autorust is
slower. Every call ends in a synchronisation (or a readback), so times are
wall-clock per call; the median of several calls after two warm-up calls.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

MIN_TIME = 0.4  # seconds of calls per row (at least MIN_CALLS calls)
MIN_CALLS = 3


class Lib:
    """What differs between the two libraries: the module, the device's name
    and how to wait for the device."""

    def __init__(self, name):
        self.name = name
        if name == "autorust":
            import autorust as mod

            self.device = "wgpu"
            self.sync = mod.wgpu.synchronize
            self.device_name = mod.wgpu.get_device_name()
            self.stats = mod.wgpu.stats
        else:
            import torch as mod

            self.device = "cuda"
            self.sync = mod.cuda.synchronize
            self.device_name = mod.cuda.get_device_name()
            self.stats = None
        self.mod = mod


def matmul(lib, n):
    t = lib.mod
    a, b = t.randn(n, n, device=lib.device), t.randn(n, n, device=lib.device)

    def run():
        a @ b
        lib.sync()

    return run, {"flop": 2 * n**3}


def mlp_sgd(lib):
    t = lib.mod
    t.manual_seed(0)
    nn = t.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(lib.device)
    opt = t.optim.SGD(model.parameters(), lr=0.01)
    x, y = (
        t.randn(64, 784, device=lib.device),
        t.randint(0, 10, (64,), device=lib.device),
    )

    def run():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()

    return run, {}


def sin_exp(lib, n):
    t = lib.mod
    x = t.randn(n, device=lib.device).requires_grad_()

    def run():
        x.grad = None
        (t.sin(x) * t.exp(x)).sum().backward()
        lib.sync()

    return run, {}


def add(lib, n):
    t = lib.mod
    a, b = t.randn(n, device=lib.device), t.randn(n, device=lib.device)

    def run():
        a + b
        lib.sync()

    return run, {"bytes": 12 * n}


def total(lib, n):
    t = lib.mod
    a = t.randn(n, device=lib.device)

    def run():
        a.sum().item()

    return run, {"bytes": 4 * n}


def softmax(lib, rows, cols):
    t = lib.mod
    a = t.randn(rows, cols, device=lib.device)

    def run():
        t.softmax(a, dim=-1)
        lib.sync()

    return run, {"bytes": 8 * rows * cols}


def conv_train(lib):
    t = lib.mod
    t.manual_seed(0)
    conv = t.nn.Conv2d(64, 64, 3, padding=1).to(lib.device)
    x = t.randn(32, 64, 32, 32, device=lib.device)

    def run():
        conv.zero_grad()
        conv(x).square().mean().backward()
        lib.sync()

    return run, {}


def cumsum(lib, n):
    t = lib.mod
    a = t.randn(n, device=lib.device)

    def run():
        t.cumsum(a, 0)
        lib.sync()

    return run, {}


def big_tensor(lib):
    t = lib.mod
    n = 3 * 2**27  # 1.5 GiB of float32

    def run():
        t.ones(n, device=lib.device).sum().item()

    return run, {"bytes": 4 * n}


WORKLOADS = [
    ("matmul 2048 f32", lambda lib: matmul(lib, 2048)),
    ("matmul 4096 f32", lambda lib: matmul(lib, 4096)),
    ("MLP 784-256-10 SGD step b64", mlp_sgd),
    ("sin*exp 4M fwd+bwd", lambda lib: sin_exp(lib, 4 * 2**20)),
    ("add 16M", lambda lib: add(lib, 16 * 2**20)),
    ("sum 16M (+item)", lambda lib: total(lib, 16 * 2**20)),
    ("softmax 4096x4096 dim -1", lambda lib: softmax(lib, 4096, 4096)),
    ("conv2d 64->64 3x3 b32 32x32 fwd+bwd", conv_train),
    ("cumsum 10M", lambda lib: cumsum(lib, 10**7)),
    ("ones(1.5 GiB).sum()", big_tensor),
]


def time_calls(run):
    run()
    run()
    times, spent = [], 0.0
    while len(times) < MIN_CALLS or spent < MIN_TIME:
        t0 = time.perf_counter()
        run()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
        if dt > 2.0 and len(times) >= MIN_CALLS:  # a slow row: three calls are enough
            break
    return statistics.median(times)


def worker(lib_name, only):
    lib = Lib(lib_name)
    print(json.dumps({"device": lib.device_name}), flush=True)
    for name, make in WORKLOADS:
        if only and only not in name:
            continue
        row = {"name": name}
        try:
            run, work = make(lib)
            row["seconds"] = time_calls(run)
            row.update(work)
            if lib.stats is not None:
                lib.sync()
                before = lib.stats()
                run()
                after = lib.stats()
                row["submits"] = after["submissions"] - before["submissions"]
                row["dispatches"] = after["dispatches"] - before["dispatches"]
        except Exception as e:  # noqa: BLE001 - reported in the table, the other rows go on
            row["error"] = f"{type(e).__name__}: {str(e)[:200]}"
        print(json.dumps(row), flush=True)


def collect(lib_name, only):
    cmd = [sys.executable, __file__, "--lib", lib_name] + (["--only", only] if only else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [json.loads(s) for s in proc.stdout.splitlines() if s.startswith("{")]
    if proc.returncode != 0 or not lines:
        print(f"{lib_name}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    device = lines[0]["device"] if lines else "?"
    return device, {row["name"]: row for row in lines[1:]}


def fmt_time(row):
    if row is None:
        return "-"
    if "error" in row:
        return "error"
    s = row["seconds"]
    return f"{s * 1e3:.3f} ms" if s < 1 else f"{s:.2f} s"


def rate(row):
    if row is None or "error" in row:
        return ""
    if "flop" in row:
        return f"{row['flop'] / row['seconds'] / 1e12:.2f} TFLOP/s"
    if "bytes" in row:
        return f"{row['bytes'] / row['seconds'] / 1e9:.0f} GB/s"
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", choices=["autorust", "torch"])
    ap.add_argument("--only")
    args = ap.parse_args()
    if args.lib:
        worker(args.lib, args.only)
        return
    ar_device, ar = collect("autorust", args.only)
    th_device, th = collect("torch", args.only)
    print(f"autorust wgpu: {ar_device}   PyTorch CUDA: {th_device}")
    header = f"{'workload':36} {'autorust':>11} {'(rate)':>15} {'torch':>11} {'(rate)':>15} {'x torch':>8} {'submits':>7} {'dispatch':>8}"
    print(header)
    print("-" * len(header))
    for name, _ in WORKLOADS:
        a, t = ar.get(name), th.get(name)
        if a is None and t is None:
            continue
        ratio = ""
        if a and t and "seconds" in a and "seconds" in t:
            ratio = f"{t['seconds'] / a['seconds']:.3f}x"
        subs = a.get("submits", "") if a else ""
        disp = a.get("dispatches", "") if a else ""
        print(f"{name:36} {fmt_time(a):>11} {rate(a):>15} {fmt_time(t):>11} {rate(t):>15} {ratio:>8} {subs:>7} {disp:>8}")
    for lib_name, rows in (("autorust", ar), ("torch", th)):
        for row in rows.values():
            if "error" in row:
                print(f"{lib_name} {row['name']}: {row['error']}")
    sys.stdout.flush()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
