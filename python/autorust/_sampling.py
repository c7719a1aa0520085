"""Sampling functions beyond rand/randn/randint: ``normal``, ``bernoulli``,
``multinomial``, ``poisson``. They draw from autorust's own generator
(``manual_seed`` repeats them); the draws are made on the CPU stream and the
result lands on the input's device."""

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
        out = randn(*size, generator=generator, dtype=dtype, device=device) * std + mean
    else:
        like = mean if tm else std
        shape = broadcast_shapes(*(t.shape for t in (mean, std) if isinstance(t, Tensor)))
        if ts and bool((std < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        out = randn(*shape, generator=generator, dtype=like.dtype, device=like.device) * std + mean
        out = out.detach()
    return out.requires_grad_(True) if requires_grad else out


def bernoulli(self, p=None, *, generator=None):
    """1 with probability p (the input's values, or the number p), else 0,
    in the input's dtype."""
    from ._creation import rand

    probs = self if p is None else p
    if isinstance(probs, Tensor) and probs.numel() and bool(((probs < 0) | (probs > 1)).any()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
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
    u = rand(rows.shape[0], num_samples if replacement else n_cat, generator=generator, dtype=None).numpy().astype(np.float64)
    if replacement:
        cdf = np.cumsum(rows, 1)
        cdf /= cdf[:, -1:]
        picks = np.stack([np.minimum(np.searchsorted(c, r, side="right"), n_cat - 1) for c, r in zip(cdf, u)])
    else:
        # exponential races: the categories with the smallest -log(u)/w come first
        with np.errstate(divide="ignore"):
            keys = -np.log(np.maximum(u, 1e-300)) / rows
        picks = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    picks = picks.reshape(-1) if w.ndim == 1 else picks
    return tensor(picks.astype(np.int64), device=self.device)


def poisson(self, generator=None):
    """Poisson counts with the input's rates (inversion by sequential search)."""
    from ._creation import rand, tensor

    lam = self.detach().cpu().numpy().astype(np.float64)
    if (lam < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    out = np.zeros(lam.shape)
    flat_l, flat_o = lam.reshape(-1), out.reshape(-1)
    for i, l in enumerate(flat_l):
        # count unit-rate exponential arrivals before time l (sums of -log u)
        t, k = 0.0, 0
        while True:
            t += -np.log(max(rand(1, generator=generator).item(), 1e-300))
            if t > l:
                break
            k += 1
        flat_o[i] = k
    return tensor(out, dtype=self.dtype, device=self.device)


register([bernoulli, multinomial, poisson])
register([normal], methods=False)


def _fill_from(self, values):
    self.copy_(values.to(self.dtype))
    return self


def random_(self, from_=0, to=None, *, generator=None):
    """Integers uniform in [from, to) (to defaults to 2^mantissa for floats, as PyTorch)."""
    from ._creation import randint

    if to is None:
        if from_:  # random_(to)
            from_, to = 0, from_
        elif self.is_floating_point():  # every integer the mantissa holds exactly
            to = 2 ** 24 + 1 if self.dtype.itemsize == 4 else 2 ** 53 + 1
        else:
            to = 2 ** 63 - 1
    return _fill_from(self, randint(from_, to, tuple(self.shape), generator=generator, device=self.device))


def exponential_(self, lambd=1.0, *, generator=None):
    from ._creation import rand

    u = rand(*self.shape, generator=generator, dtype=self.dtype, device=self.device)
    return _fill_from(self, -(1 - u).log() / lambd)


def geometric_(self, p, *, generator=None):
    from ._creation import rand

    u = rand(*self.shape, generator=generator, dtype=self.dtype, device=self.device)
    return _fill_from(self, ((1 - u).log() / np.log1p(-p)).ceil().clamp(min=1))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    from ._creation import randn

    return _fill_from(self, (randn(*self.shape, generator=generator, dtype=self.dtype, device=self.device) * std + mean).exp())


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    import math

    from ._creation import rand

    u = rand(*self.shape, generator=generator, dtype=self.dtype, device=self.device)
    return _fill_from(self, median + sigma * ((u - 0.5) * math.pi).tan())


for _fn in (random_, exponential_, geometric_, log_normal_, cauchy_):
    setattr(Tensor, _fn.__name__, _fn)
