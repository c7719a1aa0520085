"""``autorust.nn.functional``: stateless activations and losses, composed
from native primitives in their numerically stable forms. Where PyTorch has
a fused op, the result's grad_fn carries the fused op's name."""

import math

from .. import _native
from .._dtype import int64

Tensor = _native.Tensor
_name = _native._set_grad_fn_name


def _reduce(loss, reduction, name=None):
    if reduction == "mean":
        out = loss.mean()
    elif reduction == "sum":
        out = loss.sum()
    elif reduction == "none":
        out = loss
    else:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if name:
        _name(out, name)
    return out


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _check_same_size(input, target, fn):
    if input.shape != target.shape:
        import warnings

        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


# ---- activations ----

def relu(input, inplace=False):
    if inplace:
        return input.relu_()
    return input.relu()


def relu_(input):
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    out = _native.where(input > 0, input, input * negative_slope)
    _name(out, "LeakyReluBackward0")
    if inplace:
        input.copy_(out)
        return input
    return out


def gelu(input, approximate="none"):
    if approximate == "tanh":
        inner = (input + 0.044715 * input.pow(3)) * math.sqrt(2.0 / math.pi)
        out = 0.5 * input * (1.0 + inner.tanh())
    elif approximate == "none":
        out = input * 0.5 * (1.0 + (input * (1.0 / math.sqrt(2.0))).erf())
    else:
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    _name(out, "GeluBackward0")
    return out


def silu(input, inplace=False):
    out = input * input.sigmoid()
    _name(out, "SiluBackward0")
    return out


def softplus(input, beta=1.0, threshold=20.0):
    if beta == 1.0 and threshold >= 20.0:
        # the native op: stable forward, exact sigmoid gradient everywhere
        return input._softplus()
    x = input * beta
    # linear above the threshold, as in PyTorch
    out = _native.where(x > threshold, input, x._softplus() / beta)
    _name(out, "SoftplusBackward0")
    return out


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return input.log_softmax(dim, dtype=dtype)


def linear(input, weight, bias=None):
    return _native.linear(input, weight, bias)


# ---- losses ----

