"""``autorust.wgpu``: the GPU device, driven through wgpu (Vulkan, Metal,
DX12). The context starts on first use; with no adapter, GPU ops raise a
RuntimeError that says what to install, and CPU work is unaffected."""

from . import _native


def _has_backend():
    return hasattr(_native, "_wgpu_is_available")


def is_available():
    """Whether a GPU adapter can be used (starts the context on first call)."""
    return _has_backend() and _native._wgpu_is_available()


def device_count():
    return 1 if is_available() else 0


def current_device():
    return 0


def get_device_name(device=None):
    """The adapter's name and API, e.g. ``llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)``."""
    return _native._wgpu_device_name()


def get_device_type(device=None):
    """ "discrete", "integrated", "virtual", "other", or "cpu" for a software
    device such as Mesa's lavapipe (correct, but slower than the CPU path)."""
    return _native._wgpu_device_type()


def synchronize(device=None):
    """Submits pending GPU work and waits for it to finish."""
    if is_available():
        _native._wgpu_synchronize()


def memory_allocated(device=None):
    """Bytes in device buffers held by live tensors (rounded to the pool's size classes)."""
    return _native._wgpu_memory_allocated() if is_available() else 0


def empty_cache():
    """Releases the pool's cached (free) buffers to the driver."""
    if is_available():
        _native._wgpu_empty_cache()


def stats():
    """Counters since start: queue submissions, dispatches, pool hits and
    misses, bytes allocated (live) and cached (free in the pool)."""
    if not is_available():
        return {}
    return _native._wgpu_stats()


class _DeviceProperties:
    """What ``get_device_properties`` returns: ``name``, ``type``,
    ``backend``, ``driver`` and the limits that bound tensor sizes
    (``max_storage_buffer_binding_size``: the largest tensor in bytes)."""

    def __init__(self, props, device_type):
        self.type = device_type
        for k, v in props.items():
            setattr(self, k, v)

    def __repr__(self):
        return f"_WgpuDeviceProperties(name='{self.name}', type='{self.type}', backend='{self.backend}', max_storage_buffer_binding_size={self.max_storage_buffer_binding_size})"


def get_device_properties(device=None):
    return _DeviceProperties(_native._wgpu_properties(), get_device_type())


def _check_on_device(ok, message):
    """A device-side check (as CUDA's device-side asserts): the GPU tests
    that every element of the bool tensor `ok` holds; a failure raises
    RuntimeError(message) at the next synchronisation (.item(), .cpu(),
    synchronize()) instead of costing a readback here."""
    _native._wgpu_assert_all(ok, message)
