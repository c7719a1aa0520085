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


@pytest.mark.parametrize("fn,x,want", [
    (torch.sinh, [INF, -INF, 0.0], [INF, INF, INF]),
    (torch.cosh, [1.0, -1.0], [INF, -INF]),
    (torch.asin, [0.0, 0.5], [INF, INF]),
    (torch.acos, [0.0, -0.5], [-INF, -INF]),
    (torch.acosh, [-1.0, 30.0], [INF, INF]),
    (torch.atanh, [2.0, 0.5], [-INF, INF]),
])
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
