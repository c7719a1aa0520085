"""``autorust.cuda``: PyTorch's CUDA queries, answered for the wgpu GPU
device (``"cuda"`` is an alias of it).

``is_available()`` is True for a hardware GPU (discrete, integrated or
virtual) and False for a software adapter such as Mesa's lavapipe, which
emulates the GPU on the CPU cores (correct, ~100x slower than the CPU path):
a script that writes ``"cuda" if torch.cuda.is_available() else "cpu"`` then
takes the path PyTorch would take on that machine, the CPU. Asking for the
device explicitly (``device="cuda"``, ``.cuda()``) still uses any adapter,
lavapipe included; ``autorust.wgpu.is_available()`` reports any adapter.
"""

from .. import wgpu as _wgpu
from ..wgpu import (  # noqa: F401
    current_device,
    empty_cache,
    get_device_name,
    get_device_properties,
    memory_allocated,
    synchronize,
)


def is_available():
    return _wgpu.is_available() and _wgpu.get_device_type() != "cpu"


def device_count():
    return 1 if is_available() else 0


def is_bf16_supported(including_emulation=True):
    """False: autorust has no bfloat16 type yet (see the dtypes issue)."""
    return False


def set_device(device):
    """The one GPU device (index 0) is the current one already; another
    index does not exist here."""
    index = device if isinstance(device, int) else getattr(device, "index", None)
    if index not in (None, 0):
        raise RuntimeError(f"CUDA error: invalid device ordinal {index} (autorust has one GPU device)")


def manual_seed(seed):
    # GPU tensors are drawn on the CPU stream and copied over, so seeding the
    # CPU generator (autorust.manual_seed) already covers them
    return None


def manual_seed_all(seed):
    return None


from . import amp  # noqa: E402,F401  (torch.cuda.amp, the older mixed-precision spellings)
