"""Seeded generators of PyTorch programs, one per family. Each is run with
real PyTorch in the loop (see `core.Builder`); `generate` returns the
program's steps. The `snippets` family is not generated: its programs are
the hand-written cases of `parity.snippets`, taken in order."""

from .. import snippets
from .autograd_api import program_autograd
from .bitwise import program_bitwise
from .core import Builder, Finished, Rejected
from .errors import program_errors
from .nn_training import program_nn
from .ops import program_ops, program_ops2
from .sampling import program_sampling

FAMILIES = {
    "ops": program_ops,
    "ops2": program_ops2,
    "autograd": program_autograd,
    "nn": program_nn,
    "errors": program_errors,
    "sampling": program_sampling,
    "bitwise": program_bitwise,
}

ATTEMPTS = 30

# families of fixed programs: family -> a function listing (name, steps)
FIXED = {"snippets": snippets.programs}


def count(family):
    """How many programs a fixed family has (None for a generated one)."""
    return len(FIXED[family]()) if family in FIXED else None


def name(family, seed):
    """A fixed program's name (None for a generated one)."""
    return FIXED[family]()[seed][0] if family in FIXED else None


def generate(T, family, seed):
    """The steps of program `seed` of `family`, generated under torch `T`."""
    if family in FIXED:
        return FIXED[family]()[seed][1]
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
