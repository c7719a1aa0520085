"""Order statistics, counting and running reductions: median, mode,
kthvalue, quantile, unique, bincount, histc, searchsorted, cummax/cummin,
logcumsumexp, aminmax.

Orders and counts are found on the host with NumPy (a readback for GPU
tensors); the values are then gathered from the input where it lives, so
gradients flow through them as in PyTorch. Running products and log-sum-exps
are chains of native ops, differentiable on every device.
"""

import math

import numpy as np

from . import _native, return_types
from ._composite import composite
from ._dims import wrap_dim
from ._dtype import scalar_name
from ._ops_register import register

Tensor = _native.Tensor


def _host(t):
    return t.detach().cpu().numpy()


def _index(values, device):
    from ._creation import tensor

    return tensor(np.asarray(values, dtype=np.int64), device=device)


def _const(values, like):
    """A NumPy array as a tensor with `like`'s dtype (bools stay bool) on its device."""
    from ._creation import tensor

    values = np.asarray(values)
    return tensor(values, dtype=None if values.dtype == bool else like.dtype, device=like.device)


def _gathered(name, self, d, idx, squeeze=False):
    """The values at `idx` along `d`, shown as PyTorch's one node `name`."""

    def pick(x):
        v = x.gather(d, idx)
        return v.squeeze(d) if squeeze else v

    return composite(name, pick, self)


def _kth_along(self, dim, keepdim, pick, nan_wins=False, name="KthvalueBackward0", quickselect=False):
    """values/indices of the element each row's `pick(sorted_row_values)`
    position selects; with `nan_wins` (median), a row with a NaN selects its
    first NaN, as PyTorch. With `quickselect` (kthvalue), rows with ties
    take the index PyTorch's quickselect leaves at that position."""
    if self.dim() == 0:
        wrap_dim(dim, 0)
        return composite(name, lambda x: x.clone(), self), _index(0, self.device)
    d = wrap_dim(dim, self.dim())
    a = np.moveaxis(_host(self), d, -1)
    order = np.argsort(a, axis=-1, kind="stable")  # NaNs sort last
    sorted_vals = np.take_along_axis(a, order, -1)
    pos = np.asarray(pick(sorted_vals), dtype=np.int64)
    pos = np.broadcast_to(pos, a.shape[:-1]).copy()
    if nan_wins and np.issubdtype(a.dtype, np.floating):
        has_nan = np.isnan(a).any(-1)
        pos = np.where(has_nan, (~np.isnan(sorted_vals)).sum(-1), pos)
    idx = np.take_along_axis(order, pos[..., None], -1)  # [..., 1]
    if quickselect and pos.size:
        from ._stl_order import kth_order

        idx = kth_order(a, int(pos.reshape(-1)[0]), idx[..., 0].copy())[..., None]
    idx_t = _index(np.moveaxis(idx, -1, d), self.device)
    values = _gathered(name, self, d, idx_t, squeeze=not keepdim)
    if not keepdim:
        idx_t = idx_t.squeeze(d)
    return values, idx_t


def _evenly_shared(name, self, selected):
    """A full reduction to one selected value (median and nanmedian over
    all elements): PyTorch's backward gives every element equal to the
    value (every NaN, when the value is NaN) an equal share of the
    gradient, not one chosen element. For a finite value it is written as
    `v - sum(v - where(equal, x, v)) / count`: the sum is exactly +0, so the
    result is `v` to the bit (its sign included), and its gradient is the
    even share (+0 elsewhere). An infinite or NaN value is the mean of the
    equal elements, which is exactly that value."""
    from ._functions import where

    flat = _host(self).reshape(-1)
    value = selected(flat)
    if not self.dtype.is_floating_point:
        return _const(value, self)
    equal = np.isnan(flat) if np.isnan(value) else flat == value
    count = int(equal.sum())

    def shared(x):
        mask = _const(equal.reshape(x.shape), x)
        if not np.isfinite(value):
            return where(mask, x, 0).sum() / count
        v = _const(value, x)
        return v - (v - where(mask, x, v)).sum() / count

    return composite(name, shared, self)


def _lower_median(flat):
    """The lower median of a 1-D array, NaN if it has one (PyTorch's median)."""
    if flat.dtype.kind == "f" and np.isnan(flat).any():
        return flat.dtype.type(np.nan)
    return np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2]


