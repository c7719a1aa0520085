"""``linalg.matrix_exp``: the exponential of square matrices, computed on
the host in float64 by scaling and squaring with the degree-13 Pade
approximant (Higham 2005), rounded to the input's dtype. Its gradient is
PyTorch's: the upper-right block of the exponential of the block matrix
[[A^T, G], [0, A^T]], through this same function, so it differentiates
to any order."""

import math

import numpy as np

from . import _native
from ._linalg_host import _back, _host
from .autograd.function import Function

Tensor = _native.Tensor

_PADE13 = [
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
]
_THETA13 = 5.371920351148152


def _expm(a):
    """e^a for one float64 matrix."""
    n = a.shape[-1]
    if n == 0:
        return a.copy()
    norm = np.abs(a).sum(0).max()
    squarings = max(0, math.ceil(math.log2(norm / _THETA13))) if norm > _THETA13 else 0
    a = a / (2.0**squarings)
    b = _PADE13
    eye = np.eye(n)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    result = np.linalg.solve(v - u, v + u)
    for _ in range(squarings):
        result = result @ result
    return result


class _MatrixExp(Function):
    _jvp_from_backward = True
    _node_name = "LinalgMatrixExpBackward0"

    @staticmethod
    def forward(ctx, A):

        a = _host(A)
        flat = a.reshape(-1, a.shape[-2], a.shape[-1])
        with np.errstate(all="ignore"):
            out = np.stack([_expm(m) for m in flat]) if len(flat) else flat.copy()
        ctx.save_for_backward(A)
        return _back(out.reshape(a.shape), A)

    @staticmethod
    def backward(ctx, g):
        (A,) = ctx.saved_tensors
        n = A.shape[-1]
        At = A.transpose(-2, -1)
        top = _native.cat([At, g], -1)
        bottom = _native.cat([A.new_zeros(A.shape), At], -1)
        block = matrix_exp(_native.cat([top, bottom], -2))
        return block[..., :n, n:]


def matrix_exp(A):
    if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_exp: A must be batches of square matrices, but they are {A.shape[-2] if A.dim() >= 2 else ''} by {A.shape[-1]} matrices"
        )
    if not A.is_floating_point():
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as input. Got {A.dtype}")
    return _MatrixExp.apply(A)
