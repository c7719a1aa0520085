"""Many ops on awkward inputs (0-d, empty, mismatched, wrong dtypes): each
either works or raises an ordinary Python exception. A Rust panic would
surface as pyo3's PanicException, a BaseException, and fail the test."""

import itertools

import numpy as np
import pytest

import autorust as torch

SAMPLES = [
    lambda: torch.tensor(1.5),
    lambda: torch.tensor(3),
    lambda: torch.tensor(True),
    lambda: torch.zeros(0),
    lambda: torch.zeros(2, 0),
    lambda: torch.ones(3),
    lambda: torch.arange(6).reshape(2, 3),
    lambda: torch.ones(2, 3, dtype=torch.float64).t(),
    lambda: torch.tensor([True, False, True]),
    lambda: torch.ones(1, 3, 1),
]

UNARY = [
    lambda x: -x,
    lambda x: x.abs(),
    lambda x: x.exp(),
    lambda x: x.log(),
    lambda x: x.sqrt(),
    lambda x: x.sum(),
    lambda x: x.sum(0),
    lambda x: x.mean(),
    lambda x: x.max(),
    lambda x: x.max(0),
    lambda x: x.argmax(),
    lambda x: x.prod(),
    lambda x: x.softmax(0),
    lambda x: x.log_softmax(-1),
    lambda x: x.cumsum(0),
    lambda x: x.var(),
    lambda x: x.std(0),
    lambda x: x.norm(),
    lambda x: x.logsumexp(0),
    lambda x: x.t(),
    lambda x: x.T,
    lambda x: x.view(-1),
    lambda x: x.reshape(3, -1),
    lambda x: x.unsqueeze(5),
    lambda x: x.squeeze(),
    lambda x: x.flatten(),
    lambda x: x.expand(2, 3),
    lambda x: x[0],
    lambda x: x[..., 0],
    lambda x: x[None],
    lambda x: x[x > 0],
    lambda x: x[[0, 0]],
    lambda x: x[torch.tensor([5])],
    lambda x: x.chunk(2),
    lambda x: x.split(1),
    lambda x: x.flip(0),
    lambda x: x.repeat(2),
    lambda x: x.nonzero(),
    lambda x: x.all(),
    lambda x: x.any(0),
    lambda x: x.clamp(0, 1),
    lambda x: x.round(),
    lambda x: x.sigmoid(),
    lambda x: x.tolist(),
    lambda x: x.item(),
    lambda x: repr(x),
    lambda x: x.numpy(),
    lambda x: x.float().requires_grad_().sum().backward(),
    lambda x: x @ x,
    lambda x: x.matmul(torch.ones(3)),
    lambda x: x.gather(0, torch.tensor([0])),
    lambda x: x.index_select(0, torch.tensor([0, 0])),
    lambda x: x.scatter(0, torch.tensor([0]), 1.0),
    lambda x: torch.cat([x, x]),
    lambda x: torch.stack([x, x], 1),
    lambda x: x.masked_fill(torch.tensor(True), 0),
    lambda x: torch.where(x > 0, x, 0),
    lambda x: x.narrow(0, 0, 1),
    lambda x: x.permute(1, 0),
    lambda x: x.transpose(0, 1),
    lambda x: x.select(1, 0),
    lambda x: x.to(torch.int64),
    lambda x: x // 0,
    lambda x: x % 0,
    lambda x: x**-1,
    lambda x: x / 0,
    lambda x: x.bool().float(),
    lambda x: ~x,
    lambda x: x & x,
    lambda x: torch.nn.functional.cross_entropy(x, torch.tensor([0])),
    lambda x: torch.nn.functional.mse_loss(x, x),
]


@pytest.mark.parametrize("i", range(len(SAMPLES)))
def test_ops_raise_python_errors_only(i):
    for op in UNARY:
        x = SAMPLES[i]()
        try:
            op(x)
        except (RuntimeError, IndexError, TypeError, ValueError, ZeroDivisionError, OverflowError):
            pass


def test_random_shapes_binary_broadcasting():
    rng = np.random.default_rng(0)
    for _ in range(300):
        sa = tuple(rng.integers(0, 4, size=rng.integers(0, 4)))
        sb = tuple(rng.integers(0, 4, size=rng.integers(0, 4)))
        a, b = rng.normal(size=sa), rng.normal(size=sb)
        try:
            expected = a + b
        except ValueError:
            with pytest.raises(RuntimeError, match="must match the size"):
                torch.tensor(a) + torch.tensor(b)
            continue
        got = torch.tensor(a) + torch.tensor(b)
        np.testing.assert_allclose(got.numpy(), expected)


def test_random_index_expressions_match_numpy():
    rng = np.random.default_rng(1)
    a = np.arange(60.0).reshape(3, 4, 5)
    t = torch.tensor(a)
    choices = [0, 1, -1, 2, slice(None), slice(1, None), slice(None, None, 2), slice(-2, None), None, Ellipsis]
    for _ in range(400):
        k = tuple(choices[j] for j in rng.integers(0, len(choices), size=rng.integers(1, 4)))
        try:
            expected = a[k]
        except IndexError:
            with pytest.raises(IndexError):
                t[k]
            continue
        np.testing.assert_array_equal(t[k].numpy(), expected)


BINARY = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a / b,
    lambda a, b: a // b,
    lambda a, b: a % b,
    lambda a, b: a**b,
    lambda a, b: a @ b,
    lambda a, b: torch.cat([a, b]),
    lambda a, b: torch.stack([a, b]),
    lambda a, b: torch.where(a > 0, a, b),
    lambda a, b: torch.maximum(a, b),
    lambda a, b: a == b,
    lambda a, b: a & b,
    lambda a, b: a.gather(0, b),
    lambda a, b: a[b],
    lambda a, b: a.index_select(0, b),
    lambda a, b: a.expand_as(b),
    lambda a, b: a.view_as(b),
    lambda a, b: a.copy_(b),
    lambda a, b: torch.nn.functional.cross_entropy(a, b),
    lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(a, b),
    lambda a, b: torch.atan2(a, b),
    lambda a, b: a.masked_fill(b, 1.0),
]


def test_binary_ops_on_all_sample_pairs():
    for (ma, mb), op in itertools.product(itertools.product(SAMPLES, SAMPLES), BINARY):
        a, b = ma(), mb()
        try:
            op(a, b)
        except (RuntimeError, IndexError, TypeError, ValueError, ZeroDivisionError, OverflowError):
            pass
