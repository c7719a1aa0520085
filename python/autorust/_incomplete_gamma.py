"""The regularized incomplete gamma functions P(a, x) (``igamma``,
``special.gammainc``) and Q(a, x) = 1 - P (``igammac``,
``special.gammaincc``), computed per element on the host in float64 (a
series below x = a + 1, a continued fraction above, each giving the
smaller of P and Q directly), with PyTorch's edge values. Differentiable
in x (the Gamma density); PyTorch has no derivative in a and neither
does this (it raises)."""

import math

import numpy as np

from . import _native
from ._gamma import _gamma_fraction, _gamma_series
from ._ops_register import register

Tensor = _native.Tensor


def _pq(a, x):
    """(P(a, x), Q(a, x)) with PyTorch's values at the edges."""
    if math.isnan(a) or math.isnan(x) or a < 0 or x < 0 or (a == 0 and x == 0):
        return math.nan, math.nan
    if a == 0 or math.isinf(x):
        return 1.0, 0.0
    if x == 0 or math.isinf(a):
        return 0.0, 1.0
    if x < a + 1.0:
        p = _gamma_series(a, x)
        return p, 1.0 - p
    q = _gamma_fraction(a, x)
    return 1.0 - q, q


def _incomplete(input, other, lower):
    from ._creation import tensor
    from ._functions import broadcast_tensors
    from ._ops_pointwise import _promoted

    like = input if isinstance(input, Tensor) else other
    a = input if isinstance(input, Tensor) else tensor(float(input), dtype=like.dtype, device=like.device)
    x = other if isinstance(other, Tensor) else tensor(float(other), dtype=like.dtype, device=like.device)
    dtype = _promoted(a, x)[1].dtype
    if not dtype.is_floating_point:
        from ._dtype import float32

        dtype = float32
    a_b, x_b = broadcast_tensors(a.detach(), x.detach())
    av, xv = a_b.cpu().numpy().astype(np.float64), x_b.cpu().numpy().astype(np.float64)
    values = np.array([_pq(float(ai), float(xi))[0 if lower else 1] for ai, xi in zip(av.reshape(-1), xv.reshape(-1))]).reshape(av.shape)
    out = tensor(values, dtype=dtype, device=like.device)
    if not _native._needs_node([a, x]):
        return out
    name = "igamma" if lower else "igammac"

    def backward(g):
        if a.requires_grad:
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        # d/dx P(a, x) = x^(a - 1) e^-x / Gamma(a); Q's is its negative
        a_t, x_t = broadcast_tensors(a.to(dtype), x.to(dtype))
        density = ((a_t - 1) * x_t.log() - x_t - a_t.lgamma()).exp()
        gx = g * density if lower else -(g * density)
        return None, gx

    return _native._custom_node(out, [a, x], backward, "IgammaBackward0" if lower else "IgammacBackward0", saved=[a, x])


def igamma(input, other):
    return _incomplete(input, other, True)


def igammac(input, other):
    return _incomplete(input, other, False)


register([igamma, igammac])
