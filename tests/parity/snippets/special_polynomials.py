"""torch.special's orthogonal polynomials (values in float64 and float32
over degrees -1..30, the closed values at +-1 and 0, truncated degrees,
NaN and infinities), bessel_y0/y1 (with derivatives) and airy_ai,
torch.conv_tbc, F.linear_cross_entropy / nn.LinearCrossEntropyLoss and the
legacy nn.CrossMapLRN2d side by side with PyTorch.

The float64 Bessel Y and Airy points avoid (4, 10) and (-3, -2), where
PyTorch's own float64 values are off by up to 1e-6 (Y) and 2e-5
relative (Ai) against mpmath, beyond the float64 tolerance; autorust's
are accurate there (tests/test_special_bessel.py). The float32 points
cover those ranges too, at float32's tolerance."""

NAMES = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
]

POLYNOMIAL = """
x = T.tensor([-1.3, -1.0, -0.999, -0.6, -0.25, 0.0, 0.001, 0.3, 0.5, 0.75, 0.999, 1.0, 1.7, 3.0, float('nan'), float('inf')], dtype=T.float64).reshape(-1, 1)
n = T.tensor([-1.0, 0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 8.0, 9.0, 12.0, 20.0, 2.9], dtype=T.float64)
rec(T.special.{name}(x, n), T.special.{name}(x.float()[:13], n.float()[:9]), T.special.{name}(T.tensor([1, 2, 3]), 3), T.special.{name}(0.4, T.tensor([2, 9])))
"""

PROGRAMS = {
    "conv_tbc": """
T.manual_seed(0)
x = T.randn(6, 2, 3, dtype=T.float64, requires_grad=True)
w = T.randn(3, 3, 4, dtype=T.float64, requires_grad=True)
b = T.randn(4, dtype=T.float64, requires_grad=True)
outs = [T.conv_tbc(x, w, b, pad) for pad in (0, 1, -1)]
T.autograd.backward([(o * o).sum() for o in outs])
rec(outs, x.grad, w.grad, b.grad)
""",
    "conv_tbc wrong channels": "T.conv_tbc(T.randn(5, 2, 3), T.randn(3, 2, 4), T.randn(4))",
    "conv_tbc wrong bias": "T.conv_tbc(T.randn(5, 2, 3), T.randn(3, 3, 4), T.randn(3))",
    "linear_cross_entropy": """
T.manual_seed(1)
x = T.randn(5, 6, dtype=T.float64, requires_grad=True)
w = T.randn(4, 6, dtype=T.float64, requires_grad=True)
bias = T.randn(4, dtype=T.float64, requires_grad=True)
t = T.tensor([0, 3, 1, -100, 2])
loss = F.linear_cross_entropy(x, w, t, linear_bias=bias, label_smoothing=0.1, ignore_index=-100)
loss.backward()
rec(loss, x.grad, w.grad, bias.grad, F.linear_cross_entropy(x, w, T.softmax(T.randn(5, 4, dtype=T.float64), 1), reduction='sum'))
""",
    "LinearCrossEntropyLoss k-dimensional": """
T.manual_seed(2)
m = nn.LinearCrossEntropyLoss(6, 4, out_features=(2,), bias=True, reduction='none')
x = T.randn(3, 6)
l = m(x, T.tensor([[0, 1], [3, 2], [1, 1]]))
l.sum().backward()
rec(repr(m), l, m.linear.weight.grad, m.linear.bias.grad)
""",
    "linear_cross_entropy errors": "F.linear_cross_entropy(T.randn(6), T.randn(4, 2, 6), T.tensor(1))",
    "linear_cross_entropy probabilities with ignore_index": "F.linear_cross_entropy(T.randn(3, 6), T.randn(4, 6), T.rand(3, 4), ignore_index=1)",
    "CrossMapLRN2d": """
T.manual_seed(3)
x = T.randn(2, 6, 3, 3, dtype=T.float64, requires_grad=True)
ys = [nn.CrossMapLRN2d(size, alpha=0.3, beta=0.75, k=2.0)(x) for size in (2, 3, 5, 7)]
T.autograd.backward([(y * T.linspace(-1, 1, y.numel(), dtype=T.float64).reshape(y.shape)).sum() for y in ys])
rec(ys, x.grad, ys[0].grad_fn.name(), repr(nn.CrossMapLRN2d(3)))
""",
    "bessel_y and airy_ai": """
x = T.tensor([-1.0, 0.0, 1e-300, 1e-10, 0.5, 1.0, 2.5, 3.0, 12.0, 25.0, 26.0, 49.0, 51.0, 100.0, 1e4, float('inf'), float('nan')], dtype=T.float64, requires_grad=True)
y0, y1 = T.special.bessel_y0(x), T.special.bessel_y1(x)
g0, = T.autograd.grad(y0[4:14].sum(), x, create_graph=True)
g1, = T.autograd.grad(y1[4:14].sum(), x, create_graph=True)
gg, = T.autograd.grad(g0[4:14].sum() + g1[4:14].sum(), x)
a = T.tensor([-100.0, -51.0, -49.0, -20.0, -5.0, -1.5, -1.0, 0.0, 1e-5, 1.0, 2.0, 2.1, 5.0, 8.0, 20.0, 100.0, 104.0, float('inf'), float('-inf'), float('nan')], dtype=T.float64)
f = T.linspace(-6.0, 12.0, 37)
rec(y0, y1, g0, g1, gg, T.special.airy_ai(a), T.special.bessel_y0(f.abs() + 0.1), T.special.bessel_y1(f.abs() + 0.1), T.special.airy_ai(f), T.special.bessel_y0(T.tensor([1, 2])))
""",
    "CrossMapLRN2d of size 1 fails in backward": """
x = T.randn(1, 4, 2, 2, requires_grad=True)
nn.CrossMapLRN2d(1)(x).sum().backward()
""",
}


def programs():
    out = [(f"special {name}", [POLYNOMIAL.format(name=name).strip()]) for name in NAMES]
    out += [(f"nn {name}", [code.strip()]) for name, code in PROGRAMS.items()]
    return out
