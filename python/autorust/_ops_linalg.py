"""Products and contractions beyond matmul, composed from native ops (so
they run on every device and differentiate): the addmm family, trace,
diagonal, diag_embed, kron, cross, tensordot, einsum, cdist, block_diag."""

import builtins

from . import _native
from ._composite import composite, node, refuse_backward, with_scalar
from ._dims import wrap_dim as _wrap_dim
from ._dtype import bool_, cpp_name, scalar_name
from ._einsum import einsum, tensordot
from ._grad_mode import no_grad
from ._ops_register import inplace_variant, register
from ._warn import warn_user

Tensor = _native.Tensor


def _scaled(t, s):
    return t if s == 1 else t * s


def _coefficient(c, dtype):
    """beta/alpha as PyTorch reads them for an integer result: truncated."""
    return int(c) if not dtype.is_floating_point and not isinstance(c, bool) else c


def _scaled_sum(self, prod, beta, alpha, blas=False):
    """beta * self + alpha * prod. ``blas``: PyTorch's kernel is a BLAS call
    (addmm, addmv, addbmm), which reads neither matrix when alpha is 0, so
    their NaNs do not propagate; the product is then a zero that still
    passes a gradient (grad * 0) to them."""
    beta, alpha = _coefficient(beta, prod.dtype), _coefficient(alpha, prod.dtype)
    if blas and alpha == 0:
        prod = _native.where(prod.new_zeros(()) == 0, 0, prod)
    prod = _scaled(prod, alpha)
    # beta == 0: input is ignored (its NaNs do not propagate), as in PyTorch
    return prod if beta == 0 else _scaled(self, beta) + prod


def _matrix_dtypes(self, mat1, mat2):
    if self.dtype != mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {scalar_name(self.dtype)} and {scalar_name(mat2.dtype)}")
    if mat1.dtype != mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {scalar_name(mat1.dtype)} and {scalar_name(mat2.dtype)}")


@node("AddmmBackward0", inputs=3)
def addmm(self, mat1, mat2, *, beta=1, alpha=1):
    _matrix_dtypes(self, mat1, mat2)
    for name, t in (("self", mat1), ("mat2", mat2)):  # PyTorch calls mat1 "self" here
        if t.dim() != 2:
            raise RuntimeError(f"addmm: {name} must be a matrix, got {t.dim()}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"addmm: mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    prod = mat1.mm(mat2)
    self.expand(prod.shape)  # PyTorch's message when self does not broadcast
    return _scaled_sum(self, prod, beta, alpha, blas=True)


@node("AddmvBackward0", inputs=3)
def addmv(self, mat, vec, *, beta=1, alpha=1):
    if not self.dtype == mat.dtype == vec.dtype:
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {scalar_name(self.dtype)}, {scalar_name(mat.dtype)}, and {scalar_name(vec.dtype)}"
        )
    if mat.dim() != 2 or vec.dim() != 1 or self.dim() > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {self.dim()}, {mat.dim()}, {vec.dim()}")
    prod = mat.mv(vec)
    self.expand(prod.shape)
    return _scaled_sum(self, prod, beta, alpha, blas=True)


@node("AddbmmBackward0", inputs=3)
def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
    _matrix_dtypes(self, batch1, batch2)
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.dim() != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {batch1.shape[0]} and {batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]} and {batch2.shape[1]}x{batch2.shape[2]})")
    prod = batch1.bmm(batch2).sum(0)
    self.expand(prod.shape)
    return _scaled_sum(self, prod, beta, alpha, blas=True)


@node("BaddbmmBackward0", inputs=3)
def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
    if not self.dtype == batch1.dtype == batch2.dtype:
        raise RuntimeError(
            f"Input dtypes must be the same, got: input {cpp_name(self.dtype)}, batch1: {cpp_name(batch1.dtype)}, batch2: {cpp_name(batch2.dtype)}"
        )
    # PyTorch expands the input to the result's shape before it checks the operands
    self.expand(batch1.size(0), batch1.size(1), batch2.size(2))
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.dim() != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    prod = batch1.bmm(batch2)
    return _scaled_sum(self, prod, beta, alpha)


@node("AddrBackward0", inputs=3)
def addr(self, vec1, vec2, *, beta=1, alpha=1):
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.dim()}-D")
    # the outer product in the dtype of the whole result, as PyTorch's kernel
    # (float32 vectors of a float64 addr are not multiplied in float32 first)
    from ._dtype import scalar_name
    from ._promotion import common_dtype

    common = common_dtype(self, vec1, vec2)

    # PyTorch takes a vector's gradient as grad.mv(the other vector), which
    # refuses another vector whose dtype is not the gradient's
    def mv_operand(v, other):
        if other.dtype == common:
            return v
        n = scalar_name(other.dtype)
        return refuse_backward(v, f"addmv input tensors must have the same dtype, but got {n}, {scalar_name(common)}, and {n}")

    vec1, vec2 = mv_operand(vec1, vec2), mv_operand(vec2, vec1)
    vec1, vec2 = vec1.to(common), vec2.to(common)
    prod = _scaled(vec1.unsqueeze(1) * vec2.unsqueeze(0), alpha)
    return prod if beta == 0 else _scaled(self, beta) + prod


