"""``nn.utils.parametrize`` and the weight/spectral norms side by side
with PyTorch: the parametrized class, names, state_dict keys, the same
original Parameter, chained parametrizations, assignment through
right_inverse, caching, removal; weight_norm and spectral_norm in both
the parametrization and the older hook forms (their buffers, power
iterations, gradients and removal)."""

SYMMETRIC = """
class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)
    def right_inverse(self, A):
        return A.triu()
class Double(nn.Module):
    def forward(self, X):
        return X * 2
    def right_inverse(self, A):
        return A / 2
P = T.nn.utils.parametrize
T.manual_seed(0)
layer = nn.Linear(3, 3)
w0 = layer.weight
P.register_parametrization(layer, "weight", Symmetric())
"""

PROGRAMS = {
    "a symmetric weight": SYMMETRIC
    + """
A = layer.weight
layer(T.randn(2, 3)).sum().backward()
rec(A, type(layer).__name__, repr(layer), [n for n, _ in layer.named_parameters()], list(layer.state_dict().keys()))
rec(layer.parametrizations.weight.original is w0, P.is_parametrized(layer), P.is_parametrized(layer, "bias"), P.type_before_parametrizations(layer).__name__, w0.grad)
""",
    "chained parametrizations, assignment and caching": SYMMETRIC
    + """
P.register_parametrization(layer, "weight", Double())
rec(repr(layer.parametrizations.weight), layer.weight)
layer.weight = T.eye(3) * 4
rec(layer.parametrizations.weight.original, layer.weight)
with P.cached():
    same = layer.weight is layer.weight
rec(same, layer.weight is layer.weight)
""",
    "removal leaves the parametrized value": SYMMETRIC
    + """
P.remove_parametrizations(layer, "weight")
rec(type(layer).__name__, layer.weight, layer.weight is w0, [n for n, _ in layer.named_parameters()])
""",
    "removal without the parametrized value": SYMMETRIC
    + """
before = layer.parametrizations.weight.original.clone()
P.remove_parametrizations(layer, "weight", leave_parametrized=False)
rec(T.equal(layer.weight, before))
""",
    "an unknown tensor name": SYMMETRIC
    + """
P.register_parametrization(layer, "nothere", Symmetric())
""",
    "a parametrization that changes the shape": """
class Half(nn.Module):
    def forward(self, X):
        return X[:1]
T.nn.utils.parametrize.register_parametrization(nn.Linear(2, 2), "weight", Half())
""",
    "weight_norm": """
T.manual_seed(0)
m = T.nn.utils.parametrizations.weight_norm(nn.Linear(4, 3))
m(T.randn(5, 4)).sum().backward()
c = T.nn.utils.parametrizations.weight_norm(nn.Conv2d(2, 3, 3), dim=None)
rec([(n, tuple(p.shape)) for n, p in m.named_parameters()], m.parametrizations.weight.original0.grad, m.parametrizations.weight.original1.grad, c.parametrizations.weight.original0, c.weight)
""",
    "spectral_norm": """
T.manual_seed(1)
s = T.nn.utils.parametrizations.spectral_norm(nn.Linear(5, 4))
u0, w0 = s.parametrizations.weight[0]._u.clone(), s.weight
s(T.randn(2, 5)).sum().backward()
rec(u0, w0, s.parametrizations.weight.original.grad, s.parametrizations.weight[0]._v, list(s.state_dict().keys()))
s.eval()
rec(s.weight)
""",
    "the older weight_norm": """
T.manual_seed(2)
o = T.nn.utils.weight_norm(nn.Linear(4, 2))
names = [n for n, _ in o.named_parameters()]
o(T.randn(3, 4)).sum().backward()
rec(names, o.weight_g, o.weight_v.grad, o.weight_g.grad)
T.nn.utils.remove_weight_norm(o)
rec([n for n, _ in o.named_parameters()], o.weight)
""",
    "the older spectral_norm": """
T.manual_seed(3)
sn = T.nn.utils.spectral_norm(nn.Linear(4, 3))
rec([n for n, _ in sn.named_parameters()], list(sn.state_dict().keys()))
sn(T.randn(2, 4)).sum().backward()
rec(sn.weight_orig.grad, sn.weight_u, sn.weight)
T.nn.utils.remove_spectral_norm(sn)
rec([n for n, _ in sn.named_parameters()], sn.weight)
""",
    "orthogonal by every map": """
T.manual_seed(0)
from_parametrizations = T.nn.utils.parametrizations
for shape, omap in [((4, 4), None), ((6, 3), None), ((3, 5), None), ((4, 4), "cayley"), ((5, 3), "matrix_exp"), ((3, 3), "householder")]:
    lin = nn.Linear(shape[1], shape[0])
    from_parametrizations.orthogonal(lin, orthogonal_map=omap)
    W = lin.weight
    lin(T.randn(2, shape[1])).pow(2).sum().backward()
    rec(type(lin).__name__, W, lin.parametrizations.weight.original.grad, [n for n, _ in lin.named_buffers()])
""",
    "orthogonal of a vector": "T.nn.utils.parametrizations.orthogonal(nn.Linear(3, 1), 'bias')",
}


def programs():
    return [(f"parametrize {name}", [code.strip()]) for name, code in PROGRAMS.items()]
