"""``linalg.lstsq``: least-squares (or minimum-norm) solutions of A X = B
on the host in float64, with PyTorch's outputs per driver (the default
``gelsy`` gives the rank but no residuals or singular values; ``gelsd``
and ``gelss`` give both, residuals only for tall full-rank A) and its
gradient: that of X = pinv(A) B (PyTorch's pinv formula for A)."""

import numpy as np

from . import _native
from ._linalg_host import _back, _host
from ._pinv import _pinv_backward, pinv
from .autograd.function import Function

Tensor = _native.Tensor

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class _Lstsq(Function):
    _jvp_from_backward = True
    _node_name = "LinalgLstsqBackward0"

    @staticmethod
    def forward(ctx, A, B, rcond, driver):
        from ._creation import tensor
        from ._dtype import int64

        a, b = _host(A), _host(B)
        vector = b.ndim == a.ndim - 1
        if vector:
            b = b[..., None]
        m, n = a.shape[-2], a.shape[-1]
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = np.broadcast_to(a, batch + a.shape[-2:]).reshape(-1, m, n)
        b = np.broadcast_to(b, batch + b.shape[-2:]).reshape(-1, m, b.shape[-1])
        solutions, residuals, ranks, values = [], [], [], []
        for am, bm in zip(a, b):
            sv = np.linalg.svd(am, compute_uv=False)
            cutoff = rcond * (sv[0] if sv.size else 0.0)
            x = np.linalg.lstsq(am, bm, rcond=rcond)[0]
            rank = int((sv > cutoff).sum())
            solutions.append(x)
            ranks.append(rank)
            values.append(sv)
            residuals.append(((am @ x - bm) ** 2).sum(0))
        x = np.stack(solutions).reshape(batch + (n, b.shape[-1]))
        if vector:
            x = x[..., 0]
        full_rank = all(r == n for r in ranks)
        give_residuals = driver != "gelsy" and m > n and full_rank
        res = np.stack(residuals).reshape(batch + (b.shape[-1],)) if give_residuals else np.zeros(0)
        if give_residuals and vector:
            res = res[..., 0]
        rank_out = (
            tensor(np.asarray(ranks, dtype=np.int64).reshape(batch), dtype=int64, device=A.device) if driver != "gels" else A.new_zeros(0).long()
        )
        sv_out = _back(np.stack(values).reshape(batch + (min(m, n),)), A) if driver in ("gelsd", "gelss") else A.new_zeros(0)
        ctx.mark_non_differentiable(sv_out)
        ctx.vector = vector
        ctx.save_for_backward(A, B)
        return _back(x, B), _back(res, B), rank_out, sv_out

    @staticmethod
    def backward(ctx, gX, gR, g_rank, g_sv):

        A, B = ctx.saved_tensors
        if gX is None:
            return None, None, None, None
        gX = gX.unsqueeze(-1) if ctx.vector else gX
        b = B.unsqueeze(-1) if ctx.vector else B
        pinv_a = pinv(A)
        gA = _pinv_backward(gX @ b.transpose(-2, -1), pinv_a, A)
        gB = pinv_a.transpose(-2, -1) @ gX
        return gA, (gB.squeeze(-1) if ctx.vector else gB), None, None


def lstsq(A, B, rcond=None, *, driver=None):
    from . import return_types

    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B.dim() < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    vector = B.dim() == A.dim() - 1
    if A.shape[-2] != B.shape[-1 if vector else -2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-{1 if vector else 2})")
    if rcond is None:
        rcond = float(np.finfo(np.float64 if "64" in str(A.dtype) else np.float32).eps) * max(A.shape[-2], A.shape[-1])
    return return_types.linalg_lstsq(*_Lstsq.apply(A, B, float(rcond), driver))
