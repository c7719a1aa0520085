"""``autograd.functional``: Jacobians and Hessians built from reverse-mode
passes (one vector-Jacobian product per output element)."""

from .. import _native
from .._grad_mode import enable_grad

Tensor = _native.Tensor


def _as_tuple(x):
    return ((x,), True) if isinstance(x, Tensor) else (tuple(x), False)


def _grad_inputs(inputs):
    return tuple(t.detach().requires_grad_(True) for t in inputs)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """d func(inputs) / d inputs, shaped output.shape + input.shape (nested
    tuples when func or inputs are tuples, as in PyTorch)."""
    ins, single_in = _as_tuple(inputs)
    with enable_grad():
        ins = _grad_inputs(ins)
        outs = func(*ins)
        outs_t, single_out = _as_tuple(outs)
        result = []
        for out in outs_t:
            flat = out.reshape(-1)
            rows = [[] for _ in ins]
            for k in range(flat.numel()):
                grads = _native.grad([flat[k]], list(ins), None, True, create_graph, True, False)
                for j, (g, x) in enumerate(zip(grads, ins)):
                    rows[j].append(g if g is not None else x.new_zeros(*x.shape))
            per_input = []
            for j, x in enumerate(ins):
                if rows[j]:
                    jac = _native.stack(rows[j], 0).reshape(*(tuple(out.shape) + tuple(x.shape)))
                else:
                    jac = x.new_zeros(*(tuple(out.shape) + tuple(x.shape)))
                per_input.append(jac if create_graph else jac.detach())
            result.append(per_input[0] if single_in else tuple(per_input))
    return result[0] if single_out else tuple(result)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """Second derivatives of a scalar function."""
    ins, single_in = _as_tuple(inputs)

    def grad_fn(*xs):
        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single element Tensor")
        gs = _native.grad([out.reshape(-1)[0]], list(xs), None, True, True, True, False)
        gs = [g if g is not None else x.new_zeros(*x.shape) for g, x in zip(gs, xs)]
        return gs[0] if single_in else tuple(gs)

    return jacobian(grad_fn, ins[0] if single_in else ins, create_graph=create_graph)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    ins, single_in = _as_tuple(inputs)
    with enable_grad():
        ins = _grad_inputs(ins)
        out = func(*ins)
        grads = _native.grad([out], list(ins), None if v is None else [v], True, create_graph, True, False)
    grads = tuple(g if g is not None else x.new_zeros(*x.shape) for g, x in zip(grads, ins))
    out = out if create_graph else out.detach()
    return out, (grads[0] if single_in else grads)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v) by the double-vjp trick: u -> J^T u is linear in u,
    so the gradient of <J^T u, v> with respect to u is J v."""
    ins, single_in = _as_tuple(inputs)
    vs = _as_tuple(v)[0] if v is not None else None
    with enable_grad():
        ins = _grad_inputs(ins)
        out = func(*ins)
        outs, single_out = _as_tuple(out)
        if vs is None:
            if sum(x.numel() for x in ins) != 1:
                raise RuntimeError(
                    "The vector v can only be None if the input to the user-provided function is a single Tensor with a single element."
                )
            vs = tuple(x.new_ones(*x.shape) for x in ins)
        us = [o.new_zeros(*o.shape).requires_grad_(True) for o in outs]
        gs = _native.grad(list(outs), list(ins), us, True, True, True, True)
        dot = None
        for g, vv in zip(gs, vs):
            if g is not None:
                term = (g * vv).sum()
                dot = term if dot is None else dot + term
        if dot is None:
            jv = [o.new_zeros(*o.shape) for o in outs]
        else:
            jv = _native.grad([dot], us, None, True, create_graph, True, True)
    jv = [j if create_graph else j.detach() for j in jv]
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return (outs[0] if single_out else outs), (jv[0] if single_out else tuple(jv))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar function."""
    ins, single_in = _as_tuple(inputs)
    vs = _as_tuple(v)[0] if v is not None else tuple(x.new_ones(*x.shape) for x in ins)
    with enable_grad():
        ins = _grad_inputs(ins)
        out = func(*ins)
        if out.numel() != 1:
            raise RuntimeError("The function given to vhp should return a single element Tensor")
        gs = _native.grad([out.reshape(-1)[0]], list(ins), None, True, True, True, True)
        dot = None
        for g, vv in zip(gs, vs):
            term = (g * vv).sum()
            dot = term if dot is None else dot + term
        hv = _native.grad([dot], list(ins), None, True, create_graph, True, True)
    hv = tuple(h if create_graph else h.detach() for h in hv)
    out = out if create_graph else out.detach()
    return out, (hv[0] if single_in else hv)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v): the Hessian is symmetric, so H v == v^T H."""
    return vhp(func, inputs, v, create_graph, strict)
