"""More of ``nn.functional``, composed from the native ops (so every device
and autograd work through them): the remaining activations, 1-d
convolution and pooling (through their 2-d forms), transposed convolution,
interpolation, distances, attention and the remaining losses."""

import math
import numbers

from .. import _native
from .._composite import composite, composite_maybe_inplace, with_scalar
from .._dtype import int64
from .._grad_mode import no_grad
from ._adaptive_max import adaptive_max_pool2d
from ._conv_pool import adaptive_avg_pool2d, avg_pool2d, conv2d, fold, max_pool2d


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


# ---- activations ----


def selu(input, inplace=False):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    from .functional import _elu_negative, _fused

    return _fused(
        input,
        inplace,
        "EluBackward0",
        "EluBackward1",
        lambda x: scale * _native.where(x > 0, x, _elu_negative(x, alpha, alpha * x.expm1())),
        "elu",
        alpha,
        scale,
        1.0,
    )


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    from .functional import _elu_negative, _fused

    return _fused(
        input,
        inplace,
        "CeluBackward0",
        "CeluBackward1",
        lambda x: _native.where(x > 0, x, _elu_negative(x, 1.0, alpha * (x / alpha).expm1())),
        "celu",
        float(alpha),
        1.0,
        1.0 / alpha,
    )


def softsign(input):
    return input / (1 + input.abs())


def hardsigmoid(input, inplace=False):
    # PyTorch cannot differentiate hardsigmoid's backward: the next order
    # raises (the native op links its gradient the same way)
    from .functional import _fused

    return _fused(input, inplace, "HardsigmoidBackward0", None, _hardsigmoid, "hardsigmoid", link=("NotImplemented:hardsigmoid_backward", (0,)))


# PyTorch's hardsigmoid backward multiplies by the float literal 1.0f / 6.0f,
# in every dtype: float64 gradients carry float32's 1/6
_ONE_SIXTH_F32 = float(__import__("numpy").float32(1.0 / 6.0))


def _hardsigmoid(x):
    exact = (x + 3) / 6
    sloped = x * _ONE_SIXTH_F32  # the gradient's slope
    return (sloped + (exact - sloped).detach()).clamp(0.0, 1.0)


def hardswish(input, inplace=False):
    # piecewise, for PyTorch's gradient on the joins: the outer pieces own
    # x = -3 (gradient 0) and x = 3 (gradient 1)
    from .functional import _fused

    return _fused(
        input, inplace, "HardswishBackward0", None, lambda x: _native.where(x <= -3, x * 0, _native.where(x >= 3, x, x * (x + 3) / 6)), "hardswish"
    )


def mish(input, inplace=False):
    from .functional import _fused, softplus

    return _fused(input, inplace, "MishBackward0", None, lambda x: x * softplus(x).tanh(), "mish")


def tanhshrink(input):
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    # zero on [-lambd, lambd] as a constant (its gradient is 0, not grad * 0:
    # an inf gradient stays out), and a NaN input takes the outer pieces'
    # gradient, as PyTorch's shrink_backward
    inside = lambda x: (x >= -lambd) & (x <= lambd)  # noqa: E731
    shrink = lambda x: _native.where(inside(x), 0.0, _native.where(x > lambd, x - lambd, x + lambd))  # noqa: E731
    return composite("SoftshrinkBackward0", shrink, input, link=("SoftshrinkBackwardBackward0", (0,)))


def hardshrink(input, lambd=0.5):
    # as softshrink: a constant zero inside, NaN passed through with its gradient
    return composite(
        "HardshrinkBackward0", lambda x: _native.where((x >= -lambd) & (x <= lambd), 0.0, x), input, link=("HardshrinkBackwardBackward0", (0,))
    )


def threshold(input, threshold, value, inplace=False):
    return composite_maybe_inplace(
        input,
        inplace,
        "ThresholdBackward0",
        lambda x: _native.where(x <= threshold, value, x),
        link=("ThresholdBackwardBackward0", (0,)),
        inplace_name="ThresholdBackward1",
    )


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size {input.shape[dim]}")

    def f(x):
        a, b = x.chunk(2, dim)
        return a * b.sigmoid()

    return composite("GluBackward0", f, input)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return (-input).softmax(dim, dtype=dtype)


