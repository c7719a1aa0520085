"""The last of PyTorch's distributions and transforms (issue 14) against
independent references: densities that integrate to one and moments by
quadrature, closed-form densities written out in NumPy, transforms
against their inverses and finite-difference Jacobians, biject_to and
transform_to onto their constraints, sample statistics, and KL
divergences by quadrature. Their PyTorch values (seeded draws included)
are in the parity gold (snippets family, ``distributions_last``)."""

import math

import numpy as np
import pytest

import autorust as torch
from autorust import distributions as D
from autorust.distributions import constraints as C
from autorust.distributions import transforms as T


def f64(*values):
    return torch.tensor(values, dtype=torch.float64)


def quad(f, a, b, n=20001):
    """The trapezoid rule on a fine grid."""
    x = np.linspace(a, b, n)
    return np.trapezoid(f(x), x)


# ---- transforms ----


def jacobian(f, x, h=1e-6):
    """d f / d x by central differences (x a 1-d float64 array)."""
    columns = []
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h
        columns.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(columns, 1)


def test_stick_breaking_inverts_and_its_log_jacobian_is_the_determinant():
    t = T.StickBreakingTransform()
    x = np.array([0.3, -1.1, 0.7])
    y = t(torch.tensor(x))
    assert abs(y.sum().item() - 1) < 1e-12 and bool((y > 0).all())
    np.testing.assert_allclose(t.inv(y).numpy(), x, rtol=1e-10)
    # the map onto the first K - 1 coordinates (the last is 1 minus their sum)
    J = jacobian(lambda v: t(torch.tensor(v)).numpy()[:-1], x)
    np.testing.assert_allclose(t.log_abs_det_jacobian(torch.tensor(x), y).item(), np.log(abs(np.linalg.det(J))), rtol=1e-7)


def test_corr_cholesky_gives_unit_rows_and_its_log_jacobian_is_the_determinant():
    t = T.CorrCholeskyTransform()
    x = np.array([0.4, -0.9, 1.3, 0.2, -0.5, 0.8])
    L = t(torch.tensor(x))
    assert L.shape == (4, 4) and C.corr_cholesky.check(L).item()
    np.testing.assert_allclose(t.inv(L).numpy(), x, rtol=1e-9)
    rows, cols = np.tril_indices(4, -1)
    J = jacobian(lambda v: t(torch.tensor(v)).numpy()[rows, cols], x)
    np.testing.assert_allclose(t.log_abs_det_jacobian(torch.tensor(x), L).item(), np.log(abs(np.linalg.det(J))), rtol=1e-7)


def test_matrix_transforms():
    x = f64(0.5, -0.2, 0.3, 1.1).reshape(2, 2)
    L = T.LowerCholeskyTransform()(x)
    np.testing.assert_allclose(L.numpy(), [[math.exp(0.5), 0.0], [0.3, math.exp(1.1)]])
    np.testing.assert_allclose(T.LowerCholeskyTransform().inv(L).numpy(), np.tril(x.numpy()))
    P = T.PositiveDefiniteTransform()(x)
    np.testing.assert_allclose(P.numpy(), (L @ L.mT).numpy())
    np.testing.assert_allclose(T.PositiveDefiniteTransform().inv(P).numpy(), np.tril(x.numpy()), rtol=1e-12)


def test_cat_and_stack_transforms_act_slicewise():
    x = f64(0.2, -0.5, 1.5, 0.3, 0.1, -2.0).reshape(2, 3)
    cat = T.CatTransform([T.ExpTransform(), T.SigmoidTransform()], dim=1, lengths=[2, 1])
    y = cat(x)
    np.testing.assert_allclose(y.numpy()[:, :2], np.exp(x.numpy()[:, :2]))
    np.testing.assert_allclose(y.numpy()[:, 2], 1 / (1 + np.exp(-x.numpy()[:, 2])))
    np.testing.assert_allclose(cat.inv(y).numpy(), x.numpy(), rtol=1e-12)
    stack = T.StackTransform([T.ExpTransform(), T.TanhTransform(), T.identity_transform], dim=1)
    y = stack(x)
    np.testing.assert_allclose(stack.log_abs_det_jacobian(x, y).numpy()[:, 0], x.numpy()[:, 0])
    np.testing.assert_allclose(stack.log_abs_det_jacobian(x, y).numpy()[:, 2], 0.0)
    assert C.cat([C.positive, C.real], 0, [2, 1]).check(f64(1.0, -1.0, -3.0)).tolist() == [True, False, True]


@pytest.mark.parametrize(
    "constraint",
    [
        C.real,
        C.positive,
        C.greater_than(2.0),
        C.less_than(-1.0),
        C.interval(-2.0, 3.0),
        C.unit_interval,
        C.simplex,
        C.corr_cholesky,
        C.real_vector,
        C.independent(C.positive, 1),
    ],
)
def test_biject_to_maps_into_the_constraint(constraint):
    x = f64(0.7, -1.3, 2.1)
    for registry in (D.biject_to, D.transform_to):
        y = registry(constraint)(x)
        assert bool(constraint.check(y).all()), (registry, constraint, y)
    if constraint is not C.simplex:  # (transform_to's softmax is not invertible)
        t = D.transform_to(constraint)
        np.testing.assert_allclose(t.inv(t(x)).numpy(), x.numpy(), rtol=1e-9)


