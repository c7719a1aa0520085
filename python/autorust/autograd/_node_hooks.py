"""What a ``grad_fn`` offers beyond its name and edges, as PyTorch's nodes:
``register_prehook`` and ``register_hook`` (each returns a handle whose
``remove()`` takes the hook off) and the saved tensors under PyTorch's
attribute names (``_saved_self``, ``_saved_other``, ``_saved_result``, ...).

The hooks run in the native engine (``src/node_hooks.rs``): a pre-hook is
``hook(grad_outputs) -> tuple or None``, a post-hook is
``hook(grad_inputs, grad_outputs) -> tuple or None``; a returned tuple
replaces the gradients. Both run only when the node runs."""

from .. import _native
from ..utils.hooks import RemovableHandle
from ._tensor_identity import remember

Node = _native.Node

_SAVED = "_saved_"
_RAW_SAVED = "_raw_saved_"


class _NodeHookStore:
    """The ``hooks_dict`` of a handle for a hook kept by a native node. It
    keeps the node's key, not the node: a handle does not keep a graph alive."""

    __slots__ = ("_key",)

    def __init__(self, node):
        self._key = hash(node)

    def pop(self, hook_id, default=None):
        Node._remove_hook_by_key(self._key, hook_id)
        return default


def register_prehook(self, fn):
    """Registers ``fn(grad_outputs) -> tuple of Tensors or None``, called with
    the gradients flowing into this node before it runs."""
    return RemovableHandle(_NodeHookStore(self), id=self._register_prehook(fn))


def register_hook(self, fn):
    """Registers ``fn(grad_inputs, grad_outputs) -> tuple of Tensors or None``,
    called after this node computed the gradients of its inputs."""
    return RemovableHandle(_NodeHookStore(self), id=self._register_hook(fn))


class SavedTensor:
    """``grad_fn._raw_saved_<name>``: one tensor a node saved, to give its
    own pack/unpack pair (``register_hooks``)."""

    def __init__(self, node, name):
        self._node = node
        self._name = name

    def register_hooks(self, pack_hook, unpack_hook):
        """``pack_hook(tensor)`` runs now, ``unpack_hook(packed)`` each time
        the tensor is used (by the backward, or ``grad_fn._saved_<name>``)."""
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("register_hooks(): incompatible function arguments: expected two callables (pack_hook, unpack_hook)")
        self._node._register_saved_hooks(self._name, pack_hook, unpack_hook)


def _saved_attribute(self, name):
    if name.startswith(_RAW_SAVED) and self._has_saved(name[len(_RAW_SAVED) :]):
        return SavedTensor(self, name[len(_RAW_SAVED) :])
    if name.startswith(_SAVED):
        known, value = self._saved(name[len(_SAVED) :])
        if known:
            return remember(value) if isinstance(value, _native.Tensor) else value
    raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


Node.register_prehook = register_prehook
Node.register_hook = register_hook
Node.__getattr__ = _saved_attribute
