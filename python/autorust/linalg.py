"""``autorust.linalg``: norms, inverses, determinants, solves and
decompositions.

Norms are compositions of native ops (every device, any order of
derivative). The factorisations run in NumPy on the host in float64 (a
readback for GPU tensors; the results return to the input's device and
dtype) and differentiate through ``autograd.Function`` with the standard
matrix-calculus formulas, written in tensor ops: inv, det, slogdet, solve,
cholesky, eigh/eigvalsh, svd/svdvals, qr, pinv, matrix_exp,
solve_triangular and lstsq have gradients (of any order).
"""

import numbers

import numpy as np

from . import _native
from ._composite import composite
from ._dtype import cpp_name
from ._linalg_host import _back, _host, _mT, _np_dtype, _tolerance_value, _tolerances
from ._lstsq import lstsq as lstsq  # (re-exported: torch.linalg.lstsq)
from ._matrix_exp import matrix_exp as matrix_exp  # (re-exported)
from ._pinv import pinv as pinv  # (re-exported)
from ._solve_triangular import solve_triangular as solve_triangular  # (re-exported)
from .autograd.function import Function

Tensor = _native.Tensor


class _LinAlgError(RuntimeError):
    """A factorisation or inversion that failed on its input (PyTorch's
    ``torch.linalg.LinAlgError``, whose class is named ``_LinAlgError``)."""


LinAlgError = _LinAlgError


def _not_positive_definite(a):
    """PyTorch's cholesky error: the first failing matrix of the batch and
    the order of its first leading minor that is not positive-definite."""
    mats = a.reshape(-1, a.shape[-2], a.shape[-1])
    for b, m in enumerate(mats):
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                where = f"(Batch element {b}): " if a.ndim > 2 else ""
                return _LinAlgError(
                    f"linalg.cholesky: {where}The factorization could not be completed because the input is not positive-definite (the leading minor of order {k} is not positive-definite)."
                )
    return _LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not positive-definite.")


def _square(A, fn):
    if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.{fn}: A must be batches of square matrices, but they are {A.shape[-2] if A.dim() >= 2 else ''} by {A.shape[-1]} matrices"
        )
    if not A.is_floating_point():
        raise RuntimeError(f"linalg.{fn}: Expected a floating point or complex tensor as input. Got {A.dtype}")


# ---- norms (compositions) ----


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    from ._norm_grad import norm_node, reduced_dims

    if dtype is not None:
        x = x.to(dtype)
    return norm_node(x, ord, reduced_dims(dim, x.dim()), keepdim, lambda t: _vector_norm(t, ord, dim, keepdim, None))


