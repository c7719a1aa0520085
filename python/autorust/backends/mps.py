"""Apple's Metal backend: available when wgpu's adapter runs on Metal."""


def is_available():
    from .. import wgpu

    try:
        return wgpu.is_available() and wgpu.get_device_name().endswith("(Metal)")
    except RuntimeError:
        return False


def is_built():
    return is_available()
