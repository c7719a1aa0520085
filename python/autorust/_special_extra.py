"""The special functions of ``torch.special`` that need their own numerics:
the modified Bessel functions ``i0 i0e i1 i1e``, ``erfcx``, ``ndtri``,
``log_ndtr`` and the Hurwitz ``zeta``. Values are computed on the host in
float64 (series and asymptotic expansions) and rounded to the input's
dtype; each is one node with PyTorch's name whose backward is written in
differentiable ops built from these same functions (i0' = i1, ...), so
higher derivatives are exact. zeta has PyTorch's derivative in q only."""

import math

import numpy as np

from . import _native
from ._special import _erfc, _erfinv, _host_unary, _node

Tensor = _native.Tensor

_SQRT_2PI = math.sqrt(2 * math.pi)


# ---- float64 kernels ----


def _bessel_i(nu, a, scaled):
    """I_nu(|x|) (times e^-|x| when scaled) for nu 0 or 1, odd in x for nu 1:
    the power series up to 30, the asymptotic expansion beyond."""
    x = np.abs(a)
    out = np.empty_like(x)
    small = x <= 30
    xs = x[small]
    half = xs / 2
    term = half if nu else np.ones_like(xs)
    total = term.copy()
    square = half * half
    for k in range(1, 200):
        term = term * square / (k * (k + nu))
        total = total + term
        if not np.any(term > 1e-17 * total):
            break
    out[small] = total * np.exp(-xs) if scaled else total
    xl = x[~small]
    mu = 4.0 * nu * nu
    series = np.ones_like(xl)
    coefficient = np.ones_like(xl)
    for k in range(1, 25):
        coefficient = coefficient * -(mu - (2 * k - 1) ** 2) / (k * 8 * xl)
        series = series + coefficient
    with np.errstate(over="ignore"):
        out[~small] = series / np.sqrt(2 * np.pi * xl) * (1.0 if scaled else np.exp(xl))
    if nu:
        out = np.sign(a) * out
    out[np.isnan(a)] = np.nan
    return out


def _erfcx(a):
    """e^(x^2) erfc(x): directly up to 26, the asymptotic series above;
    for negative x, 2 e^(x^2) - erfcx(-x)."""
    out = np.empty_like(a)
    with np.errstate(over="ignore", invalid="ignore"):
        mid = np.abs(a) <= 26
        out[mid] = np.exp(a[mid] ** 2) * _erfc(a[mid])
        big = a > 26
        xb = a[big]
        series = np.ones_like(xb)
        term = np.ones_like(xb)
        for k in range(1, 12):
            term = term * -(2 * k - 1) / (2 * xb * xb)
            series = series + term
        out[big] = series / (xb * math.sqrt(math.pi))
        out[a < -26] = np.inf
    out[np.isnan(a)] = np.nan
    return out


def _ndtr(x):
    return 0.5 * _erfc(-x / math.sqrt(2))


def _ndtri(p):
    """The normal quantile: from the lower tail q = min(p, 1 - p), a start
    (sqrt(2) erfinv(2q - 1), or the tail's -sqrt(-2 log q)) refined by
    Newton steps on log ndtr, exact in the far tail; odd about p = 1/2."""
    with np.errstate(all="ignore"):
        q = np.where(p < 0.5, p, 1 - p)
        inside = (q > 0) & (q <= 0.5)
        qs = np.where(inside, q, 0.25)
        x = np.where(qs < 1e-3, -np.sqrt(-2 * np.log(qs)), math.sqrt(2) * _erfinv(2 * qs - 1))
        for _ in range(6):
            log_cdf = _log_ndtr(x)
            log_pdf = -x * x / 2 - 0.5 * math.log(2 * math.pi)
            x = x - (log_cdf - np.log(qs)) / np.exp(log_pdf - log_cdf)
        x = np.where(p < 0.5, x, -x) + 0.0  # (+0.0: the median is 0, not -0)
    x = np.where(p == 0, -np.inf, np.where(p == 1, np.inf, x))
    return np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, x)


def _log_ndtr(a):
    with np.errstate(all="ignore"):
        low = np.log(0.5 * _erfcx(-a / math.sqrt(2))) - a * a / 2
        high = np.log1p(-0.5 * _erfc(a / math.sqrt(2)))
        middle = np.log(_ndtr(a))
    return np.where(a < -5, low, np.where(a > 0, high, middle))


_ZETA_A = [
    12.0,
    -720.0,
    30240.0,
    -1209600.0,
    47900160.0,
    -1.8924375803183791606e9,
    7.47242496e10,
    -2.950130727918164224e12,
    1.1646782814350067249e14,
    -4.5979787224074726105e15,
    1.8152105401943546773e17,
    -7.1661652561756670113e18,
]


