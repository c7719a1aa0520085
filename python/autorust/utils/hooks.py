"""``autorust.utils.hooks``: the handle every ``register_*hook`` returns."""

import itertools

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Returned by ``register_*_hook``; ``remove()`` unregisters the hook.

    ``hooks_dict`` is where the hook is kept under ``handle.id`` (a dict, or
    any object with ``pop(id, default)``)."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, id=None):  # noqa: A002  (PyTorch's name)
        self._hooks = hooks_dict
        self.id = next(RemovableHandle._next_id) if id is None else id

    def remove(self):
        if self._hooks is not None:
            self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
