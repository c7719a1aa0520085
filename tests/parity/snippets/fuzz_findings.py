"""Findings of the session's random-program fuzzers (first- and
second-order graphs, the autograd API), each as PyTorch behaves: lerp's
dtype and broadcast errors, broadcast_shapes' message, masked_fill that
broadcasts self, put's node, the gradient of a 0-d input through
broadcasting, and x * x's gradient (one pass here) with hooks and views."""

PROGRAMS = {
    "lerp refuses a float64 end for float32": "T.lerp(T.randn(3), T.randn(3, dtype=T.float64), 0.3)",
    "lerp refuses a float64 weight with dims": "T.lerp(T.randn(3), T.randn(3), T.rand(3, dtype=T.float64))",
    "lerp names the first broadcast mismatch": "T.lerp(T.randn(2, 3), T.randn(4, 1), T.rand(3))",
    "lerp with a 0-d float64 weight": "x = T.randn(3)\nrec(T.lerp(x, x * 2, T.tensor(0.5, dtype=T.float64)))",
    "broadcast_shapes": "rec(T.broadcast_shapes((2, 1), (1, 2, 3), (4, 1, 1)), T.broadcast_shapes((0,), (2, 1)), T.broadcast_shapes(3, (2, 1)))",
    "broadcast_shapes mismatch": "T.broadcast_shapes((5,), (2, 3))",
    "broadcast_shapes negative": "T.broadcast_shapes((-1,))",
    "masked_fill broadcasts self": """
a = T.arange(6.0).reshape(2, 3).requires_grad_()
r = a.masked_fill(T.tensor([True, False, True, False]).reshape(4, 1, 1), -1.0)
r.sum().backward()
rec(r, a.grad)
""",
    "masked_fill_ refuses to grow": "T.zeros(2, 3).masked_fill_(T.tensor([True, False]).reshape(2, 1, 1), 1.0)",
    "put": """
x = T.arange(6.0, dtype=T.float64).reshape(2, 3).requires_grad_()
src = T.tensor([10.0, 20.0], dtype=T.float64, requires_grad=True)
y = x.put(T.tensor([1, 4]), src * 2)
y.sum().backward()
rec(y, x.grad, src.grad)
""",
    "gradient of a 0-d input through broadcasting": """
x = T.tensor(2.0, requires_grad=True)
y = T.linspace(-1, 1, 12).reshape(3, 4).requires_grad_()
g = T.autograd.grad((x * y * y).sum(), (x, y), create_graph=True)
rec(g)
""",
    "x * x with hooks and views": """
x = T.linspace(-2, 2, 7, dtype=T.float64).requires_grad_()
seen = []
v = x.view_as(x)
v.register_hook(lambda g: seen.append(g.clone()))
(x * v).sum().backward()
a = x.grad.clone()
x.grad = None
z = x * 1
z.retain_grad()
(z * z * 3).sum().backward()
rec(a, seen, x.grad, z.grad)
""",
    "lerp's create_graph gradients": """
a = T.linspace(-1, 1, 3, dtype=T.float64).reshape(3, 1).requires_grad_()
b = T.linspace(0, 2, 12, dtype=T.float64).reshape(3, 4).requires_grad_()
c = T.linspace(1, 3, 4, dtype=T.float64).requires_grad_()
w = T.linspace(0.1, 0.9, 12, dtype=T.float64).reshape(3, 4).requires_grad_()
g1 = T.autograd.grad(T.lerp(a, b, 0.3).pow(2).sum(), (a, b), create_graph=True)
g2 = T.autograd.grad(T.lerp(c, b, 0.7).pow(2).sum(), (c,), create_graph=True)
g3 = T.autograd.grad(T.lerp(a, b, w).pow(2).sum(), (a, b, w), create_graph=True)
h = T.autograd.grad(sum(x.sum() for x in g3), (a, b, w))
rec(g1, g2, g3, h)
""",
    "t and transpose gradients under create_graph": """
b = T.linspace(-1, 1, 12, dtype=T.float64).reshape(3, 4).requires_grad_()
g1 = T.autograd.grad(b.t().relu().sum(), b, create_graph=True)
g2 = T.autograd.grad(b.transpose(0, 1).sin().sum(), b, create_graph=True)
g3 = T.autograd.grad(b.mT.pow(3).sum(), b, create_graph=True)
g4 = T.autograd.grad(b.permute(1, 0).pow(3).sum(), b, create_graph=True)
rec(g1, g2, g3, g4)
""",
    "hypot's second order divides by its output": """
a = T.tensor([0.0, 3.0, 1e-200, 1e200, -2.0], dtype=T.float64, requires_grad=True)
b = T.tensor([0.0, 4.0, 1e-200, 1e200, 0.5], dtype=T.float64, requires_grad=True)
h = T.hypot(a, b)
g = T.autograd.grad(h.sum(), (a, b), create_graph=True)
rec(h, g, T.autograd.grad(g[0].sum(), (a, b)))
""",
    "printing a ratio that overflows": "rec(str(T.tensor([1e-200, 1e200], dtype=T.float64)))",
    "softshrink and hardshrink, fused": """
for dt in (T.float32, T.float64):
    # (no NaN: PyTorch's own kernels disagree on its gradient, the
    # vectorised lanes giving 0 and the scalar tail the outer piece's)
    x = T.tensor([-2.0, -0.5, -0.3, 0.0, 0.25, 0.5, 0.7, 3.0, float("inf"), -float("inf")], dtype=dt, requires_grad=True)
    for f in (F.softshrink, F.hardshrink):
        y = f(x, 0.5)
        g, = T.autograd.grad((y * y).sum(), x, create_graph=True)
        h, = T.autograd.grad(g.sum(), x, allow_unused=True)
        rec(y, g, h, f(x.detach(), 0.0), f(x.detach()))
x = T.linspace(-1, 1, 7, dtype=T.float64, requires_grad=True)
y = F.softshrink(x, 0.3)
g, = T.autograd.grad(y.sum(), x, create_graph=True)
rec(y, g)
rec(F.softshrink(T.ones(2), -1.0))
""",
}


def programs():
    return [(f"fuzz findings {name}", [code.strip()]) for name, code in PROGRAMS.items()]
