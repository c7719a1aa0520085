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


def test_concurrent_backwards_sharing_a_leaf():
    w = torch.randn(64, 64, requires_grad=True)
    xs = [torch.randn(32, 64) for _ in range(4)]
    errors = []

    def run(x):
        try:
            for _ in range(50):
                (x @ w).tanh().sum().backward()
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(x,)) for x in xs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    expected = torch.zeros(64, 64)
    for x in xs:
        w2 = w.detach().clone().requires_grad_()
        (x @ w2).tanh().sum().backward()
        expected = expected + 50 * w2.grad
    assert torch.allclose(w.grad, expected, rtol=1e-4, atol=1e-3)


def test_backward_inside_a_hook_runs_as_a_nested_pass():
    # the nested pass holds no second lock (it would wait on its own thread)
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)

    def hook(g):
        with torch.enable_grad():
            (b * 2).sum().backward()
        return g

    y = a * 3
    y.register_hook(hook)
    y.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]
    assert b.grad.tolist() == [2.0, 2.0]
