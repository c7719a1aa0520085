"""Pointwise ops at special values (NaN, infinities, signed zeros, poles)
and under infinite or NaN incoming gradients, against PyTorch 2.15's CPU
results on one-element tensors (the expected values were printed by
PyTorch). Each case was a silent difference found by sweeping every
unary op over these values: a NaN where PyTorch has a number, a number
where PyTorch has NaN, or a crash."""

import math

import pytest

import autorust as torch
import autorust.nn.functional as F

INF, NAN = math.inf, math.nan


def same(got, want, rel=1e-6):
    """Equal lists, NaN equal to NaN, infinities exact, finite values within rel."""

    def one(g, w):
        if math.isnan(w) or math.isinf(w):
            return (math.isnan(w) and math.isnan(g)) or g == w
        return abs(g - w) <= rel * abs(w)

    return len(got) == len(want) and all(one(g, w) for g, w in zip(got, want))


def grad_at(fn, x, g, dtype=torch.float32):
    """The gradient of fn at each value of x, each as its own one-element
    tensor with incoming gradient g."""
    out = []
    for v in x:
        t = torch.tensor([v], dtype=dtype, requires_grad=True)
        y = fn(t)
        y.backward(torch.full_like(y, g))
        out.append(t.grad.item())
    return out


def test_sign_of_nan_and_zeros_is_plus_zero():
    y = torch.tensor([NAN, -0.0, 0.0, -2.0, INF]).sign()
    assert same(y.tolist(), [0.0, 0.0, 0.0, -1.0, 1.0])
    assert math.copysign(1.0, y[1].item()) == 1.0  # +0, as PyTorch's (0 < x) - (x < 0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_abs_backward_is_a_product_with_sgn(dtype):
    # grad * sgn(x): an inf or NaN gradient at 0 gives NaN; a NaN input gives 0
    assert same(grad_at(torch.abs, [0.0, -0.0, NAN, 2.0], INF, dtype), [NAN, NAN, NAN, INF])
    assert same(grad_at(torch.abs, [0.0, NAN, -2.0], 1.0, dtype), [0.0, 0.0, -1.0])


def test_relu_and_threshold_pass_the_gradient_at_nan():
    # threshold_backward zeroes where x <= threshold: NaN is not
    assert same(grad_at(torch.relu, [NAN, 0.0, 1.0], -2.0), [-2.0, 0.0, -2.0])
    assert same(grad_at(F.relu, [NAN], INF), [INF])
    y = F.threshold(torch.tensor([NAN, 0.5, 0.7]), 0.5, -1.0)
    assert same(y.tolist(), [NAN, -1.0, 0.7])
    assert same(grad_at(lambda x: F.threshold(x, 0.5, -1.0), [NAN, 0.5], 1.0), [1.0, 0.0])


@pytest.mark.parametrize("fn,scale", [(F.elu, 1.0), (F.selu, 1.0507010221481323), (lambda x: F.celu(x, 1.5), 1.0)])
def test_elu_family_at_nan_takes_the_linear_piece(fn, scale):
    assert grad_at(fn, [NAN], 1.0)[0] == pytest.approx(scale)


