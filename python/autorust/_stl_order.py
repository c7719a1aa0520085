"""The orders PyTorch's CPU kernels leave equal elements in.

sort, topk and kthvalue return the same values whatever order ties end in,
but their indices (and so where the gradient goes) depend on the algorithm:
PyTorch's CPU sort is libstdc++'s std::sort (introsort: unstable past 16
elements), topk is std::nth_element then std::sort of the front (or
std::partial_sort, a heap, when k * 64 <= n), and kthvalue is the
Sedgewick quickselect of PyTorch's SortingUtils. These are those
algorithms, step for step, over lists of (key, index) pairs, so the same
ties come out at the same places. They run on the host in Python, only for
rows that have ties (any order of distinct keys is the same order).

`less(a, b)` is the strict ordering of the (key, index) pairs, NaN
handling included; only the keys are compared."""

import math

import numpy as np

_THRESHOLD = 16  # libstdc++'s _S_threshold


def _lg(n):
    return n.bit_length() - 1


def _move_median_to_first(a, result, x, y, z, less):
    if less(a[x], a[y]):
        if less(a[y], a[z]):
            a[result], a[y] = a[y], a[result]
        elif less(a[x], a[z]):
            a[result], a[z] = a[z], a[result]
        else:
            a[result], a[x] = a[x], a[result]
    elif less(a[x], a[z]):
        a[result], a[x] = a[x], a[result]
    elif less(a[y], a[z]):
        a[result], a[z] = a[z], a[result]
    else:
        a[result], a[y] = a[y], a[result]


def _unguarded_partition(a, first, last, pivot, less):
    while True:
        while less(a[first], a[pivot]):
            first += 1
        last -= 1
        while less(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def _partition_pivot(a, first, last, less):
    mid = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, mid, last - 1, less)
    return _unguarded_partition(a, first + 1, last, first, less)


def _unguarded_linear_insert(a, last, less):
    val = a[last]
    nxt = last - 1
    while less(val, a[nxt]):
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
    a[last] = val


def _insertion_sort(a, first, last, less):
    for i in range(first + 1, last):
        if less(a[i], a[first]):
            val = a[i]
            a[first + 1 : i + 1] = a[first:i]
            a[first] = val
        else:
            _unguarded_linear_insert(a, i, less)


def _adjust_heap(a, first, hole, length, value, less):
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _make_heap(a, first, last, less):
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(a, first, parent, length, a[first + parent], less)
        if parent == 0:
            return
        parent -= 1


def _pop_heap(a, first, last, result, less):
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value, less)


def _heap_select(a, first, middle, last, less):
    _make_heap(a, first, middle, less)
    for i in range(middle, last):
        if less(a[i], a[first]):
            _pop_heap(a, first, middle, i, less)


def _sort_heap(a, first, last, less):
    while last - first > 1:
        last -= 1
        _pop_heap(a, first, last, last, less)


def partial_sort(a, first, middle, last, less):
    """std::partial_sort: the smallest middle - first, in order, in front."""
    _heap_select(a, first, middle, last, less)
    _sort_heap(a, first, middle, less)


def _introsort_loop(a, first, last, depth, less):
    while last - first > _THRESHOLD:
        if depth == 0:
            partial_sort(a, first, last, last, less)
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, less)
        _introsort_loop(a, cut, last, depth, less)
        last = cut


def sort(a, less, first=0, last=None):
    """std::sort of a[first:last] in place."""
    last = len(a) if last is None else last
    if last - first < 2:
        return
    _introsort_loop(a, first, last, _lg(last - first) * 2, less)
    if last - first > _THRESHOLD:
        _insertion_sort(a, first, first + _THRESHOLD, less)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(a, i, less)
    else:
        _insertion_sort(a, first, last, less)


def nth_element(a, nth, less):
    """std::nth_element over all of a, in place."""
    first, last = 0, len(a)
    if first == last or nth == last:
        return
    depth = _lg(last - first) * 2
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, less)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, less)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, less)


def quickselect(a, k, greater):
    """PyTorch's quick_select_template (kthvalue): a[k] ends where a sorted
    a would have it. `greater(x, y)`: x sorts after y (NaN last)."""
    lo, hi = 0, len(a) - 1
    while True:
        if hi <= lo:
            return
        if hi == lo + 1:
            if greater(a[lo], a[hi]):
                a[lo], a[hi] = a[hi], a[lo]
            return
        mid = (lo + hi) >> 1
        a[mid], a[lo + 1] = a[lo + 1], a[mid]
        if greater(a[lo + 1], a[hi]):
            a[lo + 1], a[hi] = a[hi], a[lo + 1]
        if greater(a[lo], a[hi]):
            a[lo], a[hi] = a[hi], a[lo]
        if greater(a[lo + 1], a[lo]):
            a[lo + 1], a[lo] = a[lo], a[lo + 1]
        i, j = lo + 1, hi
        pivot = a[lo]
        while True:
            i += 1
            while greater(pivot, a[i]):
                i += 1
            j -= 1
            while greater(a[j], pivot):
                j -= 1
            if j < i:
                break
            a[i], a[j] = a[j], a[i]
        a[lo], a[j] = a[j], a[lo]
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


