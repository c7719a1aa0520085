"""``autograd.Function``: ops with a user-written backward.

The forward runs without recording; each differentiable output is then
attached to the tensor inputs by one native node whose backward calls the
class's ``backward``. Outputs other than the one a node stands for receive
zero gradients (PyTorch's materialised grads); contributions add up because
backward is linear in its gradient arguments.
"""

import functools

from .. import _native
from .._grad_mode import no_grad
from .forward_ad import _tangents_of, fwd_grad_disabled

Tensor = _native.Tensor


class FunctionCtx:
    def __init__(self):
        self.to_save = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = set()

    def save_for_backward(self, *tensors):
        from .graph import current_pair

        pair = current_pair()
        if pair is None:
            self.to_save = tensors
            self._packed = None
            return
        # under saved_tensors_hooks only the packed forms are kept (with the
        # tensor's id, which identifies a saved output for the re-link below)
        pack, unpack = pair
        self.to_save = ()
        self._packed = ([(None if t is None else pack(t), id(t)) for t in tensors], unpack)

    def _saved_with_keys(self):
        packed = getattr(self, "_packed", None)
        if packed is None:
            return [(t, id(t)) for t in self.to_save]
        items, unpack = packed
        return [(None if p is None else unpack(p), key) for p, key in items]

    def save_for_forward(self, *tensors):
        """Tensors the Function's ``jvp`` reads (as ``ctx.saved_tensors``)."""
        self._saved_for_forward = tensors

    @property
    def saved_tensors(self):
        if getattr(self, "_in_jvp", False):
            return tuple(getattr(self, "_saved_for_forward", ()))
        saved = self._saved_with_keys()
        relink = getattr(self, "_relink", None)
        if relink is None or not _native.is_grad_enabled():
            return tuple(t for t, _ in saved)
        # a backward under create_graph: a saved output is the output as the
        # graph holds it (PyTorch saves it with its grad_fn), so the gradient
        # the backward computes from it stays differentiable. It is attached
        # through a fresh node over the same inputs (the output's own node
        # cannot hold the output: that would be a cycle through native memory)
        cls, outs, positions, inputs, name, attached = relink
        return tuple(
            _native._custom_node(t, inputs, _user_backward(cls, self, outs, attached[key], positions), name) if key in attached else t
            for t, key in saved
        )

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        """Inputs the forward modified in place (and returns): they take the
        Function's node as their history, as PyTorch's in-place ops do."""
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


BackwardCFunction = FunctionCtx


class Function:
    """Subclass with static ``forward(ctx, *args)`` (or ``forward(*args)`` plus
    ``setup_context(ctx, inputs, output)``) and ``backward(ctx, *grads)``;
    call it as ``MyFn.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with forward mode AD.")

    # autorust's own Functions set this: under forward AD their tangents
    # come from their backward (transposed, as every native op's do, see
    # src/forward_ad.rs), since they define no jvp; a user's Function needs
    # its jvp, as in PyTorch
    _jvp_from_backward = False

    # autorust's own Functions name their node as PyTorch names the op's
    # (a user's node is named after its class, as in PyTorch)
    _node_name = None

    @classmethod
    def apply(cls, *args, **kwargs):
        # under forward AD the forward runs without propagating tangents,
        # and the class's jvp gives the outputs theirs (as PyTorch does)
        tangents = _tangents_of(args)
        from_backward = tangents is not None and cls._jvp_from_backward
        with fwd_grad_disabled():
            ctx, output = cls._forward(args, kwargs)
        if from_backward:
            # the node's recording gives the outputs their tangents
            return cls._attach(ctx, output, args, always=True)
        with fwd_grad_disabled():
            result = cls._attach(ctx, output, args, always=False)
        if tangents is not None:
            _attach_tangents(cls, ctx, result, tangents, args)
        return result

    @classmethod
    def _forward(cls, args, kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        separate_ctx = cls.setup_context is not Function.setup_context
        with no_grad():
            if separate_ctx:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        return ctx, output

    @classmethod
    def _attach(cls, ctx, output, args, always):
        """The outputs attached to the inputs by a node calling ``backward``,
        when backward mode needs one (or ``always``)."""
        if not always and (not _native.is_grad_enabled() or not any(ctx.needs_input_grad)):
            return output
        is_tuple = isinstance(output, tuple)
        outs = output if is_tuple else (output,)
        tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        inputs = [args[i] for i in tensor_positions]
        name = cls._node_name or cls.__name__ + "Backward"
        result = list(outs)
        differentiable = [
            k for k, o in enumerate(outs) if isinstance(o, Tensor) and o.dtype.is_floating_point and id(o) not in ctx._non_differentiable
        ]
        attached = {id(outs[k]): k for k in differentiable}
        dirty = getattr(ctx, "_dirty", set())
        if dirty:
            returned = {id(o) for o in outs}
            if not dirty <= returned:
                raise RuntimeError(
                    "Some elements marked as dirty during the forward method were not returned as output. The inputs that are modified inplace must all be outputs of the Function."
                )
            for k in [k for k in differentiable if id(outs[k]) in dirty]:
                _attach_in_place(cls, ctx, outs, k, inputs, tensor_positions, cls._node_name or cls.__name__ + "Backward")
            differentiable = [k for k in differentiable if id(outs[k]) not in dirty]
        kinds = {(outs[k].dtype, str(outs[k].device)) for k in differentiable}
        if len(differentiable) > 1 and len(kinds) == 1:
            _attach_packed(cls, ctx, outs, differentiable, inputs, tensor_positions, name, result)
        else:
            # one output, or outputs of several dtypes or devices: a node
            # per output (its backward called with that output's gradient)
            for k in differentiable:
                result[k] = _native._custom_node(outs[k], inputs, _user_backward(cls, ctx, outs, k, tensor_positions), name)
                _native._set_output_nr(result[k], k)
        # what saved_tensors needs to re-link a saved output: plain data, no
        # reference back to the backward closures (they hold ctx: a cycle
        # would keep the graph alive until the garbage collector ran)
        ctx._relink = (cls, outs, tensor_positions, inputs, name, attached)
        return tuple(result) if is_tuple else result[0]


def _attach_in_place(cls, ctx, outs, k, inputs, tensor_positions, name):
    """Output k is an input the forward modified in place: that tensor
    itself takes the node (its old history feeds the node's edge for it;
    its version moves on), through the native in-place machinery."""
    modified = outs[k]
    if modified.is_leaf and modified.requires_grad and _native.is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")

    def attach(source):
        node_inputs = [source if a is modified else a for a in inputs]
        return _native._custom_node(source, node_inputs, _user_backward(cls, ctx, outs, k, tensor_positions), name)

    _native._inplace_apply(modified, attach, name)


def _attach_packed(cls, ctx, outs, differentiable, inputs, tensor_positions, name, result):
    """Several outputs under one node, as PyTorch's: the node's result is
    the outputs flattened end to end, and each output hangs off it through
    a node that is shown as that node's output k (the gradients of all the
    outputs meet in one buffer, and ``backward`` runs once with each
    output's part)."""
    flats = [outs[k].detach().reshape(-1) for k in differentiable]
    sizes = [f.numel() for f in flats]
    total = sum(sizes)
    # which outputs a backward pass reached (set by their nodes, which run
    # first; read and cleared by the packed node): the others' gradients
    # are None when the Function does not materialize them
    reached = set()
    packed = _native._custom_node(
        _native.cat(flats, 0), inputs, _packed_backward(cls, ctx, outs, differentiable, sizes, tensor_positions, reached), name
    )
    start = 0
    for k, size in zip(differentiable, sizes):
        piece = _native._custom_node(outs[k], [packed], _into_packed(start, size, total, reached, k), name)
        _native._show_as_output(piece, k)
        result[k] = piece
        start += size


