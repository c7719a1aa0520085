"""``LKJCholesky(dim, concentration)``: Cholesky factors of D x D
correlation matrices whose correlation matrix has density proportional
to det(R)^(concentration - 1) (Lewandowski, Kurowicka and Joe, 2009),
sampled by the onion method as PyTorch samples it."""

import math

from .._size import Size
from . import constraints
from .dirichlet import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        from .._creation import arange
        from .._functions import cat

        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # row i's squared norm below the diagonal is Beta(i / 2, c + (D - 2 - i) / 2)
        marginal = self.concentration + 0.5 * (self.dim - 2)
        offset = arange(self.dim - 1, dtype=self.concentration.dtype, device=self.concentration.device)
        offset = cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.shape, Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()):
        from .._creation import randn
        from .._legacy import finfo

        squared_norms = self._beta.sample(sample_shape).unsqueeze(-1)
        directions = randn(self._extended_shape(sample_shape), dtype=squared_norms.dtype, device=squared_norms.device).tril(-1)
        on_sphere = directions / directions.norm(dim=-1, keepdim=True)
        on_sphere[..., 0, :].fill_(0.0)  # row 0 has nothing below the diagonal (0 / 0 above)
        w = squared_norms.sqrt() * on_sphere
        diagonal = (1 - (w**2).sum(-1)).clamp(min=finfo(w.dtype).tiny).sqrt()
        return w + diagonal.diag_embed()

    def log_prob(self, value):
        from .. import lgamma, mvlgamma
        from .._creation import arange

        if self._validate_args:
            self._validate_sample(value)
        diagonal = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - arange(2, self.dim + 1, device=self.concentration.device)
        unnormalized = (order * diagonal.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = 0.5 * dm1 * math.log(math.pi) + mvlgamma(alpha - 0.5, dm1) - lgamma(alpha) * dm1
        return unnormalized - normalizer
