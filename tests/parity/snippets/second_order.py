"""Gradients taken with create_graph through ops whose PyTorch backward
kernel reads the input (pooling by index, reflection and replication
padding, nll_loss, grid_sample, prelu): the gradient's node, whether it
requires grad, and the next order; the margin losses whose next order
PyTorch refuses; atan2's masked origin; put's one node; nll_loss of
N-d input."""

LINKED = {
    "max_pool2d": ("(2, 5, 5)", "F.max_pool2d(x, 2)"),
    "max_pool2d batched": ("(1, 2, 5, 5)", "F.max_pool2d(x, 2, stride=1, padding=1)"),
    "max_pool1d": ("(2, 3, 7)", "F.max_pool1d(x, 3, stride=2)"),
    "max_pool3d": ("(1, 2, 4, 4, 4)", "F.max_pool3d(x, 2)"),
    "adaptive_max_pool2d": ("(1, 2, 5, 5)", "F.adaptive_max_pool2d(x, 3)"),
    "adaptive_max_pool1d": ("(2, 3, 7)", "F.adaptive_max_pool1d(x, 4)"),
    "adaptive_max_pool3d": ("(1, 2, 4, 4, 4)", "F.adaptive_max_pool3d(x, 3)"),
    "fractional_max_pool2d": (
        "(1, 2, 6, 6)",
        "F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=T.tensor([[[0.3, 0.7], [0.1, 0.9]]], dtype=T.float64))",
    ),
    "reflect pad 1d": ("(2, 3, 6)", "F.pad(x, (2, 1), mode='reflect')"),
    "reflect pad 2d": ("(1, 2, 4, 4)", "F.pad(x, (1, 2, 2, 1), mode='reflect')"),
    "reflect pad 3d": ("(1, 2, 3, 3, 3)", "F.pad(x, (1, 1, 1, 1, 1, 1), mode='reflect')"),
    "replicate pad 1d": ("(2, 3, 6)", "F.pad(x, (2, 1), mode='replicate')"),
    "replicate pad 2d": ("(1, 2, 4, 4)", "F.pad(x, (1, 2, 0, 1), mode='replicate')"),
    "circular pad": ("(1, 2, 4, 4)", "F.pad(x, (1, 2, 0, 1), mode='circular')"),
    "nll_loss": ("(5, 4)", "F.nll_loss(x, T.tensor([0, 3, 1, 2, 2]))"),
    "nll_loss weighted sum": (
        "(5, 4)",
        "F.nll_loss(x, T.tensor([0, 3, 1, 2, -100]), weight=T.tensor([1.0, 2.0, 0.5, 3.0], dtype=T.float64), reduction='sum')",
    ),
    "nll_loss 2d": ("(1, 3, 2, 2)", "F.nll_loss(x, T.tensor([[[0, 1], [2, 0]]]))"),
    "nll_loss 3d input": ("(2, 3, 4)", "F.nll_loss(x, T.tensor([[0, 1, 2, 0], [1, 1, 1, 0]]), reduction='none')"),
    "cross_entropy": ("(5, 4)", "F.cross_entropy(x, T.tensor([0, 3, 1, 2, 2]))"),
    "prelu": ("(2, 5)", "F.prelu(x, T.tensor([0.25, 0.5, 0.1, 1.5, 2.0], dtype=T.float64))"),
    "max_unpool2d": ("(1, 2, 4, 4)", "F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2)"),
}

LINKED_PROGRAM = """
x = T.linspace(-2, 2, math.prod({shape}), dtype=T.float64).reshape({shape}).sin().requires_grad_()
y = {expr}
w = T.linspace(-1, 1, y.numel(), dtype=T.float64).reshape(y.shape)
g, = T.autograd.grad((y * w).sum(), x, create_graph=True)
rec(y, g)
if g.requires_grad:
    g2, = T.autograd.grad((g * g).sum(), x, allow_unused=True)
    rec(g2)
"""

