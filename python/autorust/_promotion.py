"""``torch.result_type`` and ``torch.promote_types``: PyTorch's type
promotion, asked of the native kernels themselves (an add of one-element
probes that keep each operand's category: a dimensioned tensor, a 0-d
tensor, a Python number), so the answer is what the ops compute."""

from . import _native

__all__ = ["common_dtype", "promote_types", "result_type"]


def _probe(x):
    if isinstance(x, _native.Tensor):
        flat = x.detach().reshape(-1)
        if not flat.shape[0]:
            from ._creation import zeros

            flat = zeros(1, dtype=x.dtype)
        one = flat[:1]
        return one.reshape(()) if x.dim() == 0 else one
    return x


def result_type(tensor1, tensor2):
    """The dtype of an arithmetic op between the two (tensors or numbers)."""
    a, b = _probe(tensor1), _probe(tensor2)
    if not isinstance(a, _native.Tensor) and not isinstance(b, _native.Tensor):
        from ._creation import tensor

        a = tensor(a)
    # bool + bool stays bool in PyTorch's promotion, as does the add kernel
    return (a + b).dtype if isinstance(a, _native.Tensor) else (b + a).dtype


def promote_types(type1, type2):
    """The smallest dtype both promote to (dtypes, not tensors)."""
    from ._creation import zeros

    return (zeros(1, dtype=type1) + zeros(1, dtype=type2)).dtype


def common_dtype(*tensors):
    """The dtype a kernel over all of ``tensors`` computes in (PyTorch's
    promotion across several operands: 0-d tensors and numbers rank below
    dimensioned tensors of the same category)."""
    total = _probe(tensors[0])
    for t in tensors[1:]:
        total = total + _probe(t)
    return total.dtype
