"""The autograd API around random op graphs (the `autograd` family): a few
inputs and ops, then one scenario of the API a program uses: backward
with `gradient=`, `retain_graph` and a second backward, `autograd.grad`
with `grad_outputs` and `allow_unused`, `backward(inputs=)`, dead
branches, tensor and module hooks, `retain_grad`, `.grad` accumulation,
in-place ops on views, `detach` and `no_grad`, custom `autograd.Function`s,
`autograd.functional`, double backward, and the errors each of them
raises when misused."""

from .core import Rejected
from .ops import add_ops, check_grads, leaves_requiring_grad, outputs, weighted_sum

# single-input templates that keep the shape (for building branches on a
# chosen tensor)
SHAPE_KEEPING = [
    "{x}.sin()",
    "{x} * 2",
    "{x}.exp()",
    "{x}.tanh()",
    "({x} * {x})",
    "{x}.sigmoid()",
    "{x}.relu()",
    "F.leaky_relu({x}, 0.1)",
    "{x}.abs()",
    "{x}.pow(3)",
    "{x} / 3",
    "{x}.clamp(-0.5, 0.5)",
    "F.softplus({x})",
    "{x}.cumsum(0)",
    "F.gelu({x})",
]


def _float_dtype(b, name):
    return str(b.value(name).dtype).split(".")[-1]


def branch(b, x, count=1):
    """`count` shape-keeping ops applied in a chain to `x`; the name of the
    last one."""
    for _ in range(count):
        for _ in range(10):
            name = b.fresh()
            expr = b.r.choice(SHAPE_KEEPING).format(x=x)
            if b.value(x).dim() == 0 and "cumsum" in expr:
                continue
            if b.try_assign(name, expr):
                x = name
                break
        else:
            raise Rejected("no branch op")
    return x


def setup(b, leaves=(1, 2, 2, 3), ops=(1, 4)):
    r = b.r
    for _ in range(r.choice(leaves)):
        b.leaf(dtype=r.choice(["float32", "float32", "float64"]), requires_grad=r.random() < 0.8)
    if not leaves_requiring_grad(b):
        b.leaf(dtype=r.choice(["float32", "float64"]), requires_grad=True)
    add_ops(b, r.randint(*ops))
    return leaves_requiring_grad(b)


def rec_grads(b, leaves):
    b.add(f"rec({', '.join(leaf + '.grad' for leaf in leaves)})")
    check_grads(b, *[leaf + ".grad" for leaf in leaves])


def loss_of(b, name="loss"):
    leaves = leaves_requiring_grad(b)
    roots = outputs(b, leaves)
    b.add(f"{name} = {weighted_sum(b, roots)}; rec({name})")
    return leaves


# ---- scenarios ----


def retain_and_backward_again(b):
    setup(b)
    leaves = loss_of(b)
    b.add_last("loss.backward(retain_graph=True)")
    rec_grads(b, leaves)
    # the second pass accumulates into .grad
    b.add_last("loss.backward()")
    rec_grads(b, leaves)


def backward_after_free(b):
    setup(b)
    leaves = loss_of(b)
    b.add_last("loss.backward()")
    rec_grads(b, leaves)
    # PyTorch raises only where a node saved tensors (they are freed)
    b.add_last("loss.backward()")
    rec_grads(b, leaves)


def grad_outputs(b):
    leaves = setup(b)
    roots = outputs(b, leaves)
    ws = [b.literal(tuple(b.value(v).shape), _float_dtype(b, v), dist="normal") for v in roots]
    if len(roots) == 1 and b.r.random() < 0.5:
        b.add_last(f"gs = T.autograd.grad({roots[0]}, [{', '.join(leaves)}], grad_outputs={ws[0]}, allow_unused=True); rec(gs)")
    else:
        b.add_last(f"gs = T.autograd.grad([{', '.join(roots)}], [{', '.join(leaves)}], grad_outputs=[{', '.join(ws)}], allow_unused=True); rec(gs)")
    check_grads(b, "gs")


def backward_with_gradient(b):
    leaves = setup(b)
    roots = outputs(b, leaves)
    v = roots[0]
    if b.r.random() < 0.3:
        # a non-scalar root without a gradient: PyTorch refuses
        b.add_last(f"{v}.backward()")
    elif b.r.random() < 0.5:
        w = b.literal(tuple(b.value(v).shape), _float_dtype(b, v), dist="normal")
        b.add_last(f"{v}.backward(gradient={w})")
    else:
        ws = [b.literal(tuple(b.value(x).shape), _float_dtype(b, x), dist="normal") for x in roots]
        b.add_last(f"T.autograd.backward([{', '.join(roots)}], [{', '.join(ws)}])")
    rec_grads(b, leaves)


