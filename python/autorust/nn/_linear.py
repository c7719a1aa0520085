"""``F.linear`` and ``F.bilinear``."""

from .. import _native
from .._composite import composite


def linear(input, weight, bias=None):
    return _native.linear(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """``y = x1^T A x2 + b`` over the last dimension, with PyTorch's graph:
    TrilinearBackward0 on the rows flattened to 2-D, a view back to the
    batch shape, then the bias added."""
    from .. import einsum

    batch1, batch2 = tuple(input1.shape[:-1]), tuple(input2.shape[:-1])
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for d, (n1, n2) in enumerate(zip(batch1, batch2)):
        if n1 != n2:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {n1} and {n2}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, got a {weight.dim()}-d tensor")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected {weight.shape[2]}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {tuple(bias.shape)} but expected {weight.shape[0]}")
    rows1 = input1.reshape(-1, input1.shape[-1]) if input1.dim() != 2 else input1
    rows2 = input2.reshape(-1, input2.shape[-1]) if input2.dim() != 2 else input2
    out = composite("TrilinearBackward0", lambda a, w, b: einsum("ni,oij,nj->no", a, w, b), rows1, weight, rows2)
    out = out.view(*batch1, weight.shape[0])
    return out if bias is None else out + bias
