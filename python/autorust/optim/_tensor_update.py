"""Optimizers whose updates are written with tensor ops (under no_grad)
following PyTorch's single-tensor algorithms step for step, rather than as
fused native kernels (those are SGD, Adam/AdamW, RMSprop and Adagrad, the
training-loop workhorses): Adadelta, Adamax, ASGD, NAdam, RAdam and Rprop."""

import math

from .._creation import full_like, tensor, zeros_like
from .._grad_mode import no_grad
from .optimizer import Optimizer


class _TensorUpdate(Optimizer):
    def _init_state(self, group, p, state):
        raise NotImplementedError

    def _update(self, group, p, grad, state):
        raise NotImplementedError

    def _update_group(self, group, params, grads, states):
        with no_grad():
            for p, g, state in zip(params, grads, states):
                if not state:
                    state["step"] = self._step_tensor()
                    self._init_state(group, p, state)
                if group.get("maximize"):
                    g = -g
                self._update(group, p, g, state)


def _weight_decay(group, p, grad):
    """Decoupled (scales p, as AdamW) or coupled (adds wd * p to the gradient)."""
    lr, wd = group["lr"], group["weight_decay"]
    if wd and group["decoupled_weight_decay"]:
        p.mul_(1 - lr * wd)
    elif wd:
        grad = grad.add(p, alpha=wd)
    return grad


def _check(lr=0.0, eps=0.0, weight_decay=0.0):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adadelta(_TensorUpdate):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False, maximize=False, differentiable=False):
        _check(lr, eps, weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        super().__init__(
            params,
            dict(
                lr=lr,
                rho=rho,
                eps=eps,
                weight_decay=weight_decay,
                maximize=maximize,
                foreach=foreach,
                capturable=capturable,
                differentiable=differentiable,
            ),
        )

    def _init_state(self, group, p, state):
        state["square_avg"] = zeros_like(p)
        state["acc_delta"] = zeros_like(p)

    def _update(self, group, p, grad, state):
        self._advance(state)
        rho, eps, lr, wd = group["rho"], group["eps"], group["lr"], group["weight_decay"]
        if wd:
            grad = grad.add(p, alpha=wd)
        sq, acc = state["square_avg"], state["acc_delta"]
        sq.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        std = sq.add(eps).sqrt()
        delta = acc.add(eps).sqrt().div(std).mul(grad)
        acc.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        p.add_(delta, alpha=-lr)


class Adamax(_TensorUpdate):
    def __init__(
        self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *, maximize=False, differentiable=False, capturable=False
    ):
        _check(lr, eps, weight_decay)
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                foreach=foreach,
                maximize=maximize,
                differentiable=differentiable,
                capturable=capturable,
            ),
        )

    def _init_state(self, group, p, state):
        state["exp_avg"] = zeros_like(p)
        state["exp_inf"] = zeros_like(p)

    def _update(self, group, p, grad, state):
        step = self._advance(state)
        (b1, b2), eps, lr, wd = group["betas"], group["eps"], group["lr"], group["weight_decay"]
        if wd:
            grad = grad.add(p, alpha=wd)
        state["exp_avg"].lerp_(grad, 1 - b1)
        # the infinity norm: max(beta2 * u, |g| + eps)
        inf = state["exp_inf"]
        inf.copy_(inf.mul(b2).maximum(grad.abs().add(eps)))
        p.addcdiv_(state["exp_avg"], inf, value=-lr / (1 - b1**step))


class NAdam(_TensorUpdate):
    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        _check(lr, eps, weight_decay)
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                momentum_decay=momentum_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                foreach=foreach,
                maximize=maximize,
                capturable=capturable,
                differentiable=differentiable,
            ),
        )

    def _init_state(self, group, p, state):
        state["mu_product"] = tensor(1.0)
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    def _update(self, group, p, grad, state):
        step = self._advance(state)
        (b1, b2), eps, lr, md = group["betas"], group["eps"], group["lr"], group["momentum_decay"]
        bc2 = 1 - b2**step
        grad = _weight_decay(group, p, grad)
        mu = b1 * (1.0 - 0.5 * 0.96 ** (step * md))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * md))
        state["mu_product"].mul_(mu)
        mu_product = float(state["mu_product"])
        state["exp_avg"].lerp_(grad, 1 - b1)
        state["exp_avg_sq"].mul_(b2).addcmul_(grad, grad, value=1 - b2)
        denom = state["exp_avg_sq"].div(bc2).sqrt().add(eps)
        p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
        p.addcdiv_(state["exp_avg"], denom, value=-lr * mu_next / (1.0 - mu_product * mu_next))


