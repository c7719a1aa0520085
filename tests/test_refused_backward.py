"""Gradients PyTorch's backward kernels refuse to take are refused here
too, with PyTorch's message (a value where PyTorch raises would be a
silently different program): addr's mv over vectors of two dtypes,
huber_loss over an input and a target of two dtypes."""

import pytest

import autorust as torch
import autorust.nn.functional as F


def _vectors(dtype_a, dtype1, dtype2):
    a = torch.randn(2, 3, dtype=dtype_a, requires_grad=True)
    v1 = torch.randn(2, dtype=dtype1, requires_grad=True)
    v2 = torch.randn(3, dtype=dtype2, requires_grad=True)
    return a, v1, v2


@pytest.mark.parametrize("dtype_a", [torch.float32, torch.float64])
@pytest.mark.parametrize("dtype1", [torch.float32, torch.float64])
@pytest.mark.parametrize("dtype2", [torch.float32, torch.float64])
def test_addr_refuses_a_vector_gradient_when_the_other_vector_is_not_the_result_dtype(dtype_a, dtype1, dtype2):
    a, v1, v2 = _vectors(dtype_a, dtype1, dtype2)
    out = torch.addr(a, v1, v2)
    assert out.grad_fn.name() == "AddrBackward0"
    # the matrix's gradient is always taken
    (ga,) = torch.autograd.grad(out.sum(), [a], retain_graph=True)
    assert ga.dtype == dtype_a
    for vec, other in ((v1, v2), (v2, v1)):
        if other.dtype == out.dtype:
            (g,) = torch.autograd.grad(out.sum(), [vec], retain_graph=True)
            assert g.dtype == vec.dtype
        else:
            with pytest.raises(RuntimeError, match="^addmv input tensors must have the same dtype, but got Float, Double, and Float$"):
                torch.autograd.grad(out.sum(), [vec], retain_graph=True)


def test_addr_with_an_integer_vector_names_long():
    v2 = torch.randn(3, dtype=torch.float64, requires_grad=True)
    out = torch.addr(torch.zeros(2, 3, dtype=torch.float64), torch.tensor([1, 2]), v2)
    with pytest.raises(RuntimeError, match="but got Long, Double, and Long"):
        out.sum().backward()


def test_addr_forward_and_same_dtype_backward_unaffected():
    a, v1, v2 = _vectors(torch.float64, torch.float64, torch.float64)
    out = torch.addr(a, v1, v2, beta=0.5, alpha=2.0)
    out.sum().backward()
    assert torch.allclose(v1.grad, 2.0 * v2.detach().sum().expand(2))
    assert torch.allclose(v2.grad, 2.0 * v1.detach().sum().expand(3))


def test_huber_loss_of_two_dtypes_refuses_each_gradient_naming_the_other_dtype():
    x = torch.randn(4, requires_grad=True)
    y = torch.randn(4, dtype=torch.float64, requires_grad=True)
    loss = F.huber_loss(x, y)
    assert loss.dtype == torch.float32
    with pytest.raises(RuntimeError, match="^Found dtype Double but expected Float$"):
        torch.autograd.grad(loss, [x, y], retain_graph=True)
    with pytest.raises(RuntimeError, match="^Found dtype Float but expected Double$"):
        torch.autograd.grad(loss, [y], retain_graph=True)
    with pytest.raises(RuntimeError, match="^Found dtype Long but expected Float$"):
        F.huber_loss(x, torch.tensor([1, 2, 3, 4])).backward()


def test_huber_loss_of_one_dtype_and_mse_of_two_still_differentiate():
    x = torch.tensor([0.1, 2.0], requires_grad=True)
    y = torch.tensor([0.0, 0.0], requires_grad=True)
    F.huber_loss(x, y, delta=1.0).backward()
    assert x.grad.tolist() == pytest.approx([0.05, 0.5])
    x64 = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    F.mse_loss(torch.tensor([1.0], requires_grad=True), x64).backward()  # PyTorch takes it
    assert x64.grad.item() == pytest.approx(-1.0)