def backward_inputs(b):
    leaves = setup(b, leaves=(2, 2, 3))
    loss_leaves = loss_of(b)
    r = b.r
    chosen = r.sample(loss_leaves, r.randint(1, len(loss_leaves)))
    inner = b.tensors(lambda t: t.requires_grad and not t.is_leaf and t.dtype.is_floating_point)
    inner = [k for k in inner if k.startswith("v")]
    if inner and r.random() < 0.3:
        chosen.append(r.choice(inner))  # a non-leaf input gets .grad too
    b.add_last(f"loss.backward(inputs=[{', '.join(chosen)}])")
    b.add(f"rec({', '.join(c + '.grad' for c in chosen)})")
    rec_grads(b, leaves)


def dead_branch(b):
    r = b.r
    dtype = r.choice(["float32", "float64"])
    a = b.leaf(dtype=dtype, requires_grad=True, layout=False)
    c = b.leaf(shape=tuple(b.value(a).shape) if r.random() < 0.5 else None, dtype=dtype, requires_grad=True, layout=False)
    branch(b, a, r.randint(1, 2))  # used by nothing below
    live = branch(b, c, r.randint(1, 3))
    w = b.literal(tuple(b.value(live).shape), dtype, dist="normal")
    b.add(f"out = ({live} * {w}).sum(); rec(out)")
    style = r.choice(["unused", "refused", "inputs", "backward"])
    if style == "unused":
        b.add_last(f"gs = T.autograd.grad(out, [{a}, {c}], allow_unused=True); rec(gs)")
        check_grads(b, "gs")
    elif style == "refused":
        b.add_last(f"gs = T.autograd.grad(out, [{a}, {c}]); rec(gs)")
    elif style == "inputs":
        b.add_last(f"out.backward(inputs=[{a}, {c}])")
        rec_grads(b, [a, c])
    else:
        b.add_last("out.backward()")
        rec_grads(b, [a, c])


HOOKS = ["lambda g: g * 2", "lambda g: g + 1", "lambda g: None", "lambda g: seen.append(g)", "lambda g: g.clamp(-0.5, 0.5)", "lambda g: -g"]


def tensor_hooks(b):
    r = b.r
    leaves = setup(b)
    b.add("seen = []")
    cands = [k for k in b.tensors(lambda t: t.requires_grad and t.dtype.is_floating_point)]
    handles = []
    for i in range(r.randint(1, 3)):
        target = r.choice(cands)
        b.add(f"h{i} = {target}.register_hook({r.choice(HOOKS)})")
        handles.append(f"h{i}")
    if r.random() < 0.4:
        b.add(f"{r.choice(handles)}.remove()")
    b.add(f"loss = {weighted_sum(b, outputs(b, leaves))}")
    b.add_last("loss.backward()")
    b.add("rec(seen)")
    rec_grads(b, leaves)


def retain_grad(b):
    r = b.r
    leaves = setup(b, ops=(2, 4))
    inner = [k for k in b.tensors(lambda t: t.requires_grad and not t.is_leaf and t.dtype.is_floating_point) if k.startswith("v")]
    if not inner:
        raise Rejected("no intermediate")
    kept = r.sample(inner, min(len(inner), r.randint(1, 2)))
    for k in kept:
        b.add(f"{k}.retain_grad(); rec({k}.retains_grad, {k}.is_leaf)")
    loss_of(b)
    b.add_last("loss.backward()")
    # an intermediate without retain_grad has no .grad (PyTorch warns)
    b.add(f"rec({', '.join(k + '.grad' for k in inner)})")
    rec_grads(b, leaves)


def accumulate(b):
    r = b.r
    setup(b)
    leaves = loss_of(b, "loss1")
    b.add_last("loss1.backward()")
    rec_grads(b, leaves)
    reset = r.choice(["none", "zero", "none_assign", "keep"])
    for leaf in leaves:
        if reset == "zero":
            b.add(f"{leaf}.grad.zero_()")
        elif reset == "none_assign":
            b.add(f"{leaf}.grad = None")
    add_ops(b, r.randint(1, 3))
    leaves2 = loss_of(b, "loss2")
    b.add_last("loss2.backward()")
    rec_grads(b, sorted(set(leaves) | set(leaves2)))


