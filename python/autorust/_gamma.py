"""Gamma and Dirichlet draws and their reparameterised gradients
(``torch._standard_gamma``, ``torch._sample_dirichlet`` and the gradients
behind ``Gamma.rsample`` and ``Dirichlet.rsample``).

The draws are PyTorch's, number for number (the native ``gamma_draws``
runs PyTorch's CPU sampler on the same generator). The gradients are the
implicit ones PyTorch uses, dx/dalpha = -(dF/dalpha) / f for the sample's
CDF F and density f (a Gamma(alpha, 1) sample; a Dirichlet coordinate
through its Beta(alpha_i, total - alpha_i) marginal, then projected onto
the simplex as PyTorch does). PyTorch evaluates them with fitted series
and rational approximations; here dF/dalpha is a central difference of
the regularized incomplete gamma and beta functions computed in float64,
so the values agree to those approximations' accuracy (about 1e-3
relative at worst), not to the bit. Neither has a derivative of its own,
as in PyTorch."""

import math

import numpy as np

from . import _native
from ._dtype import float32, float64
from ._grad_mode import is_grad_enabled, no_grad
from ._ops_register import register

_TINY = 1e-300


def _gamma_series(a, x):
    """P(a, x) for x < a + 1: e^-x x^a / Gamma(a + 1) times the series
    sum x^n / ((a + 1) ... (a + n))."""
    term = total = 1.0 / a
    ap = a
    for _ in range(100000):
        ap += 1.0
        term *= x / ap
        total += term
        if abs(term) < abs(total) * 1e-17:
            break
    return math.exp(a * math.log(x) - x - math.lgamma(a)) * total