def _zeta_scalar(x, q):
    """Hurwitz zeta by Euler-Maclaurin summation, Cephes' scheme step for
    step as PyTorch runs it (its tests and its order of checks, so NaN and
    the infinities give PyTorch's values). numpy scalars: a division by
    zero or an overflow gives inf or NaN, not a Python exception."""
    x, q = np.float64(x), np.float64(q)
    one, eps = np.float64(1.0), 1.11022302462515654042e-16
    if x == one:
        return np.inf
    if x < one:
        return np.nan
    if q <= 0:
        if q == np.floor(q):
            return np.inf
        if x != np.floor(x):
            return np.nan
    s = q**-x
    a, i, b = q, 0, np.float64(0.0)
    while i < 9 or a <= 9:
        i += 1
        a += one
        b = a**-x
        s += b
        if -eps * s < b < eps * s:
            return s
    w = a
    s += b * w / (x - one)
    s -= 0.5 * b
    a, k = one, np.float64(0.0)
    for coefficient in _ZETA_A:
        a *= x + k
        b /= w
        t = a * b / coefficient
        s += t
        if abs(t / s) < eps:
            return s
        k += one
        a *= x + k
        b /= w
        k += one
    return s


_zeta_each = np.vectorize(_zeta_scalar, otypes=[np.float64])


def _zeta(a, b):
    with np.errstate(all="ignore"):
        return _zeta_each(a, b)


# ---- the functions ----


def i0(input):
    values = _host_unary(input, lambda a: _bessel_i(0, a, False))
    return _node("I0Backward0", input, values, lambda g, y: g * i1(input))


def i1(input):
    values = _host_unary(input, lambda a: _bessel_i(1, a, False))

    def backward(g, y):
        # I1' = I0 - I1 / x, 1/2 at 0
        zero = input == 0
        safe = _native.where(zero, 1.0, input)
        return g * _native.where(zero, 0.5, i0(input) - i1(input) / safe)

    return _node("SpecialI1Backward0", input, values, backward)


def i0e(input):
    values = _host_unary(input, lambda a: _bessel_i(0, a, True))
    return _node("SpecialI0EBackward0", input, values, lambda g, y: g * (i1e(input) - input.sign() * i0e(input)))


def i1e(input):
    values = _host_unary(input, lambda a: _bessel_i(1, a, True))

    def backward(g, y):
        zero = input == 0
        safe = _native.where(zero, 1.0, input)
        return g * _native.where(zero, 0.5, i0e(input) - i1e(input) * (input.sign() + 1 / safe))

    return _node("SpecialI1EBackward0", input, values, backward)


def erfcx(input):
    values = _host_unary(input, _erfcx)
    return _node("SpecialErfcxBackward0", input, values, lambda g, y: g * (2 * input * erfcx(input) - 2 / math.sqrt(math.pi)))


def ndtri(input):
    values = _host_unary(input, _ndtri)
    return _node("SpecialNdtriBackward0", input, values, lambda g, y: g * _SQRT_2PI * (ndtri(input).square() / 2).exp())


def log_ndtr(input):
    values = _host_unary(input, _log_ndtr)
    # d/dx log ndtr(x) = phi(x) / ndtr(x) = exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi)
    return _node("SpecialLogNdtrBackward0", input, values, lambda g, y: g * (-input.square() / 2 - log_ndtr(input)).exp() / _SQRT_2PI)


def zeta(input, other):
    """The Hurwitz zeta sum over n >= 0 of (other + n)^-input; its
    derivative in ``input`` is not implemented (as in PyTorch)."""
    from ._creation import tensor
    from ._functions import broadcast_tensors

    like = input if isinstance(input, Tensor) else other
    x = input if isinstance(input, Tensor) else tensor(float(input), dtype=like.dtype, device=like.device)
    q = other if isinstance(other, Tensor) else tensor(float(other), dtype=like.dtype, device=like.device)
    x, q = broadcast_tensors(x, q)
    a = np.asarray(x.detach().cpu().numpy(), dtype=np.float64)
    b = np.asarray(q.detach().cpu().numpy(), dtype=np.float64)
    values = tensor(_zeta(a, b), dtype=x.dtype if x.is_floating_point() else q.dtype, device=like.device)
    if not _native._needs_node([x, q]):
        return values

    def backward(g):
        if x.requires_grad:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return None, (g * -x * zeta(x + 1.0, q) if q.requires_grad else None)

    return _native._custom_node(values, [x, q], backward, "SpecialZetaBackward0")
