"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd`` and
``hessian``, PyTorch's function transforms, on the ordinary autograd graph.

Each differentiated input is given a fresh place in the graph: a new leaf
for a tensor outside it, or an alias (a view) of a tensor already in it, so
that a transform of a transform (``grad(grad(f))``) differentiates through
the inner one's gradient. Results are detached again unless an input was
already in a graph (a nested transform, or a leaf that requires grad)."""

from .. import _native
from .._grad_mode import enable_grad
from ._pytree import tree_flatten, tree_unflatten

Tensor = _native.Tensor


def _track(t):
    if not isinstance(t, Tensor):
        raise RuntimeError(f"Expected the differentiated inputs to be Tensors, got {type(t).__name__}")  # noqa: TRY004  (PyTorch's exception type)
    return t.view_as(t) if t.requires_grad else t.detach().requires_grad_(True)


class _Inputs:
    """The arguments with the ones at `argnums` swapped for tracked copies."""

    def __init__(self, args, argnums, what):
        self.single = isinstance(argnums, int)
        nums = (argnums,) if self.single else tuple(argnums)
        if not nums:
            raise RuntimeError(f"{what}: argnums must be non-empty")
        for n in nums:
            if not isinstance(n, int) or not -len(args) <= n < len(args):
                raise RuntimeError(f"{what}: Got argnums={argnums} but only {len(args)} positional inputs")
        self.nums = [n % len(args) for n in nums]
        self.args = list(args)
        self.flat, self.specs = [], []
        self.nested = False
        for n in self.nums:
            leaves, spec = tree_flatten(args[n])
            self.nested |= any(isinstance(t, Tensor) and t.requires_grad for t in leaves)
            tracked = [_track(t) for t in leaves]
            self.args[n] = tree_unflatten(tracked, spec)
            self.flat.append(tracked)
            self.specs.append(spec)

    def all_leaves(self):
        return [t for group in self.flat for t in group]

    def regroup(self, grads):
        """Per-leaf gradients back into the structure of the inputs."""
        out, k = [], 0
        for group, spec in zip(self.flat, self.specs):
            out.append(tree_unflatten(grads[k : k + len(group)], spec))
            k += len(group)
        return out[0] if self.single else tuple(out)


def _finish(t, nested):
    if isinstance(t, Tensor) and not nested:
        return t.detach()
    return t


def _split_aux(out, has_aux, what):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{what}(f, ...): output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


def grad_and_value(func, argnums=0, has_aux=False):
    def wrapper(*args, **kwargs):
        from .. import autograd, zeros_like

        with enable_grad():
            inputs = _Inputs(args, argnums, "grad_and_value(f)(*args)")
            out, aux = _split_aux(func(*inputs.args, **kwargs), has_aux, "grad_and_value")
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}")  # noqa: TRY004  (PyTorch's exception type)
            if out.dim() != 0:
                raise RuntimeError(
                    f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with {out.dim()} dims. "
                    "Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            leaves = inputs.all_leaves()
            if out.requires_grad:
                grads = autograd.grad(out, leaves, allow_unused=True, create_graph=inputs.nested)
            else:
                grads = [None] * len(leaves)
            grads = [zeros_like(x) if g is None else _finish(g, inputs.nested) for g, x in zip(grads, leaves)]
        value = _finish(out, inputs.nested)
        if has_aux:
            return inputs.regroup(grads), (value, _detach_tree(aux, inputs.nested))
        return inputs.regroup(grads), value

    return wrapper


def grad(func, argnums=0, has_aux=False):
    transformed = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        grads, value = transformed(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def _detach_tree(tree, nested):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([_finish(t, nested) for t in leaves], spec)


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn[, aux]); ``vjp_fn(cotangents)`` gives one
    gradient per primal."""
    from .. import autograd, zeros_like

    with enable_grad():
        inputs = _Inputs(primals, tuple(range(len(primals))), "vjp(f, *primals)")
        out, aux = _split_aux(func(*inputs.args), has_aux, "vjp")
    out_leaves, out_spec = tree_flatten(out)
    leaves = inputs.all_leaves()

    def vjp_fn(cotangents, *, retain_graph=True, create_graph=None):
        cot_leaves, _ = tree_flatten(cotangents)
        if len(cot_leaves) != len(out_leaves):
            raise RuntimeError(
                f"Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function: {len(cot_leaves)} != {len(out_leaves)} leaves"
            )
        pairs = [(o, c) for o, c in zip(out_leaves, cot_leaves) if o.requires_grad]
        with enable_grad():
            if pairs:
                grads = autograd.grad(
                    [o for o, _ in pairs],
                    leaves,
                    [c for _, c in pairs],
                    allow_unused=True,
                    retain_graph=retain_graph,
                    create_graph=inputs.nested if create_graph is None else create_graph,
                )
            else:
                grads = [None] * len(leaves)
        grads = [zeros_like(x) if g is None else _finish(g, inputs.nested) for g, x in zip(grads, leaves)]
        regrouped = inputs.regroup(grads)
        return regrouped if isinstance(regrouped, tuple) else (regrouped,)

    value = tree_unflatten([_finish(t, inputs.nested) for t in out_leaves], out_spec)
    if has_aux:
        return value, vjp_fn, _detach_tree(aux, inputs.nested)
    return value, vjp_fn


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of every output with respect to the inputs at
    ``argnums``, one reverse pass per output element: shape
    ``output.shape + input.shape``."""

    def wrapper(*args, **kwargs):
        from .. import autograd, stack, zeros_like

        with enable_grad():
            inputs = _Inputs(args, argnums, "jacrev(f, argnums)(*args)")
            out, aux = _split_aux(func(*inputs.args, **kwargs), has_aux, "jacrev")
            out_leaves, out_spec = tree_flatten(out)
            leaves = inputs.all_leaves()
            per_output = []
            for o in out_leaves:
                rows = []
                flat_o = o.reshape(-1)
                for i in range(flat_o.numel()):
                    if o.requires_grad:
                        g = autograd.grad(flat_o[i], leaves, retain_graph=True, allow_unused=True, create_graph=inputs.nested)
                    else:
                        g = [None] * len(leaves)
                    rows.append([zeros_like(x) if gi is None else gi for gi, x in zip(g, leaves)])
                jac = []
                for k, x in enumerate(leaves):
                    if rows:
                        j = stack([r[k] for r in rows]).reshape(*o.shape, *x.shape)
                    else:
                        j = x.new_zeros(*o.shape, *x.shape)
                    jac.append(_finish(j, inputs.nested))
                per_output.append(inputs.regroup(jac))
        result = tree_unflatten(per_output, out_spec)
        if has_aux:
            return result, _detach_tree(aux, inputs.nested)
        return result

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian, computed as ``jacrev`` computes it (the values are the
    same; one reverse pass per output element, where forward mode would
    take one pass per input element)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    return jacfwd(jacrev(func, argnums), argnums)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(func(*primals), J @ tangents), in forward mode: the primals become
    dual tensors in a dual level of its own. Inside a level already open
    (a jvp of a jvp, or the caller's ``dual_level``), by the double-vjp
    construction instead."""
    from ..autograd import forward_ad

    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples")  # noqa: TRY004  (PyTorch's exception type)
    primal_leaves, spec = tree_flatten(list(primals))
    tangent_leaves, tangent_spec = tree_flatten(list(tangents))
    if len(primals) != len(tangents) or tangent_spec != spec:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python structure")
    for p, t in zip(primal_leaves, tangent_leaves):
        if not isinstance(p, Tensor) or not isinstance(t, Tensor):
            raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to only contain Tensors")  # noqa: TRY004  (PyTorch's exception type)
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(
                f"jvp(f, primals, tangents): Expected primals and tangents to have the same shape, got {list(p.shape)} and {list(t.shape)}"
            )
    if forward_ad._current_level >= 0:
        return _jvp_by_double_vjp(func, primals, tangents, has_aux)
    from .. import zeros_like

    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(p, t) for p, t in zip(primal_leaves, tangent_leaves)]
        out, aux = _split_aux(func(*tree_unflatten(duals, spec)), has_aux, "jvp")
        out_leaves, out_spec = tree_flatten(out)
        values, products = [], []
        for o in out_leaves:
            value, product = forward_ad.unpack_dual(o)
            values.append(value)
            products.append(zeros_like(value) if product is None else product)
    result = (tree_unflatten(values, out_spec), tree_unflatten(products, out_spec))
    return (*result, aux) if has_aux else result


