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

__all__ = ["memory_format", "layout", "contiguous_format", "preserve_format", "channels_last", "channels_last_3d", "strided", "sparse_coo", "sparse_csr"]


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