def _vector_norm(x, ord, dim, keepdim, dtype):
    if dtype is not None:
        x = x.to(dtype)
    dims = tuple(range(x.dim())) if dim is None else ((dim,) if isinstance(dim, numbers.Integral) else tuple(dim))
    a = x.abs()
    if ord == float("inf"):
        return a.amax(dims, keepdim=keepdim)
    if ord == float("-inf"):
        return a.amin(dims, keepdim=keepdim)
    if ord == 0:
        return (a != 0).to(x.dtype if x.is_floating_point() else None).sum(dims, keepdim=keepdim)
    if ord == 2:  # the native norm: its gradient at 0 is 0, as PyTorch's
        return x.norm(2, dims, keepdim=keepdim)
    return a.pow(ord).sum(dims, keepdim=keepdim).pow(1.0 / ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (d % A.dim() for d in dim)
    if ord == "fro":
        out = vector_norm(A, 2, (d0, d1), keepdim)
    elif ord == "nuc":
        out = svdvals(A.movedim((d0, d1), (-2, -1))).sum(-1)
        out = _keep(out, A, (d0, d1), keepdim)
    elif ord in (1, -1, float("inf"), float("-inf")):
        # PyTorch: the 1-norms along one dim, then their max (min) along the other
        summed = vector_norm(A, 1, d0 if ord in (1, -1) else d1, keepdim=True)
        red = summed.amax if ord in (1, float("inf")) else summed.amin
        out = red((d0, d1), keepdim=keepdim)
    elif ord in (2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = _keep(s.amax(-1) if ord == 2 else s.amin(-1), A, (d0, d1), keepdim)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return out


def _keep(out, A, dims, keepdim):
    if not keepdim:
        return out
    for d in sorted(dims):
        out = out.unsqueeze(d)
    return out


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if (
        isinstance(ord, str)
        or (dim is not None and not isinstance(dim, numbers.Integral) and len(dim) == 2)
        or (ord is not None and dim is None and A.dim() == 2)
    ):
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# ---- factorisations with gradients ----


class _Inv(Function):
    _jvp_from_backward = True
    _node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, A):
        _square(A, "inv")
        try:
            out = _back(np.linalg.inv(_host(A)), A)
        except np.linalg.LinAlgError:
            raise _LinAlgError(
                "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed because the input matrix is singular."
            ) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (inv_a,) = ctx.saved_tensors
        return -(_mT(inv_a) @ g @ _mT(inv_a))


class _Det(Function):
    _jvp_from_backward = True
    _node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, A):
        _square(A, "det")
        a = _host(A)
        det = np.linalg.det(a)
        ctx.save_for_backward(A)
        ctx.det = det
        return _back(det, A)

    @staticmethod
    def backward(ctx, g):
        (A,) = ctx.saved_tensors
        # d det / dA = adj(A)^T = det * A^{-T}, in tensor ops (differentiable
        # again under create_graph, where det(A) records); through the SVD
        # where A is singular
        if np.all(ctx.det != 0):
            d = det(A) if _native.is_grad_enabled() else _back(ctx.det, A)
            return (g * d).reshape(*g.shape, 1, 1) * _mT(inv(A))
        a = _host(A)
        try:
            cof = ctx.det[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)
        except np.linalg.LinAlgError:
            u, s, vt = np.linalg.svd(a)
            prod_others = np.stack([np.prod(np.delete(s, i, -1), -1) for i in range(s.shape[-1])], -1)
            sign = np.linalg.det(u) * np.linalg.det(vt)
            cof = sign[..., None, None] * (u * prod_others[..., None, :]) @ vt
        return g.reshape(*g.shape, 1, 1) * _back(cof, A)


class _SlogdetLogabs(Function):
    _jvp_from_backward = True
    _node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, A):
        # (sign, logabsdet) from one node, as PyTorch's: the log-determinant
        # is its output 1; the sign is output 0 (it requires grad, as
        # PyTorch's does), and its gradient, zero for real matrices, is
        # not used
        _square(A, "slogdet")
        sign, logabs = np.linalg.slogdet(_host(A))
        ctx.save_for_backward(A)
        ctx.set_materialize_grads(False)  # only the sign used: no gradient
        return _back(sign, A), _back(logabs, A)

    @staticmethod
    def backward(ctx, g_sign, g):
        if g is None:
            return None
        from ._creation import eye

        (A,) = ctx.saved_tensors
        # g A^-T, as PyTorch takes it: a solve against g times the identity
        identity = eye(A.shape[-1], dtype=A.dtype, device=A.device)
        return solve(_mT(A), g.reshape(*g.shape, 1, 1) * identity)


class _Solve(Function):
    _jvp_from_backward = True
    _node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, A, B):
        _square(A, "solve")
        a, b = _host(A), _host(B)
        vector = b.ndim == a.ndim - 1
        x = np.linalg.solve(a, b[..., None])[..., 0] if vector else np.linalg.solve(a, b)
        out = _back(x, B)
        ctx.save_for_backward(A, out)
        ctx.vector = vector
        return out

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        gb = _Solve.apply(_mT(A), g)
        if ctx.vector:
            ga = -gb.unsqueeze(-1) @ X.unsqueeze(-2)
        else:
            ga = -gb @ _mT(X)
        return ga, gb


