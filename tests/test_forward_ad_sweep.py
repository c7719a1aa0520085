"""Forward-mode tangents of the op catalogue against float64 central
differences: every unary and binary function, reductions, norms, losses,
pooling and linalg with a derivative, with the primal requiring grad or
not (the two take different paths: a graph node, or only the tangent)."""

import numpy as np
import pytest

import autorust as T
import autorust.autograd.forward_ad as fw
import autorust.nn.functional as F

EPS = 1e-6
POSITIVE = {"log", "log10", "log2", "log1p", "sqrt", "rsqrt", "acos", "asin", "logit", "pow", "xlogy"}
UNARY = [
    "abs",
    "acos",
    "asin",
    "atan",
    "ceil",
    "cos",
    "cosh",
    "erf",
    "erfc",
    "exp",
    "expm1",
    "floor",
    "frac",
    "log",
    "log10",
    "log1p",
    "log2",
    "neg",
    "reciprocal",
    "round",
    "rsqrt",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "tan",
    "tanh",
    "trunc",
    "square",
    "exp2",
    "deg2rad",
    "rad2deg",
    "logit",
    "sinc",
]
ACTIVATIONS = [
    "relu",
    "relu6",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "softsign",
    "tanhshrink",
    "hardtanh",
    "hardswish",
    "hardsigmoid",
    "leaky_relu",
    "logsigmoid",
]
BINARY = ["add", "sub", "mul", "div", "pow", "atan2", "maximum", "minimum", "fmod", "remainder", "hypot", "copysign", "xlogy", "logaddexp"]
EYE3 = T.eye(3, dtype=T.float64)

MORE = {
    "sum dim": (lambda a: a.sum(0), 1),
    "prod": (lambda a: a.prod(1), 1),
    "cumprod": (lambda a: a.cumprod(0), 1),
    "logsumexp": (lambda a: a.logsumexp(1), 1),
    "max dim": (lambda a: a.max(1)[0], 1),
    "min": (lambda a: a.min(), 1),
    "median": (lambda a: a.median(), 1),
    "sort": (lambda a: a.sort(1)[0], 1),
    "topk": (lambda a: a.topk(2, 1)[0], 1),
    "kthvalue": (lambda a: a.kthvalue(2, 1)[0], 1),
    "norm p1": (lambda a: a.norm(1), 1),
    "dist": (lambda a, b: T.dist(a, b), 2),
    "cdist": (lambda a, b: T.cdist(a, b), 2),
    "einsum": (lambda a, b: T.einsum("ij,kj->ik", a, b), 2),
    "trace": (lambda a: a[:, :3].trace(), 1),
    "tril": (lambda a: a.tril(), 1),
    "flip": (lambda a: a.flip(0), 1),
    "roll": (lambda a: a.roll(1, 1), 1),
    "repeat": (lambda a: a.repeat(2, 1), 1),
    "unfold": (lambda a: a.unfold(1, 2, 1), 1),
    "diagonal": (lambda a: a.diagonal(), 1),
    "index_select": (lambda a: a.index_select(1, T.tensor([0, 2])), 1),
    "masked_fill": (lambda a: a.masked_fill(a > 0, 0.0), 1),
    "scatter_add": (lambda a, b: a.scatter_add(1, T.tensor([[0, 1, 0, 1]] * 3), b), 2),
    "lerp": (lambda a, b: T.lerp(a, b, 0.3), 2),
    "addcmul": (lambda a, b: T.addcmul(a, a, b, value=0.5), 2),
    "clamp by tensor": (lambda a, b: a.clamp(min=b), 2),
    "inv": (lambda a: T.linalg.inv(a[:, :3] + 3 * EYE3), 1),
    "det": (lambda a: T.linalg.det(a[:, :3]), 1),
    "solve": (lambda a, b: T.linalg.solve(a[:, :3] + 3 * EYE3, b[:, 0]), 2),
    "cholesky": (lambda a: T.linalg.cholesky(a[:, :3] @ a[:, :3].T + EYE3), 1),
    "eigvalsh": (lambda a: T.linalg.eigvalsh(a[:, :3] + a[:, :3].T), 1),
    "svdvals": (lambda a: T.linalg.svdvals(a), 1),
    "layer_norm": (lambda a: F.layer_norm(a, (4,)), 1),
    "group_norm": (lambda a: F.group_norm(a.reshape(1, 4, 3), 2), 1),
    "batch_norm": (lambda a: F.batch_norm(a, None, None, training=True), 1),
    "instance_norm": (lambda a: F.instance_norm(a.reshape(1, 3, 4)), 1),
    "normalize": (lambda a: F.normalize(a), 1),
    "l1_loss": (lambda a, b: F.l1_loss(a, b), 2),
    "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b), 2),
    "huber": (lambda a, b: F.huber_loss(a, b), 2),
    "bce with logits": (lambda a, b: F.binary_cross_entropy_with_logits(a, b.sigmoid()), 2),
    "bce": (lambda a, b: F.binary_cross_entropy(a.sigmoid(), b.sigmoid()), 2),
    "kl_div": (lambda a, b: F.kl_div(a.log_softmax(1), b.softmax(1), reduction="batchmean"), 2),
    "nll": (lambda a: F.nll_loss(a.log_softmax(1), T.tensor([0, 1, 3])), 1),
    "cosine_similarity": (lambda a, b: F.cosine_similarity(a, b), 2),
    "pairwise_distance": (lambda a, b: F.pairwise_distance(a, b), 2),
    "bilinear": (lambda a: F.interpolate(a.reshape(1, 1, 3, 4), scale_factor=2, mode="bilinear"), 1),
    "nearest": (lambda a: F.interpolate(a.reshape(1, 1, 3, 4), scale_factor=2), 1),
    "reflect pad": (lambda a: F.pad(a, (1, 2), mode="reflect"), 1),
    "avg_pool1d": (lambda a: F.avg_pool1d(a.reshape(1, 3, 4), 2), 1),
    "embedding": (lambda a: F.embedding(T.tensor([0, 2, 2]), a), 1),
    "glu": (lambda a: F.glu(a), 1),
    "softmax dim 0": (lambda a: F.softmax(a, 0), 1),
    "cross": (lambda a, b: T.linalg.cross(a[:, :3], b[:, :3]), 2),
    "cummax": (lambda a: a.cummax(1)[0], 1),
    "logcumsumexp": (lambda a: a.logcumsumexp(1), 1),
    "std_mean": (lambda a: T.std_mean(a, 1)[0], 1),
    "var_mean": (lambda a: T.var_mean(a, 1)[1] * 2, 1),
    "quantile": (lambda a: a.quantile(0.3, 1), 1),
    "nanmean": (lambda a: a.nanmean(), 1),
}


