"""Gradients of the factorisations side by side with PyTorch: svd (reduced
and full, tall, wide, square, batched; first and second order), svdvals
and the nuclear norm to second order, qr in its three modes (the refusals
of mode='r' and of a complete tall factorisation), pinv with its
tolerances and hermitian form, matrix_rank, and the legacy torch.svd,
torch.pinverse. Singular vectors are observed through sign-invariant
functions (their signs are LAPACK's choice)."""

SHAPES = [(4, 3), (3, 5), (3, 3), (2, 4, 3)]

SVD = """
T.manual_seed(0)
A = T.randn(*{shape}, dtype=T.float64, requires_grad=True)
U, S, Vh = T.linalg.svd(A, full_matrices={full})
k = S.shape[-1]
loss = (U[..., :k] ** 2 * T.arange(1., k + 1, dtype=T.float64)).sum() + (Vh[..., :k, :] ** 3).abs().sum() + (S ** 2).sum() + S.prod()
g, = T.autograd.grad(loss, A, create_graph=True)
gg, = T.autograd.grad(g.sin().sum(), A)
rec(U.abs(), S, Vh.abs(), g, gg)
"""

QR = """
T.manual_seed(1)
A = T.randn(*{shape}, dtype=T.float64, requires_grad=True)
Q, R = T.linalg.qr(A)
loss = (Q.abs() * 2).sum() + (R ** 2).sum()
g, = T.autograd.grad(loss, A, create_graph=True)
gg, = T.autograd.grad(g.sum(), A)
rec(Q.abs(), R.abs(), g, gg)
"""

PINV = """
T.manual_seed(2)
A = T.randn(*{shape}, dtype=T.float64, requires_grad=True)
P = T.linalg.pinv(A)
g, = T.autograd.grad((P ** 2).sum(), A)
rec(P, g)
rec(T.linalg.pinv(A.detach(), atol=0.9), T.linalg.pinv(A.detach(), rtol=0.5), T.linalg.pinv(A.detach(), atol=0.2, rtol=0.3))
rec(T.linalg.matrix_rank(A.detach()), T.linalg.matrix_rank(A.detach(), atol=1.0), T.linalg.matrix_rank(A.detach(), rtol=0.6))
"""

PROGRAMS = {
    "svdvals and the nuclear norm to second order": """
A = T.tensor([[2.0, -1.0, 0.5], [0.3, 1.5, -0.7], [1.1, 0.2, 0.9]], dtype=T.float64, requires_grad=True)
s = T.linalg.svdvals(A)
g, = T.autograd.grad((s ** 3).sum(), A, create_graph=True)
gg, = T.autograd.grad(g.pow(2).sum(), A)
n = T.linalg.matrix_norm(A, "nuc")
gn, = T.autograd.grad(n, A, create_graph=True)
ggn, = T.autograd.grad(gn.sum(), A)
rec(s, g, gg, n, gn, ggn)
""",
    "a hermitian pinv and rank": """
T.manual_seed(3)
B = T.randn(4, 4, dtype=T.float64)
H = (B + B.T).requires_grad_()
P = T.linalg.pinv(H, hermitian=True)
g, = T.autograd.grad(P.sum(), H)
rec(P, g, T.linalg.matrix_rank(H.detach(), hermitian=True, atol=2.0))
""",
    "the legacy svd and pinverse": """
x = T.tensor([[1.0, -2.0, 0.5], [0.3, 0.8, -1.2], [2.2, 0.1, 0.4], [-0.6, 1.7, 0.9]], requires_grad=True)
U, S, V = T.svd(x)
(U.abs().sum() + V.abs().sum() + S.sum()).backward()
rec(S, x.grad)
U, S, V = T.svd(x, compute_uv=False)
rec(U, S, V)
rec(T.pinverse(x.detach(), rcond=0.5))
""",
    "qr with mode r refuses a derivative": """
x = T.tensor([[1.0, -2.0, 0.5], [0.3, 0.8, -1.2], [2.2, 0.1, 0.4], [-0.6, 1.7, 0.9]], requires_grad=True)
q, r = T.linalg.qr(x, mode="r")
rec(q, r.abs())
r.sum().backward()
""",
    "a complete qr of a tall matrix refuses a derivative": """
x = T.tensor([[1.0, -2.0, 0.5], [0.3, 0.8, -1.2], [2.2, 0.1, 0.4], [-0.6, 1.7, 0.9]], requires_grad=True)
q, r = T.linalg.qr(x, mode="complete")
(q.sum() + r.sum()).backward()
""",
    "a complete qr of a wide matrix": """
x = T.tensor([[1.0, -2.0, 0.5], [0.3, 0.8, -1.2], [2.2, 0.1, 0.4], [-0.6, 1.7, 0.9]], dtype=T.float64, requires_grad=True)
q, r = T.linalg.qr(x.t(), mode="complete")
(q.abs().sum() + (r ** 2).sum()).backward()
rec(x.grad)
""",
    "an unknown qr mode": """
T.linalg.qr(T.ones(2, 2), mode="bad")
""",
}


