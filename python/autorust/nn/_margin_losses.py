"""Margin losses composed from tensor ops: the triplet loss with any
distance, and the multi-label margin loss."""

from .._composite import composite
from .functional import _reduce


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
    from ._functional_more import pairwise_distance

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
    from .functional import _legacy_reduction

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
