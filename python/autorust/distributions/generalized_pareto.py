"""``GeneralizedPareto(loc, scale, concentration)``: the peaks-over-threshold
law; concentration 0 is the exponential, negative concentrations have an
upper end point loc - scale / concentration."""

import math
import numbers

from .._size import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["GeneralizedPareto"]


def _where(condition, a, b):
    from .. import _native

    return _native.where(condition, a, b)


class GeneralizedPareto(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        scalar = all(isinstance(v, numbers.Number) for v in (loc, scale, concentration))
        super().__init__(Size() if scalar else self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(GeneralizedPareto, batch_shape, ("loc", "scale", "concentration"), _instance)

    def _safe_concentration(self):
        """(concentration is ~0 (isclose), concentration with 1 there)."""
        from .. import isclose, tensor

        near_zero = isclose(self.concentration, tensor(0.0))
        return near_zero, _where(near_zero, self.concentration.new_ones(()), self.concentration)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def rsample(self, sample_shape=()):
        from .._creation import rand

        u = rand(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        near_zero, c = self._safe_concentration()
        y = 1 / c + 1
        nonzero = _where(y == 0, y, y * (c * z).log1p())
        log_scale = math.log(self.scale) if isinstance(self.scale, numbers.Real) else self.scale.log()
        return -log_scale - _where(near_zero, z, nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        near_zero, c = self._safe_concentration()
        return _where(near_zero, -z, -(c * z).log1p() / c)

    def log_cdf(self, value):
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        from .. import isclose, zeros_like

        near_zero = isclose(self.concentration, zeros_like(self.concentration))
        c = _where(near_zero, self.concentration.new_ones(()), self.concentration)
        log_u = (-value).log1p()
        return _where(near_zero, self.loc - self.scale * log_u, self.loc + self.scale / c * (-c * log_u).expm1())

    @property
    def mean(self):
        valid = self.concentration < 1
        c = _where(valid, self.concentration, 0.5)
        return _where(valid, self.loc + self.scale / (1 - c), math.nan)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        c = _where(valid, self.concentration, 0.25)
        return _where(valid, self.scale**2 / ((1 - c) ** 2 * (1 - 2 * c)), math.nan)

    def entropy(self):
        return (self.scale.log() + self.concentration + 1).broadcast_to(self._batch_shape)

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = _where(self.concentration < 0, self.loc - self.scale / self.concentration, math.inf)
        return constraints.interval(self.loc, upper)
