"""Adagrad, fused per parameter; state is created eagerly, as in PyTorch."""

from .. import _native
from .._creation import full_like
from .optimizer import Optimizer


class Adagrad(Optimizer):
    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = self._step_tensor()
                state["sum"] = full_like(p, group["initial_accumulator_value"])

    def _update_group(self, group, params, grads, states):
        buffers, steps = [], []
        for p, state in zip(params, states):
            if not state:  # a parameter added by add_param_group after construction
                state["step"] = self._step_tensor()
                state["sum"] = full_like(p, group["initial_accumulator_value"])
            steps.append(self._advance(state))
            buffers.append([state["sum"]])
        _native._adagrad_step(
            params,
            grads,
            buffers,
            steps,
            float(group["lr"]),
            float(group["lr_decay"]),
            float(group["weight_decay"]),
            float(group["eps"]),
            bool(group["maximize"]),
        )
