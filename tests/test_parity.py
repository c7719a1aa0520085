"""The PyTorch parity suite (see `tests/parity/`): every recorded program
is run under autorust and its observations (values, gradients, grad_fn
names, reprs, errors) must equal what real PyTorch observed when the gold
was recorded. Accepted differences are listed, with their reasons, in
`tests/parity/differences.py`; this file fails if one is no longer needed.
Open bugs the suite has found and that are not fixed yet are listed in
`tests/parity/known_failures.py` and run as strict xfails."""

import pytest
from parity import gold
from parity.differences import DIFFERENCES
from parity.known_failures import KNOWN_FAILURES
from parity.replay import replay

import autorust

PROGRAMS = [p for family in gold.families() for p in gold.read(family)[1]]

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
