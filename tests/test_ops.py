"""The op table: every differentiable op, forward against NumPy and backward
against central finite differences in float64, on several shapes including
broadcasting and non-contiguous (transposed) inputs."""

import math

import numpy as np
import pytest

import autorust as ar

rng = np.random.default_rng(1234)


def _data(shape, domain):
    if domain == "pos":
        return rng.uniform(0.5, 2.0, size=shape)
    if domain == "unit":
        return rng.uniform(-0.9, 0.9, size=shape)
    if domain == "away0":
        # keep clear of kinks (abs, relu, max...) for finite differences
        v = rng.uniform(0.3, 1.5, size=shape)
        return v * rng.choice([-1.0, 1.0], size=shape)
    if domain == "prob":
        return rng.uniform(0.1, 0.9, size=shape)
    return rng.normal(size=shape)


def _tensor(a, noncontig, requires_grad=True):
    if noncontig and a.ndim >= 2:
        t = ar.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2)), dtype=ar.float64).transpose(-1, -2)
        assert not t.is_contiguous() or min(a.shape[-2:]) == 1
    else:
        t = ar.tensor(a, dtype=ar.float64)
    return t.requires_grad_(requires_grad)


def _like(x, values):
    """A float constant with x's dtype and device (the table runs on every device)."""
    return ar.tensor(values, dtype=x.dtype, device=x.device)


def _idx(x, values):
    """An index tensor on x's device."""
    return ar.tensor(values, device=x.device)


def finite_difference(fn, arrays, index, weight, eps=1e-6):
    """d/dx_index of sum(fn(*arrays) * weight) by central differences."""
    base = [a.copy() for a in arrays]
    x = base[index]
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        orig = x[i]
        x[i] = orig + eps
        plus = np.sum(fn(*[ar.tensor(a, dtype=ar.float64) for a in base]).detach().numpy() * weight)
        x[i] = orig - eps
        minus = np.sum(fn(*[ar.tensor(a, dtype=ar.float64) for a in base]).detach().numpy() * weight)
        x[i] = orig
        grad[i] = (plus - minus) / (2 * eps)
    return grad


