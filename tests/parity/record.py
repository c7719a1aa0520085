"""Records the gold: runs every parity program under real PyTorch and
writes what it observed (`make parity-record`; needs torch, never CI).

    python -m tests.parity.record                 # every family
    python -m tests.parity.record ops ops2        # some families
    python -m tests.parity.record --count 50 ops  # fewer programs (a quick look)
"""

import argparse
import sys
import time

import torch

from . import gold
from .gen import FAMILIES, FIXED, count, generate, name
from .program import run

# programs per family in the committed gold (CI replays all of them)
COUNTS = {"ops": 3500, "ops2": 2500, "autograd": 2000, "nn": 900, "errors": 1600, "sampling": 300, "bitwise": 300}


def record_family(family, n):
    programs = []
    for seed in range(n):
        steps = generate(torch, family, seed)
        program = {"id": f"{family}-{seed}", "steps": steps, "obs": run(steps, torch)}
        if family in FIXED:
            program["name"] = name(family, seed)
        programs.append(program)
    header = {"torch": torch.__version__.split("+")[0], "family": family, "count": n}
    gold.write(family, header, programs)
    return programs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("families", nargs="*", default=sorted(COUNTS) + sorted(FIXED))
    ap.add_argument("--count", type=int, default=None)
    args = ap.parse_args(argv)
    for family in args.families:
        if family not in FAMILIES and family not in FIXED:
            sys.exit(f"unknown family {family!r}; known: {', '.join(sorted(FAMILIES))}")
        t = time.time()
        programs = record_family(family, args.count or COUNTS.get(family) or count(family))
        errors = sum(1 for p in programs if p["obs"] and "error" in (p["obs"][-1][1] if isinstance(p["obs"][-1][1], dict) else {}))
        print(f"{family}: {len(programs)} programs ({errors} end in an error) in {time.time() - t:.1f} s -> {gold.path(family)}")


if __name__ == "__main__":
    main()
