"""Forward-mode AD (`autograd.forward_ad`) against independent references:
each tangent is compared with the central finite difference, in float64,
of the same function along the same direction; and the behaviour PyTorch's
gold cannot show (a tangent that cannot be computed raises instead of
reading as zero, a stale tangent after an in-place write through a view)."""

import numpy as np
import pytest

import autorust as T
import autorust.autograd.forward_ad as fw
import autorust.nn.functional as F

EPS = 1e-6


def _finite_difference(f, args, directions):
    plus = f(*[a + EPS * d for a, d in zip(args, directions)])
    minus = f(*[a - EPS * d for a, d in zip(args, directions)])
    return (plus.detach().numpy() - minus.detach().numpy()) / (2 * EPS)


def _tangent(f, args, directions):
    with fw.dual_level():
        out = f(*[fw.make_dual(a, d) for a, d in zip(args, directions)])
        tangent = fw.unpack_dual(out).tangent
    assert tangent is not None
    return tangent.detach().numpy()


OPS = {
    "sin*exp": (lambda a: a.sin() * a.exp(), [(3, 4)]),
    "div broadcast": (lambda a, b: a / (b.abs() + 1), [(3, 4), (4,)]),
    "pow tensor": (lambda a, b: (a.abs() + 0.5) ** b, [(5,), (5,)]),
    "matmul": (lambda a, b: a @ b, [(3, 4), (4, 2)]),
    "softmax": (lambda a: a.softmax(-1), [(3, 5)]),
    "log_softmax dim 0": (lambda a: a.log_softmax(0), [(3, 5)]),
    "sum and mean": (lambda a: a.sum(1) + a.mean(1) * 2, [(3, 5)]),
    "amax": (lambda a: a.amax(0), [(4, 3)]),
    "cumsum and cumprod": (lambda a: a.cumsum(1) * a.cumprod(1), [(2, 4)]),
    "norm": (lambda a: a.norm(dim=1), [(3, 4)]),
    "std": (lambda a: a.std(0), [(5, 3)]),
    "gelu tanh": (lambda a: F.gelu(a, approximate="tanh"), [(6,)]),
    "silu, softplus, elu": (lambda a: F.silu(a) + F.softplus(a) + F.elu(a), [(6,)]),
    "layer_norm": (lambda a, w: F.layer_norm(a, (4,), w), [(3, 4), (4,)]),
    "linear": (lambda a, w, b: F.linear(a, w, b), [(3, 4), (2, 4), (2,)]),
    "conv2d": (lambda a, w: F.conv2d(a, w, padding=1), [(1, 2, 5, 5), (3, 2, 3, 3)]),
    "avg and max pool": (lambda a: F.avg_pool2d(a, 2) + F.max_pool2d(a, 2), [(1, 2, 4, 4)]),
    "cross_entropy": (lambda a: F.cross_entropy(a, T.tensor([0, 2, 1])), [(3, 4)]),
    "mse_loss": (lambda a, b: F.mse_loss(a, b), [(3, 4), (3, 4)]),
    "index and cat": (lambda a: T.cat([a[1:, ::2], a[:1, 1::2] * 3]), [(3, 4)]),
    "transpose, reshape, expand": (lambda a: a.t().reshape(-1, 2).expand(3, 6, 2).sum(0), [(3, 4)]),
    "where and clamp": (lambda a: T.where(a > 0, a.clamp(max=0.5), a * 2), [(3, 4)]),
    "gather": (lambda a: a.gather(1, T.tensor([[0, 2], [1, 1], [3, 0]])), [(3, 4)]),
    "scaled_dot_product_attention": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v), [(1, 3, 4), (1, 3, 4), (1, 3, 4)]),
    "diagonal, trace, unfold": (lambda a: a.diagonal() * a.trace() + a.unfold(1, 2, 2).sum((1, 2))[:3], [(3, 4)]),
    "hardsigmoid": (lambda a: F.hardsigmoid(a * 4), [(8,)]),
    "inv and det": (lambda a: T.linalg.inv(a + 3 * T.eye(3, dtype=T.float64)) * T.linalg.det(a), [(3, 3)]),
    "svdvals": (lambda a: T.linalg.svdvals(a), [(3, 4)]),
    "eigh": (lambda a: T.linalg.eigh(a + a.mT).eigenvalues + T.linalg.eigh(a + a.mT).eigenvectors.abs().sum(0), [(3, 3)]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_tangent_matches_finite_differences(name):
    f, shapes = OPS[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    args = [T.tensor(rng.standard_normal(s) + 0.1, dtype=T.float64) for s in shapes]
    directions = [T.tensor(rng.standard_normal(s), dtype=T.float64) for s in shapes]
    np.testing.assert_allclose(_tangent(f, args, directions), _finite_difference(f, args, directions), rtol=1e-5, atol=1e-7)


def test_tangent_of_a_module_with_dual_parameters_matches_finite_differences():
    T.manual_seed(0)
    model = T.nn.Sequential(T.nn.Linear(4, 5), T.nn.Tanh(), T.nn.Linear(5, 2)).double()
    x = T.randn(3, 4, dtype=T.float64)
    params = {k: v.detach() for k, v in model.named_parameters()}
    directions = {k: T.randn_like(v) for k, v in params.items()}

    def run(values):
        return T.func.functional_call(model, values, (x,))

    with fw.dual_level():
        tangent = fw.unpack_dual(run({k: fw.make_dual(v, directions[k]) for k, v in params.items()})).tangent.numpy()
    plus = run({k: v + EPS * directions[k] for k, v in params.items()}).detach().numpy()
    minus = run({k: v - EPS * directions[k] for k, v in params.items()}).detach().numpy()
    np.testing.assert_allclose(tangent, (plus - minus) / (2 * EPS), rtol=1e-5, atol=1e-7)


def test_tangents_propagate_under_no_grad_and_are_dropped_with_the_level():
    x = T.tensor([0.5, 1.5], dtype=T.float64)
    with fw.dual_level():
        d = fw.make_dual(x, T.ones(2, dtype=T.float64))
        with T.no_grad():
            y = d.exp()
        assert not y.requires_grad
        np.testing.assert_allclose(fw.unpack_dual(y).tangent.numpy(), np.exp([0.5, 1.5]))
    assert fw.unpack_dual(y).tangent is None
    with fw.dual_level():  # a new level: the old tangents stay gone
        assert fw.unpack_dual(y).tangent is None


def test_reverse_over_forward_matches_the_hessian_vector_product():
    # d/dx <grad f, v> for f = sum(sin(x) * x): the Hessian is diagonal
    x = T.tensor([0.2, -0.7, 1.3], dtype=T.float64, requires_grad=True)
    v = T.tensor([1.0, 2.0, 0.5], dtype=T.float64)
    with fw.dual_level():
        jvp = fw.unpack_dual((fw.make_dual(x, v).sin() * fw.make_dual(x, v)).sum()).tangent
    (g,) = T.autograd.grad(jvp, x)
    xs = x.detach().numpy()
    hessian_diagonal = 2 * np.cos(xs) - xs * np.sin(xs)
    np.testing.assert_allclose(g.numpy(), hessian_diagonal * v.numpy(), rtol=1e-12)


def test_a_backward_computed_outside_the_graph_makes_reading_the_tangent_raise():
    # an op attached by a backward that is no function of its incoming
    # gradient in tensor ops (computed on the host): its transposition
    # cannot be taken, and the tangent must not read as zero
    class HostBackward(T.autograd.Function):
        _jvp_from_backward = True

        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return T.tensor(g.detach().numpy() * 2)

    with fw.dual_level():
        out = HostBackward.apply(fw.make_dual(T.tensor([1.0, 2.0]), T.ones(2)))
        with pytest.raises(RuntimeError, match="not differentiable"):
            fw.unpack_dual(out)


def test_an_op_without_a_derivative_makes_reading_the_tangent_raise():
    with fw.dual_level():
        d = fw.make_dual(T.tensor([1.0, 2.0]), T.ones(2))
        out = T.heaviside(d, T.tensor([0.5])) * 2  # and everything computed from it
        with pytest.raises(RuntimeError, match="heaviside"):
            fw.unpack_dual(out)
        # the forward values themselves are fine
        np.testing.assert_array_equal(out.numpy(), [2.0, 2.0])


def test_a_base_written_through_a_view_does_not_keep_a_stale_tangent():
    with fw.dual_level():
        base = fw.make_dual(T.tensor([1.0, 2.0, 3.0]), T.ones(3)) * 1
        view = base[:2]
        view.mul_(2)
        np.testing.assert_array_equal(fw.unpack_dual(view).tangent.numpy(), [2.0, 2.0])
        with pytest.raises(RuntimeError, match="in place through a view"):
            fw.unpack_dual(base)


def test_custom_function_jvp_is_used_and_checked():
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_forward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("forward AD must not call backward")

        @staticmethod
        def jvp(ctx, ga):
            (a,) = ctx.saved_tensors
            return 2 * a * ga

    x = T.tensor([1.0, -3.0], dtype=T.float64, requires_grad=True)
    assert T.autograd.gradcheck(Square.apply, (x,), check_forward_ad=True, check_backward_ad=False)

    class WrongJvp(Square):
        @staticmethod
        def jvp(ctx, ga):
            return 3 * ga

    with pytest.raises(T.autograd.GradcheckError, match="forward mode"):
        T.autograd.gradcheck(WrongJvp.apply, (x,), check_forward_ad=True, check_backward_ad=False)


def test_the_dual_level_is_one_at_a_time_and_decorates():
    @fw.dual_level()
    def tangent_of_square(x, t):
        return fw.unpack_dual(fw.make_dual(x, t) ** 2).tangent

    np.testing.assert_allclose(tangent_of_square(T.tensor([3.0]), T.tensor([1.0])).numpy(), [6.0])
    with fw.dual_level(), pytest.raises(RuntimeError, match="Nested"):
        fw.enter_dual_level()
    with pytest.raises(RuntimeError, match="no level exists"):
        fw.make_dual(T.ones(1), T.ones(1))