def prelu(input, weight):
    # PyTorch's prelu reshapes the weight to [1, C, 1, ...] (a view in the
    # graph) for inputs of 2 or more dims, then runs its kernel
    if input.dim() >= 2:
        weight = weight.reshape((1, weight.numel()) + (1,) * (input.dim() - 2))
    return composite(
        "PreluKernelBackward0", lambda x, w: _native.where(x > 0, x, w * x), input, weight, link=("PreluKernelBackwardBackward0", (0, 1))
    )


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if training:
        from .._creation import rand_like

        slope = rand_like(input) * (upper - lower) + lower
    else:
        slope = (lower + upper) / 2
    # PyTorch's rrelu takes the slope at 0 too (its gradient there is the
    # slope, not 1), and its gradient stays connected to the input under
    # create_graph (rrelu_with_noise_backward has a derivative)
    return composite_maybe_inplace(
        input,
        inplace,
        "RreluWithNoiseBackward0",
        lambda x: _native.where(x > 0, x, x * slope),
        link=("RreluWithNoiseBackwardBackward0", (0,)),
        inplace_name="RreluWithNoiseBackward1",
    )


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    from .._creation import rand_like

    g = -(-(rand_like(logits).clamp(min=1e-20)).log()).log()
    y = ((logits + g) / tau).softmax(dim)
    if not hard:
        return y
    index = y.argmax(dim, keepdim=True)
    y_hard = y.new_zeros(*y.shape).scatter(dim, index, 1.0)
    return y_hard - y.detach() + y


# ---- 1-d convolution and pooling through the 2-d kernels ----


def _single(v):
    return v[0] if isinstance(v, (tuple, list)) else v


def _conv_rank(input, dims, name):
    """PyTorch's check of a convolution's input rank (unbatched or batched)."""
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got input of size: {list(input.shape)}")
    return input.dim() == dims + 1


