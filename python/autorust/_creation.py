"""Factory functions with PyTorch's signatures: ``tensor``, ``zeros``,
``arange``, ``rand``... Python data goes through NumPy once, then into a
native storage."""

import builtins
import numbers

import numpy as np

from . import _native
from ._device import _check_device
from ._dtype import _DEFAULT as _DEFAULT_DT
from ._dtype import bool_, from_numpy_dtype, get_default_dtype, int64, to_dtype
from ._memory_format import check_layout, contiguous_format, in_format, like_order, preserve_format
from ._rng import _DefaultGenerator

Tensor = _native.Tensor


def _finish(t, requires_grad, device):
    """Moves a new CPU tensor to its device, then sets requires_grad (so the
    move is not recorded)."""
    backend = _check_device(device)
    if backend != "cpu":
        t = _native._to_device(t, backend)
    if requires_grad:
        if not t.is_floating_point():
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_(True)
    return t


def _contains_tensor(data):
    if isinstance(data, Tensor):
        return True
    if isinstance(data, (list, tuple)):
        return builtins.any(_contains_tensor(x) for x in data)
    return False


def _untensor(data):
    if isinstance(data, Tensor):
        if data.dim() == 0:
            return data.item()
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_untensor(x) for x in data]
    return data


def _ragged_message(data, dim=0):
    """PyTorch's message for nested sequences of unequal lengths."""
    if isinstance(data, (list, tuple)) and data:
        first = data[0]
        n = len(first) if isinstance(first, (list, tuple)) else None
        for item in data[1:]:
            m = len(item) if isinstance(item, (list, tuple)) else None
            if m != n:
                return f"expected sequence of length {n} at dim {dim + 1} (got {m})"
        for item in data:
            msg = _ragged_message(item, dim + 1)
            if msg:
                return msg
    return "" if dim else "could not convert the data to a tensor: sequences of unequal lengths"


def _to_array(data, dtype):
    """NumPy array for `data` with PyTorch's dtype inference."""
    if isinstance(data, np.ndarray):
        arr = data
        inferred = from_numpy_dtype(arr.dtype) if arr.dtype.kind != "O" else None
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
        inferred = from_numpy_dtype(arr.dtype)
    else:
        if isinstance(data, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        if _contains_tensor(data):
            data = _untensor(data)
        try:
            arr = np.array(data)
        except ValueError:
            raise ValueError(_ragged_message(data)) from None
        if arr.dtype.kind == "f":
            inferred = get_default_dtype()
        elif arr.dtype.kind in "iu":
            inferred = int64
        elif arr.dtype.kind == "b":
            inferred = bool_
        elif arr.dtype.kind == "O" or arr.dtype.kind in "USV":
            bad = type(data).__name__ if not isinstance(data, (list, tuple)) else "mixed or ragged sequence"
            raise TypeError(f"new(): invalid data type '{bad}'" if arr.dtype.kind != "O" else f"could not convert {bad} to a tensor")
        else:
            raise TypeError(f"can't convert data of dtype {arr.dtype} to a tensor")
    target = to_dtype(dtype) if dtype is not None else inferred
    if target is None:
        raise TypeError("can't convert np.ndarray of type numpy.object_")
    if arr.dtype.kind == "c":
        raise TypeError("autorust does not support complex tensors")
    arr = np.asarray(arr, dtype=target._np, order="C")
    return arr, target


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if isinstance(data, Tensor):
        t = data.detach().clone()
        if dtype is not None:
            t = t.to(to_dtype(dtype))
        return _finish(t, requires_grad, device)
    arr, target = _to_array(data, dtype)
    t = _native.from_buffer(arr.ctypes.data, arr.shape, target, arr, True)
    return _finish(t, requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(to_dtype(dtype))
    if isinstance(data, np.ndarray) and dtype is None and data.dtype in (np.float32, np.float64, np.int64, np.bool_):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr):
    """A tensor sharing memory with the NumPy array `arr`."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    if arr.dtype not in (np.float32, np.float64, np.int64, np.bool_):
        raise TypeError(f"can't convert np.ndarray of type numpy.{arr.dtype}. The only supported types are: float64, float32, int64, and bool.")
    if builtins.any(s < 0 for s in arr.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with negative "
            "strides are not currently supported. (You can probably work around this by making a "
            "copy of your array  with array.copy().) "
        )
    dt = from_numpy_dtype(arr.dtype)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.flags.c_contiguous:
        return _native.from_buffer(arr.ctypes.data, arr.shape, dt, arr, False)
    # a strided view: shared with its strides, as PyTorch does
    return _native.from_buffer(arr.ctypes.data, arr.shape, dt, arr, False, arr.strides)


def _sizes(size, op="size"):
    """A creation function's size arguments as a list of ints (``op``
    names the function in PyTorch's refusals)."""
    if builtins.all(builtins.type(s) is int and s >= 0 for s in size):
        return size
    if len(size) == 1 and not isinstance(size[0], numbers.Integral):
        size = size[0]
    if isinstance(size, Tensor):
        size = size.tolist()
    try:
        out = [int(s) for s in size]
    except TypeError:
        raise TypeError(f"{op}(): argument 'size' (position 1) must be tuple of ints, not {builtins.type(size).__name__}") from None
    for s in out:
        if s < 0:
            if op == "zeros":  # PyTorch's zeros has words of its own
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out)}")
    return out


