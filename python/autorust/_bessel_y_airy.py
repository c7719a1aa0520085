"""``torch.special.bessel_y0``/``bessel_y1`` and ``airy_ai``, in float64 on
the host, rounded to the input's dtype. The Y functions have PyTorch's
derivatives (Y0' = -Y1, Y1' = Y0 - Y1 / x) in differentiable ops, so
higher orders work; Ai has none in PyTorch, and its result does not
require grad here either.

Y_n: the power series below x = 5; Bessel's integrals
(1/pi) int_0^pi sin(x sin t - n t) dt - (1/pi) int_0^inf (e^(nt) + (-1)^n
e^(-nt)) e^(-x sinh t) dt by Gauss-Legendre quadrature up to x = 50
(analytic integrands: spectrally accurate with a node count that follows
the oscillation); Hankel's expansion beyond. Ai: the Maclaurin series on
[-3, 2]; sqrt(x / 3) K_(1/3)(zeta) / pi above (K by the trapezoid rule, as
the K functions of _bessel.py), sqrt(z) (J_(1/3) + J_(-1/3))(zeta) / 3
below (J of fractional order by the same quadrature as Y) and the
asymptotic expansion past z = 50; zeta = (2/3) |x|^(3/2).

Checked against mpmath to ~1e-13 relative (tests/test_special_polynomials.py
and the parity snippets). PyTorch's own float64 values carry larger
errors in places (Y0/Y1 up to ~1e-6 on (5, 10), Ai up to ~2e-5 relative
on (-3, -2)); PyTorch's quirks at the ends are kept: Y(inf) and Ai(+-inf)
are NaN, and Ai is 0 beyond x = 103.892."""

import math
from functools import lru_cache

import numpy as np

from ._bessel import _float_input, _j_one, _k_one
from ._special import _host_unary, _node

_EULER = 0.5772156649015329
_AI0 = 0.35502805388781723926  # Ai(0)
_AIP0 = 0.25881940379280679840  # -Ai'(0)
_AIRY_MAX = 103.892  # PyTorch's (Cephes') MAXAIRY: Ai is 0 beyond


@lru_cache(maxsize=128)
def _gauss(n):
    return np.polynomial.legendre.leggauss(n)


def _integrate(f, a, b, n):
    """int_a^b f by n-point Gauss-Legendre."""
    nodes, weights = _gauss(n)
    return 0.5 * (b - a) * float(np.dot(weights, f(0.5 * (b - a) * nodes + 0.5 * (b + a))))


def _j_fractional(nu, z):
    """J_nu(z), z > 0, by Bessel's integral for any real order."""
    first = _integrate(lambda t: np.cos(nu * t - z * np.sin(t)), 0.0, math.pi, int(z) + 80)
    upper = math.asinh(50.0 / z) + 0.1
    second = _integrate(lambda t: np.exp(-z * np.sinh(t) - nu * t), 0.0, upper, 120)
    return (first - math.sin(nu * math.pi) * second) / math.pi


def _y_series(n, x):
    q = x * x / 4
    if n == 0:
        # (2/pi) [(ln(x/2) + gamma) J0 + sum_k (-1)^(k+1) H_k q^k / k!^2]
        total, term, harmonic, k = 0.0, 1.0, 0.0, 0
        while True:
            k += 1
            term *= -q / (k * k)
            harmonic += 1.0 / k
            total -= term * harmonic
            if k > 3 and abs(term * harmonic) <= 1e-18 * abs(total):
                break
        return 2 / math.pi * ((math.log(x / 2) + _EULER) * _j_one(0, x) + total)
    # (2/pi) J1 ln(x/2) - 2/(pi x) - (1/pi) sum_k (-1)^k (psi(k+1) + psi(k+2)) (x/2)^(2k+1) / (k! (k+1)!)
    total, term, k = 0.0, x / 2, 0
    h_k, h_k1 = 0.0, 1.0
    while True:
        total += (-1) ** k * (2 * -_EULER + h_k + h_k1) * term
        k += 1
        term *= q / (k * (k + 1))
        h_k, h_k1 = h_k + 1.0 / k, h_k1 + 1.0 / (k + 1)
        if k > 3 and abs(term * 10) <= 1e-18 * abs(total):
            break
    return 2 / math.pi * _j_one(1, x) * math.log(x / 2) - 2 / (math.pi * x) - total / math.pi