def _gamma_fraction(a, x):
    """Q(a, x) for x >= a + 1, by the continued fraction (modified Lentz)."""
    b = x + 1.0 - a
    c, d = 1.0 / _TINY, 1.0 / b
    h = d
    for i in range(1, 100000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return math.exp(a * math.log(x) - x - math.lgamma(a)) * h


def _gamma_grad_one(alpha, x):
    """d x / d alpha of a Gamma(alpha, 1) sample x."""
    if not (x > 0 and alpha > 0) or math.isinf(x):
        return 0.0
    h = alpha * 1e-5
    # difference whichever of P and Q is small (1 - the other loses digits)
    if x < alpha + 1.0:
        dp = (_gamma_series(alpha + h, x) - _gamma_series(alpha - h, x)) / (2 * h)
    else:
        dp = -(_gamma_fraction(alpha + h, x) - _gamma_fraction(alpha - h, x)) / (2 * h)
    log_density = (alpha - 1.0) * math.log(x) - x - math.lgamma(alpha)
    result = -dp / math.exp(log_density)
    return 0.0 if math.isnan(result) else result


def _beta_fraction(a, b, x):
    """The continued fraction of the incomplete beta function (Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (_TINY if abs(d) < _TINY else d)
    h = d
    for m in range(1, 100000):
        m2 = 2 * m
        for an in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + an * d
            d = 1.0 / (_TINY if abs(d) < _TINY else d)
            c = 1.0 + an / c
            c = _TINY if abs(c) < _TINY else c
            h *= d * c
        if abs(d * c - 1.0) < 1e-16:
            break
    return h


def _beta_term(a, b, x):
    """x^a (1 - x)^b / (a B(a, b)) times the continued fraction: I_x(a, b)
    where x < (a + 1) / (a + b + 2)."""
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    return math.exp(log_front) * _beta_fraction(a, b, x) / a


def _beta_grad_one(x, a, b):
    """d x / d a (b fixed) of a Beta(a, b) sample x."""
    if not (0 < x < 1 and a > 0 and b > 0):
        return 0.0
    h = a * 1e-5
    if x < (a + 1.0) / (a + b + 2.0):
        di = (_beta_term(a + h, b, x) - _beta_term(a - h, b, x)) / (2 * h)
    else:  # I = 1 - I_{1-x}(b, a): difference the small complement
        di = -(_beta_term(b, a + h, 1 - x) - _beta_term(b, a - h, 1 - x)) / (2 * h)
    log_density = (a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x) - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    result = -di / math.exp(log_density)
    return 0.0 if math.isnan(result) else result


def _host(t):
    return t.detach().cpu().numpy().astype(np.float64)


def _like(values, t):
    from ._creation import tensor

    return tensor(np.asarray(values, dtype=np.float64).reshape(tuple(t.shape)), dtype=t.dtype, device=t.device)


def _check_float(t, op):
    if t.dtype not in (float32, float64):
        from ._dtype import scalar_name

        raise NotImplementedError(f"\"{op}\" not implemented for '{scalar_name(t.dtype)}'")


def _standard_gamma_grad(self, output):
    """d output / d self for Gamma(self, 1) samples ``output``."""
    alpha, x = np.broadcast_arrays(_host(self), _host(output))
    grads = [_gamma_grad_one(float(a), float(v)) for a, v in zip(alpha.reshape(-1), x.reshape(-1))]
    return _like(grads, self if self.numel() >= output.numel() else output)


def _dirichlet_grad(x, alpha, total):
    """(d x_i / d alpha_i) / (1 - x_i) of Dirichlet samples through their
    Beta(alpha_i, total_i - alpha_i) marginals (the other coordinates
    shrink in proportion, hence the scale, as PyTorch's)."""
    xs, a, t = np.broadcast_arrays(_host(x), _host(alpha), _host(total))
    grads = [
        _beta_grad_one(float(v), float(ai), float(ti - ai)) / (1.0 - float(v)) for v, ai, ti in zip(xs.reshape(-1), a.reshape(-1), t.reshape(-1))
    ]
    return _like(grads, x)


def _no_second_derivative(name):
    def refuse(g):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")

    return refuse


def _once_differentiable(value, inputs, name):
    """``value`` (a gradient computed on the host) as a node whose own
    gradient raises, when a graph is being built over it."""
    if is_grad_enabled() and _native._needs_node(inputs):
        return _native._custom_node(value, inputs, _no_second_derivative(name), "NotImplemented")
    return value


def _standard_gamma(self, generator=None):
    """Gamma(self, 1) draws (PyTorch's, for the same generator state);
    differentiable in ``self`` through the implicit gradient."""
    from ._creation import _gen

    _check_float(self, "_standard_gamma")
    alphas = _host(self).reshape(-1).tolist()
    out = _like(_native.gamma_draws(alphas, self.dtype == float32, False, _gen(generator)), self)
    if not _native._needs_node([self]):
        return out
    source = self

    def backward(g):
        return (_once_differentiable(g * _standard_gamma_grad(source, out), [g, source], "_standard_gamma_grad"),)

    return _native._custom_node(out, [self], backward, "StandardGammaBackward0", saved=[self])


def _sample_dirichlet(self, generator=None):
    """Dirichlet draws, one per row of the last dim (PyTorch's: double
    precision Gamma draws, normalised, kept inside (0, 1))."""
    from ._creation import _gen

    _check_float(self, "_sample_dirichlet")
    alpha = _host(self)
    gammas = np.asarray(_native.gamma_draws(alpha.reshape(-1).tolist(), False, True, _gen(generator))).reshape(alpha.shape)
    ratio = gammas / gammas.sum(-1, keepdims=True)
    kind = np.float32 if self.dtype == float32 else np.float64
    info = np.finfo(kind)
    clipped = np.minimum(np.nextafter(kind(1), kind(0)), np.maximum(info.tiny, ratio.astype(kind)))
    return _like(clipped, self)


def dirichlet_rsample(concentration):
    """A Dirichlet draw as the node PyTorch's ``_Dirichlet`` function makes
    (``_DirichletBackward``): the marginal gradients, projected so the
    coordinates keep summing to one."""
    with no_grad():
        x = _sample_dirichlet(concentration)
    if not _native._needs_node([concentration]):
        return x
    source = concentration

    def backward(g):
        total = source.sum(-1, True).expand_as(source)
        grad = _dirichlet_grad(x, source, total)
        value = grad * (g - (x * g).sum(-1, True))
        return (_once_differentiable(value, [g, source], "_dirichlet_grad"),)

    return _native._custom_node(x, [concentration], backward, "_DirichletBackward", saved=[concentration])


register([_standard_gamma, _standard_gamma_grad, _sample_dirichlet, _dirichlet_grad], methods=False)