def programs():
    out = []
    for shape in SHAPES:
        for full in (False, True):
            out.append((f"linalg grad svd {shape} full={full}", [SVD.format(shape=", ".join(map(str, shape)), full=full).strip()]))
        out.append((f"linalg grad qr {shape}", [QR.format(shape=", ".join(map(str, shape))).strip()]))
        out.append((f"linalg grad pinv {shape}", [PINV.format(shape=", ".join(map(str, shape))).strip()]))
    out += [(f"linalg grad {name}", [code.strip()]) for name, code in PROGRAMS.items()]
    return out


MORE = {
    "matrix_exp to second order": """
T.manual_seed(0)
A = (T.randn(3, 3, dtype=T.float64) * 0.7).requires_grad_()
E = T.linalg.matrix_exp(A)
g, = T.autograd.grad((E * T.arange(9.).reshape(3, 3)).sum(), A, create_graph=True)
gg, = T.autograd.grad(g.pow(2).sum(), A)
big = T.randn(2, 4, 4, dtype=T.float64) * 3
rec(E, g, gg, T.matrix_exp(big), T.linalg.matrix_exp(T.tensor([[0.0, 1.0], [-1.0, 0.0]])))
""",
    "solve_triangular": """
T.manual_seed(1)
L = T.tensor([[2.0, 0.0, 0.0], [1.0, 3.0, 0.0], [-1.0, 0.5, 4.0]], dtype=T.float64, requires_grad=True)
B = T.randn(3, 2, dtype=T.float64, requires_grad=True)
for upper, left, unit in [(False, True, False), (True, True, False), (False, False, True), (True, True, True)]:
    X = T.linalg.solve_triangular(L if not upper else L.mT, B if left else B.mT, upper=upper, left=left, unitriangular=unit)
    gA, gB = T.autograd.grad((X * X).sum(), [L, B])
    rec(X, gA, gB)
""",
    "solve_triangular of a non-square A": "T.linalg.solve_triangular(T.randn(2, 3), T.randn(2, 2), upper=True)",
    "lstsq per driver": """
T.manual_seed(2)
A = T.randn(5, 3, dtype=T.float64, requires_grad=True)
B = T.randn(5, 2, dtype=T.float64, requires_grad=True)
for driver in (None, "gelsd", "gelss", "gels"):
    r = T.linalg.lstsq(A, B, driver=driver)
    gA, gB = T.autograd.grad((r.solution ** 2).sum(), [A, B])
    rec(type(r).__name__, r.solution, r.residuals, r.rank, r.singular_values, gA, gB)
w = T.linalg.lstsq(A.detach().T, B.detach()[:3])
v = T.linalg.lstsq(A, B[:, 0])
bt = T.linalg.lstsq(T.randn(2, 4, 3, dtype=T.float64), T.randn(2, 4, 1, dtype=T.float64), driver="gelsd")
rec(w.solution, w.residuals, w.rank, v.solution, v.residuals, bt.solution, bt.residuals, bt.rank, bt.singular_values)
""",
    "lstsq with an unknown driver": "T.linalg.lstsq(T.randn(3, 2), T.randn(3, 1), driver='bad')",
}


def more_programs():
    return [(f"linalg grad {name}", [code.strip()]) for name, code in MORE.items()]
