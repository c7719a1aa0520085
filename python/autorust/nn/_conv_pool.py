"""Convolution, pooling, unfold/fold and padding for ``nn.functional``.
``conv2d``, ``max_pool2d`` and ``avg_pool2d`` are native kernels (forward
and backward); ``F.unfold``/``F.fold`` are the native im2col/col2im pair,
whose rules are each other's adjoints."""

import numpy as np

from .. import _native
from .._composite import composite
from .._dtype import int64


def _pair(v, name="kernel_size"):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]), int(v[0]))
        if len(v) != 2:
            raise RuntimeError(f"{name} must be an int or a pair of ints, got {v}")
        return (int(v[0]), int(v[1]))
    return (int(v), int(v))


def _batched(input, fn, expected=4):
    """Runs ``fn`` on a 4-D view of a 3-D (unbatched) or 4-D input."""
    if input.dim() == expected - 1:
        return fn(input.unsqueeze(0)).squeeze(0)
    if input.dim() != expected:
        raise RuntimeError(
            f"{fn.__name__}: Expected {expected - 1}D (unbatched) or {expected}D (batched) input, but got input of size: {list(input.shape)}"
        )
    return fn(input)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    def im2col(x):
        return _native.im2col(x, _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride))

    return _batched(input, im2col)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    def col2im(x):
        return _native.col2im(x, _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride))

    return _batched(input, col2im, expected=3)


def _same_padding(weight, dilation):
    pads = []
    for k, d in zip(weight.shape[2:], dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return pads


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if weight.dim() != 4:
        raise RuntimeError(f"weight should have at least three dimensions, got {weight.dim()}D weight of size {list(weight.shape)}")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            (top, bottom), (left, right) = _same_padding(weight, dilation)
            if top != bottom or left != right:
                input = pad(input, (left, right, top, bottom))
                padding = (0, 0)
            else:
                padding = (top, left)
        else:
            raise RuntimeError(f"Invalid padding string '{padding}'")
    padding = _pair(padding, "padding")

    def conv(x):
        n, c, h, w = x.shape
        o, cg, kh, kw = weight.shape
        if groups <= 0 or o % groups:
            raise RuntimeError("non-positive groups is not supported" if groups <= 0 else "out_channels must be divisible by groups")
        if c != cg * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
                f"{cg * groups} channels, but got {c} channels instead"
            )
        if x.dtype != weight.dtype:
            raise RuntimeError(f"Input type ({_tensor_type(x)}) and weight type ({_tensor_type(weight)}) should be the same")
        return _native.conv2d(x, weight, bias, stride, padding, dilation, groups)

    return _batched(input, conv)


def _tensor_type(t):
    return {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "int64": "torch.LongTensor", "bool": "torch.BoolTensor"}[t.dtype._name]


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride, "stride")

    def pool(x):
        out, idx = _native.max_pool2d(x, k, s, _pair(padding, "padding"), _pair(dilation, "dilation"), bool(ceil_mode))
        return (out, idx) if return_indices else out

    if input.dim() == 3:
        # one node over the 3-d input, as PyTorch's kernel takes it
        indices = []

        def unbatched(x):
            out, idx = _native.max_pool2d(x.unsqueeze(0), k, s, _pair(padding, "padding"), _pair(dilation, "dilation"), bool(ceil_mode))
            indices.append(idx.squeeze(0))
            return out.squeeze(0)

        out = composite("MaxPool2DWithIndicesBackward0", unbatched, input, link=("MaxPool2DWithIndicesBackwardBackward0", (0,)))
        return (out, indices[0]) if return_indices else out
    if input.dim() != 4:
        raise RuntimeError(f"max_pool2d: Expected 3D or 4D (batch mode) tensor for input, but got: {list(input.shape)}")
    return pool(input)


def max_pool2d_with_indices(*args, **kwargs):
    kwargs["return_indices"] = True
    return max_pool2d(*args, **kwargs)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride, "stride")
    p = _pair(padding, "padding")
    override = None if divisor_override is None else int(divisor_override)

    def pool(x):
        return _native.avg_pool2d(x, k, s, p, bool(ceil_mode), bool(count_include_pad), override)

    if input.dim() < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(input.dim(), 1)}, {max(input.dim(), 1) - 1}], but got -3)")
    if input.dim() > 4 or 0 in input.shape[-3:]:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:{list(input.shape)}")
    return pool(input)  # 3-D too: one AvgPool2DBackward0 node, as in PyTorch


def _adaptive_output_hw(output_size, h, w):
    """``output_size`` (an int, or a pair whose None entries keep the
    input's size) as (oh, ow) for an ``h`` x ``w`` input."""
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    return oh or h, ow or w


