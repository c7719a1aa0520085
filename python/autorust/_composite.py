"""Composite ops shown as one graph node, as PyTorch shows them.

``composite(name, fn, *inputs)`` computes ``fn(*inputs)`` from native ops
but records one node named ``name`` (``"MseLossBackward0"``) whose
``next_functions`` are ``inputs`` (None entries allowed, shown as PyTorch
shows an undefined input). ``fn`` must compute only from its arguments:
a tensor that requires grad and is not among ``inputs`` is an error at
backward time, never a silently lost gradient.

``link=(name, positions)``: PyTorch computes this op's gradient with a
backward kernel that reads those inputs, so under ``create_graph`` the
gradient stays connected to them (second derivative zero where the kernel
is piecewise constant: relu, leaky_relu, hardtanh, ...).
"""

from . import _native

__all__ = ["composite", "composite_maybe_inplace", "node", "refuse_backward", "with_scalar"]


def composite(name, fn, *inputs, link=None, saves=None):
    """``saves=False``: PyTorch's node saves no tensors (so a second
    backward through it works), although the composition saves a constant
    it built (a mask, an index); None: it saves tensors when an inner node
    does."""
    link_name, positions = link if link is not None else (None, [])
    return _native._composite(name, inputs, fn, link_name, list(positions), saves)


def refuse_backward(t, message):
    """``t`` through a node whose backward raises ``RuntimeError(message)``:
    for operands PyTorch's backward kernel refuses (mixed float dtypes
    where it needs one), so that a gradient PyTorch cannot take is not
    silently taken here. Used inside a composite, it stays unseen."""
    return _native._refuse_backward(t, message)


def composite_maybe_inplace(input, inplace, name, fn, link=None, inplace_name=None):
    """``composite(name, fn, input)``; with ``inplace``, written into
    ``input`` as PyTorch's in-place variant does it (the node is
    ``inplace_name`` where PyTorch names that variant apart), computed from
    a copy that carries input's history, so what the node saves is not
    overwritten. Returns ``input`` then."""
    if inplace:
        _native._inplace_apply(input, lambda source: composite(inplace_name or name, fn, source, link=link), name)
        return input
    return composite(name, fn, input, link=link)


def node(name, inputs=1, link=None):
    """Decorator form of ``composite``: the function's first ``inputs``
    positional arguments that are tensors become the node's inputs (other
    values there, such as a Python number, are passed through as they are).

        @node("SinhBackward0")
        def sinh(self): ...
    """

    def deco(fn):
        params = fn.__code__.co_varnames[:inputs]  # the first positional parameters' names

        def wrapper(*args, **kwargs):
            if len(args) < inputs and kwargs:
                # inputs given by keyword (``hypot(x, other=y)``) are inputs too
                args = list(args)
                for param in params[len(args) :]:
                    if param not in kwargs:
                        break
                    args.append(kwargs.pop(param))
            head = args[:inputs]
            positions = [i for i, a in enumerate(head) if isinstance(a, _native.Tensor)]

            def run(*tensors):
                full = list(head)
                for i, t in zip(positions, tensors):
                    full[i] = t
                return fn(*full, *args[inputs:], **kwargs)

            return composite(name, run, *[head[i] for i in positions], link=link)

        wrapper.__name__ = fn.__name__
        wrapper.__qualname__ = fn.__qualname__
        wrapper.__doc__ = fn.__doc__
        wrapper.__wrapped__ = fn
        return wrapper

    return deco


def with_scalar(out, name):
    """``out``, a native op between a tensor and a Python number, named as
    PyTorch's Scalar overload that an ATen function calls (``y * 0.5`` there
    is ``MulBackward1``): the number is no input of the node. The tensor
    must be the op's first input (``2 * y`` lists it first too). Such a
    node saves no tensors in PyTorch (the number is a Scalar), so a second
    backward through it works."""
    _native._set_grad_fn_name(out, name, 0b10, False)
    return out
