"""Rearranging and indexing ops composed from native ones (so they run on
every device and differentiate): roll, repeat_interleave, diff, rot90,
flips, broadcasting helpers, meshgrid, stacks, take, index_put/copy,
masked_scatter and their in-place forms."""

import builtins
import numbers

import numpy as np

from . import _native
from ._composite import composite, node
from ._dims import no_dims_error, wrap_dim
from ._dtype import bool_, int64
from ._functions import vstack
from ._ops_register import apply_inplace, inplace_variant, register

Tensor = _native.Tensor


def _index_tensor(values, device):
    from ._creation import tensor

    return tensor(np.asarray(values, dtype=np.int64), device=device)


def roll(self, shifts, dims=None):
    shifts = list(shifts) if isinstance(shifts, (list, tuple)) else [shifts]
    dims = [] if dims is None else list(dims) if isinstance(dims, (list, tuple)) else [dims]
    # a float shift or dim is refused, not truncated (PyTorch's TypeError)
    for name, values in (("shifts", shifts), ("dims", dims)):
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
            raise TypeError(
                f"roll(): argument '{name}' must be tuple of ints, not {type(next(v for v in values if not isinstance(v, numbers.Integral) or isinstance(v, bool))).__name__}"
            )
    shifts = [int(v) for v in shifts]
    if not shifts:
        raise RuntimeError("`shifts` required")
    if dims and self.dim() == 0:
        raise no_dims_error(dims[0])
    dims = [wrap_dim(d, self.dim()) for d in dims]
    if len(shifts) != len(dims) and not (not dims and len(shifts) == 1):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    return self._roll(shifts, dims)


def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # repeat_interleave(repeats_tensor): indices repeated
        counts = self.detach().cpu().numpy()
        return _index_tensor(np.repeat(np.arange(len(counts)), counts), self.device)
    x = self.reshape(-1) if dim is None else self
    d = 0 if dim is None else dim % max(x.dim(), 1)
    n = x.shape[d] if x.dim() else 1
    if not isinstance(repeats, Tensor):
        # a Python count: PyTorch's graph is a broadcast copy (unsqueeze,
        # expand, clone, view), not an index
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        _check_output_size(output_size, n * repeats)
        if x.dim() == 0:
            x = x.reshape(1)
        wide = list(x.shape)
        wide.insert(d + 1, repeats)
        shape = list(x.shape)
        shape[d] *= repeats
        return x.unsqueeze(d + 1).expand(*wide).clone().view(*shape)
    reps = repeats.detach().cpu().numpy().reshape(-1)
    if reps.size == 1:
        reps = np.repeat(reps, n)
    if reps.size != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = {reps.size} and input.size({d}) = {n}")
    if (reps < 0).any():
        raise RuntimeError("repeats can not be negative")
    _check_output_size(output_size, int(reps.sum()))
    return x.index_select(d, _index_tensor(np.repeat(np.arange(n), reps), self.device))


def _check_output_size(output_size, total):
    if output_size is not None and output_size != total:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {total} but got {output_size}")


def diff(self, n=1, dim=-1, prepend=None, append=None):
    if self.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    dim = wrap_dim(dim, self.dim())
    parts = [t for t in (prepend, self, append) if t is not None]
    x = _native.cat(parts, dim) if len(parts) > 1 else self
    for _ in range(n):
        length = x.shape[dim]
        if length == 0:
            break
        hi, lo = x.narrow(dim, 1, length - 1), x.narrow(dim, 0, length - 1)
        x = (hi != lo) if x.dtype == bool_ else hi - lo  # bools: xor
    return x


