"""Sampling functions beyond rand/randn/randint: ``normal``, ``bernoulli``,
``multinomial``, ``poisson``. They draw from autorust's own generator
(``manual_seed`` repeats them); the draws are made on the CPU stream and the
result lands on the input's device."""

import math

import numpy as np

from . import _native
from ._ops_register import register

Tensor = _native.Tensor


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """``normal(mean, std)`` with tensors (broadcast) or numbers and ``size``."""
    from ._creation import randn
    from ._functions import broadcast_shapes

    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal() with float mean and std needs a size")
        from ._creation import _normal_draws

        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        out = _normal_draws(tuple(size), dtype, mean, std, generator)
        if device is not None:
            out = out.to(device)
    else:
        like = mean if tm else std
        shape = broadcast_shapes(*(t.shape for t in (mean, std) if isinstance(t, Tensor)))
        if ts and bool((std < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        out = randn(*shape, generator=generator, dtype=like.dtype, device=like.device) * std + mean
        out = out.detach()
    return out.requires_grad_(True) if requires_grad else out


def bernoulli_scalar(shape, p, dtype, device, generator=None):
    """1 with probability p (a number), else 0: what PyTorch's CPU
    ``bernoulli_(p)`` draws (one 53-bit uniform per element, 1 where it is
    below p), so dropout masks repeat PyTorch's under the same seed.
    (PyTorch switches to MKL's stream on Intel CPUs; its masks then differ.)
    For a GPU tensor the mask is drawn the same way and moved there, so a
    model trains to the same numbers on both devices (as all of autorust's
    draws: they come from the CPU stream)."""
    from ._creation import rand
    from ._dtype import float64

    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return (rand(*shape, generator=generator, dtype=float64) < p).to(dtype=dtype, device=device)


def bernoulli(self, p=None, *, generator=None):
    """1 with probability p (the input's values, or the number p), else 0,
    in the input's dtype."""
    from ._creation import rand

    if p is not None and not isinstance(p, Tensor):
        return bernoulli_scalar(tuple(self.shape), float(p), self.dtype, self.device, generator)
    probs = self if p is None else p
    if isinstance(probs, Tensor) and probs.numel() and bool(((probs < 0) | (probs > 1)).any()):
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)"
        )
    u = rand(*self.shape, generator=generator, dtype=self.dtype if self.is_floating_point() else None, device=self.device)
    return (u < probs).to(self.dtype)


