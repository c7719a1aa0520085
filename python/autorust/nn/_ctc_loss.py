"""Connectionist temporal classification loss (``F.ctc_loss``).

The forward (alpha) and backward (beta) recursions run on the host in
NumPy, in the input's dtype and in PyTorch's CPU kernel's arithmetic: each
step is ``log(exp(a - m) + exp(b - m) + exp(c - m)) + m + log_prob`` with
``m`` the largest defined term, and a label's collected alpha * beta is
added up over the extended target positions from the last to the first.
The time steps run one after another; the batch rows, the target positions
and (for the collection) the time steps run as NumPy vectors. A GPU tensor
is copied to the host and back (PyTorch's CUDA kernel synchronises too).

The gradient is PyTorch's: ``exp(lp) - exp(log_alpha_beta + nll - lp)``
per time step and label, which is the gradient with respect to the logits
of a log_softmax (exact when ``log_probs`` is normalised, as PyTorch
documents); zero past each input length, and zero for infinite losses
under ``zero_infinity``. It has no derivative of its own, as in PyTorch.

Unlike PyTorch, a target label outside ``[0, C)`` raises instead of
reading out of bounds."""

import numbers

import numpy as np

from .. import _native
from .._dtype import float32, float64, scalar_name

_REDUCTIONS = ("none", "mean", "sum")
_CHECKS = "(while checking arguments for ctc_loss_allocate_outputs)"


def _lengths(value, name):
    """A lengths argument as a 1-D int64 NumPy array."""
    if isinstance(value, _native.Tensor):
        if value.dtype.is_floating_point or value.dtype.is_complex:
            raise RuntimeError(f"{name} must be integral")
        return value.detach().cpu().numpy().astype(np.int64).reshape(-1)
    return np.asarray([int(v) for v in value], dtype=np.int64)


def _check_lengths(values, name, at_most=None):
    for v in values:
        if v < 0:
            raise RuntimeError(f"Expected {name} to have value at least 0, but got value {v} {_CHECKS}")
        if at_most is not None and v > at_most:
            raise RuntimeError(f"Expected {name} to have value at most {at_most}, but got value {v} {_CHECKS}")


def _padded_targets(targets, target_lengths, batch):
    """The targets as a [batch, max_length] int64 array (concatenated 1-D
    targets split by their lengths), checked as PyTorch checks them."""
    if targets.dim() not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.dim()}-dimensional tensor for argument #2 'targets' {_CHECKS}")
    values = targets.detach().cpu().numpy().astype(np.int64)
    longest = int(target_lengths.max()) if batch else 0
    if targets.dim() == 1:
        total = int(target_lengths.sum())
        if values.shape[0] != total:
            raise RuntimeError(
                f"Expected tensor to have size {total} at dimension 0, but got size {values.shape[0]} for argument #2 'targets' {_CHECKS}"
            )
        padded = np.zeros((batch, longest), dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(target_lengths)[:-1]]) if batch else []
        for b, (s, n) in enumerate(zip(starts, target_lengths)):
            padded[b, :n] = values[s : s + n]
        return padded
    if values.shape[0] != batch:
        raise RuntimeError(f"Expected tensor to have size {batch} at dimension 0, but got size {values.shape[0]} for argument #2 'targets' {_CHECKS}")
    if values.shape[1] < longest:
        raise RuntimeError(
            f"Expected tensor to have size at least {longest} at dimension 1, but got size {values.shape[1]} for argument #2 'targets' {_CHECKS}"
        )
    return values


def _extended(targets, target_lengths, blank):
    """The extended targets l' ([batch, 2 * S + 1]: blank, l1, blank, l2,
    ..., blank; blank past each row's length) and, per position, whether
    the step from two positions back is allowed (l'[s - 2] != l'[s])."""
    batch, longest = targets.shape
    ext = np.full((batch, 2 * longest + 1), blank, dtype=np.int64)
    for b, n in enumerate(target_lengths):
        ext[b, 1 : 2 * n : 2] = targets[b, :n]
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
    return ext, skip


