"""``linalg.solve_triangular``: A X = B (or X A = B) for triangular A,
only A's upper (or lower) triangle read, its diagonal taken as ones when
``unitriangular``. Host float64 solve; PyTorch's gradient (the transposed
solve for B, minus its outer product with X for A, kept to A's triangle),
through this same function, so it differentiates again."""

import numpy as np

from . import _native
from ._linalg_host import _back, _host
from .autograd.function import Function

Tensor = _native.Tensor


def _triangle(a, upper, unitriangular):
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        idx = np.arange(a.shape[-1])
        t = t.copy()
        t[..., idx, idx] = 1.0
    return t


class _SolveTriangular(Function):
    _jvp_from_backward = True
    _node_name = "LinalgSolveTriangularBackward0"

    @staticmethod
    def forward(ctx, A, B, upper, left, unitriangular):

        a, b = _triangle(_host(A), upper, unitriangular), _host(B)
        if not left:
            # X A = B  <=>  A^T X^T = B^T
            a, b = np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        with np.errstate(all="ignore"):
            x = np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:]))
        out = _back(x if left else np.swapaxes(x, -1, -2), B)
        ctx.flags = (upper, left, unitriangular)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        upper, left, unitriangular = ctx.flags
        # A X = B: gB = A^-T g, gA = -gB X^T; X A = B: gB = g A^-T, gA = -X^T gB
        gB = solve_triangular(A.transpose(-2, -1), g, upper=not upper, left=left, unitriangular=unitriangular)
        gA = -gB @ X.transpose(-2, -1) if left else -X.transpose(-2, -1) @ gB
        gA = gA.triu(1 if unitriangular else 0) if upper else gA.tril(-1 if unitriangular else 0)
        # a broadcast A gets its gradient summed over the broadcast batch dims
        while gA.dim() > A.dim():
            gA = gA.sum(0)
        for d in range(A.dim() - 2):
            if A.shape[d] == 1 and gA.shape[d] != 1:
                gA = gA.sum(d, keepdim=True)
        return gA, gB, None, None, None


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.solve_triangular: A must be batches of square matrices, but they are {A.shape[-2] if A.dim() >= 2 else ''} by {A.shape[-1]} matrices"
        )
    if B.dim() < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    if left and A.shape[-1] != B.shape[-2]:
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B ({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    if not left and A.shape[-1] != B.shape[-1]:
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation XA = B ({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    result = _SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))
    if out is not None:
        from ._out import write_out

        return write_out("linalg_solve_triangular", result, out, (A, B))
    return result
