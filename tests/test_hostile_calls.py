"""20,000 hostile calls (see tests/hostile.py), in child processes: none may
raise a PanicException, crash the interpreter or hang."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_hostile_calls_raise_only_ordinary_exceptions(seed):
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, "hostile.py"), str(seed), "5000"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    failures = [line for line in out.stdout.splitlines() if line.strip()]
    # a negative return code is a signal: the process crashed (abort, segfault)
    assert out.returncode == 0 and not failures, (out.returncode, failures[:20], out.stderr[-2000:])


def test_the_harness_reports_a_panic_like_exception(tmp_path):
    # the runner must tell a BaseException (what a Rust panic becomes) from
    # an ordinary refusal; checked on a stand-in, since no panic is known
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys; sys.path.insert(0, %r)\n"
        "import hostile\n"
        "class Panic(BaseException):\n    pass\n"
        "def boom(*a, **k):\n    raise Panic('stand-in')\n"
        "hostile._callables = lambda: [('boom', boom, None)]\n"
        "sys.exit(1 if hostile.main(0, 3) else 0)\n" % HERE
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and out.stdout.count("Panic") == 3, (out.stdout, out.stderr)
