"""The orthogonal polynomials of ``torch.special`` (Chebyshev T/U/V/W and
their shifted forms on [0, 1], Hermite H and He, Laguerre L, Legendre P)
of degree n at x, elementwise with broadcasting: by their three-term
recurrences on the host, in the result's dtype (float32 overflows where
PyTorch's does). As in
PyTorch, the degree is truncated to an integer, a negative degree gives
0, |x| = 1 (0 for Laguerre) gives the closed values, high degrees inside
(-1, 1) take the trigonometric forms (T past degree 6, U/V/W past 8), and
the results are not differentiable (they do not require grad)."""

import numpy as np

from . import _native

Tensor = _native.Tensor


def _recurrence(x, n, first, step):
    """P_n(x) from P_0 = 1, P_1 = first(x) and P_{k+1} = step(k, x, P_k, P_{k-1})."""
    previous, current = np.ones_like(x), first(x)
    out = np.where(n <= 0, previous, current)
    for k in range(1, int(np.max(n, initial=0))):
        previous, current = current, step(k, x, current, previous)
        out = np.where(n == k + 1, current, out)
    return out


def _integral(n, x):
    """The (integral) degrees in x's dtype: PyTorch converts n for the
    arithmetic of the trigonometric forms."""
    return n.astype(x.dtype)


def _chebyshev_step(k, x, current, previous):
    return 2 * x * current - previous


def _at_plus_minus_one(x, n, at_plus, at_minus_even, at_minus_odd, values):
    """`values` with the closed forms at x = 1 and x = -1."""
    at_minus = np.where(n % 2 == 0, at_minus_even, at_minus_odd)
    return np.where(x == 1, at_plus, np.where(x == -1, at_minus, values))


def _chebyshev_t(x, n):
    n = _integral(n, x)
    values = _recurrence(x, n, lambda x: x, _chebyshev_step)
    values = np.where((n > 6) & (np.abs(x) < 1), np.cos(n * np.arccos(x)), values)
    return _at_plus_minus_one(x, n, 1.0, 1.0, -1.0, values)


def _chebyshev_u(x, n):
    n = _integral(n, x)
    values = _recurrence(x, n, lambda x: 2 * x, _chebyshev_step)
    theta = np.arccos(x)
    trig = np.where(np.sin(theta) != 0, np.sin((n + 1) * theta) / np.sin(theta), (n + 1) * np.cos((n + 1) * theta))
    values = np.where((n > 8) & (np.abs(x) < 1), trig, values)
    return _at_plus_minus_one(x, n, n + 1.0, n + 1.0, -(n + 1.0), values)


def _chebyshev_v(x, n):
    n = _integral(n, x)
    values = _recurrence(x, n, lambda x: 2 * x - 1, _chebyshev_step)
    theta = np.arccos(x)
    trig = np.where(np.sin(theta / 2) != 1, np.cos((n + 0.5) * theta) / np.cos(theta / 2), np.where(n % 2 == 0, 2 * n + 1.0, -(2 * n + 1.0)))
    values = np.where((n > 8) & (np.abs(x) < 1), trig, values)
    return _at_plus_minus_one(x, n, 1.0, 2 * n + 1.0, -(2 * n + 1.0), values)


def _chebyshev_w(x, n):
    n = _integral(n, x)
    values = _recurrence(x, n, lambda x: 2 * x + 1, _chebyshev_step)
    theta = np.arccos(x)
    trig = np.where(
        np.cos(theta / 2) != 1, np.sin((n + 0.5) * theta) / np.sin(theta / 2), np.where(x > 0, 2 * n + 1.0, np.where(n % 2 == 0, 1.0, -1.0))
    )
    values = np.where((n > 8) & (np.abs(x) < 1), trig, values)
    return _at_plus_minus_one(x, n, 2 * n + 1.0, 1.0, -1.0, values)


def _hermite_h(x, n):
    return _recurrence(x, n, lambda x: 2 * x, lambda k, x, current, previous: 2 * x * current - x.dtype.type(2 * k) * previous)


def _hermite_he(x, n):
    return _recurrence(x, n, lambda x: x, lambda k, x, current, previous: x * current - x.dtype.type(k) * previous)


def _laguerre_l(x, n):
    values = _recurrence(
        x,
        n,
        lambda x: 1 - x,
        lambda k, x, current, previous: ((x.dtype.type(2 * k + 1) - x) * current - x.dtype.type(k) * previous) / x.dtype.type(k + 1),
    )
    return np.where(x == 0, 1.0, values)


def _legendre_p(x, n):
    values = _recurrence(
        x, n, lambda x: x, lambda k, x, current, previous: (x.dtype.type(2 * k + 1) * x * current - x.dtype.type(k) * previous) / x.dtype.type(k + 1)
    )
    return _at_plus_minus_one(x, n, 1.0, 1.0, -1.0, values)


def _shifted(polynomial):
    return lambda x, n: polynomial(2 * x - 1, n)


def _polynomial(name, values_of):
    def polynomial(x, n, *, out=None):
        from ._creation import tensor
        from ._dtype import get_default_dtype
        from ._out import write_out
        from ._promotion import result_type

        if not isinstance(x, Tensor) and not isinstance(n, Tensor):
            raise TypeError(
                f"special_{name}() received an invalid combination of arguments - got ({type(x).__name__}, {type(n).__name__}), "
                "but expected one of:\n * (Tensor x, Tensor n, *, Tensor out = None)\n * (Number x, Tensor n, *, Tensor out = None)\n"
                " * (Tensor x, Number n, *, Tensor out = None)\n"
            )
        like = x if isinstance(x, Tensor) else n
        xt = x if isinstance(x, Tensor) else tensor(x, device=like.device)
        nt = n if isinstance(n, Tensor) else tensor(n, device=like.device)
        dtype = result_type(x, n)
        if not dtype.is_floating_point:
            dtype = get_default_dtype()
        work = np.float32 if dtype.itemsize == 4 else np.float64
        a = np.asarray(xt.detach().cpu().numpy(), dtype=work)
        degree = np.trunc(np.asarray(nt.detach().cpu().numpy(), dtype=np.float64))
        a, degree = np.broadcast_arrays(a, degree)
        with np.errstate(all="ignore"):
            finite = np.where(np.isfinite(degree), degree, -1)
            values = np.where(degree < 0, work(0), values_of(a, finite.astype(np.int64)).astype(work))
        result = tensor(values, dtype=dtype, device=like.device)
        return result if out is None else write_out(f"special_{name}", result, out)

    polynomial.__name__ = name
    polynomial.__doc__ = f"``torch.special.{name}(x, n)``: see the module's docstring."
    return polynomial


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", _chebyshev_t)
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", _chebyshev_u)
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", _chebyshev_v)
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", _chebyshev_w)
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t", _shifted(_chebyshev_t))
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u", _shifted(_chebyshev_u))
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v", _shifted(_chebyshev_v))
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w", _shifted(_chebyshev_w))
hermite_polynomial_h = _polynomial("hermite_polynomial_h", _hermite_h)
hermite_polynomial_he = _polynomial("hermite_polynomial_he", _hermite_he)
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", _laguerre_l)
legendre_polynomial_p = _polynomial("legendre_polynomial_p", _legendre_p)

NAMES = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
]