def _dt(dtype, default=None):
    return to_dtype(dtype) if dtype is not None else (default or get_default_dtype())


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None):
    check_layout(layout, "full")
    if isinstance(fill_value, _native.Tensor) and fill_value.dim() == 0:
        fill_value = fill_value.item()  # a 0-d tensor reads as its number, as in PyTorch
    if not isinstance(fill_value, numbers.Number):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = int64
    return _native.full(_sizes([size], "full"), float(fill_value), _dt(dtype), requires_grad, _check_device(device))


def zeros(*size, dtype=None, device=None, requires_grad=False, layout=None):
    check_layout(layout, "zeros")
    dt = _DEFAULT_DT[0] if dtype is None else to_dtype(dtype)
    out = _native.full(_sizes(size, "zeros"), 0.0, dt, requires_grad, _check_device(device))
    return out.requires_grad_(True) if requires_grad else out  # (a no-op that remembers the leaf: see _tensor_identity)


def ones(*size, dtype=None, device=None, requires_grad=False, layout=None):
    check_layout(layout, "ones")
    dt = _DEFAULT_DT[0] if dtype is None else to_dtype(dtype)
    out = _native.full(_sizes(size, "ones"), 1.0, dt, requires_grad, _check_device(device))
    return out.requires_grad_(True) if requires_grad else out  # (a no-op that remembers the leaf: see _tensor_identity)


def empty(*size, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None, pin_memory=False):
    check_layout(layout, "empty")
    out = zeros(*_sizes(size, "empty"), dtype=dtype, device=device)
    return _with_format(out, memory_format, "empty").requires_grad_(requires_grad)


