"""Grad-mode context managers and decorators: no_grad, enable_grad,
set_grad_enabled, inference_mode."""

from . import _native
from ._decorator_context import DecoratorContext


class _GradModeContext(DecoratorContext):
    """Works as ``with ctx:``, ``@ctx()`` and ``@ctx``."""

    _mode = False

    def __new__(cls, orig_func=None, *args, **kwargs):
        if orig_func is not None and callable(orig_func) and cls is not set_grad_enabled:
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        pass

    def __enter__(self):
        self._prev = _native.set_grad_enabled(self._mode)

    def __exit__(self, *exc):
        _native.set_grad_enabled(self._prev)
        return False


class no_grad(_GradModeContext):
    _mode = False


class enable_grad(_GradModeContext):
    _mode = True


class inference_mode(_GradModeContext):
    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        self._mode = not mode

    def __enter__(self):
        # grad off and new tensors marked as inference tensors
        self._prev_inference = _native.set_inference_mode(not self._mode)
        return super().__enter__()

    def __exit__(self, *exc):
        _native.set_inference_mode(self._prev_inference)
        return super().__exit__(*exc)

    def clone(self):
        return inference_mode(not self._mode)


class set_grad_enabled(_GradModeContext):
    """Sets grad mode at once (as a function) and restores it on exit (as a context)."""

    def __init__(self, mode):
        self._prev = _native.set_grad_enabled(bool(mode))
        self._mode = bool(mode)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _native.set_grad_enabled(self._prev)
        return False

    def clone(self):
        # as a decorator: each call sets the mode and restores it afterwards
        return _Setter(self._mode)


class _Setter(_GradModeContext):
    def __init__(self, mode):
        self._mode = mode


def is_grad_enabled():
    return _native.is_grad_enabled()


def is_inference_mode_enabled():
    return _native.is_inference_mode_enabled()