# name, autorust fn, numpy reference, input shapes, domain
UNARY = [
    ("neg", lambda x: -x, lambda x: -x, "any"),
    ("abs", lambda x: x.abs(), np.abs, "away0"),
    ("exp", lambda x: x.exp(), np.exp, "any"),
    ("log", lambda x: x.log(), np.log, "pos"),
    ("log1p", lambda x: x.log1p(), np.log1p, "pos"),
    ("expm1", lambda x: x.expm1(), np.expm1, "any"),
    ("sqrt", lambda x: x.sqrt(), np.sqrt, "pos"),
    ("rsqrt", lambda x: x.rsqrt(), lambda x: 1 / np.sqrt(x), "pos"),
    ("sin", lambda x: x.sin(), np.sin, "any"),
    ("cos", lambda x: x.cos(), np.cos, "any"),
    ("tan", lambda x: x.tan(), np.tan, "unit"),
    ("tanh", lambda x: x.tanh(), np.tanh, "any"),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), "any"),
    ("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), "away0"),
    ("square", lambda x: x.square(), np.square, "any"),
    ("reciprocal", lambda x: x.reciprocal(), lambda x: 1 / x, "away0"),
    ("erf", lambda x: x.erf(), np.vectorize(math.erf), "any"),
    ("pow_scalar", lambda x: x**3, lambda x: x**3, "any"),
    ("pow_frac", lambda x: x**0.7, lambda x: x**0.7, "pos"),
    ("rpow", lambda x: 2.0**x, lambda x: 2.0**x, "any"),
    ("clamp", lambda x: x.clamp(-0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), "away0"),
    ("add_scalar", lambda x: x + 2, lambda x: x + 2, "any"),
    ("rsub_scalar", lambda x: 2 - x, lambda x: 2 - x, "any"),
    ("mul_scalar", lambda x: x * 3, lambda x: x * 3, "any"),
    ("rdiv_scalar", lambda x: 3 / x, lambda x: 3 / x, "away0"),
    ("sum", lambda x: x.sum(), np.sum, "any"),
    ("sum_dim", lambda x: x.sum(-1), lambda x: x.sum(-1), "any"),
    ("sum_keepdim", lambda x: x.sum(0, keepdim=True), lambda x: x.sum(0, keepdims=True), "any"),
    ("mean", lambda x: x.mean(), np.mean, "any"),
    ("mean_dim", lambda x: x.mean(dim=0), lambda x: x.mean(0), "any"),
    ("prod", lambda x: x.prod(), np.prod, "away0"),
    ("amax", lambda x: x.amax(-1), lambda x: x.max(-1), "any"),
    ("amin", lambda x: x.amin(0), lambda x: x.min(0), "any"),
    ("max_all", lambda x: x.max(), np.max, "any"),
    ("max_dim", lambda x: x.max(dim=-1).values, lambda x: x.max(-1), "any"),
    ("min_dim", lambda x: x.min(0, keepdim=True)[0], lambda x: x.min(0, keepdims=True), "any"),
    ("var", lambda x: x.var(), lambda x: x.var(ddof=1), "any"),
    ("var_dim", lambda x: x.var(-1, correction=0), lambda x: x.var(-1), "any"),
    ("std", lambda x: x.std(0), lambda x: x.std(0, ddof=1), "any"),
    ("norm", lambda x: x.norm(), np.linalg.norm, "any"),
    ("logsumexp", lambda x: x.logsumexp(-1), lambda x: np.log(np.exp(x).sum(-1)), "any"),
    ("cumsum", lambda x: x.cumsum(0), lambda x: x.cumsum(0), "any"),
    ("softmax", lambda x: x.softmax(-1), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True), "any"),
    ("log_softmax", lambda x: x.log_softmax(0), lambda x: x - np.log(np.exp(x).sum(0, keepdims=True)), "any"),
    ("transpose", lambda x: x.t() * 1, lambda x: x.T, "any"),
    ("reshape", lambda x: x.reshape(-1) * 1, lambda x: x.reshape(-1), "any"),
    ("slice", lambda x: x[::2, 1:] * 1, lambda x: x[::2, 1:], "any"),
    ("select", lambda x: x[1] * 1, lambda x: x[1], "any"),
    ("index_list", lambda x: x[[0, 2, 0]] * 1, lambda x: x[[0, 2, 0]], "any"),
    ("mask", lambda x: x[x > 0] * 1, lambda x: x[x > 0], "away0"),
    ("unsqueeze_expand", lambda x: x.unsqueeze(0).expand(2, -1, -1) * 1, lambda x: np.broadcast_to(x, (2,) + x.shape), "any"),
    ("flip", lambda x: x.flip(0), lambda x: x[::-1], "any"),
    ("repeat", lambda x: x.repeat(2, 1), lambda x: np.tile(x, (2, 1)), "any"),
    ("chunk", lambda x: x.chunk(2, 0)[1] * 1, lambda x: np.array_split(x, 2, 0)[1], "any"),
    (
        "gather",
        lambda x: x.gather(1, _idx(x, [[0, 0], [1, 0], [2, 1]])),
        lambda x: np.take_along_axis(x, np.array([[0, 0], [1, 0], [2, 1]]), 1),
        "any",
    ),
    ("index_select", lambda x: x.index_select(1, _idx(x, [3, 0])), lambda x: x[:, [3, 0]], "any"),
    ("masked_fill", lambda x: x.masked_fill(x > 0, 0.5), lambda x: np.where(x > 0, 0.5, x), "away0"),
    ("scatter", lambda x: x.scatter(0, _idx(x, [[2, 1, 0, 1]]), 7.0), None, "any"),
]

