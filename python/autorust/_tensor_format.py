"""Tensor methods that take ``memory_format=`` (``contiguous``, ``clone``,
``is_contiguous``, ``to``): the native methods make row-major results;
a channels-last format is applied on top (see ``_memory_format``)."""

from . import _native
from ._memory_format import contiguous_format, in_format, is_in_format, preserve_format

Tensor = _native.Tensor
_native_contiguous = Tensor.contiguous
_native_clone = Tensor.clone
_native_is_contiguous = Tensor.is_contiguous
_native_to = Tensor.to


def contiguous(self, memory_format=contiguous_format):
    if memory_format is contiguous_format or memory_format is None:
        return _native_contiguous(self)
    if memory_format is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return in_format(self, memory_format, "contiguous")


def clone(self, *, memory_format=None):
    out = _native_clone(self)
    if memory_format is None or memory_format is preserve_format or memory_format is contiguous_format:
        return out
    return in_format(out, memory_format, "clone")


def is_contiguous(self, memory_format=contiguous_format):
    if memory_format is contiguous_format or memory_format is None:
        return _native_is_contiguous(self)
    return is_in_format(self, memory_format)


def to(self, *args, **kwargs):
    fmt = kwargs.pop("memory_format", None)
    out = _native_to(self, *args, **kwargs)
    if fmt is None or fmt is preserve_format:
        return out
    return in_format(out, fmt, "to")


for _fn in (contiguous, clone, is_contiguous, to):
    setattr(Tensor, _fn.__name__, _fn)
