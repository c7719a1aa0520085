"""Runs one script in fresh interpreters, each with another rayon pool size.

A kernel's result must not depend on how its work was split over the pool,
and the pool size is fixed when the extension first loads, so each size
needs its own process. The script prints what it computed (hex of the raw
bytes keeps the comparison bitwise)."""

import os
import subprocess
import sys


def stdout_per_thread_count(script, counts=("1", "2", "3")):
    """The script's standard output under each RAYON_NUM_THREADS in counts."""
    outputs = []
    for threads in counts:
        env = dict(os.environ, RAYON_NUM_THREADS=threads)
        run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        outputs.append(run.stdout)
    return outputs


def assert_same_across_thread_counts(script, counts=("1", "2", "3")):
    outputs = stdout_per_thread_count(script, counts)
    assert outputs[0], "the script printed nothing to compare"
    assert all(out == outputs[0] for out in outputs), f"results differ across thread counts {counts}"
