"""Backward and large kernels run with the interpreter released: another
Python thread keeps running while they compute."""

import threading
import time

import autorust as torch


def _progress_while(work):
    done = threading.Event()
    counter = [0]

    def worker():
        work()
        done.set()

    t = threading.Thread(target=worker)
    t.start()
    # let the worker enter native code
    time.sleep(0.005)
    while not done.is_set():
        counter[0] += 1
    t.join()
    return counter[0]


def test_backward_releases_the_interpreter():
    a = torch.randn(1024, 1024, requires_grad=True)
    b = torch.randn(1024, 1024, requires_grad=True)
    loss = (a @ b).tanh().sum()
    count = _progress_while(lambda: loss.backward())
    assert a.grad is not None and b.grad is not None
    assert count > 100, f"main thread advanced only {count} steps during backward"


def test_large_matmul_releases_the_interpreter():
    a = torch.randn(1024, 1024)
    count = _progress_while(lambda: [a @ a for _ in range(3)])
    assert count > 100