SHAPES = [(3, 4)]


@pytest.mark.parametrize("noncontig", [False, True], ids=["contig", "transposed"])
@pytest.mark.parametrize("name,fn,ref,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_op(name, fn, ref, domain, noncontig):
    a = _data((3, 4), domain)
    x = _tensor(a, noncontig)
    out = fn(x)
    if ref is not None:
        np.testing.assert_allclose(out.detach().numpy(), ref(a), rtol=1e-10, atol=1e-12)
    w = rng.normal(size=tuple(out.shape))
    (out * ar.tensor(w)).sum().backward()
    fd = finite_difference(fn, [a], 0, w)
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-5, atol=1e-6)


BINARY = [
    ("add", lambda a, b: a + b, np.add, "any"),
    ("sub", lambda a, b: a - b, np.subtract, "any"),
    ("mul", lambda a, b: a * b, np.multiply, "any"),
    ("div", lambda a, b: a / b, np.divide, "away0"),
    ("pow", lambda a, b: a**b, np.power, "pos"),
    ("atan2", lambda a, b: ar.atan2(a, b), np.arctan2, "away0"),
    ("maximum", lambda a, b: ar.maximum(a, b), np.maximum, "any"),
    ("minimum", lambda a, b: ar.minimum(a, b), np.minimum, "any"),
    ("add_alpha", lambda a, b: ar.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b, "any"),
    ("where", lambda a, b: ar.where(a > b, a, b * 2), lambda a, b: np.where(a > b, a, b * 2), "any"),
    ("matmul", lambda a, b: a @ b.transpose(-1, -2), lambda a, b: a @ np.swapaxes(b, -1, -2), "any"),
]

PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 4)), ((1, 4), (3, 1))]


# matmul takes b transposed, so its 1-D right operands are covered by test_matmul_shapes
BINARY_CASES = [(op, pair) for op in BINARY for pair in PAIRS if not (op[0] == "matmul" and (len(pair[1]) < 2 or pair[0][-1] != pair[1][-1]))]


@pytest.mark.parametrize("noncontig", [False, True], ids=["contig", "transposed"])
@pytest.mark.parametrize("op,shapes", BINARY_CASES, ids=[f"{o[0]}-{a}x{b}" for o, (a, b) in BINARY_CASES])
def test_binary_op(op, shapes, noncontig):
    name, fn, ref, domain = op
    sa, sb = shapes
    a, b = _data(sa, domain), _data(sb, domain)
    x, y = _tensor(a, noncontig), _tensor(b, noncontig)
    out = fn(x, y)
    np.testing.assert_allclose(out.detach().numpy(), ref(a, b), rtol=1e-10, atol=1e-12)
    w = rng.normal(size=tuple(out.shape))
    (out * ar.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(fn, [a, b], 0, w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), finite_difference(fn, [a, b], 1, w), rtol=1e-5, atol=1e-6)


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul_shapes(sa, sb):
    a, b = _data(sa, "any"), _data(sb, "any")
    x, y = _tensor(a, False), _tensor(b, False)
    out = x @ y
    ref = a @ b
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10)
    assert tuple(out.shape) == ref.shape
    w = rng.normal(size=ref.shape)
    (out * ar.tensor(w)).sum().backward()

    def f(p, q):
        return p @ q

    np.testing.assert_allclose(x.grad.numpy(), finite_difference(f, [a, b], 0, w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), finite_difference(f, [a, b], 1, w), rtol=1e-5, atol=1e-6)


# (batch operand's shape, permutation): whether PyTorch 2.15 folds a vector
# times it into one mv (recorded from its messages for a mismatched vector:
# mv's "size mismatch" when folded, bmm's batch2 check when not). Dims of
# size 1 do not stop the fold.
FOLDS = [
    ((1, 4, 3), None, True),
    ((1, 1, 4, 3), None, True),
    ((2, 3, 4), (0, 2, 1), True),
    ((2, 4, 3), None, False),
    ((2, 1, 4, 3), None, False),
    ((1, 2, 4, 3), None, False),
    ((3, 1, 4, 3), (1, 0, 2, 3), False),
    ((2, 4, 3, 1), (0, 3, 1, 2), False),
]


