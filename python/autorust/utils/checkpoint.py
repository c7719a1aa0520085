"""``autorust.utils.checkpoint``: activation checkpointing, as PyTorch's.

``checkpoint(fn, *args)`` keeps none of ``fn``'s intermediate results for
backward: backward runs ``fn`` again (with the random stream as it was, so
dropout draws the same mask) and uses what that second run saved. Memory for
the segment's activations is traded for a second forward.

- ``use_reentrant=False`` (recommended) is built, as in PyTorch, on
  saved-tensor hooks: the forward records its graph as usual (the nodes
  are the ops' own, ``MulBackward0`` and so on), but each tensor an op saves
  is replaced by its position in the segment; the first time backward asks
  for one, the segment runs again and every saved tensor is taken from it.
- ``use_reentrant=True`` runs the forward without recording and attaches
  its outputs to the inputs and to the leaves the result depends on by one
  ``CheckpointFunctionBackward`` node, whose backward recomputes and calls
  ``autograd.grad`` (a nested backward). As PyTorch's, it refuses keyword
  arguments, ``context_fn`` and ``debug``, and with no input requiring grad
  it warns and returns a result without history.
"""

import contextlib
import warnings

from .. import _native
from .. import random as _random
from .._grad_mode import enable_grad, no_grad
from ..autograd.function import Function
from ..autograd.graph import saved_tensors_hooks

Tensor = _native.Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn"]


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check="default", debug=False, early_stop=True, **kwargs):
    """Runs ``function(*args, **kwargs)`` without keeping its activations for
    backward; they are recomputed when the gradient is needed."""
    preserve_rng_state = kwargs.pop("preserve_rng_state", True)
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. In a future release, calling checkpoint "
            "without use_reentrant will raise an exception. use_reentrant=False is recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True. Refer to docs for more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant and (context_fn is not noop_context_fn or debug is not False):
        raise ValueError("Passing `context_fn`, `debug`, or `respect_saved_tensors_hooks` is only supported when use_reentrant=False.")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    if use_reentrant and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
        with no_grad():
            return function(*args)
    forward_context, recompute_context = context_fn()
    if not _native.is_grad_enabled():
        with forward_context:
            return function(*args, **kwargs)
    if not use_reentrant:
        frame = _Frame(function, args, kwargs, preserve_rng_state, recompute_context)
        with forward_context, saved_tensors_hooks(frame.pack, frame.unpack):
            return function(*args, **kwargs)
    segment = _Segment(function, args, kwargs, preserve_rng_state, recompute_context)
    with forward_context:
        segment.first_forward()
    if not any(segment.output_grads):
        return segment.rebuild(segment.outputs)  # nothing in it needs a gradient
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    result = CheckpointFunction.apply(segment, *tensor_args, *segment.leaves)
    # PyTorch's node lists only the tensor args among its next_functions:
    # the leaves found inside stay edges (their gradients flow) but hidden
    hide = sum(1 << i for i in range(len(tensor_args), min(len(tensor_args) + len(segment.leaves), 32)))
    for r in result if isinstance(result, tuple) else (result,):
        if isinstance(r, Tensor) and r.grad_fn is not None and hide:
            _native._set_grad_fn_name(r, "CheckpointFunctionBackward", hide)
    return segment.rebuild(result)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Runs ``functions`` (a list or ``nn.Sequential``) in order, in
    ``segments`` chunks, each checkpointed except the last."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed explicitly. "
            "In a future release, we will raise an exception if use_reentrant is not passed. use_reentrant=False is "
            "recommended, but if you need to preserve the current default behavior, you can pass use_reentrant=True. "
            "Refer to docs for more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    from ..nn import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)


class _Call:
    """A checkpointed call: what running it again needs (the function, its
    arguments, the random stream as it was before it ran)."""

    def __init__(self, function, args, kwargs, preserve_rng_state, recompute_context):
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.recompute_context = recompute_context
        self.rng_state = _random.get_rng_state() if preserve_rng_state else None

    def rerun(self, args, hooks=None):
        """The function again on `args`, with grad mode on and the random
        stream put back where it was for the first run (and restored after)."""
        saved_rng = _random.get_rng_state() if self.rng_state is not None else None
        try:
            if self.rng_state is not None:
                _random.set_rng_state(self.rng_state)
            with enable_grad(), self.recompute_context, hooks or contextlib.nullcontext():
                return self.function(*args, **self.kwargs)
        finally:
            if saved_rng is not None:
                _random.set_rng_state(saved_rng)


