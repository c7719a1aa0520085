"""slogdet and logdet side by side with PyTorch: one LinalgSlogdetBackward0
node with the sign as output 0 (it requires grad) and the log-determinant
as output 1, no gradient when only the sign is used, the create_graph
gradient taken by a solve (LinalgSolveExBackward0), logdet's single where
(NaN for a negative determinant, -inf for a singular matrix), batches."""

A = "T.manual_seed(0)\nA = T.randn(2, 3, 3, dtype=T.float64, requires_grad=True)\n"

PROGRAMS = {
    "outputs and nodes": A + "s, l = T.linalg.slogdet(A)\nR = (s, l, s.grad_fn.name(), l.grad_fn.name(), s.grad_fn is l.grad_fn)",
    "gradient": A + "s, l = T.linalg.slogdet(A)\n(l * T.tensor([0.5, -2.0], dtype=T.float64)).sum().backward()\nR = (A.grad,)",
    "sign only": A + "s, l = T.linalg.slogdet(A)\ns.sum().backward()\nR = (A.grad,)",
    "second order": A
    + "g, = T.autograd.grad(T.linalg.slogdet(A)[1].sum(), A, create_graph=True)\ngg, = T.autograd.grad((g * g).sum(), A)\nR = (g, gg)",
    "torch.slogdet": A + "r = T.slogdet(A[0])\nR = (r.sign, r.logabsdet)",
    "logdet": A + "d = T.logdet(A @ A.mT)\nd.sum().backward()\nR = (d, A.grad)",
    "logdet negative and singular": "R = (T.logdet(T.tensor([[1., 2.], [3., 4.]])), T.logdet(T.zeros(2, 2)), T.linalg.slogdet(T.zeros(2, 2)))",
    "float32": "T.manual_seed(1)\nA = T.randn(4, 4, requires_grad=True)\ns, l = T.linalg.slogdet(A)\nl.backward()\nR = (s, l, A.grad)",
    "not square": "R = T.linalg.slogdet(T.ones(2, 3))",
}


def programs():
    return [(f"slogdet {name}", [code.strip(), "rec(R)"]) for name, code in PROGRAMS.items()]
