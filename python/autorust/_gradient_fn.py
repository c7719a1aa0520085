"""torch.gradient: the derivative of sampled values along each dim, by
central differences inside and one-sided differences (first or second
order) at the ends, with uniform spacing or given coordinates (NumPy's
and PyTorch's scheme). Written in tensor ops, so it differentiates."""

import numbers

from . import _native

Tensor = _native.Tensor


def _dims(dim, ndim):
    if dim is None:
        return list(range(ndim))
    dims = [dim] if isinstance(dim, numbers.Integral) else list(dim)
    return [d % ndim for d in dims]


def _spacings(spacing, dims, dim_given, ndim):
    """One spacing per dim: a number, or a 1-D tensor of coordinates."""
    if isinstance(spacing, (numbers.Number, Tensor)) and not (isinstance(spacing, Tensor) and spacing.dim() == 1):
        value = spacing.item() if isinstance(spacing, Tensor) else spacing
        return [value] * len(dims)
    spacing = list(spacing)
    if not dim_given and len(spacing) != ndim:
        raise RuntimeError(
            f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to 'self.dim() = {ndim}', "
            f"since dim argument was not given, but got a list of length {len(spacing)}"
        )
    if len(spacing) != len(dims):
        raise RuntimeError(
            f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim arguments to have the same length, "
            f"but got a spacing argument of length {len(spacing)} and a dim argument of length {len(dims)}."
        )
    return [s.item() if isinstance(s, Tensor) and s.dim() == 0 else s for s in spacing]


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = _dims(dim, input.dim())
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    x = input if input.is_floating_point() else input.to(_default_float())
    return tuple(_along(x, d, h, edge_order) for d, h in zip(dims, _spacings(spacing, dims, dim is not None, input.dim())))


def _default_float():
    from ._dtype import get_default_dtype

    return get_default_dtype()


def _along(f, d, h, edge_order):
    n = f.shape[d]
    take = lambda start, length: f.narrow(d, start, length)  # noqa: E731
    if not isinstance(h, Tensor):
        inner = (take(2, n - 2) - take(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (take(1, 1) - take(0, 1)) / h
            last = (take(n - 1, 1) - take(n - 2, 1)) / h
        else:
            first = (-1.5 * take(0, 1) + 2 * take(1, 1) - 0.5 * take(2, 1)) / h
            last = (0.5 * take(n - 3, 1) - 2 * take(n - 2, 1) + 1.5 * take(n - 1, 1)) / h
        return _native.cat([first, inner, last], d)
    if h.shape[0] != n:
        raise RuntimeError(
            f"torch.gradient expected each tensor to be on the same device, and each coordinate tensor to match the size of its dim ({n}), got {h.shape[0]}"
        )
    shape = [1] * f.dim()

    def along(t):  # a 1-D tensor of coefficients shaped to broadcast along d
        s = list(shape)
        s[d] = t.shape[0]
        return t.to(f.dtype).reshape(s)

    dx = h[1:] - h[:-1]
    dx1, dx2 = dx[:-1], dx[1:]
    a = along(-dx2 / (dx1 * (dx1 + dx2)))
    b = along((dx2 - dx1) / (dx1 * dx2))
    c = along(dx1 / (dx2 * (dx1 + dx2)))
    inner = a * take(0, n - 2) + b * take(1, n - 2) + c * take(2, n - 2)
    if edge_order == 1:
        first = (take(1, 1) - take(0, 1)) / along(dx[:1])
        last = (take(n - 1, 1) - take(n - 2, 1)) / along(dx[-1:])
    else:
        d1, d2 = dx[0], dx[1]
        a0, b0, c0 = -(2 * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2), -d1 / (d2 * (d1 + d2))
        first = along(a0.reshape(1)) * take(0, 1) + along(b0.reshape(1)) * take(1, 1) + along(c0.reshape(1)) * take(2, 1)
        d1, d2 = dx[-2], dx[-1]
        a1, b1, c1 = d2 / (d1 * (d1 + d2)), -(d2 + d1) / (d1 * d2), (2 * d2 + d1) / (d2 * (d1 + d2))
        last = along(a1.reshape(1)) * take(n - 3, 1) + along(b1.reshape(1)) * take(n - 2, 1) + along(c1.reshape(1)) * take(n - 1, 1)
    return _native.cat([first, inner, last], d)
