"""Losses whose backward is PyTorch's derivative formula (mse_loss_backward,
huber_loss_backward, smooth_l1_loss_backward) written in ops (huber and
smooth-L1 run a one-pass kernel instead when create_graph is off), rather
than the chain rule through their composition: under create_graph their
second derivatives are then no function of the inputs, as PyTorch's, and
input and target are saved and version-checked as PyTorch saves them."""

from .. import _native
from .._composite import composite, with_scalar


def _pair_loss(name, loss, input, target, gradient, formula, kernels=(None, None)):
    """``loss(input, target)`` as PyTorch's one node ``name``. With
    ``formula`` (and a gradient wanted), its backward is ``gradient()``'s
    function of the incoming gradient, PyTorch's derivative formula written
    in ops, with input and target saved and version-checked; otherwise the
    composition's own chain rule. ``kernels``: the node PyTorch's backward
    kernel records for each gradient under create_graph (None where PyTorch's
    gradient is a formula in ordinary ops), shown as that node."""
    if not (formula and _native._needs_node([input, target])):
        return composite(name, loss, input, target)
    from .._grad_mode import no_grad

    with no_grad():
        value = loss(input, target)
    return _native._custom_node(value, [input, target], _as_kernel_nodes(gradient(), kernels, input, target), name, saved=[input, target])


def _as_kernel_nodes(gradient, kernels, input, target):
    """``gradient``, its results (under create_graph) each shown as the
    node of PyTorch's backward kernel over the incoming gradient and the
    saved input and target: one node whose derivatives flow through the
    result's own computation (the input and target edges carry zero)."""

    def named(g):
        grads = gradient(g)
        if not _native.is_grad_enabled():
            return grads
        return tuple(
            t if t is None or kernel is None else composite(kernel, lambda t, x, y: t * 1, t, input, target) for t, kernel in zip(grads, kernels)
        )

    return named


def _wanted(t):
    """Whether a formula must give ``t`` a gradient: it requires grad, or
    it carries a forward-AD tangent (whose product is computed through
    this formula, see src/forward_ad.rs)."""
    return t.requires_grad or _native._has_tangent(t)


def _mse_gradient(input, target, reduction):
    """PyTorch's mse_loss_backward, (input - target) * norm * grad with norm
    2 (2 / numel for the mean), written in ops: under create_graph its
    derivative in the inputs is that constant times the incoming gradient,
    no function of the inputs (as PyTorch's MseLossBackwardBackward0)."""
    norm = 2.0 / input.numel() if reduction == "mean" and input.numel() else 2.0

    def gradient(g):
        to_input = (input - target) * norm * g
        return (to_input, -to_input if _wanted(target) else None)

    return gradient


def _bce_with_logits_gradient(input, target, reduction):
    """PyTorch's binary_cross_entropy_with_logits_backward and its target
    backward without weights, in ops: (sigmoid(x) - t) * grad for the
    input, -x * grad for the target, each divided by numel for the mean
    (one node; the composition's chain rule took twice the passes and
    rounded otherwise)."""
    n = input.numel()
    mean = reduction == "mean" and n > 0

    def gradient(g):
        to_input = (input.sigmoid() - target) * g if _wanted(input) else None
        to_target = (-input) * g if _wanted(target) else None
        if mean:
            # (PyTorch divides by the count, a Scalar: DivBackward1 under create_graph)
            to_input = None if to_input is None else with_scalar(to_input / n, "DivBackward1")
            to_target = None if to_target is None else with_scalar(to_target / n, "DivBackward1")
        return (to_input, to_target)

    return gradient


# PyTorch's EPSILON of 1e-12 is a float constant in its kernel, for
# float64 too (the ratio to a double 1e-12 is 1 + 4e-9, which shows in the
# gradient of a saturated input)
_BCE_EPSILON = 9.999999960041972e-13


def _bce_gradient(input, target, weight, reduction):
    """PyTorch's binary_cross_entropy_backward and its target backward, in
    ops: grad * (x - t) / max(x * (1 - x), eps) for the input and
    -grad * logit(x) for the target, each times the weight and divided by
    numel for the mean. The composition's chain rule differs where the
    forward clamps its logs at -100: a saturated x of exactly 1 (or 0) with
    a matching target gave 0 * inf = NaN there, PyTorch's formula 0."""

    def gradient(g):
        to_input = _bce_input_gradient(g, input, target, weight, reduction) if _wanted(input) else None
        to_target = None
        if _wanted(target):
            to_target = _weighted_mean(-g * (input.log() - (-input).log1p()), weight, reduction, input.numel())
        return (to_input, to_target)

    return gradient