def multinomial(self, num_samples, replacement=False, *, generator=None):
    """Indices drawn by the rows' weights (1-D or 2-D input)."""
    from ._creation import rand, tensor

    w = self.detach().cpu().numpy().astype(np.float64)
    rows = w.reshape(1, -1) if w.ndim == 1 else w
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    n_cat = rows.shape[1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not replacement or num_samples == 1:
        # PyTorch's route (also for one sample with replacement): the top
        # num_samples of p / q with q ~ Exp(1) drawn in the input's shape
        q = self / self.new_empty(self.shape).exponential_(1.0, generator=generator)
        picks = q.argmax(-1, keepdim=True) if num_samples == 1 else q.topk(num_samples).indices
        return picks.to(device=self.device)
    from ._dtype import float64

    # one 53-bit uniform per sample, row by row, found in the normalised
    # cumulative weights (the first category whose total reaches it)
    u = rand(rows.shape[0], num_samples, generator=generator, dtype=float64).numpy()
    cdf = np.cumsum(rows, 1)
    cdf /= cdf[:, -1:]
    picks = np.stack([np.minimum(np.searchsorted(c, r, side="left"), n_cat - 1) for c, r in zip(cdf, u)])
    picks = picks.reshape(-1) if w.ndim == 1 else picks
    return tensor(picks.astype(np.int64), device=self.device)


def poisson(self, generator=None):
    """Poisson counts with the input's rates, drawn as PyTorch's CPU kernel
    draws them (element by element, from 53-bit uniforms): the product of
    uniforms below 10, Hoermann's transformed rejection from 10 on."""
    from ._creation import tensor

    lam = self.detach().cpu().numpy().astype(np.float64)
    if (lam < 0).any() or np.isnan(lam).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")

    def uniform():
        return _uniform64((1,), generator).item()

    out = np.array([_sample_poisson(float(rate), uniform) for rate in lam.reshape(-1)], dtype=np.float64).reshape(lam.shape)
    return tensor(out, dtype=self.dtype, device=self.device)


def _sample_poisson(lam, uniform):
    if lam >= 10:
        # transformed rejection (Hoermann, 1993), PyTorch's constants
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) if v > 0 else -math.inf) + math.log(invalpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - math.lgamma(k + 1.0):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= uniform()
        if prod > enlam:
            x += 1
        else:
            return x


def _binomial_draw(count, prob, uniform):
    """One Binomial(count, prob) draw: geometric waiting times (in trials)
    summed while they fit in ``count``; prob above 1/2 counts failures."""
    if count <= 0 or prob <= 0:
        return 0.0
    if prob >= 1:
        return float(count)
    if prob > 0.5:
        return count - _binomial_draw(count, 1.0 - prob, uniform)
    log_q = math.log1p(-prob)
    total, successes = 0.0, 0.0
    while True:
        total += math.ceil(math.log(uniform()) / log_q)
        if total > count:
            return successes
        successes += 1


def binomial(count, prob, generator=None):
    """Binomial(count, prob) draws, one per element in order, from 53-bit
    uniforms by counting geometric waiting times: PyTorch's CPU method
    (and draws) where count * min(prob, 1 - prob) < 10; above that PyTorch
    switches to a transformed-rejection sampler, whose draws these are not
    (the distribution is the same)."""
    from ._creation import tensor
    from ._functions import broadcast_tensors

    c, p = broadcast_tensors(count.detach(), prob.detach())
    counts = c.cpu().numpy().astype(np.float64).reshape(-1)
    probs = p.cpu().numpy().astype(np.float64).reshape(-1)
    if (probs < 0).any() or (probs > 1).any() or np.isnan(probs).any():
        raise RuntimeError("binomial: probabilities must be in [0, 1]")

    def uniform():
        return _uniform64((1,), generator).item()

    out = [_binomial_draw(float(n), float(q), uniform) for n, q in zip(counts, probs)]
    return tensor(out, dtype=prob.dtype, device=prob.device).reshape(tuple(c.shape))


register([bernoulli, multinomial, poisson])
register([binomial], methods=False)
register([normal], methods=False)


def _fill(self, draw, node, op):
    """`self` filled with `draw(shape)`, in PyTorch's memory order, as the
    graph node `node`."""
    from ._tensor_methods import _fill_with_draws

    return _fill_with_draws(self, lambda shape: draw(shape).to(self.dtype), node, op)


def _uniform64(shape, generator):
    from ._creation import rand
    from ._dtype import float64

    return rand(*shape, generator=generator, dtype=float64)


def random_(self, from_=0, to=None, *, generator=None):
    """Integers uniform in [from, to) (to defaults to 2^mantissa for floats, as PyTorch)."""
    from ._creation import randint

    node = "RandomBackward0"  # random_(from, to)
    if to is None:
        if from_:  # random_(to)
            from_, to = 0, from_
            node = "RandomBackward1"
        elif self.is_floating_point():  # every integer the mantissa holds exactly
            to = 2**24 + 1 if self.dtype.itemsize == 4 else 2**53 + 1
            node = "RandomBackward2"
        else:
            to = 2**63 - 1
            node = "RandomBackward2"
    return _fill(self, lambda shape: randint(from_, to, shape, generator=generator, device=self.device), node, "random_")


def exponential_(self, lambd=1.0, *, generator=None):
    """-log(1 - u) / lambd from 53-bit uniforms, in float64 and then rounded
    to the tensor's dtype, as PyTorch's CPU kernel (same values per seed)."""
    return _fill(self, lambda shape: (-(-_uniform64(shape, generator)).log1p()) * (1.0 / lambd), "ExponentialBackward0", "exponential_")


def geometric_(self, p, *, generator=None):
    """ceil(log(u) / log(1 - p)) from 53-bit uniforms in float64 (PyTorch's CPU draws)."""
    return _fill(self, lambda shape: (_uniform64(shape, generator).log() / np.log1p(-p)).ceil(), "GeometricBackward0", "geometric_")


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """exp of a float64 normal, rounded to the tensor's dtype (PyTorch's CPU draws)."""
    from ._creation import _normal_draws
    from ._dtype import float64

    # one double-precision normal(mean, std) per element, then exp
    return _fill(self, lambda shape: _normal_draws(shape, float64, mean, std, generator, contiguous=False).exp(), "LogNormalBackward0", "log_normal_")


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """median + sigma tan(pi (u - 1/2)) from 53-bit uniforms in float64 (PyTorch's CPU draws)."""
    import math

    return _fill(self, lambda shape: median + sigma * ((_uniform64(shape, generator) - 0.5) * math.pi).tan(), "CauchyBackward0", "cauchy_")


def bernoulli_(self, p=0.5, *, generator=None):
    from ._tensor_methods import _fill_in_graph

    if isinstance(p, Tensor):
        _native._check_inplace(self)
        return _fill_in_graph(self, bernoulli(self, p, generator=generator), "BernoulliBackward1", "bernoulli_", (p,))
    return _fill(self, lambda shape: bernoulli_scalar(shape, p, self.dtype, self.device, generator), "BernoulliBackward2", "bernoulli_")


for _fn in (random_, exponential_, geometric_, log_normal_, cauchy_, bernoulli_):
    setattr(Tensor, _fn.__name__, _fn)
