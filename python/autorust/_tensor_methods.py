"""Tensor methods written in Python: conversions to NumPy and composites of
native primitives (their gradients come from the primitives). Attached to
the native class at import."""

import builtins
import math
import numbers

import numpy as np

from . import _native
from ._composite import composite, with_scalar
from ._dims import no_dims_error, wrap_dim
from ._dtype import bool_, float32, to_dtype
from ._grad_mode import no_grad

Tensor = _native.Tensor


class _ArrayView:
    """Exposes a tensor's memory to NumPy without a copy."""

    __slots__ = ("__array_interface__", "_keep")

    def __init__(self, t):
        ptr, shape, strides, typestr, keep = t._array_parts()
        self._keep = keep
        self.__array_interface__ = {"data": (ptr, False), "shape": shape, "strides": strides, "typestr": typestr, "version": 3}


def numpy(self, *, force=False):
    if self.is_meta:
        raise TypeError("can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.")
    if self.requires_grad and not force:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    if force and self.is_cuda:
        return self.detach().cpu().numpy()
    return np.asarray(_ArrayView(self))


def __array__(self, dtype=None, copy=None):
    a = np.asarray(_ArrayView(self))
    if dtype is not None:
        a = a.astype(dtype)
    return a.copy() if copy else a


def tolist(self):
    if self.is_meta:
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
    t = self.detach().cpu() if self.is_cuda else self
    return np.asarray(_ArrayView(t)).tolist()


def __iter__(self):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


def __reversed__(self):
    if self.dim() == 0:
        return self
    return self.flip(0)


def __format__(self, spec):
    if self.dim() == 0:
        return self.item().__format__(spec)
    return object.__format__(self, spec)


def __contains__(self, element):
    return bool((self == element).any())


def __reduce_ex__(self, proto):
    return (_rebuild, (self.detach().numpy().copy(), self.requires_grad))


def _rebuild(arr, requires_grad):
    from ._creation import tensor as _tensor

    return _tensor(arr, requires_grad=requires_grad)


def __deepcopy__(self, memo):
    out = self.detach().clone()
    out.requires_grad_(self.requires_grad)
    if self.grad is not None and self.is_leaf:
        out.grad = self.grad.detach().clone()
    if builtins.type(self) is not Tensor:
        out = builtins.type(self)(out, requires_grad=self.requires_grad)
    memo[id(self)] = out
    return out


def type(self, dtype=None, non_blocking=False):
    if dtype is None:
        return {"float32": "autorust.FloatTensor", "float64": "autorust.DoubleTensor", "int64": "autorust.LongTensor", "bool": "autorust.BoolTensor"}[
            self.dtype._name
        ]
    if isinstance(dtype, str):
        dtype = {"torch.FloatTensor": "float32", "torch.DoubleTensor": "float64", "torch.LongTensor": "int64", "torch.BoolTensor": "bool"}.get(
            dtype, dtype
        )
    elif callable(dtype) and hasattr(dtype, "dtype"):  # the legacy FloatTensor, ...
        dtype = dtype.dtype
    return self.to(to_dtype(dtype))


def type_as(self, other):
    return self.to(other.dtype)


def _as_float(self):
    return self if self.dtype.is_floating_point else self.to(float32)


def _float_only(self, what):
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"{what} only support floating point and complex dtypes")


def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _variance(self, dim, unbiased, keepdim, correction, "var")


def _variance(self, dim, unbiased, keepdim, correction, op):
    """var, or its square root for ``op`` "std", as one node with PyTorch's
    backward; the warning is named after ``op``."""
    _float_only(self, "std and var")
    if isinstance(unbiased, bool) is False and unbiased is not None and dim is None:
        dim, unbiased = unbiased, None
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    from ._ops_pointwise import _with_gradient

    root = op == "std"
    with no_grad():
        value = _var(self, dim, correction, keepdim, root)
    dims, n = _var_dims(self, dim)
    if n - correction <= 0:
        from ._warn import warn_user

        warn_user(
            f"{op}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor (input numel divided by output numel)."
        )

    def gradient(g):
        # PyTorch's var_backward: 2 / (N - correction) * grad * (x - mean),
        # so its own derivative is a constant, as PyTorch's
        if dims is not None and not keepdim:
            for d in sorted(dims):
                g = g.unsqueeze(d)
        mean = self.mean(dim=dims, keepdim=True) if dims is not None else self.mean()
        scale = 2.0 / (n - correction) if n > correction else math.inf
        return scale * g * (self - mean)

    if not root:
        return _with_gradient(value, self, "VarBackward0", gradient)

    def std_gradient(g):
        # PyTorch's std_backward: var_backward(grad / (2 * result)), zero
        # where the result is 0 (a fill); under create_graph the result is
        # a node over self again
        from ._grad_mode import is_grad_enabled

        result = std(self, dim, keepdim=keepdim, correction=correction) if is_grad_enabled() else value.detach()
        return gradient(_native.where(result == 0, 0.0, g / (2 * result)))

    return _with_gradient(value, self, "StdBackward0", std_gradient)


