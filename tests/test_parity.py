"""The PyTorch parity suite (see `tests/parity/`): every recorded program
is run under autorust and its observations (values, gradients, grad_fn
names, reprs, errors) must equal what real PyTorch observed when the gold
was recorded. Accepted differences are listed, with their reasons, in
`tests/parity/differences.py`; this file fails if one is no longer needed."""

import pytest

import autorust
from parity import gold
from parity.differences import DIFFERENCES
from parity.replay import replay

PROGRAMS = [p for family in gold.families() for p in gold.read(family)[1]]

# Open parity bugs (issue 11), each a program that still differs from
# PyTorch, with what differs. They run as strict xfails: each must still
# fail (a fixed one turns the suite red until it is removed from here), and
# no other program may fail. The list only shrinks.
_VERSION_DETAIL = "vander's running product is a chain of slice products here, one cumprod node in PyTorch: backward fails in both, but PyTorch's message names the whole [n, N-1] slice and one more version"
_ZERO_DERIVATIVE_LINKS = "a second-order gradient that is mathematically constant is a function of the inputs here (requires_grad True) where PyTorch's backward kernel leaves it constant, or the reverse"
_MIXED_DTYPE_BACKWARD = "PyTorch's backward kernel refuses mixed float32/float64 operands (addmv/huber_loss/binary_cross_entropy: 'must have the same dtype', 'Found dtype Double but expected Float'); autorust's backward computes the gradient"
KNOWN_FAILURES = {
    "ops-47": _VERSION_DETAIL,
    "ops-477": _VERSION_DETAIL,
    "ops2-355": _VERSION_DETAIL,
    "ops2-388": _VERSION_DETAIL,
    "ops2-395": _VERSION_DETAIL,
    "ops2-406": _VERSION_DETAIL,
    "ops2-2": _ZERO_DERIVATIVE_LINKS,
    "ops2-285": _ZERO_DERIVATIVE_LINKS,
    "ops2-345": _ZERO_DERIVATIVE_LINKS,
    "ops2-360": _ZERO_DERIVATIVE_LINKS,
    "ops2-367": _ZERO_DERIVATIVE_LINKS,
    "ops2-387": _ZERO_DERIVATIVE_LINKS,
    "ops2-430": _ZERO_DERIVATIVE_LINKS,
    "ops-403": _MIXED_DTYPE_BACKWARD,
    "ops2-103": _MIXED_DTYPE_BACKWARD,
    "ops2-316": _MIXED_DTYPE_BACKWARD,
    "ops2-499": _MIXED_DTYPE_BACKWARD,
    "ops2-85": _MIXED_DTYPE_BACKWARD,
    "ops2-440": _MIXED_DTYPE_BACKWARD,
    "ops2-40": "PyTorch has no derivative of hardsigmoid's backward (a third-order error); autorust differentiates it",
    "ops2-383": "PyTorch has no derivative of hardsigmoid's backward (a third-order error); autorust differentiates it",
    "ops2-63": "quantile over tied values: PyTorch's selection gives the gradient to another of the equal elements",
    "ops2-277": "a gradient PyTorch accumulates as ~1e-10 float32 noise is None here",
    "ops2-448": "a leaf PyTorch gives a gradient (through an empty tensor) gets none here",
    "ops-133": "addr in float32 rounds differently (outside the float32 tolerance by a hair)",
    "ops2-410": "binary_cross_entropy_with_logits of float64 logits and a float32 target: PyTorch computes in place in float32, autorust in float64 then casts",
    "ops2-325": "a float32 value carried into float64 results rounds differently",
}
USED = set()
RAN = []


def test_gold_was_recorded_with_pytorch():
    versions = {gold.read(f)[0]["torch"] for f in gold.families()}
    assert gold.families() and versions == {"2.15.0"}, versions


def _case(program):
    reason = KNOWN_FAILURES.get(program["id"])
    marks = [pytest.mark.xfail(reason=f"open parity bug: {reason}", strict=True)] if reason else []
    return pytest.param(program, id=program["id"], marks=marks)


@pytest.mark.parametrize("program", [_case(p) for p in PROGRAMS])
def test_program_matches_pytorch(program):
    RAN.append(program["id"])
    diff = replay(program, autorust, used=USED)
    if diff:
        steps = "\n".join(f"  {i}: {s}" for i, s in enumerate(program["steps"]))
        pytest.fail(f"{program['id']}: {diff}\nprogram:\n{steps}", pytrace=False)


def test_known_failures_name_recorded_programs():
    ids = {p["id"] for p in PROGRAMS}
    assert set(KNOWN_FAILURES) <= ids, sorted(set(KNOWN_FAILURES) - ids)


def test_every_documented_difference_is_still_needed():
    # runs after the programs (pytest keeps file order); meaningful only
    # when all of them ran
    if len(RAN) < len(PROGRAMS):
        pytest.skip("only part of the parity suite ran")
    unused = [d.name for d in DIFFERENCES if d.name not in USED]
    assert not unused, f"documented differences no program needs any more: {unused}"
