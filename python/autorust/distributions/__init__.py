"""``autorust.distributions``: PyTorch's distributions with their
parameters, validation, reparameterised samples, log-probabilities,
entropies and KL divergences. Samples are drawn as PyTorch draws them
(the same generator calls in the same order), so a seeded program gets
PyTorch's samples.

Provided: every distribution of PyTorch's module (Normal, Uniform,
Bernoulli, ContinuousBernoulli, Categorical, OneHotCategorical(+
StraightThrough), Exponential, Laplace, Cauchy, Geometric, Poisson,
LogNormal, LogisticNormal, MultivariateNormal, LowRankMultivariateNormal,
Gamma, InverseGamma, Chi2, Beta, Dirichlet, StudentT, HalfNormal,
HalfCauchy, Gumbel, Pareto, GeneralizedPareto, Weibull, Kumaraswamy,
NegativeBinomial, FisherSnedecor, Binomial, Multinomial, VonMises,
Wishart, LKJCholesky, Independent, RelaxedBernoulli,
RelaxedOneHotCategorical, MixtureSameFamily, TransformedDistribution,
ExponentialFamily), the transforms module, biject_to/transform_to,
kl_divergence/register_kl and constraints."""

# (the relaxed distributions' logit-space bases are reached through their
# modules, as in PyTorch)
from . import (  # noqa: F401
    constraint_registry,
    constraints,
    kl_exponential_family,  # noqa: F401  (registers its KL pairs)
    relaxed_bernoulli,
    relaxed_categorical,
    transforms,
)
from .bernoulli import Bernoulli
from .binomial import Binomial, Multinomial
from .categorical import Categorical
from .cauchy import Cauchy
from .constraint_registry import biject_to, transform_to
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Beta, Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Chi2, Gamma
from .gamma_mixtures import FisherSnedecor, NegativeBinomial
from .generalized_pareto import GeneralizedPareto
from .geometric import Geometric
from .independent import Independent
from .inverse_gamma import InverseGamma
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .lkj_cholesky import LKJCholesky
from .log_normal import LogNormal
from .logistic_normal import LogisticNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
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
    CatTransform,
    ComposeTransform,
    CorrCholeskyTransform,
    CumulativeDistributionTransform,
    ExpTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StackTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    identity_transform,
)
from .uniform import Uniform
from .von_mises import VonMises
from .wishart import Wishart

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "Bernoulli",
    "Beta",
    "Binomial",
    "CatTransform",
    "Categorical",
    "Cauchy",
    "Chi2",
    "ComposeTransform",
    "ContinuousBernoulli",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "Dirichlet",
    "Distribution",
    "ExpTransform",
    "Exponential",
    "ExponentialFamily",
    "FisherSnedecor",
    "Gamma",
    "GeneralizedPareto",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Independent",
    "IndependentTransform",
    "InverseGamma",
    "Kumaraswamy",
    "LKJCholesky",
    "Laplace",
    "LogNormal",
    "LogisticNormal",
    "LowRankMultivariateNormal",
    "LowerCholeskyTransform",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "NegativeBinomial",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Pareto",
    "Poisson",
    "PositiveDefiniteTransform",
    "PowerTransform",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "ReshapeTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "StudentT",
    "TanhTransform",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "VonMises",
    "Weibull",
    "Wishart",
    "biject_to",
    "constraints",
    "identity_transform",
    "kl_divergence",
    "register_kl",
    "transform_to",
    "transforms",
]