@node("TraceBackward0", inputs=1)
def trace(self):
    if self.dim() != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " + str(self.dim()))
    return self.diagonal().sum()


@node("DiagEmbedBackward0", inputs=1)
def diag_embed(self, offset=0, dim1=-2, dim2=-1):
    from ._creation import arange

    n = self.shape[-1]
    size = n + builtins.abs(offset)
    r0, c0 = builtins.max(-offset, 0), builtins.max(offset, 0)
    rows = arange(size, device=self.device).unsqueeze(1)
    cols = arange(size, device=self.device).unsqueeze(0)
    on = (cols - rows == c0 - r0) & (rows >= r0) & (rows < r0 + n)
    # the value on row i of the diagonal is input[..., i - r0]
    pick = (rows - r0).clamp(0, builtins.max(n - 1, 0)).expand(size, size)
    values = self.index_select(-1, pick.reshape(-1)).reshape(*self.shape[:-1], size, size)
    out = values * on.to(self.dtype)
    nd = out.dim()
    d1, d2 = dim1 % nd, dim2 % nd
    if (d1, d2) != (nd - 2, nd - 1):
        out = out.movedim((nd - 2, nd - 1), (d1, d2))
    return out


def kron(self, other):
    nd = builtins.max(self.dim(), other.dim())
    a = self.reshape((1,) * (nd - self.dim()) + tuple(self.shape))
    b = other.reshape((1,) * (nd - other.dim()) + tuple(other.shape))
    a_shape, b_shape = [], []
    for sa, sb in zip(a.shape, b.shape):
        a_shape += [sa, 1]
        b_shape += [1, sb]
    prod = a.reshape(*a_shape) * b.reshape(*b_shape)
    out = prod.reshape(*[sa * sb for sa, sb in zip(a.shape, b.shape)])
    _native._set_grad_fn_name(out, "UnsafeViewBackward0")  # PyTorch's reshape back from the product
    return out


_warned_cross_default_dim = []


def cross(self, other, dim=None):
    if dim is None and not _warned_cross_default_dim:
        # PyTorch warns once per process (TORCH_WARN_ONCE)
        _warned_cross_default_dim.append(True)
        warn_user(
            "Using torch.cross without specifying the dim arg is deprecated.\n"
            "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
            "The default value of dim will change to agree with that of linalg.cross in a future release."
        )
    from .linalg import _cross

    return composite("LinalgCrossBackward0", lambda a, b: _cross(a, b, dim), self, other)


@node("CdistBackward0", inputs=2)
def cdist(x1, x2, p=2.0, compute_mode=None):
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 2.0:
        # the gradient at zero distance is 0, as PyTorch's
        sq = (diff * diff).sum(-1)
        zero = sq == 0
        safe = _native.where(zero, sq.new_ones(()), sq)
        return _native.where(zero, sq.new_zeros(()), safe.sqrt())
    if p == 0:
        return (diff != 0).to(diff.dtype).sum(-1)
    if p == float("inf"):
        return diff.abs().amax(-1)
    return diff.abs().pow(p).sum(-1).pow(1.0 / p)


def block_diag(*tensors):
    return composite("BlockDiagBackward0", _block_diag, *tensors)


def _block_diag(*tensors):
    from ._creation import zeros
    from ._promotion import common_dtype

    # 0-d -> 1x1, 1-d -> one row, 2-d as given (PyTorch's rule)
    mats = [t.reshape(1, -1) if t.dim() < 2 else t for t in tensors]
    rows = builtins.sum(m.shape[0] for m in mats)
    cols = builtins.sum(m.shape[1] for m in mats)
    # the blocks' promoted dtype (PyTorch's result_type over all of them)
    dtype = common_dtype(*tensors) if mats else None
    device = mats[0].device if mats else None
    out_rows = []
    c = 0
    for m in mats:
        parts = []
        if c:
            parts.append(zeros(m.shape[0], c, dtype=dtype, device=device))
        parts.append(m.to(dtype))
        if cols - c - m.shape[1]:
            parts.append(zeros(m.shape[0], cols - c - m.shape[1], dtype=dtype, device=device))
        out_rows.append(_native.cat(parts, 1))
        c += m.shape[1]
    return _native.cat(out_rows, 0) if out_rows else zeros(rows, cols)


