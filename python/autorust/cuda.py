"""``autorust.cuda``: PyTorch's CUDA queries, answered for the wgpu GPU
device (``"cuda"`` is an alias of it), so scripts that test
``autorust.cuda.is_available()`` take their GPU path on any Vulkan, Metal or
DX12 GPU."""

from .wgpu import current_device, device_count, empty_cache, get_device_name, get_device_properties, is_available, memory_allocated, synchronize  # noqa: F401


def manual_seed(seed):
    # GPU tensors are drawn on the CPU stream and copied over, so seeding the
    # CPU generator (autorust.manual_seed) already covers them
    return None


def manual_seed_all(seed):
    return None