def test_registries_refuse_unknown_constraints():
    with pytest.raises(NotImplementedError, match="Cannot transform _Boolean constraints"):
        D.biject_to(C.boolean)
    assert isinstance(D.transform_to(C.positive_definite), T.PositiveDefiniteTransform)


# ---- distributions ----


@pytest.mark.parametrize("p", [0.1, 0.4995, 0.5, 0.73])
def test_continuous_bernoulli_density_moments_and_cdf(p):
    d = D.ContinuousBernoulli(f64(p))

    def density(x):
        return np.exp(d.log_prob(torch.tensor(x)).numpy())

    assert quad(density, 0, 1) == pytest.approx(1.0, abs=1e-6)
    assert d.mean.item() == pytest.approx(quad(lambda x: x * density(x), 0, 1), abs=1e-6)
    assert d.variance.item() == pytest.approx(quad(lambda x: (x - d.mean.item()) ** 2 * density(x), 0, 1), abs=1e-6)
    assert d.entropy().item() == pytest.approx(quad(lambda x: -density(x) * np.log(density(x)), 0, 1), abs=1e-6)
    v = f64(0.2, 0.6)
    np.testing.assert_allclose(d.icdf(d.cdf(v)).numpy(), v.numpy(), rtol=1e-9)
    # (within 0.001 of 1/2 PyTorch takes the uniform CDF, 2e-4 from the true one)
    assert d.cdf(f64(0.6)).item() == pytest.approx(quad(density, 0, 0.6), abs=1e-6 if abs(p - 0.5) > 0.001 else 1e-3)


@pytest.mark.parametrize("concentration", [-0.3, 0.0, 0.25])
def test_generalized_pareto_density_cdf_and_moments(concentration):
    # float32: PyTorch's log_prob compares the concentration with a float32
    # zero, so float64 parameters raise there (as they do here)
    d = D.GeneralizedPareto(torch.tensor([1.0]), torch.tensor([2.0]), torch.tensor([concentration]))
    upper = 1 + 2 / 0.3 - 1e-6 if concentration < 0 else 400.0

    def density(x):
        return np.exp(d.log_prob(torch.tensor(x, dtype=torch.float32)).numpy().astype(np.float64))

    assert quad(density, 1.0, upper, 400001) == pytest.approx(1.0, abs=1e-3)
    assert d.cdf(torch.tensor([3.0])).item() == pytest.approx(quad(density, 1.0, 3.0), abs=1e-5)
    np.testing.assert_allclose(d.cdf(d.icdf(torch.tensor([0.3, 0.9]))).numpy(), [0.3, 0.9], rtol=1e-5)
    assert d.mean.item() == pytest.approx(1 + 2 / (1 - concentration), rel=1e-6)
    assert d.entropy().item() == pytest.approx(math.log(2.0) + concentration + 1, rel=1e-6)
    with pytest.raises(RuntimeError, match="Double did not match Float"):
        D.GeneralizedPareto(f64(1.0), f64(2.0), f64(concentration)).log_prob(f64(1.5))


def test_inverse_gamma_is_the_reciprocal_of_a_gamma():
    a, b = 3.0, 2.0
    d = D.InverseGamma(f64(a), f64(b))
    x = f64(0.4, 1.3)
    want = a * math.log(b) - math.lgamma(a) - (a + 1) * np.log(x.numpy()) - b / x.numpy()
    np.testing.assert_allclose(d.log_prob(x).numpy(), want, rtol=1e-12)
    assert d.mean.item() == pytest.approx(b / (a - 1)) and d.variance.item() == pytest.approx(b**2 / ((a - 1) ** 2 * (a - 2)))
    torch.manual_seed(0)
    assert d.sample((40000,)).mean().item() == pytest.approx(b / (a - 1), rel=0.03)


def test_logistic_normal_lives_on_the_simplex():
    d = D.LogisticNormal(f64(0.2, -0.4), f64(1.0, 0.5))
    torch.manual_seed(0)
    s = d.sample((5,))
    assert s.shape == (5, 3) and bool(C.simplex.check(s).all())
    # the density of y is the Normal's of x = inv(y) over the Jacobian
    x = T.StickBreakingTransform().inv(s)
    want = D.Normal(f64(0.2, -0.4), f64(1.0, 0.5)).log_prob(x).sum(-1) - T.StickBreakingTransform().log_abs_det_jacobian(x, s)
    np.testing.assert_allclose(d.log_prob(s).numpy(), want.numpy(), rtol=1e-10)