@pytest.mark.parametrize("shape,perm,folds", FOLDS)
def test_vector_times_batch_folds_as_pytorch(shape, perm, folds):
    b = ar.randn(*shape)
    if perm:
        b = b.permute(*perm)
    want = "size mismatch, got input" if folds else "Expected size for first two dimensions of batch2"
    with pytest.raises(RuntimeError, match=want):
        ar.randn(1) @ b
    # with a matching vector, the same value either way
    v = _data((b.shape[-2],), "any")
    ref = v @ b.numpy()
    np.testing.assert_allclose((ar.tensor(v, dtype=b.dtype) @ b).numpy(), ref, rtol=1e-5, atol=1e-6)


def test_cat_stack_gradients():
    a, b = _data((2, 3), "any"), _data((4, 3), "any")

    def f(p, q):
        return ar.cat([p, q * 2], 0)

    x, y = _tensor(a, True), _tensor(b, False)
    out = f(x, y)
    np.testing.assert_allclose(out.detach().numpy(), np.concatenate([a, 2 * b]))
    w = rng.normal(size=(6, 3))
    (out * ar.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(f, [a, b], 0, w), rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), finite_difference(f, [a, b], 1, w), rtol=1e-6)
    s = ar.stack([ar.tensor(a), ar.tensor(a)], 1)
    np.testing.assert_allclose(s.numpy(), np.stack([a, a], 1))


