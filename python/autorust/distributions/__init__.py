"""``autorust.distributions``: PyTorch's distributions with their
parameters, validation, reparameterised samples, log-probabilities,
entropies and KL divergences. Samples are drawn as PyTorch draws them
(the same generator calls in the same order), so a seeded program gets
PyTorch's samples.

Provided: Normal, Uniform, Bernoulli, Categorical, OneHotCategorical,
Exponential, Laplace, Cauchy, Geometric, Poisson, LogNormal,
MultivariateNormal, Gamma, Chi2, Beta, Dirichlet, StudentT, HalfNormal,
HalfCauchy, Gumbel, Pareto, Weibull, Kumaraswamy, NegativeBinomial,
FisherSnedecor, Independent,
RelaxedBernoulli, RelaxedOneHotCategorical, MixtureSameFamily,
TransformedDistribution with the transforms module, kl_divergence/
register_kl and constraints, Binomial, Multinomial,
LowRankMultivariateNormal."""

# (the relaxed distributions' logit-space bases are reached through their
# modules, as in PyTorch)
from . import constraints, relaxed_bernoulli, relaxed_categorical, transforms  # noqa: F401
from .bernoulli import Bernoulli
from .binomial import Binomial, Multinomial
from .categorical import Categorical
from .cauchy import Cauchy
from .dirichlet import Beta, Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Chi2, Gamma
from .gamma_mixtures import FisherSnedecor, NegativeBinomial
from .geometric import Geometric
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .poisson import Poisson
from .relaxed_bernoulli import RelaxedBernoulli
from .relaxed_categorical import RelaxedOneHotCategorical
from .studentT import StudentT
from .transformed_distribution import TransformedDistribution
from .transformed_families import (
    Gumbel,
    HalfCauchy,
    HalfNormal,
    Kumaraswamy,
    Pareto,
    Weibull,
)
from .transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    IndependentTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    TanhTransform,
    Transform,
)
from .uniform import Uniform

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Multinomial", "Categorical", "Cauchy", "Chi2", "ComposeTransform",
    "Dirichlet", "Distribution", "ExpTransform", "Exponential", "FisherSnedecor", "Gamma", "Geometric", "Gumbel", "Kumaraswamy", "NegativeBinomial", "HalfCauchy", "HalfNormal", "Pareto", "Weibull", "Independent",
    "IndependentTransform", "Laplace", "LogNormal", "LowRankMultivariateNormal", "MixtureSameFamily", "MultivariateNormal", "Normal",
    "OneHotCategorical", "Poisson", "PowerTransform", "RelaxedBernoulli", "RelaxedOneHotCategorical",
    "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StudentT", "TanhTransform",
    "Transform", "TransformedDistribution", "Uniform", "constraints", "kl_divergence", "register_kl", "transforms",
]
