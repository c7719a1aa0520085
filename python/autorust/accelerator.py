"""``autorust.accelerator``: PyTorch's device-agnostic accelerator queries
(``torch.accelerator``), answered for the wgpu GPU device.

PyTorch's tutorials pick their device with
``torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"``.
As with ``autorust.cuda.is_available()``, a software adapter (Mesa's
lavapipe) does not count as available, so such a script runs on the CPU
where PyTorch would. The accelerator is reported as ``cuda``, the name
autorust's GPU device answers to in PyTorch scripts.
"""

from . import cuda as _cuda
from . import wgpu as _wgpu
from ._device import device as _device


def is_available():
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """The accelerator's device (``device(type='cuda')``); with
    ``check_available``, None when it is not available."""
    if check_available and not is_available():
        return None
    return _device("cuda")


def device_count():
    return _cuda.device_count()


def current_device_index():
    return 0


current_device_idx = current_device_index


def set_device_index(device):
    index = device.index if isinstance(device, _device) else device
    if index not in (None, 0, -1):
        raise RuntimeError(f"set_device_index: autorust has one accelerator (index 0), got index {index}")


set_device_idx = set_device_index


def synchronize(device=None):
    return _wgpu.synchronize(device)


def empty_cache():
    return _wgpu.empty_cache()


def memory_allocated(device=None):
    return _wgpu.memory_allocated(device)
