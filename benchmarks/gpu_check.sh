#!/usr/bin/env bash
# The real-GPU check, in one go (under 8 minutes on an H200): the GPU test
# suites with the GPU required, then benchmarks/gpu_check.py (autorust's
# wgpu device beside PyTorch CUDA). Run it from anywhere on a machine with a
# GPU, its Vulkan driver and loader, numpy, pytest and PyTorch, after
# building the extension (`make build`, or copying a built
# python/autorust/_native.abi3.so); wgpu-py is needed for the shader
# conformance suite. PYTHON picks the interpreter (default python3).
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
export AUTORUST_WGPU_BACKEND=vulkan
status=0

echo "== adapter"
$PY -c "import autorust as a; p = a.wgpu.get_device_properties(); print(p)" || exit 1

echo "== GPU suites (AUTORUST_REQUIRE_GPU=1)"
AUTORUST_REQUIRE_GPU=1 timeout 300 $PY -m pytest -q -p no:cacheprovider \
    tests/test_gpu.py tests/test_op_table_on_devices.py \
    tests/test_seeds_on_devices.py tests/test_shader_conformance.py || status=1

echo "== autorust wgpu beside PyTorch CUDA"
timeout 300 $PY benchmarks/gpu_check.py || status=1
exit $status
