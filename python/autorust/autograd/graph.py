"""``autorust.autograd.graph``: the graph-node type, where PyTorch keeps it,
and the saved-tensor hooks: ``saved_tensors_hooks(pack_hook, unpack_hook)``,
``save_on_cpu`` and ``disable_saved_tensors_hooks``.

While a ``saved_tensors_hooks`` block is active on a thread, every tensor an
op saves for backward (and every tensor a custom ``Function`` passes to
``ctx.save_for_backward``) goes through ``pack_hook``; only its result is
kept, and ``unpack_hook`` gives the tensor back when backward (or a
``grad_fn._saved_*`` attribute) needs it. The innermost block applies. The
ops that keep their saved state inside one fused backward kernel (the
attention, normalisation and recurrent layers) keep it as is."""

import contextlib
import threading

from .. import _native

Node = _native.Node

__all__ = ["Node", "disable_saved_tensors_hooks", "save_on_cpu", "saved_tensors_hooks"]

_DISABLED = [None]  # the message raised while hooks are disabled
_THREAD = threading.local()  # .pairs: this thread's (pack, unpack) pairs, innermost last (as the native stack)


def _pairs():
    pairs = getattr(_THREAD, "pairs", None)
    if pairs is None:
        pairs = _THREAD.pairs = []
    return pairs


def current_pair():
    """The innermost (pack, unpack) pair on this thread, or None (for
    ``ctx.save_for_backward``)."""
    pairs = _pairs()
    return pairs[-1] if pairs else None


class saved_tensors_hooks:
    """Context manager: tensors saved for backward inside it go through
    ``pack_hook(tensor) -> anything`` and come back through
    ``unpack_hook(packed) -> Tensor``."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _DISABLED[0] is not None:
            raise RuntimeError(_DISABLED[0])
        _native._push_saved_tensors_hooks(self.pack_hook, self.unpack_hook)
        _pairs().append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *args):
        _pairs().pop()
        _native._pop_saved_tensors_hooks()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the host and moved back to their device
    when backward needs them (a no-op for tensors already on the CPU)."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            return (tensor.device, tensor.cpu())

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Inside, entering a ``saved_tensors_hooks`` block raises
    ``RuntimeError(error_message)``."""
    previous = _DISABLED[0]
    _DISABLED[0] = error_message
    try:
        yield
    finally:
        _DISABLED[0] = previous