INPLACE_ON_VIEW = [
    "{v}.mul_(2)",
    "{v}.add_(1.5)",
    "{v}.zero_()",
    "{v}.clamp_(-0.3, 0.3)",
    "{v}.relu_()",
    "{v}.sin_()",
    "{v}.copy_({v}.detach() * 3)",
    "{v}.exp_()",
    "{v}.fill_(0.25)",
    "{v}.neg_()",
    "{v}.div_(4)",
    "{v}.sigmoid_()",
    "{v}.pow_(2)",
    "{v}.masked_fill_({v} > 0, 0.5)",
]
VIEWS = [
    "{y}[0]",
    "{y}[..., :1]",
    "{y}.view(-1)",
    "{y}.t()",
    "{y}.transpose(0, -1)",
    "{y}.narrow(0, 0, 1)",
    "{y}.unsqueeze(0)",
    "{y}[1:]",
    "{y}.select(-1, 0)",
    "{y}.diagonal()",
    "{y}.reshape(-1)",
    "{y}.expand_as({y})",
    "{y}.squeeze()",
    "{y}.unbind(0)[0]",
    "{y}.split(1)[0]",
    "{y}.chunk(2)[-1]",
]


def inplace_on_view(b):
    r = b.r
    dtype = r.choice(["float32", "float64"])
    x = b.leaf(shape=r.choice([(2, 3), (3, 2), (2, 2), (3,), (2, 2, 2)]), dtype=dtype, requires_grad=True, layout=False)
    y = b.fresh("y")
    b.add(f"{y} = {x} * {r.choice(['1', '2', '1.5'])}")
    for _ in range(10):
        v = b.fresh("w")
        if b.try_assign(v, r.choice(VIEWS).format(y=y), observe=False):
            break
    else:
        raise Rejected("no view")
    where = r.choice(["view", "view", "base", "leaf"])
    target = {"view": v, "base": y, "leaf": x}[where]
    b.add_last(r.choice(INPLACE_ON_VIEW).format(v=target) + f"; rec({v}, {y})")
    parts = [f"({y} * {b.literal(tuple(b.value(y).shape), dtype, dist='normal')}).sum()"]
    if r.random() < 0.6:
        parts.append(f"({v} * {b.literal(tuple(b.value(v).shape), dtype, dist='normal')}).sum()")
    b.add(f"loss = {' + '.join(parts)}; rec(loss)")
    b.add_last("loss.backward()")
    rec_grads(b, [x])


# ways to take a value out of the graph (`{t}` in, `{u}` out)
DETACHED = [
    "{u} = {t}.detach() * 2; rec({u}, {u}.requires_grad, {u}.is_leaf)",
    "with T.no_grad():\n    {u} = {t} * 2\nrec({u}, T.is_grad_enabled())",
    "with T.set_grad_enabled(False):\n    {u} = {t}.exp()\nrec({u})",
    "with T.no_grad():\n    with T.enable_grad():\n        {u} = {t} * 3\nrec({u})",
    "{u} = {t}.data * 2; rec({u})",
    "{u} = {t} * 1; {u}.detach_(); rec({u})",
    "with T.inference_mode():\n    {u} = {t} * 2\nrec({u}, {u}.is_inference())",
]


def detach_and_no_grad(b):
    r = b.r
    leaves = setup(b, ops=(1, 3))
    cands = [k for k in b.tensors(lambda t: t.requires_grad and t.dtype.is_floating_point)]
    t = r.choice(cands)
    u = b.fresh("u")
    b.add(r.choice(DETACHED).format(u=u, t=t))
    w = b.literal(tuple(b.value(u).shape), _float_dtype(b, u), dist="normal")
    rest = [v for v in outputs(b, leaves)]
    b.add(f"loss = ({u} * {w}).sum() + {weighted_sum(b, rest)}; rec(loss)")
    b.add_last("loss.backward()")
    rec_grads(b, leaves)


