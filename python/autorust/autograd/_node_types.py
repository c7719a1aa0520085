"""``type(t.grad_fn).__name__`` as PyTorch answers it ("MulBackward0",
"AccumulateGrad", "CopySlices"): every graph node reaches Python as the
native ``Node``, then is given a per-name subclass of it (no extra state:
``__slots__ = ()``, so the object keeps its layout), made once per name.

One graph node is one Python object while anything holds it, as in PyTorch
(``y.grad_fn is y.grad_fn``): the live wrappers are kept weakly by node
identity. A wrapper holds its node, so the identity cannot be reused while
the entry exists."""

import weakref

from .. import _native

Node = _native.Node
Tensor = _native.Tensor

_TYPES = {}
_LIVE = weakref.WeakValueDictionary()  # hash(node) (arena index, generation) -> its wrapper


def typed(node):
    if node is None:
        return None
    key = hash(node)
    live = _LIVE.get(key)
    if live is not None:
        return live
    name = node.name().rsplit("::", 1)[-1]
    cls = _TYPES.get(name)
    if cls is None:
        cls = _TYPES[name] = type(name, (Node,), {"__slots__": (), "__module__": "autorust.autograd.graph"})
    node.__class__ = cls
    _LIVE[key] = node
    return node


_raw_grad_fn = Tensor.grad_fn
_raw_next_functions = Node.next_functions
Tensor.grad_fn = property(lambda self: typed(_raw_grad_fn.__get__(self)), doc=_raw_grad_fn.__doc__)
Node.next_functions = property(lambda self: tuple((typed(n), i) for n, i in _raw_next_functions.__get__(self)), doc=_raw_next_functions.__doc__)