def test_scatter_gradient_to_src():
    a, s = _data((3, 4), "any"), _data((1, 4), "any")
    idx = ar.tensor([[2, 1, 0, 1]])

    def f(p, q):
        return p.scatter(0, idx, q)

    x, y = _tensor(a, False), _tensor(s, False)
    out = f(x, y)
    ref = a.copy()
    for j, i in enumerate([2, 1, 0, 1]):
        ref[i, j] = s[0, j]
    np.testing.assert_allclose(out.detach().numpy(), ref)
    w = rng.normal(size=(3, 4))
    (out * ar.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(f, [a, s], 0, w), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(y.grad.numpy(), finite_difference(f, [a, s], 1, w), rtol=1e-6, atol=1e-8)


def test_scatter_refuses_a_src_gradient_smaller_than_src_as_pytorch():
    # PyTorch's src gradient is grad.gather(dim, index), the index's shape;
    # its engine refuses it when src does not expand to that shape
    for op, node in [("scatter", "ScatterBackward0"), ("scatter_add", "ScatterAddBackward0")]:
        src = ar.ones(3, 4, requires_grad=True)
        out = getattr(ar.zeros(3, 4), op)(0, ar.tensor([[0, 1], [2, 0]]), src)
        with pytest.raises(
            RuntimeError, match=rf"Function {node} returned an invalid gradient at index 1 - got \[2, 2\] but expected shape compatible with \[3, 4\]"
        ):
            out.sum().backward()


FUNCTIONAL = [
    ("relu", lambda x: ar.nn.functional.relu(x), "away0"),
    ("leaky_relu", lambda x: ar.nn.functional.leaky_relu(x, 0.1), "away0"),
    ("gelu", lambda x: ar.nn.functional.gelu(x), "any"),
    ("gelu_tanh", lambda x: ar.nn.functional.gelu(x, approximate="tanh"), "any"),
    ("silu", lambda x: ar.nn.functional.silu(x), "any"),
    ("softplus", lambda x: ar.nn.functional.softplus(x), "any"),
    ("mse", lambda x: ar.nn.functional.mse_loss(x, _like(x, np.ones((3, 4)))), "any"),
    ("l1", lambda x: ar.nn.functional.l1_loss(x, _like(x, np.ones((3, 4)))), "away0"),
    ("smooth_l1", lambda x: ar.nn.functional.smooth_l1_loss(x, _like(x, np.zeros((3, 4)))), "away0"),
    ("bce", lambda x: ar.nn.functional.binary_cross_entropy(x, _like(x, np.full((3, 4), 0.3))), "prob"),
    ("bce_logits", lambda x: ar.nn.functional.binary_cross_entropy_with_logits(x, _like(x, np.full((3, 4), 0.3))), "any"),
    (
        "bce_logits_pw",
        lambda x: ar.nn.functional.binary_cross_entropy_with_logits(x, _like(x, np.full((3, 4), 0.3)), pos_weight=_like(x, [1.0, 2.0, 0.5, 3.0])),
        "any",
    ),
    ("cross_entropy", lambda x: ar.nn.functional.cross_entropy(x, _idx(x, [0, 3, 1])), "any"),
    (
        "cross_entropy_sum_w",
        lambda x: ar.nn.functional.cross_entropy(x, _idx(x, [0, 3, 1]), weight=_like(x, [1.0, 2.0, 0.5, 1.5]), reduction="sum"),
        "any",
    ),
    ("cross_entropy_smooth", lambda x: ar.nn.functional.cross_entropy(x, _idx(x, [0, 3, -100]), label_smoothing=0.1), "any"),
    ("cross_entropy_probs", lambda x: ar.nn.functional.cross_entropy(x, _like(x, np.full((3, 4), 0.25))), "any"),
    ("nll", lambda x: ar.nn.functional.nll_loss(x.log_softmax(1), _idx(x, [1, 1, 2])), "any"),
    ("linear", lambda x: ar.nn.functional.linear(x, _like(x, np.ones((2, 4))), _like(x, np.ones(2))), "any"),
]


@pytest.mark.parametrize("name,fn,domain", FUNCTIONAL, ids=[f[0] for f in FUNCTIONAL])
def test_functional_gradients(name, fn, domain):
    a = _data((3, 4), domain)
    x = _tensor(a, False)
    out = fn(x)
    w = rng.normal(size=tuple(out.shape))
    (out * ar.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(fn, [a], 0, w), rtol=1e-5, atol=1e-7)


def test_functional_values_against_formulas():
    F = ar.nn.functional
    a = _data((3, 4), "any")
    x = ar.tensor(a)
    t = np.array([0, 3, 1])
    logp = a - np.log(np.exp(a).sum(1, keepdims=True))
    np.testing.assert_allclose(F.cross_entropy(x, ar.tensor(t)).item(), -logp[np.arange(3), t].mean(), rtol=1e-12)
    np.testing.assert_allclose(F.gelu(x).numpy(), a * 0.5 * (1 + np.vectorize(math.erf)(a / math.sqrt(2))), rtol=1e-12)
    np.testing.assert_allclose(F.softplus(x).numpy(), np.log1p(np.exp(a)), rtol=1e-12)
    np.testing.assert_allclose(F.silu(x).numpy(), a / (1 + np.exp(-a)), rtol=1e-12)
    big = ar.tensor([1000.0, -1000.0], dtype=ar.float64)
    assert np.isfinite(F.binary_cross_entropy_with_logits(big, ar.tensor([0.0, 1.0], dtype=ar.float64)).item())
    assert np.isfinite(F.softplus(big).numpy()).all()
    assert np.isfinite(big.logsumexp(0).item())
    assert np.isfinite(big.softmax(0).numpy()).all()


def test_second_order_gradients():
    a = _data((4,), "any")
    x = _tensor(a, False)
    y = (x.exp() * x.sin()).sum()
    (g,) = ar.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), np.exp(a) * (np.sin(a) + np.cos(a)), rtol=1e-12)
    (h,) = ar.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 2 * np.exp(a) * np.cos(a), rtol=1e-12)
    # third order of tanh through saved outputs
    x = _tensor(a, False)
    (g1,) = ar.autograd.grad(x.tanh().sum(), x, create_graph=True)
    (g2,) = ar.autograd.grad(g1.sum(), x, create_graph=True)
    th = np.tanh(a)
    np.testing.assert_allclose(g2.detach().numpy(), -2 * th * (1 - th**2), rtol=1e-10)


