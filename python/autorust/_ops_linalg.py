"""Products and contractions beyond matmul, composed from native ops (so
they run on every device and differentiate): the addmm family, trace,
diagonal, diag_embed, kron, cross, tensordot, einsum, cdist, block_diag."""

import builtins
import numbers

from . import _native
from ._composite import composite, node
from ._ops_register import inplace_variant, register

Tensor = _native.Tensor


def _scaled(t, s):
    return t if s == 1 else t * s


@node("AddmmBackward0", inputs=3)
def addmm(self, mat1, mat2, *, beta=1, alpha=1):
    prod = _scaled(mat1 @ mat2, alpha)
    # beta == 0: input is ignored (its NaNs do not propagate), as in PyTorch
    return prod if beta == 0 else _scaled(self, beta) + prod


@node("AddmvBackward0", inputs=3)
def addmv(self, mat, vec, *, beta=1, alpha=1):
    return addmm.__wrapped__(self, mat, vec, beta=beta, alpha=alpha)


@node("AddbmmBackward0", inputs=3)
def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
    prod = _scaled((batch1 @ batch2).sum(0), alpha)
    return prod if beta == 0 else _scaled(self, beta) + prod


@node("BaddbmmBackward0", inputs=3)
def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
    return addmm.__wrapped__(self, batch1, batch2, beta=beta, alpha=alpha)


@node("AddrBackward0", inputs=3)
def addr(self, vec1, vec2, *, beta=1, alpha=1):
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


def cross(self, other, dim=None):
    return composite("LinalgCrossBackward0", lambda a, b: _cross(a, b, dim), self, other)


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


def tensordot(a, b, dims=2):
    if isinstance(dims, numbers.Integral):
        da = list(range(a.dim() - dims, a.dim()))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, numbers.Integral) else list(da)
        db = [db] if isinstance(db, numbers.Integral) else list(db)
    da = [d % a.dim() for d in da]
    db = [d % b.dim() for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[x]} in dim {x} and second has size {b.shape[y]} in dim {y}")
    free_a = [d for d in range(a.dim()) if d not in da]
    free_b = [d for d in range(b.dim()) if d not in db]
    k = 1
    for d in da:
        k *= a.shape[d]
    left = a.permute(*free_a, *da).reshape(-1, k)
    right = b.permute(*db, *free_b).reshape(k, -1)
    return (left @ right).reshape(*[a.shape[d] for d in free_a], *[b.shape[d] for d in free_b])


def _parse_einsum(equation, operands):
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs, out = eq, None
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation" if len(operands) > len(terms) else "einsum(): fewer operands were provided than specified in the equation")
    # '...' becomes as many fresh upper-case letters as the widest ellipsis covers
    ell = 0
    for term, op in zip(terms, operands):
        if "..." in term:
            ell = builtins.max(ell, op.dim() - (len(term) - 3))
    ell_letters = "".join(chr(ord("Z") - i) for i in range(ell))[::-1]
    expanded = []
    for term, op in zip(terms, operands):
        if "..." in term:
            covered = op.dim() - (len(term) - 3)
            term = term.replace("...", ell_letters[ell - covered:])
        if len(term) != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not match the number of dimensions ({op.dim()}) for operand {len(expanded)}")
        expanded.append(term)
    if out is None:
        counts = {}
        for term in expanded:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        out = ell_letters + "".join(sorted(c for c in counts if counts[c] == 1 and c not in ell_letters))
    else:
        out = out.replace("...", ell_letters)
    return expanded, out


def _take_diagonals(term, op):
    """Repeated letters in one term ('ii') become one dim (the diagonal)."""
    while len(set(term)) != len(term):
        c = next(ch for ch in term if term.count(ch) > 1)
        i = term.index(c)
        j = term.index(c, i + 1)
        op = op.diagonal(0, i, j)  # the diagonal goes last
        term = "".join(ch for k, ch in enumerate(term) if k not in (i, j)) + c
    return term, op


def _sum_out(term, op, keep):
    """Sums the letters of `term` not in `keep`."""
    drop = [i for i, c in enumerate(term) if c not in keep]
    if drop:
        op = op.sum(drop)
        term = "".join(c for c in term if c in keep)
    return term, op


