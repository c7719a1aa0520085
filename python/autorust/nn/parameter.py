"""``nn.Parameter``: a tensor that a Module registers as a learnable weight."""

from .. import _native

Tensor = _native.Tensor


class Parameter(Tensor):
    """A leaf tensor (sharing ``data``'s storage) that requires grad by
    default; assigning one to a Module attribute registers it."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._creation import empty

            data = empty(0)
        return super().__new__(cls, data, requires_grad=requires_grad)

    def __init__(self, data=None, requires_grad=True):
        if requires_grad:
            self.requires_grad_(True)  # already set: this remembers the object (see autograd/_tensor_identity)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach().numpy().copy(), self.requires_grad))


def _rebuild_parameter(arr, requires_grad):
    from .._creation import tensor

    return Parameter(tensor(arr), requires_grad=requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._creation import empty

            data = empty(0)
        t = super().__new__(cls, data)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass
