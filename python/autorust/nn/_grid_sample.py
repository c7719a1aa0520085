"""``F.affine_grid`` and ``F.grid_sample`` for 4-D and 5-D inputs (the
spatial transformer's pair), with PyTorch's coordinate conventions: grid values in
[-1, 1] mapped to pixel centres (align_corners=False) or corners (True),
padding by zeros, border clamping or reflection, bilinear (trilinear on
volumes) or nearest sampling. Built from differentiable tensor ops in one node each, so
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
    """The sampling grid ([N, H, W, 2], x then y; [N, D, H, W, 3] for a
    5-D size) of the affine maps ``theta`` ([N, 2, 3]; [N, 3, 4]) for an
    output of ``size`` (N, C, H, W) or (N, C, D, H, W)."""
    align_corners = _align_default(align_corners, "affine_grid")
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    given, size = size, list(size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size {given}.")
    dims = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[-2:]) != (dims, dims + 1):
        kind = "2D affine matrices of shape Nx2x3" if dims == 2 else "3D affine matrices of shape Nx3x4"
        raise ValueError(f"Expected a batch of {kind} for size {given}. Got {theta.shape}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    if align_corners and max(size[2:]) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. This is not an issue for standard use cases and is often ignored.",
            UserWarning,
            stacklevel=2,
        )
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: theta of batch {theta.shape[0]} for a size of batch {size[0]}")
    return _AffineGrid.apply(theta, size[0], tuple(size[2:]), align_corners)


def _base_grid(like, N, spatial, align_corners):
    """[N, prod(spatial), dims + 1]: each output position's (x, y[, z], 1)."""
    positions = 1
    for n in spatial:
        positions *= n
    axes = []
    # x runs along the last spatial dim, y the one before, z the first
    for k, steps in enumerate(reversed(spatial)):
        shape = [1] * len(spatial)
        shape[len(spatial) - 1 - k] = steps
        axes.append(_linspace_from_neg_one(like, steps, align_corners).reshape(shape).expand(spatial))
    base = _native.stack(axes + [axes[0].new_ones(spatial)], -1)
    return base.reshape(1, positions, len(spatial) + 1).expand(N, positions, len(spatial) + 1)


class _AffineGrid(Function):
    """grid = base @ theta^T: linear in theta, so its node saves no tensor
    (the base is rebuilt from the sizes), as PyTorch's: it can run again."""

    _jvp_from_backward = True
    _node_name = "AffineGridGeneratorBackward0"

    @staticmethod
    def forward(ctx, theta, N, spatial, align_corners):
        ctx.sizes = (N, spatial, align_corners)
        dims = len(spatial)
        # x * t0 + y * t1 (+ z * t2) + t_last, each product and sum rounded
        # in that order (PyTorch's small-batch product loop; a GEMM's fused
        # sums differ)
        base = _base_grid(theta, N, spatial, align_corners)
        rows = theta.reshape(N, 1, dims * (dims + 1))
        coords = []
        for r in range(dims):
            row = r * (dims + 1)
            total = base[..., 0:1] * rows[..., row : row + 1]
            for c in range(1, dims):
                total = total + base[..., c : c + 1] * rows[..., row + c : row + c + 1]
            coords.append(total + rows[..., row + dims : row + dims + 1])
        return _native.cat(coords, -1).reshape(N, *spatial, dims)

    @staticmethod
    def backward(ctx, grad):
        N, spatial, align_corners = ctx.sizes
        dims = len(spatial)
        base = _base_grid(grad, N, spatial, align_corners)
        positions = base.shape[1]
        return base.transpose(1, 2).bmm(grad.reshape(N, positions, dims)).transpose(1, 2), None, None, None


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


def _gather_at(flat, coords, sizes, C):
    """input values at integer positions ``coords`` (one [N, *out] tensor
    per dim, slowest dim first) of an input of spatial ``sizes``, zero
    where outside it: [N, C, prod(out)]."""
    inside, index = None, None
    for c, n in zip(coords, sizes):
        ok = (c >= 0) & (c <= n - 1)
        inside = ok if inside is None else inside & ok
        clamped = c.clamp(0, n - 1)
        index = clamped if index is None else index * n + clamped
    N = coords[0].shape[0]
    index = index.long().reshape(N, 1, -1)
    values = flat.gather(2, index.expand(N, C, index.shape[-1]))
    return _native.where(inside.reshape(N, 1, -1), values, 0.0)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """``input`` [N, C, H, W] sampled at ``grid`` [N, Ho, Wo, 2] (x, y in
    [-1, 1]): [N, C, Ho, Wo]; volumes [N, C, D, H, W] at [N, Do, Ho, Wo, 3]
    (x, y, z) likewise."""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but got: '{padding_mode}'")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample(mode='bicubic') is not supported by autorust")
    align_corners = _align_default(align_corners, "grid_sample")
    if input.dim() not in (4, 5):
        raise RuntimeError(
            f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    dims = input.dim() - 2
    if grid.shape[-1] != dims:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {dims} in last dimension, but got grid with sizes {list(grid.shape)}")
    if grid.dim() != input.dim():
        raise RuntimeError(
            f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input has {input.dtype} and grid has {grid.dtype}")
    N, C = input.shape[0], input.shape[1]
    sizes = tuple(input.shape[2:])  # slowest first: (H, W) or (D, H, W)
    out_shape = tuple(grid.shape[1:-1])
    positions = 1
    for n in out_shape:
        positions *= n

    def sample(x, g):
        flat = x.reshape(N, C, -1)
        # grid component k is the coordinate along the k-th fastest dim
        coords = [_source_coordinates(g[..., dims - 1 - d], sizes[d], padding_mode, align_corners) for d in range(dims)]
        if mode == "nearest":
            return _gather_at(flat, [c.round() for c in coords], sizes, C).reshape(N, C, *out_shape)
        lows = [c.floor() for c in coords]
        out = 0
        for corner in range(2**dims):
            picks, weight = [], None
            for d in range(dims - 1, -1, -1):  # x, then y, then z: the kernel's order
                high = (corner >> (dims - 1 - d)) & 1
                lo = lows[d]
                factor = coords[d] - lo if high else (lo + 1) - coords[d]
                weight = factor if weight is None else weight * factor
            for d in range(dims):
                picks.append(lows[d] + ((corner >> (dims - 1 - d)) & 1))
            out = out + _gather_at(flat, picks, sizes, C) * weight.reshape(N, 1, positions)
        return out.reshape(N, C, *out_shape)

    name = f"GridSampler{dims}DBackward"
    return composite(f"{name}0", sample, input, grid, link=(f"{name}Backward0", (0, 1)))
