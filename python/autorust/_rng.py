"""The random streams: the global one (its seed, its state, and
``default_generator`` standing for it) and ``Generator`` objects' state.
A state is an int64 tensor (PyTorch's is a uint8 byte tensor of another
layout); it is only meant to be passed back."""

import numpy as np

from . import _native
from ._dtype import int64


def _state_tensor(words):
    # (built here, not by _creation.tensor: the factories draw through this module)
    arr = np.asarray(words, dtype=np.int64)
    return _native.from_buffer(arr.ctypes.data, arr.shape, int64, arr, True)


def _words(new_state):
    if not isinstance(new_state, _native.Tensor):
        raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
    return [int(v) for v in new_state.tolist()]


def get_rng_state():
    """The global stream's state, for ``set_rng_state``."""
    return _state_tensor(_native._rng_state_words())


def set_rng_state(new_state):
    """Puts the global stream back to a state ``get_rng_state`` returned."""
    _native._set_rng_state_words(_words(new_state))


def _generator_get_state(self):
    return _state_tensor(self._state_words())


def _generator_set_state(self, new_state):
    self._set_state_words(_words(new_state))
    return self


def manual_seed(seed):
    _native.manual_seed(int(seed))
    return default_generator


class _DefaultGenerator:
    """``autorust.default_generator``: the global stream."""

    def manual_seed(self, seed):
        _native.manual_seed(int(seed))
        return self

    def initial_seed(self):
        return _native.initial_seed()

    def seed(self):
        return seed()

    def get_state(self):
        return get_rng_state()

    def set_state(self, new_state):
        set_rng_state(new_state)
        return self


default_generator = _DefaultGenerator()
Generator = _native.Generator


def seed():
    import time

    s = int(time.time_ns() & 0x7FFFFFFF)
    _native.manual_seed(s)
    return s


def initial_seed():
    return _native.initial_seed()


# Generator is the native class; its state travels as the tensor above
Generator.get_state = _generator_get_state
Generator.set_state = _generator_set_state