def _y_quadrature(n, x):
    first = _integrate(lambda t: np.sin(x * np.sin(t) - n * t), 0.0, math.pi, int(x) + 80)
    upper = math.asinh(50.0 / x) + 0.1
    second = _integrate(lambda t: (np.exp(n * t) + (-1) ** n * np.exp(-n * t)) * np.exp(-x * np.sinh(t)), 0.0, upper, 120)
    return (first - second) / math.pi


def _y_hankel(n, x):
    """sqrt(2 / (pi x)) (P sin w + Q cos w), w = x - n pi / 2 - pi / 4."""
    mu = 4.0 * n * n
    p, q, term = 1.0, 0.0, 1.0
    for k in range(1, 60):
        term *= (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        if abs(term) < 1e-17:
            break
        if k % 2:
            q += term if (k // 2) % 2 == 0 else -term
        else:
            p += -term if (k // 2) % 2 == 1 else term
    w = x - n * math.pi / 2 - math.pi / 4
    return math.sqrt(2.0 / (math.pi * x)) * (p * math.sin(w) + q * math.cos(w))


def _y_one(n, x):
    if math.isnan(x) or x < 0 or math.isinf(x):
        return math.nan
    if x == 0:
        return -math.inf
    if x <= 5:
        return _y_series(n, x)
    return _y_quadrature(n, x) if x <= 50 else _y_hankel(n, x)


def _airy_series(x):
    """c1 f(x) - c2 g(x), the Maclaurin series (DLMF 9.4.1)."""
    cube = x**3
    f_term, g_term = 1.0, x
    f, g, k = 1.0, x, 0
    while True:
        k += 1
        f_term *= cube / ((3 * k - 1) * (3 * k))
        g_term *= cube / ((3 * k) * (3 * k + 1))
        f, g = f + f_term, g + g_term
        if k > 2 and abs(f_term) + abs(g_term) <= 1e-18 * (abs(f) + abs(g)):
            break
    return _AI0 * f - _AIP0 * g


def _airy_oscillating(z):
    """Ai(-z) for large z > 0 (DLMF 9.7.9)."""
    zeta = 2.0 / 3.0 * z**1.5
    p, q, u, k = 0.0, 0.0, 1.0, 0
    while True:
        term = u / zeta**k
        if k % 2 == 0:
            p += term if (k // 2) % 2 == 0 else -term
        else:
            q += term if (k // 2) % 2 == 0 else -term
        k += 1
        u *= (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216 * k)
        if abs(term) < 1e-17 or k > 40:
            break
    phase = zeta - math.pi / 4
    return (math.cos(phase) * p + math.sin(phase) * q) / (math.sqrt(math.pi) * z**0.25)


def _airy_one(x):
    if math.isnan(x) or math.isinf(x):
        return math.nan
    if x > _AIRY_MAX:
        return 0.0
    if -3.0 <= x <= 2.0:
        return _airy_series(x)
    zeta = 2.0 / 3.0 * abs(x) ** 1.5
    if x > 0:
        return math.sqrt(x / 3) / math.pi * _k_one(1.0 / 3.0, zeta, False)
    if x >= -50.0:
        return math.sqrt(-x) / 3 * (_j_fractional(1.0 / 3.0, zeta) + _j_fractional(-1.0 / 3.0, zeta))
    return _airy_oscillating(-x)


def _y(n):
    return np.vectorize(lambda v: _y_one(n, v), otypes=[np.float64])


def bessel_y0(input):
    x = _float_input(input)
    return _node("SpecialBesselY0Backward0", x, _host_unary(x, _y(0)), lambda g, y: g * -bessel_y1(x))


def bessel_y1(input):
    x = _float_input(input)
    return _node("SpecialBesselY1Backward0", x, _host_unary(x, _y(1)), lambda g, y: g * (bessel_y0(x) - bessel_y1(x) / x))


def airy_ai(input):
    return _host_unary(_float_input(input), np.vectorize(_airy_one, otypes=[np.float64]))
