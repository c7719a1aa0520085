"""Optimizers, learning-rate schedulers, autograd helpers and linalg side by
side with PyTorch: the same training loop gives the same weights, the same
learning-rate (and momentum) sequence, and linalg the same values and
gradients."""

# ---- optimizers: six steps (twelve for RAdam, whose rectified branch
# starts at step 6) of a small nonconvex problem, then the weights ----

OPTIMIZERS = [
    ("Adadelta", {}),
    ("Adadelta", dict(lr=0.5, weight_decay=0.1, maximize=True)),
    ("Adamax", {}),
    ("Adamax", dict(weight_decay=0.01)),
    ("NAdam", {}),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", {}),
    ("RAdam", dict(weight_decay=0.1)),
    ("Rprop", {}),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("ASGD", {}),
    ("ASGD", dict(lr=0.05, lambd=1e-3, alpha=0.5, t0=2, weight_decay=0.01)),
]

# ---- L-BFGS: three closure steps on the same problem, in float64 and
# float32, with and without the strong-Wolfe line search; the losses, the
# weights and the evaluation counts ----

LBFGS_CASES = [
    ("float64", dict(history_size=4, max_iter=8)),
    ("float64", dict(line_search_fn="strong_wolfe", max_iter=10)),
    ("float32", dict(lr=0.5, max_iter=5)),
    ("float32", dict(line_search_fn="strong_wolfe", history_size=3, max_iter=6)),
    ("float64", dict(tolerance_change=1e-3, max_eval=7)),
]

LBFGS_LOOP = """
w = T.nn.Parameter(T.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype=T.{dtype}))
opt = T.optim.LBFGS([w], **{kw!r})
x = T.tensor(np.arange(12.0).reshape(4, 3) / 10, dtype=T.{dtype})
def closure():
    opt.zero_grad()
    loss = ((w @ x).sin() ** 2).sum() + (w ** 4).sum()
    loss.backward()
    return loss
R = []
for _ in range(3):
    R.append(opt.step(closure).detach())
st = opt.state[w]
R += [w, st["func_evals"], st["n_iter"], st["d"], len(st["old_dirs"])]
"""

OPTIMIZER_LOOP = """
w = T.nn.Parameter(T.tensor(np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32)))
opt = T.optim.{name}([w], **{kw!r})
x = T.tensor(np.arange(12.0).reshape(4, 3).astype(np.float32) / 10)
for _ in range({steps}):
    opt.zero_grad()
    loss = ((w @ x).sin() ** 2).sum() + (w ** 4).sum()
    loss.backward()
    opt.step()
R = w
"""

# ---- schedulers: fourteen steps of SGD with momentum, then the
# learning rate and momentum after each ----

SCHEDULERS = {
    "MultiplicativeLR": "S.MultiplicativeLR(o, lambda e: 0.9)",
    "ConstantLR": "S.ConstantLR(o, factor=0.5, total_iters=3)",
    "LinearLR": "S.LinearLR(o, start_factor=0.2, end_factor=0.8, total_iters=5)",
    "PolynomialLR": "S.PolynomialLR(o, total_iters=6, power=2.0)",
    "CosineAnnealingWarmRestarts": "S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01)",
    "CyclicLR": "S.CyclicLR(o, 0.01, 0.1, step_size_up=3)",
    "CyclicLR_triangular2": "S.CyclicLR(o, 0.01, 0.1, step_size_up=2, step_size_down=3, mode='triangular2')",
    "CyclicLR_exp_range": "S.CyclicLR(o, 0.01, 0.1, step_size_up=2, mode='exp_range', gamma=0.9, cycle_momentum=False)",
    "SequentialLR": "S.SequentialLR(o, [S.ConstantLR(o, factor=0.1, total_iters=2), S.ExponentialLR(o, gamma=0.9)], milestones=[2])",
    "SequentialLR_three": "S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=3), S.StepLR(o, 2, 0.5), S.CosineAnnealingLR(o, 5)], milestones=[3, 7])",
    "ChainedScheduler": "S.ChainedScheduler([S.ConstantLR(o, factor=0.1, total_iters=2), S.ExponentialLR(o, gamma=0.9)])",
}

SCHEDULER_LOOP = """
w = T.nn.Parameter(T.zeros(2))
o = T.optim.SGD([w], lr=0.1, momentum=0.9)
S = T.optim.lr_scheduler
s = {make}
R = []
for _ in range(14):
    o.step()
    s.step()
    R.append((round(o.param_groups[0]["lr"], 10), round(o.param_groups[0].get("momentum", 0), 10)))
"""

AUTOGRAD_HELPERS = """
f = lambda a: (a ** 3).sum() + a.prod()
x, v = T.tensor([1.0, 2.0, 0.5]), T.tensor([1.0, -1.0, 2.0])
Fn = T.autograd.functional
rec(Fn.jvp(lambda a: a.sin() * a, x, v), Fn.hvp(f, x, v), Fn.vhp(f, x, v))
"""

# anomaly mode names the node that made a NaN
ANOMALY = """
y = T.autograd.Variable(T.tensor([1.0, 0.0]), requires_grad=True)
with T.autograd.detect_anomaly():
    (y.sqrt() * 0).sum().backward()
"""

# ---- linalg in float64: values, then the gradients of a weighted sum
# of the outputs (name, expression, its arguments, their inputs, whether
# gradients are compared) ----

LINALG_INPUTS = """
rng = np.random.default_rng(0)
M = rng.normal(size=(3, 3)); SPD = M @ M.T + 3 * np.eye(3); B = rng.normal(size=(3, 2)); b = rng.normal(size=3)
"""

