"""``autorust.random``: the global random stream's seed and state, as
``torch.random``. A state is an int64 tensor (PyTorch's is a uint8 byte
tensor of another layout); it is only meant to be passed back."""

import contextlib

from . import _native
from ._creation import Generator, initial_seed, manual_seed, seed

__all__ = ["fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed", "set_rng_state"]


def _state_tensor(words):
    from ._creation import tensor
    from ._dtype import int64

    return tensor(words, dtype=int64)


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


Generator.get_state = _generator_get_state
Generator.set_state = _generator_set_state


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
    """Draws inside the block do not move the global stream outside it."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
