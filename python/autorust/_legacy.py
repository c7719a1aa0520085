"""PyTorch's legacy constructors (``FloatTensor([1, 2])``, ``LongTensor(3)``)
and ``finfo``/``iinfo``, which older tutorials and scripts still use."""

import numbers

import numpy as np

from ._dtype import bool_, float32, float64, int64


def _legacy(dtype, name):
    def make(*args, device=None):
        from ._creation import tensor, zeros

        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            return tensor(args[0], dtype=dtype, device=device)
        return zeros(*args, dtype=dtype, device=device)  # sizes (PyTorch leaves them uninitialised)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"{name}(data) or {name}(*sizes): a {dtype} tensor."
    make.dtype = dtype  # (what ``Tensor.type(FloatTensor)`` converts to)
    return make


FloatTensor = _legacy(float32, "FloatTensor")
DoubleTensor = _legacy(float64, "DoubleTensor")
LongTensor = _legacy(int64, "LongTensor")
BoolTensor = _legacy(bool_, "BoolTensor")


class finfo:
    """Machine limits of a floating dtype (default: the default dtype)."""

    def __init__(self, type=None):
        from ._dtype import get_default_dtype

        dt = get_default_dtype() if type is None else type
        if not dt.is_floating_point:
            raise TypeError(f"finfo expects a floating point dtype, got {dt}")
        info = np.finfo(np.float32 if dt is float32 else np.float64)
        self.dtype = str(dt).replace("autorust.", "")
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = float(info.resolution)

    def __repr__(self):
        return f"finfo(resolution={self.resolution}, min={self.min:e}, max={self.max:e}, eps={self.eps:e}, smallest_normal={self.tiny:e}, tiny={self.tiny:e}, dtype={self.dtype})"


class iinfo:
    """Limits of an integer dtype."""

    def __init__(self, type):
        if type.is_floating_point:
            raise TypeError(f"iinfo expects an integer dtype, got {type}")
        info = np.iinfo(np.int64) if type is int64 else np.iinfo(np.uint8)
        self.dtype = str(type).replace("autorust.", "")
        self.bits, self.max, self.min = info.bits, int(info.max), int(info.min)
        if type is bool_:
            self.bits, self.max, self.min = 8, 1, 0

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
