"""PyTorch's second names and thin forms of existing ops: the comparison
and arithmetic aliases (``greater_equal``, ``multiply_``), the in-place
comparisons (``x.gt_(0)`` writes 1 or 0 in x's dtype), the ``torch.``
forms of functional ops (``torch.conv2d``, ``torch.layer_norm`` with its
trailing cudnn flag), the splits named by axis (``hsplit``), the index
builders (``tril_indices``, ``combinations``), statistics (``cov``,
``corrcoef``), the signal windows, and the tensor predicates of a dense,
real, CPU-or-GPU tensor (``is_complex()`` is False, ``is_sparse`` False).
Each forwards to the one implementation of the op. Installed by
``autorust/__init__`` once ``nn`` and ``linalg`` exist."""

import builtins
import itertools
import math
import warnings

import numpy as np

from . import _native
from ._ops_register import inplace_variant

Tensor = _native.Tensor

# Tensor method aliases: alias -> the method doing the work
_METHOD_ALIASES = {
    "greater_equal": "ge",
    "less_equal": "le",
    "not_equal": "ne",
    "multiply_": "mul_",
    "divide_": "div_",
    "subtract_": "sub_",
    "true_divide_": "div_",
    "absolute_": "abs_",
    "unsafe_chunk": "chunk",
    "unsafe_split": "split",
}

# methods whose in-place form computes the method and writes it back
# (in the tensor's dtype, as PyTorch's in-place comparisons do)
_INPLACE_OF = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "atan2",
    "remainder",
    "floor_divide",
    "cumsum",
    "cumprod",
    "logical_and",
    "logical_or",
    "logical_xor",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "renorm",
]


def _is_false(self):
    return False


def _axis_split(name, dim_of, min_dims):
    """``hsplit``/``vsplit``/``dsplit``: tensor_split along one axis, a
    section count that must divide it (PyTorch's checks and words)."""

    def split(self, indices_or_sections):
        if self.dim() < min_dims:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor with {self.dim()} dimensions!")
        dim = dim_of(self)
        if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, builtins.bool):
            size = self.shape[dim]
            if indices_or_sections == 0 or size % indices_or_sections != 0:
                raise RuntimeError(
                    f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension {size} is not divisible by the split_size {indices_or_sections}!"
                )
        return self.tensor_split(indices_or_sections, dim)

    split.__name__ = split.__qualname__ = name
    return split


def _adjoint(self):
    return self.transpose(-2, -1)


def _matrix_transpose_h(self):
    if self.dim() > 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor.")
    return self.t()


def _mh(self):
    if self.dim() < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.dim()}-D tensor.")
    return self.transpose(-2, -1)


def _real(self):
    return self


def _imag(self):
    raise TypeError("imag is not implemented for tensors with non-complex dtypes.")


def _diagflat(self, offset=0):
    return self.flatten().diag(offset)


def _is_same_size(self, other):
    return tuple(self.shape) == tuple(other.shape)


def _is_signed(self):
    return self.dtype.is_signed


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance of the rows (variables) over the columns
    (observations), with frequency and analytic weights, as PyTorch's."""
    if input.dim() > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got an input with {input.dim()} dimensions")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    observations = x.shape[1]
    w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        average = x.mean(1)
        weight_sum = observations
    else:
        weight_sum = w.sum()
        average = (x * w).sum(1) / weight_sum
    if w is not None and aweights is not None and correction != 0:
        factor = weight_sum - correction * (w * aweights).sum() / weight_sum
    else:
        factor = weight_sum - correction
    factor_value = float(factor)
    if factor_value <= 0:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of observations.", UserWarning, stacklevel=2
        )
        factor = factor * 0 if isinstance(factor, Tensor) else 0
    centred = x - average.unsqueeze(1)
    weighted = centred if w is None else centred * w
    return (centred.mm(weighted.t()) / factor).squeeze()


def corrcoef(input):
    c = cov(input)
    if c.dim() == 0:
        return c / c
    d = c.diagonal()
    stddev = d.sqrt()
    c = c / stddev.unsqueeze(1)
    c = c / stddev.unsqueeze(0)
    return c.clamp(-1, 1)


