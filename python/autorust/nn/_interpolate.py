"""F.interpolate / F.upsample: nearest, nearest-exact, (bi/tri)linear,
bicubic and area resampling of [N, C, *spatial] with PyTorch's index and
weight arithmetic, one graph node per call with PyTorch's name."""

import math
import numbers

from .._composite import composite
from .._dtype import float32, float64, int64
from ._conv_pool_1d import adaptive_avg_pool1d

# PyTorch's node per (mode, spatial dims)
_UPSAMPLE_NODES = {
    ("nearest", 1): "UpsampleNearest1DBackward0",
    ("nearest", 2): "UpsampleNearest2DBackward0",
    ("nearest", 3): "UpsampleNearest3DBackward0",
    ("nearest-exact", 1): "_UpsampleNearestExact1DBackward0",
    ("nearest-exact", 2): "_UpsampleNearestExact2DBackward0",
    ("nearest-exact", 3): "_UpsampleNearestExact3DBackward0",
    ("linear", 1): "UpsampleLinear1DBackward0",
    ("bilinear", 2): "UpsampleBilinear2DBackward0",
    ("trilinear", 3): "UpsampleTrilinear3DBackward0",
    ("bicubic", 2): "UpsampleBicubic2DBackward0",
}


_INTERPOLATING_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_INTERPOLATE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "lanczos", "area", "nearest-exact")


def _check_interpolate(input, size, scale_factor, mode, align_corners, antialias):
    """PyTorch's argument checks: every argument is honoured or refused."""
    if input.dim() not in (3, 4, 5) or mode not in _INTERPOLATE_MODES:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: "
            f"{' | '.join(_INTERPOLATE_MODES)} (got {mode})"
        )
    need = _INTERPOLATING_MODE_DIMS.get(mode)
    if need is not None and input.dim() - 2 != need:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need + 2}D input")
    if align_corners is not None and need is None:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if antialias:
        if mode not in ("bilinear", "bicubic"):
            raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor as input")
        raise NotImplementedError("interpolate: antialias=True is not supported by autorust")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None, antialias=False):
    """nearest, linear, bilinear (align_corners either way) on [N, C, *spatial], as one node."""
    _check_interpolate(input, size, scale_factor, mode, align_corners, antialias)
    if mode == "area":
        return _area(input, size, scale_factor)
    node = _UPSAMPLE_NODES.get((mode, input.dim() - 2))
    run = lambda x: _interpolate(x, size, scale_factor, mode, align_corners, recompute_scale_factor)  # noqa: E731
    return composite(node, run, input) if node else run(input)


def _output_sizes(input, size, scale_factor):
    """The spatial output sizes, and the scale factors per dim (None when
    the sizes were given)."""
    spatial = input.dim() - 2
    if size is not None:
        return ([size] * spatial if isinstance(size, numbers.Integral) else list(size)), None
    sf = [scale_factor] * spatial if isinstance(scale_factor, numbers.Real) else list(scale_factor)
    return [math.floor(i * s) for i, s in zip(input.shape[2:], sf)], sf


