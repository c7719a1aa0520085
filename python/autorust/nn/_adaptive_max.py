"""Adaptive max pooling over the last 2 or 3 dims (``adaptive_max_pool2d``,
``adaptive_max_pool3d``; 1-d goes through 2-d, as in PyTorch). Output cell
i of a dim of size n covers PyTorch's window [floor(i * n / o),
ceil((i + 1) * n / o)). The argmax is found on the host, in PyTorch's scan
(the first maximum in row-major window order; any NaN replaces the current
pick, so the last NaN wins), and the values are gathered at it in one node,
so the gradient goes to that element alone, as PyTorch's."""

import itertools
import numbers

import numpy as np

from .._composite import composite
from .._dtype import int64


def _output_sizes(output_size, sizes):
    dims = len(sizes)
    out = (output_size,) * dims if isinstance(output_size, numbers.Integral) else tuple(output_size)
    if len(out) != dims:
        raise RuntimeError(f"adaptive_max_pool{dims}d(): internal error: output_size.size() must be {dims}")
    return tuple(int(o) if o is not None else n for o, n in zip(out, sizes))


def _window(i, n, o):
    return (i * n) // o, -(-((i + 1) * n) // o)


def scan_pick(window):
    """Per row of ``window`` ([rows, k]), the position PyTorch's max-pooling
    scan keeps: the first maximum, or the last NaN where there is one (a
    NaN replaces the current pick whenever it is met)."""
    nan = np.isnan(window)
    return np.where(nan.any(1), window.shape[1] - 1 - np.argmax(nan[:, ::-1], 1), np.argmax(window, 1))


def _argmax_index(values, sizes, outs):
    """[rows, *outs] flat indices (into the [rows, prod(sizes)] input) of
    each window's pick."""
    rows = values.shape[0]
    index = np.zeros((rows,) + outs, dtype=np.int64)
    strides = [int(np.prod(sizes[k + 1 :])) for k in range(len(sizes))]
    for cell in itertools.product(*(range(o) for o in outs)):
        bounds = [_window(i, n, o) for i, n, o in zip(cell, sizes, outs)]
        window = values[(slice(None),) + tuple(slice(a, b) for a, b in bounds)].reshape(rows, -1)
        pick = scan_pick(window)
        coords = np.unravel_index(pick, tuple(b - a for a, b in bounds))
        flat = sum((a + c) * st for (a, _), c, st in zip(bounds, coords, strides))
        index[(slice(None),) + cell] = flat
    return index


def adaptive_max_pool(input, output_size, return_indices, dims):
    from .._creation import tensor

    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"adaptive_max_pool{dims}d(): Expected {dims + 1}D or {dims + 2}D tensor, but got: {list(input.shape)}")
    sizes = tuple(input.shape[-dims:])
    outs = _output_sizes(output_size, sizes)
    lead = tuple(input.shape[:-dims])
    values = input.detach().cpu().numpy().reshape((-1,) + sizes)
    index = _argmax_index(values, sizes, outs)
    flat_index = tensor(index.reshape(lead + (-1,)), dtype=int64, device=input.device)
    shape = lead + outs
    name = f"AdaptiveMaxPool{dims}DBackward0"
    out = composite(
        name, lambda x: x.flatten(-dims).gather(-1, flat_index).reshape(shape), input, link=(name.replace("Backward0", "BackwardBackward0"), (0,))
    )
    return (out, flat_index.reshape(shape)) if return_indices else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return adaptive_max_pool(input, output_size, return_indices, 2)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return adaptive_max_pool(input, output_size, return_indices, 3)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool(input, output_size, True, 2)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool(input, output_size, True, 3)
