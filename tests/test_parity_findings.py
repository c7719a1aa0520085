"""The ten findings of the parity issue, each as PyTorch 2.15 behaves
(the expected values were printed by real PyTorch; the generated parity
suite covers the same ground more broadly)."""

import numpy as np
import pytest

import autorust as torch
import autorust.nn as nn
import autorust.nn.functional as F


# ---- 1. dead branches in autograd.grad and backward(inputs=) ----

def _dead_branch_graph():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0], requires_grad=True)
    dead = a * b  # noqa: F841  (a's accumulator exists, but not on out's graph)
    return a, b, (b * b).sum()


def test_dead_branch_input_gets_none_from_grad():
    a, b, out = _dead_branch_graph()
    for _ in range(3):  # the value must not depend on what ran before
        ga, gb = torch.autograd.grad(out, [a, b], allow_unused=True, retain_graph=True)
        assert ga is None
        assert gb.tolist() == [6.0, 8.0]


def test_dead_branch_input_without_allow_unused_raises():
    a, b, out = _dead_branch_graph()
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 0 appears to not have been used in the graph"):
        torch.autograd.grad(out, [a, b])


def test_backward_inputs_skips_the_dead_branch():
    a, b, out = _dead_branch_graph()
    out.backward(inputs=[a, b])
    assert a.grad is None
    assert b.grad.tolist() == [6.0, 8.0]


def test_grad_runs_only_the_part_leading_to_the_inputs():
    # hooks off the path do not fire; an op without a derivative off the path is fine
    calls = []
    p = torch.tensor([1.0], requires_grad=True)
    q = torch.tensor([2.0], requires_grad=True)
    r = p * 2
    r.register_hook(lambda g: calls.append("r"))
    s = q * 3
    s.register_hook(lambda g: calls.append("s"))
    (gp,) = torch.autograd.grad((r + s + q // 2).sum(), [p])
    assert gp.tolist() == [2.0] and calls == ["r"]


def test_retain_grad_fills_grad_under_autograd_grad():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    b.retain_grad()
    c = (b * b).sum()
    (ga,) = torch.autograd.grad(c, [a], retain_graph=True)
    assert ga.tolist() == [18.0, 36.0] and b.grad.tolist() == [6.0, 12.0]
    c.backward(inputs=[b])  # once more into b.grad, a.grad untouched
    assert b.grad.tolist() == [12.0, 24.0] and a.grad is None


def test_hooks_apply_before_the_gradient_is_captured():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    z = (y * y).sum()
    assert torch.autograd.grad(z, [y], retain_graph=True)[0].tolist() == [40.0, 80.0]
    x.register_hook(lambda g: g + 100)
    assert torch.autograd.grad(z, [x])[0].tolist() == [180.0, 260.0]


# ---- 2. second derivatives of piecewise-linear ops ----

@pytest.mark.parametrize("f,node", [
    (lambda x: F.leaky_relu(x, 0.1), "LeakyReluBackwardBackward0"),
    (lambda x: x.relu(), "ThresholdBackwardBackward0"),
    (F.relu, "ThresholdBackwardBackward0"),
])
def test_piecewise_linear_gradient_stays_differentiable(f, node):
    x = torch.tensor([-0.7, 0.3, 1.2], requires_grad=True)
    (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    assert g.requires_grad and type(g.grad_fn).__name__ == node
    g.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_abs_gradient_stays_differentiable():
    x = torch.tensor([-0.7, 0.3, 1.2], requires_grad=True)
    (g,) = torch.autograd.grad(x.abs().sum(), x, create_graph=True)
    (g * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("f", [lambda x: x.clamp(-0.5, 0.5), lambda x: torch.maximum(x, torch.zeros(3)), lambda x: torch.where(x > 0, x, torch.zeros(3)), lambda x: x.masked_fill(x < 0, 0.0)])
def test_gradients_pytorch_leaves_unconnected(f):
    # PyTorch's backward of these is a where/mask on the incoming gradient:
    # the first-order gradient does not require grad
    x = torch.tensor([-0.7, 0.3, 1.2], requires_grad=True)
    (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    assert not g.requires_grad
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        g.sum().backward()


def test_mse_second_derivative():
    x = torch.tensor([-0.7, 0.3, 1.2], requires_grad=True)
    (g,) = torch.autograd.grad(F.mse_loss(x, torch.zeros(3)), x, create_graph=True)
    (g * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 / 3, 4 / 3, 2.0], rtol=1e-6)


# ---- 10. hook handles ----

def test_register_hook_returns_a_removable_handle():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 2)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    y = x * 1
    hy = y.register_hook(lambda g: g * 0)
    hy.remove()
    x.grad = None
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    assert type(h).__name__ == "RemovableHandle"


def test_a_hook_error_reaches_python_as_itself():
    x = torch.tensor([1.0], requires_grad=True)

    def hook(g):
        raise KeyError("from the hook")

    x.register_hook(hook)
    with pytest.raises(KeyError, match="from the hook"):
        (x * 2).sum().backward()


def test_post_accumulate_grad_hook_gets_the_parameter_itself():
    w = nn.Parameter(torch.ones(2))
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append((p is w, p.grad.tolist())))
    (w * 3).sum().backward()
    assert seen == [(True, [3.0, 3.0])]
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)
