"""Losses whose backward is PyTorch's derivative formula (mse_loss_backward,
huber_loss_backward) written in ops, rather than the chain rule through
their composition: under create_graph their second derivatives are then no
function of the inputs, as PyTorch's, and input and target are saved and
version-checked as PyTorch saves them."""

from .. import _native
from .._composite import composite


def _pair_loss(name, loss, input, target, gradient, formula):
    """``loss(input, target)`` as PyTorch's one node ``name``. With
    ``formula`` (and a gradient wanted), its backward is ``gradient()``'s
    function of the incoming gradient, PyTorch's derivative formula written
    in ops, with input and target saved and version-checked; otherwise the
    composition's own chain rule."""
    if not (formula and _native.is_grad_enabled() and (input.requires_grad or target.requires_grad)):
        return composite(name, loss, input, target)
    from .._grad_mode import no_grad

    with no_grad():
        value = loss(input, target)
    return _native._custom_node(value, [input, target], gradient(), name, saved=[input, target])


def _mse_gradient(input, target, reduction):
    """PyTorch's mse_loss_backward, (input - target) * norm * grad with norm
    2 (2 / numel for the mean), written in ops: under create_graph its
    derivative in the inputs is that constant times the incoming gradient,
    no function of the inputs (as PyTorch's MseLossBackwardBackward0)."""
    norm = 2.0 / input.numel() if reduction == "mean" and input.numel() else 2.0

    def gradient(g):
        to_input = (input - target) * norm * g
        return (to_input, -to_input if target.requires_grad else None)

    return gradient


def _huber_gradient(input, target, reduction, delta):
    """PyTorch's huber_loss_backward in ops: norm * x * grad inside
    (-delta, delta), +-norm * grad * delta outside (the edges included), with
    x = input - target and norm 1 (1 / numel for the mean). Under
    create_graph its derivative in the inputs is norm * grad strictly
    inside, 0 outside: no function of the inputs, as PyTorch's."""
    norm = 1.0 / input.numel() if reduction == "mean" and input.numel() else 1.0

    def gradient(g):
        x = input - target
        edge = g * norm * delta
        to_input = _native.where(x <= -delta, -edge, _native.where(x >= delta, edge, x * norm * g))
        return (to_input, -to_input if target.requires_grad else None)

    return gradient
