"""``autorust.distributions``: PyTorch's distributions with their
parameters, validation, reparameterised samples, log-probabilities,
entropies and KL divergences. Samples are drawn as PyTorch draws them
(the same generator calls in the same order), so a seeded program gets
PyTorch's samples.

Provided: Normal, Uniform, Bernoulli, Categorical, OneHotCategorical,
Exponential, Laplace, Independent, kl_divergence/register_kl and
constraints. Not yet: the Gamma family (Gamma, Beta, Dirichlet, Chi2,
StudentT), MultivariateNormal, Poisson, Binomial, Geometric, Cauchy,
the relaxed and mixture distributions, transforms."""

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .exponential import Exponential
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = [
    "Bernoulli", "Categorical", "Distribution", "Exponential", "Independent", "Laplace", "Normal", "OneHotCategorical",
    "Uniform", "constraints", "kl_divergence", "register_kl",
]
