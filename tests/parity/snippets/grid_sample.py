"""``F.affine_grid`` and ``F.grid_sample`` side by side with PyTorch (4-D
and 5-D): both
align_corners settings, bilinear and nearest, the three padding modes,
gradients for the input and the affine parameters, a second order, and
the refusals."""

SETUP = """
T.manual_seed(0)
theta = T.tensor([[[0.9, 0.2, 0.1], [-0.1, 1.1, -0.2]], [[1.0, 0.0, 0.3], [0.0, 0.8, 0.0]]], requires_grad=True)
x = T.randn(2, 3, 5, 6, requires_grad=True)
grid = F.affine_grid(theta, (2, 3, 4, 7), align_corners={ac}) * 1.6
out = F.grid_sample(x, grid, mode="{mode}", padding_mode="{pm}", align_corners={ac})
w = T.arange(out.numel(), dtype=T.float32).reshape(out.shape) / 100
gx, gt = T.autograd.grad((out * w).sum(), [x, theta])
rec(grid, out, gx, gt)
"""

SETUP_3D = """
T.manual_seed(2)
theta = T.tensor([[[0.9, 0.2, 0.1, 0.05], [-0.1, 1.1, -0.2, 0.1], [0.05, 0.0, 0.8, -0.3]], [[1.0, 0.0, 0.3, 0.0], [0.0, 0.8, 0.0, 0.2], [0.1, 0.1, 1.2, 0.0]]], requires_grad=True)
x = T.randn(2, 3, 4, 5, 6, requires_grad=True)
grid = F.affine_grid(theta, (2, 3, 3, 4, 5), align_corners={ac}) * 1.4
out = F.grid_sample(x, grid, mode="{mode}", padding_mode="{pm}", align_corners={ac})
w = T.arange(out.numel(), dtype=T.float32).reshape(out.shape) / 100
gx, gt = T.autograd.grad((out * w).sum(), [x, theta])
rec(grid, out, gx, gt)
"""

PROGRAMS_3D = {
    "a grid of another rank": "F.grid_sample(T.zeros(1, 1, 2, 2, 2), T.zeros(1, 2, 2, 2), align_corners=False)",
    "theta of another shape": "F.affine_grid(T.zeros(1, 2, 3), (1, 1, 2, 2, 2), align_corners=False)",
}

PROGRAMS = {
    "second order": """
T.manual_seed(1)
theta = T.tensor([[[0.9, 0.2, 0.1], [-0.1, 1.1, -0.2]]], dtype=T.float64, requires_grad=True)
x = T.randn(1, 2, 5, 6, dtype=T.float64, requires_grad=True)
out = F.grid_sample(x, F.affine_grid(theta, (1, 2, 4, 7), align_corners=False), align_corners=False)
g1, = T.autograd.grad((out ** 2).sum(), theta, create_graph=True)
g2, = T.autograd.grad(g1.sum(), x)
rec(out, g1, g2)
""",
    "a grid of another width": "F.grid_sample(T.zeros(2, 3, 5, 6), T.zeros(2, 4, 4, 3), align_corners=False)",
    "a grid of another batch": "F.grid_sample(T.zeros(2, 3, 5, 6), T.zeros(1, 4, 4, 2), align_corners=False)",
    "theta of another shape": "F.affine_grid(T.zeros(2, 3, 3), (2, 3, 4, 4), align_corners=False)",
    "an unknown mode": "F.grid_sample(T.zeros(2, 3, 5, 6), T.zeros(2, 4, 4, 2), mode='cubic')",
    "an unknown padding": "F.grid_sample(T.zeros(2, 3, 5, 6), T.zeros(2, 4, 4, 2), padding_mode='wrap')",
}


def programs():
    out = []
    for ac in (False, True):
        for mode in ("bilinear", "nearest"):
            for pm in ("zeros", "border", "reflection"):
                out.append((f"grid sample {mode} {pm} align_corners={ac}", [SETUP.format(ac=ac, mode=mode, pm=pm).strip()]))
    out += [(f"grid sample {name}", [code.strip()]) for name, code in PROGRAMS.items()]
    return out


def programs_3d():
    """The 5-D cases (recorded after the others: the gold's ids stay put)."""
    out = []
    for ac in (False, True):
        for mode in ("bilinear", "nearest"):
            for pm in ("zeros", "border", "reflection"):
                out.append((f"grid sample 3-d {mode} {pm} align_corners={ac}", [SETUP_3D.format(ac=ac, mode=mode, pm=pm).strip()]))
    out += [(f"grid sample 3-d {name}", [code.strip()]) for name, code in PROGRAMS_3D.items()]
    return out
