"""3-d convolution and pooling ([N, C, D, H, W]) written over the 2-d
kernels: each kernel depth tap is a 2-d operation on the depth slices it
reads (stacked into the batch), so the planes run on the native conv2d and
pool2d kernels, on every device, and the whole is one node with PyTorch's
name. The sums over the depth taps add in another order than a direct 3-d
kernel: values agree to rounding."""

import math
import numbers

from .. import _native
from .._composite import composite
from .._grad_mode import no_grad
from ._conv_pool import avg_pool2d, conv2d, conv_transpose2d, max_pool2d, pad
from ._pool_extra import _max_unpool, _signed_root, _unpool_output_size


def _triple(v, name):
    if isinstance(v, numbers.Integral):
        return (int(v),) * 3
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * 3
    if len(v) != 3:
        raise RuntimeError(f"{name} must be an int or a triple of ints, got {v}")
    return v


def _check_5d(input, op):
    if input.dim() not in (4, 5):
        raise RuntimeError(f"{op}: Expected 4D (unbatched) or 5D (batched) input, but got input of size: {list(input.shape)}")


def _unbatched(fn):
    """Runs ``fn`` on a batch of one for a 4-D (unbatched) input."""

    def run(input, *args, **kwargs):
        if input.dim() == 4:
            return fn(input.unsqueeze(0), *args, **kwargs).squeeze(0)
        return fn(input, *args, **kwargs)

    return run


def _depth_taps(x, k, stride, dilation, out_depth):
    """For each depth tap j: the depth slices it reads, [N * D_out, C, H, W]."""
    n, c = x.shape[0], x.shape[1]
    for j in range(k):
        start = j * dilation
        taps = x.narrow(2, start, stride * (out_depth - 1) + 1)[:, :, ::stride] if out_depth else x.narrow(2, 0, 0)
        yield taps.transpose(1, 2).reshape(n * out_depth, c, x.shape[3], x.shape[4])


def _from_planes(y, n, out_depth):
    """[N * D_out, C, H, W] back to [N, C, D_out, H, W]."""
    return y.reshape(n, out_depth, *y.shape[1:]).transpose(1, 2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    _check_5d(input, "conv3d")
    if weight.dim() != 5:
        raise RuntimeError(
            f"Expected 5-dimensional weight for 5-dimensional input {list(input.shape)}, but got {weight.dim()}-dimensional weight of size {list(weight.shape)} instead"
        )
    stride, dilation = _triple(stride, "stride"), _triple(dilation, "dilation")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of ['valid', 'same']")
        if padding == "same" and stride != (1, 1, 1):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        pads = ()
        for k, d in reversed(list(zip(weight.shape[2:], dilation))):
            total = d * (k - 1) if padding == "same" else 0
            pads += (total // 2, total - total // 2)
        return conv3d(pad(input, pads), weight, bias, stride, 0, dilation, groups)
    padding = _triple(padding, "padding")
    if input.dim() == 4:  # unbatched: PyTorch convolves a batch of one and squeezes it
        return conv3d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    # (bias None is an input too: PyTorch's node shows it as a None edge)
    return composite("ConvolutionBackward0", lambda x, w, b: _conv3d(x, w, b, stride, padding, dilation, groups), input, weight, bias)


def _conv3d(x, w, b, stride, padding, dilation, groups):
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} to have {w.shape[1] * groups} channels, but got {x.shape[1]} channels instead"
        )
    k = w.shape[2]
    x = pad(x, (0, 0, 0, 0, padding[0], padding[0]))
    out_depth = (x.shape[2] - dilation[0] * (k - 1) - 1) // stride[0] + 1
    if out_depth <= 0:
        raise RuntimeError(f"Calculated output size is too small for input of size {list(x.shape)}")
    n = x.shape[0]
    out = None
    for j, planes in enumerate(_depth_taps(x, k, stride[0], dilation[0], out_depth)):
        y = conv2d(planes, w[:, :, j], None, stride[1:], padding[1:], dilation[1:], groups)
        out = y if out is None else out + y
    out = _from_planes(out, n, out_depth)
    return out if b is None else out + b.reshape(1, -1, 1, 1, 1)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    if input.dim() not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv_transpose3d, but got input of size: {list(input.shape)}")
    if weight.dim() != 5:
        raise RuntimeError(
            f"expected stride to be a single integer value or a list of {weight.dim() - 2} values to match the convolution dimensions, but got stride={list(_triple(stride, 'stride'))}"
        )
    s, p = _triple(stride, "stride"), _triple(padding, "padding")
    op, d = _triple(output_padding, "output_padding"), _triple(dilation, "dilation")
    if any(o >= si and o >= di for o, si, di in zip(op, s, d)):
        names = ("depth", "height", "width")
        told = " ".join(f"{what}_{n}: {v}" for what, vals in (("output_padding", op), ("stride", s), ("dilation", d)) for n, v in zip(names, vals))
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {told}")
    if input.dim() == 4:  # unbatched: a batch of one, squeezed again
        return conv_transpose3d(input.unsqueeze(0), weight, bias, s, p, op, groups, d).squeeze(0)
    if input.shape[1] != weight.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(input.shape)} to have {weight.shape[0]} channels, but got {input.shape[1]} channels instead"
        )
    return composite("ConvolutionBackward0", lambda x, w, b: _conv_transpose3d(x, w, b, s, p, op, groups, d), input, weight, bias)


