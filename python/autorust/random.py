"""``autorust.random``: the global random stream's seed and state, as
``torch.random``. A state is an int64 tensor (PyTorch's is a uint8 byte
tensor of another layout); it is only meant to be passed back."""

import contextlib

from ._rng import get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed", "set_rng_state"]


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
