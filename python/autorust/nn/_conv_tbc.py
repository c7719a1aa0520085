"""``torch.conv_tbc``: a 1-d convolution over time-major input, one
ConvTbcBackward0 node as PyTorch records it."""

from .._composite import composite
from ._conv_pool_1d import conv1d


def conv_tbc(input, weight, bias, pad=0):
    """input [time, batch, in], weight [kernel, in, out], bias [out]: the
    convolution of each batch column over time with ``pad`` steps of zeros
    on both sides (a negative ``pad`` crops)."""
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if bias.shape[0] != weight.shape[2]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    pad = int(pad)

    def convolve(x, w, b):
        if pad < 0:
            x = x[-pad : x.shape[0] + pad]
        # [T, B, C] -> [B, C, T]; weight [K, in, out] -> [out, in, K]
        y = conv1d(x.permute(1, 2, 0), w.permute(2, 1, 0), b, padding=max(pad, 0))
        return y.permute(2, 0, 1).contiguous()

    return composite("ConvTbcBackward0", convolve, input, weight, bias)
