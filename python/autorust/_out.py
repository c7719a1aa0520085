"""The ``out=`` argument of ``autorust.<function>``, as PyTorch honours it.

The result is computed as usual and written into ``out``, which is
returned (the same object): an ``out`` of another shape is resized (with
PyTorch's deprecation warning unless it was empty), the result is cast to
``out``'s dtype when PyTorch allows that cast (and refused otherwise), and
``out=`` is refused under autograd: a write into ``out`` cannot be
differentiated. Functions that take tuples of results take a tuple of
``out`` tensors.
"""

import functools
import warnings

from . import _native
from ._dtype import scalar_name

Tensor = _native.Tensor

# The functions PyTorch 2.15 gives an ``out=`` argument to (probed against
# real torch; those autorust provides). Elsewhere ``out=`` is a TypeError,
# as in PyTorch.
OUT_FUNCTIONS = frozenset(
    """
abs absolute acos acosh add addbmm addcdiv addcmul addmm addmv addr all amax amin aminmax any arange
arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argsort asin asinh atan atan2 atanh
baddbmm bernoulli bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor
bmm bucketize cat ceil cholesky clamp clamp_max clamp_min clip column_stack concat concatenate copysign
cos cosh cross cummax cummin cumprod cumsum deg2rad diag diff div divide dot dstack empty eq erf exp
exp2 expm1 eye fix float_power floor floor_divide fmod frac full gather ge ger greater gt heaviside histc
hstack hypot index_select inner inverse isneginf isposinf kron kthvalue le lerp less linspace log log10
log1p log2 log_softmax logaddexp logaddexp2 logspace logcumsumexp logical_and logical_not logical_or logical_xor
logit logsumexp lt masked_select matmul matrix_power max maximum mean median min minimum mm mode msort
mul multinomial multiply mv nan_to_num nanmean nanmedian nanquantile nansum narrow_copy ne neg negative
nonzero norm normal ones outer pow prod qr quantile rad2deg rand randint randn randperm reciprocal
remainder renorm round row_stack rsqrt scatter searchsorted sgn sigmoid sign signbit sin sinc sinh
softmax sort sqrt square stack std std_mean sub subtract sum svd take take_along_dim tan tanh tensordot
topk tril triu true_divide trunc var var_mean vdot vstack where xlogy zeros
""".split()
)


def _can_cast(src, dst):
    """PyTorch's can_cast for autorust's dtypes: no float to integer or
    bool, no integer to bool."""
    rank = {"bool": 0, "int64": 1, "float32": 2, "float64": 2}
    return rank[src._name] <= rank[dst._name]


def write_out(name, result, out, inputs=()):
    """Writes `result` into `out` as PyTorch's out= variants do; returns `out`."""
    if isinstance(out, (tuple, list)):
        if not isinstance(result, tuple) or len(out) != len(result):
            raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(result) if isinstance(result, tuple) else 1} Tensors")
        written = [write_out(name, r, o, inputs) for r, o in zip(result, out)]
        return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    from ._grad_mode import is_grad_enabled, no_grad

    if is_grad_enabled() and (
        out.requires_grad or (isinstance(result, Tensor) and result.requires_grad) or any(isinstance(t, Tensor) and t.requires_grad for t in inputs)
    ):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, but one of the arguments requires grad."
        )
    if not isinstance(result, Tensor):
        from ._creation import tensor

        result = tensor(result)
    if out.device != result.device:
        raise RuntimeError(f"Expected out tensor to have device {result.device}, but got {out.device} instead")
    if not _can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {scalar_name(result.dtype)} can't be cast to the desired output type {scalar_name(out.dtype)}")
    if tuple(out.shape) != tuple(result.shape):
        if out.numel() != 0:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape {list(out.shape)}, which does not match the required output shape "
                f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch release outputs will not be resized unless they have zero "
                "elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
                UserWarning,
                stacklevel=3,
            )
        out.resize_(*result.shape)
    with no_grad():
        out.copy_(result)
    return out


def with_out(name, fn):
    """`fn` with PyTorch's keyword-only ``out=``."""

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        return write_out(name, result, out, args + tuple(kwargs.values()))

    return wrapper
