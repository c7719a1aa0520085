"""Forward-mode AD side by side with PyTorch: dual tensors through
elementwise ops, broadcasting, reductions, matmul, layers and losses, in
grad mode and under no_grad, in-place ops, custom Functions with `jvp`,
gradcheck's forward-mode check, reverse-over-forward, and the errors;
with the patterns of PyTorch's forward-mode AD tutorial."""

PROGRAMS = {
    "elementwise chain and printing": """
fw = T.autograd.forward_ad
x = T.tensor([0.3, -1.1, 2.0]); t = T.tensor([1.0, 0.5, -2.0])
with fw.dual_level():
    d = fw.make_dual(x, t)
    out = (d.sin() * d.exp() + d ** 2 / 2.0).tanh()
    p, tan = fw.unpack_dual(out)
    rec(p, tan, repr(d), repr(out), fw.unpack_dual(d).tangent is t, d.requires_grad, out.grad_fn is None)
rec(fw.unpack_dual(out).tangent is None)
""",
    "broadcasting, reductions and matmul": """
fw = T.autograd.forward_ad
T.manual_seed(0)
a = T.randn(3, 1, dtype=T.float64); ta = T.randn(3, 1, dtype=T.float64)
b = T.randn(4, dtype=T.float64); w = T.randn(4, 2, dtype=T.float64)
with fw.dual_level():
    d = fw.make_dual(a, ta)
    y = d * b + b
    res = [y.sum(), y.sum(1), y.mean(0), y.amax(1), y.max(), y @ w, y.softmax(-1), y.log_softmax(0), y.norm(), y.cumsum(1),
           y.transpose(0, 1).reshape(-1), y[1:, ::2], T.cat([y, b[None]]), T.where(y > 0, y, b), y.clamp(-0.5, 0.5), y.relu(), y.abs(),
           y.floor(), y.var(1), T.stack([y, y * 2])]
    rec(*[fw.unpack_dual(r).tangent for r in res])
""",
    "layers and losses through functional_call": """
fw = T.autograd.forward_ad
T.manual_seed(0)
model = T.nn.Sequential(T.nn.Linear(5, 4), T.nn.LayerNorm(4), T.nn.GELU(), T.nn.Linear(4, 3))
x = T.randn(6, 5); target = T.tensor([0, 2, 1, 1, 0, 2])
params = dict(model.named_parameters())
tangents = {k: T.rand_like(v) for k, v in params.items()}
with fw.dual_level():
    duals = {k: fw.make_dual(v, tangents[k]) for k, v in params.items()}
    out = T.func.functional_call(model, duals, (x,))
    loss = T.nn.functional.cross_entropy(out, target)
    mse = T.nn.functional.mse_loss(out, T.zeros(6, 3))
    # the tangents depend on the parameters (they require grad): values and that flag are compared
    tangents = [fw.unpack_dual(r).tangent for r in (out, loss, mse)]
    rec(*[t.detach() for t in tangents], [t.requires_grad for t in tangents])
""",
    "module parameters replaced by duals (the tutorial's pattern)": """
fw = T.autograd.forward_ad
T.manual_seed(0)
model = T.nn.Linear(5, 5)
inp = T.randn(16, 5)
params = {name: p for name, p in model.named_parameters()}
tangents = {name: T.rand_like(p) for name, p in params.items()}
with fw.dual_level():
    for name, p in params.items():
        delattr(model, name)
        setattr(model, name, fw.make_dual(p, tangents[name]))
    out = model(inp)
    tangent = fw.unpack_dual(out).tangent
    rec(tangent.detach(), tangent.requires_grad)
""",
    "convolution and pooling": """
fw = T.autograd.forward_ad
T.manual_seed(0)
x = T.randn(2, 3, 8, 8); tx = T.randn(2, 3, 8, 8)
conv = T.nn.Conv2d(3, 4, 3, padding=1); bn = T.nn.BatchNorm2d(4)
with fw.dual_level():
    d = fw.make_dual(x, tx)
    y = T.nn.functional.max_pool2d(T.relu(bn(conv(d))), 2)
    z = T.nn.functional.adaptive_avg_pool2d(y, 1).flatten(1)
    ty, tz = fw.unpack_dual(y).tangent, fw.unpack_dual(z).tangent
    rec(ty.detach(), tz.detach(), ty.requires_grad, tz.requires_grad)
""",
    "under no_grad, detach, plain tensors": """
fw = T.autograd.forward_ad
x = T.tensor([0.5, 1.5]); t = T.tensor([1.0, -1.0])
with fw.dual_level():
    d = fw.make_dual(x, t)
    with T.no_grad():
        e = d.exp() * 3
    rec(fw.unpack_dual(e).tangent, fw.unpack_dual(d.detach()).tangent, fw.unpack_dual(x).tangent,
        fw.unpack_dual(d + T.ones(2)).tangent, fw.unpack_dual(T.ones(2) * 4).tangent, fw.unpack_dual(d > 1).tangent)
""",
    "in-place ops": """
fw = T.autograd.forward_ad
with fw.dual_level():
    x = fw.make_dual(T.tensor([1.0, 2.0]), T.tensor([1.0, 0.0]))
    x.mul_(3)
    y = T.tensor([1.0, 2.0]).clone()
    y.add_(x)
    z = T.zeros(2)
    z.copy_(x * x)
    rec(fw.unpack_dual(x).tangent, fw.unpack_dual(y).tangent, fw.unpack_dual(z).tangent, x)
""",
    "primal that requires grad: reverse mode and reverse-over-forward": """
fw = T.autograd.forward_ad
q = T.tensor([0.2, -0.7, 1.3], dtype=T.float64, requires_grad=True)
t = T.tensor([1.0, 2.0, 0.5], dtype=T.float64)
with fw.dual_level():
    d = fw.make_dual(q, t)
    out = (d.sin() * d).sum()
    jvp = fw.unpack_dual(out).tangent
    # a tangent's own grad_fn is the product's node here, not PyTorch's formula's: not compared
    rec(repr(d), d.grad_fn.name(), jvp.detach(), jvp.requires_grad)
    jvp.backward()
    rec(q.grad)
""",
    "custom Function with jvp (the tutorial's)": """
fw = T.autograd.forward_ad
class Fn(T.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = T.exp(foo)
        ctx.result = result
        return result
    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result
        return gO
T.manual_seed(0)
primal = T.randn(3, 3, dtype=T.double, requires_grad=True)
tangent = T.randn(3, 3, dtype=T.double)
with fw.dual_level():
    dual_output = Fn.apply(fw.make_dual(primal, tangent))
    jvp = fw.unpack_dual(dual_output).tangent
    rec(jvp.detach(), jvp.requires_grad)
rec(T.autograd.gradcheck(Fn.apply, (primal,), check_forward_ad=True, check_backward_ad=False, check_undefined_grad=False, check_batched_grad=False))
""",
    "custom Function whose jvp reads save_for_backward tensors": """
fw = T.autograd.forward_ad
class Fn2(T.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return a * b * k, a + 1
    @staticmethod
    def jvp(ctx, ga, gb, gk):
        a, b = ctx.saved_tensors
        return (ga * b + a * gb) * ctx.k, ga
with fw.dual_level():
    d = fw.make_dual(T.tensor([1.0, 2.0]), T.tensor([1.0, 0.0]))
    r = Fn2.apply(d, T.tensor([3.0, 4.0]), 5.0)
    s = Fn2.apply(T.tensor([3.0, 4.0]), d, 2.0)
    rec([fw.unpack_dual(v).tangent for v in r], [fw.unpack_dual(v).tangent for v in s])
""",
    "custom Function with save_for_forward": """
fw = T.autograd.forward_ad
class Mul(T.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_forward(a, b)
        ctx.save_for_backward(b)
        return a * b
    @staticmethod
    def jvp(ctx, ga, gb):
        a, b = ctx.saved_tensors
        return ga * b + a * gb
    @staticmethod
    def backward(ctx, g):
        (b,) = ctx.saved_tensors
        return g * b, None
q = T.tensor([1.0, 2.0], requires_grad=True)
with fw.dual_level():
    out = Mul.apply(fw.make_dual(q, T.tensor([1.0, -1.0])), T.tensor([3.0, 4.0]))
    tangent = fw.unpack_dual(out).tangent
    rec(tangent.detach(), tangent.requires_grad)
    out.sum().backward()
rec(q.grad)
""",
    "custom Function without jvp": """
fw = T.autograd.forward_ad
class NoJvp(T.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2
with fw.dual_level():
    NoJvp.apply(fw.make_dual(T.ones(2), T.ones(2)))
""",
    "gradcheck forward mode on ops": """
x = T.tensor([0.3, -0.4, 0.9], dtype=T.float64, requires_grad=True)
y = T.tensor([[0.5, 1.5, -0.2]], dtype=T.float64, requires_grad=True)
rec(T.autograd.gradcheck(lambda a, b: (a * b).sigmoid().log_softmax(-1), (x, y), check_forward_ad=True),
    T.autograd.gradcheck(lambda a: T.nn.functional.softplus(a).cumprod(0), (x,), check_forward_ad=True))
""",
    "make_dual outside a level": """
T.autograd.forward_ad.make_dual(T.ones(2), T.ones(2))
""",
    "make_dual with another size": """
with T.autograd.forward_ad.dual_level():
    T.autograd.forward_ad.make_dual(T.ones(3), T.ones(4))
""",
    "make_dual of an integer tensor": """
with T.autograd.forward_ad.dual_level():
    T.autograd.forward_ad.make_dual(T.arange(3), T.ones(3))
""",
    "make_dual of a dual tensor": """
fw = T.autograd.forward_ad
with fw.dual_level():
    fw.make_dual(fw.make_dual(T.ones(2), T.ones(2)), T.ones(2))
""",
    "nested levels": """
fw = T.autograd.forward_ad
with fw.dual_level():
    fw.enter_dual_level()
""",
    "enter and exit by hand, then jvp and jacfwd": """
fw = T.autograd.forward_ad
level = fw.enter_dual_level()
d = fw.make_dual(T.tensor([1.0, 2.0]), T.tensor([0.5, 0.5]))
tan = fw.unpack_dual(d.log1p()).tangent
fw.exit_dual_level()
rec(level, tan, fw.unpack_dual(d).tangent,
    T.func.jvp(lambda a, b: a ** 2 + b ** 2, (T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])), (T.tensor([1.0, 1.0]), T.tensor([0.0, 2.0]))),
    T.func.jacfwd(lambda a: a.sin() * a)(T.tensor([0.1, 0.2])))
""",
}


def programs():
    return [(f"forward_ad {name}", [code.strip()]) for name, code in PROGRAMS.items()]
