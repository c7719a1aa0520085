"""Padding layers over ``F.pad``: constant (and zero), reflection,
replication and circular, 1-d, 2-d and 3-d."""

import numbers

from .. import functional as F
from .module import Module


class _Pad(Module):
    mode = "constant"
    sides = 2

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = (padding,) * self.sides if isinstance(padding, numbers.Integral) else tuple(padding)
        if self.mode == "constant":
            self.value = value

    def forward(self, input):
        if self.mode == "constant":
            return F.pad(input, self.padding, mode="constant", value=self.value)
        return F.pad(input, self.padding, mode=self.mode)

    def extra_repr(self):
        if self.mode == "constant":
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class _ZeroPad(_Pad):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


def _pad(name, base, mode, sides):
    return type(name, (base,), {"mode": mode, "sides": sides})


ConstantPad1d = _pad("ConstantPad1d", _Pad, "constant", 2)
ConstantPad2d = _pad("ConstantPad2d", _Pad, "constant", 4)
ZeroPad1d = _pad("ZeroPad1d", _ZeroPad, "constant", 2)
ZeroPad2d = _pad("ZeroPad2d", _ZeroPad, "constant", 4)
ReflectionPad1d = _pad("ReflectionPad1d", _Pad, "reflect", 2)
ReflectionPad2d = _pad("ReflectionPad2d", _Pad, "reflect", 4)
ReplicationPad1d = _pad("ReplicationPad1d", _Pad, "replicate", 2)
ReplicationPad2d = _pad("ReplicationPad2d", _Pad, "replicate", 4)
CircularPad1d = _pad("CircularPad1d", _Pad, "circular", 2)
CircularPad2d = _pad("CircularPad2d", _Pad, "circular", 4)
ConstantPad3d = _pad("ConstantPad3d", _Pad, "constant", 6)
ZeroPad3d = _pad("ZeroPad3d", _ZeroPad, "constant", 6)
ReflectionPad3d = _pad("ReflectionPad3d", _Pad, "reflect", 6)
ReplicationPad3d = _pad("ReplicationPad3d", _Pad, "replicate", 6)
CircularPad3d = _pad("CircularPad3d", _Pad, "circular", 6)
