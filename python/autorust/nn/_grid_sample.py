"""``F.affine_grid`` and ``F.grid_sample`` for 4-D inputs (the spatial
transformer's pair), with PyTorch's coordinate conventions: grid values in
[-1, 1] mapped to pixel centres (align_corners=False) or corners (True),
padding by zeros, border clamping or reflection, bilinear or nearest
sampling. Built from differentiable tensor ops in one node each, so
gradients reach both the input and the grid (the grid's is zero for
nearest, as PyTorch's)."""

import warnings

from .. import _native
from .._composite import composite
from ..autograd.function import Function

Tensor = _native.Tensor

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


def _align_default(align_corners, name):
    if align_corners is None:
        warnings.warn(
            "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for details.",
            UserWarning,
            stacklevel=3,
        )
        return False
    return bool(align_corners)


def _linspace_from_neg_one(like, steps, align_corners):
    from .._creation import linspace, tensor

    if steps <= 1:
        return tensor(0.0, dtype=like.dtype, device=like.device)
    values = linspace(-1, 1, steps, dtype=like.dtype, device=like.device)
    return values if align_corners else values * (steps - 1) / steps


def affine_grid(theta, size, align_corners=None):
    """The sampling grid ([N, H, W, 2], x then y) of the affine maps
    ``theta`` ([N, 2, 3]) for an output of ``size`` (N, C, H, W)."""
    align_corners = _align_default(align_corners, "affine_grid")
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    given, size = size, list(size)
    if len(size) != 4:
        raise NotImplementedError(f"affine_grid only supports 4D sizes in autorust (PyTorch also takes 5D), got size {size}")
    if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {given}. Got {theta.shape}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    if align_corners and max(size[-2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. This is not an issue for standard use cases and is often ignored.", UserWarning, stacklevel=2)
    N, _, H, W = size
    if theta.shape[0] != N:
        raise RuntimeError(f"affine_grid: theta of batch {theta.shape[0]} for a size of batch {N}")
    return _AffineGrid.apply(theta, N, H, W, align_corners)


def _base_grid(like, N, H, W, align_corners):
    """[N, H * W, 3]: each output position's (x, y, 1)."""
    xs = _linspace_from_neg_one(like, W, align_corners).reshape(1, W).expand(H, W)
    ys = _linspace_from_neg_one(like, H, align_corners).reshape(H, 1).expand(H, W)
    base = _native.stack([xs, ys, xs.new_ones(H, W)], -1)
    return base.reshape(1, H * W, 3).expand(N, H * W, 3)


class _AffineGrid(Function):
    """grid = base @ theta^T: linear in theta, so its node saves no tensor
    (the base is rebuilt from the sizes), as PyTorch's: it can run again."""

    _jvp_from_backward = True
    _node_name = "AffineGridGeneratorBackward0"

    @staticmethod
    def forward(ctx, theta, N, H, W, align_corners):
        ctx.sizes = (N, H, W, align_corners)
        # x * t0 + y * t1 + t2, each product and sum rounded in that order
        # (PyTorch's small-batch product loop; a GEMM's fused sums differ)
        base = _base_grid(theta, N, H, W, align_corners)
        xs, ys = base[..., 0:1], base[..., 1:2]
        rows = theta.reshape(N, 1, 6)
        coords = [xs * rows[..., 3 * r : 3 * r + 1] + ys * rows[..., 3 * r + 1 : 3 * r + 2] + rows[..., 3 * r + 2 : 3 * r + 3] for r in (0, 1)]
        return _native.cat(coords, -1).reshape(N, H, W, 2)

    @staticmethod
    def backward(ctx, grad):
        N, H, W, align_corners = ctx.sizes
        base = _base_grid(grad, N, H, W, align_corners)
        return base.transpose(1, 2).bmm(grad.reshape(N, H * W, 2)).transpose(1, 2), None, None, None, None


def _unnormalize(coord, size, align_corners):
    # PyTorch's vectorised CPU kernel's forms (their rounding)
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return (coord + 1) * (size / 2) - 0.5


def _clip(coord, size):
    """Clamped into [0, size - 1]; the gradient passes strictly inside only
    (PyTorch counts the borders as outside)."""
    inside = (coord > 0) & (coord < size - 1)
    clamped = coord.clamp(0, size - 1).detach()
    return clamped + (coord - coord.detach()) * inside.to(coord.dtype)


def _reflect(coord, size, align_corners):
    """Folded back into the input as a mirror (about the corner pixels'
    centres when align_corners, about their outer edges otherwise)."""
    if align_corners:
        if size <= 1:
            return coord * 0
        low, twice_span = 0.0, (size - 1) * 2
    else:
        low, twice_span = -0.5, size * 2
    distance = (coord - low).abs()
    extra = distance - (distance / twice_span).trunc() * twice_span
    return extra.minimum(twice_span - extra) + low


def _source_coordinates(coord, size, padding_mode, align_corners):
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        coord = _clip(coord, size)
    elif padding_mode == "reflection":
        coord = _clip(_reflect(coord, size, align_corners), size)
    return coord


def _gather_at(flat, iy, ix, H, W, C):
    """input values at integer positions (iy, ix) ([N, Ho, Wo]), zero where
    outside the input: [N, C, Ho * Wo]."""
    inside = (ix >= 0) & (ix <= W - 1) & (iy >= 0) & (iy <= H - 1)
    index = (iy.clamp(0, H - 1) * W + ix.clamp(0, W - 1)).long().reshape(ix.shape[0], 1, -1)
    values = flat.gather(2, index.expand(ix.shape[0], C, index.shape[-1]))
    return _native.where(inside.reshape(ix.shape[0], 1, -1), values, 0.0)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """``input`` [N, C, H, W] sampled at ``grid`` [N, Ho, Wo, 2] (x, y in
    [-1, 1]): [N, C, Ho, Wo]."""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but got: '{padding_mode}'")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample(mode='bicubic') is not supported by autorust")
    align_corners = _align_default(align_corners, "grid_sample")
    if input.dim() != 4:
        raise NotImplementedError(f"grid_sample only supports 4-D input in autorust (PyTorch also takes 5-D), got {input.dim()}-D")
    if grid.dim() != 4 or grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension, but got grid with sizes {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input has {input.dtype} and grid has {grid.dtype}")
    N, C, H, W = input.shape
    Ho, Wo = grid.shape[1], grid.shape[2]

    def sample(x, g):
        flat = x.reshape(N, C, H * W)
        ix = _source_coordinates(g[..., 0], W, padding_mode, align_corners)
        iy = _source_coordinates(g[..., 1], H, padding_mode, align_corners)
        if mode == "nearest":
            out = _gather_at(flat, iy.round(), ix.round(), H, W, C)
            return out.reshape(N, C, Ho, Wo)
        x0, y0 = ix.floor(), iy.floor()
        x1, y1 = x0 + 1, y0 + 1
        # the kernel's weights: west/east from the fractional x, north/south from y
        w = ix - x0
        e = 1 - w
        n = iy - y0
        south = 1 - n
        out = 0
        for cy, cx, weight in ((y0, x0, south * e), (y0, x1, south * w), (y1, x0, n * e), (y1, x1, n * w)):
            out = out + _gather_at(flat, cy, cx, H, W, C) * weight.reshape(N, 1, Ho * Wo)
        return out.reshape(N, C, Ho, Wo)

    return composite("GridSampler2DBackward0", sample, input, grid)
