"""The linalg functions' round trip through NumPy on the host (float64
arrays out, tensors of the input's dtype and device back) and PyTorch's
tolerance rules for rank decisions (pinv, matrix_rank, lstsq)."""

import numpy as np

from . import _native
from ._creation import tensor

Tensor = _native.Tensor


def _host(t):
    return t.detach().cpu().numpy().astype(np.float64)


def _back(a, like):
    # np.array, not ascontiguousarray: that makes a 0-d result (one
    # determinant) 1-d
    return tensor(np.array(a, order="C"), dtype=like.dtype, device=like.device)


def _mT(t):
    return t.transpose(-2, -1)


def _np_dtype(A):
    return np.float64 if "64" in str(A.dtype) else np.float32


def _tolerances(A, atol, rtol):
    """PyTorch's defaults: rtol = eps * max(m, n) unless given (or unless a
    positive atol is given, then 0); atol 0 unless given."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else float(np.finfo(_np_dtype(A)).eps) * max(A.shape[-2], A.shape[-1])
    return (0.0 if atol is None else atol), rtol


def _tolerance_value(x):
    if isinstance(x, Tensor):
        if x.numel() != 1:
            raise NotImplementedError("linalg: a tensor tolerance (one per matrix) is not supported by autorust; pass a float")
        return float(x.item())
    return None if x is None else float(x)
