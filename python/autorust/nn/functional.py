"""``autorust.nn.functional``: stateless activations and losses, composed
from native primitives in their numerically stable forms. Where PyTorch has
a fused op, the result's grad_fn carries the fused op's name."""

import math

from .. import _native
from .._composite import composite, composite_maybe_inplace, refuse_backward, with_scalar
from .._dtype import int64, scalar_name
from ._loss_formulas import _bce_gradient, _bce_with_logits_gradient, _huber_gradient, _mse_gradient, _pair_loss, _smooth_l1_gradient

Tensor = _native.Tensor
_name = _native._set_grad_fn_name


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _not_differentiable(fn, **arguments):
    """PyTorch's refusal of a grad-requiring tensor passed where its op has
    no derivative (a loss's class weights): an exception, never a gradient
    silently dropped."""
    for name, t in arguments.items():
        if t is not None and t.requires_grad and _native.is_grad_enabled():
            raise RuntimeError(
                f"The function '{fn}' is not differentiable with respect to argument '{name}'. This input cannot have requires_grad True."
            )


def _check_same_size(input, target, fn):
    if input.shape != target.shape:
        import warnings

        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


# ---- activations ----


def relu(input, inplace=False):
    if inplace:
        return input.relu_()
    return input.relu()


def relu_(input):
    return input.relu_()


def _fused(input, inplace, name, inplace_name, composed, kind, *params, link=None):
    """A fused activation (one native op, ``Tensor._activation``) for float
    tensors; ``composed``, the same function in basic ops, for the others
    (PyTorch's dtype behaviour). In place, written back as PyTorch's in-place
    variant (node ``inplace_name``)."""
    if not input.is_floating_point():
        return composite_maybe_inplace(input, inplace, name, composed, link=link, inplace_name=inplace_name)
    if inplace:
        return composite_maybe_inplace(input, True, name, lambda x: x._activation(kind, *params), inplace_name=inplace_name)
    return input._activation(kind, *params)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _fused(
        input,
        inplace,
        "LeakyReluBackward0",
        "LeakyReluBackward1",
        lambda x: _native.where(x > 0, x, x * negative_slope),
        "leaky_relu",
        float(negative_slope),
        link=("LeakyReluBackwardBackward0", (0,)),
    )


def gelu(input, approximate="none"):
    if approximate == "tanh":

        def f(x):
            inner = (x + 0.044715 * x.pow(3)) * math.sqrt(2.0 / math.pi)
            return 0.5 * x * (1.0 + inner.tanh())
    elif approximate == "none":

        def f(x):
            return x * 0.5 * (1.0 + (x * (1.0 / math.sqrt(2.0))).erf())
    else:
        raise RuntimeError("approximate argument must be either none or tanh.")
    if input.is_floating_point():
        return input._activation("gelu_tanh" if approximate == "tanh" else "gelu")
    return composite("GeluBackward0", f, input)


def silu(input, inplace=False):
    return _fused(input, inplace, "SiluBackward0", "SiluBackward0", lambda x: x * x.sigmoid(), "silu")


def softplus(input, beta=1.0, threshold=20.0):
    if input.is_floating_point():
        return input._activation("softplus", float(beta), float(threshold))

    def f(t):
        x = t * beta
        # linear above the threshold, as in PyTorch
        return _native.where(x > threshold, t, x._softplus() / beta)

    return composite("SoftplusBackward0", f, input)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return input.log_softmax(dim, dtype=dtype)


def linear(input, weight, bias=None):
    return _native.linear(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """``y = x1^T A x2 + b`` over the last dimension, with PyTorch's graph:
    TrilinearBackward0 on the rows flattened to 2-D, a view back to the
    batch shape, then the bias added."""
    from .. import einsum

    batch1, batch2 = tuple(input1.shape[:-1]), tuple(input2.shape[:-1])
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for d, (n1, n2) in enumerate(zip(batch1, batch2)):
        if n1 != n2:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {n1} and {n2}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, got a {weight.dim()}-d tensor")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected {weight.shape[2]}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {tuple(bias.shape)} but expected {weight.shape[0]}")
    rows1 = input1.reshape(-1, input1.shape[-1]) if input1.dim() != 2 else input1
    rows2 = input2.reshape(-1, input2.shape[-1]) if input2.dim() != 2 else input2
    out = composite("TrilinearBackward0", lambda a, w, b: einsum("ni,oij,nj->no", a, w, b), rows1, weight, rows2)
    out = out.view(*batch1, weight.shape[0])
    return out if bias is None else out + bias


