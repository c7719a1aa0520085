"""``autorust.testing``: ``assert_close`` with PyTorch's default tolerances
per dtype, its checks (shape, device, dtype, optional strides) and its
failure messages (mismatched elements, greatest absolute and relative
difference with their indices); ``make_tensor`` with PyTorch's default
ranges and draws; the deprecated ``assert_allclose``."""

import builtins
import cmath
import collections.abc
import math
import numbers
import warnings

import numpy as np

from .. import _native
from .._dtype import float32, float64

Tensor = _native.Tensor

__all__ = ["assert_allclose", "assert_close", "make_tensor"]

# (rtol, atol) by dtype name; integers and bools compare exactly
_DEFAULT_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _tolerances(*dtypes):
    pairs = [_DEFAULT_TOLERANCES.get(str(d).rsplit(".", 1)[-1], (0.0, 0.0)) for d in dtypes]
    return max(r for r, _ in pairs), max(a for _, a in pairs)


class _Mismatch(Exception):
    def __init__(self, kind, msg):
        super().__init__(msg)
        self.kind, self.msg = kind, msg


def _is_tensor_like(v):
    return isinstance(v, (Tensor, np.ndarray))


def _as_tensor(v):
    from .._creation import as_tensor

    return v if isinstance(v, Tensor) else as_tensor(v)


def _index(flat, shape):
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _diff_line(kind, diff, idx, tol):
    line = f"{kind.title()} difference: {diff}" if idx is None else f"Greatest {kind} difference: {diff} at index {idx}"
    return line + (f" (up to {tol} allowed)" if tol > 0 else "") + "\n"


