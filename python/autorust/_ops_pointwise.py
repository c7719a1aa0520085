"""Pointwise ops PyTorch has beyond the native kernels (log2, sinh, asin,
fmod, hypot, logaddexp, xlogy, addcmul, ...), composed from native ops, so
they run on every device and differentiate through the composition; and the
NaN-skipping reductions. Each becomes a Tensor method and an ``autorust.``
function (``_ops_register``)."""

import math

from . import _native
from ._composite import composite, node
from ._dtype import scalar_name
from ._grad_mode import no_grad
from ._ops_register import inplace_variant, register

Tensor = _native.Tensor


def _as_tensor_like(value, like):
    if isinstance(value, Tensor):
        return value
    from ._creation import tensor

    return tensor(value, dtype=like.dtype if like.is_floating_point() else None, device=like.device)


def _float(x):
    """Integer and bool inputs promote to the default float, as PyTorch's
    float-valued ops do."""
    if x.is_floating_point():
        return x
    from ._dtype import get_default_dtype

    return x.to(get_default_dtype())


@node("Log2Backward0")
def log2(self):
    return _float(self).log() / math.log(2.0)


@node("Log10Backward0")
def log10(self):
    return _float(self).log() / math.log(10.0)


@node("Exp2Backward0")
def exp2(self):
    return 2.0 ** _float(self)


def sinh(self):
    x = _float(self)
    with no_grad():
        value = (x.expm1() - (-x).expm1()) * 0.5
    return _with_gradient(value, x, "SinhBackward0", lambda g: g * x.cosh())


def cosh(self):
    x = _float(self)
    with no_grad():
        value = (x.exp() + (-x).exp()) * 0.5
    return _with_gradient(value, x, "CoshBackward0", lambda g: g * x.sinh())


def asin(self):
    x = _float(self)
    with no_grad():
        value = x.atan2((1 - x * x).sqrt())
    return _with_gradient(value, x, "AsinBackward0", lambda g: g * (-x * x + 1).rsqrt())


def acos(self):
    x = _float(self)
    with no_grad():
        value = (1 - x * x).sqrt().atan2(x)
    return _with_gradient(value, x, "AcosBackward0", lambda g: g * -((-x * x + 1).rsqrt()))


def atan(self):
    x = _float(self)
    with no_grad():
        value = x.atan2(x.new_ones(()))
    # PyTorch's formula, grad / (x * x + 1) (DivBackward0 under create_graph)
    return _with_gradient(value, x, "AtanBackward0", lambda g: g / (x * x + 1))


def _with_gradient(value, x, name, gradient):
    """``value`` (computed unrecorded) as one node over ``x`` named ``name``,
    whose gradient is ``gradient(g)``: PyTorch's derivative formula written
    in autorust ops of ``x``, so it is right at every point (a composite's
    chain rule can fail where a factor is 0 or inf) and differentiates again
    under create_graph."""
    if not _native._needs_node([x]):
        return value
    return _native._custom_node(value, [x], lambda g: (gradient(g),), name, saved=[x])


def asinh(self):
    x = _float(self)
    with no_grad():
        a = x.abs()
        value = x.sign() * (a + (a * a + 1).sqrt()).log()
    # 1 / sqrt(x^2 + 1): 1 at 0, where the sign-times-log form gives 0
    return _with_gradient(value, x, "AsinhBackward0", lambda g: g * (x.pow(2) + 1).rsqrt())


def acosh(self):
    x = _float(self)
    with no_grad():
        value = (x + (x * x - 1).sqrt()).log()
    return _with_gradient(value, x, "AcoshBackward0", lambda g: g * (x.pow(2) - 1).rsqrt())


def atanh(self):
    x = _float(self)
    with no_grad():
        value = (x.log1p() - (-x).log1p()) * 0.5
    return _with_gradient(value, x, "AtanhBackward0", lambda g: g * 1 / (1 - x.pow(2)))


@node("Deg2RadBackward0")
def deg2rad(self):
    return _float(self) * (math.pi / 180.0)


@node("Rad2DegBackward0")
def rad2deg(self):
    return _float(self) * (180.0 / math.pi)


def frac(self):
    """x - trunc(x), one node whose gradient is the incoming one (PyTorch's
    formula; it saves nothing), not a composite's chain through trunc."""
    with no_grad():
        value = self - self.trunc()
    if not _native._needs_node([self]):
        return value
    return _native._custom_node(value, [self], lambda g: (g,), "FracBackward0")


