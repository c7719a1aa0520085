"""cumprod: one CumprodBackward0 node over one kernel pass. Values against
NumPy, gradients against float64 finite differences (with and without
zeros in the input, where the O(n) formula divides by the input and so
cannot be used), second order, and the saved tensors' version checks."""

import numpy as np
import pytest
from test_ops import finite_difference

import autorust as torch

rng = np.random.default_rng(5)


@pytest.mark.parametrize("shape, dim", [((7,), 0), ((4, 6), 1), ((4, 6), 0), ((3, 4, 5), 1), ((3, 4, 5), -1), ((2, 3), -2)])
def test_values_match_numpy_bitwise_in_float32(shape, dim):
    a = rng.uniform(0.5, 1.5, size=shape).astype(np.float32) * rng.choice([-1, 1], size=shape).astype(np.float32)
    out = torch.tensor(a).cumprod(dim)
    # NumPy multiplies left to right in float32 too: the same rounding
    np.testing.assert_array_equal(out.numpy(), np.cumprod(a, axis=dim))
    assert out.dtype == torch.float32


def test_transposed_input_and_large_parallel_rows():
    a = rng.uniform(0.9, 1.1, size=(300, 400))
    t = torch.tensor(a)
    np.testing.assert_array_equal(t.t().cumprod(1).numpy(), np.cumprod(a.T, axis=1))
    np.testing.assert_array_equal(t.cumprod(0).numpy(), np.cumprod(a, axis=0))


def test_integer_and_bool_inputs_give_int64_and_dtype_argument_casts():
    assert torch.tensor([1, 2, 3, 4]).cumprod(0).tolist() == [1, 2, 6, 24]
    assert torch.tensor([1, 2, 3]).cumprod(0).dtype == torch.int64
    assert torch.tensor([True, True, False, True]).cumprod(0).tolist() == [1, 1, 0, 0]
    out = torch.cumprod(torch.tensor([1, 2, 3]), 0, dtype=torch.float64)
    assert out.dtype == torch.float64 and out.tolist() == [1.0, 2.0, 6.0]
    assert torch.tensor(3.0).cumprod(0).item() == 3.0
    assert torch.ones(0, 3).cumprod(0).shape == (0, 3)


def test_bad_dim_raises_index_error():
    with pytest.raises(IndexError, match="out of range"):
        torch.ones(2, 3).cumprod(2)


@pytest.mark.parametrize(
    "row",
    [
        [1.5, -2.0, 0.7, 3.0, -0.4],  # no zero: the O(n) formula
        [1.5, -2.0, 0.0, 3.0, -0.4],  # one zero
        [0.0, -2.0, 0.7, 3.0, -0.4],  # zero first
        [1.5, -2.0, 0.7, 3.0, 0.0],  # zero last
        [1.5, 0.0, 0.7, 0.0, -0.4],  # two zeros
    ],
)
@pytest.mark.parametrize("dim", [0, 1])
def test_gradient_against_finite_differences(row, dim):
    a = np.array([row, row[::-1], [0.5, 1.2, -1.1, 0.9, 2.0]])
    a = a if dim == 1 else a.T.copy()
    fn = lambda t: t.cumprod(dim)  # noqa: E731
    w = rng.normal(size=a.shape)
    x = torch.tensor(a, requires_grad=True)
    out = fn(x)
    assert out.grad_fn.name() == "CumprodBackward0"
    assert out.grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"
    (out * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(fn, [a], 0, w), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("row", [[1.5, -2.0, 0.7, 3.0], [1.5, 0.0, 0.7, 3.0], [0.0, 2.0, 0.0, 3.0]])
def test_second_order(row):
    x = torch.tensor([row, [0.5, 1.2, -1.1, 0.9]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: t.cumprod(1), x)
    assert torch.autograd.gradgradcheck(lambda t: t.cumprod(1), x)


def test_first_order_gradient_without_create_graph_needs_no_grad():
    x = torch.tensor([2.0, 0.0, 3.0], requires_grad=True)
    (g,) = torch.autograd.grad(x.cumprod(0).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    assert g.tolist() == [1.0, 8.0, 0.0]  # d(x0 + x0 x1 + x0 x1 x2)


def test_in_place_write_to_saved_input_or_result_fails_backward():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    base = x * 1
    out = base.cumprod(0)
    base.mul_(2)
    with pytest.raises(
        RuntimeError,
        match=r"modified by an inplace operation: \[autorust.FloatTensor \[3\]\], which is output 0 of Mul, is at version 1; expected version 0",
    ):
        out.sum().backward()
    out = (x * 1).cumprod(0)
    out.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_vander_backward_fails_as_pytorchs_does():
    # PyTorch's vander saves the [n, N-1] slice for cumprod's backward and
    # then overwrites it: backward through vander is refused, naming it
    x = torch.tensor([1.5, 2.0], requires_grad=True)
    v = torch.vander(x, 4)
    np.testing.assert_allclose(v.detach().numpy(), np.vander([1.5, 2.0], 4))
    with pytest.raises(RuntimeError, match=r"\[autorust.FloatTensor \[2, 3\]\], which is output 0 of AsStrided, is at version 3; expected version 2"):
        v.sum().backward()
