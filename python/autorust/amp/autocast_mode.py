"""``autocast``: a context manager and decorator that must be disabled."""

from .._decorator_context import DecoratorContext


def is_autocast_available(device_type):
    return False


class autocast(DecoratorContext):
    def __init__(self, device_type="cuda", dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device_type, self.fast_dtype, self._enabled, self._cache_enabled = device_type, dtype, bool(enabled), cache_enabled
        if self._enabled:
            raise NotImplementedError(
                "autocast(enabled=True): autorust has no float16/bfloat16 kernels, and running in float32 would not give PyTorch's mixed-precision numbers; pass enabled=False"
            )

    def clone(self):
        return autocast(self.device_type, self.fast_dtype, self._enabled, self._cache_enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
