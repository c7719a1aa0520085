"""``optim.Optimizer``: parameter groups, per-parameter state, state dicts.
Subclasses implement ``_update_group(group, params, grads, states)`` with
one fused native call per parameter group."""

import copy
from collections import defaultdict

from .. import _native
from .._creation import tensor, zeros_like
from .._dtype import float32
from .._grad_mode import enable_grad
from ..nn.modules.module import zero_grads

Tensor = _native.Tensor


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, but got " + _type_name(params))
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)
        if param_group.get("differentiable", self.defaults.get("differentiable")):
            # The updates run outside autograd (fused native kernels, or
            # tensor ops under no_grad): accepting the flag would hand back a
            # step that silently has no gradient.
            raise NotImplementedError(
                f"{type(self).__name__}(differentiable=True) is not supported by autorust: its step is not recorded for autograd"
            )
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _type_name(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    # ---- stepping ----

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        # The fused updates run natively and record nothing, so no no_grad
        # block is needed around them (it is the hot loop of training).
        state = self.state
        for group in self.param_groups:
            params, grads, states = [], [], []
            for p in group["params"]:
                grad = p.grad
                if grad is not None:
                    params.append(p)
                    grads.append(grad)
                    states.append(state[p])
            if params:
                self._update_group(group, params, grads, states)
        return loss

    def _update_group(self, group, params, grads, states):
        """Updates `params` (those of `group` with a gradient) in place."""
        raise NotImplementedError

    @staticmethod
    def _step_tensor():
        return tensor(0.0, dtype=float32)

    @staticmethod
    def _advance(state):
        """Increments the state's step counter; returns the new step as a float."""
        step = state["step"]
        step.add_(1)
        return float(step)

    # ---- state dicts ----

    def state_dict(self):
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                if id(p) not in index:
                    index[id(p)] = len(index)
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: v for p, v in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        state_dict = copy.deepcopy(_shallow_tensors(state_dict))
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        id_map = {old: p for g, s in zip(groups, saved_groups) for old, p in zip(s["params"], g["params"])}
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {
                    key: (val.to(p.dtype) if isinstance(val, Tensor) and key != "step" and val.is_floating_point() else val) for key, val in v.items()
                }
            else:
                state[k] = v
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s = dict(s)
            s["params"] = g["params"]
            new_groups.append(s)
        self.__setstate__({"state": state, "param_groups": new_groups})


def _shallow_tensors(obj):
    """Copies containers (not tensors) so deepcopy clones each tensor once."""
    if isinstance(obj, dict):
        return {k: _shallow_tensors(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_shallow_tensors(v) for v in obj]
    return obj


def _type_name(x):
    if isinstance(x, Tensor):
        return "autorust." + {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor", "bool": "BoolTensor"}[x.dtype._name]
    return type(x).__name__


def _zeros(p):
    return zeros_like(p)
