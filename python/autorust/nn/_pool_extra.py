"""Power-average pooling (``lp_pool1d``/``lp_pool2d``) and the partial
inverse of max pooling (``max_unpool1d``/``2d``/``3d``), composed as
PyTorch composes them (lp) or in one node (unpool)."""

import math

from .._composite import composite
from ._activations import relu
from ._conv_pool import _pair, avg_pool2d, pad
from ._conv_pool_1d import _single, avg_pool1d


def _signed_root(out, count, norm_type):

    return (out.sign() * relu(out.abs())).mul(count).pow(1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p), as avg_pool2d(x^p) * window size."""
    kw, kh = _pair(kernel_size)
    if stride is not None:
        out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool2d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _signed_root(out, kw * kh, norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):

    if stride is not None:
        out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _signed_root(out, _single(kernel_size), norm_type)


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    dims = len(kernel_size)
    default = [(input.shape[-dims + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(dims)]
    if output_size is None:
        return default
    given, output_size = output_size, list(output_size)
    if len(output_size) == dims + 2:
        output_size = output_size[2:]
    if len(output_size) != dims:
        raise ValueError(f"output_size should be a sequence containing {dims} or {dims + 2} elements, but it has a length of '{len(output_size)}'")
    for d in range(dims):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < output_size[d] < high:
            raise ValueError(f'invalid output_size "{given}" (dim {d} must be between {low} and {high})')
    return output_size


def _max_unpool(input, indices, out_sizes):
    """Each value written at its flat index in its output volume (zeros
    elsewhere; a later duplicate index wins), over the last len(out_sizes)
    dims."""
    dims = len(out_sizes)
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    batched = input.dim() == dims + 2
    x = input if batched else input.unsqueeze(0)
    idx = indices if batched else indices.unsqueeze(0)
    n, c = x.shape[0], x.shape[1]
    volume = math.prod(out_sizes)
    flat_idx = idx.reshape(n, c, -1)
    if flat_idx.numel() and (int(flat_idx.min()) < 0 or int(flat_idx.max()) >= volume):
        values = flat_idx.reshape(-1).tolist()
        # PyTorch's kernel scans every index and reports the last bad one
        bad = [v for v in values if not 0 <= v < volume][-1]
        sizes = "x".join(str(v) for v in out_sizes)
        close = ")" if dims == 3 else ""  # (PyTorch's 1-d and 2-d messages leave it open)
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {sizes}{close}")

    def unpool(t):
        out = t.new_zeros(n, c, volume).scatter(2, flat_idx, t.reshape(n, c, -1)).reshape(n, c, *out_sizes)
        return out if batched else out.squeeze(0)

    return composite(f"MaxUnpool{dims}DBackward0", unpool, input)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    kernel_size = _pair(kernel_size)
    stride = kernel_size if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    return _max_unpool(input, indices, _unpool_output_size(input, kernel_size, stride, padding, output_size))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    kernel_size = (_single(kernel_size),)
    stride = kernel_size if stride is None else (_single(stride),)
    padding = (_single(padding),)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), (size[0], 1)).squeeze(-1)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta
    (PyTorch's composition: the channel window is an average pool)."""

    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.shape
        div = div.reshape(sizes[0], 1, sizes[1], -1)
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1).reshape(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div
