"""``torch.version``: what this build is. autorust has no CUDA, ROCm or
XPU build (its GPU path is wgpu), so those are None, as in a CPU-only
PyTorch."""

__version__ = "0.1.0"
debug = False
cuda = None
hip = None
rocm = None
xpu = None
git_version = "unknown"

__all__ = ["__version__", "cuda", "debug", "git_version", "hip", "rocm", "xpu"]
