"""The activation functions of ``nn.functional``. Where PyTorch has a fused
op, the result is one node with that op's grad_fn name (a native kernel,
or a composite that PyTorch's graph shows as one node)."""

import math

from .. import _native
from .._composite import composite, composite_maybe_inplace
from .._dtype import scalar_name
from .._legacy import finfo

Tensor = _native.Tensor


def relu(input, inplace=False):
    if inplace:
        return input.relu_()
    return input.relu()


def relu_(input):
    return input.relu_()


def _fused(input, inplace, name, inplace_name, composed, kind, *params, link=None):
    """A fused activation (one native op, ``Tensor._activation``) for float
    tensors; ``composed``, the same function in basic ops, for the others
    (PyTorch's dtype behaviour). In place, written back as PyTorch's in-place
    variant (node ``inplace_name``)."""
    if not input.is_floating_point():
        return composite_maybe_inplace(input, inplace, name, composed, link=link, inplace_name=inplace_name)
    if inplace:
        return composite_maybe_inplace(input, True, name, lambda x: x._activation(kind, *params), inplace_name=inplace_name)
    return input._activation(kind, *params)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _fused(
        input,
        inplace,
        "LeakyReluBackward0",
        "LeakyReluBackward1",
        lambda x: _native.where(x > 0, x, x * negative_slope),
        "leaky_relu",
        float(negative_slope),
        link=("LeakyReluBackwardBackward0", (0,)),
    )


def gelu(input, approximate="none"):
    if approximate == "tanh":

        def f(x):
            inner = (x + 0.044715 * x.pow(3)) * math.sqrt(2.0 / math.pi)
            return 0.5 * x * (1.0 + inner.tanh())
    elif approximate == "none":

        def f(x):
            return x * 0.5 * (1.0 + (x * (1.0 / math.sqrt(2.0))).erf())
    else:
        raise RuntimeError("approximate argument must be either none or tanh.")
    if input.is_floating_point():
        return input._activation("gelu_tanh" if approximate == "tanh" else "gelu")
    return composite("GeluBackward0", f, input)


def silu(input, inplace=False):
    return _fused(input, inplace, "SiluBackward0", "SiluBackward0", lambda x: x * x.sigmoid(), "silu")


def softplus(input, beta=1.0, threshold=20.0):
    if input.is_floating_point():
        return input._activation("softplus", float(beta), float(threshold))

    def f(t):
        x = t * beta
        # linear above the threshold, as in PyTorch
        return _native.where(x > threshold, t, x._softplus() / beta)

    return composite("SoftplusBackward0", f, input)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return input.log_softmax(dim, dtype=dtype)


def _elu_negative(x, alpha, curve):
    """The negative side of the ELU family; at exactly 0 the straight line of
    the same slope, so that (as PyTorch's elu double backward, which tests
    x < 0) the second derivative there is 0 while the first is the curve's."""
    return _native.where(x < 0, curve, alpha * x)


def elu(input, alpha=1.0, inplace=False):
    return _fused(
        input,
        inplace,
        "EluBackward0",
        "EluBackward1",
        lambda x: _native.where(x > 0, x, _elu_negative(x, alpha, alpha * x.expm1())),
        "elu",
        float(alpha),
        1.0,
        1.0,
    )


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return composite_maybe_inplace(input, inplace, "HardtanhBackward0", lambda x: x.clamp(min_val, max_val), link=("HardtanhBackwardBackward0", (0,)))


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input):
    if input.is_floating_point():
        return input._activation("logsigmoid")
    return composite("LogSigmoidBackward0", lambda x: -(-x)._softplus(), input)


def selu(input, inplace=False):
    alpha, scale = 1.6732632423543772, 1.0507009873554805

    return _fused(
        input,
        inplace,
        "EluBackward0",
        "EluBackward1",
        lambda x: scale * _native.where(x > 0, x, _elu_negative(x, alpha, alpha * x.expm1())),
        "elu",
        alpha,
        scale,
        1.0,
    )


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")

    return _fused(
        input,
        inplace,
        "CeluBackward0",
        "CeluBackward1",
        lambda x: _native.where(x > 0, x, _elu_negative(x, 1.0, alpha * (x / alpha).expm1())),
        "celu",
        float(alpha),
        1.0,
        1.0 / alpha,
    )


def softsign(input):
    return input / (1 + input.abs())


def hardsigmoid(input, inplace=False):
    # PyTorch cannot differentiate hardsigmoid's backward: the next order
    # raises (the native op links its gradient the same way)

    return _fused(input, inplace, "HardsigmoidBackward0", None, _hardsigmoid, "hardsigmoid", link=("NotImplemented:hardsigmoid_backward", (0,)))


