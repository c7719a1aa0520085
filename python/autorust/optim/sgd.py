"""Stochastic gradient descent with momentum, dampening, Nesterov and
weight decay (PyTorch's update rule, fused per parameter)."""

from .. import _native
from .optimizer import Optimizer, _zeros


class SGD(Optimizer):
    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params, grads, states):
        buffers, firsts = None, []
        if group["momentum"] != 0:
            buffers = []
            for g, state in zip(grads, states):
                buf = state.get("momentum_buffer")
                firsts.append(buf is None)
                if buf is None:
                    # the first step copies the gradient in (PyTorch clones
                    # it), so the buffer takes the gradient's layout
                    buf = state["momentum_buffer"] = _zeros(g)
                buffers.append([buf])
        _native._sgd_step(
            params,
            grads,
            buffers,
            firsts,
            float(group["lr"]),
            float(group["momentum"]),
            float(group["dampening"]),
            bool(group["nesterov"]),
            float(group["weight_decay"]),
            bool(group["maximize"]),
        )
