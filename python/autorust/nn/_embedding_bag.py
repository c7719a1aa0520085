"""``F.embedding_bag``: the sum, mean or max of the embedding rows of each
bag (the rows of a 2-D input, or the runs of a 1-D input that ``offsets``
starts), in one node; ``padding_idx`` entries are skipped (and not
counted in a mean), ``per_sample_weights`` scale the rows of a sum, an
empty bag gives zeros."""

import numpy as np

from .. import _native
from .._composite import composite
from .._dtype import int64

Tensor = _native.Tensor


def _bags(input, offsets, include_last_offset):
    """(flat indices, the bag of each, bag count)."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. However, found offsets of type {type(offsets)}"
            )
        bags, length = input.shape
        return input.reshape(-1), np.repeat(np.arange(bags), length), bags
    if input.dim() != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    starts = [int(v) for v in offsets.cpu().tolist()]
    if starts and starts[0] != 0:
        raise RuntimeError(
            f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got {starts[0]}\n[ torch.LongTensor{{}} ]"
        )
    n = input.shape[0]
    if include_last_offset:
        starts, end = starts[:-1], (starts[-1] if starts else n)
    else:
        end = n
    if any(b < a for a, b in zip(starts, starts[1:])) or (starts and starts[-1] > end):
        raise RuntimeError("offsets must be in non-decreasing order and within the input")
    bag_of = np.searchsorted(np.asarray(starts), np.arange(end), side="right") - 1
    return input[:end], bag_of, len(starts)


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    from .._creation import tensor

    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max. Got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='{mode}'). Please open a feature request on GitHub."
        )
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, then it must have the same shape as the input ({tuple(input.shape)})"
        )
    if max_norm is not None or scale_grad_by_freq:
        raise NotImplementedError("embedding_bag: max_norm and scale_grad_by_freq are not supported by autorust")
    if input.dtype is not int64:
        raise RuntimeError(f"embedding_bag: expected input of dtype Long, got {input.dtype}")
    flat, bag_of, bags = _bags(input, offsets, include_last_offset)
    index = flat.cpu().numpy()
    if index.size and (index.min() < 0 or index.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    keep = index != padding_idx if padding_idx is not None else np.ones(index.shape, bool)
    rows_index = tensor(index[keep], dtype=int64, device=weight.device)
    bag_index = tensor(bag_of[keep], dtype=int64, device=weight.device)
    counts = np.bincount(bag_of[keep], minlength=bags)
    kept = tensor(np.nonzero(keep)[0], dtype=int64, device=weight.device)

    def bag(w, s):
        rows = w.index_select(0, rows_index)
        if s is not None:
            rows = rows * s.reshape(-1).index_select(0, kept).unsqueeze(1)
        if mode == "max":
            members = [np.nonzero(bag_of[keep] == b)[0] for b in range(bags)]
            return _native.stack(
                [rows.index_select(0, tensor(m, dtype=int64, device=w.device)).amax(0) if len(m) else w.new_zeros(w.shape[1]) for m in members], 0
            )
        out = w.new_zeros(bags, w.shape[1]).index_add(0, bag_index, rows)
        if mode == "mean":
            out = out / tensor(np.maximum(counts, 1), dtype=w.dtype, device=w.device).unsqueeze(1)
        return out

    # the node's inputs as PyTorch's: the weight and the per-sample weights
    # (None when not given)
    return composite("EmbeddingBagBackward0", bag, weight, per_sample_weights)