class _Cholesky(Function):
    _jvp_from_backward = True
    _node_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, A, upper):
        _square(A, "cholesky")
        a = _host(A)
        try:
            L = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise _not_positive_definite(a) from None
        out = _back(L, A)
        if upper:
            out = _mT(out).contiguous()
        ctx.upper = upper
        # the output itself is saved: under create_graph it comes back
        # connected to A, so the second derivative goes through it
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, gL):
        (L,) = ctx.saved_tensors
        if ctx.upper:
            L, gL = _mT(L), _mT(gL)
        # gA = 1/2 L^{-T} (Phi(L^T gL) + Phi(L^T gL)^T) L^{-1}, Phi: lower
        # triangle with the diagonal halved; in tensor ops, so that it is
        # differentiable again
        p = (_mT(L) @ gL).tril()
        p = p - 0.5 * p.diagonal(0, -2, -1).diag_embed()
        linv = inv(L)
        s = _mT(linv) @ p @ linv
        return 0.5 * (s + _mT(s)), None


class _Eigh(Function):
    _jvp_from_backward = True
    _node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, A, upper):
        _square(A, "eigh")
        w, v = np.linalg.eigh(_host(A), UPLO="U" if upper else "L")
        L, V = _back(w, A), _back(v, A)
        ctx.save_for_backward(L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        # in tensor ops: differentiable in the incoming gradients (create_graph,
        # forward AD's transposition)
        from ._creation import eye
        from ._dtype import bool_

        L, V = ctx.saved_tensors
        Vt = _mT(V)
        diagonal = eye(L.shape[-1], dtype=bool_, device=L.device)
        inner = V.new_zeros(V.shape)
        if gV is not None:
            vhgv = Vt @ gV
            vhgv = 0.5 * (vhgv - _mT(vhgv))
            gaps = L.unsqueeze(-2) - L.unsqueeze(-1)  # [i, j] = lambda_j - lambda_i
            inner = _native.where(diagonal, 0.0, vhgv / _native.where(diagonal, 1.0, gaps))
        if gL is not None:
            inner = inner + gL.diag_embed()
        return V @ inner @ Vt, None


class _Svd(Function):
    """A = U diag(S) Vh. The outputs are saved, so that under create_graph
    the backward (tensor ops) differentiates through them again."""

    _jvp_from_backward = True
    _node_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, A, full_matrices):
        u, s, vh = np.linalg.svd(_host(A), full_matrices=full_matrices)
        U, S, Vh = _back(u, A), _back(s, A), _back(vh, A)
        ctx.full_matrices = full_matrices
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        if ctx.full_matrices:
            # the extra columns of U (rows of Vh) are an arbitrary basis of
            # the complement: they carry nothing about A and are dropped
            k = S.shape[-1]
            U, Vh = U[..., :k], Vh[..., :k, :]
            gU = None if gU is None else gU[..., :k]
            gVh = None if gVh is None else gVh[..., :k, :]
        return _svd_backward(gU, gS, gVh, U, S, Vh), None


