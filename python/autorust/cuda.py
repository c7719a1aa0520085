"""``autorust.cuda``: answers for the GPU device. This build has no GPU
backend yet (the wgpu backend is its own issue), so no device is available
and scripts that test ``autorust.cuda.is_available()`` take their CPU path."""


def is_available():
    return False


def device_count():
    return 0


def synchronize(device=None):
    return None


def manual_seed(seed):
    return None


def manual_seed_all(seed):
    return None
