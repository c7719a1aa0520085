"""Dropout and its channel-wise and alpha variants, drawn as PyTorch draws
them (the same masks for the same seed)."""

import math


def dropout(input, p=0.5, training=True, inplace=False):

    # PyTorch's order: no draw at p == 1; the mask is a Bernoulli(1 - p)
    # draw divided by 1 - p in the input's dtype
    return _dropout_noise(input, p, training, inplace, tuple(input.shape), False)


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
