"""Matrix products in every operand layout agree with NumPy, whichever way
the CPU backend runs them (a column-major right operand with few rows goes
through a column-major scratch), and do not depend on the thread count."""

import numpy as np
import pytest
from thread_counts import assert_same_across_thread_counts

import autorust as torch
import autorust.nn.functional as F

rng = np.random.default_rng(11)

SHAPES = [(1, 64, 40), (16, 256, 1024), (32, 1024, 256), (64, 100, 300), (65, 70, 300), (32, 8, 256), (40, 300, 20)]


def _operand(shape, column_major, dtype):
    """A tensor of `shape` whose memory is row-major or column-major."""
    if column_major:
        data = rng.normal(size=shape[::-1]).astype(dtype)
        return torch.tensor(data).t(), data.T
    data = rng.normal(size=shape).astype(dtype)
    return torch.tensor(data), data


@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("a_cols", [False, True], ids=["a_rows", "a_cols"])
@pytest.mark.parametrize("b_cols", [False, True], ids=["b_rows", "b_cols"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mm_every_layout(m, k, n, a_cols, b_cols, dtype):
    a, a_np = _operand((m, k), a_cols, dtype)
    b, b_np = _operand((k, n), b_cols, dtype)
    expected = a_np.astype(np.float64) @ b_np.astype(np.float64)
    got = (a @ b).numpy()
    assert got.dtype == dtype and got.shape == (m, n)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * np.sqrt(k))


@pytest.mark.parametrize("batch", [1, 3])
def test_bmm_transposed_right_operand(batch):
    a_np = rng.normal(size=(batch, 32, 512)).astype(np.float32)
    b_np = rng.normal(size=(batch, 200, 512)).astype(np.float32)
    got = torch.bmm(torch.tensor(a_np), torch.tensor(b_np).transpose(1, 2)).numpy()
    expected = a_np.astype(np.float64) @ np.swapaxes(b_np, 1, 2).astype(np.float64)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)


def test_linear_small_batch_forward_and_backward():
    x_np = rng.normal(size=(32, 1024))
    w_np = rng.normal(size=(256, 1024))
    b_np = rng.normal(size=256)
    x = torch.tensor(x_np, requires_grad=True)
    w = torch.tensor(w_np, requires_grad=True)
    b = torch.tensor(b_np, requires_grad=True)
    y = F.linear(x, w, b)
    np.testing.assert_allclose(y.detach().numpy(), x_np @ w_np.T + b_np, rtol=1e-12, atol=1e-10)
    g = rng.normal(size=(32, 256))
    y.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g @ w_np, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), g.T @ x_np, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(0), rtol=1e-12, atol=1e-10)


def test_small_batch_linear_same_bits_across_thread_counts():
    script = """
import numpy as np, autorust as torch, autorust.nn.functional as F
rng = np.random.default_rng(3)
for m, k, n in [(32, 1024, 256), (16, 256, 1024), (64, 784, 256)]:
    x = torch.tensor(rng.normal(size=(m, k)).astype(np.float32))
    w = torch.tensor(rng.normal(size=(n, k)).astype(np.float32))
    print(F.linear(x, w).numpy().tobytes().hex())
"""
    assert_same_across_thread_counts(script)
