"""Module backward hooks (``register_full_backward_hook`` and
``register_full_backward_pre_hook``), as PyTorch builds them: the module's
tensor inputs and outputs pass through identity nodes of the graph, and the
hooks run when the gradients reach those nodes.

- a pre-hook ``hook(module, grad_output)`` runs when the gradient of the
  module's output arrives and may return a replacement ``grad_output``;
- a hook ``hook(module, grad_input, grad_output)`` runs when the gradients of
  the module's tensor inputs are computed and may return a replacement
  ``grad_input``; when no input requires grad it runs with ``grad_input``
  all None, right after the pre-hooks (PyTorch does the same).

Limits (as documented in the README): with several tensor inputs the hook
runs when the last of their gradients arrives and a replacement applies to
that input only; with several outputs each output's gradient is passed on as
it arrives."""

from ... import _native

Tensor = _native.Tensor

_NODE = "BackwardHookFunctionBackward"


class BackwardHook:
    """The hooks of one module call: wraps its inputs, then its outputs."""

    def __init__(self, module):
        self.module = module
        self.grad_inputs = []
        self.input_slots_waiting = 0
        self.grad_outputs = []

    # ---- inputs ----

    def setup_input_hook(self, args):
        slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.grad_inputs = [None] * len(slots)
        wrapped = list(args)
        for slot, i in enumerate(slots):
            if args[i].requires_grad:
                self.input_slots_waiting += 1
                wrapped[i] = _native._custom_node(args[i], [args[i]], self._input_backward(slot), _NODE)
        return tuple(wrapped)

    def _input_backward(self, slot):
        def backward(grad):
            self.grad_inputs[slot] = grad
            self.input_slots_waiting -= 1
            if self.input_slots_waiting == 0:
                replaced = self._run_hooks(tuple(self.grad_inputs))
                if replaced is not None:
                    grad = replaced[slot]
            return [grad]

        return backward

    # ---- outputs ----

    def setup_output_hook(self, output):
        if isinstance(output, Tensor):
            return self._wrap_outputs([output])[0]
        if isinstance(output, (tuple, list)):
            wrapped = iter(self._wrap_outputs([o for o in output if isinstance(o, Tensor)]))
            return type(output)(next(wrapped) if isinstance(o, Tensor) else o for o in output)
        return output

    def _wrap_outputs(self, tensors):
        self.grad_outputs = [None] * len(tensors)
        return [_native._custom_node(t, [t], self._output_backward(k), _NODE) if t.requires_grad else t for k, t in enumerate(tensors)]

    def _output_backward(self, k):
        def backward(grad):
            self.grad_outputs[k] = grad
            for hook in list(self.module.__dict__.get("_backward_pre_hooks", {}).values()):
                result = hook(self.module, tuple(self.grad_outputs))
                if result is not None:
                    result = (result,) if isinstance(result, Tensor) else tuple(result)
                    if len(result) != len(self.grad_outputs):
                        raise RuntimeError(
                            f"Backward pre hook returned an invalid number of grad_output, got {len(result)}, but expected {len(self.grad_outputs)}"
                        )
                    self.grad_outputs = list(result)
            if self.input_slots_waiting == 0 and self.module._backward_hooks:
                # no input needs a gradient: the hook sees None for each
                import warnings

                warnings.warn(
                    "Full backward hook is firing when gradients are computed with respect to module outputs since no inputs "
                    "require gradients. See https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                    "#torch.nn.Module.register_full_backward_hook for more details.",
                    stacklevel=2,
                )
                self._run_hooks(tuple(self.grad_inputs))
            return [self.grad_outputs[k]]

        return backward

    def _run_hooks(self, grad_input):
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, tuple(self.grad_outputs))
            if result is not None:
                result = (result,) if isinstance(result, Tensor) else tuple(result)
                if len(result) != len(grad_input):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(result)}, but expected {len(grad_input)}")
                grad_input = result
                self.grad_inputs = list(result)
        return grad_input if self.module._backward_hooks else None