def _isnan(v):
    return isinstance(v, float) and math.isnan(v)


def ascending_order(x, y):
    """PyTorch's ascending key order: NaN after every number."""
    return (not _isnan(x[0]) and _isnan(y[0])) or x[0] < y[0]


def descending_order(x, y):
    """PyTorch's descending key order: NaN before every number."""
    return (_isnan(x[0]) and not _isnan(y[0])) or x[0] > y[0]


# ---- over numpy rows (the last axis) ----

# Past this many elements in the rows with ties, the ties keep their stable
# order instead (the Python emulation costs about a microsecond per
# comparison); the values are the same either way.
EMULATED_ELEMENT_LIMIT = 1 << 16


def tied_rows(m):
    """Which rows (along the last axis) hold two equal keys (two NaNs count)."""
    if m.shape[-1] < 2:
        return np.zeros(m.shape[:-1], dtype=bool)
    s = np.sort(m, axis=-1)
    equal = s[..., 1:] == s[..., :-1]
    if s.dtype.kind == "f":
        equal |= np.isnan(s[..., 1:]) & np.isnan(s[..., :-1])
    return equal.any(-1)


def _pairs(row):
    return [(v, i) for i, v in enumerate(row.tolist())]


def _emulated_rows(m):
    """(row index, row) of the rows to emulate: those with ties, unless
    there are too many of their elements."""
    flat = m.reshape(-1, m.shape[-1])
    rows = np.nonzero(tied_rows(flat))[0]
    if len(rows) * m.shape[-1] > EMULATED_ELEMENT_LIMIT:
        return []
    return [(r, flat[r]) for r in rows]


def sort_order(m, descending, idx):
    """std::sort's order of each row of m, written into idx (the rows'
    stable order, the same wherever a row has no ties or at most 16
    elements, where std::sort is an insertion sort)."""
    if m.shape[-1] <= _THRESHOLD:
        return idx
    flat_idx = idx.reshape(-1, m.shape[-1])
    less = descending_order if descending else ascending_order
    for r, row in _emulated_rows(m):
        a = _pairs(row)
        sort(a, less)
        flat_idx[r] = [i for _, i in a]
    return flat_idx.reshape(idx.shape)


def topk_order(m, k, largest, idx):
    """The indices PyTorch's topk gives each row of m: std::nth_element,
    then std::sort of the k - 1 in front (std::partial_sort when k * 64 <=
    n). ``idx``: the first k of the rows' stable order, replaced where a row
    has ties."""
    n = m.shape[-1]
    if k == 0:
        return idx
    flat_idx = idx.reshape(-1, k)
    less = descending_order if largest else ascending_order
    for r, row in _emulated_rows(m):
        a = _pairs(row)
        if k * 64 <= n:
            partial_sort(a, 0, k, n, less)
        else:
            nth_element(a, k - 1, less)
            sort(a, less, 0, k - 1)
        flat_idx[r] = [i for _, i in a[:k]]
    return flat_idx.reshape(idx.shape)


def kth_order(m, k, idx):
    """The index PyTorch's kthvalue gives each row of m (its quickselect),
    written into idx (one per row) where a row has ties."""
    flat_idx = idx.reshape(-1)
    for r, row in _emulated_rows(m):
        a = _pairs(row)
        quickselect(a, k, lambda x, y: ascending_order(y, x))
        flat_idx[r] = a[k][1]
    return flat_idx.reshape(idx.shape)


def quantile_order(m, below, above, at_below, at_above):
    """The positions PyTorch's quantile (a scalar q) reads each row of m at:
    std::nth_element at the upper rank over the row, then at the lower rank
    over the part in front of it. ``below``/``above``: the ranks per row;
    ``at_below``/``at_above``: the rows' stable-order positions at those
    ranks, replaced where a row has ties."""
    flat_lo, flat_hi = below.reshape(-1), above.reshape(-1)
    out_lo, out_hi = at_below.reshape(-1), at_above.reshape(-1)
    for r, row in _emulated_rows(m):
        lo, hi = int(flat_lo[r]), int(flat_hi[r])
        a = _pairs(row)
        nth_element(a, hi, ascending_order)
        if lo < hi:
            front = a[:hi]
            nth_element(front, lo, ascending_order)
            a[:hi] = front
        out_lo[r], out_hi[r] = a[lo][1], a[hi][1]
    return out_lo.reshape(at_below.shape), out_hi.reshape(at_above.shape)
