"""The one rule for tests that need a GPU adapter: without one they skip,
unless AUTORUST_REQUIRE_GPU is set (CI, with Mesa's lavapipe), where a
missing adapter is a failure rather than a silent skip. Called at a module's
top, before it builds anything on the device."""

import os

import pytest

INSTALL_HINT = "install a Vulkan driver (apt-get install mesa-vulkan-drivers libvulkan1)"


def skip_or_fail(why):
    """Skips the calling module for `why`, or raises where a GPU is required."""
    if os.environ.get("AUTORUST_REQUIRE_GPU"):
        raise RuntimeError(f"AUTORUST_REQUIRE_GPU is set but {why}")
    pytest.skip(why, allow_module_level=True)


def require_wgpu(autorust):
    """The module's tests run only where autorust found a wgpu adapter."""
    if not autorust.wgpu.is_available():
        skip_or_fail(f"no wgpu adapter is available: {INSTALL_HINT} to run the GPU tests")
