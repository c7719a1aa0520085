"""Module-level functions (``autorust.exp(x)``, ``autorust.sum(x, 1)``...):
each forwards to the tensor method of the same name, so there is one
implementation of every op."""

import builtins

from . import _native
from ._dims import wrap_dim

Tensor = _native.Tensor

_METHOD_FUNCTIONS = """
abs absolute neg negative sign exp log log1p expm1 sqrt rsqrt sin cos tan tanh sigmoid relu square
reciprocal floor ceil round trunc fix erf clamp clip atan2 arctan2 maximum minimum
eq ne lt le gt ge greater less logical_and logical_or logical_xor logical_not bitwise_not
bitwise_and bitwise_or bitwise_xor
sum mean prod amax amin max min argmax argmin var std var_mean norm logsumexp cumsum cumprod all any count_nonzero
softmax log_softmax matmul mm bmm mv dot outer
reshape view_as flatten ravel permute transpose swapaxes t squeeze unsqueeze narrow select index_select gather diagonal
scatter scatter_add chunk split tensor_split unbind flip nonzero movedim moveaxis tile unflatten
masked_fill masked_select isnan isinf isfinite isposinf isneginf equal isclose allclose lerp nan_to_num
sort argsort topk diag triu tril index_fill index_add floor_divide remainder true_divide
clone detach numel as_strided
""".split()


def _forward(name):
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            from ._creation import tensor

            input = tensor(input)
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"autorust.{name}(input, ...): same as input.{name}(...)"
    return fn


for _name in _METHOD_FUNCTIONS:
    globals()[_name] = _forward(_name)


def pow(input, exponent):  # noqa: A001  (PyTorch's name)
    """``pow(tensor, exponent)``, or ``pow(number, tensor)`` (PowBackward2, as PyTorch)."""
    if not isinstance(input, Tensor) and isinstance(exponent, Tensor):
        return exponent.__rpow__(input)
    if not isinstance(input, Tensor):
        from ._creation import tensor

        input = tensor(input)
    return input.pow(exponent)


def add(input, other, *, alpha=1):
    if not isinstance(input, Tensor):
        return other.mul(alpha).add(input) if alpha != 1 else other.add(input)
    return input.add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    if not isinstance(input, Tensor):
        return (-(other * alpha)) + input
    return input.sub(other, alpha=alpha)


subtract = sub


def mul(input, other):
    return input * other


multiply = mul


def div(input, other, *, rounding_mode=None):
    if not isinstance(input, Tensor):
        from ._creation import tensor

        input = tensor(input)
    return input.div(other, rounding_mode=rounding_mode)


divide = div


def rsub(input, other, *, alpha=1):
    return other - input * alpha


def where(condition, input=None, other=None):
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    return _native.where(condition, input, other)


def _tensor_sequence(name, tensors):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    return list(tensors)


def cat(tensors, dim=0):
    tensors = _tensor_sequence("cat", tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    return _native.cat(tensors, dim)


concat = cat
concatenate = cat


def stack(tensors, dim=0):
    tensors = _tensor_sequence("stack", tensors)
    if tensors:
        wrap_dim(dim, tensors[0].dim() + 1)  # (the result has one more dim)
    return _native.stack(tensors, dim)


def hstack(tensors):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("hstack expects a non-empty TensorList")
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return cat([t.unsqueeze(0) if t.dim() == 1 else t for t in tensors], 0)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(t):
    return t.dtype.is_floating_point


def broadcast_tensors(*tensors):
    shape = _broadcast_shape_of_tensors([tuple(t.shape) for t in tensors])
    # a tensor already of the shape is returned itself, as PyTorch's
    return tuple(t if tuple(t.shape) == tuple(shape) else t.expand(*shape) for t in tensors)


def _broadcast_shape_of_tensors(shapes):
    """The common shape, refused in PyTorch's words for tensors (the shape
    so far is `a`, each next one `b`; dims checked from the last), which
    differ from broadcast_shapes' own."""
    out = list(shapes[0]) if shapes else []
    for s in shapes[1:]:
        nd = builtins.max(len(out), len(s))
        a, b = [1] * (nd - len(out)) + out, [1] * (nd - len(s)) + list(s)
        for j in reversed(range(nd)):
            if a[j] != b[j] and a[j] != 1 and b[j] != 1:
                raise RuntimeError(f"The size of tensor a ({a[j]}) must match the size of tensor b ({b[j]}) at non-singleton dimension {j}")
        out = [x if y == 1 else y for x, y in zip(a, b)]
    return out


def broadcast_shapes(*shapes):
    from ._size import Size

    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    nd = builtins.max((len(s) for s in shapes), default=0)  # `max` here is autorust.max
    out = [1] * nd
    for index, s in enumerate(shapes):
        if builtins.any(d < 0 for d in s):
            raise ValueError("Attempting to broadcast a dimension with negative length!")
        # from the last dimension, as PyTorch names the first mismatch
        for back in range(1, len(s) + 1):
            d, j = s[-back], nd - back
            if out[j] == 1:
                out[j] = d
            elif d != 1 and d != out[j]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {d} at {-back}! Mismatching argument at index {index} "
                    f"had {s}; but expected shape should be broadcastable to {out}"
                )
    return Size(out)


def numel(input):
    return input.numel()
