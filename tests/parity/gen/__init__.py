"""Seeded generators of PyTorch programs, one per family. Each is run with
real PyTorch in the loop (see `core.Builder`); `generate` returns the
program's steps."""

from .core import Builder, Finished, Rejected
from .ops import program_ops, program_ops2

FAMILIES = {
    "ops": program_ops,
    "ops2": program_ops2,
}

ATTEMPTS = 30


def generate(T, family, seed):
    """The steps of program `seed` of `family`, generated under torch `T`."""
    for attempt in range(ATTEMPTS):
        b = Builder(T, family, seed, attempt)
        try:
            FAMILIES[family](b)
        except Rejected:
            continue
        except Finished:
            pass
        return b.steps
    raise RuntimeError(f"{family} {seed}: no program after {ATTEMPTS} attempts")
