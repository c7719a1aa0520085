"""RMSprop (optionally centered, with momentum), fused per parameter."""

from .. import _native
from .optimizer import Optimizer, _zeros


class RMSprop(Optimizer):
    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group, params, grads, states):
        momentum, centered = group["momentum"], group["centered"]
        buffers = []
        for p, state in zip(params, states):
            if not state:
                state["step"] = self._step_tensor()
                state["square_avg"] = _zeros(p)
                if momentum > 0:
                    state["momentum_buffer"] = _zeros(p)
                if centered:
                    state["grad_avg"] = _zeros(p)
            self._advance(state)
            bufs = [state["square_avg"]]
            if momentum > 0:
                bufs.append(state["momentum_buffer"])
            if centered:
                bufs.append(state["grad_avg"])
            buffers.append(bufs)
        _native._rmsprop_step(
            params,
            grads,
            buffers,
            float(group["lr"]),
            float(group["alpha"]),
            float(group["eps"]),
            float(group["weight_decay"]),
            float(momentum),
            bool(centered),
            bool(group["maximize"]),
        )
