"""dtype objects: autorust.float32 and friends, printed as ``autorust.float32``."""

import builtins

import numpy as np


class dtype:
    """An element type. Compare by identity, as with ``torch.dtype``."""

    __slots__ = ("_name", "is_floating_point", "itemsize", "is_signed", "_np")

    def __init__(self, name, is_floating_point, itemsize, is_signed, np_dtype):
        self._name = name
        self.is_floating_point = is_floating_point
        self.itemsize = itemsize
        self.is_signed = is_signed
        self._np = np.dtype(np_dtype)

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return f"autorust.{self._name}"

    __str__ = __repr__

    def __reduce__(self):
        return (_by_name, (self._name,))


float32 = dtype("float32", True, 4, True, np.float32)
float64 = dtype("float64", True, 8, True, np.float64)
int64 = dtype("int64", False, 8, True, np.int64)
bool_ = dtype("bool", False, 1, False, np.bool_)

_ALL = {"float32": float32, "float64": float64, "int64": int64, "bool": bool_}


def _by_name(name):
    return _ALL[name]


# the names PyTorch's C++ messages give each dtype
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "bool": "Bool"}
_CPP_NAMES = {"float32": "float", "float64": "double", "int64": "long int", "bool": "bool"}


def scalar_name(d):
    """``Float``, ``Long``: the scalar type name in PyTorch's messages."""
    return _SCALAR_NAMES[d._name]


def cpp_name(d):
    """``float``, ``long int``: the C++ type name in some of PyTorch's messages."""
    return _CPP_NAMES[d._name]


_DEFAULT = [float32]


def get_default_dtype():
    return _DEFAULT[0]


def set_default_dtype(d):
    d = to_dtype(d)
    if d not in (float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _DEFAULT[0] = d
    from . import _native

    _native._set_default_float(d)


def from_numpy_dtype(npd):
    """The autorust dtype a NumPy dtype converts to (narrow ints widen to int64)."""
    npd = np.dtype(npd)
    if npd == np.float32:
        return float32
    if npd == np.float64:
        return float64
    if npd == np.bool_:
        return bool_
    if npd.kind in "iu":
        return int64
    if npd.kind == "f":
        return float32
    raise TypeError(f"can't convert np.ndarray of type {npd}. The only supported types are: float64, float32, int64, and bool.")


def to_dtype(obj):
    """Accepts autorust dtypes, Python's float/int/bool, NumPy dtypes and names."""
    if obj is None or isinstance(obj, dtype):
        return obj
    if obj is builtins.float:
        return float64
    if obj is builtins.int:
        return int64
    if obj is builtins.bool:
        return bool_
    if isinstance(obj, str):
        name = obj.replace("autorust.", "").replace("torch.", "")
        name = {"float": "float32", "double": "float64", "long": "int64"}.get(name, name)
        if name in _ALL:
            return _ALL[name]
    try:
        return from_numpy_dtype(obj)
    except TypeError:
        pass
    # torch dtypes, when a script passes one
    name = str(obj).replace("torch.", "")
    if name in _ALL:
        return _ALL[name]
    raise TypeError(f"unsupported dtype {obj!r}: autorust has float32, float64, int64 and bool")