def create_graph_then_backward(b):
    leaves = setup(b, leaves=(1, 2), ops=(1, 3))
    loss_of(b)
    b.add_last(f"gs = T.autograd.grad(loss, [{', '.join(leaves)}], create_graph=True, allow_unused=True); rec(gs)")
    check_grads(b, "gs")
    used = [(i, g) for i, g in enumerate(b.value("gs")) if g is not None]
    if not used:
        return
    parts = [f"(gs[{i}] * {b.literal(tuple(g.shape), str(g.dtype).split('.')[-1], dist='normal')}).sum()" for i, g in used]
    b.add(f"s = {' + '.join(parts)}; rec(s)")
    how = b.r.choice(["backward", "grad", "backward_retain"])
    if how == "grad":
        b.add_last(f"hs = T.autograd.grad(s, [{', '.join(leaves)}], allow_unused=True); rec(hs)")
        check_grads(b, "hs")
    else:
        b.add_last("s.backward(retain_graph=True)" if how == "backward_retain" else "s.backward()")
        rec_grads(b, leaves)


CUSTOM_FUNCTIONS = {
    "Square": """
class Square(T.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g
""",
    "ScaledExp": """
class ScaledExp(T.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        y = x.exp() * k
        ctx.save_for_backward(y)
        ctx.k = k
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y, None
""",
    "Clip": """
class Clip(T.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(-1, 1)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)
""",
    "MulAdd": """
class MulAdd(T.autograd.Function):
    @staticmethod
    def forward(ctx, a, c):
        ctx.save_for_backward(a, c)
        return a * c + a

    @staticmethod
    def backward(ctx, g):
        a, c = ctx.saved_tensors
        ga = g * (c + 1) if ctx.needs_input_grad[0] else None
        gc = g * a if ctx.needs_input_grad[1] else None
        return ga, gc
""",
    "SortValues": """
class SortValues(T.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        v, i = x.sort(-1)
        ctx.mark_non_differentiable(i)
        ctx.save_for_backward(i)
        return v, i

    @staticmethod
    def backward(ctx, gv, gi):
        (i,) = ctx.saved_tensors
        return T.zeros_like(gv).scatter(-1, i, gv)
""",
}


def custom_function(b):
    r = b.r
    name = r.choice(sorted(CUSTOM_FUNCTIONS))
    b.add(CUSTOM_FUNCTIONS[name].strip())
    leaves = setup(b, leaves=(1, 2), ops=(0, 2))
    floats = [k for k in b.tensors(lambda t: t.dtype.is_floating_point and t.requires_grad)]
    x = r.choice(floats)
    if name == "ScaledExp":
        expr = f"ScaledExp.apply({x}, {r.choice([0.5, 2.0])})"
    elif name == "MulAdd":
        xt = b.value(x)
        c = b.leaf(shape=tuple(xt.shape), dtype=str(xt.dtype).split(".")[-1], requires_grad=r.random() < 0.7, layout=False)
        expr = f"MulAdd.apply({x}, {c})"
        leaves = leaves_requiring_grad(b)
    elif name == "SortValues":
        if b.value(x).dim() == 0:
            raise Rejected("0-d sort")
        expr = f"SortValues.apply({x})[0]"
    else:
        expr = f"{name}.apply({x})"
    y = b.fresh()
    if not b.try_assign(y, expr):
        raise Rejected("custom function")
    b.add(f"rec({y}.grad_fn.__class__.__name__, {y}.requires_grad)")
    add_ops(b, r.randint(0, 2))
    loss_of(b)
    if r.random() < 0.3:
        b.add_last(f"gs = T.autograd.grad(loss, [{', '.join(leaves)}], create_graph=True, allow_unused=True); rec(gs)")
        check_grads(b, "gs")
    else:
        b.add_last("loss.backward()")
        rec_grads(b, leaves)


FUNCTIONALS = [
    "T.autograd.functional.jacobian(lambda a: {f}, {x})",
    "T.autograd.functional.hessian(lambda a: ({f}).sum(), {x})",
    "T.autograd.functional.vjp(lambda a: {f}, {x}, {v})",
    "T.autograd.functional.jvp(lambda a: {f}, {x}, {v2})",
    "T.autograd.functional.hvp(lambda a: ({f}).sum(), {x}, {v2})",
    "T.autograd.functional.vhp(lambda a: ({f}).sum(), {x}, {v2})",
]
FUNCTIONAL_BODIES = [
    "a.sin() * a",
    "a.exp().sum(-1, keepdim=True) * a",
    "(a * a).cumsum(-1)",
    "a.tanh() ** 2",
    "a.softmax(-1)",
    "a / (1 + a * a)",
    "a.sigmoid() * a.cos()",
]


