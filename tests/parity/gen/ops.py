"""Random op graphs: a few inputs, a chain of ops from the catalogue, then
gradients, first order (`ops`) or second and third order (`ops2`)."""

from .catalog import CATALOG, satisfies
from .core import Rejected
from .filler import Filler

GROUP_WEIGHTS = {"unary": 30, "binary": 25, "reduce": 18, "shape": 20, "matmul": 7}


def _float_grad(b, name):
    v = b.value(name)
    return v.dtype.is_floating_point and v.requires_grad


def add_ops(b, count):
    """Appends `count` op steps drawn from the catalogue (fewer when
    proposals keep failing)."""
    r = b.r
    groups, weights = zip(*GROUP_WEIGHTS.items())
    made = 0
    for _ in range(count * 12):
        if made == count:
            break
        group = r.choices(groups, weights)[0]
        req, template = r.choice(CATALOG[group])
        pool = b.tensors(lambda t: t.device.type != "meta" and satisfies(req, t))
        if not pool:
            continue
        # prefer recent values, so the ops form chains rather than a fan
        pool.sort(key=lambda k: int("".join(c for c in k if c.isdigit()) or 0))
        x = pool[-1] if r.random() < 0.6 else r.choice(pool)
        expr = Filler(b, x).fill(template)
        if b.try_assign(b.fresh(), expr):
            made += 1
    return made


def weighted_sum(b, names):
    """An expression summing each tensor times fixed weights, so no two
    elements get the same gradient by symmetry."""
    parts = []
    for n in names:
        t = b.value(n)
        w = b.literal(tuple(t.shape), str(t.dtype).split(".")[-1], dist="normal")
        parts.append(f"({n} * {w}).sum()")
    return " + ".join(parts)


def leaves_requiring_grad(b):
    return [k for k in b.tensors(lambda t: t.is_leaf and t.requires_grad)]


def outputs(b, leaves):
    """Values that depend on a leaf through differentiable ops: the roots."""
    cands = [
        k
        for k in b.tensors(lambda t: t.dtype.is_floating_point and t.requires_grad and not t.is_leaf and t.device.type != "meta")
        if k.startswith("v")
    ]
    if not cands:
        raise Rejected("no differentiable output")
    r = b.r
    k = min(len(cands), r.choice([1, 1, 2, 3]))
    latest = cands[-1]
    picks = [latest] + r.sample(cands[:-1], k - 1) if k > 1 else [latest]
    return picks


def gradients_first_order(b):
    r = b.r
    leaves = leaves_requiring_grad(b)
    roots = outputs(b, leaves)
    style = r.choice(["backward", "backward", "gradient", "grad"])
    if style == "gradient" and len(roots) == 1:
        t = b.value(roots[0])
        w = b.literal(tuple(t.shape), str(t.dtype).split(".")[-1], dist="normal")
        b.add_last(f"{roots[0]}.backward(gradient={w})")
    elif style == "grad":
        b.add(f"loss = {weighted_sum(b, roots)}")
        b.add_last(f"gs = T.autograd.grad(loss, [{', '.join(leaves)}], allow_unused=True); rec(gs)")
        check_grads(b, "gs")
        return
    else:
        b.add(f"loss = {weighted_sum(b, roots)}; rec(loss)")
        b.add_last("loss.backward()")
    b.add(f"rec({', '.join(leaf + '.grad' for leaf in leaves)})")
    check_grads(b, *[leaf + ".grad" for leaf in leaves])


def gradients_higher_order(b, order):
    leaves = leaves_requiring_grad(b)
    roots = outputs(b, leaves)
    b.add(f"loss = {weighted_sum(b, roots)}; rec(loss)")
    target = "loss"
    for k in range(1, order):
        b.add_last(f"g{k} = T.autograd.grad({target}, [{', '.join(leaves)}], create_graph=True, allow_unused=True); rec(g{k})")
        check_grads(b, f"g{k}")
        gs = b.value(f"g{k}")
        used = [(i, g) for i, g in enumerate(gs) if g is not None]
        if not used:
            return
        parts = []
        for i, g in used:
            w = b.literal(tuple(g.shape), str(g.dtype).split(".")[-1], dist="normal")
            parts.append(f"(g{k}[{i}] * {w}).sum()")
        b.add(f"s{k} = {' + '.join(parts)}; rec(s{k})")
        target = f"s{k}"
    # the last order through backward(), into .grad, which may raise
    # (no path to a leaf) exactly as PyTorch raises
    b.add_last(f"{target}.backward()")
    b.add(f"rec({', '.join(leaf + '.grad' for leaf in leaves)})")
    check_grads(b, *[leaf + ".grad" for leaf in leaves])


def check_grads(b, *exprs):
    for e in exprs:
        try:
            v = eval(e, b.ns)
        except Exception as err:  # noqa: BLE001
            raise Rejected(str(err)) from err
        if not b.well_conditioned(v):
            raise Rejected(f"{e} ill conditioned")


def program_ops(b):
    r = b.r
    for _ in range(r.choice([1, 1, 2, 2, 3])):
        b.leaf()
    if not leaves_requiring_grad(b):
        b.leaf(dtype=r.choice(["float32", "float64"]), requires_grad=True)
    add_ops(b, r.randint(2, 7))
    gradients_first_order(b)


def program_ops2(b):
    r = b.r
    for _ in range(r.choice([1, 2, 2])):
        b.leaf(dtype=r.choice(["float32", "float64", "float64"]), requires_grad=r.random() < 0.9)
    if not leaves_requiring_grad(b):
        b.leaf(dtype="float64", requires_grad=True)
    add_ops(b, r.randint(2, 6))
    gradients_higher_order(b, r.choice([2, 2, 2, 3]))
