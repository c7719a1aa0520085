"""How the Python-composed ops (``_ops_*.py``) join the API: each function
taking a tensor first becomes a Tensor method and an ``autorust.`` function
of the same name; in-place variants compute from a copy that carries the
tensor's history and write the result back with the native in-place
machinery (PyTorch's in-place checks, version counter and graph)."""

from . import _native

Tensor = _native.Tensor

# autorust.<name> for every registered op (autorust/__init__ exports them)
EXPORTS = {}


def register(functions, aliases=None, methods=True):
    for fn in functions:
        if methods:
            setattr(Tensor, fn.__name__, fn)
        EXPORTS[fn.__name__] = fn
    for name, fn in (aliases or {}).items():
        if methods:
            setattr(Tensor, name, fn)
        EXPORTS[name] = fn


def apply_inplace(self, fn, name):
    """`self` updated in place to `fn(source)`, computed from a copy of self
    that carries its history (see `_native._inplace_apply`); returns self."""
    _native._inplace_apply(self, fn, name)
    return self


def inplace_variant(fn):
    def inplace(self, *args, **kwargs):
        _native._inplace_apply(self, lambda source: fn(source, *args, **kwargs), fn.__name__ + "_")
        return self

    inplace.__name__ = fn.__name__ + "_"
    inplace.__qualname__ = inplace.__name__
    inplace.__doc__ = f"In-place {fn.__name__}."
    return inplace