PROGRAMS = {
    "multi_margin_loss refuses the next order": """
x = T.tensor([[0.1, 0.9, -0.4], [0.3, -0.2, 0.8]], dtype=T.float64, requires_grad=True)
g, = T.autograd.grad(F.multi_margin_loss(x, T.tensor([1, 2])), x, create_graph=True)
rec(g)
g.sum().backward()
""",
    "multilabel_margin_loss refuses the next order": """
x = T.tensor([[0.1, 0.9, -0.4], [0.3, -0.2, 0.8]], dtype=T.float64, requires_grad=True)
g, = T.autograd.grad(F.multilabel_margin_loss(x, T.tensor([[1, -1, 0], [2, 0, -1]])), x, create_graph=True)
rec(g)
g.sum().backward()
""",
    "prelu mixed second derivative": """
x = T.tensor([[-1.0, 2.0], [-3.0, -0.5]], dtype=T.float64, requires_grad=True)
w = T.tensor([0.25, 0.5], dtype=T.float64, requires_grad=True)
gx, gw = T.autograd.grad(F.prelu(x, w).sum(), (x, w), create_graph=True)
rec(gx, gw, T.autograd.grad((gx * gx).sum() + gw.sum(), (x, w)))
""",
    "grid_sample mixed second derivative": """
x = T.linspace(-1, 1, 18, dtype=T.float64).reshape(1, 2, 3, 3).cos().requires_grad_()
grid = T.tensor([[[[0.2, -0.3], [0.7, 0.1]], [[-0.6, 0.4], [0.05, 0.9]]]], dtype=T.float64, requires_grad=True)
y = F.grid_sample(x, grid, align_corners=True)
gx, gg = T.autograd.grad((y * y).sum(), (x, grid), create_graph=True)
rec(y, gx, gg, T.autograd.grad((gx * gx).sum() + (gg * gg).sum(), (x, grid)))
""",
    # PyTorch's node returns no gradient for the input (None under
    # allow_unused) where autorust's link gives zeros: the gradient of the
    # input is checked to require grad, and a penalty on it reaches the grid
    "grid_sample gradient penalty": """
x = T.linspace(-2, 2, 50, dtype=T.float64).reshape(1, 2, 5, 5).sin().requires_grad_()
grid = T.tensor([[[[0.2, -0.3], [0.7, 0.1]]]], dtype=T.float64)
y = F.grid_sample(x, grid, align_corners=False)
g, = T.autograd.grad((y * T.tensor([[[[1.5, -0.5]], [[0.25, 2.0]]]], dtype=T.float64)).sum(), x, create_graph=True)
rec(y, g)
grid.requires_grad_()
y = F.grid_sample(x, grid, align_corners=False)
g, = T.autograd.grad((y * y).sum(), x, create_graph=True)
((g.norm() - 1) ** 2).backward()
rec(g, grid.grad, x.grad)
""",
    "atan2 at the origin": """
z = T.tensor([0.0, 1.0, 0.0], dtype=T.float64, requires_grad=True)
w = T.tensor([0.0, 2.0, -1.0], dtype=T.float64, requires_grad=True)
gz, gw = T.autograd.grad(T.atan2(z, w).sum(), (z, w), create_graph=True)
rec(gz, gw, T.autograd.grad(gz.sum(), (z, w), retain_graph=True), T.autograd.grad(gw.sum(), (z, w)))
""",
    "put": """
x = T.arange(6.0, dtype=T.float64).reshape(2, 3).requires_grad_()
src = T.tensor([10.0, 20.0], dtype=T.float64, requires_grad=True)
y = x.put(T.tensor([1, 4]), src * 2)
z = T.put(x, T.tensor([0, 0]), src, accumulate=True)
(y.sum() + (z * z).sum()).backward()
rec(y, z, x.grad, src.grad)
""",
    "nll_loss of a wrongly shaped spatial target": "F.nll_loss(T.randn(2, 3, 4), T.zeros(2, 3, dtype=T.long))",
    "nll_loss of a 2-d target for 4-d input": "F.nll_loss(T.randn(2, 3, 4, 5), T.zeros(2, 4, dtype=T.long))",
}


def programs():
    out = [
        (f"second order {name}", [("import math\n" + LINKED_PROGRAM.format(shape=shape, expr=expr)).strip()])
        for name, (shape, expr) in LINKED.items()
    ]
    out += [(f"second order {name}", [code.strip()]) for name, code in PROGRAMS.items()]
    return out
