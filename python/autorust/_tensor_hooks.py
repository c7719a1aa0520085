"""Tensor hooks: ``register_hook`` and ``register_post_accumulate_grad_hook``
return a handle whose ``remove()`` takes the hook off, as PyTorch's do."""

import weakref

from . import _native
from .utils.hooks import RemovableHandle

Tensor = _native.Tensor


class _NativeHooks:
    """The `hooks_dict` of a handle for a hook kept by the native tensor."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor):
        self._tensor = weakref.ref(tensor)

    def pop(self, hook_id, default=None):
        t = self._tensor()
        if t is not None:
            t._remove_hook(hook_id)
        return default


def register_hook(self, hook):
    """Registers ``hook(grad) -> Tensor or None``, called with this tensor's
    gradient each time it is computed; a returned tensor replaces it."""
    hook_id = self._register_hook(hook)
    return RemovableHandle(_NativeHooks(self), id=hook_id)


def register_post_accumulate_grad_hook(self, hook):
    """Registers ``hook(tensor) -> None``, called with this leaf (the same
    object) after its ``.grad`` has been accumulated."""
    ref = weakref.ref(self)  # the hook lives on the tensor: no cycle through it

    def call(_native_view):
        t = ref()
        return hook(t) if t is not None else None

    hook_id = self._register_post_accumulate_grad_hook(call)
    return RemovableHandle(_NativeHooks(self), id=hook_id)


Tensor.register_hook = register_hook
Tensor.register_post_accumulate_grad_hook = register_post_accumulate_grad_hook