def fmod(self, other):
    """Remainder with the dividend's sign (C's fmod). PyTorch's gradients:
    the incoming gradient itself to self, -grad * trunc(self / other) to
    other, so under create_graph self's gradient is no function of the
    inputs (a composite's chain rule would connect it through trunc)."""
    other_is_input = isinstance(other, Tensor)
    with no_grad():
        # the native kernel: C's fmod, exact (self - trunc(self / other) *
        # other rounds the quotient, off by whole multiples of other past 2^24)
        value = self._fmod(other)
    inputs = [self, other] if other_is_input else [self]
    if not _native._needs_node(inputs):
        return value

    def gradient(g):
        if not other_is_input:
            return (g,)
        return (g, -g * self.div(other, rounding_mode="trunc"))

    # PyTorch saves self and other only for other's gradient: without it
    # the node holds nothing, and a second backward is allowed
    saved = inputs if other_is_input and other.requires_grad else []
    return _native._custom_node(value, inputs, gradient, "FmodBackward1" if other_is_input else "FmodBackward0", saved=saved)


def _promoted(self, other):
    """Both operands in the dtype of the result (the default float for
    integers): PyTorch's kernels convert first, so a float32 operand of a
    float64 hypot is not squared in float32, nor a float64 0-d operand of a
    float32 xlogy given its log in float64."""
    from ._promotion import result_type

    dtype = result_type(self, other)
    x, y = _float(self.to(dtype)), _as_tensor_like(other, self)
    return x, _float(y.to(x.dtype))


def hypot(self, other):
    """sqrt(x^2 + y^2) without overflow or underflow in between, as C's
    hypot; PyTorch's gradients grad * x / result and grad * y / result."""
    for name, t in (("input", self), ("other", other)):
        if not isinstance(t, Tensor):
            raise TypeError(f"hypot(): argument '{name}' must be Tensor, not {type(t).__name__}")
        if not t.is_floating_point():
            raise NotImplementedError(f"\"hypot_cpu\" not implemented for '{scalar_name(t.dtype)}'")
    x, y = _promoted(self, other)
    with no_grad():
        value = _hypot(x, y)
    inputs = [self, other]
    if not _native._needs_node(inputs):
        return value

    def gradient(g):
        # PyTorch's formula divides by the node's own output; under
        # create_graph that is the output re-linked through a fresh node of
        # this kind over the same inputs (the node cannot hold its own
        # output: a cycle through native memory), as autograd.Function does
        h = _native._custom_node(value, inputs, gradient, "HypotBackward0", saved=inputs) if _native.is_grad_enabled() else value
        return (g * x / h, g * y / h)

    return _native._custom_node(value, inputs, gradient, "HypotBackward0", saved=inputs)


def _hypot(x, y):
    if x.dtype.itemsize < 8 and x.device.type == "cpu":
        # float32's squares are exact in float64 and neither overflow nor
        # underflow there (so the rescaled form below is never needed): one
        # rounding at the end, C's hypotf; an infinite side wins over NaN
        xd, yd = x.double(), y.double()
        plain = (xd * xd + yd * yd).sqrt()
        return _native.where(x.isinf() | y.isinf(), math.inf, plain).to(x.dtype)
    ax, ay = x.abs(), y.abs()
    # (squares of x and y themselves: under create_graph this result is
    # differentiated again, and |y| has no curvature at y == 0)
    plain = (x * x + y * y).sqrt()
    # where the squares overflow or underflow, the larger one times the
    # root of 1 + the squared ratio
    big, small = ax.maximum(ay), ax.minimum(ay)
    ratio = small / _native.where(big == 0, 1.0, big)
    scaled = big * (ratio * ratio + 1).sqrt()
    tiny = 1e-150 if x.dtype.itemsize == 8 else 1e-18
    out = _native.where(plain.isfinite() & (plain > tiny), plain, scaled)
    # an infinite side wins over a NaN one, as in C
    return _native.where(ax.isinf() | ay.isinf(), math.inf, out)


def logaddexp(self, other):
    """log(e^x + e^y). PyTorch's gradients, grad / (1 + e^(y - x)) and
    grad / (1 + e^(x - y)): smooth where x == y, where the chain rule
    through the composition's max and |x - y| gave a second derivative of
    0 (PyTorch's and the true one: grad / 4)."""
    return _log_add("LogaddexpBackward0", _logaddexp, lambda d: d.exp(), self, other)


