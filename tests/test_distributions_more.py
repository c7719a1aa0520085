"""The distributions added for issue 14 against independent references:
densities against their textbook formulas and numerical integration,
transforms against their inverses and finite-difference Jacobians, sample
statistics, reparameterised gradients against finite differences of a
CDF integrated numerically, and KL divergences against Monte Carlo. Their
PyTorch values (seeded draws included) are in the parity gold (snippets
family, ``distributions_more``)."""

import math

import numpy as np
import pytest

import autorust as torch
from autorust import distributions as D
from autorust.distributions import transforms as T


def f64(*values):
    return torch.tensor(values, dtype=torch.float64)


# ---- transforms ----


@pytest.mark.parametrize(
    "transform",
    [T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform(), T.SoftplusTransform(), T.AffineTransform(0.5, -3.0), T.PowerTransform(f64(2.5))],
)
def test_transforms_invert_and_their_log_jacobian_is_the_derivative(transform):
    x = f64(0.3, 0.9, 1.7) if isinstance(transform, T.PowerTransform) else f64(-1.2, 0.1, 0.8)
    y = transform(x)
    np.testing.assert_allclose(transform.inv(y).numpy(), x.numpy(), rtol=1e-12)
    h = 1e-6
    slope = (transform(x + h) - transform(x - h)) / (2 * h)
    np.testing.assert_allclose(transform.log_abs_det_jacobian(x, y).numpy(), np.log(np.abs(slope.numpy())), rtol=1e-7, atol=1e-9)


def test_compose_transform_caches_and_sums_log_jacobians():
    t = T.ComposeTransform([T.AffineTransform(0.0, 2.0), T.TanhTransform()], cache_size=1)
    x = f64(-0.4, 0.2)
    y = t(x)
    assert t.inv(y) is x  # the cached input comes back
    want = math.log(2.0) + np.log(1 - np.tanh(2 * x.numpy()) ** 2)
    np.testing.assert_allclose(t.log_abs_det_jacobian(x, y).numpy(), want, rtol=1e-10)
    assert t.inv.inv is t and t.bijective and T.identity_transform(x) is x


# ---- continuous families ----


def integrate(density, lo, hi, n=200001):
    grid = np.linspace(lo, hi, n)
    return np.trapezoid(density(grid), grid)


def test_lognormal_and_tanh_normal_densities_integrate_to_one():
    d = D.LogNormal(f64(0.3), f64(0.6))
    grid = np.linspace(1e-6, 60, 400001)
    dens = d.log_prob(torch.tensor(grid)).exp().numpy()
    assert np.trapezoid(dens, grid) == pytest.approx(1.0, abs=1e-6)
    assert np.trapezoid(grid * dens, grid) == pytest.approx(d.mean.item(), rel=1e-5)
    squashed = D.TransformedDistribution(D.Normal(f64(0.2), f64(0.7)), [T.TanhTransform()])
    assert integrate(lambda v: squashed.log_prob(torch.tensor(v)).exp().numpy(), -1 + 1e-12, 1 - 1e-12, 400001) == pytest.approx(1.0, abs=1e-4)


