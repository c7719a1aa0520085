"""``scatter_reduce`` and ``index_reduce``: src's values reduced into self
at the given positions (sum, prod, mean, amax, amin; self's own values
included or not). The result is computed on the host in float64; the
node's backward is PyTorch's: the gradient of a max or min shared evenly
among the elements equal to it, a mean's divided by the count, a
product's through the other factors (a zero factor raises rather than
give a wrong number)."""

import warnings

import numpy as np

from . import _native

Tensor = _native.Tensor

_IDENTITY = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "amax": -np.inf, "amin": np.inf}
_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _targets(self, dim, index):
    """Flat positions in self of each index entry (index's shape)."""
    idx = index.cpu().numpy()
    coords = list(np.indices(idx.shape))
    size = self.shape[dim]
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise RuntimeError(f"index {int(idx.max() if idx.max() >= size else idx.min())} is out of bounds for dimension {dim} with size {size}")
    coords[dim] = np.where(idx < 0, idx + size, idx)
    return np.ravel_multi_index(tuple(coords), tuple(self.shape)) if idx.size else np.zeros(idx.shape, np.int64), coords


def _reduce(name, self, dim, index, src, reduce, include_self):
    from ._creation import tensor
    from ._dtype import int64

    dim = dim % max(self.dim(), 1)
    flat_targets, _ = _targets(self, dim, index)
    src_view = src[tuple(slice(0, n) for n in index.shape)] if src.dim() else src
    a = self.detach().cpu().numpy().astype(np.float64).reshape(-1)
    s = src_view.detach().cpu().numpy().astype(np.float64).reshape(-1)
    t = flat_targets.reshape(-1)
    scattered = np.zeros(a.shape, bool)
    scattered[t] = True
    base = a.copy()
    if not include_self:
        base[scattered] = _IDENTITY[reduce]
    result = base.copy()
    _UFUNC[reduce].at(result, t, s)
    counts = np.zeros(a.shape)
    np.add.at(counts, t, 1.0)
    if include_self:
        counts += 1.0
    if reduce == "mean":
        result = np.where(scattered, result / np.maximum(counts, 1.0), a)
    if not self.is_floating_point() and reduce == "mean":
        result = np.floor(result)
    values = tensor(result.reshape(tuple(self.shape)), dtype=self.dtype, device=self.device)
    if not _native._needs_node([self, src]) or not self.is_floating_point():
        return values

    device = self.device
    T = tensor(t, dtype=int64, device=device)
    scattered_t = tensor(scattered.reshape(tuple(self.shape)), device=device)
    R = values.detach()

    def place_in_src(flat_grad):
        """A gradient over index's entries, laid into src's shape."""
        g = flat_grad.reshape(tuple(index.shape))
        if tuple(src.shape) == tuple(index.shape):
            return g
        out = src.new_zeros(src.shape)
        out[tuple(slice(0, n) for n in index.shape)] = g
        return out

    def backward(g):
        gflat = g.reshape(-1)
        if reduce == "sum":
            g_self = g if include_self else _native.where(scattered_t, 0.0, g)
            g_src = gflat.index_select(0, T)
        elif reduce == "mean":
            N = tensor(counts.reshape(tuple(self.shape)), dtype=g.dtype, device=device).clamp(min=1.0)
            g_self = _native.where(scattered_t, g / N if include_self else g * 0, g)
            g_src = (g / N).reshape(-1).index_select(0, T)
        elif reduce in ("amax", "amin"):
            # PyTorch's sharing: self counts among the ties where it equals
            # the result, even when it was not included (its own gradient
            # is then zeroed below)
            src_vals = src_view.detach().reshape(-1)
            hit_src = (src_vals == R.reshape(-1).index_select(0, T)).to(g.dtype)
            hit_self = (self.detach() == R).to(g.dtype)
            count = hit_self.reshape(-1).index_add(0, T, hit_src).reshape(tuple(self.shape))
            share = g / count
            g_self = share * hit_self
            if not include_self:
                g_self = _native.where(scattered_t, 0.0, g_self)
            g_src = share.reshape(-1).index_select(0, T) * hit_src
        else:  # prod
            src_vals = src_view.detach().reshape(-1)
            if bool((src_vals == 0).any()) or (include_self and bool(((self.detach() == 0) & scattered_t).any())):
                raise NotImplementedError("scatter_reduce(reduce='prod'): the gradient where a factor is zero is not supported by autorust")
            g_self = _native.where(scattered_t, g * R / self.detach() if include_self else g * 0, g)
            g_src = (g * R).reshape(-1).index_select(0, T) / src_vals
        return g_self, place_in_src(g_src)

    return _native._custom_node(values, [self, src], backward, name)


def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
    # PyTorch still takes the older spellings
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    if reduce not in _IDENTITY:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if index.dim() != self.dim() or src.dim() != self.dim():
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    return _reduce("ScatterReduceBackward0", self, dim, index, src, reduce, include_self)


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    from ._ops_register import apply_inplace

    return apply_inplace(self, lambda s: scatter_reduce(s, dim, index, src, reduce, include_self=include_self), "scatter_reduce_")


_warned = []


def index_reduce(self, dim, index, source, reduce, *, include_self=True):
    if not _warned:
        warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning, stacklevel=2)
        _warned.append(True)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    dim = dim % max(self.dim(), 1)
    shape = [1] * source.dim()
    shape[dim] = -1
    full_index = index.reshape(shape).expand(tuple(source.shape))
    return _reduce("IndexReduceBackward0", self, dim, full_index, source, reduce, include_self)


def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    from ._ops_register import apply_inplace

    return apply_inplace(self, lambda s: index_reduce(s, dim, index, source, reduce, include_self=include_self), "index_reduce_")


def new(self, *args, **kwargs):
    """The legacy constructor: ``t.new(sizes...)`` an uninitialised tensor
    (zeros here) of t's dtype and device, ``t.new(data)`` a tensor from
    data, ``t.new()`` an empty one."""
    from ._creation import tensor

    if kwargs.get("device") is None:
        kwargs.pop("device", None)
    if not args:
        return self.new_empty(0, **kwargs)
    if len(args) == 1 and isinstance(args[0], Tensor):
        raise TypeError("new(): a tensor argument (aliasing its storage) is not supported by autorust; use .view_as or .clone")
    from ._size import Size

    if len(args) == 1 and isinstance(args[0], Size):
        return self.new_empty(tuple(args[0]), **kwargs)
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        # a sequence is data (sizes come as separate ints or a Size)
        return tensor(args[0], dtype=self.dtype, device=self.device)
    return self.new_empty(args, **kwargs)


for _fn in (scatter_reduce, scatter_reduce_, index_reduce, index_reduce_, new):
    setattr(Tensor, _fn.__name__, _fn)
