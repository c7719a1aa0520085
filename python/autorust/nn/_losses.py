"""The regression, likelihood and classification losses of ``nn.functional``
(the margin losses are in ``_margin_losses``), each one node with
PyTorch's grad_fn name."""

import math

from .. import _native
from .._composite import composite, refuse_backward, with_scalar
from .._dtype import int64, scalar_name
from .._grad_mode import no_grad
from ._loss_formulas import _bce_gradient, _bce_with_logits_gradient, _huber_gradient, _mse_gradient, _pair_loss, _smooth_l1_gradient
from ._reduction import _check_same_size, _legacy_reduction, _not_differentiable, _reduce

Tensor = _native.Tensor


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_same_size(input, target, "mse_loss")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _native_broadcast(input, target)
    if weight is not None:
        return _weighted_loss((input - target).pow(2), weight, input, reduction)
    loss = lambda x, y: _reduce((x - y).square(), reduction)  # noqa: E731
    return _pair_loss(
        "MseLossBackward0",
        loss,
        input,
        target,
        lambda: _mse_gradient(input, target, reduction),
        input.is_floating_point(),
        ("MseLossBackwardBackward0",) * 2,
    )


def _native_broadcast(a, b):
    """PyTorch's losses broadcast input and target first (ExpandBackward0
    nodes when the shapes differ)."""
    if a.shape == b.shape:
        return a, b
    from .._functions import broadcast_tensors

    return broadcast_tensors(a, b)