def _index_tensor(values, device):
    from ._creation import tensor
    from ._dtype import int64

    return tensor(np.asarray(values, dtype=np.int64), dtype=int64, device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    rows, cols = np.tril_indices(row, offset, col)
    out = _index_tensor(np.stack([rows, cols]).reshape(2, -1), device)
    return out if dtype is None else out.to(dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    rows, cols = np.triu_indices(row, offset, col)
    out = _index_tensor(np.stack([rows, cols]).reshape(2, -1), device)
    return out if dtype is None else out.to(dtype)


def combinations(input, r=2, with_replacement=False):
    """The r-element combinations of a 1-D tensor's elements, one per row
    (differentiable: the rows are index selections)."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty(0)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(builtins.range(input.shape[0]), r))
    if not rows:
        return input.new_empty(0, r) if r > 1 else input.new_empty(0)
    index = _index_tensor(rows, input.device)
    return input[index.reshape(-1) if r == 1 else index]


def unravel_index(indices, shape):
    from ._creation import tensor

    if not isinstance(indices, Tensor):
        indices = tensor(indices)
    if indices.is_floating_point() or indices.dtype.__repr__().endswith("bool"):
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(shape))
    flat = indices.cpu().numpy()
    total = math.prod(shape)
    if ((flat < -total) | (flat >= total)).any():
        raise ValueError(f"'indices' must be in range [{-total}, {total - 1}]")
    coords = np.unravel_index(np.where(flat < 0, flat + total, flat), shape)
    return tuple(_index_tensor(c, indices.device) for c in coords)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    from ._creation import tensor

    device = elements.device if isinstance(elements, Tensor) else test_elements.device

    from ._promotion import result_type

    # both sides compared in their promoted dtype, as PyTorch's kernel: a
    # float64 0-d element equals a float32 test element it rounds to
    dtype = result_type(elements, test_elements)

    def host(v):
        return (v.detach().to(dtype).cpu() if isinstance(v, Tensor) else tensor(v, dtype=dtype)).numpy()

    return tensor(np.isin(host(elements), host(test_elements), invert=invert), device=device)


def is_nonzero(input):
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item())


def is_same_size(input, other):
    return _is_same_size(input, other)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, **_layout):
    from ._creation import tensor
    from ._dtype import get_default_dtype

    return tensor(s, dtype=dtype or get_default_dtype(), device=device, requires_grad=requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """The deprecated inclusive range: floor((end - start) / step) + 1 values."""
    from ._creation import arange
    from ._dtype import get_default_dtype

    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its behavior is inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if end is None:
        start, end = 0, start
    count = math.floor((end - start) / step) + 1
    return arange(count, dtype=dtype or get_default_dtype(), device=device).mul(step).add(start).requires_grad_(requires_grad)


def _window(name, values):
    def window(window_length, periodic=True, *args, dtype=None, layout=None, device=None, requires_grad=False, **kwargs):
        from ._creation import tensor
        from ._dtype import get_default_dtype

        if window_length < 0:
            raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
        if window_length == 0:
            data = np.zeros(0)
        elif window_length == 1:
            data = np.ones(1)
        else:
            n = window_length + 1 if periodic else window_length
            data = values(n, *args, **kwargs)[:window_length]
        return tensor(data, dtype=dtype or get_default_dtype(), device=device, requires_grad=requires_grad)

    window.__name__ = window.__qualname__ = name
    return window


def _hamming(n, alpha=0.54, beta=0.46):
    return alpha - beta * np.cos(2 * np.pi * np.arange(n) / (n - 1))


def _kaiser(n, beta=12.0):
    return np.kaiser(n, beta)


hann_window = _window("hann_window", np.hanning)
hamming_window = _window("hamming_window", _hamming)
blackman_window = _window("blackman_window", np.blackman)
bartlett_window = _window("bartlett_window", np.bartlett)
kaiser_window = _window("kaiser_window", _kaiser)


def chain_matmul(*matrices, out=None):
    from .linalg import multi_dot

    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple parameters.",
        UserWarning,
        stacklevel=2,
    )
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(list(matrices), out=out)


_DETERMINISTIC = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded for the getters; autorust's kernels are deterministic
    whatever it says (the same inputs give the same bits, run to run)."""
    _DETERMINISTIC.update(mode=builtins.bool(mode), warn_only=builtins.bool(warn_only))


def are_deterministic_algorithms_enabled():
    return _DETERMINISTIC["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    return _DETERMINISTIC["warn_only"]


_MATMUL_PRECISION = {"value": "highest"}


def set_float32_matmul_precision(precision):
    """Recorded for the getter; no effect: autorust's float32 matmuls
    always accumulate in float32 (PyTorch's "highest")."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision: {precision}. Expected one of: highest, high, medium")
    _MATMUL_PRECISION["value"] = precision


def get_float32_matmul_precision():
    return _MATMUL_PRECISION["value"]


def compile(model=None, **options):
    """No compiler: the model (or function) runs eagerly, with the same
    results; as a decorator with options it returns the function unchanged."""
    if model is None:
        return lambda fn: fn
    return model


def set_default_tensor_type(t):
    from ._dtype import float32, float64, set_default_dtype

    warnings.warn(
        "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use torch.set_default_dtype() and torch.set_default_device() as alternatives.",
        UserWarning,
        stacklevel=2,
    )
    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    if name.endswith("DoubleTensor"):
        set_default_dtype(float64)
    elif name.endswith("FloatTensor"):
        set_default_dtype(float32)
    else:
        raise TypeError(f"only floating-point types are supported as the default type, got {name}")


def _functional_forms(functional):
    """``torch.<op>`` forms of nn.functional ops whose signatures match,
    and those with PyTorch's trailing cudnn flag."""
    same = [
        "conv1d",
        "conv2d",
        "conv_transpose1d",
        "conv_transpose2d",
        "avg_pool1d",
        "max_pool1d",
        "max_pool2d",
        "adaptive_avg_pool1d",
        "pixel_shuffle",
        "pixel_unshuffle",
        "pdist",
        "cosine_similarity",
        "pairwise_distance",
        "prelu",
        "rms_norm",
        "hardshrink",
        "channel_shuffle",
        "native_channel_shuffle",
        "max_pool1d_with_indices",
    ]
    forms = {name: getattr(functional, name) for name in same if hasattr(functional, name)}
    from .nn._conv_tbc import conv_tbc

    forms["conv_tbc"] = conv_tbc

    def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
        return functional.layer_norm(input, normalized_shape, weight, bias, eps)

    def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
        return functional.group_norm(input, num_groups, weight, bias, eps)

    def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
        return functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)

    def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
        return functional.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)

    for fn in (layer_norm, group_norm, batch_norm, instance_norm):
        forms[fn.__name__] = fn
    return forms


def install(namespace, functional):
    """Add the methods to Tensor and the functions to ``namespace`` (the
    ``autorust`` module's globals), never replacing an existing name."""
    for alias, target in _METHOD_ALIASES.items():
        if not hasattr(Tensor, alias):
            setattr(Tensor, alias, getattr(Tensor, target))
    for name in _INPLACE_OF:
        if not hasattr(Tensor, name + "_") and hasattr(Tensor, name):
            setattr(Tensor, name + "_", inplace_variant(getattr(Tensor, name)))
    if not hasattr(Tensor, "arctan2_"):
        Tensor.arctan2_ = Tensor.atan2_
    methods = {
        "hsplit": _axis_split("hsplit", lambda t: 0 if t.dim() == 1 else 1, 1),
        "vsplit": _axis_split("vsplit", lambda t: 0, 2),
        "dsplit": _axis_split("dsplit", lambda t: 2, 3),
        "adjoint": _adjoint,
        "diagflat": _diagflat,
        "is_same_size": _is_same_size,
        "is_signed": _is_signed,
        "is_complex": _is_false,
        "is_conj": _is_false,
        "is_neg": _is_false,
        "is_shared": _is_false,
        "is_pinned": _is_false,
        "conj": _real,
        "resolve_conj": _real,
        "resolve_neg": _real,
        "conj_physical": _real,
        "share_memory_": _real,
        "cov": cov,
        "corrcoef": corrcoef,
        "hardshrink": lambda self, lambd=0.5: functional.hardshrink(self, lambd),
        "prelu": lambda self, weight: functional.prelu(self, weight),
    }
    for name, fn in methods.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)
    properties = {
        "H": _matrix_transpose_h,
        "mH": _mh,
        "real": _real,
        "imag": _imag,
        "is_sparse": _is_false,
        "is_sparse_csr": _is_false,
        "is_quantized": _is_false,
        "is_nested": _is_false,
        "is_mkldnn": _is_false,
        "is_cpu": lambda self: self.device.type == "cpu",
        "itemsize": lambda self: self.element_size(),
        "nbytes": lambda self: self.numel() * self.element_size(),
    }
    for name, fn in properties.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, property(fn))
    functions = {
        "cov": cov,
        "corrcoef": corrcoef,
        "tril_indices": tril_indices,
        "triu_indices": triu_indices,
        "combinations": combinations,
        "unravel_index": unravel_index,
        "isin": isin,
        "is_nonzero": is_nonzero,
        "is_same_size": is_same_size,
        "scalar_tensor": scalar_tensor,
        "range": range,
        "hann_window": hann_window,
        "hamming_window": hamming_window,
        "blackman_window": blackman_window,
        "bartlett_window": bartlett_window,
        "kaiser_window": kaiser_window,
        "chain_matmul": chain_matmul,
        "use_deterministic_algorithms": use_deterministic_algorithms,
        "are_deterministic_algorithms_enabled": are_deterministic_algorithms_enabled,
        "is_deterministic_algorithms_warn_only_enabled": is_deterministic_algorithms_warn_only_enabled,
        "set_float32_matmul_precision": set_float32_matmul_precision,
        "get_float32_matmul_precision": get_float32_matmul_precision,
        "compile": compile,
        "set_default_tensor_type": set_default_tensor_type,
        "hsplit": methods["hsplit"],
        "vsplit": methods["vsplit"],
        "dsplit": methods["dsplit"],
        "adjoint": _adjoint,
        "diagflat": _diagflat,
        "is_signed": _is_signed,
        "is_complex": _is_false,
        "is_conj": _is_false,
        "is_neg": _is_false,
        "conj": _real,
        "resolve_conj": _real,
        "resolve_neg": _real,
        "conj_physical": _real,
        "real": _real,
        "imag": _imag,
        "greater_equal": Tensor.ge,
        "less_equal": Tensor.le,
        "not_equal": Tensor.ne,
    }
    from . import special
    from ._scatter_reduce import index_reduce, scatter_reduce
    from .linalg import matrix_exp

    functions["scatter_reduce"] = scatter_reduce
    functions["index_reduce"] = index_reduce

    for name, fn in {"i0": special.i0, "mvlgamma": special.multigammaln, "matrix_exp": matrix_exp}.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)
        functions[name] = fn
    functions.update(_functional_forms(functional))
    for name, fn in functions.items():
        namespace.setdefault(name, fn)
