"""``autorust.device`` and the default device. ``"wgpu"``, ``"gpu"`` and
``"cuda"`` (with any index, as PyTorch scripts write it) all name the one
wgpu GPU device."""

_GPU_NAMES = ("cuda", "wgpu", "gpu")


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
        if type not in ("cpu",) + _GPU_NAMES:
            raise RuntimeError(
                "Expected one of cpu, cuda, wgpu, gpu device type at start of device string: " + type
            )
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
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


# the device creation functions use when given none (set_default_device)
_DEFAULT = ["cpu"]


def _check_device(d):
    """Validates a device argument and names its backend: "cpu" or "wgpu"."""
    if d is None:
        return _DEFAULT[0]
    if isinstance(d, int):
        d = device("cuda", d)
    dev = device(d)
    if dev.type == "cpu":
        return "cpu"
    if dev.index not in (None, 0):
        raise RuntimeError(f"autorust: device '{dev}' does not exist: the wgpu backend drives one GPU (index 0)")
    return "wgpu"


def set_default_device(d):
    """Where creation functions put tensors when not given ``device=``."""
    _DEFAULT[0] = "cpu" if d is None else _check_device(d)


def get_default_device():
    return device("cpu") if _DEFAULT[0] == "cpu" else device("wgpu", 0)
