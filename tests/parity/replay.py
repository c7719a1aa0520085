"""Replays the gold against autorust and reports the differences.

`tests/test_parity.py` runs this in CI, one test per program. From the
command line it summarises a whole family (for working through findings):

    python -m tests.parity.replay            # every family
    python -m tests.parity.replay ops --show 5
"""

import argparse
import collections
import re

from . import gold
from .differences import DIFFERENCES
from .observe import Tolerance, difference
from .program import run

TOLERANCE = Tolerance()

# Families whose results PyTorch's CPU kernels define to the bit: compared
# with no tolerance at all.
EXACT_FAMILIES = {"bitwise"}


def tolerance_for(program, tol=TOLERANCE):
    """`tol`, or no tolerance for a program of an exact family."""
    if program["id"].rsplit("-", 1)[0] in EXACT_FAMILIES:
        return Tolerance(rtol32=0.0, atol32=0.0, rtol64=0.0, atol64=0.0, ignore=tol.ignore)
    return tol


def _has_float32(obs):
    if isinstance(obs, dict):
        return obs.get("dtype") == "float32" or any(_has_float32(v) for v in obs.values())
    if isinstance(obs, list):
        return any(_has_float32(v) for v in obs)
    return False


def compare(got, want, tol=TOLERANCE, steps=None, used=None):
    """None when the observations match, else the first difference. A
    program that mixes float32 into float64 results is judged at float32's
    tolerance throughout: a last-bit difference of a float32 value carries
    into every float64 value computed from it. With the program's `steps`,
    a difference that a documented rule (`differences.py`) covers is
    accepted, and the rule's name is added to `used`."""
    if any(_has_float32(w) for w in want):
        tol = tol.as_float32()
    for i, (g, w) in enumerate(zip(got, want)):
        if g[0] != w[0]:
            return f"observation {i}: made at step {g[0]}, PyTorch's at step {w[0]}: {difference(g[1], w[1], tol) or 'same value'}"
        obs_tol = tol
        d = difference(g[1], w[1], obs_tol, f"step {w[0]}")
        while d and steps is not None:
            code = "\n".join(steps)
            hit = next(((r, f) for r in DIFFERENCES if (f := r.field_in(steps[w[0]], d, code)) and f not in obs_tol.ignore), None)
            if hit is None:
                break
            rule, field = hit
            if used is not None:
                used.add(rule.name)
            obs_tol = obs_tol.ignoring(field)
            d = difference(g[1], w[1], obs_tol, f"step {w[0]}")
        if d:
            return d
    if len(got) != len(want):
        longer, which = (got, "autorust") if len(got) > len(want) else (want, "PyTorch")
        extra = longer[min(len(got), len(want))]
        return f"{which} observed more: step {extra[0]}: {str(extra[1])[:200]}"
    return None


def replay(program, lib, tol=TOLERANCE, used=None):
    return compare(run(program["steps"], lib), program["obs"], tolerance_for(program, tol), program["steps"], used)


def _kind(diff):
    """A short category of a difference, for the summary."""
    d = re.sub(r"step \d+", "step", diff)
    d = re.sub(r"\[[^\]]*\]", "[]", d)
    return d[:90]


def main(argv=None):
    import autorust

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("families", nargs="*", default=None)
    ap.add_argument("--show", type=int, default=0, help="print this many failing programs")
    ap.add_argument("--grep", default=None, help="only programs whose steps contain this text")
    ap.add_argument("--ignore", default="", help="comma-separated tensor fields not to compare (e.g. grad_fn)")
    args = ap.parse_args(argv)
    tol = Tolerance(ignore=[k for k in args.ignore.split(",") if k])
    fams = args.families or gold.families()
    shown = 0
    for fam in fams:
        _, programs = gold.read(fam)
        kinds = collections.Counter()
        failed = 0
        for p in programs:
            if args.grep and args.grep not in "\n".join(p["steps"]):
                continue
            d = replay(p, autorust, tol)
            if d:
                failed += 1
                kinds[_kind(d)] += 1
                if shown < args.show:
                    shown += 1
                    print(f"--- {p['id']}: {d}")
                    print("\n".join(p["steps"]))
        print(f"{fam}: {failed} of {len(programs)} differ")
        for k, n in kinds.most_common(25):
            print(f"  {n:5d}  {k}")


if __name__ == "__main__":
    main()