def _svd_backward(gU, gS, gVh, U, S, Vh):
    """The gradient of A = U diag(S) Vh (reduced factors) for real input,
    singular values assumed distinct: with E_ij = S_j^2 - S_i^2,
    gA = U [(skew(U^T gU) S + S skew(Vh gVh^T)) / E + diag(gS)] Vh, plus the
    parts of gU (gVh) outside the span of U (of V) when A is tall (wide)."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        if gS is None:
            return None
        return U @ (gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)) @ Vh
    from ._creation import eye
    from ._dtype import bool_

    def skew(X):
        return X - _mT(X)

    S2 = S * S
    diagonal = eye(S.shape[-1], dtype=bool_, device=S.device)
    E = _native.where(diagonal, 1.0, S2.unsqueeze(-2) - S2.unsqueeze(-1))
    UhgU = None if gU is None else skew(_mT(U) @ gU)
    VhgV = None if gVh is None else skew(Vh @ _mT(gVh))
    if UhgU is not None and VhgV is not None:
        inner = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif UhgU is not None:
        inner = (UhgU / E) * S.unsqueeze(-2)
    else:
        inner = S.unsqueeze(-1) * (VhgV / E)
    if gS is not None:
        inner = inner + gS.diag_embed()
    if m > n and gU is not None:
        gUSinv = gU / S.unsqueeze(-2)
        gA = U @ inner + gUSinv - U @ (_mT(U) @ gUSinv)
        return gA @ Vh
    if m < n and gVh is not None:
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = inner @ Vh + SinvgVh - (SinvgVh @ _mT(Vh)) @ Vh
        return U @ gA
    return U @ (inner @ Vh) if m >= n else (U @ inner) @ Vh


class _Qr(Function):
    """A = Q R (Householder, as LAPACK's); the outputs are saved, as svd's."""

    _jvp_from_backward = True
    _node_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, A, mode):
        a = _host(A)
        if mode == "r":
            Q, R = A.new_zeros(0), _back(np.linalg.qr(a, mode="r"), A)
        else:
            q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
            Q, R = _back(q, A), _back(r, A)
        ctx.mode = mode
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        return _qr_backward(gQ, gR, Q, R), None


def _qr_backward(gQ, gR, Q, R):
    """The gradient of A = Q R for real input. Tall or square A: with
    M = R gR^T - gQ^T Q, gA = (gQ + Q copyltu(M)) R^-T; wide A (Q square):
    the square part from the strictly lower part of M - M^T, and Q gR."""
    if gQ is None and gR is None:
        return None
    m, n = Q.shape[-2], R.shape[-1]
    Mt = None  # M^T = gR R^T - Q^T gQ
    if gR is not None:
        Mt = gR @ _mT(R)
    if gQ is not None:
        Mt = -(_mT(Q) @ gQ) if Mt is None else Mt - _mT(Q) @ gQ
    if m >= n:
        upper = Mt.triu()
        sym = upper + _mT(upper)
        sym = sym - 0.5 * sym.diagonal(0, -2, -1).diag_embed()
        gA = Q @ sym
        if gQ is not None:
            gA = gA + gQ
        # X R^T = gA, solved as R X^T = gA^T
        return _mT(solve(R, _mT(gA)))
    X = -Mt
    gA = Q @ (X - _mT(X)).tril()
    gA = _mT(solve(R[..., :m], _mT(gA)))
    gA = _native.cat([gA, gA.new_zeros(*gA.shape[:-1], n - m)], -1)
    if gR is not None:
        gA = gA + Q @ gR
    return gA


def inv(A):
    return _Inv.apply(A)


def det(A):
    return _Det.apply(A)


def slogdet(A):
    from . import return_types

    _square(A, "slogdet")
    return return_types.slogdet(*_SlogdetLogabs.apply(A))


def logdet(A):
    # PyTorch's composition: NaN where the determinant is negative (where it
    # is 0, logabsdet is already -inf)
    sign, logabs = slogdet(A)
    return _native.where(sign == -1.0, logabs.new_full((), float("nan")), logabs)


def solve(A, B, *, left=True):
    if not left:
        return _mT(solve(_mT(A), _mT(B)))
    return _Solve.apply(A, B)


def cholesky(A, *, upper=False):
    return _Cholesky.apply(A, upper)


def eigh(A, UPLO="L"):
    from . import return_types

    return return_types.eigh(*_Eigh.apply(A, UPLO == "U"))


def eigvalsh(A, UPLO="L"):
    return eigh(A, UPLO).eigenvalues


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices (the first may be 1-D, a row; the
    last 1-D, a column), left to right."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        end = "first" if i == 0 else "last" if i == len(tensors) - 1 else None
        if end and t.dim() not in (1, 2):
            raise RuntimeError(f"multi_dot(): the {end} tensor must be 1D or 2D but got {t.dim()}D")
        if not end and t.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.dim()}D")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is {cpp_name(tensors[0].dtype)} and tensor {i} {cpp_name(t.dtype)}"
            )
    out_shape = tuple(tensors[0].shape[:-1]) + tuple(tensors[-1].shape[1:])
    # as PyTorch: 1-D ends become a row and a column, the chain is
    # multiplied with mm in the cheapest order, and viewed back
    mats = list(tensors)
    if mats[0].dim() == 1:
        mats[0] = mats[0].unsqueeze(0)
    if mats[-1].dim() == 1:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            a, b = mats[i].shape, mats[i + 1].shape
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(a)} and {list(b)} cannot be multiplied")
    result = _chain_product(mats, _chain_order(mats), 0, len(mats) - 1).view(out_shape)
    if out is not None:
        from ._out import write_out

        return write_out("multi_dot", result, out, tensors)
    return result


def _chain_order(mats):
    """split[i][j]: where the cheapest product of mats[i..j] splits (the
    textbook dynamic programme, first minimum on ties, as PyTorch)."""
    n = len(mats)
    if n == 3:
        # PyTorch compares the two orders of three directly
        a, b, c, d = mats[0].shape[0], mats[1].shape[0], mats[2].shape[0], mats[2].shape[1]
        first_pair, last_pair = (a * c) * (b + d), (b * d) * (a + c)
        split = [[0] * 3 for _ in range(3)]
        split[0][2] = 0 if first_pair > last_pair else 1
        split[0][1] = 0
        split[1][2] = 1
        return split
    p = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain_product(mats, split, i, j):
    if i == j:
        return mats[i]
    k = split[i][j]
    return _chain_product(mats, split, i, k).mm(_chain_product(mats, split, k + 1, j))


def svdvals(A):
    # as PyTorch: the singular values of the full SVD node, whose saved
    # vectors make the values differentiable to any order
    return svd(A, full_matrices=False).S


def svd(A, full_matrices=True):
    from . import return_types

    return return_types.svd(*_Svd.apply(A, bool(full_matrices)))


def qr(A, mode="reduced"):
    from . import return_types

    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'")
    return return_types.qr(*_Qr.apply(A, mode))


def matrix_power(A, n):
    _square(A, "matrix_power")
    if n < 0:
        A, n = inv(A), -n
    from ._creation import eye

    if n == 0:
        return eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(*A.shape).clone()
    if n == 1:
        return A.clone()
    # PyTorch's binary decomposition, products in its order (so the graph
    # and the rounding are its own)
    z = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = A if z is None else z @ z
        if bit:
            result = z if result is None else z @ result
    return result


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values (eigenvalue magnitudes when hermitian)
    above max(atol, rtol * the largest), as PyTorch counts them."""
    from ._creation import tensor

    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_rank: The input tensor A must have at least 2 dimensions.")
    atol, rtol = _tolerances(A, _tolerance_value(atol), _tolerance_value(rtol))
    a = _host(A).astype(_np_dtype(A))
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    largest = s.max(-1, keepdims=True, initial=0.0)
    tol = np.maximum(atol, rtol * largest)
    return tensor((s > tol).sum(-1).astype(np.int64), device=A.device)


def cross(input, other, *, dim=-1):
    dim = dim % input.dim()
    return composite("LinalgCrossBackward0", lambda a, b: _cross(a, b, dim), input, other)


def _cross(self, other, dim):
    from ._creation import tensor

    if dim is None:
        dim = next((d for d, s in enumerate(self.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    if self.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {self.shape[dim]} and {other.shape[dim]}")

    def part(t, order):
        return t.index_select(dim, tensor(order, device=t.device))

    return part(self, [1, 2, 0]) * part(other, [2, 0, 1]) - part(self, [2, 0, 1]) * part(other, [1, 2, 0])


def vecdot(x, y, *, dim=-1):
    return (x * y).sum(dim)


def matmul(input, other):
    return input @ other


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)
