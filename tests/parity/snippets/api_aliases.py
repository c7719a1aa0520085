"""PyTorch's second names and thin forms (autorust/_api_aliases.py) side
by side with PyTorch: in-place comparisons and arithmetic aliases, the
axis splits, cov/corrcoef with weights and their gradient, the index
builders, the windows, the predicates of a dense real tensor, and the
torch.<op> forms of functional ops."""

X = "x = T.tensor([[1., -2., 3.], [0.5, 4., -1.]])\n"

PROGRAMS = {
    "in-place comparisons keep the dtype": X
    + "y = x.clone(); y.gt_(0); z = x.clone(); z.eq_(T.tensor([1., 4., 3.])); w = x.clone(); w.less_equal_(0.5)\nR = (y, z, w)",
    "in-place arithmetic aliases": X + "y = x.clone(); y.multiply_(2).subtract_(1).divide_(3).true_divide_(2); R = y",
    "in-place cumsum and atan2": X + "y = x.clone(); y.cumsum_(1); z = x.clone(); z.atan2_(T.ones(3)); R = (y, z)",
    "comparison aliases": X + "R = (T.greater_equal(x, 1), x.not_equal(1), x.less_equal(0.5), T.not_equal(x, 3))",
    "hsplit vsplit dsplit": "R = (T.hsplit(T.arange(12.).reshape(2, 6), 3), T.vsplit(T.arange(12.).reshape(4, 3), [1, 3]), T.dsplit(T.arange(16.).reshape(2, 2, 4), 2), T.hsplit(T.arange(6.), 2))",
    "hsplit refuses sections that do not divide": "T.hsplit(T.arange(12.).reshape(2, 6), 4)",
    "vsplit refuses a vector": "T.vsplit(T.arange(4.), 2)",
    "cov and its gradient": "T.manual_seed(0)\na = T.randn(3, 5, dtype=T.float64, requires_grad=True)\nc = T.cov(a)\nc.sum().backward()\nR = (c, a.grad, T.corrcoef(a.detach()))",
    "cov with weights": "T.manual_seed(1)\na = T.randn(2, 5)\nR = (T.cov(a, correction=0, fweights=T.tensor([1, 2, 1, 3, 1]), aweights=T.rand(5)), T.cov(a[0]), T.corrcoef(a[0]))",
    "triangle indices": "R = (T.tril_indices(3, 4, 1), T.triu_indices(4, 3, -1), T.tril_indices(3, 3))",
    "combinations": "a = T.tensor([1., 2., 3., 4.], requires_grad=True)\nc = T.combinations(a, 3)\n(c * T.arange(12.).reshape(4, 3)).sum().backward()\nR = (c, a.grad, T.combinations(T.tensor([1, 2, 3]), with_replacement=True))",
    "unravel_index": "R = T.unravel_index(T.tensor([4, 1, -1]), (3, 2))",
    "isin": "R = (T.isin(T.tensor([1, 2, 3, 4]), T.tensor([2, 4])), T.isin(T.tensor([1, 2]), T.tensor([2]), invert=True))",
    "is_nonzero, scalar_tensor, range": "R = (T.is_nonzero(T.tensor([0.5])), T.scalar_tensor(3), T.range(1, 4), T.range(0, 1, 0.25))",
    "is_nonzero of several values": "T.is_nonzero(T.tensor([1., 2.]))",
    "windows": "R = (T.hann_window(5), T.hamming_window(6, periodic=False), T.bartlett_window(5), T.kaiser_window(5), T.hann_window(1), T.hann_window(8, dtype=T.float64))",
    "matrix views and predicates": X
    + "R = (x.H, x.mH, x.adjoint(), x.real, x.is_complex(), x.is_signed(), T.tensor([True]).is_signed(), x.itemsize, x.nbytes, x.is_cpu, x.is_sparse, x.is_conj(), x.conj())",
    "imag of a real tensor": X + "x.imag",
    "diagflat": X + "R = (T.diagflat(T.tensor([1., 2.]), 1), x.diagflat())",
    "chain_matmul": X + "R = T.chain_matmul(x, x.t(), x)",
    "functional forms under torch": X
    + "R = (T.conv1d(T.ones(1, 1, 5), T.ones(1, 1, 3)), T.layer_norm(x, (3,)), T.group_norm(T.ones(1, 2, 2), 1), T.batch_norm(x, T.ones(3), T.zeros(3), T.zeros(3), T.ones(3), True, 0.1, 1e-5, False), T.pdist(x))",
}


def programs():
    return [(f"api alias {name}", [code.strip(), "rec(R, repr(R)) if 'R' in globals() else None"]) for name, code in PROGRAMS.items()]
