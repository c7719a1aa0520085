"""``torch.memory_format`` and ``torch.layout`` values, and what autorust
does with them.

Memory formats change strides, never values: ``contiguous_format`` is
row-major, ``channels_last`` (4-D) and ``channels_last_3d`` (5-D) keep the
channel dim innermost; ``preserve_format`` keeps a dense input's strides
where autorust can (it makes row-major copies otherwise). The only layout
autorust has is ``strided``: a sparse layout is refused, never ignored.
"""


class memory_format:  # noqa: N801  (PyTorch's class name)
    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"


class layout:  # noqa: N801
    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
_mkldnn = layout("_mkldnn")

# the permutation whose row-major order is each channels-last format
_CHANNELS_LAST = {channels_last: (4, (0, 2, 3, 1)), channels_last_3d: (5, (0, 2, 3, 4, 1))}

__all__ = [
    "memory_format",
    "layout",
    "contiguous_format",
    "preserve_format",
    "channels_last",
    "channels_last_3d",
    "strided",
    "sparse_coo",
    "sparse_csr",
]


def check_layout(value, fn):
    if value is not None and value is not strided:
        raise NotImplementedError(f"{fn}(): layout={value} is not supported by autorust (only torch.strided)")


def in_format(t, fmt, fn="contiguous"):
    """`t` with the strides of `fmt` (the same values; a copy when they differ)."""
    if fmt is None or fmt is preserve_format:
        return t
    if fmt is contiguous_format:
        return t.contiguous()
    if fmt in _CHANNELS_LAST:
        rank, perm = _CHANNELS_LAST[fmt]
        if t.dim() != rank:
            raise RuntimeError(f"required rank {rank} tensor to use {fmt._name} format")
        if is_in_format(t, fmt):
            return t
        inverse = [perm.index(d) for d in range(rank)]
        from ._composite import composite

        return composite("CloneBackward0", lambda x: x.permute(*perm).contiguous().permute(*inverse), t)
    raise TypeError(f"{fn}(): memory_format must be a torch.memory_format, not {type(fmt).__name__}")


def is_in_format(t, fmt):
    """Tensor.is_contiguous(memory_format=fmt)."""
    if fmt is None or fmt is contiguous_format:
        return t.is_contiguous()
    if fmt in _CHANNELS_LAST:
        rank, perm = _CHANNELS_LAST[fmt]
        if t.dim() != rank:
            return False
        expected = 1
        for d in reversed(perm):
            if t.shape[d] != 1 and t.stride(d) != expected:
                return False
            expected *= t.shape[d]
        return True
    raise RuntimeError(f"is_contiguous: unsupported memory format {fmt}")


def _dense_order(shape, strides):
    """The dims of a strided tensor from innermost to outermost in memory,
    as PyTorch's ``empty_like(preserve_format)`` infers them: a stable
    insertion sort by stride (equal strides: the larger dim outside; a zero
    stride compares as a tie, so expanded dims keep their row-major place)."""
    order = list(range(len(shape)))[::-1]

    def outside(a, b):  # 1: dim a belongs outside dim b, -1: inside, 0: tie
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa != sb:
            return 1 if sa > sb else -1
        return 1 if shape[a] > shape[b] else 0

    for i in range(1, len(order)):
        moving = i
        for j in range(i - 1, -1, -1):
            cmp = outside(order[j], order[moving])
            if cmp > 0:
                order[j], order[moving] = order[moving], order[j]
                moving = j
            elif cmp < 0:
                break
    return order


def like_order(input, fmt, fn):
    """The memory order (outermost dim first) of a ``*_like(input,
    memory_format=fmt)`` result, or None when it is row-major. PyTorch
    fills such a result in memory order, so random ``*_like`` draws are
    made in this order and then permuted into place."""
    if fmt is None or fmt is preserve_format:
        order = _dense_order(tuple(input.shape), input.stride())[::-1]
    elif fmt is contiguous_format:
        return None
    elif fmt in _CHANNELS_LAST:
        rank, order = _CHANNELS_LAST[fmt]
        if input.dim() != rank:
            raise RuntimeError(f"required rank {rank} tensor to use {fmt._name} format")
        order = list(order)
    else:
        raise TypeError(f"{fn}(): memory_format must be a torch.memory_format, not {type(fmt).__name__}")
    moved = [d for d in order if input.shape[d] != 1]
    return None if moved == sorted(moved) else order