@node("VdotBackward0", inputs=2)
def vdot(self, other):
    return (self * other).sum()


def inner(self, other):
    if self.dim() == 0 or other.dim() == 0:
        return self * other
    if self.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes {list(self.shape)} and {list(other.shape)}")
    return tensordot(self, other, ([-1], [-1]))


def ger(self, vec2):
    # PyTorch's outer: a column view times the row
    return self.reshape(-1, 1) * vec2


@node("DistBackward0", inputs=2)
def dist(self, other, p=2):
    return (self - other).norm(p)


def renorm(self, p, dim, maxnorm):
    """Each slice along `dim` rescaled to norm <= maxnorm (one node, as PyTorch's)."""
    if self.dim() < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {self.dim()} dimensions")
    others = tuple(d for d in range(self.dim()) if d != dim % self.dim())
    with no_grad():
        value = self * _renorm_scale(self.norm(p, others, keepdim=True), maxnorm)
    if not _native._needs_node([self]):
        return value

    def backward(g):
        # PyTorch's renorm_backward: the gradient itself where a slice's
        # norm is within maxnorm (or NaN), else the rescaled slice's
        from ._norm_grad import norm_backward

        norm = self.norm(p, others, keepdim=True)
        nb = norm_backward((self * g).sum(others, keepdim=True), self, norm, float(p), others, True)
        inv = (norm + 1e-7).reciprocal()
        return (_native.where(norm > maxnorm, inv * maxnorm * (g - inv * nb), g),)

    return _native._custom_node(value, [self], backward, "RenormBackward0", saved=[self])


def _renorm_scale(norms, maxnorm):
    return _native.where(norms > maxnorm, maxnorm / (norms + 1e-7), norms.new_ones(()))


def _linalg():
    from . import linalg

    return linalg


def inverse(self):
    return _linalg().inv(self)


def det(self):
    return _linalg().det(self)


def logdet(self):
    return _linalg().logdet(self)


def slogdet(self):
    return _linalg().slogdet(self)


def cholesky(self, upper=False):
    return _linalg().cholesky(self, upper=upper)


def pinverse(self, rcond=1e-15):
    return _linalg().pinv(self, rtol=rcond)


def matrix_power(self, n):
    return _linalg().matrix_power(self, n)


def svd(self, some=True, compute_uv=True):
    """The old torch.svd: (U, S, V) with V, not V^H."""
    from . import return_types

    if not compute_uv:
        # PyTorch: zero-filled U (m x m) and V (n x n), whatever `some` says
        m, n = self.shape[-2], self.shape[-1]
        S = _linalg().svdvals(self)
        return return_types.svd_legacy(self.new_zeros(*self.shape[:-2], m, m), S, self.new_zeros(*self.shape[:-2], n, n))
    U, S, Vh = _linalg().svd(self, full_matrices=not some)
    return return_types.svd_legacy(U, S, Vh.transpose(-2, -1))


def qr(self, some=True):
    return _linalg().qr(self, "reduced" if some else "complete")


def cholesky_inverse(self, upper=False):
    """(L L^T)^-1 from its Cholesky factor L (U^T U from U with
    ``upper``), through two triangular solves, as one node."""
    if self.dim() < 2 or self.shape[-1] != self.shape[-2]:
        raise RuntimeError(
            f"cholesky_inverse: A must be batches of square matrices, but they are {self.shape[-2] if self.dim() > 1 else 1} by {self.shape[-1]} matrices"
        )

    def run(factor):
        from ._creation import eye

        lower = factor.mT if upper else factor
        lower_inv = _linalg().solve_triangular(lower, eye(lower.shape[-1], dtype=lower.dtype, device=lower.device), upper=False)
        return lower_inv.mT @ lower_inv

    return composite("CholeskyInverseBackward0", run, self)


def cholesky_solve(self, input2, upper=False):
    """X with (L L^T) X = self, L = input2 (U^T U with ``upper``): two
    triangular solves (they read only L's triangle); batch dims broadcast.
    The gradients are PyTorch's formulas, which treat input2 as the full
    matrix (grad_L = -(G X^T + X G^T) L, G = cholesky_solve(grad, L))."""
    from ._dtype import scalar_name
    from ._grad_mode import is_grad_enabled, no_grad

    if self.dim() < 2 or input2.dim() < 2:
        raise RuntimeError(
            f"b should have at least 2 dimensions, but has {self.dim()} dimensions instead"
            if self.dim() < 2
            else f"u should have at least 2 dimensions, but has {input2.dim()} dimensions instead"
        )
    if input2.shape[-1] != input2.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {input2.shape[-2]} by {input2.shape[-1]} matrices")
    if input2.shape[-1] != self.shape[-2]:
        raise RuntimeError(
            f"Incompatible matrix sizes for cholesky_solve: each A matrix is {input2.shape[-1]} by {input2.shape[-1]} but each b matrix is {self.shape[-2]} by {self.shape[-1]}"
        )
    if self.dtype != input2.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type {scalar_name(self.dtype)} and A of type {scalar_name(input2.dtype)} instead."
        )

    def solve(b, factor):
        triangular = _linalg().solve_triangular
        lower = factor.mT if upper else factor
        return triangular(lower.mT, triangular(lower, b, upper=False), upper=True)

    with no_grad():
        value = solve(self, input2)
    if not _native._needs_node([self, input2]):
        return value

    def backward(g):
        x = solve(self, input2) if is_grad_enabled() else value
        grad_b = solve(g, input2)
        common = -grad_b @ x.mT
        common = common + common.mT
        grad_factor = input2 @ common if upper else common @ input2
        return grad_b, grad_factor

    return _native._custom_node(value, [self, input2], backward, "CholeskySolveBackward0", saved=[self, input2])


