"""Special functions PyTorch has at top level: erfc, erfinv, lgamma,
digamma, polygamma, i0.

Their values are computed on the host in float64 (Python's math module
and the series below) and rounded to the input's dtype, so they are
accurate where a composition of native ops would not be (``1 - erf(x)``
has no correct digit left at x = 4). Each is one graph node with
PyTorch's name whose backward is written in differentiable ops
(lgamma' = digamma, digamma' = polygamma(1), ...), so gradients of every
order are exact.
"""

import math

import numpy as np

from . import _native
from ._ops_register import inplace_variant, register

Tensor = _native.Tensor

_SQRT_PI = math.sqrt(math.pi)


def _host_unary(x, f):
    """f (float64 -> float64, on an array) applied to x's values: a new
    tensor of x's float dtype on x's device."""
    from ._creation import tensor
    from ._dtype import get_default_dtype

    dtype = x.dtype if x.is_floating_point() else get_default_dtype()
    a = np.asarray(x.detach().cpu().numpy(), dtype=np.float64)
    with np.errstate(all="ignore"):
        out = np.asarray(f(a), dtype=np.float64)
    return tensor(out, dtype=dtype, device=x.device)


def _node(name, x, values, backward):
    """`values` as the result of a node `name` over `x` whose backward is
    `backward(grad, result) -> grad_x`, written in tensor ops (recorded
    under create_graph, so the gradient is differentiable in turn)."""
    if not _native._needs_node([x]):
        return values
    out = values
    return _native._custom_node(out, [x], lambda g: (backward(g, _result(out)),), name)


def _grad_enabled():
    from ._grad_mode import is_grad_enabled

    return is_grad_enabled()


def _result(out):
    # the backward closes over the output's values only (its graph would be
    # a cycle through this node)
    return out.detach()


# ---- the float64 kernels (numpy arrays in, arrays out) ----


def _rust_kernel(name):
    """The Rust float64 kernel `name` (``_native._special_f64``, see
    backend/cpu/special_unary.rs) as a function of a NumPy array."""

    def kernel(a):
        from ._creation import tensor

        return _native._special_f64(name, tensor(np.asarray(a, dtype=np.float64))).numpy()

    return kernel


_erfc = _rust_kernel("erfc")
_erfinv = _rust_kernel("erfinv")


def _native_unary(x, name):
    """The Rust float64 kernel `name` over x's values: a new tensor of x's
    float dtype (rounded once) on x's device."""
    from ._dtype import get_default_dtype

    dtype = x.dtype if x.is_floating_point() else get_default_dtype()
    # (the dtype first: float64 stays off the GPU)
    return _native._special_f64(name, x.detach()).to(dtype).to(x.device)


def _polygamma_series(n, x):
    """psi^(n)(x) for n >= 0 and x > 0: the recurrence up to x >= 10, then
    the asymptotic series."""
    x = np.asarray(x, dtype=np.float64).copy()
    acc = np.zeros_like(x)
    sign = (-1.0) ** (n + 1)
    fact = math.factorial(n)
    small = x < 10
    while small.any():
        xs = x[small]
        acc[small] += (-1.0 / xs) if n == 0 else sign * fact / xs ** (n + 1)
        x[small] = xs + 1
        small = x < 10
    # Bernoulli numbers B2..B16 for the asymptotic expansion
    bern = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510]
    if n == 0:
        s = np.log(x) - 0.5 / x
        for k, b in enumerate(bern, start=1):
            s -= b / (2 * k * x ** (2 * k))
        return s + acc
    s = math.factorial(n - 1) / x**n + fact / (2 * x ** (n + 1))
    for k, b in enumerate(bern, start=1):
        s += b * math.factorial(2 * k + n - 1) / (math.factorial(2 * k) * x ** (2 * k + n))
    return sign * s + acc


