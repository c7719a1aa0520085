"""1-d convolution and pooling through the 2-d kernels (a unit height
added and taken off again), as PyTorch's own 1-d ops do."""

from ._adaptive_max import adaptive_max_pool2d
from ._conv_pool import _conv_rank, _conv_transpose2d, _convolution, adaptive_avg_pool2d, avg_pool2d, conv2d, max_pool2d


def _single(v):
    return v[0] if isinstance(v, (tuple, list)) else v


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    unbatched = _conv_rank(input, 1, "conv1d")
    x = input.unsqueeze(0) if unbatched else input
    pad = padding if isinstance(padding, str) else (0, _single(padding))

    def conv(x, weight, bias):
        return conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, _single(stride)), pad, (1, _single(dilation)), groups).squeeze(2)

    out = _convolution(conv, x, weight, bias)
    return out.squeeze(0) if unbatched else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k = _single(kernel_size)
    s = k if stride is None or stride == [] else _single(stride)
    out = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _single(padding)), (1, _single(dilation)), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    k = _single(kernel_size)
    s = k if stride is None or stride == [] else _single(stride)
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _single(padding)), ceil_mode, count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input, output_size):
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, _single(output_size))).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, _single(output_size)), return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """conv_transpose2d over [N, C, 1, L]; weight [C_in, C_out / groups, k]."""
    unbatched = _conv_rank(input, 1, "conv_transpose1d")
    x = input.unsqueeze(0) if unbatched else input

    def conv(x, weight, bias):
        args = (1, _single(stride)), (0, _single(padding)), (0, _single(output_padding)), groups, (1, _single(dilation))
        return _conv_transpose2d(x.unsqueeze(-2), weight.unsqueeze(-2), bias, *args).squeeze(-2)

    out = _convolution(conv, x, weight, bias)
    return out.squeeze(0) if unbatched else out
