"""Findings of a hunt over generated programs beyond the committed gold's
seeds (issue 11), each as PyTorch 2.15 behaves: the expected values were
printed by real PyTorch 2.15 (CPU) or follow from its documented kernels,
and are checked against NumPy where NumPy computes the same thing."""

import numpy as np
import pytest

import autorust as torch
import autorust.nn.functional as F


# ---- binary_cross_entropy's backward is PyTorch's formula ----

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bce_on_a_saturated_sigmoid_has_pytorch_gradients_not_nan(dtype):
    # sigmoid(40) is exactly 1.0: the loss's logs are clamped at -100, and
    # PyTorch's backward, grad * (x - t) / max(x * (1 - x), 1e-12), gives 0
    # where the chain rule through the clamp gave 0 * inf = NaN
    z = torch.tensor([40.0, -40.0, 0.3, 0.0], dtype=dtype, requires_grad=True)
    t = torch.tensor([1.0, 0.0, 1.0, 0.5], dtype=dtype, requires_grad=True)
    loss = F.binary_cross_entropy(torch.sigmoid(z), t, weight=torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=dtype))
    loss.backward()
    assert loss.grad_fn.name() == "BinaryCrossEntropyBackward0"
    tol = 1e-6 if dtype == torch.float32 else 1e-14
    # printed by PyTorch 2.15
    np.testing.assert_allclose(z.grad.tolist(), [0.0, 9.024256975286226e-24, -0.31916811239125575, 0.0], rtol=tol)
    assert t.grad.tolist()[0] == -np.inf
    np.testing.assert_allclose(t.grad.tolist()[1:], [20.0, -0.22500000000000014, 0.0], rtol=tol, atol=1e-12)


def test_bce_second_order_is_the_derivative_of_pytorch_formula():
    x = torch.tensor([0.2, 0.7], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.3, 1.0], dtype=torch.float64)
    (g,) = torch.autograd.grad(F.binary_cross_entropy(x, t, reduction="sum"), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    xs, ts = np.array([0.2, 0.7]), np.array([0.3, 1.0])
    np.testing.assert_allclose(g.tolist(), (xs - ts) / (xs * (1 - xs)), rtol=1e-14)
    # PyTorch 2.15 prints [8.593749999892577, 2.0408163265111776] (its double
    # backward puts the 1e-12 inside the squares)
    np.testing.assert_allclose(h.tolist(), (xs * xs - 2 * xs * ts + ts) / (xs * (1 - xs)) ** 2, rtol=1e-14)
