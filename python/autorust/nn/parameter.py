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


class UninitializedTensorMixin:
    """A parameter or buffer of a lazy module before its first forward: it
    has no shape yet (asking raises, as PyTorch's), and ``materialize``
    gives it one, turning it into a plain Parameter (or tensor) in place,
    so optimizers and references that hold it stay valid."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        from .._creation import empty

        base = super().__getattribute__
        device = base("device") if device is None else device
        dtype = base("dtype") if dtype is None else dtype
        self.data = empty(tuple(shape), device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. "
            "This error usually happens in `load_state_dict` when trying to load "
            "an uninitialized parameter into an initialized one. "
            "Call `forward` to initialize the parameters before accessing their attributes."
        )

    def size(self, dim=None):
        return self.shape

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad,))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .._creation import empty

        return super().__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(None, requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from .._creation import empty

        t = super().__new__(cls, empty(0, device=device, dtype=dtype), requires_grad=requires_grad)
        t.persistent = persistent
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass


def is_lazy(param):
    """Whether ``param`` is a lazy module's not yet materialized tensor."""
    return isinstance(param, UninitializedTensorMixin)