def _conv_transpose3d(x, w, b, s, p, op, groups, d):
    """Each input depth slice through the 2-d transposed convolution of each
    kernel depth tap j, added at output depth i * stride + j * dilation
    (one index_add for all taps), then cropped by the depth padding."""
    from .._creation import arange

    n, depth, k = x.shape[0], x.shape[2], w.shape[2]
    planes = x.transpose(1, 2).reshape(n * depth, x.shape[1], x.shape[3], x.shape[4])
    taps = [conv_transpose2d(planes, w[:, :, j], None, s[1:], p[1:], op[1:], groups, d[1:]) for j in range(k)]
    cout, h, wd = taps[0].shape[1:]
    slices = _native.cat([t.reshape(n, depth, cout, h, wd) for t in taps], 1)
    index = _native.cat([arange(depth, device=x.device) * s[0] + j * d[0] for j in range(k)], 0)
    full = (depth - 1) * s[0] + d[0] * (k - 1) + 1
    out_depth = full - 2 * p[0] + op[0]
    if out_depth <= 0:
        raise RuntimeError(
            f"Given input size per channel: ({depth} x {x.shape[3]} x {x.shape[4]}). Calculated output size per channel: ({out_depth} x {h} x {wd}). Output size is too small"
        )
    placed = x.new_zeros(n, full + op[0], cout, h, wd).index_add(1, index, slices)
    out = placed.narrow(1, p[0], out_depth).transpose(1, 2)
    return out if b is None else out + b.reshape(1, -1, 1, 1, 1)


def _pooled_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size (a ceil-mode window must start inside
    the input or its left padding)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    _check_5d(input, "max_pool3d")
    k = _triple(kernel_size, "kernel_size")
    s = _triple(stride if stride is not None and stride != [] else k, "stride")
    p, d = _triple(padding, "padding"), _triple(dilation, "dilation")
    if any(2 * pi > ki for pi, ki in zip(p, k)):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[0]}, kernel_size={k[0]} and dilation={d[0]}")
    batched = input.dim() == 5
    index = _max_pool3d_index(input if batched else input.unsqueeze(0), k, s, p, d, ceil_mode)
    if not batched:
        index = index.squeeze(0)
    flat = index.flatten(-3)
    out = composite(
        "MaxPool3DWithIndicesBackward0",
        lambda t: t.flatten(-3).gather(-1, flat).reshape(index.shape),
        input,
        link=("MaxPool3DWithIndicesBackwardBackward0", (0,)),
    )
    return (out, index) if return_indices else out


def max_pool3d_with_indices(*args, **kwargs):
    kwargs["return_indices"] = True
    return max_pool3d(*args, **kwargs)


