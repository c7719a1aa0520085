"""``autorust.device`` and the default device. ``"wgpu"``, ``"gpu"`` and
``"cuda"`` (with any index, as PyTorch scripts write it) all name the one
wgpu GPU device.

Tensors on the GPU report it under the family the program last named it by
(``tensor.cuda()``, ``device="cuda"`` -> ``device(type='cuda', index=0)``;
``"wgpu"``/``"gpu"`` -> ``device(type='wgpu', index=0)``), so a PyTorch script
that tests ``x.device.type == "cuda"`` or prints its tensors sees what PyTorch
shows it. Both names compare equal: they are one device.
"""

_GPU_NAMES = ("cuda", "wgpu", "gpu")

# the GPU's type as tensors report it: "wgpu" until the program says "cuda"
_GPU_SHOWN_AS = ["wgpu"]


def _note_gpu_name(type_):
    _GPU_SHOWN_AS[0] = "cuda" if type_ == "cuda" else "wgpu"


def _family(type_):
    return "gpu" if type_ in _GPU_NAMES else type_


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or a device, got {type.__class__.__name__}")
        if ":" in type:
            type, idx = type.split(":", 1)
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "meta") + _GPU_NAMES:
            raise RuntimeError("Expected one of cpu, cuda, wgpu, gpu, meta device type at start of device string: " + type)
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (_family(self.type), self.index) == (_family(other.type), other.index)

    def __hash__(self):
        return hash((_family(self.type), self.index))

    # ``with torch.device("meta"): ...``: the default device of the
    # creation functions inside the block (nn layers' parameters included)
    def __enter__(self):
        _CONTEXT_STACK.append(_DEFAULT[0])
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        _DEFAULT[0] = _CONTEXT_STACK.pop()
        return False


# the device creation functions use when given none (set_default_device)
_DEFAULT = ["cpu"]
# the defaults `with device(...)` blocks replaced, innermost last
_CONTEXT_STACK = []


def _check_device(d):
    """Validates a device argument and names its backend: "cpu" or "wgpu"."""
    if d is None:
        return _DEFAULT[0]
    if isinstance(d, int):
        d = device("cuda", d)
    dev = device(d)
    if dev.type in ("cpu", "meta"):
        return dev.type
    if dev.index not in (None, 0):
        raise RuntimeError(f"autorust: device '{dev}' does not exist: the wgpu backend drives one GPU (index 0)")
    _note_gpu_name(dev.type)
    return "wgpu"


def _tensor_device(backend):
    """``Tensor.device`` for the native backend name ("cpu", "meta" or "wgpu:0")."""
    if backend in ("cpu", "meta"):
        return device(backend)
    return device(_GPU_SHOWN_AS[0], 0)


def set_default_device(d):
    """Where creation functions put tensors when not given ``device=``."""
    _DEFAULT[0] = "cpu" if d is None else _check_device(d)


def get_default_device():
    return _tensor_device(_DEFAULT[0] if _DEFAULT[0] != "wgpu" else "wgpu:0")
