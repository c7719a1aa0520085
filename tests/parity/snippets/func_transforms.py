"""`torch.func` side by side with PyTorch: grad (nested, argnums, has_aux),
vjp, jvp, jacrev/jacfwd/hessian, vmap (in_dims, out_dims, randomness) and
functional_call, including the per-sample-gradient and ensembling
patterns of PyTorch's tutorials."""

_PREDICT = """
def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()
weight = T.randn(4, 4, dtype=T.float64); bias = T.randn(4, dtype=T.float64); x = T.randn(4, dtype=T.float64)
"""

PROGRAMS = {
    "jacrev and jacfwd": _PREDICT
    + """
jw, jb = T.func.jacrev(predict, argnums=(0, 1))(weight, bias, x)
rec(T.func.jacrev(predict, argnums=2)(weight, bias, x), jw, jb, T.func.jacfwd(predict, argnums=2)(weight, bias, x))
""",
    "hessian": _PREDICT
    + """
rec(T.func.hessian(lambda t: predict(weight, bias, t).sum())(x), T.func.hessian(predict, argnums=2)(weight, bias, x))
""",
    "batched jacobian": _PREDICT
    + """
xb = T.randn(3, 4, dtype=T.float64)
rec(T.func.vmap(T.func.jacrev(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, xb))
""",
    "grad nested and with argnums": """
x = T.tensor([0.3, -1.1, 2.0], dtype=T.float64)
f = lambda t: (t.sin() * t).sum()
g2 = T.func.grad(T.func.grad(lambda t: t.sin() * t.exp()))(T.tensor(0.7, dtype=T.float64))
(ga, gb), v = T.func.grad_and_value(lambda a, b: (a * b.exp()).sum(), argnums=(0, 1))(x, x * 2)
gx, aux = T.func.grad(lambda t: ((t ** 2).sum(), t.mean()), has_aux=True)(x)
rec(T.func.grad(f)(x), g2, ga, gb, v, gx, aux, T.func.grad(f)(x).requires_grad)
""",
    "grad of a non-scalar": """
T.func.grad(lambda t: t * 2)(T.ones(3))
""",
    "vjp and jvp": """
x = T.tensor([0.3, -1.1, 2.0])
out, fn = T.func.vjp(T.sin, x)
rec(out, fn(T.tensor([1.0, 2.0, 3.0])), T.func.jvp(lambda t: t.sin() * t, (x,), (T.tensor([1.0, 0.5, -1.0]),)))
""",
    "vmap dims": """
a = T.arange(24.).reshape(2, 3, 4)
rec(T.func.vmap(T.sum)(a), T.func.vmap(T.sum, in_dims=1)(a), T.func.vmap(lambda t: t * 2, in_dims=2, out_dims=1)(a),
    T.vmap(T.dot)(T.ones(2, 3), T.arange(6.).reshape(2, 3)),
    T.func.vmap(lambda t, s: t * s, in_dims=(0, None))(a, 3.0),
    T.func.vmap(lambda t: (t.sum(), t.max()))(a))
""",
    "vmap size mismatch": """
T.func.vmap(T.add)(T.ones(2, 3), T.ones(3, 3))
""",
    "vmap randomness": """
T.manual_seed(0)
same = T.func.vmap(lambda t: t + T.rand(2), randomness='same')(T.zeros(3, 2))
rec(same[0].equal(same[1]), same[1].equal(same[2]))
T.func.vmap(lambda t: t + T.rand(2))(T.zeros(3, 2))
""",
    "per-sample gradients": """
T.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
data = T.randn(6, 5); targets = T.randint(3, (6,))
params = {k: v.detach() for k, v in model.named_parameters()}
def compute_loss(params, sample, target):
    out = T.func.functional_call(model, params, (sample.unsqueeze(0),))
    return F.cross_entropy(out, target.unsqueeze(0))
grads = T.func.vmap(T.func.grad(compute_loss), in_dims=(None, 0, 0))(params, data, targets)
rec(sorted(grads), [grads[k] for k in sorted(grads)])
""",
    "ensemble with stack_module_state": """
T.manual_seed(0)
models = [nn.Linear(3, 2) for _ in range(4)]
p, b = T.func.stack_module_state(models)
def fmodel(params, buffers, x):
    return T.func.functional_call(models[0], (params, buffers), (x,))
x = T.randn(5, 3)
out = T.func.vmap(fmodel, in_dims=(0, 0, None))(p, b, x)
out.sum().backward()
rec(out.detach(), p['weight'].grad, [m(x) for m in models])
""",
}


def programs():
    return [(f"func {name}", [code.strip()]) for name, code in PROGRAMS.items()]