# ---- losses ----


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


# ---- dropout, embedding ----


def dropout(input, p=0.5, training=True, inplace=False):
    from ._functional_more import _dropout_noise

    # PyTorch's order: no draw at p == 1; the mask is a Bernoulli(1 - p)
    # draw divided by 1 - p in the input's dtype
    return _dropout_noise(input, p, training, inplace, tuple(input.shape), False)


def one_hot(tensor, num_classes=-1):
    from .._creation import arange

    if tensor.dtype is not int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() and bool((tensor < 0).any()):
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    elif tensor.numel() and int(tensor.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == arange(num_classes, device=tensor.device)).to(int64)


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


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    if out is None:
        return input / denom
    from .._out import write_out

    return write_out("normalize", input / denom, out, (input,))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    # PyTorch's formula: each input divided by its norm first; the norms are
    # clamped at eps without recording (the gradient ignores the clamp)
    from .._functions import broadcast_tensors
    from .._grad_mode import no_grad

    if x1.shape != x2.shape:
        x1, x2 = broadcast_tensors(x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clone()
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_(min=eps)
        n2.clamp_(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _elu_negative(x, alpha, curve):
    """The negative side of the ELU family; at exactly 0 the straight line of
    the same slope, so that (as PyTorch's elu double backward, which tests
    x < 0) the second derivative there is 0 while the first is the curve's."""
    return _native.where(x < 0, curve, alpha * x)


def elu(input, alpha=1.0, inplace=False):
    return _fused(
        input,
        inplace,
        "EluBackward0",
        "EluBackward1",
        lambda x: _native.where(x > 0, x, _elu_negative(x, alpha, alpha * x.expm1())),
        "elu",
        float(alpha),
        1.0,
        1.0,
    )


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return composite_maybe_inplace(input, inplace, "HardtanhBackward0", lambda x: x.clamp(min_val, max_val), link=("HardtanhBackwardBackward0", (0,)))


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input):
    if input.is_floating_point():
        return input._activation("logsigmoid")
    return composite("LogSigmoidBackward0", lambda x: -(-x)._softplus(), input)


# Convolution/pooling/padding and normalisation live in their own files.
from ._adaptive_max import adaptive_max_pool2d, adaptive_max_pool2d_with_indices, adaptive_max_pool3d, adaptive_max_pool3d_with_indices  # noqa: E402,F401
from ._attention import multi_head_attention_forward  # noqa: E402,F401
from ._conv_pool import (  # noqa: E402,F401
    _pair,
    _tensor_type,
    adaptive_avg_pool2d,
    avg_pool2d,
    conv2d,
    fold,
    max_pool2d,
    max_pool2d_with_indices,
    pad,
    unfold,
)
from ._conv_tbc import conv_tbc  # noqa: E402,F401
from ._ctc_loss import ctc_loss  # noqa: E402,F401
from ._embedding import embedding  # noqa: E402,F401
from ._embedding_bag import embedding_bag  # noqa: E402,F401
from ._fractional_pool import fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d, fractional_max_pool3d_with_indices  # noqa: E402,F401
from ._functional_more import *  # noqa: E402,F401,F403  (activations, 1-d conv/pool, attention, losses)
from ._grid_sample import affine_grid, grid_sample  # noqa: E402,F401
from ._interpolate import interpolate, upsample, upsample_bilinear, upsample_nearest  # noqa: E402,F401
from ._linear_cross_entropy import linear_cross_entropy  # noqa: E402,F401
from ._margin_losses import multilabel_margin_loss, triplet_margin_with_distance_loss  # noqa: E402,F401
from ._normalization import batch_norm, group_norm, layer_norm  # noqa: E402,F401
from ._pool_extra import local_response_norm, lp_pool1d, lp_pool2d, max_unpool1d, max_unpool2d, max_unpool3d  # noqa: E402,F401
from ._volumetric import adaptive_avg_pool3d, avg_pool3d, conv3d, conv_transpose3d, lp_pool3d, max_pool3d, max_pool3d_with_indices  # noqa: E402,F401