def _convolution(fn, x, weight, bias):
    """``fn(x, weight, bias)`` as PyTorch's one ConvolutionBackward0 node."""
    return composite("ConvolutionBackward0", fn, x, weight, bias)


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


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d: each input pixel scatters weight-scaled taps,
    summed by fold (col2im). weight: [C_in, C_out / groups, kh, kw]."""
    unbatched = _conv_rank(input, 2, "conv_transpose2d")
    x = input.unsqueeze(0) if unbatched else input
    out = _convolution(lambda x, weight, bias: _conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation), x, weight, bias)
    return out.squeeze(0) if unbatched else out


def _conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation):
    from ._conv_pool import _pair

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


def pixel_shuffle(input, upscale_factor):
    return composite("PixelShuffleBackward0", lambda x: _pixel_shuffle(x, upscale_factor), input)


def _pixel_shuffle(input, upscale_factor):
    r = upscale_factor
    *lead, c, h, w = input.shape
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    nd = x.dim()
    perm = list(range(nd - 5)) + [nd - 5, nd - 2, nd - 4, nd - 1, nd - 3]
    return x.permute(*perm).reshape(*lead, c // (r * r), h * r, w * r)


def _dropout_noise(input, p, training, inplace, shape, alpha):
    """PyTorch's dropout kernel (`_dropout_impl`): Bernoulli(1 - p) noise of
    `shape` (broadcast over the input), scaled; `alpha` keeps SELU's
    self-normalisation instead of zeroing."""
    import warnings  # noqa: F401  (callers warn)

    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1 and not alpha:
        zero = input.new_zeros(())
        return input.mul_(zero) if inplace else input * zero
    from .._sampling import bernoulli_scalar

    noise = bernoulli_scalar(tuple(shape), 1.0 - p, input.dtype, input.device)
    if alpha:
        a_const = 1.7580993408473766
        a = 1.0 / math.sqrt((a_const * a_const * p + 1) * (1 - p))
        b = noise.add(-1).mul_(a_const * a).add_(a_const * a * p)
        noise.mul_(a)
        out = input.mul_(noise) if inplace else input * noise
        return out.add_(b)
    noise.div_(1.0 - p)
    return input.mul_(noise) if inplace else input * noise


def _feature_shape(input):
    # one draw per (sample, channel): [N, C, 1, 1, ...]
    return tuple(input.shape[:2]) + (1,) * (input.dim() - 2)


def _unbatched(input, batched, inplace, fn):
    if batched:
        return fn(input)
    x = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    out = fn(x)
    return out.squeeze_(0) if inplace else out.squeeze(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of [N, C, L] (or [C, L])."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
            "spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _unbatched(input, input.dim() == 3, inplace, lambda x: _dropout_noise(x, p, training, inplace, _feature_shape(x), False))


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of [N, C, H, W] (a 3-D input is taken as [N, C, L];
    other ranks are deprecated in PyTorch and drop per (dim 0, dim 1) pair,
    so a 2-D [N, C] input drops single elements)."""
    import warnings

    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _dropout_noise(input, p, training, inplace, _feature_shape(input), False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of [N, C, D, H, W] (or [C, D, H, W])."""
    import warnings

    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _unbatched(input, nd == 5, inplace, lambda x: _dropout_noise(x, p, training, inplace, _feature_shape(x), False))


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_noise(input, p, training, inplace, tuple(input.shape), True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_noise(input, p, training, inplace, _feature_shape(input), True)


# ---- distances and attention ----


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    # PyTorch: norm(x1 - x2 + eps) with aten::norm (NormBackward1), eps a Scalar
    diff = with_scalar(x1 - x2 + eps, "AddBackward1")
    return composite("NormBackward1", lambda d: d.norm(p, -1, keepdim=keepdim), diff)


def pdist(input, p=2):
    """The p-norm distances between the rows, pair (i, j) for i < j in row
    order (the upper triangle of cdist), in one PdistBackward0 node."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    import numpy as np

    from .._creation import tensor

    first, second = (tensor(v, dtype=int64, device=input.device) for v in np.triu_indices(input.shape[0], 1))
    return composite("PdistBackward0", lambda x: (x[first] - x[second]).norm(p, 1), input)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    from .._creation import ones

    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    L, S = query.shape[-2], key.shape[-2]
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    fused = _fused_attention(query, key, value, attn_mask, dropout_p, is_causal, s, enable_gqa)
    if fused is not None:
        return fused
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        # grouped-query attention: each key/value head serves a group of query heads
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if kv_heads == 0 or heads % kv_heads or value.shape[-3] != kv_heads:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
        key = key.repeat_interleave(heads // kv_heads, -3)
        value = value.repeat_interleave(heads // kv_heads, -3)
    scores = (query @ key.transpose(-2, -1)) * s
    if is_causal:
        causal = ones(L, S, device=query.device).tril().to(bool)
        scores = scores.masked_fill(~causal, float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype.is_floating_point:
            scores = scores + attn_mask
        else:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        from .functional import dropout

        weights = dropout(weights, dropout_p)
    return weights @ value


def _fused_attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    """PyTorch's CPU flash attention: one fused node over 4-D query, key
    and value (3-D ones unsqueezed to 4-D and the result squeezed back, as
    PyTorch does), without dropout; None where it does not apply."""
    if dropout_p > 0.0 or enable_gqa or query.dim() not in (3, 4) or key.dim() != query.dim() or value.dim() != query.dim():
        return None
    mask = attn_mask
    if mask is not None and not mask.dtype.is_floating_point:
        # True marks the keys a query may attend: an additive 0 / -inf mask
        from .._creation import zeros

        mask = zeros(mask.shape, dtype=query.dtype, device=mask.device).masked_fill(mask.logical_not(), float("-inf"))
    if query.dim() == 3:
        out = _native._attention(query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0), mask, is_causal, scale)
        return None if out is None else out.squeeze(0)
    return _native._attention(query, key, value, mask, is_causal, scale)


# ---- losses ----


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    from .functional import _legacy_reduction

    reduction = _legacy_reduction(size_average, reduce, reduction)
    # PyTorch's graph: (-target * (input1 - input2) + margin).clamp_min(0)
    unclamped = with_scalar(-target * (input1 - input2) + margin, "AddBackward1")
    return _reduce(unclamped.clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    from .functional import _legacy_reduction

    reduction = _legacy_reduction(size_average, reduce, reduction)
    # PyTorch's graph: where(target != 1, (margin - input).clamp_min(0), 0)
    # + where(target != -1, input, 0), margin a 0-d constant
    from .._creation import full, zeros_like

    zeros = zeros_like(input)
    margin_clamp = (full((), margin, dtype=input.dtype, device=input.device) - input).clamp_min(0)
    loss = _native.where(target != 1, margin_clamp, zeros) + _native.where(target != -1, input, zeros)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    from .functional import _legacy_reduction, softplus

    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.requires_grad:
        raise RuntimeError(
            "The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. This input cannot have requires_grad True."
        )
    # the loss is written in the input's dtype, as PyTorch's
    return composite(
        "SoftMarginLossBackward0",
        lambda x: _reduce(softplus(-target * x), reduction).to(x.dtype),
        input,
        link=("SoftMarginLossBackwardBackward0", (0,)),
    )


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    from .functional import _legacy_reduction, logsigmoid

    reduction = _legacy_reduction(size_average, reduce, reduction)

    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    # a sum over the classes divided by their count, as PyTorch (its graph)
    return _reduce(loss.sum(dim=input.dim() - 1) / input.shape[-1], reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    from .._creation import full, zeros_like
    from .functional import _legacy_reduction

    reduction = _legacy_reduction(size_average, reduce, reduction)
    # PyTorch's construction: one square root of the product of the squared
    # norms (each plus 1e-12); 1 - cos where target is 1, max(cos - margin, 0)
    # where it is -1, and 0 elsewhere
    dim = 0 if input1.dim() == 1 else 1
    prod_sum = (input1 * input2).sum(dim)
    mag_square1 = with_scalar((input1 * input1).sum(dim) + 1e-12, "AddBackward1")
    mag_square2 = with_scalar((input2 * input2).sum(dim) + 1e-12, "AddBackward1")
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = zeros_like(cos)
    pos = full((), 1, dtype=cos.dtype, device=cos.device) - cos
    neg = with_scalar(cos - margin, "SubBackward1").clamp_min(0)
    loss = _native.where(target == 1, pos, zeros) + _native.where(target == -1, neg, zeros)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
    from .functional import _legacy_reduction

    reduction = _legacy_reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    # PyTorch's order: clamp_min(margin + d_pos - d_neg, 0)
    return _reduce((with_scalar(margin + d_pos, "AddBackward1") - d_neg).clamp_min(0), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
    from .functional import _legacy_reduction

    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.clamp(min=1).log() - target + 0.5 * (2 * math.pi * target.clamp(min=1)).log()
        loss = loss + _native.where(target > 1, stirling, stirling * 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if not isinstance(var, _native.Tensor):
        from .._creation import full as _full

        var = _full(input.shape, float(var), dtype=input.dtype, device=input.device)
    if tuple(var.shape) != tuple(input.shape):
        # one dim short (or a trailing 1): the same variance across the last dim
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.dim() and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    # PyTorch clamps a copy without recording it: the gradient passes the
    # clamp as if it were not there
    v = var.clone()
    with no_grad():
        v.clamp_(min=eps)
    loss = 0.5 * (v.log() + (input - target) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    from .functional import _legacy_reduction, _not_differentiable

    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    _not_differentiable("multi_margin_loss", weight=weight)

    def loss_of(input):
        x = input if input.dim() == 2 else input.unsqueeze(0)
        t = target.reshape(-1, 1)
        picked = x.gather(1, t)
        terms = (margin - picked + x).clamp(min=0)
        if p == 2:
            terms = terms * terms
        if weight is not None:
            terms = terms * weight[target.reshape(-1)].reshape(-1, 1)
        mask = x.new_ones(*x.shape).scatter(1, t, 0.0)
        loss = (terms * mask).sum(1) / x.shape[1]
        if input.dim() == 1:
            loss = loss.squeeze(0)
        return _reduce(loss, reduction)

    # PyTorch has no derivative of this loss's backward: the next order raises
    return composite("MultiMarginLossBackward0", loss_of, input, link=("NotImplemented:multi_margin_loss_backward", (0,)))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W), pixel_shuffle's inverse."""
    r = downscale_factor
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height and width to be divisible by downscale_factor, but input.size(-2)={h} and input.size(-1)={w} are not divisible by {r}"
        )

    def unshuffle(input):
        x = input.reshape(*lead, c, h // r, r, w // r, r)
        nd = x.dim()
        perm = list(range(nd - 5)) + [nd - 5, nd - 3, nd - 1, nd - 4, nd - 2]
        return x.permute(*perm).reshape(*lead, c * r * r, h // r, w // r)

    return composite("PixelUnshuffleBackward0", unshuffle, input)


def channel_shuffle(input, groups):
    """(N, C, *) with the channels regrouped: C = groups x k becomes k x groups."""
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    return composite("ChannelShuffleBackward0", lambda x: x.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest), input)


def native_channel_shuffle(input, groups):
    """channel_shuffle's values; PyTorch gives this variant no derivative, so
    its gradient raises here too."""
    with no_grad():
        out = channel_shuffle(input, groups)
    if not _native._needs_node([input]):
        return out

    def refuse(g):
        raise RuntimeError("derivative for aten::native_channel_shuffle is not implemented")

    return _native._custom_node(out, [input], refuse, "NotImplemented")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-5):
    """Each (sample, channel) normalised over its own positions, computed
    as PyTorch's: a batch norm over the input viewed as one sample of N*C
    channels (weight, bias and running statistics repeated per sample), so
    the graph shows PyTorch's nodes; the running statistics then take the
    average over the samples (variances unbiased)."""
    from ._normalization import batch_norm

    if use_input_stats:
        spatial = 1
        for d in input.shape[2:]:
            spatial *= d
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.size()}")
    b, c = input.shape[0], input.shape[1]
    x = input.contiguous().view([1, b * c] + list(input.shape[2:]))
    repeat = lambda t: t.repeat(b) if t is not None else None  # noqa: E731
    mean_, var_ = repeat(running_mean), repeat(running_var)
    out = batch_norm(x, mean_, var_, repeat(weight), repeat(bias), use_input_stats, momentum, eps)
    if use_input_stats and (running_mean is not None or running_var is not None):
        with no_grad():
            for running, repeated in ((running_mean, mean_), (running_var, var_)):
                if running is not None:
                    running.copy_(repeated.view(b, c).mean(0))
    return out.view(input.shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing normalized_shape (eps
    defaults to the dtype's machine epsilon), times weight."""
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    k = len(normalized_shape)
    if tuple(input.shape[input.dim() - k :]) != tuple(normalized_shape):
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape [*, {', '.join(map(str, normalized_shape))}], but got input of size{list(input.shape)}"
        )
    if eps is None:
        from .._legacy import finfo

        eps = finfo(input.dtype).eps
    dims = tuple(range(input.dim() - k, input.dim()))
    out = input * (input.square().mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """conv_transpose2d over [N, C, 1, L]; weight [C_in, C_out / groups, k]."""
    unbatched = _conv_rank(input, 1, "conv_transpose1d")
    x = input.unsqueeze(0) if unbatched else input

    def conv(x, weight, bias):
        args = (1, _single(stride)), (0, _single(padding)), (0, _single(output_padding)), groups, (1, _single(dilation))
        return _conv_transpose2d(x.unsqueeze(-2), weight.unsqueeze(-2), bias, *args).squeeze(-2)

    out = _convolution(conv, x, weight, bias)
    return out.squeeze(0) if unbatched else out


FUNCTIONS = [
    selu,
    celu,
    softsign,
    hardsigmoid,
    hardswish,
    mish,
    tanhshrink,
    softshrink,
    hardshrink,
    threshold,
    glu,
    softmin,
    prelu,
    rrelu,
    gumbel_softmax,
    conv1d,
    max_pool1d,
    max_pool1d_with_indices,
    avg_pool1d,
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    conv_transpose2d,
    pixel_shuffle,
    dropout2d,
    dropout1d,
    dropout3d,
    alpha_dropout,
    feature_alpha_dropout,
    pairwise_distance,
    pdist,
    scaled_dot_product_attention,
    margin_ranking_loss,
    hinge_embedding_loss,
    soft_margin_loss,
    multilabel_soft_margin_loss,
    cosine_embedding_loss,
    triplet_margin_loss,
    poisson_nll_loss,
    gaussian_nll_loss,
    multi_margin_loss,
    pixel_unshuffle,
    channel_shuffle,
    native_channel_shuffle,
    instance_norm,
    rms_norm,
    conv_transpose1d,
]
__all__ = [f.__name__ for f in FUNCTIONS]