def _calling(fn):
    return lambda *args: fn(*args)


def _catalogue():
    ops = {n: (_calling(getattr(T, n)), 1) for n in UNARY}
    ops.update({f"F.{n}": (_calling(getattr(F, n)), 1) for n in ACTIVATIONS})
    ops.update({n: (_calling(getattr(T, n)), 2) for n in BINARY})
    ops.update(MORE)
    return ops


OPS = _catalogue()


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", sorted(OPS))
def test_tangent_matches_central_differences(name, requires_grad):
    f, arity = OPS[name]
    rng = np.random.default_rng(sorted(OPS).index(name))
    positive = name in POSITIVE
    values = [rng.uniform(0.2, 0.8, (3, 4)) if positive else rng.standard_normal((3, 4)) for _ in range(arity)]
    directions = [T.tensor(rng.standard_normal((3, 4)), dtype=T.float64) for _ in range(arity)]
    args = [T.tensor(v, dtype=T.float64) for v in values]
    with fw.dual_level():
        duals = [fw.make_dual(T.tensor(v, dtype=T.float64, requires_grad=requires_grad), d) for v, d in zip(values, directions)]
        tangent = fw.unpack_dual(f(*duals)).tangent
    plus = f(*[a + EPS * d for a, d in zip(args, directions)]).detach().numpy()
    minus = f(*[a - EPS * d for a, d in zip(args, directions)]).detach().numpy()
    reference = (plus - minus) / (2 * EPS)
    if tangent is None:
        assert np.abs(reference).max() == 0, "a tangent was dropped"
    else:
        np.testing.assert_allclose(tangent.detach().numpy(), reference, rtol=1e-4, atol=1e-6)
