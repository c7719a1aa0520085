"""``autograd.forward_ad``: forward-mode AD through dual tensors.

Inside ``dual_level()`` a tensor made by ``make_dual(primal, tangent)``
carries its tangent through every op (grad mode or not); ``unpack_dual``
reads a result's tangent, the Jacobian-vector product. The tangents live in
the native tensors (``src/forward_ad.rs`` says how each op computes its
product); here are PyTorch's functions and checks around them. As in
PyTorch, one level exists at a time, and leaving it drops every tangent.
"""

from collections import namedtuple

from .. import _native
from .._decorator_context import DecoratorContext
from ._tensor_identity import remember

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]

Tensor = _native.Tensor

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

_current_level = -1


def enter_dual_level():
    """Enters the (one) forward-AD level; returns it."""
    global _current_level
    _current_level = _native._enter_dual_level()
    return _current_level


def exit_dual_level(*, level=None):
    """Leaves the level: every tangent made in it is dropped."""
    global _current_level
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is not supported.")
    _native._exit_dual_level(level)
    _current_level = level - 1


def _level_or_current(level):
    return _current_level if level is None else level


def make_dual(tensor, tangent, *, level=None):
    """A view of ``tensor`` whose tangent is ``tangent`` (itself when it has
    the primal's strides, else a copy laid out as the primal)."""
    level = _level_or_current(level)
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first.")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError(f"make_dual(): expected tensors, got {type(tensor).__name__} and {type(tangent).__name__}")
    if not tensor.dtype.is_floating_point:
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.dtype.is_floating_point:
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is not supported. "
            f"Tensor is of size {list(tensor.shape)} while the given forward gradient is of size {list(tangent.shape)}."
        )
    if _native._tangent(tensor) is not None:
        raise RuntimeError(f"Making a dual Tensor based on a Tensor that already has a forward gradient at the same level {level} is not supported.")
    if tangent.stride() != tensor.stride():
        from .._grad_mode import no_grad

        with no_grad():  # the primal's layout (as its clone has it), the tangent's values
            laid_out = tensor.detach().clone().to(tangent.dtype)
            laid_out.copy_(tangent)
        tangent = laid_out
    dual = tensor.view_as(tensor)
    _native._set_tangent(dual, tangent)
    remember(tangent)  # unpack_dual hands back this very object
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)``: a view of ``tensor`` without its tangent, and
    the tangent (None when it has none, or outside the level)."""
    level = _level_or_current(level)
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    tangent = _native._tangent(tensor)
    was = _native._set_fwd_grad_enabled(False)
    try:
        primal = tensor.view_as(tensor)
    finally:
        _native._set_fwd_grad_enabled(was)
    return UnpackedDualTensor(primal, remember(tangent))


class dual_level(DecoratorContext):
    """``with dual_level():`` (or as a decorator): the forward-AD level for
    the block; its tangents are dropped when the block ends."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False


def _tangents_of(args):
    """Per argument of a custom Function: its tangent (zeros for a tensor
    without one, None for a non-tensor), or None when no argument has one."""
    if _current_level < 0 or not _native._is_fwd_grad_enabled():
        return None
    found = [_native._tangent(a) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in found):
        return None
    return tuple(t if t is not None or not isinstance(a, Tensor) else a.new_zeros(a.shape) for a, t in zip(args, found))


class fwd_grad_disabled:
    """Tangents do not propagate inside (a custom Function's forward, which
    PyTorch runs so, then calling the Function's ``jvp``)."""

    def __enter__(self):
        self._was = _native._set_fwd_grad_enabled(False)

    def __exit__(self, *exc):
        _native._set_fwd_grad_enabled(self._was)
        return False