def _mismatch_msg(identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equal = rtol == 0 and atol == 0
    msg = f"{identifier} are not {'equal' if equal else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += _diff_line("absolute", abs_diff, abs_idx, atol)
    msg += _diff_line("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_stride):
    if tuple(actual.shape) != tuple(expected.shape):
        raise _Mismatch(AssertionError, f"The values for attribute 'shape' do not match: {actual.shape} != {expected.shape}.")
    if check_device and actual.device != expected.device:
        raise _Mismatch(AssertionError, f"The values for attribute 'device' do not match: {actual.device} != {expected.device}.")
    if check_dtype and actual.dtype != expected.dtype:
        raise _Mismatch(AssertionError, f"The values for attribute 'dtype' do not match: {actual.dtype} != {expected.dtype}.")
    if check_stride and actual.stride() != expected.stride():
        raise _Mismatch(AssertionError, f"The values for attribute 'stride()' do not match: {actual.stride()} != {expected.stride()}.")
    if rtol is None:
        rtol, atol = _tolerances(actual.dtype, expected.dtype)
    a = actual.detach().cpu().numpy()
    e = expected.detach().cpu().numpy()
    common = np.result_type(a, e)
    a, e = a.astype(common), e.astype(common)
    with np.errstate(invalid="ignore", over="ignore"):
        if a.dtype.kind in "fc":
            matches = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan) | (a == e)
        else:
            matches = a == e
    if matches.all():
        return
    if actual.dim() == 0:
        # PyTorch reports a 0-d pair as scalars (their Python values)
        x, y = a.item(), e.item()
        abs_scalar = abs(x - y)
        rel_scalar = math.inf if y == 0 else abs_scalar / abs(y)
        raise _Mismatch(AssertionError, _mismatch_msg("Scalars", f"Expected {y} but got {x}.", abs_scalar, None, atol, rel_scalar, None, rtol))
    if a.dtype.kind not in "fc":
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(a - e).reshape(-1)
        abs_diff[matches.reshape(-1)] = 0
        # integer differences divide in the default float dtype, as PyTorch's
        denominator = np.abs(e.reshape(-1))
        rel_diff = abs_diff / denominator if a.dtype.kind in "fc" else abs_diff.astype(np.float32) / denominator.astype(np.float32)
        rel_diff[matches.reshape(-1)] = 0
    abs_at = int(np.nanargmax(abs_diff)) if not np.isnan(abs_diff).all() else 0
    rel_at = int(np.nanargmax(rel_diff)) if not np.isnan(rel_diff).all() else 0
    # a NaN difference is the greatest (torch.max propagates it)
    if np.isnan(abs_diff).any():
        abs_at = int(np.argmax(np.isnan(abs_diff)))
    if np.isnan(rel_diff).any():
        rel_at = int(np.argmax(np.isnan(rel_diff)))
    total, bad = matches.size, int(matches.size - matches.sum())
    extra = f"Mismatched elements: {bad} / {total} ({bad / total:.1%})"
    raise _Mismatch(
        AssertionError,
        _mismatch_msg(
            "Tensor-likes",
            extra,
            abs_diff[abs_at].item(),
            _index(abs_at, matches.shape),
            atol,
            rel_diff[rel_at].item(),
            _index(rel_at, matches.shape),
            rtol,
        ),
    )


def _compare_scalars(actual, expected, rtol, atol, equal_nan):
    if rtol is None:
        exact = isinstance(actual, numbers.Integral) and isinstance(expected, numbers.Integral)
        rtol, atol = (0.0, 0.0) if exact else _tolerances(float64)
    if actual == expected or (equal_nan and cmath.isnan(actual) and cmath.isnan(expected)):
        return
    abs_diff = abs(actual - expected)
    if abs_diff <= atol + rtol * abs(expected):
        return
    rel_diff = math.inf if expected == 0 else abs_diff / abs(expected)
    raise _Mismatch(AssertionError, _mismatch_msg("Scalars", f"Expected {expected} but got {actual}.", abs_diff, None, atol, rel_diff, None, rtol))


def _compare(actual, expected, path, options):
    try:
        if _is_tensor_like(actual) and _is_tensor_like(expected):
            if isinstance(actual, Tensor) != isinstance(expected, Tensor):
                raise _Mismatch(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")
            _compare_tensors(
                _as_tensor(actual),
                _as_tensor(expected),
                options["rtol"],
                options["atol"],
                options["equal_nan"],
                options["check_device"],
                options["check_dtype"],
                options["check_stride"],
            )
            return
        scalars = (numbers.Number,)
        if isinstance(actual, scalars) and isinstance(expected, scalars) and not isinstance(actual, Tensor):
            if (
                type(actual) is not type(expected)
                and options["check_dtype"]
                and not (
                    isinstance(actual, builtins.bool) == isinstance(expected, builtins.bool)
                    and isinstance(actual, numbers.Integral) == isinstance(expected, numbers.Integral)
                    and isinstance(actual, float) == isinstance(expected, float)
                )
            ):
                raise _Mismatch(AssertionError, f"The values for attribute 'dtype' do not match: {type(actual)} != {type(expected)}.")
            _compare_scalars(actual, expected, options["rtol"], options["atol"], options["equal_nan"])
            return
    except _Mismatch as m:
        where = "".join(f"[{p!r}]" for p in path)
        raise _Mismatch(m.kind, m.msg + (f"\n\nThe failure occurred for item {where}" if path else "")) from None
    seqs = (collections.abc.Sequence,)
    if isinstance(actual, seqs) and isinstance(expected, seqs) and not isinstance(actual, str) and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), options)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            missing, extra = sorted(set(expected) - set(actual), key=repr), sorted(set(actual) - set(expected), key=repr)
            raise _Mismatch(
                AssertionError,
                f"The keys of the mappings do not match:\nMissing keys in the actual mapping: {missing}\nAdditional keys in the actual mapping: {extra}",
            )
        for key in expected:
            _compare(actual[key], expected[key], path + (key,), options)
        return
    if actual is None and expected is None:
        return
    raise _Mismatch(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses=True,
    rtol=None,
    atol=None,
    equal_nan=False,
    check_device=True,
    check_dtype=True,
    check_layout=True,
    check_stride=False,
    msg=None,
):
    """Raises AssertionError unless every element satisfies
    |actual - expected| <= atol + rtol * |expected| (PyTorch's defaults:
    float32 1.3e-6 and 1e-5, float64 1e-7 and 1e-7, exact for integers)."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {'rtol' if rtol is None else 'atol'}.")
    options = {
        "allow_subclasses": allow_subclasses,
        "rtol": rtol,
        "atol": atol,
        "equal_nan": equal_nan,
        "check_device": check_device,
        "check_dtype": check_dtype,
        "check_stride": check_stride,
    }
    try:
        _compare(actual, expected, (), options)
    except _Mismatch as m:
        text = m.msg
        if msg is not None:
            text = msg(text) if callable(msg) else msg
        raise m.kind(text) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    warnings.warn(
        "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future release. Please use `torch.testing.assert_close()` instead. You can find detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning,
        stacklevel=2,
    )
    if not isinstance(actual, Tensor):
        actual = _as_tensor(actual)
    if not isinstance(expected, Tensor):
        expected = _as_tensor(expected).to(actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _tolerances(actual.dtype, expected.dtype)
    assert_close(
        actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True, check_dtype=False, check_stride=False, msg=msg or None
    )


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False, noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of the given shape drawn as PyTorch's make_tensor draws it:
    floats uniform in [low, high) (default [-9, 9)), integers from randint
    (default [-9, 10)), bools from randint(0, 2)."""
    from .._creation import empty, randint
    from .._dtype import bool_

    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    shape = tuple(shape)
    # a non-contiguous result: every other element of a draw twice as wide
    # (PyTorch's layout and draws)
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = shape[:-1] + (shape[-1] * 2,)
    if dtype == bool_:
        result = randint(0, 2, shape, device=device).to(bool_)
    elif dtype.is_floating_point:
        lo = -9.0 if low is None else low
        hi = 9.0 if high is None else high
        if lo > hi:
            raise ValueError(f"`low` must be less than or equal to `high`, but got {lo} and {hi}")
        result = empty(shape, dtype=dtype, device=device).uniform_(lo, hi)
    else:
        lo = -9 if low is None else math.ceil(low)
        hi = 10 if high is None else math.ceil(high)
        if dtype.is_signed is False:
            lo = max(lo, 0)
        result = randint(lo, hi, shape, device=device, dtype=dtype)
    if noncontiguous:
        result = result[..., 1::2]
    if exclude_zero:
        replacement = 1 if not dtype.is_floating_point else float(np.finfo(np.float32 if dtype == float32 else np.float64).tiny)
        result = result.masked_fill(result == 0, replacement)
    if requires_grad and dtype.is_floating_point:
        result.requires_grad_(True)
    return result