def test_bce_with_logits_gradient_is_smooth_at_zero():
    # d/dx mean(BCEWithLogits(x, 1)) = (sigmoid(x) - 1) / n, also at x = 0
    x = ar.tensor([[1.0, 2.0], [0.0, 1.0]], requires_grad=True)
    ar.nn.functional.binary_cross_entropy_with_logits(x, ar.ones(2, 2)).backward()
    a = np.array([[1.0, 2.0], [0.0, 1.0]])
    np.testing.assert_allclose(x.grad.numpy(), (1 / (1 + np.exp(-a)) - 1) / 4, rtol=1e-6)
    y = ar.tensor([0.0, -30.0, 30.0], requires_grad=True)
    ar.nn.functional.softplus(y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 1 / (1 + np.exp(-np.array([0.0, -30.0, 30.0]))), rtol=1e-6)


@pytest.mark.parametrize(
    "a,expected",
    [
        ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
        ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),
        ([0.0, 0.0, 4.0], [0.0, 0.0, 0.0]),
    ],
)
def test_prod_gradient_with_zeros(a, expected):
    x = ar.tensor(a, dtype=ar.float64, requires_grad=True)
    x.prod().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected)
    y = ar.tensor([a, a], dtype=ar.float64, requires_grad=True)
    y.prod(1).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [expected, expected])


def test_float32_rounding_of_pow_and_scaled_add():
    # PyTorch's CPU kernels round x ** p (p outside its special cases) and
    # a + alpha * b once each; the references are the same expressions in
    # float64, rounded once to float32.
    rng = np.random.default_rng(0)
    a = rng.standard_normal(1000).astype(np.float32)
    b = rng.standard_normal(1000).astype(np.float32)
    x = ar.tensor(a)
    for p in (4.0, 2.5, -3.0, 7.0):
        base = np.abs(a) if p != int(p) else a
        want = np.power(base.astype(np.float64), p).astype(np.float32)
        got = (ar.tensor(base) ** p).numpy()
        np.testing.assert_array_equal(got, want)
    alpha = np.float32(0.37)
    want = (a.astype(np.float64) + np.float64(alpha) * b.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(x.add(ar.tensor(b), alpha=0.37).numpy(), want)
    inplace = ar.tensor(a)
    inplace.add_(ar.tensor(b), alpha=0.37)
    np.testing.assert_array_equal(inplace.numpy(), want)
    want = (a.astype(np.float64) - np.float64(alpha) * b.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(x.sub(ar.tensor(b), alpha=0.37).numpy(), want)


def test_inplace_function_forms():
    import autorust.nn.functional as F

    x = ar.tensor([0.5, -1.5])
    assert ar.sin_(x) is x
    np.testing.assert_allclose(x.numpy(), np.sin([0.5, -1.5]).astype(np.float32))
    y = ar.tensor([-1.0, 2.0])
    assert F.elu_(y, 0.5) is y
    np.testing.assert_allclose(y.numpy(), [0.5 * (math.exp(-1.0) - 1), 2.0], rtol=1e-6)
    with pytest.raises(TypeError):
        F.elu_(y, inplace=False)
    z = ar.tensor([1.0, 2.0], requires_grad=True)
    w = z * 2
    ar.exp_(w)
    w.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * np.exp([2.0, 4.0]), rtol=1e-6)
    assert w.grad_fn.name() == "ExpBackward0"


def test_grad_fn_is_one_object_per_node():
    x = ar.ones(2, requires_grad=True)
    y = x.sin() * 2
    assert y.grad_fn is y.grad_fn
    assert y.grad_fn.next_functions[0][0] is y.grad_fn.next_functions[0][0]
    leaf = y.grad_fn.next_functions[0][0].next_functions[0][0]
    assert leaf is x.sin().grad_fn.next_functions[0][0]


FUSED_ACTIVATIONS = [
    ("gelu", lambda F, x: F.gelu(x)),
    ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh")),
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.2)),
    ("elu", lambda F, x: F.elu(x, 0.7)),
    ("selu", lambda F, x: F.selu(x)),
    ("celu", lambda F, x: F.celu(x, 1.5)),
    ("hardswish", lambda F, x: F.hardswish(x)),
    ("softplus", lambda F, x: F.softplus(x)),
    ("softplus_beta", lambda F, x: F.softplus(x, 2.0, 3.0)),
    ("logsigmoid", lambda F, x: F.logsigmoid(x)),
    ("mish", lambda F, x: F.mish(x)),
    ("silu", lambda F, x: F.silu(x)),
]