def _weighted_mean(grad, weight, reduction, n):
    """A loss gradient times the weight, divided by numel for the mean."""
    if weight is not None:
        grad = grad * weight
    return grad / n if reduction == "mean" and n > 0 else grad


def _bce_input_gradient(g, x, t, weight, reduction):
    """binary_cross_entropy's input gradient; under create_graph one node,
    BinaryCrossEntropyBackwardBackward0, whose own derivatives are PyTorch's
    double-backward formulas (their 1e-12 sits inside the squares, not in a
    clamp: near saturation the chain rule through the clamp differs in the
    eighth digit). PyTorch's 1e-12 is a double here, a float in the first
    order's kernel."""
    n = x.numel()

    def first(g, x, t):
        return _weighted_mean(g * (x - t) / (x * (1 - x)).clamp(min=_BCE_EPSILON), weight, reduction, n)

    inputs = [g, x, t]
    if not (_native.is_grad_enabled() and _native._needs_node(inputs)):
        return first(g, x, t)
    from .._grad_mode import no_grad

    with no_grad():
        value = first(g, x, t)

    def second(gg):
        # PyTorch's binary_cross_entropy_double_backward{,_grad_output,_target}
        denom = (x + 1e-12) * (1 - x + 1e-12)
        to_g = to_x = to_t = None
        if _wanted(g):
            to_g = _weighted_mean((x - t) / denom * gg, weight, reduction, n)
            if reduction != "none":
                to_g = to_g.sum()
        if _wanted(x):
            to_x = _weighted_mean((x * x - 2 * x * t + t) / (denom * denom) * (gg * g), weight, reduction, n)
        if _wanted(t):
            # (the target's formula clamps its denominator instead)
            to_t = _weighted_mean(-gg * g / (x * (1 - x)).clamp(min=1e-12), weight, reduction, n)
        return (to_g, to_x, to_t)

    return _native._custom_node(value, inputs, second, "BinaryCrossEntropyBackwardBackward0", saved=inputs)


def _huber_gradient(input, target, reduction, delta):
    """PyTorch's huber_loss_backward in ops: norm * x * grad inside
    (-delta, delta), +-norm * grad * delta outside (the edges included), with
    x = input - target and norm 1 (1 / numel for the mean). Under
    create_graph its derivative in the inputs is norm * grad strictly
    inside, 0 outside: no function of the inputs, as PyTorch's."""
    return _piecewise_gradient("huber", input, target, reduction, delta, lambda g, norm: g * norm * delta, lambda x, g, norm: x * norm * g)


def _smooth_l1_gradient(input, target, reduction, beta):
    """PyTorch's smooth_l1_loss_backward in ops (beta > 0): norm * x * grad
    / beta inside (-beta, beta), +-norm * grad outside, with x = input -
    target and norm 1 (1 / numel for the mean). Under create_graph its
    derivative in the inputs is norm * grad / beta strictly inside, 0
    outside, as PyTorch's."""
    return _piecewise_gradient("smooth_l1", input, target, reduction, beta, lambda g, norm: g * norm, lambda x, g, norm: x * norm * g / beta)


def _piecewise_gradient(kind, input, target, reduction, threshold, edge, inside):
    """The backward of a loss that is ``inside(x, g, norm)`` within
    (-threshold, threshold) and ``+-edge(g, norm)`` outside (the edges
    included), x = input - target: the one-pass kernel ``kind`` when it
    applies, else these formulas in ops (differentiable under create_graph)."""
    norm = 1.0 / input.numel() if reduction == "mean" and input.numel() else 1.0

    def gradient(g):
        fast = _fast_gradient(kind, input, target, g, norm, threshold)
        if fast is not None:
            return fast
        x = input - target
        e = edge(g, norm)
        to_input = _native.where(x <= -threshold, -e, _native.where(x >= threshold, e, inside(x, g, norm)))
        return (to_input, -to_input if _wanted(target) else None)

    return gradient


def _fast_gradient(kind, input, target, g, norm, threshold):
    """(input's, target's) gradients from the one-pass kernel when no graph
    of the backward is being recorded (create_graph off) and it applies,
    else None."""
    if _native.is_grad_enabled():
        return None
    x, y, norm, threshold = input.detach(), target.detach(), float(norm), float(threshold)
    to_input = _native._pair_loss_gradient(kind, x, y, g, norm, threshold)
    if to_input is None or not _wanted(target):
        return None if to_input is None else (to_input, None)
    # PyTorch runs the same backward with the operands swapped for the
    # target (not a negation: where they are equal, both zeros take the
    # sign of norm * grad)
    return (to_input, _native._pair_loss_gradient(kind, y, x, g, norm, threshold))
