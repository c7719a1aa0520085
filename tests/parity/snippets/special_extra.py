"""``torch.special``'s Bessel, error-function, normal-quantile, entropy,
zeta and multivariate-gamma functions side by side with PyTorch: values in
float64 and float32 (wide ranges, tails), first and second derivatives,
and zeta's refusal of a derivative in x."""

X = "x = T.tensor([-40.0, -3.0, -0.5, 0.0, 0.7, 2.0, 15.0, 31.0, 60.0], dtype=T.float64, requires_grad=True)\n"

UNARY = """
y = T.special.{name}(x)
g, = T.autograd.grad(y.sum(), x, create_graph=True)
gg, = T.autograd.grad(g.sum(), x)
rec(y, g, gg, T.special.{name}(T.tensor([-3.0, -0.5, 0.0, 0.7, 2.0, 15.0])))
"""

PROGRAMS = {
    "log_ndtr": """
z = T.tensor([-40.0, -10.0, -6.0, -1.0, 0.0, 1.0, 7.0, 40.0], dtype=T.float64, requires_grad=True)
ln = T.special.log_ndtr(z)
g, = T.autograd.grad(ln.sum(), z)
rec(ln, g, T.special.log_ndtr(T.tensor([-3.0, -0.5, 0.0, 0.7, 2.0, 15.0])))
""",
    "ndtri": """
p = T.tensor([1e-30, 1e-8, 0.001, 0.2, 0.5, 0.9, 0.999999, 0.0, 1.0], dtype=T.float64, requires_grad=True)
nd = T.special.ndtri(p)
g, = T.autograd.grad(nd[1:6].sum(), p)
rec(nd, g, T.special.ndtri(T.tensor([0.1, 0.7])))
""",
    "entr": """
e = T.tensor([0.0, 0.5, 2.0, -1.0], requires_grad=True)
en = T.special.entr(e)
rec(en, T.autograd.grad(en[1:3].sum(), e)[0])
""",
    "xlog1py": """
a = T.tensor([0.0, 1.0, 2.0], requires_grad=True)
b = T.tensor([3.0, -0.5, float('nan')], requires_grad=True)
xl = T.special.xlog1py(a, b)
xl[:2].sum().backward()
rec(xl, a.grad, b.grad, T.special.xlog1py(2.0, T.tensor([1.0, 3.0])))
""",
    "multigammaln": """
m = T.tensor([2.5, 4.0], requires_grad=True)
mv = T.special.multigammaln(m, 3)
mv.sum().backward()
rec(mv, m.grad, T.mvlgamma(m.detach(), 2), m.detach().mvlgamma(1))
""",
    "multigammaln at its poles": "R = T.special.multigammaln(T.tensor([0.5, 0.9, 1.2]), 3)\nrec(R)",
    "multigammaln of dimension 0": "T.special.multigammaln(T.tensor([0.5]), 0)",
    "zeta": """
zx = T.tensor([2.0, 3.5, 1.5, 0.5, 1.0], dtype=T.float64)
zq = T.tensor([1.0, 2.0, 0.3, 1.0, 1.0], dtype=T.float64, requires_grad=True)
zz = T.special.zeta(zx, zq)
g, = T.autograd.grad(T.special.zeta(zx[:3], zq[:3]).sum(), zq)
rec(zz, g, T.special.zeta(2.0, T.tensor([1.0, 2.0])), T.special.zeta(T.tensor([2.0, 4.0]), 1.0))
""",
    "zeta refuses a derivative in x": """
zx = T.tensor([2.0, 3.5], dtype=T.float64, requires_grad=True)
T.special.zeta(zx, T.tensor([1.0, 2.0], dtype=T.float64)).sum().backward()
""",
    "torch.i0": "R = (T.i0(T.tensor([1.0, 2.0])), T.tensor([1.0]).i0())\nrec(R)",
}


def programs():
    out = [(f"special {name}", [(X + UNARY.format(name=name)).strip()]) for name in ("i0", "i0e", "i1", "i1e", "erfcx")]
    out += [(f"special {name}", [code.strip()]) for name, code in PROGRAMS.items()]
    return out
