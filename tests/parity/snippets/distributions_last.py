"""The last of PyTorch's distributions side by side with PyTorch: the
structured transforms (stick breaking, lower-Cholesky, positive-definite,
correlation-Cholesky, cat, stack, CDF), biject_to and transform_to,
the new constraints, ContinuousBernoulli, GeneralizedPareto, InverseGamma,
LogisticNormal, VonMises, LKJCholesky, Wishart (seeded draws are
PyTorch's, its retry loop included), OneHotCategoricalStraightThrough,
ExponentialFamily and the new KL pairs."""

PROGRAMS = {
    "structured transforms": """
x = T.linspace(-1.5, 1.3, 12, dtype=T.float64).reshape(4, 3).requires_grad_()
outs = []
for t in (D.transforms.StickBreakingTransform(), D.transforms.CorrCholeskyTransform()):
    y = t(x)
    ladj = t.log_abs_det_jacobian(x, y)
    outs += [y, t.inv(y), ladj, T.autograd.grad((y * y).sum() + ladj.sum(), x)[0], repr(t.domain), repr(t.codomain), t.forward_shape((5, 3)), t.inverse_shape(tuple(y.shape))]
m = x[:3]
for t in (D.transforms.LowerCholeskyTransform(), D.transforms.PositiveDefiniteTransform()):
    y = t(m)
    outs += [y, t.inv(y), T.autograd.grad(y.sum(), x)[0], t == type(t)()]
rec(outs)
""",
    "cat stack and cdf transforms": """
x = T.linspace(-1.5, 1.3, 12, dtype=T.float64).reshape(4, 3)
ct = D.transforms.CatTransform([D.transforms.ExpTransform(), D.transforms.identity_transform, D.transforms.SigmoidTransform()], dim=1, lengths=[1, 1, 1])
st = D.transforms.StackTransform([D.transforms.ExpTransform(), D.transforms.SoftplusTransform(), D.transforms.TanhTransform()], dim=1)
cd = D.transforms.CumulativeDistributionTransform(D.Normal(0.0, 1.0))
rec([(t(x), t.inv(t(x)), t.log_abs_det_jacobian(x, t(x)), t.bijective) for t in (ct, st, cd)], ct.event_dim, repr(cd.domain), repr(cd.codomain),
    D.constraints.cat([D.constraints.positive, D.constraints.real], 0, [2, 1]).check(T.tensor([1.0, -1.0, -3.0])),
    D.constraints.stack([D.constraints.positive, D.constraints.real], 0).check(T.tensor([[1.0, -1.0], [-3.0, 2.0]])),
    D.constraints.multinomial(3).check(T.tensor([[1.0, 2.0], [3.0, 1.0]])))
""",
    "biject_to and transform_to": """
C = D.constraints
x = T.linspace(-1.5, 1.3, 12, dtype=T.float64).reshape(4, 3)
outs = []
for c in (C.real, C.positive, C.nonnegative, C.greater_than(2.0), C.greater_than_eq(-1.0), C.less_than(-1.0), C.interval(-2.0, 3.0), C.unit_interval,
          C.half_open_interval(0.0, 2.0), C.simplex, C.real_vector, C.corr_cholesky, C.independent(C.positive, 1)):
    for registry in (D.biject_to, D.transform_to):
        t = registry(c)
        outs += [repr(t), t(x), t.inv(t(x))]
outs += [repr(D.transform_to(C.lower_cholesky)), repr(D.transform_to(C.positive_definite)), repr(D.biject_to(C.cat([C.positive, C.real], 0, [2, 2])))]
rec(outs)
""",
    "biject_to refuses": "D.biject_to(D.constraints.boolean)",
    "biject_to has no lower_cholesky": "D.biject_to(D.constraints.lower_cholesky)",
    "continuous bernoulli": """
T.manual_seed(0)
p = T.tensor([0.2, 0.4995, 0.5, 0.9], dtype=T.float64, requires_grad=True)
d = D.ContinuousBernoulli(p)
s = d.rsample((3,))
v = T.tensor([0.1, 0.5, 0.7, 0.95], dtype=T.float64)
lp = d.log_prob(v)
(s.sum() + lp.sum() + d.entropy().sum()).backward()
l = D.ContinuousBernoulli(logits=T.tensor([-1.0, 2.0]))
rec(s, lp, p.grad, d.mean, d.variance, d.stddev, d.entropy(), d.cdf(v), d.icdf(v), d.sample(), l.probs, l.sample((2,)), l.expand((3, 2)).sample(), d.batch_shape)
""",
    "generalized pareto": """
T.manual_seed(1)
d = D.GeneralizedPareto(T.tensor([0.0, 1.0, 0.5]), T.tensor([1.0, 2.0, 0.5]), T.tensor([0.0, 0.3, -0.4]))
s = d.rsample((4,))
v = T.tensor([0.5, 2.0, 0.7])
rec(s, d.log_prob(v), d.cdf(v), d.icdf(T.tensor([0.3, 0.9, 0.5])), d.log_survival_function(v), d.mean, d.variance, d.entropy(), d.mode, repr(d.support), d.expand((2, 3)).sample())
""",
    "inverse gamma and logistic normal": """
T.manual_seed(2)
ig = D.InverseGamma(T.tensor([3.0, 1.5]), T.tensor([2.0, 1.0]))
s = ig.sample((3,))
ln = D.LogisticNormal(T.tensor([0.2, -0.4]), T.tensor([1.0, 0.5]))
y = ln.rsample((4,))
rec(s, ig.log_prob(s), ig.mean, ig.variance, ig.mode, ig.entropy(), y, ln.log_prob(y), ln.batch_shape, ln.event_shape, ln.loc, ln.expand((2,)).sample())
""",
    "von mises": """
T.manual_seed(3)
d = D.VonMises(T.tensor([0.0, 1.0, -2.0], dtype=T.float64), T.tensor([0.5, 4.0, 20.0], dtype=T.float64))
s = d.sample((5,))
f = D.VonMises(T.tensor([0.3, 3.0]), T.tensor([1e-6, 700.0]))
rec(s, d.log_prob(s), d.variance, d.mean, f.sample((3,)), f.log_prob(T.tensor([0.1, 2.5])), d.expand((2, 3)).sample())
""",
    "lkj cholesky": """
T.manual_seed(4)
d = D.LKJCholesky(3, T.tensor([0.5, 2.0]))
s = d.sample((2,))
e = D.LKJCholesky(4, 1.0)
rec(s, d.log_prob(s), e.sample(), e.log_prob(e.sample()), d.expand((3, 2)).sample(), repr(d.support))
""",
    "wishart": """
import warnings
warnings.simplefilter("ignore")
T.manual_seed(5)
w1 = D.Wishart(T.tensor(4.0), covariance_matrix=T.tensor([[2.0, 0.3], [0.3, 1.0]]))
w2 = D.Wishart(T.tensor([3.0, 5.0]), precision_matrix=T.eye(2) * 2)
w3 = D.Wishart(6.0, scale_tril=T.tensor([[1.0, 0.0, 0.0], [0.5, 2.0, 0.0], [0.1, 0.2, 1.5]], dtype=T.float64))
out = []
for w in (w1, w2, w3):
    s = w.rsample((2,))
    out += [s, w.log_prob(s), w.mean, w.variance, w.mode, w.entropy(), w.covariance_matrix, w.precision_matrix, w.scale_tril, w.expand((2,) + tuple(w.batch_shape)).sample()]
rec(out, D.kl_divergence(w1, D.Wishart(T.tensor(5.0), covariance_matrix=T.eye(2) * 2)))
""",
    "wishart warns of singular samples": """
import warnings
T.manual_seed(6)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    s = D.Wishart(T.tensor(2.0), covariance_matrix=T.eye(2)).sample()
rec(s, [str(c.message) for c in caught])
""",
    "straight-through one-hot and exponential family": """
T.manual_seed(7)
logits = T.tensor([0.1, -0.4, 1.0], requires_grad=True)
d = D.OneHotCategoricalStraightThrough(logits=logits)
s = d.rsample((2,))
(s * T.tensor([1.0, 2.0, 3.0])).sum().backward()
rec(s, logits.grad, d.has_rsample, isinstance(D.Normal(0.0, 1.0), D.ExponentialFamily), isinstance(D.Geometric(0.5), D.ExponentialFamily))
""",
    "kl pairs of the continuous bernoulli": """
cb = lambda p: D.ContinuousBernoulli(T.tensor(p))
rec(K(cb([0.2, 0.7]), cb([0.6, 0.1])), K(D.Beta(T.tensor([2.0]), T.tensor([3.0])), cb([0.3])), K(cb([0.3]), D.Normal(0.0, 2.0)), K(cb([0.3]), D.Exponential(2.0)),
    K(cb([0.3]), D.Uniform(-1.0, 2.0)), K(cb([0.3]), D.Uniform(0.0, 2.0)), K(D.Uniform(0.2, 0.8), cb([0.3])), K(D.Uniform(0.0, 0.8), cb([0.3])), K(D.Normal(0.0, 1.0), cb([0.3])),
    K(D.Exponential(1.0), cb([0.3])), K(cb([0.3]), D.Pareto(1.0, 2.0)))
""",
    "kl across exponential families": "K(D.Poisson(T.tensor(1.0)), D.Normal(0.0, 1.0))",
}


def programs():
    return [(f"distributions last {name}", ["D = T.distributions\nK = D.kl_divergence", code.strip()]) for name, code in PROGRAMS.items()]
