"""Margin losses composed from tensor ops: the triplet loss with any
distance, and the multi-label margin loss."""

from .. import _native
from .._composite import composite, with_scalar
from ._activations import logsigmoid, softplus
from ._distance import pairwise_distance
from ._reduction import _legacy_reduction, _not_differentiable, _reduce


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs"
        )
    distance = distance_function if distance_function is not None else pairwise_distance
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance(positive, negative))
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Per sample: the sum over its target classes j (the indices before the
    first -1) and the other classes i of max(0, 1 - (x[j] - x[i])), over
    the class count."""

    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.dim() not in (1, 2) or tuple(input.shape) != tuple(target.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    x = input if input.dim() == 2 else input.unsqueeze(0)
    t = target if target.dim() == 2 else target.unsqueeze(0)
    classes = x.shape[1]
    if t.numel() and (int(t.max()) >= classes or int(t.min()) < -1):
        raise RuntimeError("multilabel_margin_loss: a target index is out of range")
    # the target classes of each sample: its indices before the first -1
    valid = (t >= 0).long().cumprod(1).bool()
    rows = t.clamp(min=0)
    is_target = t.new_zeros(t.shape).scatter_add(1, rows, valid.long()) > 0
    pairs = valid.unsqueeze(2) & ~is_target.unsqueeze(1)  # [N, target slot, class]

    def loss_of(v):
        v = v if v.dim() == 2 else v.unsqueeze(0)
        picked = v.gather(1, rows)  # x[target_j] per slot
        margins = (1 - picked.unsqueeze(2) + v.unsqueeze(1)).clamp_min(0)
        loss = (margins * pairs.to(v.dtype)).sum((1, 2)) / classes
        # the reduction inside the node, as PyTorch's kernel
        return _reduce(loss.squeeze(0) if input.dim() == 1 else loss, reduction)

    # PyTorch has no derivative of this loss's backward: the next order raises
    return composite("MultilabelMarginLossBackward0", loss_of, input, link=("NotImplemented:multilabel_margin_loss_backward", (0,)))


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):

    reduction = _legacy_reduction(size_average, reduce, reduction)
    # PyTorch's graph: (-target * (input1 - input2) + margin).clamp_min(0)
    unclamped = with_scalar(-target * (input1 - input2) + margin, "AddBackward1")
    return _reduce(unclamped.clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):

    reduction = _legacy_reduction(size_average, reduce, reduction)
    # PyTorch's graph: where(target != 1, (margin - input).clamp_min(0), 0)
    # + where(target != -1, input, 0), margin a 0-d constant
    from .._creation import full, zeros_like

    zeros = zeros_like(input)
    margin_clamp = (full((), margin, dtype=input.dtype, device=input.device) - input).clamp_min(0)
    loss = _native.where(target != 1, margin_clamp, zeros) + _native.where(target != -1, input, zeros)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):

    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.requires_grad:
        raise RuntimeError(
            "The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. This input cannot have requires_grad True."
        )
    # the loss is written in the input's dtype, as PyTorch's
    return composite(
        "SoftMarginLossBackward0",
        lambda x: _reduce(softplus(-target * x), reduction).to(x.dtype),
        input,
        link=("SoftMarginLossBackwardBackward0", (0,)),
    )


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):

    reduction = _legacy_reduction(size_average, reduce, reduction)

    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    # a sum over the classes divided by their count, as PyTorch (its graph)
    return _reduce(loss.sum(dim=input.dim() - 1) / input.shape[-1], reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    from .._creation import full, zeros_like

    reduction = _legacy_reduction(size_average, reduce, reduction)
    # PyTorch's construction: one square root of the product of the squared
    # norms (each plus 1e-12); 1 - cos where target is 1, max(cos - margin, 0)
    # where it is -1, and 0 elsewhere
    dim = 0 if input1.dim() == 1 else 1
    prod_sum = (input1 * input2).sum(dim)
    mag_square1 = with_scalar((input1 * input1).sum(dim) + 1e-12, "AddBackward1")
    mag_square2 = with_scalar((input2 * input2).sum(dim) + 1e-12, "AddBackward1")
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = zeros_like(cos)
    pos = full((), 1, dtype=cos.dtype, device=cos.device) - cos
    neg = with_scalar(cos - margin, "SubBackward1").clamp_min(0)
    loss = _native.where(target == 1, pos, zeros) + _native.where(target == -1, neg, zeros)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):

    reduction = _legacy_reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    # PyTorch's order: clamp_min(margin + d_pos - d_neg, 0)
    return _reduce((with_scalar(margin + d_pos, "AddBackward1") - d_neg).clamp_min(0), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):

    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    _not_differentiable("multi_margin_loss", weight=weight)

    def loss_of(input):
        x = input if input.dim() == 2 else input.unsqueeze(0)
        t = target.reshape(-1, 1)
        picked = x.gather(1, t)
        terms = (margin - picked + x).clamp(min=0)
        if p == 2:
            terms = terms * terms
        if weight is not None:
            terms = terms * weight[target.reshape(-1)].reshape(-1, 1)
        mask = x.new_ones(*x.shape).scatter(1, t, 0.0)
        loss = (terms * mask).sum(1) / x.shape[1]
        if input.dim() == 1:
            loss = loss.squeeze(0)
        return _reduce(loss, reduction)

    # PyTorch has no derivative of this loss's backward: the next order raises
    return composite("MultiMarginLossBackward0", loss_of, input, link=("NotImplemented:multi_margin_loss_backward", (0,)))