@pytest.mark.parametrize("kappa", [0.3, 2.0, 12.0])
def test_von_mises_density_and_samples(kappa):
    d = D.VonMises(f64(0.5), f64(kappa))

    def density(x):
        return np.exp(d.log_prob(torch.tensor(x)).numpy())

    # (log I0 is the 1e-7 polynomial approximation PyTorch uses)
    assert quad(density, -math.pi, math.pi) == pytest.approx(1.0, abs=1e-6)
    torch.manual_seed(1)
    s = d.sample((20000,)).numpy()
    assert np.all((s >= -math.pi) & (s < math.pi))
    resultant = np.hypot(np.cos(s).mean(), np.sin(s).mean())
    assert math.atan2(np.sin(s).mean(), np.cos(s).mean()) == pytest.approx(0.5, abs=0.05)
    assert 1 - resultant == pytest.approx(d.variance.item(), abs=0.02)


def test_lkj_cholesky_density_of_the_correlation_integrates_to_one():
    eta = 2.5
    d = D.LKJCholesky(2, f64(eta))

    # in 2-d the factor is [[1, 0], [r, sqrt(1 - r^2)]]: r is the free coordinate
    def density(r):
        L = np.zeros(r.shape + (2, 2))
        L[..., 0, 0], L[..., 1, 0], L[..., 1, 1] = 1.0, r, np.sqrt(1 - r * r)
        return np.exp(d.log_prob(torch.tensor(L)).numpy())

    assert quad(density, -1 + 1e-12, 1 - 1e-12) == pytest.approx(1.0, abs=1e-5)
    torch.manual_seed(2)
    s = D.LKJCholesky(4, 0.7).sample((50,))
    assert bool(C.corr_cholesky.check(s).all())


def test_wishart_density_is_the_textbook_formula():
    nu, sigma = 5.0, np.array([[2.0, 0.3], [0.3, 1.0]])
    d = D.Wishart(torch.tensor(nu, dtype=torch.float64), covariance_matrix=torch.tensor(sigma))
    X = np.array([[3.0, -0.5], [-0.5, 2.0]])
    p = 2
    log_gamma_2 = math.log(math.pi) / 2 * (p * (p - 1) / 2) + sum(math.lgamma(nu / 2 - j / 2) for j in range(p))
    want = (
        (nu - p - 1) / 2 * np.linalg.slogdet(X)[1]
        - np.trace(np.linalg.solve(sigma, X)) / 2
        - nu * p / 2 * math.log(2)
        - nu / 2 * np.linalg.slogdet(sigma)[1]
        - log_gamma_2
    )
    assert d.log_prob(torch.tensor(X)).item() == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(d.mean.numpy(), nu * sigma)
    torch.manual_seed(3)
    with pytest.warns(UserWarning, match="Singular sample detected"):
        s = d.sample((20000,))
    np.testing.assert_allclose(s.mean(0).numpy(), nu * sigma, rtol=0.05, atol=0.05)


def test_kl_of_continuous_bernoullis_by_quadrature():
    p, q = D.ContinuousBernoulli(f64(0.2)), D.ContinuousBernoulli(f64(0.85))

    def integrand(x):
        lp, lq = p.log_prob(torch.tensor(x)).numpy(), q.log_prob(torch.tensor(x)).numpy()
        return np.exp(lp) * (lp - lq)

    assert D.kl_divergence(p, q).item() == pytest.approx(quad(integrand, 0, 1), abs=1e-6)


def test_exponential_family_bregman_kl_and_entropy():
    p = D.Wishart(torch.tensor(4.0, dtype=torch.float64), covariance_matrix=torch.eye(2, dtype=torch.float64))
    q = D.Wishart(torch.tensor(5.0, dtype=torch.float64), covariance_matrix=2 * torch.eye(2, dtype=torch.float64))
    # the Bregman entropy equals the closed form
    assert D.ExponentialFamily.entropy(p).item() == pytest.approx(p.entropy().item(), rel=1e-10)
    torch.manual_seed(4)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = p.sample((40000,))
    assert D.kl_divergence(p, q).item() == pytest.approx((p.log_prob(s) - q.log_prob(s)).mean().item(), abs=0.03)
    with pytest.raises(NotImplementedError, match="different exponential families"):
        D.kl_divergence(D.Poisson(torch.tensor(1.0)), D.Normal(0.0, 1.0))
    assert isinstance(D.Normal(0.0, 1.0), D.ExponentialFamily) and not isinstance(D.Categorical(torch.ones(2)), D.ExponentialFamily)


def test_straight_through_one_hot_passes_the_probabilities_gradient():
    logits = f64(0.1, -0.4, 1.0).requires_grad_()
    d = D.OneHotCategoricalStraightThrough(logits=logits)
    torch.manual_seed(5)
    s = d.rsample()
    assert s.detach().sum().item() == 1.0
    (s * f64(1.0, 2.0, 3.0)).sum().backward()
    probs = torch.softmax(logits.detach(), 0).numpy()
    want = probs * (np.array([1.0, 2.0, 3.0]) - (probs * [1.0, 2.0, 3.0]).sum())
    np.testing.assert_allclose(logits.grad.numpy(), want, rtol=1e-12)
