"""The main thread is worker 0 of the rayon pool (src/python/mod.rs,
`join_pool_if_main_thread`). Parallel kernels must still run when called from
other Python threads while the main thread waits in Python, with any pool
size, and in a forked child (whose pool threads did not survive the fork).
Each case runs in a fresh interpreter under a timeout: a regression shows as
a hang, which must fail the test rather than stall the suite."""

import os
import subprocess
import sys
import textwrap

import pytest

# Sizes past the parallel thresholds (elementwise 256K, GEMM split 4M flops).
_WORK = textwrap.dedent(
    """
    import numpy as np
    import autorust as ar

    def work(seed):
        g = ar.Generator().manual_seed(seed)
        x = ar.randn(1 << 19, generator=g)
        a = ar.randn(256, 256, generator=g)
        got = ((x.exp() * 2).sum().item(), (a @ a).numpy())
        xn, an = x.numpy().astype(np.float64), a.numpy().astype(np.float64)
        assert abs(got[0] - (np.exp(xn) * 2).sum()) <= 1e-4 * abs(got[0])
        assert np.allclose(got[1], an @ an, rtol=1e-4, atol=1e-3)
        return seed
    """
)


def _run(code, threads):
    env = dict(os.environ)
    env.pop("RAYON_NUM_THREADS", None)
    if threads is not None:
        env["RAYON_NUM_THREADS"] = str(threads)
    proc = subprocess.run([sys.executable, "-c", _WORK + textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("threads", [None, 1, 2, 3])
def test_kernels_from_other_threads_while_main_waits(threads):
    out = _run(
        """
        import threading
        done = []
        ts = [threading.Thread(target=lambda s=s: done.append(work(s))) for s in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()  # the main thread sits in Python meanwhile
        work(7)
        print(sorted(done))
        """,
        threads,
    )
    assert out.strip() == "[0, 1, 2]"


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_kernels_in_a_forked_child():
    out = _run(
        """
        import multiprocessing as mp
        work(0)  # the pool exists before the fork
        with mp.get_context("fork").Pool(2) as pool:
            print(pool.map(work, range(4)))
        """,
        None,
    )
    assert out.strip() == "[0, 1, 2, 3]"