def _var_dims(x, dim):
    """The reduced dims (wrapped; None for all) and the count they hold."""
    if dim is None:
        return None, x.numel()
    if x.dim() == 0:
        # a 0-d tensor has dim 0 (or -1) only: anything else is PyTorch's
        # IndexError, not a NaN variance
        for d in (dim,) if isinstance(dim, numbers.Integral) else dim:
            wrap_dim(d, 0)
        return None, x.numel()
    dims = tuple(wrap_dim(d, x.dim()) for d in ((dim,) if isinstance(dim, numbers.Integral) else dim))
    return dims, math.prod(x.shape[d] for d in dims)


def _var(self, dim, correction, keepdim, root=False):
    """The variance's values (its square root with ``root``), unrecorded."""
    x = _as_float(self)
    # PyTorch accumulates a float32 variance in double on the CPU (and
    # rounds once at the end): so here, which also keeps the squares of
    # values past 1e19 from overflowing
    wide = x.dtype == float32 and not x.is_cuda
    if wide:
        x = x.to(_float64())
    # a 0-d tensor reduces over its one element (dim -1 or 0)
    dims, n = _var_dims(x, dim)
    mean = x.mean(dim=dims, keepdim=True) if dims is not None else x.mean()
    sq = (x - mean).square()
    s = sq.sum(dim=dims, keepdim=keepdim) if dims is not None else sq.sum()
    out = s / builtins.max(0, n - correction)
    if root:
        out = out.sqrt()
    return out.to(float32) if wide else out


def _float64():
    from ._dtype import float64

    return float64


def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _variance(self, dim, unbiased, keepdim, correction, "std")


def _sqrt_zero_safe(v):
    """sqrt(v) whose gradient is 0 where v is 0 (PyTorch's std_backward
    masks it there; the plain sqrt would give 0 * inf = NaN). NaN stays NaN."""
    nonzero = v != 0
    return _native.where(nonzero, v, 1.0).sqrt() * nonzero