def _log_add3(a, b, c, neginf):
    """log(exp(a - m) + exp(b - m) + exp(c - m)) + m as PyTorch's kernel:
    m is a, replaced by b or c where they compare greater, 0 where it is
    -inf."""
    m = np.where(b > a, b, a)
    m = np.where(c > m, c, m)
    m = np.where(m == neginf, 0, m).astype(a.dtype)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m)) + m


def _shifted(rows, by, neginf):
    """rows[:, s - by] for by > 0 (rows[:, s + |by|] for by < 0), -inf where
    that position does not exist."""
    out = np.full_like(rows, neginf)
    if by > 0:
        out[:, by:] = rows[:, :-by]
    else:
        out[:, :by] = rows[:, -by:]
    return out


class _Problem:
    """One batch's CTC problem on the host: lp [T, N, C], the extended
    targets, lengths."""

    def __init__(self, lp, ext, skip, input_lengths, target_lengths):
        self.lp, self.ext, self.skip = lp, ext, skip
        self.il, self.tl = input_lengths, target_lengths
        self.neginf = lp.dtype.type(-np.inf)
        rows = np.arange(lp.shape[1])[:, None]
        # log_probs of each extended position's label: [T, N, 2S + 1]
        self.lp_ext = lp[:, rows, ext]
        positions = np.arange(ext.shape[1])[None, :]
        self.in_target = positions <= 2 * target_lengths[:, None]

    def alpha(self):
        lp, neginf = self.lp_ext, self.neginf
        steps, batch, width = lp.shape
        alpha = np.full((steps, batch, width), neginf, dtype=lp.dtype)
        if steps:
            alpha[0, :, 0] = lp[0, :, 0]
            has_label = self.tl > 0
            if width > 1:
                alpha[0, has_label, 1] = lp[0, has_label, 1]
        for t in range(1, steps):
            prev = alpha[t - 1]
            two_back = np.where(self.skip, _shifted(prev, 2, neginf), neginf)
            alpha[t] = _log_add3(prev, _shifted(prev, 1, neginf), two_back, neginf) + lp[t]
        return alpha

    def nll(self, alpha):
        neginf, batch = self.neginf, self.lp.shape[1]
        out = np.empty(batch, dtype=self.lp.dtype)
        for b in range(batch):
            il, tl = int(self.il[b]), int(self.tl[b])
            if il == 0:
                # no time step: the empty target is certain, others impossible
                out[b] = -0.0 if tl == 0 else np.inf
                continue
            l1 = alpha[il - 1, b, 2 * tl]
            l2 = alpha[il - 1, b, 2 * tl - 1] if tl > 0 else neginf
            m = max(l1, l2)
            m = m.dtype.type(0) if m == neginf else m
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                out[b] = -(np.log(np.exp(l1 - m) + np.exp(l2 - m)) + m)
        return out

    def beta(self):
        lp, neginf = self.lp_ext, self.neginf
        steps, batch, width = lp.shape
        beta = np.full((steps, batch, width), neginf, dtype=lp.dtype)
        rows = np.arange(batch)
        last_blank, last_label = 2 * self.tl, 2 * self.tl - 1
        # the step from two positions ahead: allowed where l'[s + 2] != l'[s]
        ahead = _shifted(self.skip, -2, False)
        below_end = np.arange(width)[None, :] < 2 * self.tl[:, None]
        for t in range(steps - 1, -1, -1):
            start = self.il - 1 == t
            if t + 1 < steps:
                nxt = beta[t + 1]
                one = np.where(below_end, _shifted(nxt, -1, neginf), neginf)
                two = np.where(ahead, _shifted(nxt, -2, neginf), neginf)
                beta[t] = np.where((t < self.il - 1)[:, None], _log_add3(nxt, one, two, neginf) + lp[t], neginf)
            sel = rows[start]
            beta[t, sel, last_blank[sel]] = lp[t, sel, last_blank[sel]]
            sel = rows[start & (self.tl > 0)]
            beta[t, sel, last_label[sel]] = lp[t, sel, last_label[sel]]
        return beta

    def gradient(self, alpha, beta, nll, grad_out, zero_infinity):
        """d loss_b / d lp[t, b, c] for the incoming per-row gradients."""
        lp, neginf = self.lp, self.neginf
        steps, batch, _ = lp.shape
        ab = alpha + beta
        collected = np.full(lp.shape, neginf, dtype=lp.dtype)
        t_idx = np.arange(steps)[:, None]
        b_idx = np.arange(batch)[None, :]
        live = t_idx < self.il[None, :]
        for s in range(self.ext.shape[1] - 1, -1, -1):
            label = self.ext[:, s][None, :].repeat(steps, 0)
            mask = live & self.in_target[:, s][None, :]
            cur = collected[t_idx, b_idx, label]
            new = ab[:, :, s]
            m = np.maximum(cur, new)
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                added = np.log(np.exp(cur - m) + np.exp(new - m)) + m
            # PyTorch's kernel assigns, not adds, the last label's term at the
            # last time step (it assumes that label differs from the blank)
            assign = (cur == neginf) | ((t_idx == self.il[None, :] - 1) & (s == 2 * self.tl - 1)[None, :])
            value = np.where(assign, new, added)
            collected[t_idx, b_idx, label] = np.where(mask, value, cur)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            grad = (np.exp(lp) - np.exp(collected + nll[None, :, None] - lp)) * grad_out[None, :, None]
        grad = np.where(live[:, :, None], grad, 0).astype(lp.dtype)
        if zero_infinity:
            grad[:, np.isinf(nll) & (nll > 0), :] = 0
        return grad


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    from .._creation import tensor
    from .._grad_mode import is_grad_enabled

    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if isinstance(input_lengths, _native.Tensor) != isinstance(target_lengths, _native.Tensor):
        raise TypeError("ctc_loss(): input_lengths and target_lengths must both be tensors or both be tuples of ints")
    batched = log_probs.dim() == 3
    if not batched:
        # (1-D targets then read as the concatenated form, of one row)
        log_probs = log_probs.unsqueeze(1)
    if log_probs.dim() != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.dim()}-dimensional tensor for argument #1 'log_probs' {_CHECKS}")
    if log_probs.dtype not in (float32, float64):
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{scalar_name(log_probs.dtype)}'")
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    steps, batch, classes = log_probs.shape
    if not isinstance(blank, numbers.Integral) or not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    il, tl = _lengths(input_lengths, "input_lengths"), _lengths(target_lengths, "target_lengths")
    if il.shape[0] != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.shape[0] != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    _check_lengths(il, "input_lengths", steps)
    _check_lengths(tl, "target_lengths")
    padded = _padded_targets(targets, tl, batch)
    for b, n in enumerate(tl):
        row = padded[b, :n]
        if row.size and (row.min() < 0 or row.max() >= classes):
            bad = int(row[(row < 0) | (row >= classes)][0])
            raise RuntimeError(f"ctc_loss: target label {bad} is out of range for log_probs with {classes} classes")
    ext, skip = _extended(padded, tl, blank)
    problem = _Problem(log_probs.detach().cpu().numpy(), ext, skip, il, tl)
    alpha = problem.alpha()
    nll_values = problem.nll(alpha)
    nll = tensor(nll_values, dtype=log_probs.dtype, device=log_probs.device)
    if _native._needs_node([log_probs]):
        source = log_probs

        def backward(g):
            grad = problem.gradient(alpha, problem.beta(), nll_values, g.detach().cpu().numpy(), zero_infinity)
            result = tensor(grad, dtype=source.dtype, device=source.device)
            if is_grad_enabled() and _native._needs_node([g, source]):
                # PyTorch's CTC gradient has no derivative: differentiating
                # it again raises, as there
                result = _native._custom_node(result, [g, source], _no_double_backward, "NotImplemented")
            return (result,)

        nll = _native._custom_node(nll, [log_probs], backward, "CtcLossBackward0", saved=[log_probs])
    if zero_infinity:
        nll = _native.where(nll == float("inf"), nll.new_zeros(()), nll)
    if reduction == "mean":
        lengths = tensor(np.maximum(tl, 1), dtype=nll.dtype, device=nll.device)
        return (nll / lengths).mean()
    if reduction == "sum":
        return nll.sum()
    return nll if batched else nll.squeeze(0)


def _no_double_backward(g):
    raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")