def _lower_median_of_numbers(flat):
    """The lower median of the non-NaN values, NaN if there are none (nanmedian)."""
    numbers = flat[~np.isnan(flat)] if flat.dtype.kind == "f" else flat
    return flat.dtype.type(np.nan) if numbers.size == 0 else _lower_median(numbers)


def median(self, dim=None, keepdim=False):
    """The lower median (PyTorch's); NaN if the slice has one."""
    if dim is None:
        if self.numel() == 0:
            return self.new_full((), float("nan"))
        return _evenly_shared("MedianBackward0", self, _lower_median)
    return return_types.median(*_kth_along(self, dim, keepdim, lambda s: (s.shape[-1] - 1) // 2, nan_wins=True, name="MedianBackward1"))


def nanmedian(self, dim=None, keepdim=False):
    def lower_of_finite(s):
        count = (~np.isnan(s)).sum(-1) if np.issubdtype(s.dtype, np.floating) else np.full(s.shape[:-1], s.shape[-1])
        return np.maximum(count - 1, 0) // 2

    if dim is None:
        if self.numel() == 0:
            return self.new_full((), float("nan"))
        return _evenly_shared("NanmedianBackward0", self, _lower_median_of_numbers)
    return return_types.median(*_kth_along(self, dim, keepdim, lower_of_finite, name="NanmedianBackward1"))


def kthvalue(self, k, dim=-1, keepdim=False):
    dim = wrap_dim(dim, self.dim())
    size = self.shape[dim] if self.dim() else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    return return_types.kthvalue(*_kth_along(self, dim, keepdim, lambda s: k - 1, quickselect=True))


def msort(self):
    return self.sort(dim=0).values  # SortBackward0, as PyTorch


def mode(self, dim=-1, keepdim=False):
    """The most frequent value (the smallest on ties) and its last index."""
    if self.dim() == 0:
        wrap_dim(dim, 0)
        return return_types.mode(composite("ModeBackward0", lambda x: x.clone(), self), _index(0, self.device))
    d = wrap_dim(dim, self.dim())
    a = np.moveaxis(_host(self), d, -1)
    rows = a.reshape(-1, a.shape[-1])
    idx = np.empty(rows.shape[0], dtype=np.int64)
    for r, row in enumerate(rows):
        idx[r] = _mode_index(row)
    idx_t = _index(np.moveaxis(idx.reshape(a.shape[:-1] + (1,)), -1, d), self.device)
    values = _gathered("ModeBackward0", self, d, idx_t, squeeze=not keepdim)
    if not keepdim:
        idx_t = idx_t.squeeze(d)
    return return_types.mode(values, idx_t)


def _mode_index(row):
    """The index PyTorch's mode returns for one row: it sorts (value, index)
    pairs by value with `<` (std::sort: an insertion sort up to 16
    elements, which is stable and leaves a NaN where it stands, since no
    comparison with NaN is true), then takes the first longest run of
    elements that are not != (a NaN is a run of its own) and the index at
    the run's end."""
    n = len(row)
    if n <= 16:
        order = list(range(n))
        for i in range(1, n):
            v, j = order[i], i
            while j > 0 and row[v] < row[order[j - 1]]:
                order[j] = order[j - 1]
                j -= 1
            order[j] = v
    else:  # introsort: ties unordered there; this keeps them stable, NaN last
        order = list(np.argsort(row, kind="stable"))
    best, best_len, run = 0, 0, 0
    for i in range(n):
        run += 1
        if i == n - 1 or row[order[i]] != row[order[i + 1]]:
            if run > best_len:
                best, best_len = order[i], run
            run = 0
    return best


def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile_node(self, q, dim, keepdim, interpolation, False)


def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile_node(self, q, dim, keepdim, interpolation, True)


def _quantile_node(self, q, dim, keepdim, interpolation, ignore_nan):
    """PyTorch's quantile: the reduced dim moved last and viewed as
    (*out, n); ranks from the host; the values at those ranks gathered from
    the sorted slices (for a single q over contiguous slices, from the
    slices themselves at the sorted positions, as PyTorch's graph shows)
    and interpolated with lerp; the q dim squeezed or moved to the front."""
    if not isinstance(q, Tensor) and not 0 <= q <= 1:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
    if self.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor) and q.dim() > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if not self.dtype.is_floating_point:
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if isinstance(q, Tensor) and q.dtype != self.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, but got {interpolation}")
    scalar_q = not isinstance(q, Tensor) or q.dim() == 0
    np_dtype = np.float64 if self.dtype.itemsize == 8 else np.float32
    # PyTorch rounds q to the input's dtype, then computes the ranks in
    # float64 (0.3 of 20 is 6.0000002: lower 6, higher 7)
    qs = np.atleast_1d(np.asarray(_host(q) if isinstance(q, Tensor) else q, dtype=np_dtype)).astype(np.float64)
    if ((qs < 0) | (qs > 1)).any():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    nd = self.dim()
    if dim is None:
        reduced = self.flatten()
        out_shape = [1] * nd if keepdim else []
    else:
        d = wrap_dim(dim, nd)
        reduced = self if nd == 0 or d == nd - 1 else self.unsqueeze(-1).transpose(d, -1)
        out_shape = list(self.shape)
        if nd:
            if keepdim:
                out_shape[d] = 1
            else:
                del out_shape[d]
    n = reduced.shape[-1] if reduced.dim() else 1
    reduced = reduced.reshape(out_shape + [n])
    a = _host(reduced)
    nans = np.isnan(a)
    if ignore_nan:
        count = (~nans).sum(-1, keepdims=True).astype(np.float64)
        ranks = np.maximum(qs * (count - 1), 0)
    else:
        last = np.float64(n - 1)
        ranks = np.where(nans.any(-1, keepdims=True), last, qs * last)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)  # half to even, as PyTorch
    below = ranks.astype(np.int64)
    interpolate = interpolation in ("linear", "midpoint")
    upper = np.ceil(ranks).astype(np.int64)
    if scalar_q and reduced.is_contiguous():
        # the slices themselves, at the positions PyTorch's selection
        # (nth_element at the upper rank, then at the lower one in front of
        # it) leaves the ranks at; the stable order's where there are no ties
        from ._stl_order import quantile_order

        order = np.argsort(a, axis=-1, kind="stable")
        at = lambda r: np.take_along_axis(order, r, axis=-1)  # noqa: E731
        pos_below, pos_above = quantile_order(a, below, upper, at(below).copy(), at(upper).copy())
        source = reduced
    else:
        source = reduced.sort(-1).values
        pos_below, pos_above = below, upper
    values = source.gather(-1, _index(pos_below, self.device))
    if interpolate:
        above = source.gather(-1, _index(pos_above, self.device))
        weights = np.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        values = values.lerp(above, _const(weights.astype(np_dtype), values))
    if scalar_q:
        # PyTorch squeezes the q dim in place
        values = values.squeeze(-1)
        _native._set_grad_fn_name(values, "SqueezeBackward4")
        return values
    # the q dim to the front, by PyTorch's in-place unsqueeze_, transpose_, squeeze_
    values = values.unsqueeze(0)
    _native._set_grad_fn_name(values, "UnsqueezeBackward1")
    values = values.transpose(0, -1)
    _native._set_grad_fn_name(values, "TransposeBackward1")
    values = values.squeeze(-1)
    _native._set_grad_fn_name(values, "SqueezeBackward4")
    return values