# PyTorch's hardsigmoid backward multiplies by the float literal 1.0f / 6.0f,
# in every dtype: float64 gradients carry float32's 1/6
_ONE_SIXTH_F32 = float(__import__("numpy").float32(1.0 / 6.0))


def _hardsigmoid(x):
    exact = (x + 3) / 6
    sloped = x * _ONE_SIXTH_F32  # the gradient's slope
    return (sloped + (exact - sloped).detach()).clamp(0.0, 1.0)


def hardswish(input, inplace=False):
    # piecewise, for PyTorch's gradient on the joins: the outer pieces own
    # x = -3 (gradient 0) and x = 3 (gradient 1)

    return _fused(
        input, inplace, "HardswishBackward0", None, lambda x: _native.where(x <= -3, x * 0, _native.where(x >= 3, x, x * (x + 3) / 6)), "hardswish"
    )


def mish(input, inplace=False):

    return _fused(input, inplace, "MishBackward0", None, lambda x: x * softplus(x).tanh(), "mish")


def tanhshrink(input):
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    if not input.is_floating_point():
        raise NotImplementedError(f"\"softshrink_check\" not implemented for '{scalar_name(input.dtype)}'")
    top = finfo(input.dtype).max
    if not 0 <= lambd <= top:
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {scalar_name(input.dtype)}, but found {lambd:g}")

    # zero on [-lambd, lambd] as a constant (its gradient is 0, not grad * 0:
    # an inf gradient stays out), and a NaN input takes the outer pieces'
    # gradient, as PyTorch's shrink_backward (the fused kernel's formulas)
    def inside(x):
        return (x >= -lambd) & (x <= lambd)

    def shrink(x):
        return _native.where(inside(x), 0.0, _native.where(x > lambd, x - lambd, x + lambd))

    return _fused(input, False, "SoftshrinkBackward0", None, shrink, "softshrink", float(lambd), link=("SoftshrinkBackwardBackward0", (0,)))


def hardshrink(input, lambd=0.5):
    # as softshrink: a constant zero inside, NaN passed through with its gradient
    if input.is_floating_point() and abs(lambd) > finfo(input.dtype).max:
        raise RuntimeError(f"value cannot be converted to type {'float' if input.dtype.itemsize == 4 else 'double'} without overflow")

    def shrink(x):
        return _native.where((x >= -lambd) & (x <= lambd), 0.0, x)

    return _fused(input, False, "HardshrinkBackward0", None, shrink, "hardshrink", float(lambd), link=("HardshrinkBackwardBackward0", (0,)))


def threshold(input, threshold, value, inplace=False):
    return composite_maybe_inplace(
        input,
        inplace,
        "ThresholdBackward0",
        lambda x: _native.where(x <= threshold, value, x),
        link=("ThresholdBackwardBackward0", (0,)),
        inplace_name="ThresholdBackward1",
    )


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size {input.shape[dim]}")

    def f(x):
        a, b = x.chunk(2, dim)
        return a * b.sigmoid()

    return composite("GluBackward0", f, input)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return (-input).softmax(dim, dtype=dtype)


def prelu(input, weight):
    # PyTorch's prelu reshapes the weight to [1, C, 1, ...] (a view in the
    # graph) for inputs of 2 or more dims, then runs its kernel
    if input.dim() >= 2:
        weight = weight.reshape((1, weight.numel()) + (1,) * (input.dim() - 2))
    return composite(
        "PreluKernelBackward0", lambda x, w: _native.where(x > 0, x, w * x), input, weight, link=("PreluKernelBackwardBackward0", (0, 1))
    )


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if training:
        from .._creation import rand_like

        slope = rand_like(input) * (upper - lower) + lower
    else:
        slope = (lower + upper) / 2
    # PyTorch's rrelu takes the slope at 0 too (its gradient there is the
    # slope, not 1), and its gradient stays connected to the input under
    # create_graph (rrelu_with_noise_backward has a derivative)
    return composite_maybe_inplace(
        input,
        inplace,
        "RreluWithNoiseBackward0",
        lambda x: _native.where(x > 0, x, x * slope),
        link=("RreluWithNoiseBackwardBackward0", (0,)),
        inplace_name="RreluWithNoiseBackward1",
    )


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    from .._creation import rand_like

    g = -(-(rand_like(logits).clamp(min=1e-20)).log()).log()
    y = ((logits + g) / tau).softmax(dim)
    if not hard:
        return y
    index = y.argmax(dim, keepdim=True)
    y_hard = y.new_zeros(*y.shape).scatter(dim, index, 1.0)
    return y_hard - y.detach() + y
