"""``torch.nn.grad``: the gradients of a convolution with respect to its
input and to its weight, given the gradient of its output. A convolution is
linear in each of the two, so each is the backward of the same convolution
run on zeros in place of the other operand's role; the result is
differentiable (in weight and grad_output, or input and grad_output) when
grad mode is on and they require grad."""

from .. import autograd
from .._creation import zeros
from .._grad_mode import enable_grad, is_grad_enabled
from . import functional as F

# conv3d_input/conv3d_weight join when F.conv3d exists
__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight"]


def _backward(name, conv, size, operand, grad_output, wrt_input, stride, padding, dilation, groups):
    size = tuple(size)
    placeholder = zeros(size, dtype=operand.dtype, device=operand.device, requires_grad=True)
    keep_graph = is_grad_enabled() and (operand.requires_grad or grad_output.requires_grad)
    with enable_grad():
        x, w = (placeholder, operand) if wrt_input else (operand, placeholder)
        out = conv(x, w, None, stride, padding, dilation, groups)
        if tuple(out.shape) != tuple(grad_output.shape):
            raise RuntimeError(
                f"{name}: grad_output has shape {list(grad_output.shape)}, but the convolution's output for these sizes has shape {list(out.shape)}"
            )
        (g,) = autograd.grad(out, placeholder, grad_output, create_graph=keep_graph)
    return g


def _input_fn(name, conv):
    def grad_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
        return _backward(name, conv, input_size, weight, grad_output, True, stride, padding, dilation, groups)

    grad_input.__name__ = grad_input.__qualname__ = name
    grad_input.__doc__ = f"The gradient of ``{conv.__name__}`` with respect to an input of size ``input_size``."
    return grad_input


def _weight_fn(name, conv):
    def grad_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
        return _backward(name, conv, weight_size, input, grad_output, False, stride, padding, dilation, groups)

    grad_weight.__name__ = grad_weight.__qualname__ = name
    grad_weight.__doc__ = f"The gradient of ``{conv.__name__}`` with respect to a weight of size ``weight_size``."
    return grad_weight


conv1d_input = _input_fn("conv1d_input", F.conv1d)
conv1d_weight = _weight_fn("conv1d_weight", F.conv1d)
conv2d_input = _input_fn("conv2d_input", F.conv2d)
conv2d_weight = _weight_fn("conv2d_weight", F.conv2d)