def logaddexp2(self, other):
    """log2(2^x + 2^y), with PyTorch's gradients grad / (1 + 2^(y - x)) and
    grad / (1 + 2^(x - y))."""
    return _log_add("Logaddexp2Backward0", _logaddexp2, lambda d: 2.0**d, self, other)


def _logaddexp(x, y):
    m = x.maximum(y)
    out = m + (-(x - y).abs()).exp().log1p()
    # both -inf (or the same inf): the difference is NaN, the answer is m
    return _native.where(m.isinf() & (x == y), m, out)


def _logaddexp2(x, y):
    m = x.maximum(y)
    out = m + (2.0 ** (-(x - y).abs())).log1p() / math.log(2.0)
    return _native.where(m.isinf() & (x == y), m, out)


def _log_add(name, value_of, power, self, other):
    """logaddexp{,2} as one node: the value in the promoted dtype, the
    gradient to each input grad / (1 + power(the other - it))."""
    x, y = _promoted(self, other)
    with no_grad():
        value = value_of(x, y)
    given = [(t, a, b) for t, a, b in ((self, x, y), (other, y, x)) if isinstance(t, Tensor)]
    inputs = [t for t, _, _ in given]
    if not _native._needs_node(inputs):
        return value

    def gradient(g):
        return tuple(g / (1 + power(b - a)) for _, a, b in given)

    return _native._custom_node(value, inputs, gradient, name, saved=inputs)


def xlogy(self, other):
    """x * log(y), 0 where x == 0 (unless y is NaN). PyTorch's gradients:
    log(y) to x (0 where x == 0 and y <= 0; the product's chain rule gives
    0 wherever x == 0), x / y to y."""
    x_is_input, y_is_input = isinstance(self, Tensor), isinstance(other, Tensor)
    x = self if x_is_input else _as_tensor_like(self, other)
    y = _as_tensor_like(other, x)
    with no_grad():
        value = _xlogy(x, y)
    # a Python number on either side is no input of the node (PyTorch's Scalar overloads)
    name = "XlogyBackward0" if x_is_input and y_is_input else ("XlogyBackward2" if x_is_input else "XlogyBackward1")
    inputs = [t for t, is_input in ((x, x_is_input), (y, y_is_input)) if is_input]
    if not _native._needs_node(inputs):
        return value

    def gradient(g):
        grads = []
        if x_is_input:
            # grad * log(y), 0 where x == 0 and y <= 0: the log in the
            # promoted dtype of grad and y (a float32 y of a float64 xlogy is
            # converted first, as PyTorch's); a product, not xlogy(grad, y),
            # whose zero at grad == 0 would cut the third derivative in y
            from ._promotion import result_type

            log_y = _float(y.to(result_type(g, y))).log()
            grads.append(g * _native.where((x == 0) & (y <= 0), 0.0, log_y))
        if y_is_input:
            grads.append(g * x / y)
        return tuple(grads)

    return _native._custom_node(value, inputs, gradient, name, saved=[x, y])


def _xlogy(self, other):
    x, y = _promoted(self, other)
    out = x * y.log()
    return _native.where((x == 0) & ~y.isnan(), out.new_zeros(()), out)


@node("SgnBackward0")
def sgn(self):
    return self.sign()


@node("LogitBackward0")
def logit(self, eps=None):
    x = _float(self)
    with no_grad():
        z = x if eps is None else x.clamp(eps, 1 - eps)
        value = (z / (1 - z)).log()

    def gradient(g):
        # PyTorch's logit_backward: NaN outside [0, 1] (0 outside [eps, 1 - eps])
        if eps is None:
            # on the poles g * inf whichever sign the zero has: g over a +0
            # denominator (a g * inf branch of a where would put inf * 0 =
            # NaN into the derivative of the unused branch)
            denominator = _native.where((x == 0) | (x == 1), 0.0, x * (1 - x))
            return _native.where((x < 0) | (x > 1), float("nan"), g / denominator)
        d = g / (x * (1 - x))
        return _native.where((x < eps) | (x > 1 - eps), 0.0, d)

    return _with_gradient(value, x, "LogitBackward0", gradient)