def _with_format(t, memory_format, fn):
    if memory_format is None or memory_format is contiguous_format:
        return t
    if memory_format is preserve_format:
        raise RuntimeError(f"{fn}(): preserve_format is only valid for functions taking an input tensor")
    return in_format(t, memory_format, fn)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    return _finish(_native.eye(n, n if m is None else m, _dt(dtype)), requires_grad, device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if end is None:
        start, end = 0, start
    vals = [start, end, step]
    vals = [v.item() if isinstance(v, Tensor) else v for v in vals]
    if dtype is None:
        dtype = int64 if builtins.all(isinstance(v, numbers.Integral) for v in vals) else get_default_dtype()
    t = _native.arange(float(vals[0]), float(vals[1]), float(vals[2]), to_dtype(dtype))
    return _finish(t, requires_grad, device)


def linspace(start, end, steps, *, dtype=None, layout=None, device=None, requires_grad=False):
    check_layout(layout, "linspace")
    return _finish(_native.linspace(float(start), float(end), int(steps), _dt(dtype)), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    check_layout(layout, "logspace")
    return _finish(_native.logspace(float(start), float(end), int(steps), float(base), _dt(dtype)), requires_grad, device)


def _gen(generator):
    """The native generator to draw from (None: the global stream)."""
    if generator is None or isinstance(generator, _DefaultGenerator):
        return None
    if not isinstance(generator, _native.Generator):
        raise TypeError(f"generator must be an autorust.Generator, not {type(generator).__name__}")
    return generator


def _on_meta(device):
    return _check_device(device) == "meta"


def _meta_empty(size, dtype, requires_grad):
    """A draw on the meta device: its shape and dtype, and no draw (PyTorch's
    generator does not advance either)."""
    return _native.full(_sizes(size), 0.0, dtype, requires_grad, "meta")


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    if _on_meta(device):
        return _meta_empty(size, _dt(dtype), requires_grad)
    return _finish(_native.rand(_sizes(size, "rand"), _dt(dtype), _gen(generator)), requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    if _on_meta(device):
        return _meta_empty(size, _dt(dtype), requires_grad)
    return _finish(_native.randn(_sizes(size, "randn"), _dt(dtype), _gen(generator)), requires_grad, device)


def _normal_draws(size, dtype, mean, std, generator=None, contiguous=True):
    """Draws as PyTorch's ``normal_(mean, std)`` makes them (mean and std
    applied inside the draw, one rounding)."""
    return _native.randn(_sizes((size,), "normal"), _dt(dtype), _gen(generator), float(mean), float(std), contiguous)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    if size is None:
        # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if _on_meta(device):
        return _meta_empty([size], _dt(dtype, int64), requires_grad)
    return _finish(_native.randint(int(low), int(high), _sizes([size], "randint"), _dt(dtype, int64), _gen(generator)), requires_grad, device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    if _on_meta(device):
        return _meta_empty([int(n)], _dt(dtype, int64), requires_grad)
    t = _native.randperm(int(n), _gen(generator))
    if dtype is not None:
        t = t.to(to_dtype(dtype))
    return _finish(t, requires_grad, device)


def _like(fn, make, input, dtype, device, requires_grad, memory_format, layout=None):
    """``make(shape, dtype, device, contiguous)`` called with the shape in
    the result's memory order (``contiguous`` False when that is not
    row-major), and the result permuted back into place."""
    check_layout(layout, fn)
    dtype = dtype or input.dtype
    device = input.device if device is None else device
    order = like_order(input, memory_format, fn)
    if order is None:
        out = make(tuple(input.shape), dtype, device, True)
    else:
        out = make(tuple(input.shape[d] for d in order), dtype, device, False)
        out = out.permute(*[order.index(d) for d in range(len(order))])
    return out.requires_grad_(requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _like("zeros_like", lambda s, d, dev, _: zeros(*s, dtype=d, device=dev), input, dtype, device, requires_grad, memory_format, layout)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _like("ones_like", lambda s, d, dev, _: ones(*s, dtype=d, device=dev), input, dtype, device, requires_grad, memory_format, layout)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _like("empty_like", lambda s, d, dev, _: zeros(*s, dtype=d, device=dev), input, dtype, device, requires_grad, memory_format, layout)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _like(
        "full_like", lambda s, d, dev, _: full(s, fill_value, dtype=d, device=dev), input, dtype, device, requires_grad, memory_format, layout
    )


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _like("rand_like", lambda s, d, dev, _: rand(*s, dtype=d, device=dev), input, dtype, device, requires_grad, memory_format, layout)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    # a strided result takes normal_'s element-by-element path, as PyTorch's does
    def make(shape, dt, dev, contiguous):
        if _on_meta(dev):
            return _meta_empty(shape, _dt(dt), False)
        return _finish(_native.randn(_sizes(shape, "randn_like"), _dt(dt), None, 0.0, 1.0, contiguous), False, dev)

    return _like("randn_like", make, input, dtype, device, requires_grad, memory_format, layout)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    if high is None:
        low, high = 0, low
    return _like(
        "randint_like", lambda s, d, dev, _: randint(low, high, s, dtype=d, device=dev), input, dtype, device, requires_grad, memory_format, layout
    )
