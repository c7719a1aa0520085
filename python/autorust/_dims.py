"""Dimension arguments as PyTorch reads them, for ops written in Python."""

__all__ = ["no_dims_error", "wrap_dim"]


def wrap_dim(dim, ndim):
    """``dim`` (negative counts from the end) as an index into ``ndim``
    dimensions; a 0-d tensor has one addressable dimension (-1 or 0), as in
    PyTorch. Out of range is PyTorch's IndexError."""
    span = ndim if ndim > 0 else 1
    if not -span <= dim < span:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-span}, {span - 1}], but got {dim})")
    return dim % span


def no_dims_error(dim):
    """PyTorch's IndexError for a dim given to an op on a 0-d tensor that
    needs a real one (roll, unbind, take_along_dim, ...)."""
    return IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