def heaviside(self, values):
    values = _as_tensor_like(values, self)
    out = _native.where(self == 0, values.to(self.dtype), (self > 0).to(self.dtype))
    return _native._not_implemented(out, [self, values], "heaviside")


def signbit(self):
    if not self.is_floating_point():
        return self < 0
    # -0.0 has its sign bit set: 1 / -0.0 is -inf
    return (self < 0) | ((self == 0) & ((1.0 / self) < 0))


def copysign(self, other):
    """|self| with other's sign. PyTorch's gradients: grad * result / self to
    self (0 where self is 0), zeros to other; the first stays a function of
    self under create_graph."""
    with no_grad():
        value = _copysign(self, other)
    name = "CopysignBackward0" if isinstance(other, Tensor) else "CopysignBackward1"
    inputs = [self, other] if isinstance(other, Tensor) else [self]
    if not _native._needs_node(inputs):
        return value
    return _native._custom_node(value, inputs, _copysign_gradient(value, inputs, name), name, saved=inputs[:1])


def _copysign_gradient(value, inputs, name):
    """copysign's backward: PyTorch's grad * (result / self), 0 where self
    is 0, and zeros to other. Under create_graph (grad mode on here) the
    result is the one the graph holds (a fresh node over the same inputs:
    no cycle through the output's own node), so the second order reaches
    both inputs as PyTorch's does. (A factory, not a closure naming
    itself: that would be a reference cycle holding the graph.)"""
    x = inputs[0]

    def gradient(g):
        result = (
            _native._custom_node(value, inputs, _copysign_gradient(value, inputs, name), name, saved=inputs[:1])
            if _native.is_grad_enabled()
            else value
        )
        to_self = g * (result / x).masked_fill(x == 0, 0.0)
        if len(inputs) == 2:
            return (to_self, inputs[1].new_zeros(inputs[1].shape))
        return (to_self,)

    return gradient


def _copysign(self, other):
    from ._promotion import result_type

    dtype = result_type(self, other)
    other = _as_tensor_like(other, self)
    x = _float(self)
    if dtype.is_floating_point and x.dtype != dtype:
        x = x.to(dtype)  # the promoted dtype of both, as PyTorch's kernel
    negative = signbit(other)
    return _native.where(negative, -x.abs(), x.abs())


def float_power(self, exponent):
    from ._dtype import float64

    e = exponent.to(float64) if isinstance(exponent, Tensor) else float(exponent)
    if not isinstance(self, Tensor):
        from ._functions import pow

        return pow(float(self), e)
    return self.to(float64) ** e


def sinc(self):
    x = _float(self)
    with no_grad():
        px = x * math.pi
        safe = _native.where(x == 0, x.new_ones(()), px)
        value = _native.where(x == 0, x.new_ones(()), safe.sin() / safe)

    def gradient(g):
        # PyTorch's sinc_backward: 0 where x * x * pi is 0 (x = 0, or its
        # square underflows), so no 0/0 there
        px = x * math.pi
        square = x * x * math.pi
        out = g * (px * px.cos() - px.sin()) / square
        return _native.where(square == 0, 0.0, out)

    return _with_gradient(value, x, "SincBackward0", gradient)


def positive(self):
    return self


def addcmul(self, tensor1, tensor2, *, value=1):
    """self + value * tensor1 * tensor2. PyTorch's gradients: grad to self,
    grad * (tensor2 * value) to tensor1 and grad * (tensor1 * value) to
    tensor2, each product in the other operand's own dtype (a float32
    tensor2 of a float64 addcmul gives tensor1 a float32-rounded factor)."""

    def gradient(g):
        return (g, g * (tensor2 * value), g * (tensor1 * value))

    # (each factor is saved for the other's gradient only, as PyTorch's node)
    saved = [t for t, needed in ((tensor2, tensor1), (tensor1, tensor2)) if needed.requires_grad]
    return _addc("AddcmulBackward0", lambda t1, t2: self + value * t1 * t2, self, tensor1, tensor2, gradient, saved)


