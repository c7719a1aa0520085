"""Peak memory of the model training steps (issue 12's target: at most
PyTorch's), each library in a fresh process of its own.

    python benchmarks/memory.py [--only NAME]

A child process builds the model, its optimizer and its data (the set-up
level), resets the kernel's resident-set high-water mark
(`/proc/self/clear_refs`), runs three training steps and reports the
high-water mark above the set-up level: the optimizer state created by the
first step plus the largest transient (activations saved for backward,
gradients, scratch buffers). A fresh process per library and model keeps
one workload's freed-but-cached memory out of the next one's figure.
Linux only (it reads `/proc/self/status`).
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

STEPS = 3


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def measure_here(lib_name, workload):
    """MiB above the set-up level at the high-water mark of STEPS steps."""
    import run as workloads  # the model definitions shared with run.py

    lib = __import__(lib_name)
    step = workloads.MEMORY_WORKLOADS[workload](lib)
    base = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the high-water mark restarts from the current RSS
    for _ in range(STEPS):
        step()
    return (_status_kib("VmHWM") - base) / 1024


def measure(lib_name, workload):
    """Runs `measure_here` in a fresh interpreter; None when `lib_name`
    cannot be imported there."""
    out = subprocess.run([sys.executable, __file__, "--child", lib_name, workload], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        if "No module named" in out.stderr:
            return None
        raise RuntimeError(f"{lib_name} {workload}: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(only=None):
    import run as workloads

    header = f"{'peak memory above set-up':34} {'autorust':>12} {'torch':>12} {'/ torch':>8} {'target':>7}"
    print(header)
    print("-" * len(header))
    rows = []
    for name in workloads.MEMORY_WORKLOADS:
        if only and only not in name:
            continue
        ours, theirs = measure("autorust", name), measure("torch", name)
        ratio = ours / theirs if theirs else None
        verdict = "" if ratio is None else ("ok" if ratio <= 1.0 else "MISS")
        shown = f"{ratio:.2f}x" if ratio else "-"
        theirs_shown = f"{theirs:.0f} MiB" if theirs is not None else "-"
        print(f"{name:34} {ours:>8.0f} MiB {theirs_shown:>12} {shown:>8} {'<=1.0x':>7} {verdict}")
        sys.stdout.flush()
        rows.append((name, ours, theirs))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="models whose name contains this text")
    ap.add_argument("--child", nargs=2, metavar=("LIB", "WORKLOAD"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(measure_here(*args.child)))
        return None
    return report(args.only)


if __name__ == "__main__":
    main()