def _check_rot90(self, dims):
    """PyTorch's checks, in its order; the dims wrapped."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if self.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {self.dim()}")
    d0, d1 = dims
    if d0 == d1 or abs(d0 - d1) == self.dim():
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    return [wrap_dim(d, self.dim()) for d in dims]


def rot90(self, k=1, dims=(0, 1)):
    return _rot90(self, k, _check_rot90(self, dims))


@node("Rot90Backward0")
def _rot90(self, k, dims):
    d0, d1 = dims
    k %= 4
    if k == 1:
        return self.flip(d1).transpose(d0, d1)
    if k == 2:
        return self.flip(d0).flip(d1)
    if k == 3:
        return self.transpose(d0, d1).flip(d1)
    return self.clone()


def fliplr(self):
    return self.flip(1)


def flipud(self):
    return self.flip(0)


def broadcast_to(self, size):
    return self.expand(*size)


@node("TakeBackward0")
def take(self, index):
    n = self.numel()
    if index.numel() and not index.is_cuda:
        bad = index[(index < -n) | (index >= n)]
        if bad.numel():
            raise IndexError(f"out of range: tried to access index {int(bad[0])} on a tensor of {n} elements.")
    return self.reshape(-1)[index]


def take_along_dim(self, indices, dim=None):
    if dim is None:
        return self.reshape(-1).gather(0, indices.reshape(-1))
    from ._functions import broadcast_shapes

    if self.dim() == 0:
        raise no_dims_error(dim)
    # input and indices broadcast against each other except along dim
    d = wrap_dim(dim, self.dim())
    ishape, jshape = list(self.shape), list(indices.shape)
    ishape[d] = jshape[d] = 1
    shape = list(broadcast_shapes(ishape, jshape))
    src, idx = list(shape), list(shape)
    src[d], idx[d] = self.shape[d], indices.shape[d]
    return self.expand(*src).gather(d, indices.expand(*idx))


@node("NarrowCopyBackward0")
def narrow_copy(self, dim, start, length):
    return self.narrow(dim, start, length).clone()


def argwhere(self):
    return self.nonzero()


def index_put(self, indices, values, accumulate=False):
    if not isinstance(values, Tensor):
        values = self.new_tensor(values)
    return composite("IndexPutBackward0", lambda x, v: index_put_(x.clone(), indices, v, accumulate), self, values)


def index_put_(self, indices, values, accumulate=False):
    indices = tuple(indices)
    if not accumulate:
        self[indices] = values
        return self
    # accumulate: duplicates add up, through index_add on the flat positions
    from ._creation import arange

    positions = arange(self.numel(), device=self.device).reshape(*self.shape)[indices]
    if not isinstance(values, Tensor):
        values = self.new_tensor(values)
    flat_values = values.to(self.dtype).expand(*positions.shape).reshape(-1)
    return apply_inplace(self, lambda s: s.reshape(-1).index_add(0, positions.reshape(-1), flat_values).reshape(*s.shape), "index_put_")


@node("IndexCopyBackward0", inputs=4)
def index_copy(self, dim, index, source):
    idx = [slice(None)] * self.dim()
    idx[dim] = index
    out = self.clone()
    out[tuple(idx)] = source
    return out


def masked_scatter(self, mask, source):
    return composite("MaskedScatterBackward0", lambda x, s: _masked_scatter(x, mask, s), self, source)


def _masked_scatter(self, mask, source):
    mask = mask.expand(*self.shape) if tuple(mask.shape) != tuple(self.shape) else mask
    k = int(mask.sum())
    if source.numel() < k:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements as ones in mask")
    out = self.clone()
    out[mask] = source.reshape(-1)[:k]
    return out


def fill_diagonal_(self, fill_value, wrap=False):
    if self.dim() < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.dim() > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    n = builtins.min(self.shape)
    if self.dim() == 2:
        rows, cols = self.shape
        step = cols + 1
        limit = rows * cols if wrap and rows > cols else builtins.min(rows, cols) * cols
        flat = np.arange(0, limit, step)
    else:
        stride = builtins.sum(int(np.prod(self.shape[d + 1 :])) for d in range(self.dim()))
        flat = np.arange(n) * stride
    positions = _index_tensor(flat, self.device)
    return apply_inplace(self, lambda s: s.reshape(-1).index_fill(0, positions, fill_value).reshape(*s.shape), "fill_diagonal_")


def index_add_(self, dim, index, source, *, alpha=1):
    return apply_inplace(self, lambda s: s.index_add(dim, index, source, alpha=alpha), "index_add_")


def index_fill_(self, dim, index, value):
    return apply_inplace(self, lambda s: s.index_fill(dim, index, value), "index_fill_")


def triu_(self, diagonal=0):
    return apply_inplace(self, lambda s: s.triu(diagonal), "triu_")


def tril_(self, diagonal=0):
    return apply_inplace(self, lambda s: s.tril(diagonal), "tril_")


def round_(self, decimals=0):
    return apply_inplace(self, lambda s: s.round(decimals=decimals), "round_")


def lerp_(self, end, weight):
    return apply_inplace(self, lambda s: s.lerp(end, weight), "lerp_")


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    ts = [t.reshape(-1) for t in tensors]
    shape = [t.numel() for t in ts]
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = -1
        grids.append(t.reshape(*view).expand(*shape))
    if indexing == "xy" and len(ts) >= 2:  # Cartesian: the first two axes swap
        grids = [g.transpose(0, 1) for g in grids]
    return tuple(grids)


def cartesian_prod(*tensors):
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return _native.stack([g.reshape(-1) for g in grids], 1)


def _atleast(nd, tensors):
    # PyTorch's unsqueezes: 0-d -> [1] -> [1, 1] -> [1, 1, 1]; 1-d [n] -> [1, n] -> [1, n, 1]; 2-d -> [., ., 1]
    out = []
    for t in tensors:
        if t.dim() == 0 and nd >= 1:
            t = t.reshape(1) if nd == 1 else t.reshape(1, 1) if nd == 2 else t.reshape(1, 1, 1)
        elif t.dim() == 1 and nd >= 2:
            t = t.unsqueeze(0)
            if nd == 3:
                t = t.unsqueeze(-1)
        elif t.dim() == 2 and nd == 3:
            t = t.unsqueeze(-1)
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*tensors):
    return _atleast(1, tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors)


def atleast_2d(*tensors):
    return _atleast(2, tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors)


def atleast_3d(*tensors):
    return _atleast(3, tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors)


def _non_empty(name, tensors):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def dstack(tensors):
    ts = atleast_3d(*_non_empty("dstack", tensors))
    return _native.cat(list(ts) if isinstance(ts, tuple) else [ts], 2)


def column_stack(tensors):
    return _native.cat([t.reshape(-1, 1) if t.dim() <= 1 else t for t in _non_empty("column_stack", tensors)], 1)


def split_with_sizes(self, split_sizes, dim=0):
    return self.split(list(split_sizes), dim)


register(
    [
        roll,
        repeat_interleave,
        diff,
        rot90,
        fliplr,
        flipud,
        broadcast_to,
        take,
        take_along_dim,
        narrow_copy,
        argwhere,
        index_put,
        index_copy,
        masked_scatter,
        split_with_sizes,
    ]
)
register([meshgrid, cartesian_prod, atleast_1d, atleast_2d, atleast_3d, dstack, column_stack], {"row_stack": vstack}, methods=False)
for _fn in (index_put_, fill_diagonal_, index_add_, index_fill_, triu_, tril_, round_, lerp_):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.index_copy_ = inplace_variant(index_copy)
Tensor.masked_scatter_ = inplace_variant(masked_scatter)


def _inplace_view(name):
    """x.t_(), x.unsqueeze_(d), ...: x becomes the view (same storage). As in
    PyTorch, a leaf that requires grad refuses; a tensor with autograd
    history is refused too (autorust does not rebase its graph node)."""
    view = getattr(Tensor, name[:-1])

    def method(self, *args, **kwargs):
        from ._grad_mode import is_grad_enabled

        if self.requires_grad and is_grad_enabled():
            if self.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            raise RuntimeError(f"{name}(): in-place view ops on a tensor with autograd history are not supported; use {name[:-1]}()")
        self.data = view(self, *args, **kwargs)
        return self

    method.__name__ = method.__qualname__ = name
    return method


Tensor.swapdims = Tensor.swapaxes
register([], {"swapdims": Tensor.swapaxes}, methods=False)
for _name in ("t_", "transpose_", "swapaxes_", "swapdims_", "unsqueeze_", "squeeze_"):
    if hasattr(Tensor, _name[:-1]):
        setattr(Tensor, _name, _inplace_view(_name))


def put(self, index, source, accumulate=False):
    def put_into(dest, values):
        flat = dest.reshape(-1)
        if accumulate:
            out = flat.index_add(0, index.reshape(-1), values.reshape(-1).to(dest.dtype))
        else:
            out = flat.clone()
            out[index.reshape(-1)] = values.reshape(-1).to(dest.dtype)
        return out.reshape(*dest.shape)

    return composite("PutBackward0", put_into, self, source)


def get_device(self):
    return -1 if self.device.type == "cpu" else 0


def ndimension(self):
    return self.dim()


def apply_(self, callable):
    """Applies a Python function to every element, in place (CPU only, as PyTorch)."""
    if self.device.type != "cpu":
        raise TypeError("apply_ is only implemented on CPU tensors")
    from ._creation import tensor

    vals = np.vectorize(callable, otypes=[self.numpy().dtype])(self.detach().numpy())
    self.copy_(tensor(vals, dtype=self.dtype))
    return self


register([put], methods=True)
register([], {"put": put}, methods=False)
for _fn in (get_device, ndimension, apply_):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.put_ = inplace_variant(put)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """`input` with `src` written into the slice start:end:step along `dim`."""
    idx = [slice(None)] * input.dim()
    idx[dim] = slice(start, end, step)

    def f(x, s):
        out = x.clone()
        out[tuple(idx)] = s
        return out

    return composite("SliceScatterBackward0", f, input, src)


def select_scatter(input, src, dim, index):
    """`input` with `src` written into index `index` along `dim`."""
    idx = [slice(None)] * input.dim()
    idx[dim] = index

    def f(x, s):
        out = x.clone()
        out[tuple(idx)] = s
        return out

    return composite("SelectScatterBackward0", f, input, src)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """`input` with `src` written onto its diagonal."""

    def f(x, s):
        out = x.clone()
        out.diagonal(offset, dim1, dim2).copy_(s)
        return out

    return composite("DiagonalScatterBackward0", f, input, src)


def vander(x, N=None, increasing=False):
    """Columns x^0 .. x^(N-1) (decreasing powers unless `increasing`)."""

    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    from ._creation import empty

    # PyTorch's construction (so the graph, the rounding and the version
    # counts match): filled with ones, x broadcast into columns 1.., then
    # their running product copied over them
    dtype = x.dtype if x.dtype.is_floating_point else int64
    out = empty(x.shape[0], n, dtype=dtype, device=x.device)
    if n > 0:
        out.fill_(1)
    if n > 1:
        out[:, 1:].copy_(x.unsqueeze(1))
        powers = out[:, 1:]
        # (PyTorch's cumprod saves the slice it then overwrites: its
        # backward fails as PyTorch's does)
        powers.copy_(powers.cumprod(1))
    return out if increasing else out.flip(1)


register([slice_scatter, select_scatter, diagonal_scatter])
register([vander], methods=False)