class RAdam(_TensorUpdate):
    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        _check(lr, eps, weight_decay)
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                foreach=foreach,
                maximize=maximize,
                capturable=capturable,
                differentiable=differentiable,
            ),
        )

    def _init_state(self, group, p, state):
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    def _update(self, group, p, grad, state):
        step = self._advance(state)
        (b1, b2), eps, lr = group["betas"], group["eps"], group["lr"]
        grad = _weight_decay(group, p, grad)
        state["exp_avg"].lerp_(grad, 1 - b1)
        state["exp_avg_sq"].mul_(b2).addcmul_(grad, grad, value=1 - b2)
        bc1, bc2 = 1 - b1**step, 1 - b2**step
        corrected = state["exp_avg"] / bc1
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * step * (b2**step) / bc2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(bc2) / state["exp_avg_sq"].sqrt().add(eps)
            p.add_(corrected * lr * adaptive * rect, alpha=-1.0)
        else:
            p.add_(corrected * lr, alpha=-1.0)


class Rprop(_TensorUpdate):
    def __init__(
        self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None, maximize=False, differentiable=False
    ):
        _check(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(
            params,
            dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize, differentiable=differentiable, capturable=capturable),
        )

    def _init_state(self, group, p, state):
        state["prev"] = zeros_like(p)
        state["step_size"] = full_like(p, group["lr"])

    def _update(self, group, p, grad, state):
        from .. import where

        self._advance(state)
        (eta_minus, eta_plus), (lo, hi) = group["etas"], group["step_sizes"]
        s = grad.mul(state["prev"]).sign()
        # the factors in the parameter's dtype (a float32 1.2 would drift a float64 run)
        factor = where(s > 0, s.new_tensor(eta_plus), where(s < 0, s.new_tensor(eta_minus), s.new_tensor(1.0)))
        state["step_size"].mul_(factor).clamp_(lo, hi)
        grad = where(factor == eta_minus, grad.new_tensor(0.0), grad)
        p.addcmul_(grad.sign(), state["step_size"], value=-1)
        state["prev"].copy_(grad)


class ASGD(_TensorUpdate):
    """Averaged SGD: plain SGD with a decaying step (``eta``) and weight
    decay ``lambd``, keeping the running average of the iterates in
    ``state["ax"]`` (averaging starts after ``t0`` steps)."""

    def __init__(
        self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False, differentiable=False, capturable=False
    ):
        _check(lr, 0.0, weight_decay)
        super().__init__(
            params,
            dict(
                lr=lr,
                lambd=lambd,
                alpha=alpha,
                t0=t0,
                weight_decay=weight_decay,
                foreach=foreach,
                maximize=maximize,
                differentiable=differentiable,
                capturable=capturable,
            ),
        )

    def _init_state(self, group, p, state):
        # eta and mu are float32 0-d tensors as PyTorch's (their .item() rounds there)
        state["eta"] = tensor(float(group["lr"]))
        state["mu"] = tensor(1.0)
        state["ax"] = zeros_like(p)

    def _update(self, group, p, grad, state):
        step = self._advance(state)
        lr, lambd, alpha, t0, wd = group["lr"], group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
        if wd:
            grad = grad.add(p, alpha=wd)
        eta, mu = state["eta"].item(), state["mu"].item()
        p.mul_(1 - lambd * eta)
        p.add_(grad, alpha=-eta)
        if mu != 1:
            state["ax"].add_(p.sub(state["ax"]).mul_(mu))
        else:
            state["ax"].copy_(p)
        state["eta"].fill_(lr / ((1 + lambd * lr * step) ** alpha))
        state["mu"].fill_(1 / max(1, step - t0))
