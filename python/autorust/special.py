"""``torch.special``: the special functions under PyTorch's ``special``
names. Most are the same ops as their ``torch.*`` names (same nodes, same
gradients); the ones PyTorch only has here are built from them. Functions
PyTorch's module has and this one lacks (Bessel functions, zeta, the
incomplete gammas, ...) are absent, so a program using them fails with an
AttributeError rather than a wrong number."""

import math

from . import _native
from ._composite import with_scalar

__all__ = [
    "digamma", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "log1p", "log_softmax",
    "logit", "logsumexp", "ndtr", "polygamma", "psi", "round", "sinc", "softmax", "xlogy",
]

Tensor = _native.Tensor


def _method(name):
    def call(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    call.__name__ = name
    call.__doc__ = f"``torch.special`` form of ``Tensor.{name}``."
    return call


expit = _method("sigmoid")
logit = _method("logit")
erf = _method("erf")
erfc = _method("erfc")
erfinv = _method("erfinv")
gammaln = _method("lgamma")
digamma = psi = _method("digamma")
exp2 = _method("exp2")
expm1 = _method("expm1")
log1p = _method("log1p")
sinc = _method("sinc")
def round(input, decimals=0):
    return input.round(decimals=decimals)  # PyTorch's special.round passes decimals (RoundBackward1)
logsumexp = _method("logsumexp")


def polygamma(n, input):
    return input.polygamma(n)


def xlogy(input, other):
    from ._ops_pointwise import xlogy as _xlogy

    return _xlogy(input, other)


def softmax(input, dim, *, dtype=None):
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return input.log_softmax(dim, dtype=dtype)


def ndtr(input):
    """The standard normal CDF, (1 + erf(x / sqrt(2))) / 2, built as
    PyTorch builds it (its last node is the product by 0.5)."""
    x = input if input.is_floating_point() else input.float()
    scaled = with_scalar(x * (1 / math.sqrt(2)), "MulBackward1")
    return with_scalar(with_scalar(scaled.erf() + 1, "AddBackward1") * 0.5, "MulBackward1")
