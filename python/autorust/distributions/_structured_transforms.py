"""The transforms of ``distributions.transforms`` that act on whole
vectors or matrices, or combine others: stick-breaking onto the simplex,
lower-Cholesky and positive-definite matrices, Cholesky factors of
correlation matrices, slicewise concatenation and stacking of transforms,
and a distribution's CDF."""

import math

from . import constraints
from ._transform import Transform, _Parameterless
from .utils import (
    _clipped_sigmoid,
    _sum_rightmost,
    lazy_property,
    tril_matrix_to_vec,
    vec_to_tril_matrix,
)


def _pad_last(x, before, after, value):
    from ..nn.functional import pad

    return pad(x, [before, after], value=value)


def _stick_offsets(x, length):
    """log(K - k) for k = 0..length-1, K = length + 1 (K - 1 sticks remain)."""
    return (length + 1 - x.new_ones(length).cumsum(-1)).log()


class StickBreakingTransform(_Parameterless):
    """R^(K-1) onto the K-simplex: the k-th coordinate breaks off a
    sigmoid fraction of what is left, centred by log(K - k)."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def _call(self, x):
        fractions = _clipped_sigmoid(x - _stick_offsets(x, x.shape[-1]))
        remaining = (1 - fractions).cumprod(-1)
        return _pad_last(fractions, 0, 1, 1.0) * _pad_last(remaining, 1, 0, 1.0)

    def _inverse(self, y):
        from .._legacy import finfo

        head = y[..., :-1]
        offsets = (y.shape[-1] - y.new_ones(head.shape[-1]).cumsum(-1)).log()
        left = (1 - head.cumsum(-1)).clamp(min=finfo(y.dtype).tiny)
        return head.log() - left.log() + offsets

    def log_abs_det_jacobian(self, x, y):
        from ..nn.functional import logsigmoid

        shifted = x - _stick_offsets(x, x.shape[-1])
        return (-shifted + logsigmoid(shifted) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class LowerCholeskyTransform(_Parameterless):
    """A square matrix to a lower-triangular one with a positive diagonal:
    the strictly lower part kept, the diagonal exponentiated."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(_Parameterless):
    """A square matrix to L L^T, L its LowerCholeskyTransform."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x):
        factor = LowerCholeskyTransform()(x)
        return factor @ factor.mT

    def _inverse(self, y):
        from .. import linalg

        return LowerCholeskyTransform().inv(linalg.cholesky(y))


class CorrCholeskyTransform(_Parameterless):
    """D (D - 1) / 2 unconstrained numbers to the Cholesky factor of a D x D
    correlation matrix: tanh gives partial correlations in (-1, 1), placed
    below the diagonal, and each row is completed to unit norm by stick
    breaking."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        from .._creation import eye
        from .._legacy import finfo

        eps = finfo(x.dtype).eps
        partial = vec_to_tril_matrix(x.tanh().clamp(min=-1 + eps, max=1 - eps), diag=-1)
        left = (1 - partial * partial).sqrt().cumprod(-1)
        unit = partial + eye(partial.shape[-1], dtype=partial.dtype, device=partial.device)
        return unit * _pad_last(left[..., :-1], 1, 0, 1.0)

    def _inverse(self, y):
        left = _pad_last((1 - (y * y).cumsum(-1))[..., :-1], 1, 0, 1.0)
        partial = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(left, diag=-1).sqrt()
        return (partial.log1p() - (-partial).log1p()) / 2

    def log_abs_det_jacobian(self, x, y, intermediates=None):
        from ..nn.functional import softplus

        left = tril_matrix_to_vec(1 - (y * y).cumsum(-1), diag=-2)
        sticks = 0.5 * left.log().sum(-1)
        tanh_part = -2 * (x + softplus(-2 * x) - math.log(2.0)).sum(-1)
        return sticks + tanh_part

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        n = shape[-1]
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return tuple(shape[:-1]) + (d, d)

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        d = shape[-1]
        return tuple(shape[:-2]) + (d * (d - 1) // 2,)


class _Slicewise(Transform):
    """Transforms each applied to its own part of the input along ``dim``
    (cached as a whole when ``cache_size``)."""

    def __init__(self, tseq, dim, cache_size):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.dim = dim

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)