LINALG = [
    ("inv", "T.linalg.inv(a)", ["a"], ["M"], True),
    ("inverse", "T.inverse(a)", ["a"], ["M"], True),
    ("det", "T.linalg.det(a)", ["a"], ["M"], True),
    ("det batched", "T.det(a.reshape(1, 3, 3).expand(2, 3, 3) * T.tensor([[[1.0]], [[2.0]]], dtype=T.float64))", ["a"], ["M"], True),
    ("slogdet", "T.linalg.slogdet(a).logabsdet", ["a"], ["M"], True),
    ("logdet", "T.logdet(a)", ["a"], ["SPD"], True),
    ("solve", "T.linalg.solve(a, bb), M", ["a", "bb"], ["B"], True),
    ("solve vec", "T.linalg.solve(a, bb), M", ["a", "bb"], ["b"], True),
    ("solve right", "T.linalg.solve(a, bb, left=False), M", ["a", "bb"], ["B.T"], True),
    ("cholesky", "T.linalg.cholesky(a)", ["a"], ["SPD"], True),
    ("cholesky upper", "T.linalg.cholesky(a, upper=True)", ["a"], ["SPD"], True),
    ("eigh", "T.linalg.eigh(a)[0] * 1 + T.linalg.eigh(a)[1].abs().sum(0)", ["a"], ["SPD"], True),
    ("eigvalsh", "T.linalg.eigvalsh(a)", ["a"], ["SPD"], True),
    ("svdvals", "T.linalg.svdvals(a)", ["a"], ["M"], True),
    ("matrix_norm fro", "T.linalg.matrix_norm(a)", ["a"], ["M"], True),
    ("matrix_norm nuc", "T.linalg.matrix_norm(a, 'nuc')", ["a"], ["M"], True),
    ("matrix_norm 2", "T.linalg.matrix_norm(a, 2)", ["a"], ["M"], True),
    ("matrix_norm 1", "T.linalg.matrix_norm(a, 1)", ["a"], ["M"], True),
    ("matrix_norm -inf", "T.linalg.matrix_norm(a, float('-inf'))", ["a"], ["M"], True),
    ("norm vec", "T.linalg.norm(a[0])", ["a"], ["M"], True),
    ("norm matrix", "T.linalg.norm(a)", ["a"], ["M"], True),
    ("norm ord3 dim", "T.linalg.norm(a, 3, dim=1)", ["a"], ["M"], True),
    ("vector_norm inf", "T.linalg.vector_norm(a, float('inf'), dim=0)", ["a"], ["M"], True),
    ("vector_norm 0.5", "T.linalg.vector_norm(a, 0.5)", ["a"], ["M"], True),
    ("matrix_power 3", "T.linalg.matrix_power(a, 3)", ["a"], ["M"], True),
    ("matrix_power -2", "T.matrix_power(a, -2)", ["a"], ["M"], True),
    ("svd fwd", "T.linalg.svd(a)[1]", ["a"], ["M"], False),
    ("pinv fwd", "T.linalg.pinv(a)", ["a"], ["B"], False),
    ("qr R abs", "T.linalg.qr(a)[1].abs()", ["a"], ["M"], False),
    ("vdot", "T.vdot(a[0], a[1])", ["a"], ["M"], True),
    ("inner", "T.inner(a, a)", ["a"], ["M"], True),
    ("ger", "T.ger(a[0], a[1])", ["a"], ["M"], True),
    ("dist", "T.dist(a[0], a[1], 3)", ["a"], ["M"], True),
    ("renorm", "T.renorm(a, 2, 0, 1.0)", ["a"], ["M"], True),
    ("old svd V", "T.svd(a)[2].abs()", ["a"], ["M"], False),
]

LINALG_CASE = """
{args} = {tensors}
out = {expr}
outs = out if isinstance(out, tuple) else (out,)
rec(*outs)
"""

LINALG_GRADIENT = """
tot = sum((o * T.tensor(np.linspace(0.5, 1.5, o.numel()).reshape(o.shape))).sum() for o in outs if o.dtype.is_floating_point)
tot.backward()
rec({grads})
"""


def _linalg_program(expr, args, arrays, grad):
    tensors = ", ".join(f"T.tensor({a}, dtype=T.float64, requires_grad={grad})" for a in arrays)
    steps = [LINALG_INPUTS.strip(), LINALG_CASE.format(args=", ".join(args) + ",", tensors=tensors + ",", expr=expr).strip()]
    if grad:
        steps.append(LINALG_GRADIENT.format(grads=", ".join(f"{a}.grad" for a in args)).strip())
    return steps


def programs():
    """(name, steps) of every case."""
    out = []
    for i, (name, kw) in enumerate(OPTIMIZERS):
        code = OPTIMIZER_LOOP.format(name=name, kw=kw, steps=12 if name == "RAdam" else 6).strip()
        out.append((f"optimizer {name} {i}", [code, "rec(R)"]))
    for i, (dtype, kw) in enumerate(LBFGS_CASES):
        out.append((f"optimizer LBFGS {i}", [LBFGS_LOOP.format(dtype=dtype, kw=kw).strip(), "rec(R)"]))
    for name, make in sorted(SCHEDULERS.items()):
        out.append((f"scheduler {name}", [SCHEDULER_LOOP.format(make=make).strip(), "rec(R)"]))
    out.append(("autograd helpers", [AUTOGRAD_HELPERS.strip(), ANOMALY.strip()]))
    for name, expr, args, arrays, grad in LINALG:
        out.append((f"linalg {name}", _linalg_program(expr, args, arrays, grad)))
    return out
