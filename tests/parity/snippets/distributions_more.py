"""The distributions added for issue 14 side by side with PyTorch: the
transforms and TransformedDistribution (a tanh-squashed Normal as in SAC),
LogNormal, Cauchy, Geometric, Poisson, MultivariateNormal in its three
parameterisations, LowRankMultivariateNormal, HalfNormal, HalfCauchy, Gumbel,
Pareto, Weibull, NegativeBinomial, Kumaraswamy, FisherSnedecor, the relaxed distributions, MixtureSameFamily, the
Gamma family (seeded draws are PyTorch's to the bit), the incomplete gamma
functions, the Bessel functions of torch.special and the new KL pairs.

Not compared here: the gradients of Gamma, Beta, Dirichlet, Chi2 and
StudentT samples. PyTorch evaluates their implicit derivative with fitted
approximations, autorust exactly (tests/test_distributions_more.py checks
it against a numerically integrated CDF); the two agree to about 1e-3
relative, below the float64 tolerance's reach."""

PROGRAMS = {
    "transforms": """
x = T.linspace(-2, 2, 7)
outs = []
for t in (D.transforms.ExpTransform(), D.transforms.SigmoidTransform(), D.transforms.TanhTransform(), D.transforms.SoftplusTransform(),
          D.transforms.AffineTransform(1.5, -2.0), D.transforms.ComposeTransform([D.transforms.AffineTransform(0.0, 2.0), D.transforms.TanhTransform()])):
    y = t(x * 0.9)
    outs += [y, t.inv(y), t.log_abs_det_jacobian(x * 0.9, y), repr(t), t.domain.event_dim, t.codomain.event_dim, t.bijective, repr(t.inv)]
p = D.transforms.PowerTransform(T.tensor(2.5))
s = D.transforms.SoftmaxTransform()
rec(outs, p(x.abs() + 0.1), p.log_abs_det_jacobian(x.abs() + 0.1, p(x.abs() + 0.1)), s(x), s.inv(s(x)), D.transforms.AbsTransform()(x))
""",
    "tanh-squashed normal": """
T.manual_seed(0)
loc = T.tensor([0.2, -0.5, 1.0], requires_grad=True)
scale = T.tensor([0.5, 1.0, 0.3], requires_grad=True)
d = D.TransformedDistribution(D.Normal(loc, scale), [D.transforms.TanhTransform(cache_size=1)])
a = d.rsample((2,))
lp = d.log_prob(a)
lp.sum().backward()
rec(a, lp, loc.grad, scale.grad, repr(d.support), d.batch_shape, d.event_shape, d.sample((2,)))
""",
    "lognormal": """
T.manual_seed(1)
loc = T.tensor([0.0, 0.5], requires_grad=True)
scale = T.tensor([1.0, 0.3], requires_grad=True)
d = D.LogNormal(loc, scale)
s = d.rsample((3,))
(d.log_prob(s.detach()).sum() + s.sum() + d.entropy().sum()).backward()
rec(s, d.log_prob(s), loc.grad, scale.grad, d.mean, d.variance, d.mode, d.entropy(), d.cdf(T.tensor([0.5, 2.0])), d.icdf(T.tensor([0.1, 0.9])), D.kl_divergence(d, D.LogNormal(loc * 0.5, scale * 2)))
""",
    "cauchy and geometric": """
T.manual_seed(2)
c = D.Cauchy(T.tensor([0.0, 1.0]), T.tensor([1.0, 0.5]))
g = D.Geometric(T.tensor([0.3, 0.8]))
sc, sg = c.rsample((3,)), g.sample((4,))
rec(sc, c.log_prob(sc), c.cdf(sc), c.icdf(T.tensor([0.2, 0.7])), c.entropy(), c.mean, c.variance, D.kl_divergence(c, D.Cauchy(T.tensor([1.0, 0.0]), T.tensor([2.0, 1.0]))),
    sg, g.log_prob(sg), g.mean, g.variance, g.entropy(), D.kl_divergence(g, D.Geometric(T.tensor([0.5, 0.5]))), D.Geometric(logits=T.tensor([0.3, -1.0])).log_prob(T.tensor([2.0, 0.0])))
""",
    "poisson": """
T.manual_seed(3)
rate = T.tensor([0.5, 3.0, 14.0, 40.0], requires_grad=True)
d = D.Poisson(rate)
s = d.sample((5,))
d.log_prob(s).sum().backward()
rec(s, d.log_prob(s), rate.grad, d.mean, d.mode, D.kl_divergence(d, D.Poisson(rate * 0.7)), D.kl_divergence(D.Bernoulli(T.tensor([0.3, 0.6, 0.1, 0.5])), d))
""",
    "multivariate normal": """
T.manual_seed(4)
A = T.randn(3, 3)
cov = (A @ A.T + T.eye(3)).requires_grad_()
m = T.randn(2, 3, requires_grad=True)
outs = []
for kw in ({"covariance_matrix": cov}, {"precision_matrix": cov}, {"scale_tril": T.linalg.cholesky(cov)}):
    d = D.MultivariateNormal(m, **kw)
    s = d.rsample((4,))
    lp = d.log_prob(s)
    g = T.autograd.grad(lp.sum() + s.sum() + d.entropy().sum(), [m, cov])
    outs += [s, lp, g, d.entropy(), d.variance, d.covariance_matrix, d.precision_matrix, d.scale_tril, d.batch_shape, d.event_shape]
q = D.MultivariateNormal(T.zeros(3), scale_tril=T.eye(3) * 2)
rec(outs, D.kl_divergence(d, q), D.kl_divergence(q, d), d.expand((4, 2)).log_prob(T.zeros(3)))
""",
    "multivariate normal refusals": "D.MultivariateNormal(T.zeros(2), covariance_matrix=T.tensor([[1.0, 2.0], [2.0, 1.0]]))",
    "relaxed distributions": """
T.manual_seed(5)
p = T.tensor([0.2, 0.7], requires_grad=True)
rb = D.RelaxedBernoulli(T.tensor(0.5), probs=p)
s = rb.rsample((3,))
g, = T.autograd.grad(s.sum() + rb.log_prob(s.detach()).sum(), p)
logits = T.randn(2, 4, requires_grad=True)
rc = D.RelaxedOneHotCategorical(T.tensor(0.7), logits=logits)
sc = rc.rsample((2,))
gc, = T.autograd.grad(sc.pow(2).sum() + rc.log_prob(sc.detach()).sum(), logits)
rec(s, rb.log_prob(s), g, sc, rc.log_prob(sc), gc, repr(rb.support), repr(rc.support))
""",
    "mixture same family": """
T.manual_seed(6)
w = T.randn(2, 3, requires_grad=True)
mx = D.MixtureSameFamily(D.Categorical(logits=w), D.Normal(T.randn(2, 3), T.rand(2, 3) + 0.5))
s = mx.sample((4,))
lp = mx.log_prob(s)
g, = T.autograd.grad(lp.sum(), w)
mv = D.MixtureSameFamily(D.Categorical(logits=T.randn(3)), D.Independent(D.Normal(T.randn(3, 2), T.ones(3, 2)), 1))
sv = mv.sample((2,))
rec(s, lp, g, mx.mean, mx.variance, mx.cdf(s), sv, mv.log_prob(sv), mv.mean, mv.variance, mx.batch_shape, mv.event_shape, mx.expand((4, 2)).batch_shape)
""",
    "gamma family draws": """
T.manual_seed(7)
outs = []
for dtype in (T.float32, T.float64):
    conc = T.tensor([0.3, 1.0, 2.5, 9.0, 40.0], dtype=dtype)
    g = D.Gamma(conc, T.full((5,), 1.7, dtype=dtype))
    s = g.sample((3,))
    a = T.tensor([[0.5, 2.0, 3.0], [1.2, 0.7, 5.0]], dtype=dtype)
    d = D.Dirichlet(a)
    sd = d.sample((2,))
    b = D.Beta(conc, conc * 0.5 + 0.4)
    sb = b.sample((2,))
    t = D.StudentT(conc * 4 + 0.5, T.zeros(5, dtype=dtype), T.full((5,), 2.0, dtype=dtype))
    st = t.sample((2,))
    c = D.Chi2(conc * 3)
    outs += [T._standard_gamma(conc.expand(2, 5)), s, g.log_prob(s), g.entropy(), g.cdf(s), g.mean, g.variance, g.mode,
             sd, d.log_prob(sd), d.mean, d.variance, d.mode, d.entropy(), sb, b.log_prob(sb), b.entropy(), b.mean, b.variance,
             st, t.log_prob(st), t.entropy(), t.mean, t.variance, c.sample((2,)), c.df]
rec(*outs)
""",
    "gamma family gradients of densities": """
T.manual_seed(8)
conc = T.tensor([0.6, 2.0, 7.0], dtype=T.float64, requires_grad=True)
rate = T.tensor([1.0, 0.5, 3.0], dtype=T.float64, requires_grad=True)
x = T.tensor([0.4, 2.0, 1.5], dtype=T.float64)
total = D.Gamma(conc, rate).log_prob(x).sum() + D.Gamma(conc, rate).entropy().sum() + D.Beta(conc, rate).log_prob(x / 3).sum()
total = total + D.Dirichlet(conc).log_prob(x / x.sum()) + D.Dirichlet(conc).entropy() + D.StudentT(conc, rate, rate).log_prob(x).sum()
rec(total, T.autograd.grad(total, [conc, rate]))
""",
    "incomplete gamma": """
a = T.tensor([0.0, 0.0, 1.0, 2.0, -1.0, 2.0, float("inf"), 0.5, 1e-3, 50.0, 0.0])
x = T.tensor([1.0, 0.0, 0.0, float("inf"), 1.0, -1.0, 2.0, 1e-5, 3.0, 49.0, float("inf")])
xs = T.tensor([0.1, 1.0, 3.0, 12.0], dtype=T.float64, requires_grad=True)
ac = T.tensor([0.5, 2.0, 3.0, 10.0], dtype=T.float64)
p, q = T.special.gammainc(ac, xs), T.special.gammaincc(ac, xs)
g, = T.autograd.grad(p.sum() + 2 * q.sum(), xs)
rec(T.special.gammainc(a, x), T.special.gammaincc(a, x), p, q, g, type(p.grad_fn).__name__, T.igamma(ac, xs.detach()), T.igammac(ac, xs.detach()))
""",
    "incomplete gamma has no derivative in a": "T.special.gammainc(T.tensor([2.0], requires_grad=True), T.tensor([1.0])).sum().backward()",
    "binomial and multinomial": """
T.manual_seed(9)
p = T.tensor([0.1, 0.3, 0.7, 0.95], requires_grad=True)
d = D.Binomial(T.tensor([5.0, 8.0, 6.0, 3.0]), p)
s = d.sample((3,))
g, = T.autograd.grad(d.log_prob(s).sum(), p)
e = D.Binomial(6, probs=p)
probs = T.tensor([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], requires_grad=True)
m = D.Multinomial(10, probs=probs)
sm = m.sample((2,))
gm, = T.autograd.grad(m.log_prob(sm).sum() + m.entropy().sum(), probs)
rec(s, d.log_prob(s), g, d.mean, d.variance, d.mode, e.entropy(), e.enumerate_support(), T.binomial(T.tensor([4.0, 9.0]), T.tensor([0.5, 0.2])),
    sm, m.log_prob(sm), gm, m.mean, m.variance, D.kl_divergence(D.Binomial(10, probs=T.tensor([0.3, 0.6])), D.Binomial(10, probs=T.tensor([0.5, 0.5]))))
""",
    "low-rank multivariate normal": """
T.manual_seed(10)
loc = T.randn(2, 4, requires_grad=True)
W = T.randn(4, 2, requires_grad=True)
Dg = (T.rand(4) + 0.5).requires_grad_()
d = D.LowRankMultivariateNormal(loc, W, Dg)
s = d.rsample((3,))
lp = d.log_prob(s)
g = T.autograd.grad(lp.sum() + d.entropy().sum() + s.sum(), [loc, W, Dg])
q = D.LowRankMultivariateNormal(T.zeros(4), T.randn(4, 3), T.ones(4))
m = D.MultivariateNormal(T.zeros(4), scale_tril=T.eye(4) * 1.5)
rec(s, lp, g, d.entropy(), d.variance, d.scale_tril, d.covariance_matrix, d.precision_matrix, D.kl_divergence(d, q), D.kl_divergence(m, q), D.kl_divergence(d, m))
""",
    "half-normal, half-cauchy, gumbel, pareto, weibull": """
outs = []
for seed in range(2):
    T.manual_seed(20 + seed)
    a = T.tensor([0.7, 1.5, 3.0], requires_grad=True)
    b = T.tensor([2.5, 0.8, 1.2], requires_grad=True)
    for d in (D.HalfNormal(a), D.HalfCauchy(a), D.Gumbel(b - 1, a), D.Pareto(a, b), D.Weibull(a, b)):
        s = d.rsample((4,)) if d.has_rsample else d.sample((4,))
        lp = d.log_prob(s.detach())
        g = T.autograd.grad(lp.sum() + d.entropy().sum(), [a, b], allow_unused=True)
        outs += [s, lp, [x if x is not None else "none" for x in g], d.entropy(), d.mean, d.variance, d.mode, repr(d.support), d.expand((2, 3)).log_prob(s[0].detach())]
K = D.kl_divergence
t = T.tensor
gu, gu2 = D.Gumbel(t([0.3, -1.0]), t([1.5, 0.7])), D.Gumbel(t([0.0, 1.0]), t([1.0, 2.0]))
pa, pa2 = D.Pareto(t([1.0, 2.0]), t([3.0, 0.8])), D.Pareto(t([0.5, 2.5]), t([2.0, 1.5]))
e, n, g = D.Exponential(t([0.5, 2.0])), D.Normal(t([0.3, -1.0]), t([1.5, 0.7])), D.Gamma(t([2.0, 0.5]), t([1.0, 3.0]))
u = D.Uniform(t([1.1, 2.2]), t([1.9, 3.0]))
rec(outs, K(gu, gu2), K(D.HalfNormal(t([1.0, 2.0])), D.HalfNormal(t([0.5, 1.0]))), K(pa, pa2), K(e, gu), K(g, gu), K(n, gu), K(gu, e), K(pa, e), K(pa, g), K(pa, n), K(u, gu), K(u, pa), K(n, pa))
""",
    "negative binomial, kumaraswamy, fisher-snedecor": """
outs = []
for seed in range(2):
    T.manual_seed(30 + seed)
    a = T.tensor([0.7, 1.5, 3.0], requires_grad=True)
    b = T.tensor([2.5, 0.8, 5.2], requires_grad=True)
    nb = D.NegativeBinomial(a * 3, probs=T.tensor([0.3, 0.5, 0.8]))
    s = nb.sample((4,))
    lp = nb.log_prob(s)
    ku = D.Kumaraswamy(a, b)
    sk = ku.rsample((3,))
    fs = D.FisherSnedecor(a * 4, b * 3)
    sf = fs.rsample((3,))
    g = T.autograd.grad(lp.sum() + ku.log_prob(sk.detach()).sum() + sk.sum() + ku.entropy().sum() + fs.log_prob(sf.detach()).sum(), [a, b])
    outs += [s, lp, nb.mean, nb.variance, nb.mode, sk, ku.log_prob(sk), ku.mean, ku.variance, ku.mode, ku.entropy(), sf, fs.log_prob(sf), fs.mean, fs.variance, fs.mode, g]
rec(*outs, D.NegativeBinomial(T.tensor([0.0, 2.0]), logits=T.tensor([0.1, -0.5])).log_prob(T.tensor([0.0, 3.0])))
""",
    "bessel functions": """
outs = []
for dtype in (T.float32, T.float64):
    x = T.tensor([0.0, 1e-8, 0.5, 2.0, 7.9, 10.0, 25.0, 99.0, 500.0, 2500.0, -3.0, float("inf"), float("nan")], dtype=dtype, requires_grad=True)
    for name in ("bessel_j0", "bessel_j1", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1"):
        y = getattr(T.special, name)(x)
        g, = T.autograd.grad(y[:11].sum(), x, create_graph=True)
        gg, = T.autograd.grad(g[:11].sum(), x)
        outs += [y, g[:11], gg[:11]]
    outs += [T.special.scaled_modified_bessel_k0(x), T.special.scaled_modified_bessel_k1(x), T.special.spherical_bessel_j0(x)]
rec(*outs)
""",
    "kl pairs": """
K = D.kl_divergence
g = D.Gamma(T.tensor([2.0, 0.5]), T.tensor([1.0, 3.0]))
b = D.Beta(T.tensor([2.0, 0.5]), T.tensor([1.5, 3.0]))
e = D.Exponential(T.tensor([0.5, 2.0]))
n = D.Normal(T.tensor([0.3, -1.0]), T.tensor([1.5, 0.7]))
l = D.Laplace(T.tensor([0.1, 1.0]), T.tensor([0.8, 2.0]))
u = D.Uniform(T.tensor([0.1, 0.2]), T.tensor([0.9, 3.0]))
dd = D.Dirichlet(T.tensor([[1.0, 2.0, 3.0], [0.5, 0.5, 4.0]]))
rec(K(g, D.Gamma(T.tensor([3.0, 1.0]), T.tensor([2.0, 0.5]))), K(b, D.Beta(T.tensor([1.0, 2.0]), T.tensor([1.0, 1.0]))), K(dd, D.Dirichlet(T.ones(3))),
    K(b, e), K(b, g), K(b, n), K(b, u), K(e, g), K(g, b), K(g, e), K(g, n), K(g, u), K(u, b), K(u, g), K(n, g), K(e, b),
    K(e, n), K(l, n), K(u, n), K(u, e), K(n, e), K(e, u), K(l, u), K(l, e), K(n, u))
""",
}


def programs():
    return [(f"distributions more {name}", ["D = T.distributions", code.strip()]) for name, code in PROGRAMS.items()]
