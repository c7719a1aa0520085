"""One tensor is one Python object while Python holds it, where a getter
hands out a tensor that already exists: ``x.grad is x.grad``, ``x.grad is g``
after ``x.grad = g``, and ``AccumulateGrad.variable is x``, as in PyTorch.

The native getters wrap the Rust tensor in a fresh Python object on every
call; here the live wrappers are kept weakly by the Rust tensor's identity
(``_impl_id``). A wrapper holds its tensor, so the identity cannot be reused
while the entry exists."""

import weakref

from .. import _native

Tensor = _native.Tensor
Node = _native.Node

_LIVE = weakref.WeakValueDictionary()  # Rust tensor identity -> its Python object


def remember(t):
    """`t`, or the live Python object that already wraps its tensor."""
    if t is None:
        return None
    key = t._impl_id
    live = _LIVE.get(key)
    if live is not None:
        return live
    _LIVE[key] = t
    return t


_raw_grad = Tensor.grad
_raw_variable = Node.variable


def _get_grad(self):
    return remember(_raw_grad.__get__(self))


def _set_grad(self, value):
    _raw_grad.__set__(self, value)
    if value is not None:
        _LIVE[value._impl_id] = value


def _del_grad(self):
    _raw_grad.__set__(self, None)


Tensor.grad = property(_get_grad, _set_grad, _del_grad, doc=_raw_grad.__doc__)
Node.variable = property(lambda self: remember(_raw_variable.__get__(self)), doc=_raw_variable.__doc__)

_raw_base = Tensor._base
Tensor._base = property(lambda self: remember(_raw_base.__get__(self)), doc=_raw_base.__doc__)

# A tensor that becomes a leaf requiring grad (its requires_grad setter or
# requires_grad_()) is remembered, so getters that hand back a saved input
# (``grad_fn._saved_self``) or a view's base give the user's own object, as
# PyTorch's do (``y.grad_fn._saved_self is a``). Only these are registered:
# doing it for every op's result would cost every op a dictionary insert.
_native._set_leaf_registry(lambda t: _LIVE.setdefault(t._impl_id, t))
