"""Runs a parity program under a library (real PyTorch when recording,
autorust when replaying) and returns what it observed.

A program is a list of Python statements ("steps") written against
PyTorch's API, with the library bound to ``T`` (``F`` is
``T.nn.functional``, ``nn`` is ``T.nn``). A step calls ``rec(value, ...)``
to observe values. A step that raises ends the program, and the exception
(type and message) is its last observation, as a script stops at its first
error. Each program starts from the same state: seed 0, grad mode on,
float32 default dtype, anomaly detection off.
"""

import math
import warnings

import numpy as np

from .observe import observe


def reset(lib):
    lib.manual_seed(0)
    lib.set_grad_enabled(True)
    lib.set_default_dtype(lib.float32)
    lib.autograd.set_detect_anomaly(False)


def run(steps, lib):
    """The observations of one program: a list of [step index, observation]."""
    out = []

    def rec(*values):
        for v in values:
            out.append([index, observe(v, names=ns)])

    ns = {"T": lib, "F": lib.nn.functional, "nn": lib.nn, "np": np, "math": math, "rec": rec, "warnings": warnings}
    reset(lib)
    index = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for index, step in enumerate(steps):
                try:
                    exec(compile(step, f"<parity step {index}>", "exec"), ns)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as e:  # noqa: BLE001  (a Rust panic is a BaseException: it must be observed, not escape)
                    out.append([index, observe(e)])
                    break
    finally:
        reset(lib)
    return out