def var_mean(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _float_only(self, "var_mean")
    variance = composite("VarMeanBackward0", lambda x: var(x, dim, unbiased, keepdim, correction=correction), self)
    mean = composite("VarMeanBackward0", lambda x: x.mean(dim=dim, keepdim=keepdim) if dim is not None else x.mean(), self)
    _native._set_output_nr(mean, 1)
    return variance, mean


def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
    from ._norm_grad import norm_node, reduced_dims

    x = _as_float(self)
    if dtype is not None:
        x = x.to(to_dtype(dtype))
    if p == "nuc":  # the nuclear norm is a matrix norm
        from .linalg import matrix_norm

        if dim is not None and (isinstance(dim, numbers.Integral) or len(dim) != 2):
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {1 if isinstance(dim, numbers.Integral) else len(dim)}")
        return matrix_norm(x, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)
    order = 2.0 if p in ("fro", None) else (math.inf if p == "inf" else p)
    return norm_node(x, order, reduced_dims(dim, x.dim()), keepdim, lambda t: _norm(t, p, dim, keepdim, None))


def _norm(self, p, dim, keepdim, dtype):
    x = _as_float(self)
    if dtype is not None:
        x = x.to(to_dtype(dtype))
    if p in ("fro", 2, 2.0, None):
        s = x.square().sum(dim=dim, keepdim=keepdim) if dim is not None else x.square().sum()
        # a zero norm has gradient 0, as in PyTorch; a NaN stays NaN (the
        # mask `s > 0` this had made the norm of a NaN 0)
        out = _sqrt_zero_safe(s)
    elif p in (1, 1.0):
        out = x.abs().sum(dim=dim, keepdim=keepdim) if dim is not None else x.abs().sum()
    elif p == math.inf or p == "inf":
        out = x.abs().amax(dim=dim, keepdim=keepdim) if dim is not None else x.abs().max()
    elif p == -math.inf:
        out = x.abs().amin(dim=dim, keepdim=keepdim) if dim is not None else x.abs().min()
    elif p == 0:
        out = (x != 0).to(x.dtype).sum(dim=dim, keepdim=keepdim) if dim is not None else (x != 0).to(x.dtype).sum()
    else:
        s = x.abs().pow(p)
        s = s.sum(dim=dim, keepdim=keepdim) if dim is not None else s.sum()
        out = s.pow(1.0 / p)
    return out


def logsumexp(self, dim, keepdim=False):
    from ._grad_mode import is_grad_enabled
    from ._norm_grad import reduced_dims

    x = _as_float(self)
    with no_grad():
        value = _logsumexp(x, dim, keepdim)
    if not _native._needs_node([x]):
        return value
    dims = reduced_dims(dim, x.dim())

    def backward(g):
        # PyTorch's logsumexp_backward: grad * exp(x - result), the result
        # as rounded (for |x| ~ 1e30 each maximum gets the whole gradient);
        # under create_graph the result is a node over x again
        result = logsumexp(x, dim, keepdim) if is_grad_enabled() else value.detach()
        if not keepdim and x.dim():
            for d in sorted(dims):
                g, result = g.unsqueeze(d), result.unsqueeze(d)
        return (g * (x - result).exp(),)

    return _native._custom_node(value, [x], backward, "LogsumexpBackward0", saved=[x])


def _logsumexp(self, dim, keepdim):
    x = _as_float(self)
    if x.numel() == 0:
        m = x.new_zeros(())  # nothing to shift: the empty sum's log is -inf
    else:
        m = x.detach().amax(dim=dim, keepdim=True)
        m = m.masked_fill(~m.isfinite(), 0.0)
    out = (x - m).exp().sum(dim=dim, keepdim=True).log() + m
    if not keepdim:
        out = out.squeeze(dim)
    return out


def isnan(self):
    return self != self


def isinf(self):
    if not self.dtype.is_floating_point:
        return self != self
    return self.abs() == math.inf


def isfinite(self):
    if not self.dtype.is_floating_point:
        return self == self
    return (self == self) & (self.abs() != math.inf)


def isposinf(self):
    return self == math.inf


def isneginf(self):
    return self == -math.inf


def masked_fill(self, mask, value):
    from ._dtype import cpp_name
    from ._functions import _broadcast_shape_of_tensors

    # PyTorch broadcasts the mask with the input before it checks the mask's
    # dtype; the result has the broadcast shape (one node over self)
    shape = tuple(_broadcast_shape_of_tensors([tuple(mask.shape), tuple(self.shape)]))
    if mask.dtype is not bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {cpp_name(mask.dtype)}")
    if shape != tuple(self.shape):
        return _masked_fill_broadcast(self, mask, value, shape)
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.dim()} dimension(s).")
        return composite("MaskedFillBackward1", lambda x, v: _masked_fill(x, mask, v.to(x.dtype)), self, value)
    return composite("MaskedFillBackward0", lambda x: _masked_fill(x, mask, value), self)


def _masked_fill_broadcast(self, mask, value, shape):
    name = "MaskedFillBackward1" if isinstance(value, Tensor) else "MaskedFillBackward0"
    if isinstance(value, Tensor):
        return composite(name, lambda x, v: masked_fill(x.expand(*shape), mask, v), self, value)
    return composite(name, lambda x: masked_fill(x.expand(*shape), mask, value), self)


def _masked_fill(self, mask, v):
    out = _native.where(mask, _native.full([], float(v) if not isinstance(v, Tensor) else 0.0, self.dtype) if not isinstance(v, Tensor) else v, self)
    if out.dtype is not self.dtype:
        out = out.to(self.dtype)
    if out.shape != self.shape:
        out = out.expand(*self.shape).clone()
    return out


def masked_fill_(self, mask, value):
    from ._functions import _broadcast_shape_of_tensors
    from ._ops_register import apply_inplace

    shape = list(_broadcast_shape_of_tensors([tuple(mask.shape), tuple(self.shape)]))
    if shape != list(self.shape):
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape {shape}")
    return apply_inplace(self, lambda s: masked_fill(s, mask, value), "masked_fill_")