def test_multivariate_normal_matches_the_formula_and_its_parameterisations():
    torch.manual_seed(0)
    A = torch.randn(3, 3, dtype=torch.float64)
    cov = A @ A.T + torch.eye(3, dtype=torch.float64)
    loc = f64(0.5, -1.0, 2.0)
    x = torch.randn(4, 3, dtype=torch.float64)
    c, diff = cov.numpy(), (x - loc).numpy()
    want = -0.5 * (3 * math.log(2 * math.pi) + np.log(np.linalg.det(c)) + np.einsum("bi,ij,bj->b", diff, np.linalg.inv(c), diff))
    for kw in ({"covariance_matrix": cov}, {"precision_matrix": torch.tensor(np.linalg.inv(c))}, {"scale_tril": torch.linalg.cholesky(cov)}):
        d = D.MultivariateNormal(loc, **kw)
        np.testing.assert_allclose(d.log_prob(x).numpy(), want, rtol=1e-10)
        np.testing.assert_allclose(d.covariance_matrix.numpy(), c, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(d.precision_matrix.numpy(), np.linalg.inv(c), rtol=1e-9, atol=1e-12)
    assert d.entropy().item() == pytest.approx(0.5 * (3 * (1 + math.log(2 * math.pi)) + math.log(np.linalg.det(c))), rel=1e-12)
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix"):
        D.MultivariateNormal(loc)
    with pytest.raises(ValueError, match="positive_definite|PositiveDefinite"):
        D.MultivariateNormal(torch.zeros(2), covariance_matrix=torch.tensor([[1.0, 2.0], [2.0, 1.0]]))


def test_multivariate_normal_samples_and_kl():
    torch.manual_seed(1)
    L = torch.tensor([[1.0, 0.0], [0.6, 0.5]], dtype=torch.float64)
    d = D.MultivariateNormal(f64(1.0, -2.0), scale_tril=L)
    s = d.sample((40000,)).numpy()
    np.testing.assert_allclose(s.mean(0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(np.cov(s.T), (L @ L.T).numpy(), atol=0.03)
    q = D.MultivariateNormal(f64(0.0, 0.0), covariance_matrix=torch.eye(2, dtype=torch.float64) * 2)
    mc = (d.log_prob(torch.tensor(s)) - q.log_prob(torch.tensor(s))).mean().item()
    assert D.kl_divergence(d, q).item() == pytest.approx(mc, abs=0.02)


@pytest.mark.parametrize(
    "make,lo,hi",
    [
        (lambda: D.Gamma(f64(2.5), f64(1.7)), 0, 40),
        (lambda: D.Gamma(f64(0.7), f64(0.5)), 1e-12, 80),
        (lambda: D.Chi2(f64(3.0)), 0, 80),
        (lambda: D.Beta(f64(2.0), f64(3.5)), 0, 1),
        (lambda: D.StudentT(f64(4.0), f64(1.0), f64(2.0)), -400, 400),
        (lambda: D.Cauchy(f64(0.5), f64(1.5)), -1e4, 1e4),
    ],
)
def test_densities_integrate_to_one_and_entropy_is_minus_the_mean_log_density(make, lo, hi):
    d = make()
    grid = np.linspace(lo, hi, 2000001)[1:-1]
    logp = d.log_prob(torch.tensor(grid)).numpy()
    dens = np.exp(logp)
    mass = np.trapezoid(dens, grid)
    assert mass == pytest.approx(1.0, abs=2e-3)
    if not isinstance(d, D.Cauchy):
        assert -np.trapezoid(dens * logp, grid) == pytest.approx(d.entropy().item(), abs=5e-3)


def test_gamma_draws_statistics_and_cdf():
    torch.manual_seed(2)
    for alpha in (0.3, 1.0, 4.5):
        d = D.Gamma(f64(alpha), f64(2.0))
        s = d.sample((50000,)).numpy()
        assert s.mean() == pytest.approx(alpha / 2.0, rel=0.03)
        assert s.var() == pytest.approx(alpha / 4.0, rel=0.06)
        x = np.array([0.1, 0.5, 2.0])
        np.testing.assert_allclose(d.cdf(torch.tensor(x)).numpy(), [(s <= v).mean() for v in x], atol=0.01)


def numeric_gamma_cdf(alpha, x):
    """P(alpha, x) by integrating the density with Simpson's rule (below
    alpha = 1 after substituting t = u^(1/alpha), which makes the
    integrand smooth at 0)."""
    n = 400001
    if alpha < 1:
        u = np.linspace(0, x**alpha, n)
        f = np.exp(-(u ** (1 / alpha))) / math.gamma(alpha + 1)
    else:
        u = np.linspace(0, x, n)
        f = np.exp((alpha - 1) * np.log(np.maximum(u, 1e-300)) - u - math.lgamma(alpha))
    return (u[1] - u[0]) / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())


@pytest.mark.parametrize("alpha,x", [(0.5, 0.2), (2.5, 1.1), (7.0, 9.0), (30.0, 25.0)])
def test_gamma_reparameterised_gradient_is_the_implicit_derivative(alpha, x):
    from autorust._gamma import _gamma_grad_one

    h = 1e-4 * alpha
    dcdf = (numeric_gamma_cdf(alpha + h, x) - numeric_gamma_cdf(alpha - h, x)) / (2 * h)
    density = x ** (alpha - 1) * math.exp(-x) / math.gamma(alpha)
    assert _gamma_grad_one(alpha, x) == pytest.approx(-dcdf / density, rel=1e-5)


def test_rsample_gradients_flow_and_refuse_a_second_order():
    torch.manual_seed(3)
    alpha = f64(0.8, 3.0).requires_grad_()
    s = D.Gamma(alpha, f64(1.0, 2.0)).rsample()
    assert type(s.grad_fn).__name__ == "DivBackward0"
    (g,) = torch.autograd.grad(s.sum(), alpha, create_graph=True)
    assert bool((g > 0).all())  # larger shape, larger draw
    with pytest.raises(RuntimeError, match="not implemented"):
        g.sum().backward()
    conc = f64(0.5, 2.0, 3.0).requires_grad_()
    x = D.Dirichlet(conc).rsample()
    assert type(x.grad_fn).__name__ == "_DirichletBackward"
    (g,) = torch.autograd.grad(x.sum(), conc)
    # the coordinates always sum to one: that sum has no gradient
    np.testing.assert_allclose(g.numpy(), 0.0, atol=1e-12)


def test_dirichlet_and_beta_statistics():
    torch.manual_seed(4)
    d = D.Dirichlet(f64(0.5, 2.0, 3.0))
    s = d.sample((40000,)).numpy()
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(s.mean(0), d.mean.numpy(), atol=0.01)
    np.testing.assert_allclose(s.var(0), d.variance.numpy(), rtol=0.05)
    b = D.Beta(f64(2.0), f64(5.0))
    assert b.sample((40000,)).mean().item() == pytest.approx(2 / 7, abs=0.005)


def test_student_t_moments_edge_cases():
    d = D.StudentT(f64(0.5, 1.5, 3.0), f64(1.0, 1.0, 1.0), f64(2.0, 2.0, 2.0))
    mean, var = d.mean.numpy(), d.variance.numpy()
    assert math.isnan(mean[0]) and mean[1:].tolist() == [1.0, 1.0]
    assert math.isnan(var[0]) and math.isinf(var[1]) and var[2] == pytest.approx(4.0 * 3.0)


# ---- discrete families, relaxations, mixtures ----


def test_poisson_and_geometric():
    torch.manual_seed(5)
    rate = f64(0.7, 4.0, 15.0)
    p = D.Poisson(rate)
    k = f64(0.0, 3.0, 12.0)
    want = [k_ * math.log(r) - r - math.lgamma(k_ + 1) for k_, r in zip(k.tolist(), rate.tolist())]
    np.testing.assert_allclose(p.log_prob(k).numpy(), want, rtol=1e-12)
    s = p.sample((20000,)).numpy()
    np.testing.assert_allclose(s.mean(0), rate.numpy(), rtol=0.03)
    g = D.Geometric(f64(0.3))
    assert g.log_prob(f64(2.0)).item() == pytest.approx(math.log(0.7**2 * 0.3))
    assert g.sample((40000,)).mean().item() == pytest.approx(0.7 / 0.3, rel=0.03)
    assert D.Geometric(f64(1.0)).log_prob(f64(0.0)).item() == 0.0


def test_relaxed_distributions_approach_their_discrete_limits():
    torch.manual_seed(6)
    rb = D.RelaxedBernoulli(f64(0.05), probs=f64(0.3))
    s = rb.sample((20000,)).numpy()
    assert ((s > 0.5).mean()) == pytest.approx(0.3, abs=0.015)
    rc = D.RelaxedOneHotCategorical(f64(0.05), probs=f64(0.2, 0.5, 0.3))
    c = rc.sample((20000,)).numpy()
    np.testing.assert_allclose(c.sum(-1), 1.0, rtol=1e-9)
    np.testing.assert_allclose(np.bincount(c.argmax(-1), minlength=3) / 20000, [0.2, 0.5, 0.3], atol=0.015)


def test_mixture_same_family_density_and_moments():
    mix = D.MixtureSameFamily(D.Categorical(probs=f64(0.3, 0.7)), D.Normal(f64(-1.0, 2.0), f64(0.5, 1.0)))
    x = f64(-1.0, 0.0, 2.5)
    want = np.log(0.3 * np.exp(D.Normal(f64(-1.0), f64(0.5)).log_prob(x).numpy()) + 0.7 * np.exp(D.Normal(f64(2.0), f64(1.0)).log_prob(x).numpy()))
    np.testing.assert_allclose(mix.log_prob(x).numpy(), want, rtol=1e-12)
    assert mix.mean.item() == pytest.approx(0.3 * -1 + 0.7 * 2)
    assert mix.variance.item() == pytest.approx(0.3 * 0.25 + 0.7 * 1.0 + 0.3 * 0.7 * 9.0)
    with pytest.raises(ValueError, match="does not equal"):
        D.MixtureSameFamily(D.Categorical(probs=f64(0.5, 0.5)), D.Normal(f64(0.0, 1.0, 2.0), f64(1.0, 1.0, 1.0)))


def test_incomplete_gamma_functions():
    import autorust.special as special

    a, x = f64(0.5, 2.0, 10.0, 2.0), f64(0.3, 2.0, 12.0, 0.0)
    p = special.gammainc(a, x).numpy()
    for i, (ai, xi) in enumerate(zip(a.tolist(), x.tolist())):
        want = numeric_gamma_cdf(ai, xi) if xi > 0 else 0.0
        assert p[i] == pytest.approx(want, rel=1e-6, abs=1e-12)
    np.testing.assert_allclose(special.gammaincc(a, x).numpy(), 1 - p, rtol=1e-12, atol=1e-15)
    edge = special.gammainc(f64(0.0, 0.0, -1.0, 2.0), f64(1.0, 0.0, 1.0, math.inf)).numpy()
    assert edge[0] == 1.0 and math.isnan(edge[1]) and math.isnan(edge[2]) and edge[3] == 1.0
    xs = f64(0.7, 2.0).requires_grad_()
    (g,) = torch.autograd.grad(special.gammainc(f64(1.5, 3.0), xs).sum(), xs)
    np.testing.assert_allclose(g.numpy(), [v**0.5 * math.exp(-v) / math.gamma(1.5) for v in (0.7,)] + [2.0**2 * math.exp(-2.0) / 2.0], rtol=1e-12)
    with pytest.raises(NotImplementedError, match="igamma: input"):
        special.gammainc(f64(1.5).requires_grad_(), f64(1.0)).backward()


def test_new_kl_pairs_match_monte_carlo():
    torch.manual_seed(7)
    pairs = [
        (D.Gamma(f64(2.0), f64(1.5)), D.Gamma(f64(3.0), f64(1.0))),
        (D.Beta(f64(2.0), f64(3.0)), D.Beta(f64(1.0), f64(1.5))),
        (D.Dirichlet(f64(1.0, 2.0, 3.0)), D.Dirichlet(f64(2.0, 2.0, 2.0))),
        (D.Poisson(f64(3.0)), D.Poisson(f64(5.0))),
        (D.Geometric(f64(0.3)), D.Geometric(f64(0.5))),
        (D.Cauchy(f64(0.0), f64(1.0)), D.Cauchy(f64(1.0), f64(2.0))),
        (D.Gamma(f64(2.0), f64(1.5)), D.Normal(f64(1.0), f64(2.0))),
        (D.Beta(f64(2.0), f64(3.0)), D.Exponential(f64(1.5))),
        (D.Exponential(f64(0.7)), D.Gamma(f64(2.0), f64(1.0))),
    ]
    for p, q in pairs:
        s = p.sample((100000,))
        mc = (p.log_prob(s) - q.log_prob(s)).mean().item()
        assert D.kl_divergence(p, q).item() == pytest.approx(mc, abs=0.03), (type(p).__name__, type(q).__name__)
    assert math.isinf(D.kl_divergence(D.Normal(f64(0.0), f64(1.0)), D.Gamma(f64(1.0), f64(1.0))).item())


def test_binomial_and_multinomial():
    torch.manual_seed(8)
    d = D.Binomial(f64(10.0, 40.0), f64(0.3, 0.8))
    k = f64(4.0, 30.0)
    want = [math.log(math.comb(10, 4) * 0.3**4 * 0.7**6), math.log(math.comb(40, 30) * 0.8**30 * 0.2**10)]
    np.testing.assert_allclose(d.log_prob(k).numpy(), want, rtol=1e-10)
    s = d.sample((20000,)).numpy()
    np.testing.assert_allclose(s.mean(0), [3.0, 32.0], rtol=0.02)
    np.testing.assert_allclose(s.var(0), [2.1, 6.4], rtol=0.06)
    assert D.Binomial(6, probs=f64(0.4)).entropy().item() == pytest.approx(
        -sum(math.comb(6, i) * 0.4**i * 0.6 ** (6 - i) * math.log(math.comb(6, i) * 0.4**i * 0.6 ** (6 - i)) for i in range(7))
    )
    m = D.Multinomial(5, probs=f64(0.2, 0.3, 0.5))
    counts = f64(1.0, 1.0, 3.0)
    assert m.log_prob(counts).item() == pytest.approx(math.log(math.factorial(5) / (1 * 1 * 6) * 0.2 * 0.3 * 0.5**3))
    draws = m.sample((10000,)).numpy()
    assert (draws.sum(-1) == 5).all()
    np.testing.assert_allclose(draws.mean(0), [1.0, 1.5, 2.5], rtol=0.03)
    kl = D.kl_divergence(D.Binomial(10, probs=f64(0.3)), D.Binomial(10, probs=f64(0.5))).item()
    assert kl == pytest.approx(sum(math.comb(10, i) * 0.3**i * 0.7 ** (10 - i) * math.log(0.3**i * 0.7 ** (10 - i) / 0.5**10) for i in range(11)))


def test_low_rank_multivariate_normal_is_the_full_one():
    torch.manual_seed(9)
    W = torch.randn(4, 2, dtype=torch.float64)
    diag = torch.rand(4, dtype=torch.float64) + 0.5
    loc = torch.randn(4, dtype=torch.float64)
    low = D.LowRankMultivariateNormal(loc, W, diag)
    full = D.MultivariateNormal(loc, covariance_matrix=W @ W.T + diag.diag_embed())
    x = torch.randn(5, 4, dtype=torch.float64)
    np.testing.assert_allclose(low.log_prob(x).numpy(), full.log_prob(x).numpy(), rtol=1e-10)
    assert low.entropy().item() == pytest.approx(full.entropy().item(), rel=1e-12)
    np.testing.assert_allclose(low.precision_matrix.numpy(), full.precision_matrix.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose((low.scale_tril @ low.scale_tril.mT).numpy(), full.covariance_matrix.numpy(), rtol=1e-10)
    other = D.MultivariateNormal(torch.zeros(4, dtype=torch.float64), scale_tril=torch.eye(4, dtype=torch.float64) * 1.5)
    other_low = D.LowRankMultivariateNormal(
        torch.zeros(4, dtype=torch.float64), torch.zeros(4, 1, dtype=torch.float64), torch.full((4,), 2.25, dtype=torch.float64)
    )
    for a, b in ((low, other), (low, other_low), (full, other_low)):
        assert D.kl_divergence(a, b).item() == pytest.approx(D.kl_divergence(full, other).item(), rel=1e-9)


def test_transformed_families():
    torch.manual_seed(10)
    for d, lo, hi in (
        (D.HalfNormal(f64(1.5)), 0, 40),
        (D.Gumbel(f64(0.5), f64(2.0)), -40, 200),
        (D.Pareto(f64(1.0), f64(3.0)), 1, 2000),
        (D.Weibull(f64(2.0), f64(1.5)), 1e-12, 60),
    ):
        grid = np.linspace(lo, hi, 2000001)
        logp = d.log_prob(torch.tensor(grid)).numpy()
        dens = np.exp(logp)
        assert np.trapezoid(dens, grid) == pytest.approx(1.0, abs=2e-3), type(d).__name__
        assert -np.trapezoid(np.nan_to_num(dens * logp), grid) == pytest.approx(d.entropy().item(), abs=5e-3), type(d).__name__
        assert d.sample((40000,)).mean().item() == pytest.approx(d.mean.item(), rel=0.03), type(d).__name__
    assert D.HalfNormal(f64(1.0), validate_args=False).log_prob(f64(-0.5)).item() == -math.inf
    pairs = [
        (D.Gumbel(f64(0.0), f64(1.0)), D.Gumbel(f64(1.0), f64(2.0))),
        (D.Pareto(f64(1.0), f64(3.0)), D.Pareto(f64(0.5), f64(2.0))),
        (D.Normal(f64(0.0), f64(1.0)), D.Gumbel(f64(0.5), f64(1.5))),
        (D.HalfNormal(f64(1.0)), D.HalfNormal(f64(2.0))),
    ]
    for p, q in pairs:
        s = p.sample((100000,))
        assert D.kl_divergence(p, q).item() == pytest.approx((p.log_prob(s) - q.log_prob(s)).mean().item(), abs=0.03), type(p).__name__


def test_negative_binomial_kumaraswamy_fisher_snedecor():
    torch.manual_seed(11)
    nb = D.NegativeBinomial(f64(3.0), probs=f64(0.4))
    k = 5.0
    want = math.lgamma(3 + k) - math.lgamma(k + 1) - math.lgamma(3) + 3 * math.log(0.6) + k * math.log(0.4)
    assert nb.log_prob(f64(k)).item() == pytest.approx(want, rel=1e-12)
    assert nb.sample((40000,)).mean().item() == pytest.approx(nb.mean.item(), rel=0.03)
    for d, lo, hi in ((D.Kumaraswamy(f64(2.0), f64(3.0)), 1e-9, 1 - 1e-9), (D.FisherSnedecor(f64(5.0), f64(8.0)), 1e-9, 400)):
        grid = np.linspace(lo, hi, 2000001)
        dens = d.log_prob(torch.tensor(grid)).exp().numpy()
        assert np.trapezoid(dens, grid) == pytest.approx(1.0, abs=2e-3), type(d).__name__
        assert np.trapezoid(grid * dens, grid) == pytest.approx(d.mean.item(), rel=5e-3), type(d).__name__
