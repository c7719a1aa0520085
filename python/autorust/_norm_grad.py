"""The vector norm as one graph node (LinalgVectorNormBackward0) whose
gradient is PyTorch's norm_backward, for ``Tensor.norm`` and
``linalg.vector_norm``. The chain rule through a composition (|x|^p, sum,
^(1/p)) gave NaN where PyTorch's formula has a number: a zero norm for p
above 2, the inf norm of a tensor holding NaN."""

import math
import numbers

from . import _native


def reduced_dims(dim, ndim):
    """The dims a norm reduces, wrapped, as a tuple (None or (): all)."""
    if dim is None or (not isinstance(dim, numbers.Integral) and len(dim) == 0):
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    return tuple(d % ndim if ndim else 0 for d in dims) if ndim else ()


def _unsqueeze_reduced(t, dims, ndim, keepdim):
    """A reduced result broadcastable against the input again."""
    if keepdim or ndim == 0:
        return t
    for d in sorted(dims):
        t = t.unsqueeze(d)
    return t


def norm_backward(g, x, norm, p, dims, keepdim):
    """PyTorch's norm_backward, written in differentiable ops (its double
    backward is the derivative of these). None for p = 0: the count of
    nonzeros has no gradient, and PyTorch's is undefined."""
    g = _unsqueeze_reduced(g, dims, x.dim(), keepdim)
    norm = _unsqueeze_reduced(norm, dims, x.dim(), keepdim)
    zero_norm = norm == 0
    if p == 0:
        return None
    if p == 1:
        return x.sgn() * g
    if p == 2:
        return g * _native.where(zero_norm, 0.0, x / norm)
    if math.isinf(p):
        # amax(|x|)'s gradient, split among the maxima, NaN counting as one
        a = x.abs()
        mask = (a == norm) | a.isnan()
        count = mask.to(g.dtype).sum(dims, keepdim=True) if dims else mask.to(g.dtype)
        return x.sgn() * ((g / count) * mask)
    if p < 1:
        scaled = x.sgn() * _native.where(x == 0, 0.0, x.abs().pow(p - 1))
        return scaled * g * norm.pow(1 - p)
    scaled = x.sgn() * x.abs().pow(p - 1) if p < 2 else x * x.abs().pow(p - 2)
    return scaled * _native.where(zero_norm, 0.0, g / norm.pow(p - 1))


def norm_node(x, p, dims, keepdim, value_of):
    """The norm of ``x`` as the node: ``value_of(x)`` computes it (run
    unrecorded). ``dims``: the reduced dims, wrapped, in a tuple."""
    from ._grad_mode import is_grad_enabled, no_grad

    with no_grad():
        value = value_of(x)
    if not _native._needs_node([x]):
        return value
    p = float(p)

    def backward(g):
        # under create_graph the norm is a function of x again (a node of
        # its own), so the second derivative sees it; else its values
        norm = norm_node(x, p, dims, keepdim, value_of) if is_grad_enabled() else value.detach()
        return (norm_backward(g, x, norm, p, dims, keepdim),)

    return _native._custom_node(value, [x], backward, "LinalgVectorNormBackward0", saved=[x])