@pytest.mark.parametrize("name,fn", FUSED_ACTIVATIONS, ids=[n for n, _ in FUSED_ACTIVATIONS])
def test_fused_activation_gradients_against_finite_differences(name, fn):
    import autorust.nn.functional as F

    # points away from the kinks (0, +-3, the softplus threshold), both signs
    pts = np.array([-4.1, -2.3, -0.7, -0.2, 0.3, 0.9, 1.7, 2.6, 3.8, 5.2])
    x = ar.tensor(pts, dtype=ar.float64, requires_grad=True)
    assert ar.autograd.gradcheck(lambda t: fn(F, t), (x,))
    assert ar.autograd.gradgradcheck(lambda t: fn(F, t), (x,))
    # float32 values and gradients agree with the float64 ones
    x32 = ar.tensor(pts.astype(np.float32), requires_grad=True)
    y32 = fn(F, x32)
    y32.sum().backward()
    y64 = fn(F, x)
    (g64,) = ar.autograd.grad(y64.sum(), x)
    np.testing.assert_allclose(y32.detach().numpy(), y64.detach().numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(x32.grad.numpy(), g64.numpy(), rtol=2e-6, atol=1e-6)
    # a strided input gives the same values
    wide = ar.tensor(np.repeat(pts, 2).astype(np.float32))[::2]
    np.testing.assert_array_equal(fn(F, wide).numpy(), y32.detach().numpy())


def test_hardsigmoid_is_one_native_op_with_pytorchs_joins_and_no_second_derivative():
    import autorust.nn.functional as F

    pts = np.array([-4.1, -3.0, -2.3, -0.7, 0.0, 0.9, 2.6, 3.0, 3.8, np.nan, np.inf, -np.inf])
    for dtype in (ar.float32, ar.float64):
        x = ar.tensor(pts, dtype=dtype, requires_grad=True)
        y = F.hardsigmoid(x)
        assert y.grad_fn.name() == "HardsigmoidBackward0"
        assert y.grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"  # one node, no composition
        np_dtype = np.float32 if dtype == ar.float32 else np.float64
        want = np.clip(pts.astype(np_dtype) + 3, 0, 6) / np_dtype(6)  # NaN stays NaN
        np.testing.assert_array_equal(y.detach().numpy(), want)
        y.backward(ar.full((12,), 2.0, dtype=dtype))
        # float32's 1/6 in every dtype (PyTorch's literal); 0 on the joins and for NaN
        slope = 2 * float(np.float32(1.0) / np.float32(6.0))
        inside = (pts > -3) & (pts < 3)
        np.testing.assert_array_equal(x.grad.numpy(), np.where(inside, slope, 0.0).astype(np_dtype))
    x = ar.tensor([-2.3, -0.7, 0.9, 2.6], dtype=ar.float64, requires_grad=True)
    assert ar.autograd.gradcheck(F.hardsigmoid, (x,))
    (g,) = ar.autograd.grad(F.hardsigmoid(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::hardsigmoid_backward is not implemented"):
        g.sum().backward()
    wide = ar.tensor(np.repeat(pts, 2).astype(np.float32))[::2]
    np.testing.assert_array_equal(F.hardsigmoid(wide).numpy(), F.hardsigmoid(ar.tensor(pts.astype(np.float32))).numpy())


def test_sums_of_a_transposed_view_add_in_memory_order_as_pytorch():
    # PyTorch reduces a permuted tensor in memory order: x.t().sum(1) is
    # x.sum(0) to the bit, also when the kept dims change order
    rng = np.random.default_rng(5)
    a = ar.tensor(rng.standard_normal((300, 1000)).astype(np.float32))
    b = ar.tensor(rng.standard_normal((7, 50, 300)).astype(np.float32))
    same = [
        (a.t().sum(1), a.sum(0)),
        (a.t().mean(0), a.mean(1)),
        (a.t().sum(), a.sum()),
        (b.permute(2, 0, 1).sum(0), b.sum(2)),
        (b.permute(2, 0, 1).sum((1, 2)), b.sum((0, 1))),
        (b.permute(1, 0, 2).sum(2), b.sum(2).t()),  # kept dims swapped in memory
        (b.permute(2, 1, 0).mean((1, 2)), b.mean((0, 1))),
    ]
    for got, want in same:
        assert got.shape == want.shape and got.is_contiguous()
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_allclose(b.permute(1, 0, 2).sum(2).numpy(), b.numpy().astype(np.float64).sum(2).T, rtol=1e-5)
    x = ar.tensor(rng.standard_normal((4, 6)), requires_grad=True)
    assert ar.autograd.gradcheck(lambda t: t.t().sum(1), (x,))


def test_softplus_at_its_threshold_has_the_curve_slope_and_no_second_derivative():
    # PyTorch's backward takes the curve where beta x <= threshold, but its
    # double backward only where beta x < threshold: at the join the
    # gradient is sigmoid(threshold) and its derivative in x is 0
    import autorust.nn.functional as F

    x = ar.tensor([0.5, 0.25, 0.75], dtype=ar.float64, requires_grad=True)
    (g,) = ar.autograd.grad(F.softplus(x, beta=2, threshold=1).sum(), x, create_graph=True)
    s = 1 / (1 + np.exp(-np.array([1.0, 0.5])))
    np.testing.assert_allclose(g.detach().numpy(), [s[0], s[1], 1.0], rtol=1e-12)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 2 * s[1] * (1 - s[1]), 0.0], rtol=1e-12)


def test_unary_ops_keep_a_transposed_layout_as_pytorch():
    # PyTorch's elementwise result takes a dense input's strides: x.t().exp()
    # is itself transposed; values and gradients as from the contiguous copy
    base = np.random.default_rng(2).standard_normal((37, 53)).astype(np.float32)
    x = ar.tensor(base, requires_grad=True)
    for name in ("exp", "sigmoid", "relu", "tanh", "abs"):
        y = getattr(x.t(), name)()
        assert y.stride() == (1, 53) and not y.is_contiguous()
        want = getattr(ar.tensor(base.T.copy()), name)()
        np.testing.assert_array_equal(y.detach().numpy(), want.numpy())
        y.backward(ar.ones(53, 37))
        ref = ar.tensor(base.T.copy(), requires_grad=True)
        getattr(ref, name)().backward(ar.ones(53, 37))
        np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy().T, rtol=1e-6)
        x.grad = None
    z = ar.tensor(base).permute(1, 0).unsqueeze(0)[:, ::2]  # a slice: not dense, result contiguous
    assert z.exp().is_contiguous()
    np.testing.assert_allclose(z.exp().numpy(), np.exp(base.T[None, ::2]), rtol=1e-6)