def _not_differentiable(values, source, name, op):
    """``values`` in the graph over ``source`` as PyTorch's node ``name``,
    whose backward raises (PyTorch has no derivative for ``op``)."""
    if not _native._needs_node([source]):
        return values

    def backward(g):
        raise NotImplementedError(f"the derivative for '{op}' is not implemented.")

    return _native._custom_node(values, [source], backward, name)


def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
    a = _host(self)
    if dim is None:
        vals, inverse, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(a.shape)
    else:
        vals, inverse, counts = np.unique(a, axis=dim, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
    from ._creation import tensor

    values = tensor(vals, dtype=self.dtype, device=self.device)
    out = [
        _not_differentiable(values, self, "Unique2Backward0" if dim is None else "UniqueDimBackward0", "_unique2" if dim is None else "unique_dim")
    ]
    if return_inverse:
        out.append(_index(inverse, self.device))
    if return_counts:
        out.append(_index(counts, self.device))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
    if dim is not None and self.dim() == 0:
        from ._dims import no_dims_error

        raise no_dims_error(dim)
    a = _host(self)
    x = a.reshape(-1) if dim is None else np.moveaxis(a, dim, 0)
    if x.shape[0] == 0:
        starts = np.zeros(0, dtype=np.int64)
    else:
        change = np.ones(x.shape[0], dtype=bool)
        change[1:] = (x[1:] != x[:-1]).reshape(x.shape[0] - 1, -1).any(-1)
        starts = np.nonzero(change)[0]
    vals = x[starts]
    if dim is not None:
        vals = np.moveaxis(vals, 0, dim)
    from ._creation import tensor

    values = tensor(vals, dtype=self.dtype, device=self.device)
    out = [_not_differentiable(values, self, "UniqueConsecutiveBackward0", "unique_consecutive")]
    if return_inverse:
        inv = np.cumsum(np.isin(np.arange(x.shape[0]), starts)) - 1
        out.append(_index(inv.reshape(a.shape) if dim is None else inv, self.device))
    if return_counts:
        out.append(_index(np.diff(np.append(starts, x.shape[0])), self.device))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(self, weights=None, minlength=0):
    if self.dim() != 1 or self.is_floating_point():
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    a = _host(self)
    if (a < 0).any():
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    from ._creation import tensor

    if weights is None:
        return _index(np.bincount(a, minlength=minlength), self.device)
    w = _host(weights)
    return tensor(np.bincount(a, weights=w, minlength=minlength), dtype=weights.dtype, device=self.device)


def histc(self, bins=100, min=0, max=0):
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{scalar_name(self.dtype)}'")
    a = _host(self).astype(np.float64).reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    inside = a[(a >= lo) & (a <= hi)]
    counts = np.zeros(bins, dtype=np.float64)
    if inside.size:
        b = np.minimum(((inside - lo) * bins / (hi - lo)).astype(np.int64), bins - 1)
        np.add.at(counts, b, 1)
    from ._creation import tensor

    return tensor(counts, dtype=self.dtype, device=self.device)


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    if side is not None:
        right = side == "right"
    seq = _host(sorted_sequence)
    device = sorted_sequence.device
    scalar = not isinstance(values, Tensor)
    vals = np.asarray(values) if scalar else _host(values)
    if sorter is not None:
        seq = np.take_along_axis(seq, _host(sorter), -1)
    mode = "right" if right else "left"
    if seq.ndim == 1:
        res = np.searchsorted(seq, vals, side=mode)
    else:
        flat_seq, flat_vals = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        res = np.stack([np.searchsorted(s, v, side=mode) for s, v in zip(flat_seq, flat_vals)]).reshape(vals.shape)
    # out_int32: autorust has no int32 dtype; the indices stay int64
    return _index(res, device)


def bucketize(self, boundaries, *, out_int32=False, right=False):
    return searchsorted(boundaries, self, out_int32=out_int32, right=right)


def _cumulative_extreme(self, dim, larger, name):
    d = wrap_dim(dim, self.dim())
    node_name = "CummaxBackward0" if larger else "CumminBackward0"
    if self.dim() == 0:
        return getattr(return_types, name)(composite(node_name, lambda x: x.clone(), self), _index(0, self.device))
    a = np.moveaxis(_host(self), d, -1)
    idx = np.zeros(a.shape, dtype=np.int64)
    if a.shape[-1] == 0:
        idx_t = _index(np.moveaxis(idx, -1, d), self.device)
        return getattr(return_types, name)(composite(node_name, lambda x: x.clone(), self), idx_t)
    best = a[..., 0].copy()
    for i in range(1, a.shape[-1]):
        v = a[..., i]
        # ties move the index forward; every NaN takes over (a later NaN
        # too), and nothing else does once the value is NaN (PyTorch's loop)
        take = (v >= best) if larger else (v <= best)
        if np.issubdtype(a.dtype, np.floating):
            take = np.isnan(v) | (take & ~np.isnan(best))
        best = np.where(take, v, best)
        idx[..., i] = np.where(take, i, idx[..., i - 1])
    idx_t = _index(np.moveaxis(idx, -1, d), self.device)
    return getattr(return_types, name)(_gathered(node_name, self, d, idx_t), idx_t)


def cummax(self, dim):
    return _cumulative_extreme(self, dim, True, "cummax")


def cummin(self, dim):
    return _cumulative_extreme(self, dim, False, "cummin")


def logcumsumexp(self, dim):
    return composite("LogcumsumexpBackward0", lambda x: _logcumsumexp(x, dim), self)


def _logcumsumexp(self, dim):
    if self.dim() == 0:
        return self.clone()
    from ._ops_pointwise import logaddexp

    n = self.shape[dim]
    parts, acc = [], None
    for i in range(n):
        xi = self.narrow(dim, i, 1)
        acc = xi if acc is None else logaddexp(acc, xi)
        parts.append(acc)
    return _native.cat(parts, dim) if parts else self.clone()


def aminmax(self, *, dim=None, keepdim=False):
    def extreme(x, largest):
        if dim is None:
            v = x.amax() if largest else x.amin()
            return v.reshape((1,) * x.dim()) if keepdim else v
        return x.amax(dim, keepdim=keepdim) if largest else x.amin(dim, keepdim=keepdim)

    smallest = composite("AminmaxBackward0", lambda x: extreme(x, False), self)
    largest = composite("AminmaxBackward0", lambda x: extreme(x, True), self)
    _native._set_output_nr(largest, 1)
    return return_types.aminmax(smallest, largest)


register(
    [
        median,
        nanmedian,
        kthvalue,
        msort,
        mode,
        quantile,
        nanquantile,
        unique,
        unique_consecutive,
        bincount,
        histc,
        bucketize,
        cummax,
        cummin,
        logcumsumexp,
        aminmax,
    ]
)
register([searchsorted], methods=False)


# ---- sort and top-k (the order on the host, PyTorch's tie order) ----


_NOT_GIVEN = object()


def sort(self, dim=-1, descending=False, stable=_NOT_GIVEN):
    from . import return_types

    if self.is_cuda:  # a bitonic sort on the device (stable), no readback
        on_device = self._sort_on_device(dim, descending)
        if on_device is not None:
            return return_types.sort(*on_device)

    # the order is found on the host (a readback on the GPU); the values are
    # gathered where the tensor lives, so gradients flow as usual
    wrap_dim(dim, self.dim())
    a = self.detach().cpu().numpy()
    if a.ndim == 0:
        idx = np.zeros((), dtype=np.int64)
    else:
        m = np.moveaxis(a, dim, -1)
        idx = _stable_order(m, descending)
        if stable is not True:
            # PyTorch's default sort is std::sort: ties past 16 elements
            # end where its introsort leaves them
            from ._stl_order import sort_order

            idx = sort_order(m, descending, idx)
        idx = np.moveaxis(idx, -1, dim)
    from ._creation import tensor as _tensor

    i = _tensor(idx.astype(np.int64), device=self.device)
    # PyTorch's overload with `stable` (given at all, even None) is SortBackward1
    values = composite("SortBackward0" if stable is _NOT_GIVEN else "SortBackward1", lambda x: x.gather(dim, i), self)
    return return_types.sort(values, i)


def _stable_order(m, descending):
    """The stable sort order along the last axis, NaN as the largest value
    (first when descending)."""
    if not descending:
        return np.argsort(m, axis=-1, kind="stable")  # NaN last
    # by "not NaN", then by -m
    nan = np.isnan(m) if m.dtype.kind == "f" else np.zeros(m.shape, bool)
    neg = -np.where(nan, 0, m) if m.dtype != np.bool_ else ~m
    return np.lexsort((neg, ~nan), axis=-1)


def argsort(self, dim=-1, descending=False, stable=False):
    return sort(self, dim, descending, stable=stable).indices


def topk(self, k, dim=-1, largest=True, sorted=True):
    from . import return_types
    from ._creation import tensor as _tensor

    if self.dim() == 0:
        # PyTorch: a 0-d tensor is its own top 0 or 1
        wrap_dim(dim, 0)
        if not 0 <= k <= 1:
            raise RuntimeError("selected index k out of range")
        return return_types.topk(composite("TopkBackward0", lambda x: x.clone(), self), _tensor(np.int64(0), device=self.device))
    if not 0 <= k <= self.shape[wrap_dim(dim, self.dim())]:
        raise RuntimeError("selected index k out of range")
    from ._stl_order import topk_order

    d = wrap_dim(dim, self.dim())
    m = np.moveaxis(self.detach().cpu().numpy(), d, -1)
    # the stable order's first k, then PyTorch's (nth_element and sort) on rows with ties
    order = topk_order(m, k, largest, _stable_order(m, largest)[..., :k].copy())
    idx = _tensor(np.moveaxis(order, -1, d).astype(np.int64), device=self.device)
    return return_types.topk(composite("TopkBackward0", lambda x: x.gather(dim, idx), self), idx)


for _method in (sort, argsort, topk):  # Tensor methods (torch.sort & co. are in _functions)
    setattr(Tensor, _method.__name__, _method)