def addcdiv(self, tensor1, tensor2, *, value=1):
    """self + value * tensor1 / tensor2, with PyTorch's gradients: grad to
    self, grad * (value / tensor2) to tensor1 and -grad * (value * tensor1 /
    (tensor2 * tensor2)) to tensor2 (in tensor2's own dtype, as addcmul)."""

    def gradient(g):
        # value / tensor2 as PyTorch's Scalar / Tensor: value filled in
        # tensor2's dtype, then divided (correctly rounded; Python's
        # value / tensor2 is tensor2.reciprocal() * value)
        return (g, g * (tensor2.new_full((), value) / tensor2), -g * (value * tensor1 / (tensor2 * tensor2)))

    # (tensor2 is always saved, tensor1 for tensor2's gradient, as PyTorch's node)
    saved = [tensor2] + ([tensor1] if tensor2.requires_grad else [])
    return _addc("AddcdivBackward0", lambda t1, t2: self + value * t1 / t2, self, tensor1, tensor2, gradient, saved)


def _addc(name, combine, self, tensor1, tensor2, gradient, saved):
    """addcmul/addcdiv as one node: the value computed with tensor1 and
    tensor2 in the whole expression's dtype, the gradients PyTorch's
    formulas (``gradient(g)`` for self, tensor1, tensor2), ``saved`` what
    its node saves (freed by a backward without retain_graph)."""
    inputs = [self, tensor1, tensor2]
    with no_grad():
        value = combine(*_in_common_dtype(self, tensor1, tensor2))
    if not _native._needs_node(inputs):
        return value

    def wanted(g):
        # (a forward-AD tangent also goes through the formula: see _loss_formulas._wanted)
        return tuple(grad if t.requires_grad or _native._has_tangent(t) else None for t, grad in zip(inputs, gradient(g)))

    return _native._custom_node(value, inputs, wanted, name, saved=saved)


def _in_common_dtype(self, tensor1, tensor2):
    """tensor1 and tensor2 in the dtype of the whole expression: PyTorch's
    kernel computes in it (float32 operands of a float64 addcmul are not
    multiplied in float32 first)."""
    from ._promotion import common_dtype

    common = common_dtype(self, tensor1, tensor2)
    return tensor1.to(common), tensor2.to(common)


@node("NansumBackward0")
def nansum(self, dim=None, keepdim=False, *, dtype=None):
    x = self if dtype is None else self.to(dtype)
    if x.is_floating_point():
        x = _native.where(x.isnan(), x.new_zeros(()), x)
    return x.sum() if dim is None else x.sum(dim, keepdim=keepdim)


def nanmean(self, dim=None, keepdim=False, *, dtype=None):
    x = self if dtype is None else self.to(dtype)
    if not x.is_floating_point():
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got {x.dtype}")
    kept = (~x.isnan()).to(x.dtype)
    total = nansum(x, dim, keepdim)
    count = kept.sum() if dim is None else kept.sum(dim, keepdim=keepdim)
    return total / count


def std_mean(self, dim=None, *, correction=1, keepdim=False, unbiased=None):
    if not self.dtype.is_floating_point:
        raise NotImplementedError("std_mean only support floating point and complex dtypes")
    if unbiased is not None:
        correction = 1 if unbiased else 0
    deviation = composite("StdMeanBackward0", lambda x: x.std(dim, correction=correction, keepdim=keepdim), self)
    mean = composite("StdMeanBackward0", lambda x: x.mean() if dim is None else x.mean(dim, keepdim=keepdim), self)
    _native._set_output_nr(mean, 1)
    return deviation, mean


def _shift_operands(self, other, kernel):
    other = _as_tensor_like(other, self)
    for x in (self, other):
        if x.is_floating_point():
            from ._dtype import scalar_name

            raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{scalar_name(x.dtype)}'")
    from ._dtype import int64

    return self.to(int64), other.to(int64)


def _two_to_the(k):
    """2**k for int64 k in [0, 63], wrapping as C's shift does (2**63 is -2**63)."""
    p = 2 ** k.clamp(max=62)
    return _native.where(k == 63, p * 2, p)


def bitwise_left_shift(self, other):
    """``self << other``: a wrapping product by 2**other; shifts outside
    [0, 64) give 0, as PyTorch's."""
    a, n = _shift_operands(self, other, "lshift")
    inside = (n >= 0) & (n < 64)
    return _native.where(inside, a * _two_to_the(n.clamp(0, 63)), a * 0)


def bitwise_right_shift(self, other):
    """``self >> other``: floor division by 2**other; shifts outside [0, 63)
    leave the sign (0 or -1), as PyTorch's."""
    a, n = _shift_operands(self, other, "rshift")
    sign = _native.where(a < 0, a * 0 - 1, a * 0)
    return _native.where((n >= 0) & (n < 63), a.div(_two_to_the(n.clamp(0, 62)), rounding_mode="floor"), sign)