def _polygamma(n, x):
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    pos = x > 0
    out[pos] = _polygamma_series(n, x[pos])
    neg = (x <= 0) & np.isfinite(x)
    pole = neg & (x == np.floor(x))
    # PyTorch's values at the poles: digamma is NaN at the negative
    # integers and inf with the opposite sign of a zero (copysign(inf, -x));
    # the even orders from 2 on are -inf, the odd ones inf
    out[pole] = np.nan if n == 0 else -np.inf if n % 2 == 0 else np.inf
    if n == 0:
        zero = x == 0
        out[zero] = np.copysign(np.inf, -x[zero])
    ok = neg & ~pole
    if ok.any():
        xn = x[ok]
        if n == 0:
            # reflection: psi(x) = psi(1 - x) - pi cot(pi x)
            out[ok] = _polygamma_series(0, 1 - xn) - math.pi / np.tan(math.pi * xn)
        else:
            # recurrence down from a positive argument
            k = np.ceil(-xn) + 1
            acc = np.zeros_like(xn)
            cur = xn.copy()
            for _ in range(int(k.max())):
                step = cur < 1
                acc[step] += (-1.0) ** (n + 1) * math.factorial(n) / cur[step] ** (n + 1)
                cur[step] += 1
            out[ok] = _polygamma_series(n, cur) + acc
    out[np.isnan(x)] = np.nan
    out[x == np.inf] = 0.0 if n else np.inf
    return out


# ---- the functions ----


def erfc(self):
    values = _native_unary(self, "erfc")
    return _node("ErfcBackward0", self, values, lambda g, y: g * (-2.0 / _SQRT_PI) * (-self.square()).exp())


def erfinv(self):
    values = _native_unary(self, "erfinv")
    # d/dy erfinv(y) = sqrt(pi)/2 exp(erfinv(y)^2): written on the input via
    # erfinv itself, so it is differentiable again
    return _node("ErfinvBackward0", self, values, lambda g, y: g * (_SQRT_PI / 2) * erfinv(self).square().exp())


def lgamma(self):
    values = _native_unary(self, "lgamma")
    return _node("LgammaBackward0", self, values, lambda g, y: g * digamma(self))


def _trigamma(x):
    """PyTorch's trigamma, step for step in x's own precision (float32
    arithmetic for float32): on the negative integers its reflection term
    pi^2 / sin(pi x)^2 is finite (sin(pi x) rounds to a small nonzero
    number), and so is PyTorch's result there."""
    x = np.array(x, copy=True)
    one = x.dtype.type(1)
    pi = x.dtype.type(math.pi)
    sign = np.where(x < 0.5, -one, one)
    with np.errstate(all="ignore"):
        reflect = x < 0.5
        sin_pi_x = np.sin(pi * x)
        result = np.where(reflect, -(pi * pi) / (sin_pi_x * sin_pi_x), x.dtype.type(0))
        x = np.where(reflect, one - x, x)
        for _ in range(6):
            result = result + one / (x * x)
            x = x + one
        ixx = one / (x * x)
        series = one + one / (x.dtype.type(2) * x) + ixx * (x.dtype.type(1.0 / 6) - ixx * (x.dtype.type(1.0 / 30) - ixx * x.dtype.type(1.0 / 42)))
        result = result + series / x
    return sign * result


def _polygamma_values(n, x):
    """polygamma(n, x)'s values as a tensor of x's float dtype."""
    if n == 0:
        return _native_unary(x, "digamma")
    if n != 1:
        return _host_unary(x, lambda a: _polygamma(n, a))
    from ._creation import tensor
    from ._dtype import get_default_dtype

    dtype = x.dtype if x.is_floating_point() else get_default_dtype()
    a = np.asarray(x.detach().cpu().numpy(), dtype=dtype._np)
    return tensor(_trigamma(a), dtype=dtype, device=x.device)


def digamma(self):
    values = _native_unary(self, "digamma")
    return _node("DigammaBackward0", self, values, lambda g, y: g * polygamma(1, self))


def polygamma(n, input):
    if int(n) != n or n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    n = int(n)
    values = _polygamma_values(n, input)
    return _node("PolygammaBackward0", input, values, lambda g, y: g * polygamma(n + 1, input))


def _method_polygamma(self, n):
    return polygamma(n, self)


register([erfc, erfinv, lgamma, digamma])
register([polygamma], methods=False)
Tensor.polygamma = _method_polygamma
for _fn in (erfc, erfinv, lgamma, digamma):
    setattr(Tensor, _fn.__name__ + "_", inplace_variant(_fn))