def masked_select(self, mask):
    def select(x):
        m = mask
        if m.shape != x.shape:
            # broadcast inside the node: PyTorch's edge is to self
            from ._functions import broadcast_tensors

            x, m = broadcast_tensors(x, m)
        return x[m]

    return composite("MaskedSelectBackward0", select, self)


def chunk(self, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    if self.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, self.dim())
    size = self.shape[dim]
    if size == 0:
        # PyTorch keeps the number of chunks: that many empty pieces
        return split(self, [0] * chunks, dim)
    return split(self, -(-size // chunks), dim)


def split(self, split_size_or_sections, dim=0):
    if self.dim() == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, self.dim())
    size = self.shape[dim]
    if isinstance(split_size_or_sections, numbers.Integral):
        s = int(split_size_or_sections)
        if s <= 0 and size > 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sizes = [builtins.min(s, size - i) for i in range(0, size, s)] if size else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension {dim}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for i, s in enumerate(sizes):
        part = self.narrow(dim, start, s)
        _native._set_grad_fn_name(part, "SplitBackward0" if isinstance(split_size_or_sections, numbers.Integral) else "SplitWithSizesBackward0")
        _native._set_output_nr(part, i)  # PyTorch's pieces are outputs 0, 1, ... of one node
        _native._mark_multi_output_view(part, "Split" if isinstance(split_size_or_sections, numbers.Integral) else "SplitWithSizes", i)
        out.append(part)
        start += s
    return tuple(out)


def tensor_split(self, indices_or_sections, dim=0):
    size = self.shape[dim]
    if isinstance(indices_or_sections, numbers.Integral):
        n = int(indices_or_sections)
        q, r = divmod(size, n)
        sizes = [q + 1] * r + [q] * (n - r)
    else:
        bounds = [0] + [builtins.min(builtins.max(i, 0), size) for i in indices_or_sections] + [size]
        sizes = [builtins.max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
    # PyTorch's pieces are slices (SliceBackward0), not a split
    out, start = [], 0
    for s in sizes:
        out.append(self.narrow(dim, start, s))
        start += s
    return tuple(out)


def unbind(self, dim=0):
    if self.dim() == 0:
        # PyTorch: its own dim (0 or -1) has "no dimensions", others are out of range
        wrap_dim(dim, 0)
        raise no_dims_error(0)
    dim = wrap_dim(dim, self.dim())
    parts = tuple(self.select(dim, i) for i in range(self.shape[dim]))
    for i, p in enumerate(parts):
        _native._set_grad_fn_name(p, "UnbindBackward0")
        _native._set_output_nr(p, i)
        _native._mark_multi_output_view(p, "Unbind", i)
    return parts


def repeat(self, *sizes):
    if len(sizes) == 1 and not isinstance(sizes[0], numbers.Integral):
        sizes = tuple(sizes[0])
    if len(sizes) < self.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    if any(r < 0 for r in sizes):
        # (expand would read -1 as "keep this size": a wrong result, not an error)
        padded = (1,) * (len(sizes) - self.dim()) + tuple(self.shape)
        target = [r * s for r, s in zip(sizes, padded)]
        raise RuntimeError(f"Trying to create tensor with negative dimension {next(r for r in target if r < 0)}: {target}")
    return composite("RepeatBackward0", lambda t: _repeat(t, sizes), self)


def _repeat(self, sizes):
    x = self.reshape((1,) * (len(sizes) - self.dim()) + tuple(self.shape))
    # interleave: [r0, s0, r1, s1, ...] via expand of an unsqueezed view
    shape = []
    expanded = []
    for r, s in zip(sizes, x.shape):
        shape += [1, s]
        expanded += [r, s]
    y = x.reshape(shape).expand(*expanded)
    return y.reshape([r * s for r, s in zip(sizes, x.shape)])


def tile(self, *dims):
    if len(dims) == 1 and not isinstance(dims[0], numbers.Integral):
        dims = tuple(dims[0])
    dims = (1,) * (self.dim() - len(dims)) + tuple(dims)
    return repeat(self, *dims)


def unflatten(self, dim, sizes):
    if not sizes:  # (PyTorch reads a 0 as no sizes too)
        raise RuntimeError("unflatten: sizes must be non-empty")
    if not isinstance(sizes, (tuple, list)):
        raise TypeError(f"unflatten(): argument 'sizes' (position 2) must be tuple of ints, not {builtins.type(sizes).__name__}")
    dim = wrap_dim(dim, self.dim())
    shape = list(self.shape)
    sizes = [int(s) for s in sizes]
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    for i, s in enumerate(sizes):
        if s < -1:
            raise RuntimeError(f"unflatten got an unexpected error:\ninvalid shape dimension {s} at index {i} of shape {sizes}")
    known = math.prod(s for s in sizes if s != -1)
    size = shape[dim] if shape else 1
    if (-1 not in sizes and known != size) or (-1 in sizes and (known == 0 or size % known)):
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} ({size}) in the input tensor")
    # PyTorch's unflatten is a view (ViewBackward0), on strided tensors too
    return self.view(shape[:dim] + sizes + shape[dim + 1 :])


def movedim(self, source, destination):
    nd = self.dim()
    if isinstance(source, numbers.Integral):
        source, destination = [source], [destination]
    source = [wrap_dim(s, nd) for s in source]
    destination = [wrap_dim(d, nd) for d in destination]
    if nd == 0:
        return self[...]  # PyTorch's AliasBackward0
    order = [None] * nd
    for s, d in zip(source, destination):
        order[d] = s
    rest = iter(i for i in range(nd) if i not in source)
    order = [o if o is not None else next(rest) for o in order]
    return self.permute(*order)


def equal(self, other):
    return self.shape == other.shape and bool((self == other).all())


def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    other = other if isinstance(other, Tensor) else _native.full([], float(other), self.dtype)
    if self.dtype != other.dtype:
        from ._dtype import scalar_name

        raise RuntimeError(f"{scalar_name(self.dtype)} did not match {scalar_name(other.dtype)}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {tol}")
    close = self == other
    if equal_nan and self.dtype.is_floating_point:
        close = close | (isnan(self) & isnan(other))
    if rtol == 0 and atol == 0:
        return close
    a, b = _as_float(self), _as_float(other)
    # PyTorch's: only a finite error can be within tolerance (inf vs a
    # number is inf <= inf otherwise)
    error = (a - b).abs()
    return close | (isfinite(error) & (error <= atol + (rtol * b).abs()))


def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(self, other, rtol, atol, equal_nan).all())


