"""``torch.distributions`` side by side with PyTorch: seeded samples and
reparameterised samples (the same draws), log_prob, cdf/icdf, entropy and
their gradients, statistics, shapes and expand, Independent, the KL pairs,
and argument/sample validation with PyTorch's messages."""

PROGRAMS = {
    "normal": """
T.manual_seed(0)
loc = T.tensor([0.5, -1.0], requires_grad=True)
scale = T.tensor([1.0, 2.0], requires_grad=True)
n = T.distributions.Normal(loc, scale)
s, r = n.sample((3,)), n.rsample((2,))
lp = n.log_prob(T.tensor([0.1, 0.2]))
(lp.sum() + r.sum() + n.entropy().sum() + n.cdf(T.tensor([0.3, 0.1])).sum()).backward()
rec(repr(n), n.batch_shape, n.event_shape, s, r, lp, loc.grad, scale.grad, n.mean, n.stddev, n.variance, n.icdf(T.tensor([0.2, 0.9])))
""",
    "uniform": """
T.manual_seed(1)
u = T.distributions.Uniform(T.tensor([0.0, 1.0]), T.tensor([2.0, 3.0]))
rec(repr(u), u.sample(), u.rsample((2,)), u.log_prob(T.tensor([1.0, 2.5])), u.entropy(), u.cdf(T.tensor([0.5, 2.5])), repr(u.support), u.mean, u.variance)
""",
    "bernoulli": """
T.manual_seed(2)
b = T.distributions.Bernoulli(probs=T.tensor([0.3, 0.9]))
bl = T.distributions.Bernoulli(logits=T.tensor([0.2, -1.0]))
rec(repr(b), b.sample((2,)), b.log_prob(T.tensor([1.0, 0.0])), b.entropy(), b.logits, b.mode, b.enumerate_support(), repr(bl), bl.probs, bl.sample())
""",
    "categorical": """
T.manual_seed(3)
probs = T.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], requires_grad=True)
c = T.distributions.Categorical(probs=probs)
a = c.sample()
rec(repr(c), a, c.sample((4,)), c.log_prob(a), c.entropy(), c.mode, c.enumerate_support())
(-c.log_prob(a) * T.tensor([1.0, 2.0])).sum().backward()
cl = T.distributions.Categorical(logits=T.tensor([1.0, 2.0, 0.5]))
rec(probs.grad, cl.probs, cl.sample((5,)), cl.logits)
""",
    "one-hot categorical": """
T.manual_seed(4)
o = T.distributions.OneHotCategorical(probs=T.tensor([0.2, 0.8]))
x = o.sample((3,))
rec(repr(o), x, o.log_prob(x), o.entropy(), o.mode, o.event_shape)
""",
    "exponential and laplace": """
T.manual_seed(5)
e = T.distributions.Exponential(T.tensor([1.0, 0.5]))
l = T.distributions.Laplace(T.tensor(0.0), T.tensor(2.0))
rec(e.sample((2,)), e.log_prob(T.tensor([0.5, 1.0])), e.entropy(), e.cdf(T.tensor([1.0, 1.0])), e.mean)
rec(l.sample((3,)), l.rsample(), l.log_prob(T.tensor(1.0)), l.cdf(T.tensor(-1.0)), l.icdf(T.tensor(0.3)), l.entropy())
""",
    "independent": """
i = T.distributions.Independent(T.distributions.Normal(T.zeros(3, 2), T.ones(3, 2)), 1)
j = T.distributions.Independent(T.distributions.Normal(T.ones(3, 2), T.ones(3, 2)), 1)
rec(repr(i), i.batch_shape, i.event_shape, i.log_prob(T.ones(3, 2)), i.entropy(), T.distributions.kl_divergence(i, j))
""",
    "kl divergences": """
D = T.distributions
rec(D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 2.0)), D.kl_divergence(D.Categorical(probs=T.tensor([0.2, 0.8])), D.Categorical(probs=T.tensor([0.5, 0.5]))),
    D.kl_divergence(D.Bernoulli(0.3), D.Bernoulli(0.6)), D.kl_divergence(D.Uniform(0.0, 1.0), D.Uniform(-1.0, 2.0)), D.kl_divergence(D.Uniform(0.0, 3.0), D.Uniform(1.0, 2.0)),
    D.kl_divergence(D.Exponential(1.0), D.Exponential(2.0)), D.kl_divergence(D.Laplace(0.0, 2.0), D.Laplace(1.0, 1.0)), D.kl_divergence(D.Normal(0.0, 1.0), D.Laplace(0.5, 1.0)))
""",
    "expand": """
T.manual_seed(6)
n = T.distributions.Normal(T.tensor([0.0, 1.0]), T.tensor([1.0, 1.0])).expand((4, 2))
c = T.distributions.Categorical(probs=T.tensor([0.3, 0.7])).expand((5,))
rec(n.batch_shape, n.sample(), c.batch_shape, c.sample())
""",
    "an invalid parameter": "T.distributions.Normal(T.tensor([0.0]), T.tensor([-1.0]))",
    "a sample outside the support": "T.distributions.Normal(0.0, 1.0).log_prob(T.tensor([float('nan')]))",
    "probs above one": "T.distributions.Bernoulli(probs=T.tensor([1.5]))",
    "a category out of range": "T.distributions.Categorical(probs=T.tensor([0.5, 0.5])).log_prob(T.tensor(3))",
    "neither probs nor logits": "T.distributions.Categorical()",
    "low above high": "T.distributions.Uniform(1.0, 0.0)",
    "an unregistered pair": "T.distributions.kl_divergence(T.distributions.Categorical(probs=T.tensor([0.5, 0.5])), T.distributions.Normal(0.0, 1.0))",
    "a value that does not broadcast": "T.distributions.Normal(T.zeros(3), 1.0).log_prob(T.zeros(2))",
    "validation off": "R = T.distributions.Normal(T.zeros(2), T.ones(2), validate_args=False).log_prob(T.tensor([float('nan'), 0.0]))\nrec(R)",
}


def programs():
    return [(f"distributions {name}", [code.strip()]) for name, code in PROGRAMS.items()]
