"""torch.special's orthogonal polynomials (values in float64 and float32
over degrees -1..30, the closed values at +-1 and 0, truncated degrees,
NaN and infinities), torch.conv_tbc, F.linear_cross_entropy /
nn.LinearCrossEntropyLoss and the legacy nn.CrossMapLRN2d side by side
with PyTorch."""

NAMES = [
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
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
    "CrossMapLRN2d of size 1 fails in backward": """
x = T.randn(1, 4, 2, 2, requires_grad=True)
nn.CrossMapLRN2d(1)(x).sum().backward()
""",
}


def programs():
    out = [(f"special {name}", [POLYNOMIAL.format(name=name).strip()]) for name in NAMES]
    out += [(f"nn {name}", [code.strip()]) for name, code in PROGRAMS.items()]
    return out
