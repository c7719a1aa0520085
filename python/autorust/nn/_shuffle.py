"""Rearranging channels and space: pixel shuffle and unshuffle, channel shuffle."""

from .. import _native
from .._composite import composite
from .._grad_mode import no_grad


def pixel_shuffle(input, upscale_factor):
    return composite("PixelShuffleBackward0", lambda x: _pixel_shuffle(x, upscale_factor), input)


def _pixel_shuffle(input, upscale_factor):
    r = upscale_factor
    *lead, c, h, w = input.shape
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    nd = x.dim()
    perm = list(range(nd - 5)) + [nd - 5, nd - 2, nd - 4, nd - 1, nd - 3]
    return x.permute(*perm).reshape(*lead, c // (r * r), h * r, w * r)


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