class CatTransform(_Slicewise):
    """Transforms applied to consecutive slices (``lengths`` long) along
    ``dim``, their results concatenated."""

    def __init__(self, tseq, dim=0, lengths=None, cache_size=0):
        super().__init__(tseq, dim, cache_size)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match transforms ({len(self.transforms)})")

    @lazy_property
    def event_dim(self):
        return max(t.event_dim for t in self.transforms)

    @lazy_property
    def length(self):
        return sum(self.lengths)

    def with_cache(self, cache_size=1):
        return self if self._cache_size == cache_size else CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _slices(self, t):
        start = 0
        for length in self.lengths:
            yield t.narrow(self.dim, start, length)
            start += length

    def _check(self, t, what):
        if not -t.dim() <= self.dim < t.dim():
            raise AssertionError(f"dim {self.dim} out of range for tensor with {t.dim()} dimensions")
        if t.shape[self.dim] != self.length:
            raise AssertionError(f"{what}.size({self.dim}) = {t.shape[self.dim]} must equal length {self.length}")

    def _call(self, x):
        from .._functions import cat

        self._check(x, "x")
        return cat([t(part) for t, part in zip(self.transforms, self._slices(x))], self.dim)

    def _inverse(self, y):
        from .._functions import cat

        self._check(y, "y")
        return cat([t.inv(part) for t, part in zip(self.transforms, self._slices(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        from .._functions import cat

        self._check(x, "x")
        self._check(y, "y")
        terms = []
        for t, xs, ys in zip(self.transforms, self._slices(x), self._slices(y)):
            term = t.log_abs_det_jacobian(xs, ys)
            terms.append(_sum_rightmost(term, self.event_dim - t.event_dim) if t.event_dim < self.event_dim else term)
        # the concatenation dim, counted from the end of the batch dims
        dim = (self.dim - x.dim() if self.dim >= 0 else self.dim) + self.event_dim
        return cat(terms, dim) if dim < 0 else sum(terms)

    @constraints.dependent_property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @constraints.dependent_property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)


class StackTransform(_Slicewise):
    """One transform per index along ``dim``, the results stacked."""

    def __init__(self, tseq, dim=0, cache_size=0):
        super().__init__(tseq, dim, cache_size)

    def with_cache(self, cache_size=1):
        return self if self._cache_size == cache_size else StackTransform(self.transforms, self.dim, cache_size)

    def _check(self, t, what):
        if not -t.dim() <= self.dim < t.dim():
            raise AssertionError(f"dim {self.dim} out of range for tensor with {t.dim()} dimensions")
        if t.shape[self.dim] != len(self.transforms):
            raise AssertionError(f"{what}.size({self.dim}) = {t.shape[self.dim]} must equal len(transforms) {len(self.transforms)}")

    def _slices(self, t):
        return [t.select(self.dim, i) for i in range(t.shape[self.dim])]

    def _call(self, x):
        from .._functions import stack

        self._check(x, "x")
        return stack([t(part) for part, t in zip(self._slices(x), self.transforms)], self.dim)

    def _inverse(self, y):
        from .._functions import stack

        self._check(y, "y")
        return stack([t.inv(part) for part, t in zip(self._slices(y), self.transforms)], self.dim)

    def log_abs_det_jacobian(self, x, y):
        from .._functions import stack

        self._check(x, "x")
        self._check(y, "y")
        terms = [t.log_abs_det_jacobian(xs, ys) for xs, ys, t in zip(self._slices(x), self._slices(y), self.transforms)]
        return stack(terms, self.dim)

    @constraints.dependent_property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @constraints.dependent_property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)


class CumulativeDistributionTransform(Transform):
    """A distribution's CDF as a transform onto the unit interval (its
    inverse the ICDF, its log-Jacobian the log-density)."""

    bijective = True
    codomain = constraints.unit_interval
    sign = +1

    def __init__(self, distribution, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)

    def with_cache(self, cache_size=1):
        return self if self._cache_size == cache_size else CumulativeDistributionTransform(self.distribution, cache_size=cache_size)