def _into_packed(start, size, total, reached, k):
    """An output's gradient placed in the packed buffer's (zero elsewhere)."""

    def backward(grad):
        reached.add(k)
        flat = grad.reshape(-1)
        return (_native.cat([flat.new_zeros(start), flat, flat.new_zeros(total - start - size)], 0),)

    return backward


def _packed_backward(cls, ctx, outs, differentiable, sizes, tensor_positions, reached):
    def backward(grad):
        grads = [o.new_zeros(*o.shape) if isinstance(o, Tensor) and ctx.materialize_grads else None for o in outs]
        # none reached: not a backward pass through the outputs (forward AD
        # transposing this backward): every part is a gradient
        every = ctx.materialize_grads or not reached
        start = 0
        for k, size in zip(differentiable, sizes):
            if every or k in reached:
                grads[k] = grad[start : start + size].view(tuple(outs[k].shape))
            start += size
        reached.clear()
        return _call_backward(cls, ctx, grads, tensor_positions)

    return backward


def _attach_tangents(cls, ctx, result, tangents, args):
    """Gives the Function's outputs the tangents its ``jvp`` computes (its
    ops do not propagate tangents themselves; ``ctx.saved_tensors`` there
    are those of ``save_for_forward``, as in PyTorch)."""
    ctx._in_jvp = True
    try:
        with fwd_grad_disabled():
            products = cls.jvp(ctx, *tangents)
    finally:
        ctx._in_jvp = False
    outs = result if isinstance(result, tuple) else (result,)
    if not isinstance(products, tuple):
        products = (products,)
    if len(products) != len(outs):
        raise RuntimeError(f"{cls.__name__}.jvp: expected {len(outs)} tangents (one per output), got {len(products)}")
    for o, t in zip(outs, products):
        if isinstance(o, Tensor) and t is not None and o.dtype.is_floating_point:
            if tuple(t.shape) != tuple(o.shape):
                raise RuntimeError(f"{cls.__name__}.jvp: the tangent of an output of size {list(o.shape)} has size {list(t.shape)}")
            _native._set_result_tangent(o, t, [a for a in args if isinstance(a, Tensor)])


def _user_backward(cls, ctx, outs, k, tensor_positions):
    def backward(grad):
        grads = []
        for j, o in enumerate(outs):
            if j == k:
                grads.append(grad)
            elif isinstance(o, Tensor):
                grads.append(o.new_zeros(*o.shape) if ctx.materialize_grads else None)
            else:
                grads.append(None)
        return _call_backward(cls, ctx, grads, tensor_positions)

    return backward


def _call_backward(cls, ctx, grads, tensor_positions):
    # grad mode is on exactly under create_graph: the backward's ops then
    # record, and higher derivatives go through them
    res = cls.backward(ctx, *grads)
    if not isinstance(res, tuple):
        res = (res,)
    return [res[i] if i < len(res) else None for i in tensor_positions]


def once_differentiable(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    return wrapper