def _max_pool3d_index(x, k, s, p, d, ceil_mode):
    """Each window's pick as a flat index into its [D, H, W] volume: the 2-d
    pools of each depth tap give the picks within the planes, and the
    first tap holding the largest of them (the first maximum in PyTorch's
    d, h, w scan) gives the depth."""
    from .._creation import arange

    depth, plane = x.shape[2], x.shape[3] * x.shape[4]
    out_depth = _pooled_size(depth, k[0], s[0], p[0], d[0], ceil_mode)
    # -inf around the depth: enough for every window ceil_mode admits
    right = max(0, (out_depth - 1) * s[0] + d[0] * (k[0] - 1) + 1 - depth - p[0])
    with no_grad():
        padded = pad(x, (0, 0, 0, 0, p[0], right), value=-math.inf)
        n, c = x.shape[0], x.shape[1]
        pools = [max_pool2d(t, k[1:], s[1:], p[1:], d[1:], ceil_mode, return_indices=True) for t in _depth_taps(padded, k[0], s[0], d[0], out_depth)]
        tap = _native.stack([v for v, _ in pools], 0).max(0).indices
        in_plane = _native.stack([i for _, i in pools], 0).gather(0, tap.unsqueeze(0)).squeeze(0)
        # the tap's depth in the unpadded input, per output depth
        starts = (arange(out_depth, device=x.device) * s[0] - p[0]).repeat(n).reshape(-1, 1, 1, 1)
        index = (starts + tap * d[0]) * plane + in_plane
    return _from_planes(index, n, out_depth).reshape(n, c, out_depth, index.shape[-2], index.shape[-1])


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p), as avg_pool3d(x^p) * window size."""
    kd, kh, kw = _triple(kernel_size, "kernel_size")
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride if stride is not None else kernel_size, 0, ceil_mode)
    return _signed_root(out, kd * kh * kw, norm_type)


def _window_counts(size, k, s, p, out, count_include_pad):
    """Per output index along one dim: the window's length as PyTorch's
    avg_pool divides by it (clipped to the padded input, and to the input
    itself without count_include_pad)."""
    counts = []
    for o in range(out):
        start = o * s - p
        end = min(start + k, size + p)
        length = end - start
        if not count_include_pad:
            length = min(end, size) - max(start, 0)
        counts.append(length)
    return counts


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    _check_5d(input, "avg_pool3d")
    k = _triple(kernel_size, "kernel_size")
    s = _triple(stride if stride is not None and stride != [] else k, "stride")
    p = _triple(padding, "padding")
    if any(2 * pi > ki for pi, ki in zip(p, k)):
        raise RuntimeError(f"pad should be at most half of kernel size, but got pad={p[0]} and kernel_size={k[0]}")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    run = lambda x: _avg_pool3d(x, k, s, p, ceil_mode, count_include_pad, divisor_override)  # noqa: E731
    return composite("AvgPool3DBackward0", _unbatched(run), input)


def _avg_pool3d(x, k, s, p, ceil_mode, count_include_pad, divisor_override):
    from .._creation import tensor

    sizes = x.shape[2:]
    outs = [_pooled_size(sizes[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(3)]
    right = max(0, (outs[0] - 1) * s[0] + k[0] - sizes[0] - p[0])
    x = pad(x, (0, 0, 0, 0, p[0], right))
    n, c = x.shape[0], x.shape[1]
    total = None
    for t in _depth_taps(x, k[0], s[0], 1, outs[0]):
        # window sums over (h, w): the 2-d pool with divisor 1
        y = avg_pool2d(t, k[1:], s[1:], p[1:], ceil_mode, True, 1)
        total = y if total is None else total + y
    total = _from_planes(total, n, outs[0]).reshape(n, c, *outs)
    if divisor_override is not None:
        return total / divisor_override
    counts = [_window_counts(sizes[i], k[i], s[i], p[i], outs[i], count_include_pad) for i in range(3)]
    divisor = (
        tensor(counts[0], dtype=x.dtype, device=x.device).reshape(-1, 1, 1)
        * tensor(counts[1], dtype=x.dtype, device=x.device).reshape(1, -1, 1)
        * tensor(counts[2], dtype=x.dtype, device=x.device).reshape(1, 1, -1)
    )
    return total / divisor


def adaptive_avg_pool3d(input, output_size):
    _check_5d(input, "adaptive_avg_pool3d")
    sizes = input.shape[-3:]
    out = (
        _triple(output_size, "output_size")
        if not isinstance(output_size, (tuple, list)) or None not in output_size
        else tuple(sizes[i] if o is None else o for i, o in enumerate(output_size))
    )
    return composite("AdaptiveAvgPool3DBackward0", _unbatched(lambda x: _adaptive_avg_pool3d(x, out)), input)


def _adaptive_avg_pool3d(x, out):
    """Each window [floor(i * n / o), ceil((i + 1) * n / o)) averaged, one dim
    at a time (a box average is the product of the per-dim averages)."""
    from .._creation import tensor

    for axis, o in zip((2, 3, 4), out):
        n = x.shape[axis]
        rows = []
        for i in range(o):
            start, end = (i * n) // o, -((-(i + 1) * n) // o)
            rows.append([1.0 / (end - start) if start <= j < end else 0.0 for j in range(n)])
        averaging = tensor(rows, dtype=x.dtype, device=x.device)  # [o, n]
        x = (x.movedim(axis, -1) @ averaging.t()).movedim(-1, axis)
    return x


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    kernel_size = _triple(kernel_size, "kernel_size")
    stride = kernel_size if stride is None else _triple(stride, "stride")
    padding = _triple(padding, "padding")
    return _max_unpool(input, indices, _unpool_output_size(input, kernel_size, stride, padding, output_size))
