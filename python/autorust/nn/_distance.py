"""Norms and distances between rows: ``normalize``, ``cosine_similarity``,
``pairwise_distance`` and ``pdist``."""

import numpy as np

from .._composite import composite, with_scalar
from .._dtype import int64
from .._grad_mode import no_grad


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    if out is None:
        return input / denom
    from .._out import write_out

    return write_out("normalize", input / denom, out, (input,))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    # PyTorch's formula: each input divided by its norm first; the norms are
    # clamped at eps without recording (the gradient ignores the clamp)
    from .._functions import broadcast_tensors

    if x1.shape != x2.shape:
        x1, x2 = broadcast_tensors(x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clone()
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_(min=eps)
        n2.clamp_(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    # PyTorch: norm(x1 - x2 + eps) with aten::norm (NormBackward1), eps a Scalar
    diff = with_scalar(x1 - x2 + eps, "AddBackward1")
    return composite("NormBackward1", lambda d: d.norm(p, -1, keepdim=keepdim), diff)


def pdist(input, p=2):
    """The p-norm distances between the rows, pair (i, j) for i < j in row
    order (the upper triangle of cdist), in one PdistBackward0 node."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")

    from .._creation import tensor

    first, second = (tensor(v, dtype=int64, device=input.device) for v in np.triu_indices(input.shape[0], 1))
    return composite("PdistBackward0", lambda x: (x[first] - x[second]).norm(p, 1), input)