def _weighted_loss(errors, weight, input, reduction):
    """The weighted form PyTorch's mse_loss/l1_loss/huber_loss compute in Python."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    weighted = errors * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_same_size(input, target, "l1_loss")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _native_broadcast(input, target)
    if weight is not None:
        return _weighted_loss((input - target).abs(), weight, input, reduction)
    # PyTorch's l1_loss is itself a composition: MeanBackward0(AbsBackward0(SubBackward0))
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _check_same_size(input, target, "smooth_l1_loss")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _native_broadcast(input, target)

    def loss(x, y):
        if beta == 0:
            return _reduce((x - y).abs(), reduction)
        return _reduce(_pair_errors("smooth_l1", x, y, beta, lambda d: _native.where(d < beta, 0.5 * d.square() / beta, d - 0.5 * beta)), reduction)

    # beta 0 is l1_loss, whose composition's chain rule is PyTorch's derivative
    formula = beta > 0 and input.dtype == target.dtype and input.is_floating_point()
    return _pair_loss(
        "SmoothL1LossBackward0",
        loss,
        input,
        target,
        lambda: _smooth_l1_gradient(input, target, reduction, beta),
        formula,
        ("SmoothL1LossBackwardBackward0",) * 2,
    )


def _pair_errors(kind, x, y, threshold, compose):
    """The per-element loss: the one-pass kernel where no graph is being
    recorded through it (and it applies), else ``compose(|x - y|)``."""
    if not (_native.is_grad_enabled() and (x.requires_grad or y.requires_grad)):
        fast = _native._pair_loss(kind, x, y, float(threshold))
        if fast is not None:
            return fast
    return compose((x - y).abs())


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _check_same_size(input, target, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target = _native_broadcast(input, target)

    def errors(x, y):
        return _pair_errors("huber", x, y, delta, lambda d: _native.where(d < delta, 0.5 * d.square(), delta * (d - 0.5 * delta)))

    if weight is not None:
        return _weighted_loss(errors(input, target), weight, input, reduction)

    def huber(x, y):
        if x.dtype != y.dtype:
            # PyTorch's backward kernel refuses operands of two dtypes
            x_name, y_name = scalar_name(x.dtype), scalar_name(y.dtype)
            y = refuse_backward(y, f"Found dtype {x_name} but expected {y_name}")
            x = refuse_backward(x, f"Found dtype {y_name} but expected {x_name}")
        # PyTorch writes the loss in the input's dtype
        return _reduce(errors(x, y), reduction).to(x.dtype)

    # mixed dtypes keep the composition, whose backward refuses them as PyTorch's
    formula = input.dtype == target.dtype and input.is_floating_point()
    return _pair_loss(
        "HuberLossBackward0",
        huber,
        input,
        target,
        lambda: _huber_gradient(input, target, reduction, delta),
        formula,
        ("HuberLossBackwardBackward0",) * 2,
    )


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.shape != target.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) is deprecated. Please ensure they have the same size."
        )
    # PyTorch checks both, input first; NaN is outside [0, 1] too
    for name, t in (("input", input), ("target", target)):
        v = t.detach()
        if bool(~((v >= 0) & (v <= 1)).all()):
            raise RuntimeError(f"all elements of {name} should be between 0 and 1")
    _not_differentiable("binary_cross_entropy", weight=weight)
    if weight is not None and weight.shape != input.shape:
        weight = weight.expand(*input.shape)

    def bce(x, t):
        # PyTorch clamps the logs at -100 so that 0 and 1 inputs stay finite.
        log_p = x.log().clamp(min=-100)
        log_1p = (1 - x).log().clamp(min=-100)
        loss = -(t * log_p + (1 - t) * log_1p)
        # PyTorch writes the loss in the input's dtype
        return _reduce(loss if weight is None else loss * weight, reduction).to(x.dtype)

    # the weight is a constant of the node (PyTorch lists self and target);
    # in one float dtype the backward is PyTorch's formula
    formula = input.dtype == target.dtype and input.is_floating_point()
    return _pair_loss(
        "BinaryCrossEntropyBackward0",
        bce,
        input,
        target,
        lambda: _bce_gradient(input, target, weight, reduction),
        formula,
        ("BinaryCrossEntropyBackwardBackward0", None),
    )


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.shape != target.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    _not_differentiable("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)

    def bce(x, t, w, pw):
        # log(1 + e^-x) = softplus(-x), stable, with a smooth gradient at 0
        log_sig_neg = (-x)._softplus()
        if pw is not None:
            loss = (1 - t) * x + (1 + (pw - 1) * t) * log_sig_neg
        else:
            loss = (1 - t) * x + log_sig_neg
        return _reduce(loss if w is None else loss * w, reduction)

    # the weights are constants of the node (PyTorch lists self and target)
    # PyTorch computes in place on (1 - target): the loss has the target's dtype
    def loss(x, t):
        if weight is None and pos_weight is None and not (_native.is_grad_enabled() and (x.requires_grad or t.requires_grad)):
            fast = _native._bce_with_logits(x, t)  # one pass, the composition's rounding
            if fast is not None:
                return _reduce(fast, reduction)
        return bce(x, t, weight, pos_weight).to(t.dtype if t.dtype.is_floating_point else x.dtype)

    # without weights and in one float dtype: PyTorch's backward formula
    formula = weight is None and pos_weight is None and input.dtype == target.dtype and input.is_floating_point()
    return _pair_loss(
        "BinaryCrossEntropyWithLogitsBackward0", loss, input, target, lambda: _bce_with_logits_gradient(input, target, reduction), formula
    )


def _arange_cached(c):
    from .._creation import arange

    return arange(c)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if target.dtype is not int64:
        from .._dtype import scalar_name

        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {scalar_name(target.dtype)}")
    _not_differentiable("nll_loss_forward", weight=weight)
    if input.dim() > 2:
        return _nll_loss_nd(input, target, weight, ignore_index, reduction)
    return composite(
        "NllLossBackward0", lambda x: _nll_loss(x, target, weight, ignore_index, reduction), input, link=("NllLossBackwardBackward0", (0,))
    )


def _nll_loss(input, target, weight, ignore_index, reduction):
    if input.dim() == 1:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
        squeeze = True
    else:
        squeeze = False
    n, c = input.shape[0], input.shape[1]
    if target.shape[0] != n:
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size ({target.shape[0]}).")
    valid = target != ignore_index
    safe = _native.where(valid, target, 0)
    if input.is_cuda:
        # checked on the GPU, reported at the next synchronisation: no readback per step
        from ..wgpu import _check_on_device

        _check_on_device(
            (safe >= 0) & (safe < c), f"IndexError: a target is out of bounds in nll_loss/cross_entropy (expected 0 <= target < {c} or ignore_index)"
        )
    elif bool(((safe < 0) | (safe >= c)).any()):
        raise IndexError(f"Target {int(safe[(safe < 0) | (safe >= c)][0])} is out of bounds.")
    if input.is_cuda:
        # gather's indices (and its scatter-add gradient's) travel through
        # the host, a readback per step; a one-hot product picks the same
        # values and stays on the device
        classes = _native._to_device(_arange_cached(c), "wgpu")
        picked = -(input * (safe.unsqueeze(1) == classes).to(input.dtype)).sum(1)
    else:
        picked = -input.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = valid.to(input.dtype)
    if weight is not None:
        w = w * weight[safe]
    loss = picked * w
    if squeeze and reduction == "none":
        loss = loss.squeeze(0)
    if reduction == "mean":
        # weighted mean: divided by the total weight of the counted targets
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean", label_smoothing=0.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(input.shape) == tuple(target.shape):
        # PyTorch reads a target of the input's shape as class probabilities
        if not target.dtype.is_floating_point:
            from .._dtype import scalar_name

            raise RuntimeError(f"Expected floating point type for target with class probabilities, got {scalar_name(target.dtype)}")
        if input.dim() == 0:
            from .._dims import no_dims_error

            raise no_dims_error(1)
    if not target.dtype.is_floating_point:
        # class indices go through nll_loss (with probabilities the weight is differentiable)
        _not_differentiable("nll_loss_forward", weight=weight)
    # PyTorch's composition, so the graph shows its nodes: log_softmax,
    # then nll_loss (class indices) or a weighted sum (probabilities)
    class_dim = 0 if input.dim() == 1 else 1
    logp = input.log_softmax(class_dim)
    c = input.shape[class_dim]
    if target.dtype.is_floating_point:
        return _cross_entropy_probabilities(logp, target, weight, reduction, label_smoothing, class_dim, c)
    if input.dim() > 2:
        nll = _nll_loss_nd(logp, target, weight, ignore_index, reduction)
    else:
        nll = nll_loss(logp, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return nll
    ignore_mask = target == ignore_index
    if weight is None:
        smooth = -logp.sum(class_dim)
    else:
        shape = [1] * logp.dim()
        shape[class_dim] = c
        smooth = -(logp * weight.reshape(shape)).sum(class_dim)
    smooth = smooth.masked_fill(ignore_mask, 0.0)
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / (~ignore_mask).sum()
        else:
            smooth = smooth.sum() / weight.gather(0, target.masked_select(~ignore_mask).flatten()).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return with_scalar(nll * (1 - label_smoothing), "MulBackward1") + with_scalar(smooth * (label_smoothing / c), "MulBackward1")


def _nll_loss_nd(logp, target, weight, ignore_index, reduction):
    """nll_loss of [N, C, d1, ...] log-probabilities as PyTorch records it:
    one NllLoss2DBackward0 node over a 4-d view of the input."""
    n, c = logp.shape[0], logp.shape[1]
    if target.shape[0] != n:
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size ({target.shape[0]}).")
    if logp.dim() == 4 and target.dim() != 3:
        raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of dimension: {target.dim()}")
    if tuple(target.shape) != (n, *logp.shape[2:]):
        raise RuntimeError(f"Expected target size {[n, *logp.shape[2:]]}, got {list(target.shape)}")
    if logp.dim() != 4:
        logp, target4 = logp.reshape(n, c, 1, -1), target.reshape(n, 1, -1)
    else:
        target4 = target

    def nll2d(x):
        # [N, C, h, w] -> [N * h * w, C]
        flat = x.movedim(1, -1).reshape(-1, c)
        out = _nll_loss(flat, target4.reshape(-1), weight, ignore_index, reduction)
        return out.reshape(target4.shape) if reduction == "none" else out

    out = composite("NllLoss2DBackward0", nll2d, logp, link=("NllLoss2DBackwardBackward0", (0,)))
    if reduction == "none" and tuple(out.shape) != tuple(target.shape):
        out = out.reshape(target.shape)
    return out


def _cross_entropy_probabilities(logp, target, weight, reduction, label_smoothing, class_dim, c):
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    if weight is not None:
        shape = [1] * logp.dim()
        shape[class_dim] = c
        target = target * weight.reshape(shape)
    if reduction == "mean":
        out = -(logp * target).sum()
        if logp.numel() == 0:
            return out * float("nan")
        return with_scalar(out / (logp.numel() / c), "DivBackward1")
    if reduction == "sum":
        return -(logp * target).sum()
    if reduction == "none":
        return -(logp * target).sum(class_dim)
    raise ValueError(f"{reduction} is not a valid value for reduction")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean":
        import warnings

        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # PyTorch's xlogy(target, target) - target * input: 0 * log(0) = 0
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        out = loss.sum() / input.shape[0] if input.dim() else loss.sum()
    else:
        out = _reduce(loss, reduction)
    return out


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):

    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.clamp(min=1).log() - target + 0.5 * (2 * math.pi * target.clamp(min=1)).log()
        loss = loss + _native.where(target > 1, stirling, stirling * 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if not isinstance(var, _native.Tensor):
        from .._creation import full as _full

        var = _full(input.shape, float(var), dtype=input.dtype, device=input.device)
    if tuple(var.shape) != tuple(input.shape):
        # one dim short (or a trailing 1): the same variance across the last dim
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.dim() and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    # PyTorch clamps a copy without recording it: the gradient passes the
    # clamp as if it were not there
    v = var.clone()
    with no_grad():
        v.clamp_(min=eps)
    loss = 0.5 * (v.log() + (input - target) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