def functional_api(b):
    r = b.r
    dtype = r.choice(["float32", "float64", "float64"])
    shape = r.choice([(3,), (2,), (2, 2), (4,)])
    x = b.leaf(shape=shape, dtype=dtype, requires_grad=False, layout=False)
    f = r.choice(FUNCTIONAL_BODIES)
    v = b.literal(shape, dtype, dist="normal")
    # vjp's v has the output's shape: these bodies keep the shape
    expr = r.choice(FUNCTIONALS).format(f=f, x=x, v=v, v2=v)
    kw = ""
    if "jacobian" in expr or "hessian" in expr:
        kw = r.choice(["", ", create_graph=True", ", vectorize=False", ", strict=False"])
    b.add_last(f"res = {expr[:-1]}{kw}); rec(res)")


def module_hooks(b):
    r = b.r
    n_in, n_out = r.randint(1, 4), r.randint(1, 4)
    b.add(f"m = nn.Linear({n_in}, {n_out}); calls = []")
    x = b.leaf(shape=(r.randint(1, 3), n_in), dtype="float32", requires_grad=r.random() < 0.6, layout=False)
    kinds = r.sample(["fwd", "fwd_replace", "pre", "pre_replace", "bwd", "bwd_pre", "bwd_replace", "fwd_kwargs"], r.randint(1, 3))
    for k in kinds:
        code = {
            "fwd": "m.register_forward_hook(lambda mod, i, o: calls.append(('fwd', o.shape)))",
            "fwd_replace": "m.register_forward_hook(lambda mod, i, o: o * 2)",
            "pre": "m.register_forward_pre_hook(lambda mod, i: calls.append(('pre', i[0].shape)))",
            "pre_replace": "m.register_forward_pre_hook(lambda mod, i: (i[0] + 1,))",
            "bwd": "m.register_full_backward_hook(lambda mod, gi, go: calls.append(('bwd', gi, go)))",
            "bwd_pre": "m.register_full_backward_pre_hook(lambda mod, go: calls.append(('bwd_pre', go)))",
            "bwd_replace": "m.register_full_backward_hook(lambda mod, gi, go: tuple(None if g is None else g * 3 for g in gi))",
            "fwd_kwargs": "m.register_forward_hook(lambda mod, args, kwargs, o: calls.append(('kw', len(args), sorted(kwargs))), with_kwargs=True)",
        }[k]
        b.add(f"h_{k} = {code}")
    if r.random() < 0.3:
        b.add(f"h_{r.choice(kinds)}.remove()")
    b.add_last(f"out = m({x}); rec(out, calls)")
    w = b.literal(tuple(b.value("out").shape), "float32", dist="normal")
    b.add_last(f"(out * {w}).sum().backward(); rec(calls, m.weight.grad, m.bias.grad, {x}.grad)")


# autograd misuse PyTorch refuses (or, for some inputs, allows)
MISUSE = [
    "({x}.detach() * 2).sum().backward()",
    "{x}.requires_grad_(); {x}.add_(1)",
    "T.tensor([1, 2]).requires_grad_()",
    "{x}.requires_grad_(); y = {x} * 2 + 1; T.autograd.grad(y, {x})",
    "{x}.requires_grad_(); z = T.ones(2, requires_grad=True); T.autograd.grad(({x} * 2).sum(), z)",
    "{x}.requires_grad_(); {x}[0].mul_(2)",
    "{x}.requires_grad_(); y = {x} * 2; y.requires_grad_(False)",
    "{x}.detach().retain_grad()",
    "{x}.requires_grad_(); y = ({x} * 2).sum(); y.backward(); rec({x}.grad); y.backward()",
]


def requires_grad_errors(b):
    r = b.r
    x = b.leaf(dtype=r.choice(["float32", "float64"]), requires_grad=r.random() < 0.5, layout=False)
    b.add_last(r.choice(MISUSE).format(x=x))


SCENARIOS = [
    retain_and_backward_again,
    backward_after_free,
    grad_outputs,
    backward_with_gradient,
    backward_inputs,
    dead_branch,
    tensor_hooks,
    retain_grad,
    accumulate,
    inplace_on_view,
    detach_and_no_grad,
    create_graph_then_backward,
    custom_function,
    functional_api,
    module_hooks,
    requires_grad_errors,
]


def program_autograd(b):
    b.r.choice(SCENARIOS)(b)