def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_same_size(input, target, "mse_loss")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = (input - target).square()
    return _reduce(loss, reduction, "MseLossBackward0")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_same_size(input, target, "l1_loss")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _check_same_size(input, target, "smooth_l1_loss")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    d = (input - target).abs()
    if beta == 0:
        loss = d
    else:
        loss = _native.where(d < beta, 0.5 * d.square() / beta, d - 0.5 * beta)
    return _reduce(loss, reduction, "SmoothL1LossBackward0")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    d = (input - target).abs()
    loss = _native.where(d < delta, 0.5 * d.square(), delta * (d - 0.5 * delta))
    return _reduce(loss, reduction, "HuberLossBackward0")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.shape != target.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) is deprecated. Please ensure they have the same size."
        )
    lo = input.detach()
    if bool(((lo < 0) | (lo > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    # PyTorch clamps the logs at -100 so that 0 and 1 inputs stay finite.
    log_p = input.log().clamp(min=-100)
    log_1p = (1 - input).log().clamp(min=-100)
    loss = -(target * log_p + (1 - target) * log_1p)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "BinaryCrossEntropyBackward0")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.shape != target.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    # log(1 + e^-x) = softplus(-x), stable, with a smooth gradient at 0
    log_sig_neg = (-input)._softplus()
    if pos_weight is not None:
        coeff = 1 + (pos_weight - 1) * target
        loss = (1 - target) * input + coeff * log_sig_neg
    else:
        loss = (1 - target) * input + log_sig_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "BinaryCrossEntropyWithLogitsBackward0")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if target.dtype is not int64:
        raise RuntimeError(f"expected scalar type Long but found {str(target.dtype).replace('autorust.', '')}")
    if input.dim() == 1:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
        squeeze = True
    else:
        squeeze = False
    n, c = input.shape[0], input.shape[1]
    if target.shape[0] != n:
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size ({target.shape[0]}).")
    valid = target != ignore_index
    safe = _native.where(valid, target, 0)
    if bool(((safe < 0) | (safe >= c)).any()):
        raise IndexError(f"Target {int(safe[(safe < 0) | (safe >= c)][0])} is out of bounds.")
    picked = -input.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = valid.to(input.dtype)
    if weight is not None:
        w = w * weight[safe]
    loss = picked * w
    if squeeze and reduction == "none":
        loss = loss.squeeze(0)
    if reduction == "mean":
        # weighted mean: divided by the total weight of the counted targets
        out = loss.sum() / w.sum()
        _name(out, "NllLossBackward0")
        return out
    return _reduce(loss, reduction, "NllLossBackward0")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean", label_smoothing=0.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input.dim() == 2 and target.dtype is int64 and label_smoothing == 0.0:
        # the fused native kernel: one pass for the loss, one for the gradient
        return _native.cross_entropy(input, target, weight, ignore_index, reduction)
    class_dim = 0 if input.dim() == 1 else 1
    logp = input.log_softmax(class_dim)
    if input.dim() > 2:
        # [N, C, d1, ...] -> [N * d1 * ..., C]
        logp = logp.movedim(1, -1).reshape(-1, input.shape[1])
        if target.dtype is int64:
            target = target.reshape(-1)
        else:
            target = target.movedim(1, -1).reshape(-1, input.shape[1])
    c = input.shape[class_dim]
    if target.dtype.is_floating_point:
        # class probabilities
        t = target
        if label_smoothing > 0:
            t = t * (1 - label_smoothing) + label_smoothing / c
        per = -(logp * (t if weight is None else t * weight)).sum(-1)
        if reduction == "mean":
            out = per.sum() / per.shape[0] if per.dim() else per
            _name(out, "DivBackward1")
            return out
        return _reduce(per, reduction)
    nll = nll_loss(logp, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return nll
    valid = (target != ignore_index).to(logp.dtype)
    lw = logp if weight is None else logp * weight
    smooth = -(lw.sum(-1)) * valid
    if reduction == "mean":
        denom = valid.sum() if weight is None else (weight[_native.where(target != ignore_index, target, 0)] * valid).sum()
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + (label_smoothing / c) * smooth


# ---- convolution and pooling (im2col + GEMM; gradients from the adjoint pair) ----

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
        raise RuntimeError(f"{fn.__name__}: Expected {expected - 1}D (unbatched) or {expected}D (batched) input, but got input of size: {list(input.shape)}")
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
            (t, b), (l, r) = _same_padding(weight, dilation)
            if t != b or l != r:
                input = pad(input, (l, r, t, b))
                padding = (0, 0)
            else:
                padding = (t, l)
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
        res = pool(input.unsqueeze(0))
        return (res[0].squeeze(0), res[1].squeeze(0)) if return_indices else res.squeeze(0)
    if input.dim() != 4:
        raise RuntimeError(f"max_pool2d: Expected 3D or 4D (batch mode) tensor for input, but got: {list(input.shape)}")
    return pool(input)


def max_pool2d_with_indices(*args, **kwargs):
    kwargs["return_indices"] = True
    return max_pool2d(*args, **kwargs)


def _pool_counts(size, k, s, p, out, include_pad):
    """Per output position along one axis: how many elements its window averages."""
    import numpy as np

    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    import numpy as np

    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride, "stride")
    p = _pair(padding, "padding")
    if p[0] * 2 > k[0] or p[1] * 2 > k[1]:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[0] if p[0] * 2 > k[0] else p[1]}, kernel_size={k[0] if p[0] * 2 > k[0] else k[1]} and dilation=1")

    def out_len(size, kk, ss, pp):
        span = size + 2 * pp - kk
        if span < 0:
            raise RuntimeError(f"avg_pool2d: output size is too small for input {list(input.shape)}")
        n = (-(-span // ss) if ceil_mode else span // ss) + 1
        if ceil_mode and (n - 1) * ss >= size + pp:
            n -= 1
        return n

    def pool(x):
        n, c, h, w = x.shape
        oh, ow = out_len(h, k[0], s[0], p[0]), out_len(w, k[1], s[1], p[1])
        # a ceil-mode window may overhang the padded input: pad that part too
        extra_h = max(0, (oh - 1) * s[0] + k[0] - (h + 2 * p[0]))
        extra_w = max(0, (ow - 1) * s[1] + k[1] - (w + 2 * p[1]))
        xp = x.reshape(n * c, 1, h, w)
        if p != (0, 0) or extra_h or extra_w:
            xp = pad(xp, (p[1], p[1] + extra_w, p[0], p[0] + extra_h))
        cols = _native.im2col(xp, k, (1, 1), (0, 0), s)
        sums = cols.sum(1)
        if divisor_override:
            out = sums / divisor_override
        else:
            counts = np.outer(_pool_counts(h, k[0], s[0], p[0], oh, count_include_pad), _pool_counts(w, k[1], s[1], p[1], ow, count_include_pad))
            from .._creation import tensor

            out = sums / tensor(counts.reshape(1, -1), dtype=x.dtype)
        out = out.reshape(n, c, oh, ow)
        _name(out, "AvgPool2DBackward0")
        return out

    return _batched(input, pool)


def adaptive_avg_pool2d(input, output_size):
    def pool(x):
        h, w = x.shape[2], x.shape[3]
        oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
        oh, ow = oh or h, ow or w
        if h % oh == 0 and w % ow == 0:
            return avg_pool2d(x, (h // oh, w // ow))
        rows = []
        for i in range(oh):
            h0, h1 = (i * h) // oh, -((-(i + 1) * h) // oh)
            cols = [x[:, :, h0:h1, (j * w) // ow:-((-(j + 1) * w) // ow)].mean((2, 3)) for j in range(ow)]
            rows.append(_native.stack(cols, -1))
        return _native.stack(rows, -2)

    return _batched(input, pool)


# ---- normalisation, dropout, embedding ----

def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    from .._creation import rand_like

    keep = (rand_like(input) < (1.0 - p)).to(input.dtype)
    noise = keep * (1.0 / (1.0 - p)) if p < 1.0 else keep
    if inplace:
        return input.mul_(noise)
    return input * noise


def _channel_view(t, ndim):
    return t.reshape([1, -1] + [1] * (ndim - 2))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    dims = [0] + list(range(2, input.dim()))
    if training:
        count = input.numel() // max(input.shape[1], 1) if input.dim() > 1 else input.numel()
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.size()}")
        mean = input.mean(dims)
        var = input.var(dims, unbiased=False)
        if running_mean is not None:
            from .._grad_mode import no_grad

            with no_grad():
                m = 0.1 if momentum is None else momentum
                running_mean.mul_(1 - m).add_(mean.detach() * m)
                running_var.mul_(1 - m).add_(var.detach() * (count / (count - 1)) * m)
    else:
        if running_mean is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        mean, var = running_mean, running_var
    nd = input.dim()
    out = (input - _channel_view(mean, nd)) * _channel_view((var + eps).rsqrt(), nd)
    if weight is not None:
        out = out * _channel_view(weight, nd)
    if bias is not None:
        out = out + _channel_view(bias, nd)
    _name(out, "NativeBatchNormBackward0")
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    k = len(normalized_shape)
    if tuple(input.shape[input.dim() - k:]) != tuple(normalized_shape) or input.dim() < k:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape [*, {', '.join(str(s) for s in normalized_shape)}], "
            f"but got input of size{list(input.shape)}"
        )
    dims = list(range(input.dim() - k, input.dim()))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, unbiased=False, keepdim=True)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    _name(out, "NativeLayerNormBackward0")
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of shape {list(input.shape)} and num_groups={num_groups}")
    x = input.reshape(n, num_groups, -1)
    out = ((x - x.mean(-1, keepdim=True)) * (x.var(-1, unbiased=False, keepdim=True) + eps).rsqrt()).reshape(input.shape)
    if weight is not None:
        out = out * _channel_view(weight, input.dim())
    if bias is not None:
        out = out + _channel_view(bias, input.dim())
    _name(out, "NativeGroupNormBackward0")
    return out


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    if input.dtype is not int64:
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {_tensor_type(input)} instead (while checking arguments for embedding)"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    flat = input.reshape(-1)
    if flat.numel() and bool(((flat < 0) | (flat >= weight.shape[0])).any()):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        from .._grad_mode import no_grad

        with no_grad():
            rows = flat.unique() if hasattr(flat, "unique") else flat
            sel = weight.index_select(0, rows)
            norms = sel.norm(norm_type, 1, keepdim=True)
            scale = _native.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight[rows] = sel * scale
    out = weight.index_select(0, flat)
    if padding_idx is not None and out.requires_grad:
        # the padding row gets no gradient
        pad_rows = (flat == padding_idx).unsqueeze(1)
        out = _native.where(pad_rows, out.detach(), out)
    out = out.reshape(list(input.shape) + [weight.shape[1]])
    _name(out, "EmbeddingBackward0")
    return out


def one_hot(tensor, num_classes=-1):
    from .._creation import arange

    if tensor.dtype is not int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() and bool((tensor < 0).any()):
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    elif tensor.numel() and int(tensor.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == arange(num_classes)).to(int64)


def _pad_indices(n, left, right, mode):
    import numpy as np

    i = np.arange(-left, n + right)
    if mode == "reflect":
        if left >= n or right >= n:
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but got: padding ({left}, {right}) at dimension of size {n}")
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


def pad(input, pad, mode="constant", value=None):
    from .._creation import full, tensor

    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got padding length {len(pad)} and input of dimension {input.dim()}")
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]  # last dim first
    if mode == "constant":
        out_shape = list(input.shape)
        src = input
        slices = [slice(None)] * input.dim()
        for j, (left, right) in enumerate(pairs):
            d = input.dim() - 1 - j
            size = input.shape[d]
            new = size + left + right
            if new < 0:
                raise RuntimeError(f"The input size {size}, plus negative padding {left} and {right} resulted in a negative output size, which is invalid. Check dimension {d} of your input.")
            out_shape[d] = new
            # negative padding crops the input
            src = src.narrow(d, max(-left, 0), max(0, size - max(-left, 0) - max(-right, 0)))
            slices[d] = slice(max(left, 0), max(left, 0) + src.shape[d])
        out = full(out_shape, 0.0 if value is None else value, dtype=input.dtype)
        out[tuple(slices)] = src
        _name(out, "ConstantPadNdBackward0")
        return out
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    out = input
    for j, (left, right) in enumerate(pairs):
        d = input.dim() - 1 - j
        idx = _pad_indices(input.shape[d], left, right, mode)
        out = out.index_select(d, tensor(idx, dtype=int64))
    names = {"reflect": "ReflectionPad", "replicate": "ReplicationPad"}
    if mode in names:
        _name(out, f"{names[mode]}{len(pairs)}DBackward0")
    return out


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # PyTorch's xlogy(target, target) - target * input: 0 * log(0) = 0
        safe = _native.where(target > 0, target, 1.0)
        loss = _native.where(target > 0, target * safe.log(), 0.0) - target * input
    if reduction == "batchmean":
        out = loss.sum() / input.shape[0] if input.dim() else loss.sum()
    else:
        out = _reduce(loss, reduction)
    return out


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    n1 = x1.norm(2, dim).clamp(min=eps)
    n2 = x2.norm(2, dim).clamp(min=eps)
    return (x1 * x2).sum(dim) / (n1 * n2)


def elu(input, alpha=1.0, inplace=False):
    out = _native.where(input > 0, input, alpha * input.expm1())
    _name(out, "EluBackward0")
    return input.copy_(out) if inplace else out


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    out = input.clamp(min_val, max_val)
    _name(out, "HardtanhBackward0")
    return input.copy_(out) if inplace else out


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input):
    out = -(-input)._softplus()
    _name(out, "LogSigmoidBackward0")
    return out