register(
    [
        addmm,
        addmv,
        addbmm,
        baddbmm,
        addr,
        trace,
        diag_embed,
        kron,
        cross,
        tensordot,
        vdot,
        inner,
        ger,
        dist,
        renorm,
        inverse,
        det,
        logdet,
        slogdet,
        cholesky,
        cholesky_inverse,
        cholesky_solve,
        pinverse,
        matrix_power,
        svd,
        qr,
    ]
)
register([einsum, cdist, block_diag], methods=False)
for _fn in (addmm, addmv, addbmm, baddbmm, addr):
    setattr(Tensor, _fn.__name__ + "_", inplace_variant(_fn))


def _sample_spacing(name, y, x, dim):
    """``x``'s consecutive differences along ``dim``, shaped to broadcast
    against y's (PyTorch views a 1-d ``x`` along ``dim`` and pads a shorter
    one with leading ones, then takes slice differences)."""
    if x.dtype is bool_:
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not supported")
    if x.dim() == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.dim()
        shape[dim] = x.shape[0]
        x = x.view(shape)
    elif x.dim() < y.dim():
        x = x.view([1] * (y.dim() - x.dim()) + list(x.shape))
    n = x.shape[dim]
    return x.narrow(dim, 1, builtins.max(n - 1, 0)) - x.narrow(dim, 0, builtins.max(n - 1, 0))


def _real_spacing(name, dx):
    if isinstance(dx, (bool, complex)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    return 1.0 if dx is None else float(dx)


def _checked_dim(name, y, x, dx, dim):
    """PyTorch's argument checks of trapezoid and cumulative_trapezoid; the wrapped dim."""
    if x is not None and dx is not None:
        raise RuntimeError(f"{name}: received both x and dx")
    dim = _wrap_dim(dim, y.dim())
    if y.dtype is bool_:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    return dim


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along `dim`, with sample points `x` or spacing
    `dx`, computed in PyTorch's order (so the graph and the rounding match)."""
    dim = _checked_dim("trapezoid", y, x, dx, dim)
    n = y.shape[dim]
    if n == 0:
        # NumPy's answer for no samples: zeros, a constant
        from ._creation import zeros

        return zeros([s for i, s in enumerate(y.shape) if i != dim], dtype=y.dtype, device=y.device)
    if x is None:
        spacing = _real_spacing("trapezoid", dx)
        ends = with_scalar((y.select(dim, 0) + y.select(dim, -1)) * 0.5, "MulBackward1")
        return with_scalar((y.sum(dim) - ends) * spacing, "MulBackward1")
    spacing = _sample_spacing("trapezoid", y, x, dim)
    pairs = y.narrow(dim, 0, n - 1) + y.narrow(dim, 1, n - 1)
    return with_scalar((pairs * spacing).sum(dim) / 2.0, "DivBackward1")


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoidal sums along `dim` (one fewer than y's length)."""
    dim = _checked_dim("cumulative_trapezoid", y, x, dx, dim)
    n = y.shape[dim]
    pairs = y.narrow(dim, 0, builtins.max(n - 1, 0)) + y.narrow(dim, builtins.min(1, n), builtins.max(n - 1, 0))
    if x is None:
        half = _real_spacing("cumulative_trapezoid", dx) / 2.0
        return with_scalar(pairs * half, "MulBackward1").cumsum(dim)
    spacing = _sample_spacing("cumulative_trapezoid", y, x, dim)
    return with_scalar((pairs * spacing).cumsum(dim) / 2.0, "DivBackward1")


def bilinear(input1, input2, weight, bias=None):
    """``torch.bilinear``: nn.functional.bilinear's op."""
    from .nn._linear import bilinear as _bilinear

    return _bilinear(input1, input2, weight, bias)


register([trapezoid, cumulative_trapezoid, bilinear], methods=False)