@pytest.mark.parametrize("fn", [F.elu, F.selu, lambda x: F.celu(x, 1.5), lambda x: F.elu(x, 2.0)])
def test_elu_family_second_derivative_is_zero_for_large_inputs(fn):
    # found by the parity hunt: exp(200) = inf in the unused curve gave NaN
    x = torch.tensor([200.0, 1000.0, -200.0, 3.0], requires_grad=True)
    (g,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad((g * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum(), x)
    assert g2.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_hardswish_at_nan_passes_the_gradient():
    assert same(grad_at(F.hardswish, [NAN, -3.0, 3.0], 1.0), [1.0, 0.0, 1.0])


def test_expm1_backward_uses_its_result():
    # grad * (result + 1): expm1(-30) is -1 in float32, so an inf gradient gives NaN
    assert same(grad_at(torch.expm1, [-30.0, 0.0], INF), [NAN, INF])
    x = torch.tensor([0.5], requires_grad=True)
    y = x.expm1()
    assert y.grad_fn._saved_result.item() == pytest.approx(math.expm1(0.5))


@pytest.mark.parametrize(
    "fn,x,want",
    [
        (torch.sinh, [INF, -INF, 0.0], [INF, INF, INF]),
        (torch.cosh, [1.0, -1.0], [INF, -INF]),
        (torch.asin, [0.0, 0.5], [INF, INF]),
        (torch.acos, [0.0, -0.5], [-INF, -INF]),
        (torch.acosh, [-1.0, 30.0], [INF, INF]),
        (torch.atanh, [2.0, 0.5], [-INF, INF]),
    ],
)
def test_inverse_and_hyperbolic_functions_take_pytorchs_formula(fn, x, want):
    # an infinite incoming gradient stays infinite (the compositions' chain
    # rules met inf - inf or inf * 0 and gave NaN)
    assert same(grad_at(fn, x, INF), want)


def test_acosh_gradient_outside_the_domain():
    # PyTorch's grad * rsqrt(x^2 - 1), finite at x = -100 (the log's chain rule gave 0.06% off)
    assert grad_at(torch.acosh, [-100.0], -2.0)[0] == pytest.approx(-0.0200010001, rel=1e-6)


def test_sinc_gradient():
    assert same(grad_at(torch.sinc, [1e-30, 0.0], NAN), [0.0, 0.0])
    assert grad_at(torch.sinc, [0.5], 1.0, torch.float64)[0] == pytest.approx(-4 / math.pi, rel=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_logit_gradient_at_its_poles(dtype):
    assert same(grad_at(torch.logit, [0.0, -0.0, 1.0], 1.0, dtype), [INF, INF, INF])
    assert same(grad_at(torch.logit, [-0.0, 1.5], -2.0, dtype), [-INF, NAN])


def test_nan_to_num_backward_is_a_product():
    assert same(grad_at(torch.nan_to_num, [NAN, INF, 1.0], INF), [NAN, NAN, INF])
    assert same(grad_at(torch.nan_to_num, [NAN, 1.0], 3.0), [0.0, 3.0])


@pytest.mark.parametrize("fn", [F.hardshrink, F.softshrink])
def test_shrink_dead_zone_gets_no_gradient(fn):
    # zero in [-lambd, lambd] whatever the incoming gradient (no grad * 0)
    assert same(grad_at(fn, [0.0, 0.5, -0.2, 2.0], INF), [0.0, 0.0, 0.0, INF])
    assert same(fn(torch.tensor([NAN, 0.3, 2.0])).tolist(), [NAN, 0.0, 2.0 if fn is F.hardshrink else 1.5])


def test_lgamma_at_infinities_and_nan():
    # math.floor(inf) raised OverflowError
    y = torch.lgamma(torch.tensor([INF, -INF, NAN, -2.0, 0.5]))
    assert same(y.tolist()[:4], [INF, INF, NAN, INF])


def test_digamma_at_its_poles():
    y = torch.digamma(torch.tensor([0.0, -0.0, -1.0, -3.0], dtype=torch.float64))
    assert same(y.tolist(), [-INF, INF, NAN, NAN])


@pytest.mark.parametrize("dtype,want", [(torch.float64, 6.580790147320947e32), (torch.float32, 1.2913697e15)])
def test_trigamma_at_negative_integers_is_pytorchs(dtype, want):
    # PyTorch's reflection term pi^2 / sin(pi x)^2 with sin(pi x) a rounded
    # small number: large and finite, in the input's precision
    x = torch.tensor([-1.0], dtype=dtype, requires_grad=True)
    torch.digamma(x).backward()
    assert x.grad.item() == pytest.approx(want, rel=1e-6)
    assert torch.polygamma(1, torch.tensor([0.7], dtype=torch.float64)).item() == pytest.approx(2.834049157861975, rel=1e-9)


def test_binary_cross_entropy_checks_target_and_nan():
    x = torch.tensor([0.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(x, torch.tensor([2.0]))
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(x, torch.tensor([NAN]))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(torch.tensor([NAN]), torch.tensor([2.0]))
    assert F.binary_cross_entropy(torch.zeros(0), torch.zeros(0)).isnan().item()  # empty: mean of nothing


def test_nextafter_at_infinities_and_its_gradient():
    x = torch.tensor([INF, -INF, INF, 2.0, 1.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0, INF, INF, 2.0, 2.0], dtype=torch.float64, requires_grad=True)
    z = torch.nextafter(x, y)
    big = 1.7976931348623157e308
    assert same(z.tolist(), [big, -big, INF, 2.0, 1.0000000000000002])
    z.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0, 0.0, 1.0]  # 0 where x == y, as PyTorch's
    assert y.grad.tolist() == [0.0] * 5


def test_zeta_at_special_values():
    # Cephes' checks in PyTorch's order (a Python ZeroDivisionError and OverflowError before)
    v = [NAN, INF, -INF, 0.0, 1.0, -1.0, 2.0, 0.5, -2.5, 3.0]
    got = torch.special.zeta(torch.tensor([INF] * 10, dtype=torch.float64), torch.tensor(v, dtype=torch.float64))
    assert same(got.tolist(), [NAN, NAN, INF, INF, 1.0, INF, NAN, INF, INF, NAN])
    got = torch.special.zeta(torch.tensor([2.0] * 10, dtype=torch.float64), torch.tensor(v, dtype=torch.float64))
    assert same(
        got.tolist(),
        [NAN, NAN, INF, INF, 1.6449340668482266, INF, 0.6449340668482266, 4.93480220054468, 9.539246644989124, 0.39493406684822646],
        rel=1e-14,
    )
    assert torch.special.zeta(torch.tensor([NAN]), torch.tensor([-INF])).item() == INF


def test_xlog1py_gradient_is_zero_where_x_is_zero_and_y_at_most_minus_one():
    x = torch.tensor([0.0, 0.0, -0.0, 2.0], requires_grad=True)
    y = torch.tensor([-1.0, -2.5, -INF, -1.0])
    torch.special.xlog1py(x, y).sum().backward()
    assert same(x.grad.tolist(), [0.0, 0.0, 0.0, -INF])


def test_max_and_min_of_everything_send_a_nan_gradient_to_the_nans():
    # evenly_distribute_backward: the NaN elements share it; a fill, not a product
    for fn in (torch.max, torch.min):
        x = torch.tensor([1.0, NAN, 2.0, NAN], requires_grad=True)
        fn(x).backward()
        assert x.grad.tolist() == [0.0, 0.5, 0.0, 0.5]
    x = torch.tensor([1.0, 2.0, 2.0], requires_grad=True)
    x.max().backward(torch.tensor(INF))
    assert x.grad.tolist() == [0.0, INF, INF]
    x = torch.tensor([1.0, 2.0, 2.0], requires_grad=True)
    x.amax().backward(torch.tensor(INF))  # amax multiplies by the mask, as PyTorch's
    assert same(x.grad.tolist(), [NAN, INF, INF])


def test_norm_gradients_at_nan_and_zero():
    x = torch.tensor([1.0, NAN, 2.0], requires_grad=True)
    x.norm(INF).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x = torch.zeros(3, requires_grad=True)
    x.norm(3).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x = torch.tensor([3.0, 0.0, -4.0], requires_grad=True)
    torch.linalg.vector_norm(x, 0).backward()
    assert x.grad is None  # PyTorch's norm_backward gives no gradient for ord 0
    # second order through the norm still sees the norm as a function of x
    x = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(x.norm(), x, create_graph=True)
    (h,) = torch.autograd.grad(g[0], x)
    assert h.tolist() == pytest.approx([16 / 125, -12 / 125])


def test_log_softmax_and_logsumexp_of_large_values():
    x = torch.tensor([1e30, 1e30, -1e30], requires_grad=True)
    y = torch.log_softmax(x, 0)
    assert y.tolist()[:2] == pytest.approx([-0.6931471824645996] * 2)
    y.sum().backward()
    assert x.grad.tolist() == pytest.approx([-0.5, -0.5, 1.0])
    x = torch.tensor([1e30, 1e30, -1e30], requires_grad=True)
    x.logsumexp(0).backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0]  # exp(x - result), as PyTorch


def test_cummax_index_moves_to_every_nan():
    x = torch.tensor([NAN, NAN, 1.0], requires_grad=True)
    v, i = x.cummax(0)
    assert i.tolist() == [0, 1, 1]
    v.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 0.0]


def test_unique_has_a_node_without_derivative():
    x = torch.tensor([1.0, 2.0, 1.0], requires_grad=True)
    for u, name, op in (
        (torch.unique(x), "Unique2Backward0", "_unique2"),
        (torch.unique(x, dim=0), "UniqueDimBackward0", "unique_dim"),
        (torch.unique_consecutive(x), "UniqueConsecutiveBackward0", "unique_consecutive"),
    ):
        assert u.requires_grad and u.grad_fn.name() == name
        with pytest.raises(NotImplementedError, match=f"the derivative for '{op}' is not implemented."):
            u.sum().backward()


def test_isclose_with_infinities_and_checks():
    a = torch.tensor([INF, 1.0, 2.0, -INF])
    b = torch.tensor([INF, 1.0, INF, INF])
    assert torch.isclose(a, b).tolist() == [True, True, False, False]
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero, but got -1"):
        torch.isclose(a, b, rtol=-1)
    with pytest.raises(RuntimeError, match="Float did not match Double"):
        torch.isclose(a, b.double())


def test_renorm_of_a_nan_row_passes_the_gradient():
    x = torch.tensor([[1.0, NAN, 2.0], [3.0, 0.0, 4.0]], requires_grad=True)
    y = x.renorm(2, 0, 1.0)
    y.sum().backward()
    assert x.grad[0].tolist() == [1.0, 1.0, 1.0]
    assert x.grad[1].tolist() == pytest.approx([0.032, 0.2, -0.024], abs=1e-6)  # PyTorch 2.15's
