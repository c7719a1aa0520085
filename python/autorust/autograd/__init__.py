"""``autorust.autograd``: backward, grad, and the grad-mode helpers."""

from .. import _native
from .._grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401
from . import function, functional  # noqa: F401
from .anomaly_mode import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .function import Function, FunctionCtx, once_differentiable  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401


def Variable(data, requires_grad=False, volatile=False):
    """The pre-0.4 wrapper: a Variable is a Tensor now (as in PyTorch)."""
    if not isinstance(data, _native.Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    return data.requires_grad_(requires_grad) if requires_grad else data


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    if grad_tensors is None:
        grad_tensors = grad_variables
    _native.backward(tensors, grad_tensors, retain_graph, create_graph, inputs)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    single = isinstance(inputs, _native.Tensor)
    if is_grads_batched:
        out = _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads)
    else:
        out = _native.grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads)
    return out if not single else (out[0],)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads):
    """``is_grads_batched``: each grad_output has a leading batch dim; the
    result is the gradient for each batch entry, stacked (one pass per entry:
    PyTorch vmaps the backward, the values are the same)."""
    from .._functions import stack

    outs = [outputs] if isinstance(outputs, _native.Tensor) else list(outputs)
    if grad_outputs is None:
        raise RuntimeError("autograd.grad: is_grads_batched=True needs grad_outputs with a leading batch dimension")
    gos = [grad_outputs] if isinstance(grad_outputs, _native.Tensor) else list(grad_outputs)
    if len(gos) != len(outs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs: got {len(gos)} grad_outputs for {len(outs)} outputs")
    sizes = {g.shape[0] for g in gos if g is not None and g.dim() > 0}
    if len(sizes) != 1 or any(g is not None and g.dim() == 0 for g in gos):
        raise RuntimeError("autograd.grad: with is_grads_batched=True every grad_output must have the same leading (batch) dimension")
    (size,) = sizes
    keep = create_graph if retain_graph is None else retain_graph
    per_entry = []
    for i in range(size):
        last = i == size - 1
        per_entry.append(
            _native.grad(
                outs, inputs, [None if g is None else g[i] for g in gos], keep if last else True, create_graph, allow_unused, materialize_grads
            )
        )
    return tuple(None if all(r[k] is None for r in per_entry) else stack([r[k] for r in per_entry]) for k in range(len(per_entry[0])))


Node = _native.Node
from . import _node_hooks, _node_types, _tensor_identity, forward_ad, graph  # noqa: E402,F401  (grad_fn objects typed by name, their hooks and saved tensors, .grad one object, as PyTorch)
