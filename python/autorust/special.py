"""``torch.special``: the special functions under PyTorch's ``special``
names. Most are the same ops as their ``torch.*`` names (same nodes, same
gradients); the ones PyTorch only has here are built from them or computed
on the host in float64 (the Bessel, Airy, incomplete gamma and polynomial
families)."""

import math

from . import _native
from ._bessel import (  # noqa: F401
    bessel_j0,
    bessel_j1,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    spherical_bessel_j0,
)
from ._bessel_y_airy import airy_ai, bessel_y0, bessel_y1  # noqa: F401
from ._composite import with_scalar
from ._incomplete_gamma import igamma as gammainc  # noqa: F401
from ._incomplete_gamma import igammac as gammaincc
from ._orthogonal_polynomials import NAMES as _POLYNOMIALS
from ._orthogonal_polynomials import (  # noqa: F401
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from ._special_extra import erfcx, i0, i0e, i1, i1e, log_ndtr, ndtri, zeta

__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
    "zeta",
] + _POLYNOMIALS

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


def entr(input):
    """-x log x elementwise (0 at 0, -inf below 0), one node."""
    from ._special import _host_unary, _node

    def values_of(a):
        import numpy as np

        with np.errstate(all="ignore"):
            return np.where(a > 0, -a * np.log(np.where(a > 0, a, 1.0)), np.where(a == 0, 0.0, np.where(np.isnan(a), np.nan, -np.inf)))

    values = _host_unary(input, values_of)
    return _node("SpecialEntrBackward0", input, values, lambda g, y: g * -(input.log() + 1))


def xlog1py(input, other):
    """x * log1p(y), 0 where x is 0 (y not NaN); PyTorch's node (the
    derivative in x is log1p(y) even where x is 0)."""
    from ._creation import tensor
    from ._functions import broadcast_tensors

    like = input if isinstance(input, Tensor) else other
    x = input if isinstance(input, Tensor) else tensor(float(input), dtype=like.dtype, device=like.device)
    y = other if isinstance(other, Tensor) else tensor(float(other), dtype=like.dtype, device=like.device)
    from ._grad_mode import no_grad
    from ._ops_pointwise import _promoted

    # log1p(y) in the result's dtype (a float32 y of a float64 x is
    # converted first, as PyTorch's kernel)
    dtype = _promoted(x, y)[1].dtype
    with no_grad():
        values = _native.where((x == 0) & ~y.isnan(), 0.0, x * y.to(dtype).log1p())
    if not _native._needs_node([x, y]):
        return values
    x_b, y_b = broadcast_tensors(x, y)

    def backward(g):
        # PyTorch's xlog1py(grad, other) masked to 0 where self is 0 and
        # other <= -1 (where log1p(other) is -inf or NaN)
        gx = None
        if x.requires_grad:
            log_term = y_b.to(dtype).log1p()
            gx = _native.where((g == 0) & ~y_b.isnan(), 0.0, g * log_term)
            gx = _native.where((x_b == 0) & (y_b <= -1), 0.0, gx)
        gy = g * x_b / (y_b + 1) if y.requires_grad else None
        return gx, gy

    return _native._custom_node(values, [x, y], backward, "SpecialXlog1PyBackward0", saved=[x, y])


def multigammaln(input, p):
    """The log of the multivariate gamma function of dimension p."""
    from ._creation import arange

    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    from ._composite import composite

    def value(a):
        args = arange(-p / 2.0 + 0.5, 0.5, 0.5, dtype=a.dtype, device=a.device).add(a.unsqueeze(-1))
        return args.lgamma().sum(-1).add(p * (p - 1) * math.log(math.pi) * 0.25)

    return composite("MvlgammaBackward0", value, input)