def adaptive_avg_pool2d(input, output_size):
    if output_size in (1, (1, 1), [1, 1]) and input.dim() in (3, 4):
        # global pooling (ResNet's head) is a mean in PyTorch too: its node
        # is MeanBackward1, not an adaptive-pool node
        return input.mean((-2, -1), keepdim=True)

    if input.dim() in (3, 4) and 0 not in input.shape[-3:]:
        h, w = input.shape[-2], input.shape[-1]
        oh, ow = _adaptive_output_hw(output_size, h, w)
        if oh > 0 and ow > 0 and h % oh == 0 and w % ow == 0:
            # windows that tile the input: the native average pooling, its
            # nodes named AdaptiveAvgPool2DBackward0 (and ...BackwardBackward0)
            return _native.adaptive_avg_pool2d_even(input, (oh, ow))

    def pool(x):
        h, w = x.shape[2], x.shape[3]
        oh, ow = _adaptive_output_hw(output_size, h, w)
        rows = []
        for i in range(oh):
            h0, h1 = (i * h) // oh, -((-(i + 1) * h) // oh)
            cols = [x[:, :, h0:h1, (j * w) // ow : -((-(j + 1) * w) // ow)].mean((2, 3)) for j in range(ow)]
            rows.append(_native.stack(cols, -1))
        return _native.stack(rows, -2)

    # (PyTorch's backward kernel reads the input: under create_graph the
    # gradient is its AdaptiveAvgPool2DBackwardBackward0 node over it)
    return _batched(input, lambda x: composite("AdaptiveAvgPool2DBackward0", pool, x, link=("AdaptiveAvgPool2DBackwardBackward0", (0,))))


def _pad_indices(shape, d, left, right, mode):
    """The source index of each output position along dim ``d`` of an input
    of ``shape``."""
    n = shape[d]
    i = np.arange(-left, n + right)
    if mode == "reflect":
        if left >= n or right >= n:
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, but got: padding ({left}, {right}) at dimension {d} of input {list(shape)}"
            )
        period = 2 * (n - 1) if n > 1 else 1
        i = np.abs(i) % period
        i = np.where(i >= n, period - i, i)
    elif mode == "replicate":
        i = np.clip(i, 0, n - 1)
    elif mode == "circular":
        if left > n or right > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        i = i % n
    return i


def _pad_constant(input, pairs, value):
    from .._creation import full

    out_shape = list(input.shape)
    src = input
    slices = [slice(None)] * input.dim()
    for j, (left, right) in enumerate(pairs):
        d = input.dim() - 1 - j
        size = input.shape[d]
        new = size + left + right
        if new < 0:
            raise RuntimeError(
                f"The input size {size}, plus negative padding {left} and {right} resulted in a negative output size, which is invalid. Check dimension {d} of your input."
            )
        out_shape[d] = new
        # negative padding crops the input
        src = src.narrow(d, max(-left, 0), max(0, size - max(-left, 0) - max(-right, 0)))
        slices[d] = slice(max(left, 0), max(left, 0) + src.shape[d])
    fill = 0.0 if value is None else value
    if input.is_cuda:
        # the GPU has no scatter kernel for the recorded slice assignment
        # yet: the fill blocks are concatenated around the input instead
        from .._functions import cat

        out = src
        for d, sl in enumerate(slices):
            if sl == slice(None):
                continue
            left, right = sl.start, out_shape[d] - sl.stop
            blocks = []
            for width in (left, right):
                shape = list(out.shape)
                shape[d] = width
                blocks.append(full(shape, fill, dtype=input.dtype, device=input.device))
            out = cat([blocks[0], out, blocks[1]], d)
    else:
        out = full(out_shape, fill, dtype=input.dtype, device=input.device)
        out[tuple(slices)] = src
    return out


def pad(input, pad, mode="constant", value=None):
    from .._creation import tensor

    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but got padding length {len(pad)} and input of dimension {input.dim()}"
        )
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]  # last dim first
    if mode == "constant":
        return composite("ConstantPadNdBackward0", lambda x: _pad_constant(x, pairs, value), input)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")

    def gather(x):
        out = x
        for j, (left, right) in enumerate(pairs):
            d = x.dim() - 1 - j
            idx = _pad_indices(tuple(x.shape), d, left, right, mode)
            out = out.index_select(d, tensor(idx, dtype=int64, device=x.device))
        return out

    names = {"reflect": "ReflectionPad", "replicate": "ReplicationPad"}
    if mode in names:
        name = f"{names[mode]}{len(pairs)}DBackward"
        return composite(f"{name}0", gather, input, link=(f"{name}Backward0", (0,)))
    # PyTorch writes the wrapped slices into a new tensor: its last node is CopySlices
    return composite("CopySlices", gather, input)


def _conv_rank(input, dims, name):
    """PyTorch's check of a convolution's input rank (unbatched or batched)."""
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got input of size: {list(input.shape)}")
    return input.dim() == dims + 1


def _convolution(fn, x, weight, bias):
    """``fn(x, weight, bias)`` as PyTorch's one ConvolutionBackward0 node."""
    return composite("ConvolutionBackward0", fn, x, weight, bias)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d: each input pixel scatters weight-scaled taps,
    summed by fold (col2im). weight: [C_in, C_out / groups, kh, kw]."""
    unbatched = _conv_rank(input, 2, "conv_transpose2d")
    x = input.unsqueeze(0) if unbatched else input
    out = _convolution(lambda x, weight, bias: _conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation), x, weight, bias)
    return out.squeeze(0) if unbatched else out


def _conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation):
    n, cin, h, w = x.shape
    _, cout_g, kh, kw = weight.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = _pair(stride), _pair(padding), _pair(output_padding), _pair(dilation)
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    cin_g = cin // groups
    cols = []
    for g in range(groups):
        xg = x[:, g * cin_g : (g + 1) * cin_g].reshape(n, cin_g, h * w)  # [n, cin_g, L]
        wg = weight[g * cin_g : (g + 1) * cin_g].reshape(cin_g, cout_g * kh * kw)  # [cin_g, cout_g*k]
        cols.append(wg.t() @ xg)  # [n, cout_g*k, L]
    col = _native.cat(cols, 1) if groups > 1 else cols[0]
    out = fold(col, (oh, ow), (kh, kw), dilation=(dh, dw), padding=(ph, pw), stride=(sh, sw))
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out
