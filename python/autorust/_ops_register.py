"""How the Python-composed ops (``_ops_*.py``) join the API: each function
taking a tensor first becomes a Tensor method and an ``autorust.`` function
of the same name; in-place variants copy the result back through ``copy_``,
which applies PyTorch's in-place checks."""

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


def inplace_variant(fn):
    def inplace(self, *args, **kwargs):
        self.copy_(fn(self, *args, **kwargs))
        return self

    inplace.__name__ = fn.__name__ + "_"
    inplace.__qualname__ = inplace.__name__
    inplace.__doc__ = f"In-place {fn.__name__}."
    return inplace
