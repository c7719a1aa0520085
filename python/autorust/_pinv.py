"""``linalg.pinv``: the pseudo-inverse from the SVD (or eigh when
hermitian) on the host, and PyTorch's gradient formula, which lstsq's
gradient uses too."""

import numpy as np

from ._linalg_host import _back, _host, _mT, _tolerance_value, _tolerances
from .autograd.function import Function


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The reciprocals of the singular values above max(atol, rtol *
    the largest) (eigenvalue magnitudes when hermitian), zero for the rest,
    as PyTorch's; its gradient is PyTorch's pinv formula."""
    if A.dim() < 2:
        raise RuntimeError("linalg.pinv(A): The input tensor A must have at least 2 dimensions.")
    atol, rtol = _tolerances(A, _tolerance_value(atol), _tolerance_value(rtol))
    return _Pinv.apply(A, atol, rtol, bool(hermitian))


class _Pinv(Function):
    _jvp_from_backward = True
    _node_name = "LinalgPinvBackward0"

    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        a = _host(A)
        if hermitian:
            w, v = np.linalg.eigh(a)
            magnitude = np.abs(w)
            tol = np.maximum(atol, rtol * magnitude.max(-1, keepdims=True, initial=0.0))
            inverse = np.where(magnitude > tol, 1.0 / np.where(magnitude > tol, w, 1.0), 0.0)
            p = (v * inverse[..., None, :]) @ np.swapaxes(v, -1, -2)
        else:
            u, sv, vh = np.linalg.svd(a, full_matrices=False)
            tol = np.maximum(atol, rtol * sv[..., :1])
            inverse = np.where(sv > tol, 1.0 / np.where(sv > tol, sv, 1.0), 0.0)
            p = (np.swapaxes(vh, -1, -2) * inverse[..., None, :]) @ np.swapaxes(u, -1, -2)
        out = _back(p, A)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors
        return _pinv_backward(g, P, A), None, None, None


def _pinv_backward(G, P, A):
    """The gradient of P = pinv(A) (the rank held fixed):
    -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A), grouped so
    that the products are of the smaller side, as PyTorch groups them."""
    m, n = A.shape[-2], A.shape[-1]
    Pt, Gt = _mT(P), _mT(G)
    if m <= n:
        K = Gt @ P
        KPt = K @ Pt
        return -_mT(P @ K) + KPt - (A @ P) @ KPt + (Pt @ P) @ (Gt - K @ A)
    K = P @ Gt
    PtK = Pt @ K
    return -_mT(K @ P) + (Gt - A @ K) @ P @ Pt + PtK - PtK @ P @ A
