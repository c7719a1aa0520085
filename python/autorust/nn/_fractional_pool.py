"""Fractional max pooling (``fractional_max_pool2d``/``3d``, Graham 2014):
windows of a fixed size whose starts follow a pseudo-random sequence.

The starts are PyTorch's: per plane and dim, with u the plane's random
sample for that dim (from ``torch.rand`` when not given) and
alpha = (input - pool) / (output - 1) in the input's dtype, start i is
int((i + u) * alpha) - int(u * alpha), the last start input - pool. The 2-d
kernel reads its samples as (w, h), the 3-d one as (t, h, w). Each window's
pick (the first maximum in scan order; any NaN replaces it) is found on the
host, and the values are gathered at it in one node, so the gradient goes
to that element alone, as PyTorch's."""

import itertools
import numbers

import numpy as np

from .._composite import composite
from .._dtype import float32, float64, int64, scalar_name
from ._adaptive_max import scan_pick

_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _tuple(v, dims):
    return (v,) * dims if isinstance(v, numbers.Number) else tuple(v)


def _starts(sample, size, out, pool, dtype):
    """Window starts along one dim, [planes, out], as PyTorch's intervals."""
    seq = np.empty((sample.shape[0], out), dtype=np.int64)
    if out > 1:
        alpha = dtype.type(size - pool) / dtype.type(out - 1)
        for i in range(out - 1):
            seq[:, i] = ((dtype.type(i) + sample) * alpha).astype(np.int64) - (sample * alpha).astype(np.int64)
    seq[:, out - 1] = size - pool
    return seq


def _pick_index(values, sizes, outs, pools, samples, sample_order):
    """[planes, *outs] flat indices of each window's pick in its plane."""
    planes = values.shape[0]
    starts = [_starts(samples[:, k], n, o, p, values.dtype) for k, n, o, p in zip(sample_order, sizes, outs, pools)]
    strides = [int(np.prod(sizes[k + 1 :])) for k in range(len(sizes))]
    rows = np.arange(planes)
    index = np.zeros((planes,) + outs, dtype=np.int64)
    offsets = list(itertools.product(*(range(p) for p in pools)))
    for cell in itertools.product(*(range(o) for o in outs)):
        base = [s[:, i] for s, i in zip(starts, cell)]
        flat = np.stack([sum((b + d) * st for b, d, st in zip(base, off, strides)) for off in offsets], 1)
        window = values.reshape(planes, -1)[rows[:, None], flat]
        pick = scan_pick(window)
        index[(slice(None),) + cell] = flat[rows, pick]
    return index


def fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, dims):
    from .._creation import rand, tensor

    name = f"fractional_max_pool{dims}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = _tuple(output_ratio, dims)
        output_size = [int(input.shape[-dims + k] * ratio[k]) for k in range(dims)]
    outs, pools = _tuple(output_size, dims), _tuple(kernel_size, dims)
    if input.dim() not in (dims + 1, dims + 2) or input.numel() == 0:
        raise RuntimeError(f"non-empty {dims + 1}D or {dims + 2}D (batch mode) tensor expected for input, but got: {input.dim()}")
    if input.dtype not in (float32, float64):
        raise NotImplementedError(f"\"{name}_out_frame\" not implemented for '{scalar_name(input.dtype)}'")
    batched = input.dim() == dims + 2
    batch, channels = (input.shape[0] if batched else 1), input.shape[-dims - 1]
    sizes = tuple(input.shape[-dims:])
    for what, n, o, p in zip(_DIM_NAMES[dims], sizes, outs, pools):
        if o + p - 1 > n:
            where = f"{name}()" if dims == 2 else f"{name}_out()"
            raise RuntimeError(f"{where}: pool {what} {p} too large relative to input {what} {n}")
    if _random_samples is None:
        _random_samples = rand(batch, channels, dims, dtype=input.dtype, device=input.device)
    samples = _random_samples.detach().cpu().numpy()
    if samples.ndim != 3 or samples.shape[0] < batch or samples.shape[1] != channels or samples.shape[2] != dims:
        raise RuntimeError(f"Expect _random_samples of shape [{batch}, {channels}, {dims}] (batch, channels, {dims}), got {list(samples.shape)}")
    values = input.detach().cpu().numpy().reshape((-1,) + sizes)
    order = (1, 0) if dims == 2 else (0, 1, 2)  # which sample each dim reads
    index = _pick_index(values, sizes, outs, pools, samples[:batch].reshape(-1, dims).astype(values.dtype), order)
    lead = tuple(input.shape[:-dims])
    flat_index = tensor(index.reshape(lead + (-1,)), dtype=int64, device=input.device)
    shape = lead + outs
    out = composite(
        f"FractionalMaxPool{dims}DBackward0",
        lambda x: x.flatten(-dims).gather(-1, flat_index).reshape(shape),
        input,
        link=(f"FractionalMaxPool{dims}DBackwardBackward0", (0,)),
    )
    return (out, flat_index.reshape(shape)) if return_indices else out


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
    return fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 2)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
    return fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 3)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
    """(values, indices) whatever ``return_indices`` says, as PyTorch's."""
    return fractional_max_pool(input, kernel_size, output_size, output_ratio, True, _random_samples, 2)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
    """(values, indices) whatever ``return_indices`` says, as PyTorch's."""
    return fractional_max_pool(input, kernel_size, output_size, output_ratio, True, _random_samples, 3)
