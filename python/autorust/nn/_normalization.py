"""Batch, layer and group normalisation for ``nn.functional``, composed
from native reductions (the result carries PyTorch's fused grad_fn name)."""

import numbers

from .. import _native
from .._composite import composite
from .._grad_mode import no_grad


def _channel_view(t, ndim):
    return t.reshape([1, -1] + [1] * (ndim - 2))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    dims = [0] + list(range(2, input.dim()))
    count = input.numel() // max(input.shape[1], 1) if input.dim() > 1 else input.numel()
    if training and count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.size()}")
    if not training and running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    channels = input.shape[1] if input.dim() > 1 else 1
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    batch_stats = []
    # one fused node where the kernel applies (CPU, one dtype throughout);
    # its per-channel passes read a channel's samples as blocks of the
    # spatial size, which must be long enough to stream, or (an [N, C]
    # input) walk rows across the channels; blocks of 2 to 31 elements
    # take the composition, which is faster there
    spatial = input.numel() // max(input.shape[0] * input.shape[1], 1) if input.dim() > 1 else 0
    kernel_applies = spatial == 1 or spatial >= 32
    fused = (
        _native._batch_norm(input, weight, bias, None if training else running_mean, None if training else running_var, eps)
        if kernel_applies
        else None
    )
    if fused is not None:
        out, stats = fused
        if stats is not None:
            batch_stats.append(stats)
    else:
        out = None

    def normalize(x, w, b):
        if training:
            mean, var = x.mean(dims), x.var(dims, unbiased=False)
            batch_stats.append((mean.detach(), var.detach()))
        else:
            # the running statistics are constants of the normalisation
            mean, var = running_mean.detach(), running_var.detach()
        nd = x.dim()
        out = (x - _channel_view(mean, nd)) * _channel_view((var + eps).rsqrt(), nd)
        if w is not None:
            out = out * _channel_view(w, nd)
        if b is not None:
            out = out + _channel_view(b, nd)
        return out

    if out is None:
        out = composite("NativeBatchNormBackward0", normalize, input, weight, bias)
    if training and running_mean is not None:
        from .._grad_mode import no_grad

        mean, var = batch_stats[0]
        with no_grad():
            m = 0.1 if momentum is None else momentum
            running_mean.mul_(1 - m).add_(mean * m)
            running_var.mul_(1 - m).add_(var * (count / (count - 1)) * m)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    k = len(normalized_shape)
    if tuple(input.shape[input.dim() - k :]) != tuple(normalized_shape) or input.dim() < k:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape [*, {', '.join(str(s) for s in normalized_shape)}], "
            f"but got input of size{list(input.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != tuple(normalized_shape):
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape {list(t.shape)} and normalized_shape = {list(normalized_shape)}"
            )
    # one fused node where the kernel applies (CPU, one dtype throughout)
    fused = _native._layer_norm(input, k, weight, bias, eps)
    if fused is not None:
        return fused
    dims = list(range(input.dim() - k, input.dim()))

    def normalize(x, w, b):
        mean = x.mean(dims, keepdim=True)
        var = x.var(dims, unbiased=False, keepdim=True)
        out = (x - mean) * (var + eps).rsqrt()
        if w is not None:
            out = out * w
        if b is not None:
            out = out + b
        return out

    return composite("NativeLayerNormBackward0", normalize, input, weight, bias)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of shape {list(input.shape)} and num_groups={num_groups}"
        )

    def normalize(t, w, b):
        x = t.reshape(n, num_groups, -1)
        # each group is a layer norm over its elements: the fused kernel
        # (one pass each way on the CPU) where it applies
        fused = _native._layer_norm(x, 1, None, None, eps) if x.shape[-1] > 0 else None
        if fused is None:
            fused = (x - x.mean(-1, keepdim=True)) * (x.var(-1, unbiased=False, keepdim=True) + eps).rsqrt()
        out = fused.reshape(t.shape)
        if w is not None:
            out = out * _channel_view(w, t.dim())
        if b is not None:
            out = out + _channel_view(b, t.dim())
        return out

    return composite("NativeGroupNormBackward0", normalize, input, weight, bias)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-5):
    """Each (sample, channel) normalised over its own positions, computed
    as PyTorch's: a batch norm over the input viewed as one sample of N*C
    channels (weight, bias and running statistics repeated per sample), so
    the graph shows PyTorch's nodes; the running statistics then take the
    average over the samples (variances unbiased)."""

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