def _interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor):
    in_sizes = list(input.shape[2:])
    out_sizes, sf = _output_sizes(input, size, scale_factor)
    if sf is None or recompute_scale_factor:
        scales = [o / i for o, i in zip(out_sizes, in_sizes)]
    else:
        scales = [float(s) for s in sf]
    from .._creation import arange

    out = input
    for axis, (n_in, n_out, sc) in enumerate(zip(in_sizes, out_sizes, scales)):
        d = 2 + axis
        pos = arange(n_out, dtype=input.dtype if input.is_floating_point() else float32, device=input.device)
        if mode in ("nearest", "nearest-exact"):
            given = size is None and not recompute_scale_factor
            out = out.index_select(d, _nearest_source(n_in, n_out, sc if given else None, mode == "nearest-exact", input.device))
        elif mode in ("linear", "bilinear", "trilinear"):
            if align_corners:
                src = pos * ((n_in - 1) / (n_out - 1)) if n_out > 1 else pos * 0
            else:
                src = ((pos + 0.5) * (1.0 / sc) - 0.5).clamp(min=0)
            lo = src.floor().clamp(0, n_in - 1)
            hi = (lo + 1).clamp(max=n_in - 1)
            frac = src - lo
            lo_i, hi_i = lo.to(int64), hi.to(int64)
            shape = [1] * out.dim()
            shape[d] = n_out
            frac = frac.reshape(shape)
            out = out.index_select(d, lo_i) * (1 - frac) + out.index_select(d, hi_i) * frac
        elif mode == "bicubic":
            out = _bicubic_axis(out, d, n_in, n_out, sc, align_corners)
        else:
            raise NotImplementedError(f"interpolate: mode '{mode}' is not supported by autorust")
    return out


_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution coefficient


def _bicubic_axis(x, d, n_in, n_out, scale, align_corners):
    """Cubic convolution along dim d, as PyTorch's upsample_bicubic2d: four
    taps around floor(src) (indices clamped to the input), weights from the
    cubic convolution kernel with A = -0.75; src = dst * (n_in - 1) /
    (n_out - 1) with align_corners, else (dst + 0.5) / scale - 0.5 (no
    clamp at 0 for cubic). Host arithmetic in the input's precision."""
    import numpy as np

    from .._creation import tensor

    ft = np.float64 if x.dtype == float64 else np.float32
    if align_corners:
        step = ft((n_in - 1) / (n_out - 1)) if n_out > 1 else ft(0)
        src = step * np.arange(n_out, dtype=ft)
    else:
        src = ft(1.0 / scale) * (np.arange(n_out, dtype=ft) + ft(0.5)) - ft(0.5)
    base = np.floor(src)
    t = (src - base).astype(ft)
    a = ft(_CUBIC_A)

    def near(v):  # |v| <= 1
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def far(v):  # 1 < |v| < 2
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    shape = [1] * x.dim()
    shape[d] = n_out
    out = None
    for k, w in enumerate(weights):
        idx = np.clip(base.astype(np.int64) - 1 + k, 0, n_in - 1)
        term = x.index_select(d, tensor(idx, device=x.device)) * tensor(w.astype(ft), dtype=x.dtype, device=x.device).reshape(shape)
        out = term if out is None else out + term
    return out


def _area(input, size, scale_factor):
    """PyTorch's area mode: adaptive average pooling to the output size."""
    spatial = input.dim() - 2
    out_sizes, _ = _output_sizes(input, size, scale_factor)
    if spatial == 1:
        return adaptive_avg_pool1d(input, out_sizes[0])
    if spatial == 2:
        from ._conv_pool import adaptive_avg_pool2d

        return adaptive_avg_pool2d(input, tuple(out_sizes))
    raise NotImplementedError("interpolate: mode 'area' on 5-D input (adaptive_avg_pool3d) is not supported by autorust")


def _nearest_source(n_in, n_out, scale, exact, device):
    """The input index of each output index, in PyTorch's float32
    arithmetic: floor(dst * s), or floor((dst + 0.5) * s) for nearest-exact
    (the product in double, rounded to float), s = float(1 / scale_factor)
    or, with no scale factor, float(n_in) / n_out; capped at the last input
    index."""
    import numpy as np

    from .._creation import tensor

    s = np.float32(1.0 / scale) if scale is not None else np.float32(n_in) / np.float32(n_out)
    dst = np.arange(n_out)
    if exact:
        src = np.floor(((dst + 0.5) * np.float64(s)).astype(np.float32))
    else:
        src = np.floor(dst.astype(np.float32) * s)
    return tensor(np.minimum(src.astype(np.int64), n_in - 1), device=device)


def _deprecated(name):
    from .._warn import warn_user

    warn_user(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