class _Frame(_Call):
    """One non-reentrant checkpointed call: its saved tensors are positions
    in it until backward first needs one; then the call runs again and
    every position is filled from what that run saved."""

    def __init__(self, *args):
        super().__init__(*args)
        self.saved_count = 0
        self.recomputed = None

    def pack(self, tensor):
        self.saved_count += 1
        return self.saved_count - 1

    def unpack(self, position):
        if self.recomputed is None:
            self.recomputed = self._recompute()
        return self.recomputed[position]

    def _recompute(self):
        captured = []
        self.rerun(_detached(self.args), saved_tensors_hooks(captured.append, lambda x: x))
        if len(captured) != self.saved_count:
            raise RuntimeError(
                "torch.utils.checkpoint: A different number of tensors was saved during the original forward and recomputation.\n"
                f"Number of tensors saved during forward: {self.saved_count}\nNumber of tensors saved during recomputation: {len(captured)}"
            )
        return [t.detach() for t in captured]


class _Segment(_Call):
    """One reentrant checkpointed call: the leaves its result depends on,
    and how its output is laid out."""

    def first_forward(self):
        """Runs the function once; keeps its outputs detached (its graph is
        released when this returns) and the leaves they depend on."""
        inner_args = _detached(self.args)
        outs = self._flatten(self.function(*inner_args, **self.kwargs))
        arg_ids = {a._impl_id for a in inner_args if isinstance(a, Tensor)}
        self.leaves = _leaves_below([o for o in outs if isinstance(o, Tensor)], skip=arg_ids)
        self.output_grads = tuple(isinstance(o, Tensor) and o.requires_grad for o in outs)
        self.outputs = tuple(o.detach() if isinstance(o, Tensor) else o for o in outs)

    def _flatten(self, output):
        self.is_tuple = isinstance(output, (tuple, list))
        self.container = type(output) if self.is_tuple else None
        return tuple(output) if self.is_tuple else (output,)

    def rebuild(self, result):
        result = result if isinstance(result, tuple) else (result,)
        result = tuple(r if self.output_grads[i] else self.outputs[i] for i, r in enumerate(result))
        if not self.is_tuple:
            return result[0]
        return self.container(result) if self.container is not tuple else result

    def gradients(self, grads):
        """The gradients of the tensor args and the leaves, from a second forward."""
        create_graph = _native.is_grad_enabled()
        # under create_graph the original args are used, so the gradient
        # stays differentiable with respect to them
        inner_args = self.args if create_graph else _detached(self.args)
        outs = self._flatten(self.rerun(inner_args))
        pairs = [(o, g) for o, g in zip(outs, grads) if isinstance(o, Tensor) and o.requires_grad and g is not None]
        inputs = [a for a in inner_args if isinstance(a, Tensor)] + list(self.leaves)
        wanted = [t for t in inputs if t.requires_grad]
        if not pairs or not wanted:
            return [None] * len(inputs)
        from .. import autograd

        found = iter(autograd.grad([o for o, _ in pairs], wanted, [g for _, g in pairs], allow_unused=True, create_graph=create_graph))
        return [next(found) if t.requires_grad else None for t in inputs]


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, segment, *tensors):
        ctx.segment = segment
        outs = segment.outputs
        return outs if segment.is_tuple or len(outs) > 1 else outs[0]

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.segment.gradients(grads))


def _detached(args):
    return tuple(a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in args)


def _leaves_below(outputs, skip):
    """The leaves (other than `skip`'s) that a gradient of `outputs` reaches."""
    from ..autograd._tensor_identity import remember

    seen, stack, leaves, found = set(), [o.grad_fn for o in outputs if o.grad_fn is not None], [], set()
    for o in outputs:
        if o.grad_fn is None and o.requires_grad and o._impl_id not in skip and o._impl_id not in found:
            found.add(o._impl_id)
            leaves.append(o)
    while stack:
        node = stack.pop()
        if hash(node) in seen:  # the node's identity (a wrapper's id() can be reused)
            continue
        seen.add(hash(node))
        for child, _ in node.next_functions:
            if child is None:
                continue
            if type(child).__name__ == "AccumulateGrad":
                leaf = remember(child.variable)
                if leaf is not None and leaf._impl_id not in skip and leaf._impl_id not in found:
                    found.add(leaf._impl_id)
                    leaves.append(leaf)
            else:
                stack.append(child)
    return leaves