FUNCTIONS = [
    log2,
    log10,
    exp2,
    sinh,
    cosh,
    asin,
    acos,
    atan,
    asinh,
    acosh,
    atanh,
    deg2rad,
    rad2deg,
    frac,
    fmod,
    hypot,
    logaddexp,
    logaddexp2,
    xlogy,
    sgn,
    logit,
    heaviside,
    signbit,
    copysign,
    float_power,
    sinc,
    positive,
    addcmul,
    addcdiv,
    nansum,
    nanmean,
    std_mean,
    bitwise_left_shift,
    bitwise_right_shift,
]
ALIASES = {"arcsin": asin, "arccos": acos, "arctan": atan, "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh}
INPLACE = [
    log2,
    log10,
    exp2,
    sinh,
    cosh,
    asin,
    acos,
    atan,
    asinh,
    acosh,
    atanh,
    deg2rad,
    rad2deg,
    frac,
    fmod,
    hypot,
    xlogy,
    sgn,
    logit,
    heaviside,
    copysign,
    float_power,
    sinc,
    addcmul,
    addcdiv,
]

register(FUNCTIONS, ALIASES)
for _fn in INPLACE:
    setattr(Tensor, _fn.__name__ + "_", inplace_variant(_fn))
Tensor.__lshift__ = bitwise_left_shift
Tensor.__rshift__ = bitwise_right_shift
Tensor.__rlshift__ = lambda self, other: bitwise_left_shift(_as_tensor_like(other, self), self)
Tensor.__rrshift__ = lambda self, other: bitwise_right_shift(_as_tensor_like(other, self), self)
Tensor.__ilshift__ = Tensor.bitwise_left_shift_ = inplace_variant(bitwise_left_shift)
Tensor.__irshift__ = Tensor.bitwise_right_shift_ = inplace_variant(bitwise_right_shift)


def _split_ties(a, b, picked):
    """``picked`` where a != b; at a tie the mean of the two (the same
    value), so the gradient splits evenly as PyTorch's does."""
    return _native.where(a == b, (a + b) * 0.5, picked)


def fmax(self, other):
    """The larger, a NaN losing to a number; PyTorch's gradient: to the
    one taken, split evenly at a tie, to self when both are NaN."""
    other = _as_tensor_like(other, self)
    return composite("FmaxBackward0", lambda a, b: _split_ties(a, b, _native.where((a >= b) | b.isnan(), a, b)), self, other)


def fmin(self, other):
    """The smaller, a NaN losing to a number (gradient as fmax's)."""
    other = _as_tensor_like(other, self)
    return composite("FminBackward0", lambda a, b: _split_ties(a, b, _native.where((a <= b) | b.isnan(), a, b)), self, other)


register([fmax, fmin])


def nextafter(self, other):
    """The next float after self towards other (IEEE nextafter, on the
    host); the gradient is 1 to self and 0 to other, as PyTorch's."""
    import numpy as np

    other = _as_tensor_like(other, self)
    if not self.is_floating_point() or self.dtype != other.dtype:
        raise RuntimeError(f"nextafter: expected both inputs to be floating point of the same dtype, got {self.dtype} and {other.dtype}")

    from ._functions import broadcast_tensors

    x, y = broadcast_tensors(self, other)
    values = self.new_tensor(np.nextafter(x.detach().cpu().numpy(), y.detach().cpu().numpy()))
    if not _native._needs_node([self, other]):
        return values

    def backward(g):
        # PyTorch's: the gradient to self except where self == other (the
        # result is other there), zeros to other
        gx = _native.where(x == y, 0.0, g) if self.requires_grad else None
        return gx, (g.new_zeros(g.shape) if other.requires_grad else None)

    return _native._custom_node(values, [self, other], backward, "NextafterBackward0", saved=[self, other])


def ldexp(self, other):
    """self * 2**other, in the default float dtype for integer self."""
    return composite("LdexpBackward0", lambda x, e: _float(x) * (2.0 ** _float(e)), self, other)


register([nextafter, ldexp])
Tensor.nextafter_ = inplace_variant(nextafter)
Tensor.ldexp_ = inplace_variant(ldexp)