def count_nonzero(self, dim=None):
    return (self != 0).sum(dim=dim) if dim is not None else (self != 0).sum()


def _check_lerp_operands(self, end, weight):
    """PyTorch's lerp takes no type promotion: `end`, and a `weight` tensor
    with dimensions, must have self's dtype; shapes broadcast in order."""
    from ._dtype import cpp_name
    from ._functions import _broadcast_shape_of_tensors

    if not isinstance(end, Tensor):
        raise TypeError(f"lerp(): argument 'end' (position 1) must be Tensor, not {type(end).__name__}")
    operands = [("end", end)] + ([("weight", weight)] if isinstance(weight, Tensor) and weight.dim() > 0 else [])
    for name, t in operands:
        if t.dtype != self.dtype:
            raise RuntimeError(f"expected dtype {cpp_name(self.dtype)} for `{name}` but got dtype {cpp_name(t.dtype)}")
    _broadcast_shape_of_tensors([tuple(t.shape) for t in (self, end, weight) if isinstance(t, Tensor)])


def lerp(self, end, weight):
    """PyTorch's formula (exact at both ends): self + w (end - self) below
    w = 0.5, end - (end - self)(1 - w) from it; one node with PyTorch's
    gradients grad (1 - w), grad w and grad (end - self), so that a
    create_graph gradient is the graph PyTorch builds."""

    def f(a, b, w):
        if isinstance(w, Tensor):
            return _native.where(w.abs() < 0.5, a + w * (b - a), b - (b - a) * (1 - w))
        return a + w * (b - a) if builtins.abs(w) < 0.5 else b - (b - a) * (1 - w)

    _check_lerp_operands(self, end, weight)
    tensor_weight = isinstance(weight, Tensor)
    inputs = [self, end, weight] if tensor_weight else [self, end]
    with no_grad():
        value = f(self, end, weight)
    if not _native._needs_node(inputs):
        return value
    if tensor_weight:
        return _native._custom_node(value, inputs, lambda g: (g * (1 - weight), g * weight, g * (end - self)), "LerpBackward1", saved=inputs)
    # (the weight a Python number: PyTorch's grad * Scalar nodes)
    return _native._custom_node(
        value,
        inputs,
        lambda g: (with_scalar(g * (1 - weight), "MulBackward1"), with_scalar(g * weight, "MulBackward1")),
        "LerpBackward0",
    )


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    from ._creation import tensor as _tensor

    return _tensor(data, dtype=dtype or self.dtype, device=self.device if device is None else device, requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    from ._creation import zeros

    return zeros(*size, dtype=dtype or self.dtype, device=self.device if device is None else device, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    from ._creation import ones

    return ones(*size, dtype=dtype or self.dtype, device=self.device if device is None else device, requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return new_zeros(self, *size, dtype=dtype, device=device, requires_grad=requires_grad)


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    from ._creation import full

    return full(size, fill_value, dtype=dtype or self.dtype, device=self.device if device is None else device, requires_grad=requires_grad)


def _fill_with_draws(self, draw, node, op):
    """Fills `self` in place with `draw(shape)` (a contiguous tensor of
    draws), in the order PyTorch's random kernels walk memory: a strided
    tensor (a transposed view, say) is filled in memory order, its dims
    sorted by stride as PyTorch's TensorIterator sorts them. A meta tensor
    has nothing to fill (and the generator does not advance). In the graph
    the fill is PyTorch's `node` (zero gradient to the old values); a leaf
    that requires grad is refused, as PyTorch refuses it."""
    if self.is_meta:
        return self
    _native._check_inplace(self)
    if self.is_contiguous():
        values = draw(tuple(self.shape))
    else:
        order = sorted(range(self.dim()), key=lambda d: self.stride(d), reverse=True)
        values = draw(tuple(self.shape[d] for d in order)).permute(*[order.index(d) for d in range(self.dim())])
    return _fill_in_graph(self, values, node, op)


def _fill_in_graph(self, values, node, op, inputs=()):
    """Writes `values` into `self` in place as the fill node `node` (zero
    gradient to the old values and to `inputs`)."""
    values = values.detach().to(device=self.device, dtype=self.dtype)
    _native._inplace_apply(self, lambda source: _native._zero_node(values, [source, *inputs], node), op)
    return self


def uniform_(self, a=0.0, b=1.0, generator=None):
    from . import _native as native
    from ._creation import _dt, _gen

    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    return _fill_with_draws(
        self, lambda shape: native.rand(list(shape), _dt(self.dtype), _gen(generator), float(a), float(b)), "UniformBackward0", "uniform_"
    )


def normal_(self, mean=0.0, std=1.0, generator=None):
    from ._creation import _normal_draws

    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    # a strided tensor takes PyTorch's element-by-element path
    contiguous = self.is_contiguous()
    return _fill_with_draws(
        self, lambda shape: _normal_draws(shape, self.dtype, mean, std, generator, contiguous=contiguous), "NormalBackward0", "normal_"
    )


def is_nonzero(self):
    if self.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(self.item() != 0)


def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
    if not self.dtype.is_floating_point:
        return self.clone()
    big = float(np.finfo(self.dtype._np).max)

    def f(x):
        out = x.masked_fill(isnan(x), nan)
        out = out.masked_fill(out == math.inf, big if posinf is None else posinf)
        return out.masked_fill(out == -math.inf, -big if neginf is None else neginf)

    with no_grad():
        value = f(self)
    if not _native._needs_node([self]):
        return value
    # PyTorch's backward is the product grad * isfinite(self): an inf or NaN
    # gradient at a replaced element gives NaN there, not 0
    return _native._custom_node(value, [self], lambda g: (g * isfinite(self).to(g.dtype),), "NanToNumBackward0", saved=[self])


def diag(self, diagonal=0):
    if self.dim() == 1:
        return composite("DiagEmbedBackward0", lambda x: _diag(x, diagonal), self)
    if self.dim() != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.dim()}D")
    # PyTorch copies the diagonal out (a node of its own name)
    return composite("DiagonalBackward0_copy", lambda x: x.diagonal(diagonal).clone(), self)


def _diag(self, diagonal):
    from ._creation import arange

    if self.dim() == 1:
        n = self.shape[0] + builtins.abs(diagonal)
        out = new_zeros(self, n, n)
        rows = arange(self.shape[0]) + builtins.max(-diagonal, 0)
        cols = arange(self.shape[0]) + builtins.max(diagonal, 0)
        return _put_diag(out, rows, cols, self)
    n = builtins.min(self.shape[0] - builtins.max(-diagonal, 0), self.shape[1] - builtins.max(diagonal, 0))
    rows = arange(builtins.max(n, 0)) + builtins.max(-diagonal, 0)
    cols = arange(builtins.max(n, 0)) + builtins.max(diagonal, 0)
    return self[rows, cols]


def _put_diag(out, rows, cols, values):
    o = out.reshape(-1).clone()
    o[rows * out.shape[1] + cols] = values
    return o.reshape(*out.shape)


def triu(self, diagonal=0):
    from ._creation import arange

    r = arange(self.shape[-2], device=self.device).unsqueeze(1)
    c = arange(self.shape[-1], device=self.device).unsqueeze(0)
    # PyTorch's node saves only the diagonal, not the mask
    return composite("TriuBackward0", lambda x: _masked_fill(x, (c - r) < diagonal, 0), self, saves=False)


def tril(self, diagonal=0):
    from ._creation import arange

    r = arange(self.shape[-2], device=self.device).unsqueeze(1)
    c = arange(self.shape[-1], device=self.device).unsqueeze(0)
    # PyTorch's node saves only the diagonal, not the mask
    return composite("TrilBackward0", lambda x: _masked_fill(x, (c - r) > diagonal, 0), self, saves=False)


def index_fill(self, dim, index, value):
    idx = [slice(None)] * self.dim()
    idx[dim] = index

    def fill(x, *v):
        out = x.clone()
        out[tuple(idx)] = v[0] if v else value
        return out

    if isinstance(value, Tensor):
        return composite("IndexFillBackward1", fill, self, value)
    return composite("IndexFillBackward0", fill, self)


def index_add(self, dim, index, source, *, alpha=1):
    idx = index.reshape(-1)
    shape = [1] * self.dim()
    shape[dim] = -1

    def f(x, src):
        zeros = new_zeros(x, *x.shape)
        full_idx = idx.reshape(shape).expand(*src.shape)
        return x + zeros.scatter_add(dim, full_idx, src * alpha if alpha != 1 else src)

    return composite("IndexAddBackward0", f, self, source)


def sum_to_size(self, *size):
    if len(size) == 1 and not isinstance(size[0], numbers.Integral):
        size = tuple(size[0])
    lead = self.dim() - len(size)
    dims = list(range(lead)) + [lead + i for i, s in enumerate(size) if s == 1 and self.shape[lead + i] != 1]
    out = self.sum(dim=dims, keepdim=True) if dims else self
    return out.reshape(*size)


def __array_wrap__(self, arr, context=None, return_scalar=False):
    from ._creation import tensor as _tensor

    return _tensor(arr)


_METHODS = [
    numpy,
    __array__,
    tolist,
    __iter__,
    __reversed__,
    __format__,
    __contains__,
    __reduce_ex__,
    __deepcopy__,
    type,
    type_as,
    var,
    std,
    var_mean,
    norm,
    logsumexp,
    isnan,
    isinf,
    isfinite,
    isposinf,
    isneginf,
    masked_fill,
    masked_fill_,
    masked_select,
    chunk,
    split,
    tensor_split,
    unbind,
    repeat,
    tile,
    unflatten,
    movedim,
    equal,
    isclose,
    allclose,
    count_nonzero,
    lerp,
    new_tensor,
    new_zeros,
    new_ones,
    new_empty,
    new_full,
    uniform_,
    normal_,
    is_nonzero,
    nan_to_num,
    diag,
    triu,
    tril,
    index_fill,
    index_add,
    sum_to_size,
]

for _m in _METHODS:
    setattr(Tensor, _m.__name__, _m)

Tensor.__array_priority__ = 1000
Tensor.moveaxis = movedim
Tensor.absolute = Tensor.abs
Tensor.arctan2 = Tensor.atan2


def clamp_min(self, min):
    out = self.clamp(min=min)
    _native._set_grad_fn_name(out, "ClampMinBackward0" if not isinstance(min, Tensor) else "ClampMinBackward1")
    return out


def clamp_max(self, max):
    out = self.clamp(max=max)
    _native._set_grad_fn_name(out, "ClampMaxBackward0" if not isinstance(max, Tensor) else "ClampMaxBackward1")
    return out


Tensor.clamp_min = clamp_min
Tensor.clamp_max = clamp_max
Tensor.fix = Tensor.trunc
