"""Bessel functions of ``torch.special``: ``bessel_j0``, ``bessel_j1``,
``modified_bessel_i0/i1/k0/k1``, ``scaled_modified_bessel_k0/k1`` and
``spherical_bessel_j0``, computed on the host in float64 and rounded to
the input's dtype.

J_n comes from its power series below |x| = 4 and from Bessel's integral (1/2pi) int cos(n t - x sin t) dt over a
period, by the trapezoid rule: the integrand is periodic and analytic, so
the rule is exact once it has more points than the integrand's Fourier
content (about |x| + 10 |x|^(1/3)); past |x| = 2000 Hankel's asymptotic expansion
takes over. K_n comes from int_0^inf e^(-x cosh t) cosh(n t) dt, also by
the trapezoid rule (even and analytic in t: exponentially accurate). The
gradients are PyTorch's formulas (J0' = -J1, J1' = J0 - J1 / x with 1/2
at 0, K0' = -K1, K1' = -K0 - K1 / x, I0' = I1, I1' = I0 - I1 / x) in
differentiable ops, so higher orders work; the scaled K functions and
spherical_bessel_j0 have no derivative in PyTorch, and their results do
not require grad here either."""

import math

import numpy as np

from . import _native
from ._special import _host_unary, _node
from ._special_extra import _bessel_i

_HANKEL_FROM = 2000.0


def _j_hankel(n, x):
    """J_n(x) for large x > 0: sqrt(2 / (pi x)) (P cos w - Q sin w),
    w = x - n pi / 2 - pi / 4, with P and Q to 12 terms."""
    mu = 4.0 * n * n
    p, q, term = 1.0, 0.0, 1.0
    for k in range(1, 24):
        term *= (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        if k % 2:
            q += term if (k // 2) % 2 == 0 else -term
        else:
            p += -term if (k // 2) % 2 == 1 else term
    w = x - n * math.pi / 2 - math.pi / 4
    return math.sqrt(2.0 / (math.pi * x)) * (p * math.cos(w) - q * math.sin(w))


def _j_one(n, x):
    if math.isnan(x) or math.isinf(x):
        return math.nan
    sign = -1.0 if (n == 1 and x < 0) else 1.0
    x = abs(x)
    if x > _HANKEL_FROM:
        return sign * _j_hankel(n, x)
    if x < 4.0:
        # the power series: no cancellation to speak of here, and exact
        # relative values near 0 (where the quadrature's are not)
        term = (x / 2) ** n / math.factorial(n)
        total, k = term, 0
        while abs(term) > 1e-17 * abs(total):
            k += 1
            term *= -(x * x / 4) / (k * (k + n))
            total += term
        return sign * total
    # (the integrand's harmonics J_k(x) die off beyond k = x + a few x^(1/3))
    points = int(x + 10.0 * x ** (1.0 / 3.0)) + 64
    t = np.arange(points) * (2 * math.pi / points)
    return sign * float(np.mean(np.cos(n * t - x * np.sin(t))))


def _j(n):
    return np.vectorize(lambda v: _j_one(n, v), otypes=[np.float64])


def _k_one(n, x, scaled):
    """K_n(x) (times e^x when scaled) for x > 0: h/2 sum over k of
    e^(-x (cosh(k h) - shift)) cosh(n k h), with shift 1 when scaled."""
    if math.isnan(x) or x < 0:
        return math.nan
    if x == 0:
        return math.inf
    if math.isinf(x):
        return 0.0
    # the integrand's width is about 1 / sqrt(x): the step follows it
    h = min(0.05, 0.25 / math.sqrt(x))
    shift = 1.0 if scaled else 0.0
    # the terms fall below 1e-18 of the first once x (cosh t - 1) > 42 + n t
    t_max = math.acosh(1.0 + (42.0 + 2.0 * n) / x) + 0.5
    t = np.arange(1, int(t_max / h) + 2) * h
    scale = x * (1.0 - shift)
    terms = np.exp(-x * (np.cosh(t) - 1.0)) * np.cosh(n * t)
    return math.exp(-scale) * h * (0.5 + float(terms.sum()))


def _k(n, scaled):
    return np.vectorize(lambda v: _k_one(n, v, scaled), otypes=[np.float64])


def _spherical_j0(a):
    with np.errstate(all="ignore"):
        out = np.where(a == 0, 1.0, np.sin(a) / a)
    return np.where(np.isinf(a), 0.0, out)


def _float_input(input):
    """Integer inputs compute in the default float dtype, as PyTorch."""
    from ._dtype import get_default_dtype

    return input if input.is_floating_point() else input.to(get_default_dtype())


def _safe_ratio(y, x):
    """y / x with 1 where x is 0 (the callers replace that entry)."""
    return y / _native.where(x == 0, 1.0, x)


def bessel_j0(input):
    x = _float_input(input)
    return _node("SpecialBesselJ0Backward0", x, _host_unary(x, _j(0)), lambda g, y: g * -bessel_j1(x))


def bessel_j1(input):
    x = _float_input(input)

    def backward(g, y):
        return g * _native.where(x == 0, 0.5, bessel_j0(x) - _safe_ratio(bessel_j1(x), x))

    return _node("SpecialBesselJ1Backward0", x, _host_unary(x, _j(1)), backward)


def modified_bessel_i0(input):
    x = _float_input(input)
    return _node("SpecialModifiedBesselI0Backward0", x, _host_unary(x, lambda a: _bessel_i(0, a, False)), lambda g, y: g * modified_bessel_i1(x))


def modified_bessel_i1(input):
    x = _float_input(input)

    def backward(g, y):
        return g * _native.where(x == 0, 0.5, modified_bessel_i0(x) - _safe_ratio(modified_bessel_i1(x), x))

    return _node("SpecialModifiedBesselI1Backward0", x, _host_unary(x, lambda a: _bessel_i(1, a, False)), backward)


def modified_bessel_k0(input):
    x = _float_input(input)
    return _node("SpecialModifiedBesselK0Backward0", x, _host_unary(x, _k(0, False)), lambda g, y: g * -modified_bessel_k1(x))


def modified_bessel_k1(input):
    x = _float_input(input)

    def backward(g, y):
        return g * (-modified_bessel_k0(x) - modified_bessel_k1(x) / x)

    return _node("SpecialModifiedBesselK1Backward0", x, _host_unary(x, _k(1, False)), backward)


def scaled_modified_bessel_k0(input):
    return _host_unary(_float_input(input), _k(0, True))


def scaled_modified_bessel_k1(input):
    return _host_unary(_float_input(input), _k(1, True))


def spherical_bessel_j0(input):
    return _host_unary(_float_input(input), _spherical_j0)