def _jvp_by_double_vjp(func, primals, tangents, has_aux):
    """``jvp`` by the double-vjp construction: the vjp is linear in its
    cotangent, so differentiating it with respect to the cotangent, along
    the tangents, gives the Jacobian-vector product."""
    from .. import autograd, zeros_like

    with enable_grad():
        inputs = _Inputs(primals, tuple(range(len(primals))), "jvp(f, primals, tangents)")
        out, aux = _split_aux(func(*inputs.args), has_aux, "jvp")
        out_leaves, out_spec = tree_flatten(out)
        leaves = inputs.all_leaves()
        tangent_leaves, _ = tree_flatten(list(tangents))
        products = []
        for o in out_leaves:
            if not o.requires_grad:
                products.append(zeros_like(o))
                continue
            u = zeros_like(o).requires_grad_(True)
            g = autograd.grad(o, leaves, u, create_graph=True, allow_unused=True)
            used = [(gi, t) for gi, t in zip(g, tangent_leaves) if gi is not None and gi.requires_grad]
            if not used:
                products.append(zeros_like(o))
                continue
            (p,) = autograd.grad([gi for gi, _ in used], [u], [t for _, t in used], create_graph=inputs.nested, allow_unused=True)
            products.append(zeros_like(o) if p is None else _finish(p, inputs.nested))
    value = tree_unflatten([_finish(t, inputs.nested) for t in out_leaves], out_spec)
    product = tree_unflatten(products, out_spec)
    if has_aux:
        return value, product, _detach_tree(aux, inputs.nested)
    return value, product