def _contract(ta, a, tb, b, keep):
    """Two operands -> one, keeping the letters in `keep`, through one bmm."""
    batch = [c for c in ta if c in tb and c in keep]
    summed = [c for c in ta if c in tb and c not in keep]
    left = [c for c in ta if c not in tb]
    right = [c for c in tb if c not in ta]
    size = {c: a.shape[ta.index(c)] for c in ta}
    for c in tb:
        sb = b.shape[tb.index(c)]
        if c in size and size[c] != sb and size[c] != 1 and sb != 1:
            raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes (original->remapped): subscript {c} has sizes {size[c]} and {sb}")
        size[c] = builtins.max(size.get(c, 1), sb)

    def prod(cs):
        p = 1
        for c in cs:
            p *= size[c]
        return p

    a2 = a.permute(*[ta.index(c) for c in batch + left + summed])
    b2 = b.permute(*[tb.index(c) for c in batch + summed + right])
    a2 = a2.expand(*[size[c] for c in batch + left + summed]).reshape(prod(batch), prod(left), prod(summed))
    b2 = b2.expand(*[size[c] for c in batch + summed + right]).reshape(prod(batch), prod(summed), prod(right))
    out = (a2 @ b2).reshape(*[size[c] for c in batch + left + right])
    return "".join(batch + left + right), out


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    terms, out = _parse_einsum(equation, operands)
    ops = []
    for term, op in zip(terms, operands):
        ops.append(_take_diagonals(term, op))
    # fold left to right; a letter survives while the output or a later operand needs it
    term, acc = ops[0]
    later = "".join(t for t, _ in ops[1:]) + out
    term, acc = _sum_out(term, acc, later)
    for k in range(1, len(ops)):
        tb, b = ops[k]
        later = "".join(t for t, _ in ops[k + 1:]) + out
        tb, b = _sum_out(tb, b, later + term)
        term, acc = _contract(term, acc, tb, b, later)
    term, acc = _sum_out(term, acc, out)
    if term != out:
        acc = acc.permute(*[term.index(c) for c in out])
    return acc


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

    # 0-d -> 1x1, 1-d -> one row, 2-d as given (PyTorch's rule)
    mats = [t.reshape(1, -1) if t.dim() < 2 else t for t in tensors]
    rows = builtins.sum(m.shape[0] for m in mats)
    cols = builtins.sum(m.shape[1] for m in mats)
    dtype = mats[0].dtype if mats else None
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
    return tensordot(self, other, ([-1], [-1]))


def ger(self, vec2):
    return self.unsqueeze(1) * vec2.unsqueeze(0)


@node("DistBackward0", inputs=2)
def dist(self, other, p=2):
    return (self - other).norm(p)


def renorm(self, p, dim, maxnorm):
    """Each slice along `dim` rescaled to norm <= maxnorm."""
    others = [d for d in range(self.dim()) if d != dim % self.dim()]
    norms = self.norm(p, others, keepdim=True) if others else self.abs()
    scale = _native.where(norms > maxnorm, maxnorm / (norms + 1e-7), norms.new_ones(()))
    return self * scale


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
    return _linalg().pinv(self)


def matrix_power(self, n):
    return _linalg().matrix_power(self, n)


def svd(self, some=True, compute_uv=True):
    """The old torch.svd: (U, S, V) with V, not V^H."""
    from . import return_types

    U, S, Vh = _linalg().svd(self, full_matrices=not some)
    return return_types.svd_legacy(U, S, Vh.transpose(-2, -1))


def qr(self, some=True):
    return _linalg().qr(self, "reduced" if some else "complete")


register([addmm, addmv, addbmm, baddbmm, addr, trace, diag_embed, kron, cross, tensordot, vdot, inner, ger, dist, renorm,
          inverse, det, logdet, slogdet, cholesky, pinverse, matrix_power, svd, qr])
register([einsum, cdist, block_diag], methods=False)
for _fn in (addmm, addmv, addbmm, baddbmm, addr):
    setattr(Tensor, _fn.__name__ + "_", inplace_variant(_fn))


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along `dim`, with sample points `x` or spacing `dx`."""
    if x is not None and dx is not None:
        raise RuntimeError("trapezoid: received both x and dx")
    n = y.shape[dim] if y.dim() else 0
    if n == 0:
        return y.sum(dim) * 0
    lo, hi = y.narrow(dim, 0, n - 1), y.narrow(dim, 1, n - 1)
    if x is None:
        out = (hi + lo).sum(dim) * ((1.0 if dx is None else dx) / 2)
        _native._set_grad_fn_name(out, "MulBackward1")  # PyTorch multiplies by a Scalar there
        return out
    dxs = x.diff(dim=-1 if x.dim() == 1 else dim)
    if x.dim() == 1 and y.dim() > 1:
        shape = [1] * y.dim()
        shape[dim] = -1
        dxs = dxs.reshape(shape)
    return ((hi + lo) * dxs).sum(dim) / 2


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoidal sums along `dim` (one fewer than y's length)."""
    if x is not None and dx is not None:
        raise RuntimeError("cumulative_trapezoid: received both x and dx")
    n = y.shape[dim]
    lo, hi = y.narrow(dim, 0, builtins.max(n - 1, 0)), y.narrow(dim, builtins.min(1, n), builtins.max(n - 1, 0))
    if x is None:
        return ((hi + lo) * ((1.0 if dx is None else dx) / 2)).cumsum(dim)
    dxs = x.diff(dim=-1 if x.dim() == 1 else dim)
    if x.dim() == 1 and y.dim() > 1:
        shape = [1] * y.dim()
        shape[dim] = -1
        dxs = dxs.reshape(shape)
    return ((hi + lo) * dxs / 2).cumsum(dim)


def bilinear(input1, input2, weight, bias=None):
    """``torch.bilinear``: nn.functional.bilinear's op."""
    from .nn.functional import bilinear as _bilinear

    return _bilinear(input1, input2, weight, bias)


register([trapezoid, cumulative_trapezoid, bilinear], methods=False)
