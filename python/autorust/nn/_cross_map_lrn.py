"""``nn.CrossMapLRN2d``: the legacy (Lua Torch) local response
normalisation across channels, as PyTorch still ships it: a Python
autograd Function whose window and backward formula are its own (channel
0 stays in every window; the backward is the Lua formula, not the exact
derivative of the forward), reproduced here for PyTorch's numbers."""

import numpy as np

from ..autograd.function import Function


def _window(channels, size):
    """[C, C] 0/1: which input channels' squares make channel c's scale."""
    pre_pad = int((size - 1) / 2 + 1)
    rows = np.arange(channels)[:, None]
    cols = np.arange(channels)[None, :]
    enters = np.maximum(0, cols - pre_pad + 1)
    # channel 0 never leaves the running sum (the legacy loop removes
    # channel c - pre_pad only from c > pre_pad on)
    leaves = np.where(cols == 0, channels, cols + pre_pad)
    return ((rows >= enters) & (rows < leaves)).astype(np.float64)


def _ratio_window(channels, size):
    """[C, C] 0/1: which channels' ratios the backward accumulates for c."""
    inverse_pre_pad = int(size - (size - 1) / 2)
    rows = np.arange(channels)[:, None]
    cols = np.arange(channels)[None, :]
    return ((cols >= rows - inverse_pre_pad) & (cols <= rows + size - 1 - inverse_pre_pad)).astype(np.float64)


def _mix(matrix, t):
    """sum_j matrix[c, j] t[:, j] over the channel dimension of [N, C, H, W]."""
    from .._creation import tensor

    m = tensor(matrix, dtype=t.dtype, device=t.device)
    return (m[None, :, :, None] * t.flatten(2)[:, None, :, :]).sum(2).reshape(t.shape)


class CrossMapLRN2d(Function):
    @staticmethod
    def forward(ctx, input, size, alpha=1e-4, beta=0.75, k=1):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        ctx.size, ctx.alpha, ctx.beta, ctx.k = size, alpha, beta, k
        scale = _mix(_window(input.shape[1], size), input * input) * (alpha / size) + k
        output = scale.pow(-beta) * input
        ctx.scale = scale
        ctx.save_for_backward(input, output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, output = ctx.saved_tensors
        channels, inverse_pre_pad = input.shape[1], int(ctx.size - (ctx.size - 1) / 2)
        if inverse_pre_pad > ctx.size - 1:
            # size 1: the legacy backward's padded buffer is too short
            raise RuntimeError(f"start ({inverse_pre_pad}) + length ({channels}) exceeds dimension size ({channels + ctx.size - 1}).")
        ratio = grad_output * output / ctx.scale
        accumulated = _mix(_ratio_window(channels, ctx.size), ratio)
        cache_ratio_value = 2 * ctx.alpha * ctx.beta / ctx.size
        grad_input = ctx.scale.pow(-ctx.beta) * grad_output - cache_ratio_value * input * accumulated
        return grad_input, None, None, None, None
