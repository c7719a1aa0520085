"""Runs one entry point of `shaders/*.wgsl` through wgpu-py, without the
crate: the shader conformance suite (`test_shader_conformance.py`) drives
every kernel with hand-packed parameter blocks and compares with NumPy.

The binding layout is the shaders' own: binding 0 is the `array<u32>`
parameter block, the other bindings are storage buffers of 32-bit words.
Only the bindings an entry point uses are bound (pipelines use the "auto"
layout, which holds exactly those).
"""

import os
import pathlib
import re

import numpy as np
from gpu_guard import skip_or_fail

SHADER_DIR = pathlib.Path(__file__).resolve().parent.parent / "shaders"
WG = 256
MAX_GROUPS = 65_535

NO_ADAPTER = "wgpu-py found no Vulkan/Metal/DX12 adapter: install a Vulkan driver (apt-get install mesa-vulkan-drivers libvulkan1) and wgpu-py (pip install wgpu==0.32.0) to run the shader conformance suite"


def entry_points(family):
    """The `@compute` entry points of shaders/<family>.wgsl, in file order."""
    src = (SHADER_DIR / f"{family}.wgsl").read_text()
    return re.findall(r"@compute\s+@workgroup_size\([^)]*\)\s*fn\s+(\w+)", src)


def family_source(family):
    """A family's WGSL as the crate composes it (src/backend/gpu/dispatch.rs):
    the shared math library, then shaders/<family>.wgsl."""
    return (SHADER_DIR / "lib" / "accurate_math.wgsl").read_text() + (SHADER_DIR / f"{family}.wgsl").read_text()


def families():
    return sorted(p.stem for p in SHADER_DIR.glob("*.wgsl"))


def _pick_adapter(wgpu):
    # the same backend choice as the crate (AUTORUST_WGPU_BACKEND), and never
    # the GL fallback, which would test a different shader translation
    wanted = os.environ.get("AUTORUST_WGPU_BACKEND", "").lower()
    adapters = [a for a in wgpu.gpu.enumerate_adapters_sync() if a.info["backend_type"].lower() in ("vulkan", "metal", "d3d12")]
    if wanted:
        adapters = [a for a in adapters if a.info["backend_type"].lower().startswith(wanted[:3])]
    return adapters[0] if adapters else None


class WgslRunner:
    """One wgpu-py device; shader modules and pipelines cached per entry."""

    def __init__(self):
        try:
            import wgpu
        except ImportError:
            skip_or_fail("wgpu-py is not installed (pip install wgpu==0.32.0)")
        adapter = _pick_adapter(wgpu)
        if adapter is None:
            skip_or_fail(NO_ADAPTER)
        self.wgpu = wgpu
        self.info = adapter.info
        self.device = adapter.request_device_sync()
        self._modules = {}
        self._pipelines = {}

    def pipeline(self, family, entry):
        key = (family, entry)
        if key not in self._pipelines:
            if family not in self._modules:
                code = family_source(family)
                self._modules[family] = self.device.create_shader_module(code=code)
            self._pipelines[key] = self.device.create_compute_pipeline(layout="auto", compute={"module": self._modules[family], "entry_point": entry})
        return self._pipelines[key]

    def _buffer(self, words):
        data = np.ascontiguousarray(words).view(np.uint32).ravel()
        if data.size < 4:  # bindings need a nonzero size; pad to 16 bytes
            data = np.concatenate([data, np.zeros(4 - data.size, np.uint32)])
        usage = self.wgpu.BufferUsage.STORAGE | self.wgpu.BufferUsage.COPY_SRC | self.wgpu.BufferUsage.COPY_DST
        return self.device.create_buffer_with_data(data=data.tobytes(), usage=usage)

    def run(self, family, entry, params, buffers, groups=None, threads=None):
        """Dispatches `family::entry`.

        params: the u32 parameter block (binding 0). buffers: {binding:
        array of 32-bit elements}, inputs and outputs alike (outputs start
        with the given contents). groups: the workgroup grid, or threads: a
        1-D thread count, folded into 2-D as the crate does. Returns
        {binding: array} read back with each input's dtype.
        """
        if groups is None:
            groups = fold(-(-threads // WG))
        pipe = self.pipeline(family, entry)
        bufs = {0: self._buffer(np.asarray(params, dtype=np.uint32))}
        for binding, arr in buffers.items():
            arr = np.asarray(arr)
            assert arr.dtype.itemsize == 4, f"binding {binding}: 32-bit words only, got {arr.dtype}"
            bufs[binding] = self._buffer(arr)
        entries = [{"binding": b, "resource": {"buffer": buf, "offset": 0, "size": buf.size}} for b, buf in bufs.items()]
        bind = self.device.create_bind_group(layout=pipe.get_bind_group_layout(0), entries=entries)
        enc = self.device.create_command_encoder()
        cpass = enc.begin_compute_pass()
        cpass.set_pipeline(pipe)
        cpass.set_bind_group(0, bind)
        cpass.dispatch_workgroups(*groups)
        cpass.end()
        self.device.queue.submit([enc.finish()])
        out = {}
        for binding, arr in buffers.items():
            arr = np.asarray(arr)
            raw = np.frombuffer(self.device.queue.read_buffer(bufs[binding]), dtype=arr.dtype)
            out[binding] = raw[: arr.size].reshape(arr.shape).copy()
        return out


def fold(groups):
    """The crate's 2-D folding of a 1-D grid past 65,535 workgroups."""
    x = min(groups, MAX_GROUPS)
    y = -(-groups // x) if x else 0
    return (x, y, 1)


def bits(value):
    """A float's f32 bit pattern as a u32 parameter word."""
    return int(np.float32(value).view(np.uint32))


def elem_strides(view, base):
    """(offset, strides) of a NumPy view in elements of its base buffer."""
    item = base.itemsize
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item
    return offset, [s // item for s in view.strides]
