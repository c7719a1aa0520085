"""``F.embedding``: rows of a weight matrix looked up by index, as
PyTorch's one EmbeddingBackward0 node (with ``max_norm``'s in-place
renormalisation, ``padding_idx``'s ungraded row, and ``scale_grad_by_freq``'s
per-index gradient scaling)."""

from .. import _native
from .._composite import composite
from .._dtype import int64
from ._conv_pool import _tensor_type


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    if input.dtype is not int64:
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {_tensor_type(input)} instead (while checking arguments for embedding)"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    flat = input.reshape(-1)
    # on the GPU, index_select reads the indices back and checks them itself
    if not flat.is_cuda and flat.numel() and bool(((flat < 0) | (flat >= weight.shape[0])).any()):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        from .._grad_mode import no_grad

        with no_grad():
            rows = flat.unique() if hasattr(flat, "unique") else flat
            sel = weight.index_select(0, rows)
            norms = sel.norm(norm_type, 1, keepdim=True)
            scale = _native.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight[rows] = sel * scale
    if scale_grad_by_freq and _native._needs_node([weight]):
        return _embedding_scaled_by_freq(input, flat, weight, padding_idx)

    def lookup(w):
        out = w.index_select(0, flat)
        if padding_idx is not None and out.requires_grad:
            # the padding row gets no gradient
            pad_rows = (flat == padding_idx).unsqueeze(1)
            out = _native.where(pad_rows, out.detach(), out)
        return out.reshape(list(input.shape) + [w.shape[1]])

    return composite("EmbeddingBackward0", lookup, weight)


def _embedding_scaled_by_freq(input, flat, weight, padding_idx):
    """embedding with PyTorch's scale_grad_by_freq backward: each looked-up
    row's gradient divided by how often its index occurs in the batch (the
    padding row gets none)."""
    from .._grad_mode import no_grad

    with no_grad():
        value = weight.index_select(0, flat).reshape(list(input.shape) + [weight.shape[1]])
        counts = weight.new_zeros(weight.shape[0]).index_add(0, flat, weight.new_ones(flat.numel()))

    def gradient(g):
        rows = g.reshape(-1, weight.shape[1]) / counts.index_select(0, flat).unsqueeze(1)
        if padding_idx is not None:
            rows = _native.where((flat == padding_idx).unsqueeze(1), 0.0, rows)
        return (weight.new_zeros(weight.shape).index_add(0, flat, rows),)

    # (the node saves the indices, as PyTorch's: a second backward raises)
    return _native._custom_node(value, [weight], gradient, "EmbeddingBackward0", saved=[input])


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
