"""Shader conformance: every entry point of shaders/*.wgsl, run through
wgpu-py on the adapter the crate would use, against NumPy.

No crate is involved: each case packs the parameter block the way the
shader's header comment documents it, so a shader edit is checked without a
rebuild, and a disagreement between a shader and its Rust caller shows up as
a failure here or in test_gpu.py, whichever side moved. Inputs are strided
and broadcast views wherever the kernel takes strides.

Tolerances: ops WGSL computes exactly (arithmetic, comparisons, rounding,
integer ops, copies) are compared bitwise or at 1 ulp; transcendental ones
at the accuracy WGSL requires of them (sin/cos: 2^-11 absolute), so the
suite holds on any conforming GPU, not only lavapipe.
"""

import math

import numpy as np
import pytest
from wgsl_runner import SHADER_DIR, WgslRunner, bits, elem_strides, entry_points, families, fold

F32, I32, U32 = np.float32, np.int32, np.uint32
rng = np.random.default_rng(7)


@pytest.fixture(scope="module")
def gpu():
    return WgslRunner()


CASES = {}


def case(family, *entries):
    """Registers a check for the given entry points of one shader family."""

    def register(fn):
        for e in entries:
            CASES[(family, e)] = fn
        return fn

    return register


def ew_params(n, shape, off_a, st_a, off_b, st_b, s0=0, s1=0):
    return [n, len(shape), off_a, off_b, s0, s1, *shape, *st_a, *st_b]


# ---------------------------------------------------------------- copy


@case("copy", "copy_strided")
def check_copy_strided(gpu, entry):
    src = np.arange(60, dtype=U32)
    view = src[2:50].reshape(4, 12)[:, ::3].T  # (4, 4) with strides (3, 12)
    off, st = elem_strides(view, src)
    # into a transposed destination at offset 5
    dst = np.full(30, 7, dtype=U32)
    dview = dst[5:21].reshape(4, 4).T
    doff, dst_st = elem_strides(dview, dst)
    out = gpu.run("copy", entry, [view.size, 2, off, doff, *view.shape, *st, *dst_st], {1: src, 2: dst}, threads=view.size)[2]
    expect = dst.copy()
    expect[5:21].reshape(4, 4).T[...] = view
    np.testing.assert_array_equal(out, expect)


@case("copy", "cast_f32_i32", "cast_i32_f32", "cast_bool_f32", "cast_f32_bool", "cast_i32_bool")
def check_casts(gpu, entry):
    floats = np.array([-2.7, -0.5, 0.0, -0.0, 0.5, 3.9, 1e5, np.nan, -7.0], dtype=F32)
    ints = np.array([-5, 0, 1, 2**24 + 1, -(2**31), 7, 0, 3, 123456], dtype=I32)
    bools = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1], dtype=U32)
    src, expect = {
        "cast_f32_i32": (floats[:7], np.trunc(floats[:7]).astype(I32)),  # NaN to int is unspecified
        "cast_i32_f32": (ints, ints.astype(F32)),
        "cast_bool_f32": (bools, bools.astype(F32)),
        "cast_f32_bool": (floats, (floats != 0).astype(U32)),  # NaN is True, as bool(nan)
        "cast_i32_bool": (ints, (ints != 0).astype(U32)),
    }[entry]
    out = gpu.run("copy", entry, [src.size], {1: src.view(U32), 2: np.zeros(src.size, expect.dtype)}, threads=src.size)[2]
    np.testing.assert_array_equal(out, expect)


@case("copy", "fill")
def check_fill(gpu, entry):
    out = gpu.run("copy", entry, [300, bits(-1.25)], {2: np.zeros(310, F32)}, threads=300)[2]
    np.testing.assert_array_equal(out[:300], np.full(300, -1.25, F32))
    np.testing.assert_array_equal(out[300:], 0)


# ------------------------------------------------------- float elementwise

UNARY = {
    # entry: (reference, low, high, rtol, atol)
    "neg_f32": (np.negative, -3, 3, 0, 0),
    "abs_f32": (np.abs, -3, 3, 0, 0),
    "sign_f32": (np.sign, -3, 3, 0, 0),
    "exp_f32": (np.exp, -4, 4, 5e-7, 0),
    "log_f32": (np.log, 0.05, 6, 5e-7, 0),
    "log1p_f32": (np.log1p, -0.9, 3, 5e-7, 0),
    "expm1_f32": (np.expm1, -3, 3, 5e-7, 0),
    "sqrt_f32": (np.sqrt, 0, 9, 1e-6, 0),
    "rsqrt_f32": (lambda x: 1 / np.sqrt(x), 0.1, 9, 2e-6, 0),
    "sin_f32": (np.sin, -3, 3, 5e-7, 0),
    "cos_f32": (np.cos, -3, 3, 5e-7, 0),
    "tan_f32": (np.tan, -1.2, 1.2, 5e-7, 0),
    "tanh_f32": (np.tanh, -6, 6, 5e-7, 0),
    "sigmoid_f32": (lambda x: 1 / (1 + np.exp(-x)), -8, 8, 5e-7, 0),
    "relu_f32": (lambda x: np.maximum(x, 0), -3, 3, 0, 0),
    "reciprocal_f32": (np.reciprocal, 0.2, 5, 1e-6, 0),
    "floor_f32": (np.floor, -3, 3, 0, 0),
    "ceil_f32": (np.ceil, -3, 3, 0, 0),
    "round_f32": (np.rint, -3, 3, 0, 0),  # half to even, as torch.round
    "trunc_f32": (np.trunc, -3, 3, 0, 0),
    "erf_f32": (np.vectorize(math.erf), -3, 3, 5e-7, 0),
    "softplus_f32": (lambda x: np.logaddexp(0, x), -20, 20, 5e-7, 0),
}


@case("elementwise", *UNARY)
def check_unary(gpu, entry):
    ref, lo, hi, rtol, atol = UNARY[entry]
    base = rng.uniform(lo, hi, 40).astype(F32)
    if entry in ("floor_f32", "ceil_f32", "round_f32", "trunc_f32"):
        base[:8] = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.0, 2.0]
    if entry in ("log1p_f32", "expm1_f32"):
        base[3:6] = [1e-5, -3e-5, 0.0]  # the series branch near zero
    if entry in ("sign_f32", "relu_f32", "abs_f32", "neg_f32"):
        base[3] = 0.0
    view = base[3:27].reshape(4, 6).T
    off, st = elem_strides(view, base)
    n = view.size
    out = gpu.run("elementwise", entry, ew_params(n, view.shape, off, st, 0, st), {1: base, 3: np.zeros(n, F32)}, threads=n)[3]
    expect = ref(view.astype(np.float64)).astype(F32).ravel()
    np.testing.assert_allclose(out, expect, rtol=rtol, atol=atol)


# Arguments where the result is small against the argument or its error
# (log near 1, log1p, expm1, tanh and softplus of small values, tan near its
# poles, sin near multiples of pi, erf near 0, exp of large arguments): a builtin with Vulkan's absolute error
# bounds (NVIDIA's, measured on an H200: tan 1e-4, softplus 2e-3 relative
# error) fails these; shaders/lib/accurate_math.wgsl holds them to a few ulp.
HARD_ARGUMENTS = {
    "exp_f32": [-20.0, -87.0, 88.5, 1e-7, 0.34, -0.35, 10.0, 50.0, -50.0, 0.0],
    "expm1_f32": [1e-3, -1e-3, 1e-7, 0.3, -0.34, 0.35, 5.0, -5.0, -20.0, 1e-20],
    "tanh_f32": [1e-3, -1e-4, 0.01, 0.5, 1e-20, 5.0, -9.0, 0.3, 20.0, -0.2],
    "sigmoid_f32": [-20.0, -50.0, -87.0, 20.0, 0.0, 1e-3, 5.0, -5.0, 10.0, -10.0],
    "log_f32": [1 + 2**-20, 1 - 2**-20, 1.001, 0.999, 0.5, 2.0, 1.7, 0.6, 1e-30, 3e7],
    "log1p_f32": [1e-7, -1e-7, 1e-3, -1e-3, 0.3, -0.4, -0.5, 1.0, 1.5e-5, 40.0],
    "sin_f32": [3.14159274, 6.28318548, -3.1415925, 100.0, 1000.0, 12345.6, 1e-6, 1.5707964, 0.7853982, 2.3561945],
    "cos_f32": [1.57079637, 4.71238899, -1.5707963, 100.0, 1000.0, 12345.6, 1e-6, 3.1415927, 0.7853982, 2.3561945],
    "tan_f32": [1.5707, 1.569, -1.5703, 4.7123, 100.0, 1000.0, 1e-6, 0.7853982, 3.1415927, -2.3561945],
    "softplus_f32": [-16.8, -10.0, -30.0, -87.0, -1e-3, 1e-3, 15.0, 30.0, -5.0, 0.0],
    "erf_f32": [1e-3, -1e-4, 0.3, -0.49, 0.51, 1e-20, 2.0, -0.01, 0.1, 4.0],
}


@case("elementwise", *HARD_ARGUMENTS)
def check_hard_arguments(gpu, entry):
    check_unary(gpu, entry)
    ref = UNARY[entry][0]
    x = np.array(HARD_ARGUMENTS[entry], F32)
    out = run_scalar_op(gpu, entry, x)
    expect = ref(x.astype(np.float64)).astype(F32)
    np.testing.assert_allclose(out, expect, rtol=1e-6, atol=0, err_msg=f"{entry} at {x}")


@case("elementwise", "relu_f32")
def check_relu_nan(gpu, entry):
    check_unary(gpu, entry)
    x = np.array([np.nan, -1, 2], F32)
    out = gpu.run("elementwise", entry, ew_params(3, [3], 0, [1], 0, [1]), {1: x, 3: np.zeros(3, F32)}, threads=3)[3]
    assert np.isnan(out[0]) and out[1] == 0 and out[2] == 2


def run_scalar_op(gpu, entry, x, s0=0, s1=0):
    n = x.size
    return gpu.run("elementwise", entry, ew_params(n, [n], 0, [1], 0, [1], s0, s1), {1: x, 3: np.zeros(n, F32)}, threads=n)[3]


def torch_pow(x, y):
    """PyTorch's float32 pow, edge cases included."""
    with np.errstate(all="ignore"):
        return np.power(np.asarray(x, np.float64), np.asarray(y, np.float64)).astype(F32)


@case("elementwise", "pow_scalar_f32")
def check_pow_scalar(gpu, entry):
    x = np.array([-2.0, -1.5, 0.0, 0.5, 1.0, 2.5, 3.0, -0.25], F32)
    for p in (2.0, 3.0, -1.0, -2.0, 0.0, 1.0):
        np.testing.assert_allclose(run_scalar_op(gpu, entry, x, bits(p)), torch_pow(x, p), rtol=1e-6)
    xpos = np.array([0.0, 0.5, 1.0, 2.5, 9.0], F32)
    for p in (0.5, 2.5, -0.5, 1.7):
        np.testing.assert_allclose(run_scalar_op(gpu, entry, xpos, bits(p)), torch_pow(xpos, p), rtol=3e-6)
    # negative bases: integral exponents keep the sign, others are NaN
    neg = np.array([-2.0, -3.0], F32)
    np.testing.assert_allclose(run_scalar_op(gpu, entry, neg, bits(4.0)), [16.0, 81.0], rtol=3e-6)
    assert np.isnan(run_scalar_op(gpu, entry, neg, bits(0.5))).all()


@case("elementwise", "rpow_scalar_f32")
def check_rpow_scalar(gpu, entry):
    x = np.linspace(-3, 3, 13).astype(F32)
    for base in (2.0, 0.5, 10.0):
        np.testing.assert_allclose(run_scalar_op(gpu, entry, x, bits(base)), torch_pow(base, x), rtol=3e-6)


@case("elementwise", "clamp_f32")
def check_clamp(gpu, entry):
    none = 0x7FC00001  # the shaders' "no bound" NaN pattern
    x = np.array([-3, -1, -0.5, 0, 0.5, 1, 3, np.nan], F32)
    for lo, hi in ((-1.0, 1.0), (None, 0.5), (-0.5, None), (2.0, 1.0)):
        out = run_scalar_op(gpu, entry, x, none if lo is None else bits(lo), none if hi is None else bits(hi))
        expect = x.copy()
        if lo is not None:
            expect = np.where(np.isnan(expect), expect, np.maximum(expect, lo))
        if hi is not None:
            expect = np.where(np.isnan(expect), expect, np.minimum(expect, hi))
        np.testing.assert_array_equal(out, expect.astype(F32))


BINARY = {
    # entry: (reference on float64, rtol, atol); comparisons write bools
    "add_f32": (np.add, 0, 0),
    "sub_f32": (np.subtract, 0, 0),
    "mul_f32": (np.multiply, 0, 0),
    "div_f32": (np.divide, 2e-7, 0),  # WGSL allows 2.5 ulp
    "pow_f32": (torch_pow, 3e-6, 0),
    "atan2_f32": (np.arctan2, 5e-4, 1e-6),  # WGSL: 4096 ulp
    "maximum_f32": (np.maximum, 0, 0),
    "minimum_f32": (np.minimum, 0, 0),
    "floor_divide_f32": (np.floor_divide, 0, 0),  # exact, as Python's //
    "remainder_f32": (None, 0, 0),  # exact: C's fmod plus the divisor
    "fmod_f32": (np.fmod, 0, 0),  # exact, as C's
    "eq_f32": (np.equal, 0, 0),
    "ne_f32": (np.not_equal, 0, 0),
    "lt_f32": (np.less, 0, 0),
    "le_f32": (np.less_equal, 0, 0),
    "gt_f32": (np.greater, 0, 0),
    "ge_f32": (np.greater_equal, 0, 0),
}
COMPARISONS = {"eq_f32", "ne_f32", "lt_f32", "le_f32", "gt_f32", "ge_f32"}


@case("elementwise", *BINARY)
def check_binary(gpu, entry):
    ref, rtol, atol = BINARY[entry]
    if entry in COMPARISONS or entry in ("maximum_f32", "minimum_f32"):
        a_base = rng.integers(-2, 3, 40).astype(F32)  # ties on purpose
        b_row = rng.integers(-2, 3, 4).astype(F32)
    elif entry == "pow_f32":
        a_base = rng.uniform(-3, 3, 40).astype(F32)
        b_row = np.array([2.0, 3.0, 0.5, -1.0], F32)
    else:
        a_base = rng.uniform(-3, 3, 40).astype(F32)
        b_row = (rng.uniform(0.5, 3, 4) * np.array([1, -1, 1, -1])).astype(F32)
    if entry in COMPARISONS or entry in ("maximum_f32", "minimum_f32"):
        a_base[5] = np.nan  # maximum/minimum propagate it; only ne is True for it
    b_base = np.concatenate([np.zeros(2, F32), b_row])
    a = a_base[3:27].reshape(4, 6).T  # (6, 4)
    b = np.broadcast_to(b_base[2:6], (6, 4))  # stride 0 rows
    (oa, sa), (ob, sb) = elem_strides(a, a_base), elem_strides(b, b_base)
    n = a.size
    out_binding, out0 = (4, np.zeros(n, U32)) if entry in COMPARISONS else (3, np.zeros(n, F32))
    out = gpu.run("elementwise", entry, ew_params(n, a.shape, oa, sa, ob, sb), {1: a_base, 2: b_base, out_binding: out0}, threads=n)[out_binding]
    a32, b32 = a.astype(F32), b.astype(F32)
    if entry in ("floor_divide_f32", "fmod_f32"):
        expect = ref(a32, b32)
    elif entry == "remainder_f32":
        m = np.fmod(a32, b32)
        expect = np.where((m != 0) & ((b32 < 0) != (m < 0)), m + b32, m)
    else:
        with np.errstate(all="ignore"):
            expect = np.asarray(ref(a32.astype(np.float64), b32.astype(np.float64)))
    expect = expect.astype(U32 if entry in COMPARISONS else F32).ravel()
    np.testing.assert_allclose(out, expect, rtol=rtol, atol=atol, equal_nan=True)


# ------------------------------------------------- int64-as-i32 and bool

INT_BINARY = {
    "add_i32": np.add,
    "sub_i32": np.subtract,
    "mul_i32": np.multiply,  # wraps at 32 bits, as the i32 words do
    "pow_i32": None,
    "maximum_i32": np.maximum,
    "minimum_i32": np.minimum,
    "floor_divide_i32": None,
    "remainder_i32": None,
    "fmod_i32": None,
    "bit_and_i32": np.bitwise_and,
    "bit_or_i32": np.bitwise_or,
    "bit_xor_i32": np.bitwise_xor,
    "eq_i32": np.equal,
    "ne_i32": np.not_equal,
    "lt_i32": np.less,
    "le_i32": np.less_equal,
    "gt_i32": np.greater,
    "ge_i32": np.greater_equal,
    "logical_and_i32": np.logical_and,
    "logical_or_i32": np.logical_or,
    "logical_xor_i32": np.logical_xor,
}


@case("elementwise_int", *INT_BINARY)
def check_int_binary(gpu, entry):
    a_base = rng.integers(-9, 10, 40).astype(I32)
    a_base[4] = 70_000  # 70000 * 70000 wraps
    b_base = np.array([0, 0, 70_000, -3, 0, 4], I32)
    a = a_base[3:27].reshape(4, 6).T
    b = np.broadcast_to(b_base[2:6], (6, 4))
    (oa, sa), (ob, sb) = elem_strides(a, a_base), elem_strides(b, b_base)
    n = a.size
    params = [n, 2, oa, ob, *a.shape, *sa, *sb]
    out = gpu.run("elementwise_int", entry, params, {1: a_base, 2: b_base, 3: np.zeros(n, I32)}, threads=n)[3]
    with np.errstate(all="ignore"):
        if entry == "floor_divide_i32":  # division by zero gives 0 on the device
            expect = np.where(b == 0, 0, np.floor_divide(a, np.where(b == 0, 1, b)))
        elif entry == "remainder_i32":
            expect = np.where(b == 0, 0, np.remainder(a, np.where(b == 0, 1, b)))
        elif entry == "fmod_i32":
            expect = np.where(b == 0, 0, np.fmod(a, np.where(b == 0, 1, b)))
        elif entry == "pow_i32":
            # wrapping; negative exponents: 1 / x^-y truncated (the CPU refuses them)
            expect = np.vectorize(
                lambda x, y: int(np.int32(x) ** np.int32(y)) if y >= 0 else (1 if x == 1 else (-1) ** (-y) if x == -1 else 0), otypes=[np.int64]
            )(a, b)
            expect = expect.astype(np.int64).astype(I32)
        else:
            expect = INT_BINARY[entry](a, b)
    np.testing.assert_array_equal(out, expect.astype(I32).ravel())


@case("elementwise_int", "neg_i32", "abs_i32", "logical_not_i32", "sign_i32", "relu_i32")
def check_int_unary(gpu, entry):
    base = rng.integers(-5, 6, 40).astype(I32)
    a = base[3:27].reshape(4, 6).T
    off, st = elem_strides(a, base)
    n = a.size
    out = gpu.run("elementwise_int", entry, [n, 2, off, 0, *a.shape, *st, *st], {1: base, 3: np.zeros(n, I32)}, threads=n)[3]
    expect = {"neg_i32": -a, "abs_i32": np.abs(a), "logical_not_i32": (a == 0).astype(I32), "sign_i32": np.sign(a), "relu_i32": np.maximum(a, 0)}[
        entry
    ]
    np.testing.assert_array_equal(out, expect.ravel())


@case("elementwise_int", "where_u32")
def check_where(gpu, entry):
    cond_base = np.array([1, 0, 0, 1, 1, 0, 1], I32)
    cond = np.broadcast_to(cond_base[1:7].reshape(6, 1), (6, 4))  # stride 0 columns
    a_base = rng.standard_normal(40).astype(F32)
    a = a_base[3:27].reshape(4, 6).T
    b_base = np.arange(4, dtype=F32) * -1
    b = np.broadcast_to(b_base, (6, 4))
    (oc, sc), (oa, sa), (ob, sb) = elem_strides(cond, cond_base), elem_strides(a, a_base), elem_strides(b, b_base)
    n = 24
    params = [n, 2, oc, oa, ob, 6, 4, *sc, *sa, *sb]
    out = gpu.run("elementwise_int", entry, params, {4: cond_base, 1: a_base.view(I32), 2: b_base.view(I32), 3: np.zeros(n, I32)}, threads=n)[3]
    np.testing.assert_array_equal(out.view(F32), np.where(cond != 0, a, b).ravel())


# ---------------------------------------------------------------- index


@case("index", "gather_u32", "index_select_u32")
def check_take(gpu, entry):
    base = rng.standard_normal(24).astype(F32)
    x = base.reshape(4, 6).T  # (6, 4), strides (1, 6)
    _, st = elem_strides(x, base)
    if entry == "gather_u32":
        idx = rng.integers(0, 4, (6, 3)).astype(I32)
        dim, out_shape, expect = 1, idx.shape, np.take_along_axis(x, idx, axis=1)
    else:
        idx = np.array([5, 0, 0, 3, 2], I32)
        dim, out_shape, expect = 0, (5, 4), x[idx]
    n = int(np.prod(out_shape))
    params = [n, 2, dim, 0, *out_shape, *st]
    out = gpu.run("index", entry, params, {1: base, 2: idx.ravel(), 3: np.zeros(n, F32)}, threads=n)[3]
    np.testing.assert_array_equal(out, expect.ravel())


@case("index", "scatter_add_f32", "scatter_add_i32", "scatter_or_u32", "scatter_set_u32")
def check_scatter(gpu, entry):
    n_dest, n_src = 10, 40
    pairs = [(int(d), s) for s, d in enumerate(rng.integers(0, n_dest - 2, n_src))]  # the last two get nothing
    dtype = {"scatter_add_f32": F32, "scatter_add_i32": I32, "scatter_or_u32": U32, "scatter_set_u32": F32}[entry]
    if dtype is U32:
        src, dest = rng.integers(0, 2, n_src).astype(U32), np.zeros(n_dest, U32)
    else:
        src, dest = rng.uniform(-5, 5, n_src).astype(dtype), rng.uniform(-5, 5, n_dest).astype(dtype)
    # the CSR rows the crate builds: sources grouped by destination, in order
    offsets = np.zeros(n_dest + 1, U32)
    for d, _ in pairs:
        offsets[d + 1] += 1
    offsets = np.cumsum(offsets).astype(U32)
    positions = np.array([s for d in range(n_dest) for dd, s in pairs if dd == d], U32)
    expect = dest.copy()
    for d, s in pairs:  # applied in order, in the destination's dtype
        if entry == "scatter_set_u32":
            expect[d] = src[s]
        elif entry == "scatter_or_u32":
            expect[d] |= src[s]
        else:
            expect[d] = dtype(expect[d] + src[s])
    out = gpu.run("index", entry, [n_dest], {1: src, 3: dest, 4: offsets, 5: positions}, threads=n_dest)[3]
    np.testing.assert_array_equal(out, expect)


@case("index", "assert_all_u32")
def check_assert_all(gpu, entry):
    ok = np.ones(1000, U32)
    out = gpu.run("index", entry, [1000, 7], {1: ok, 6: np.zeros(4, U32)}, threads=1000)[6]
    assert out[0] == 0  # all hold: the flag stays clear
    ok[[3, 998]] = 0
    out = gpu.run("index", entry, [1000, 7], {1: ok, 6: np.array([2, 0, 0, 0], U32)}, threads=1000)[6]
    assert out[0] == 7  # a failure leaves the larger code
    out = gpu.run("index", entry, [1000, 1], {1: ok, 6: np.array([5, 0, 0, 0], U32)}, threads=1000)[6]
    assert out[0] == 5


# --------------------------------------------------------------- reduce


def reduce_params(x, base, keep, chunk_len=None, chunks=1, mean_count=0):
    """params for reducing view x over the axes not in `keep`."""
    off, st = elem_strides(x, base)
    red = [d for d in range(x.ndim) if d not in keep]
    r = int(np.prod([x.shape[d] for d in red]))
    n_out = int(np.prod([x.shape[d] for d in keep]))
    return (
        n_out,
        r,
        [
            n_out,
            r,
            len(keep),
            len(red),
            off,
            chunk_len or r,
            chunks,
            mean_count,
            *[x.shape[d] for d in keep],
            *[st[d] for d in keep],
            *[x.shape[d] for d in red],
            *[st[d] for d in red],
        ],
    )


@case("reduce", "sum_f32", "prod_f32", "amax_f32", "amin_f32")
def check_reduce_float(gpu, entry):
    base = rng.uniform(0.9, 1.1, 5 * 6 * 70).astype(F32)
    x = base.reshape(5, 70, 6).transpose(0, 2, 1)  # (5, 6, 70), strided
    n_out, r, params = reduce_params(x, base, keep=[1])
    out = gpu.run("reduce", entry, params, {1: base, 2: np.zeros(n_out, F32)}, groups=fold(n_out))[2]
    ref = {"sum_f32": np.sum, "prod_f32": np.prod, "amax_f32": np.max, "amin_f32": np.min}[entry]
    np.testing.assert_allclose(out, ref(x.astype(np.float64), axis=(0, 2)), rtol=2e-6)
    if entry == "sum_f32":
        # mean through mean_count, and chunked partials (chunk c of row j at j * chunks + c)
        _, _, params = reduce_params(x, base, keep=[1], mean_count=r)
        out = gpu.run("reduce", entry, params, {1: base, 2: np.zeros(n_out, F32)}, groups=fold(n_out))[2]
        np.testing.assert_allclose(out, x.astype(np.float64).mean(axis=(0, 2)), rtol=2e-6)
        chunk, chunks = 128, -(-r // 128)
        _, _, params = reduce_params(x, base, keep=[1], chunk_len=chunk, chunks=chunks)
        out = gpu.run("reduce", entry, params, {1: base, 2: np.zeros(n_out * chunks, F32)}, groups=fold(n_out * chunks))[2]
        rows = x.transpose(1, 0, 2).reshape(6, r).astype(np.float64)
        expect = np.stack([rows[:, c * chunk : (c + 1) * chunk].sum(axis=1) for c in range(chunks)], axis=1)
        np.testing.assert_allclose(out.reshape(6, chunks), expect, rtol=2e-6)
    if entry in ("amax_f32", "amin_f32"):
        nan_base = base.copy()
        nan_base[7] = np.nan  # NaN propagates, as torch.amax
        out = gpu.run("reduce", entry, params, {1: nan_base, 2: np.zeros(n_out, F32)}, groups=fold(n_out))[2]
        x_nan = nan_base.reshape(5, 70, 6).transpose(0, 2, 1)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(x_nan).any(axis=(0, 2)))


@case("reduce", "sum_i32", "amax_i32", "amin_i32")
def check_reduce_int(gpu, entry):
    base = rng.integers(-1000, 1000, 4 * 300).astype(I32)
    base[7] = -(2**31)  # the extremes of i32 are values, not identities
    base[8] = 2**31 - 1
    x = base.reshape(300, 4).T  # (4, 300)
    n_out, r, params = reduce_params(x, base, keep=[0])
    out = gpu.run("reduce", entry, params, {1: base, 2: np.zeros(n_out, I32)}, groups=fold(n_out))[2]
    ref = {"sum_i32": lambda v: v.sum(axis=1, dtype=I32), "amax_i32": lambda v: v.max(axis=1), "amin_i32": lambda v: v.min(axis=1)}[entry]
    np.testing.assert_array_equal(out, ref(x))


@case("reduce", "argmax_f32", "argmin_f32", "argmax_i32", "argmin_i32")
def check_arg_reduce(gpu, entry):
    is_max, is_float = entry.startswith("argmax"), entry.endswith("f32")
    dtype = F32 if is_float else I32
    base = rng.integers(-3, 4, 6 * 700).astype(dtype)  # many ties: the first one wins
    if is_float:
        base[5 * 6 + 2] = np.nan  # row 2 of the strided view has a NaN (the first NaN wins)
        base[9 * 6 + 2] = np.nan
    x = base.reshape(700, 6).T  # (6, 700), reduce over dim 1
    n_out, r, params = reduce_params(x, base, keep=[0])
    ref_idx = np.array([_first_extremum(row, is_max) for row in x])
    unused = np.zeros(4, I32)  # idx_in: in the layout, read only for partials
    out = gpu.run("reduce", entry, params, {1: base, 2: np.zeros(n_out, dtype), 3: np.zeros(n_out, I32), 4: unused}, groups=fold(n_out))
    np.testing.assert_array_equal(out[3], ref_idx)
    np.testing.assert_array_equal(out[2], x[np.arange(6), ref_idx])
    # two passes: chunk partials (value, global index), then the partials with idx_in
    chunk, chunks = 128, -(-r // 128)
    _, _, params = reduce_params(x, base, keep=[0], chunk_len=chunk, chunks=chunks)
    part = gpu.run(
        "reduce",
        entry,
        params,
        {1: base, 2: np.zeros(n_out * chunks, dtype), 3: np.zeros(n_out * chunks, I32), 4: unused},
        groups=fold(n_out * chunks),
    )
    pi = part[3].reshape(n_out, chunks)
    for j in range(n_out):
        for c in range(chunks):
            seg = x[j, c * chunk : (c + 1) * chunk]
            assert pi[j, c] == c * chunk + _first_extremum(seg, is_max)
    params2 = [n_out, chunks, 1, 1, 0, chunks, 1, 1, n_out, chunks, chunks, 1]
    final = gpu.run("reduce", entry, params2, {1: part[2], 4: part[3], 2: np.zeros(n_out, dtype), 3: np.zeros(n_out, I32)}, groups=fold(n_out))
    np.testing.assert_array_equal(final[3], ref_idx)


def _first_extremum(row, is_max):
    """PyTorch's argmax/argmin: the first NaN, else the first extremum."""
    nan = np.isnan(row) if row.dtype.kind == "f" else np.zeros(row.shape, bool)
    if nan.any():
        return int(np.argmax(nan))
    return int(np.argmax(row) if is_max else np.argmin(row))


# ----------------------------------------------------------------- scan


@case("scan", "cumsum_f32", "cumsum_i32")
def check_cumsum(gpu, entry):
    dtype = F32 if entry == "cumsum_f32" else I32
    base = (rng.standard_normal(4 * 5 * 6) * 10).astype(dtype)
    x = base.reshape(6, 5, 4).transpose(2, 1, 0)  # (4, 5, 6), strided
    off, st = elem_strides(x, base)
    for dim in range(3):
        length = x.shape[dim]
        inner = int(np.prod(x.shape[dim + 1 :]))
        rows = x.size // length
        params = [rows, length, inner, 3, off, *x.shape, *st]
        out = gpu.run("scan", entry, params, {1: base, 2: np.zeros(x.size, dtype)}, threads=rows)[2]
        expect = np.cumsum(x, axis=dim, dtype=dtype)  # sequential, as the kernel adds
        np.testing.assert_array_equal(out, expect.ravel())


BLOCKED_SCAN = {
    "f32": ("cumsum_block_sums_f32", "cumsum_block_offsets_f32", "cumsum_blocks_f32"),
    "i32": ("cumsum_block_sums_i32", "cumsum_block_offsets_i32", "cumsum_blocks_i32"),
}


@case("scan", *BLOCKED_SCAN["f32"], *BLOCKED_SCAN["i32"])
def check_blocked_cumsum(gpu, entry):
    """The crate's three passes over a strided (4, 23, 3) view, blocks of 5
    (the last one short): each block in order from the sum of the earlier
    blocks, which the NumPy model below adds the same way."""
    kind = entry[-3:]
    dtype = F32 if kind == "f32" else I32
    base = (rng.standard_normal(4 * 23 * 3) * 10).astype(dtype)
    x = base.reshape(3, 23, 4).transpose(2, 1, 0)  # (4, 23, 3), strided
    off, st = elem_strides(x, base)
    dim, block = 1, 5
    length, inner = x.shape[dim], x.shape[2]
    rows, blocks = x.size // length, -(-length // block)
    params = [rows, length, inner, 3, off, *x.shape, *st, block, blocks]
    sums_entry, offsets_entry, walk_entry = BLOCKED_SCAN[kind]
    sums = gpu.run("scan", sums_entry, params, {1: base, 2: np.zeros(x.size, dtype), 3: np.zeros(rows * blocks, dtype)}, threads=rows * blocks)[3]
    pieces = [x[:, b * block : (b + 1) * block] for b in range(blocks)]
    block_sums = np.stack([np.cumsum(p, axis=1, dtype=dtype)[:, -1] for p in pieces], axis=1)  # (4, blocks, 3)
    np.testing.assert_array_equal(sums, block_sums.transpose(0, 2, 1).ravel())
    offsets = gpu.run("scan", offsets_entry, params, {3: sums}, threads=rows)[3]
    expect_offsets = np.concatenate([np.zeros_like(block_sums[:, :1]), np.cumsum(block_sums, axis=1, dtype=dtype)[:, :-1]], axis=1)
    np.testing.assert_array_equal(offsets, expect_offsets.transpose(0, 2, 1).ravel())
    out = gpu.run("scan", walk_entry, params, {1: base, 2: np.zeros(x.size, dtype), 3: offsets}, threads=rows * blocks)[2]
    expect = np.concatenate([expect_offsets[:, b : b + 1] + np.cumsum(p, axis=1, dtype=dtype) for b, p in enumerate(pieces)], axis=1)
    if entry in ("cumsum_block_sums_f32", "cumsum_block_sums_i32", "cumsum_block_offsets_f32", "cumsum_block_offsets_i32"):
        return  # each entry's own check is above; the walk is checked under its name
    # offset + running sum, added in the kernel's order: element by element
    # from the block's offset
    model = np.empty_like(x)
    for r0 in range(x.shape[0]):
        for r2 in range(x.shape[2]):
            for b in range(blocks):
                acc = dtype(expect_offsets[r0, b, r2])
                for t in range(b * block, min((b + 1) * block, length)):
                    acc = dtype(acc + x[r0, t, r2])
                    model[r0, t, r2] = acc
    np.testing.assert_array_equal(out, model.ravel())
    np.testing.assert_allclose(out, expect.ravel(), rtol=1e-5, atol=1e-4)


# ----------------------------------------------------------------- sort


def gpu_sort(gpu, base, x, descending, is_float):
    """Runs the crate's sequence: sort_pad, then the bitonic steps."""
    off, st = elem_strides(x, base)
    rows, n = x.shape
    p = 1 << (n - 1).bit_length()
    out = gpu.run(
        "sort",
        "sort_pad",
        [rows, n, p, 2, off, rows, n, *st],
        {1: base.view(U32), 2: np.zeros(rows * p, U32), 3: np.zeros(rows * p, I32)},
        threads=rows * p,
    )
    keys, idx = out[2], out[3]
    k = 2
    while k <= p:
        j = k // 2
        while j >= 1:
            res = gpu.run("sort", "bitonic_step", [rows, p, k, j, int(descending), int(is_float)], {2: keys, 3: idx}, threads=rows * p)
            keys, idx = res[2], res[3]
            j //= 2
        k *= 2
    return keys.reshape(rows, p)[:, :n], idx.reshape(rows, p)[:, :n]


@case("sort", "sort_pad", "bitonic_step")
def check_sort(gpu, entry):
    for dtype, is_float in ((F32, True), (I32, False)):
        base = rng.integers(-4, 5, 5 * 37).astype(dtype)  # ties: the sort must be stable
        if is_float:
            base[[3, 50, 51]] = np.nan
        x = base.reshape(37, 5).T  # (5, 37): strided rows, n not a power of two
        for descending in (False, True):
            keys, idx = gpu_sort(gpu, base, x, descending, is_float)
            # NumPy's stable sort; descending: NaN first, equal keys in order
            key = -x if descending else x
            if is_float and descending:
                key = np.where(np.isnan(x), -np.inf, key)
            order = np.argsort(key, axis=1, kind="stable")
            np.testing.assert_array_equal(idx, order)
            np.testing.assert_array_equal(keys.view(dtype), np.take_along_axis(x, order, 1))


# -------------------------------------------------------------- softmax


@case("softmax", "softmax_f32", "log_softmax_f32")
def check_softmax(gpu, entry):
    base = (rng.standard_normal(3 * 300 * 2) * 4).astype(F32)
    base[10] = 80.0  # large values stay finite (the max is subtracted)
    x = base.reshape(3, 2, 300).transpose(0, 2, 1)  # (3, 300, 2): dim 1 strided by 1, d > WG
    off, st = elem_strides(x, base)
    rows, d, inner = 6, 300, 2
    params = [rows, d, inner, 2, off, st[1], 3, 2, st[0], st[2]]
    out = gpu.run("softmax", entry, params, {1: base, 2: np.zeros(x.size, F32)}, groups=fold(rows))[2]
    x64 = x.astype(np.float64)
    z = x64 - x64.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1, keepdims=True))
    expect = z - lse if entry == "log_softmax_f32" else np.exp(z - lse)
    np.testing.assert_allclose(out.reshape(3, 300, 2), expect, rtol=2e-5, atol=1e-6)
    # a NaN makes its row NaN (and only its row)
    nan_base = base.copy()
    nan_base[off + 5 * st[1]] = np.nan  # element (0, 5, 0)
    out = gpu.run("softmax", entry, params, {1: nan_base, 2: np.zeros(x.size, F32)}, groups=fold(rows))[2].reshape(3, 300, 2)
    assert np.isnan(out[0, :, 0]).all() and not np.isnan(out[0, :, 1]).any() and not np.isnan(out[1:]).any()


# --------------------------------------------------------------- matmul


@case("matmul", "bmm_f32")
def check_bmm(gpu, entry):
    bs, m, k, n = 3, 70, 33, 65  # not multiples of the 64 tile
    a_base = rng.standard_normal(5 + bs * m * k).astype(F32)
    a = a_base[5:].reshape(bs, m, k)
    b_store = rng.standard_normal(bs * n * k).astype(F32)
    b = b_store.reshape(bs, n, k).transpose(0, 2, 1)  # transposed operand, no copy
    (oa, sa), (ob, sb) = elem_strides(a, a_base), elem_strides(b, b_store)
    params = [bs, m, n, k, oa, *sa, ob, *sb, 0]
    grid = (-(-n // 64), -(-m // 64), bs)
    out = gpu.run("matmul", entry, params, {1: a_base, 2: b_store, 3: np.zeros(bs * m * n, F32)}, groups=grid)[3]
    expect = np.matmul(a.astype(np.float64), b)
    np.testing.assert_allclose(out.reshape(bs, m, n), expect, rtol=1e-5, atol=1e-5)
    # batch0: a dispatch over later batches only (the crate's >65,535-batch split)
    params[-1] = 2
    out = gpu.run("matmul", entry, params, {1: a_base, 2: b_store, 3: np.zeros(bs * m * n, F32)}, groups=(grid[0], grid[1], 1))[3].reshape(bs, m, n)
    assert (out[:2] == 0).all()
    np.testing.assert_allclose(out[2], expect[2], rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------- window

# planes, in (7, 6), kernel (3, 2), stride (2, 1), padding (1, 1), dilation (1, 2)
GEOM = dict(planes=3, in_hw=(7, 6), k=(3, 2), s=(2, 1), p=(1, 1), d=(1, 2))


def out_hw(g):
    return tuple((g["in_hw"][a] + 2 * g["p"][a] - g["d"][a] * (g["k"][a] - 1) - 1) // g["s"][a] + 1 for a in (0, 1))


def window_params(g, n_out, offset):
    oh, ow = out_hw(g)
    return [n_out, g["planes"], *g["in_hw"], *g["k"], *g["s"], *g["p"], *g["d"], oh, ow, offset]


def taps(g):
    """(plane position, tap, input y, input x) for every in-bounds tap, in
    PyTorch's order (window rows, then columns)."""
    oh, ow = out_hw(g)
    for oy in range(oh):
        for ox in range(ow):
            for ki in range(g["k"][0]):
                for kj in range(g["k"][1]):
                    y = oy * g["s"][0] + ki * g["d"][0] - g["p"][0]
                    x = ox * g["s"][1] + kj * g["d"][1] - g["p"][1]
                    if 0 <= y < g["in_hw"][0] and 0 <= x < g["in_hw"][1]:
                        yield oy * ow + ox, ki * g["k"][1] + kj, y, x


@case("window", "im2col_f32", "col2im_f32")
def check_im2col_col2im(gpu, entry):
    g, (oh, ow) = GEOM, out_hw(GEOM)
    h, w = g["in_hw"]
    ntaps, npos = g["k"][0] * g["k"][1], oh * ow
    if entry == "im2col_f32":
        src = rng.standard_normal(4 + g["planes"] * h * w).astype(F32)
        x = src[4:].reshape(g["planes"], h, w)
        expect = np.zeros((g["planes"], ntaps, npos), F32)
        for pos, tap, y, xx in taps(g):
            expect[:, tap, pos] = x[:, y, xx]
        n = expect.size
    else:
        src = rng.standard_normal(4 + g["planes"] * ntaps * npos).astype(F32)
        cols = src[4:].reshape(g["planes"], ntaps, npos)
        expect = np.zeros((g["planes"], h, w), np.float64)
        for pos, tap, y, xx in taps(g):
            expect[:, y, xx] += cols[:, tap, pos]
        n = expect.size
    out = gpu.run("window", entry, window_params(g, n, 4), {1: src, 2: np.zeros(n, F32)}, threads=n)[2]
    np.testing.assert_allclose(out, expect.ravel(), rtol=1e-6, atol=1e-6)


def max_pool_reference(x, g):
    oh, ow = out_hw(g)
    best = np.full((g["planes"], oh * ow), -np.inf, F32)
    arg = np.full((g["planes"], oh * ow), -1, I32)
    for pos, _, y, xx in taps(g):
        for p in range(g["planes"]):
            v = x[p, y, xx]
            if arg[p, pos] < 0:
                arg[p, pos] = y * g["in_hw"][1] + xx
            if v > best[p, pos] or np.isnan(v):  # PyTorch's rule
                best[p, pos], arg[p, pos] = v, y * g["in_hw"][1] + xx
    return best, arg


def avg_pool_divisors(g, oh, ow, include_pad, override):
    """PyTorch's divisor per output position: the window's extent within the
    padded input, within the input, or the override."""
    div = np.zeros((oh, ow))
    for oy in range(oh):
        for ox in range(ow):
            span = []
            for a, o in ((0, oy), (1, ox)):
                start = o * g["s"][a] - g["p"][a]
                end = min(start + g["k"][a], g["in_hw"][a] + g["p"][a])
                span.append((end - start) if include_pad else (min(end, g["in_hw"][a]) - max(start, 0)))
            div[oy, ox] = override if override else span[0] * span[1]
    return div


@case("window", "avg_pool_f32", "avg_pool_backward_f32")
def check_avg_pool(gpu, entry):
    # ceil mode's extra output row: its window starts inside the input and
    # overhangs the padding (PyTorch keeps it: (5 - 1) * 2 < 8 + 1)
    g = dict(GEOM, in_hw=(8, 6), s=(2, 2), d=(1, 1))
    h, w = g["in_hw"]
    oh, ow = out_hw(g)[0] + 1, out_hw(g)[1]
    for include_pad, override in ((1, 0), (0, 0), (0, -3)):
        mode = [include_pad, int(override != 0), override & 0xFFFFFFFF]

        def params(n, offset, mode=mode):
            return [n, g["planes"], h, w, *g["k"], *g["s"], *g["p"], 1, 1, oh, ow, offset, *mode]

        div = avg_pool_divisors(g, oh, ow, include_pad, override)
        assert (div != 0).all()
        covered = []  # (position, y, x) for every in-bounds tap
        for oy in range(oh):
            for ox in range(ow):
                for ki in range(g["k"][0]):
                    for kj in range(g["k"][1]):
                        y, x = oy * g["s"][0] + ki - g["p"][0], ox * g["s"][1] + kj - g["p"][1]
                        if 0 <= y < h and 0 <= x < w:
                            covered.append((oy, ox, y, x))
        if entry == "avg_pool_f32":
            src = rng.standard_normal(3 + g["planes"] * h * w).astype(F32)
            x = src[3:].reshape(g["planes"], h, w).astype(np.float64)
            sums = np.zeros((g["planes"], oh, ow))
            for oy, ox, y, xx in covered:
                sums[:, oy, ox] += x[:, y, xx]
            expect = sums / div
            n = expect.size
            out = gpu.run("window", entry, params(n, 3), {1: src, 2: np.zeros(n, F32)}, threads=n)[2]
        else:
            src = rng.standard_normal(2 + g["planes"] * oh * ow).astype(F32)
            grad = src[2:].reshape(g["planes"], oh, ow).astype(np.float64)
            expect = np.zeros((g["planes"], h, w))
            for oy, ox, y, xx in covered:
                expect[:, y, xx] += grad[:, oy, ox] / div[oy, ox]
            n = expect.size
            out = gpu.run("window", entry, params(n, 2), {1: src, 2: np.zeros(n, F32)}, threads=n)[2]
        np.testing.assert_allclose(out, expect.ravel(), rtol=1e-5, atol=1e-6)


@case("window", "max_pool_f32", "max_pool_backward_f32")
def check_max_pool(gpu, entry):
    g = dict(GEOM, s=(1, 2), d=(1, 1))
    h, w = g["in_hw"]
    oh, ow = out_hw(g)
    x = rng.standard_normal((g["planes"], h, w)).astype(F32)
    x[1] = 0.5  # all ties: the window's first tap wins
    x[2, 3, 3] = np.nan
    best, arg = max_pool_reference(x, g)
    n_out = best.size
    if entry == "max_pool_f32":
        res = gpu.run("window", entry, window_params(g, n_out, 0), {1: x.ravel(), 2: np.zeros(n_out, F32), 3: np.zeros(n_out, I32)}, threads=n_out)
        np.testing.assert_array_equal(res[2], best.ravel())
        np.testing.assert_array_equal(res[3], arg.ravel())
    else:
        grad = np.concatenate([np.zeros(2, F32), rng.standard_normal(n_out).astype(F32)])
        expect = np.zeros((g["planes"], h * w), np.float64)
        for p in range(g["planes"]):
            np.add.at(expect[p], arg[p], grad[2:].reshape(g["planes"], -1)[p])
        n = g["planes"] * h * w
        out = gpu.run("window", entry, window_params(g, n, 2), {1: grad, 4: arg.ravel(), 2: np.zeros(n, F32)}, threads=n)[2]
        np.testing.assert_allclose(out, expect.ravel(), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- optim
# NumPy float32 versions of PyTorch's documented update rules, with the
# per-step scalars rounded to f32 first (as the crate passes them).

MAXIMIZE, NESTEROV, FIRST, DECOUPLED = 1, 2, 4, 8
# Drivers may fuse a * b + c into one rounding (NVIDIA's does; so does
# PyTorch's CUDA build), which moves a result by up to an ulp of its larger
# term: with O(1) inputs, a few 1e-7 in absolute terms where terms cancel.
FMA_ATOL = 4e-7


def lerp(a, b, w):
    w = F32(w)
    return np.where(w < 0.5, a + w * (b - a), b - (b - a) * (F32(1) - w)).astype(F32)


def optim_setup(n=300, states=0):
    """A parameter at offset 2, its gradient at offset 1, each state at offset 3."""
    p = rng.standard_normal(n + 2).astype(F32)
    g = rng.standard_normal(n + 1).astype(F32)
    s = [np.abs(rng.standard_normal(n + 3)).astype(F32) for _ in range(states)]
    return p, g, s


def optim_run(gpu, entry, n, flags, consts, p, g, s):
    params = [n, flags, *[bits(c) for c in consts], *[0] * (7 - len(consts)), 2, 1, 3, 3, 3]
    buffers = {1: g, 2: p}
    for k, arr in enumerate(s):
        buffers[3 + k] = arr
    return gpu.run("optim", entry, params, buffers, threads=n)


@case("optim", "sgd_f32", "sgd_momentum_f32")
def check_sgd(gpu, entry):
    n = 300
    lr, wd, mom, damp = F32(0.1), F32(0.01), F32(0.9), F32(0.1)
    for flags in (MAXIMIZE,) if entry == "sgd_f32" else (0, NESTEROV | FIRST, NESTEROV):
        p, g, s = optim_setup(n, states=0 if entry == "sgd_f32" else 1)
        out = optim_run(gpu, entry, n, flags, [-lr, wd, mom, F32(1) - damp], p, g, s)
        pv, gv = p[2:], g[1:]
        d = (-gv if flags & MAXIMIZE else gv) + wd * pv
        if entry == "sgd_momentum_f32":
            buf = d if flags & FIRST else s[0][3:] * mom + (F32(1) - damp) * d
            np.testing.assert_allclose(out[3][3:], buf, rtol=1e-6, atol=FMA_ATOL)
            d = d + mom * buf if flags & NESTEROV else buf
        np.testing.assert_allclose(out[2][2:], pv + -lr * d, rtol=1e-6, atol=FMA_ATOL)
        np.testing.assert_array_equal(out[2][:2], p[:2])  # outside the offset range: untouched


@case("optim", "adam_f32", "adam_amsgrad_f32")
def check_adam(gpu, entry):
    n, lr, b1, b2, eps, wd, step = 300, 1e-2, 0.9, 0.999, 1e-8, 0.05, 3
    for flags in (0, DECOUPLED | MAXIMIZE):
        p, g, s = optim_setup(n, states=3 if entry == "adam_amsgrad_f32" else 2)
        step_size, bc2 = lr / (1 - b1**step), math.sqrt(1 - b2**step)
        last = 1 - lr * wd if flags & DECOUPLED else wd
        out = optim_run(gpu, entry, n, flags, [-step_size, bc2, 1 - b1, b2, 1 - b2, eps, last], p, g, s)
        pv, gv = p[2:].copy(), g[1:]
        if flags & DECOUPLED:
            pv = pv * F32(last)
        d = (-gv if flags & MAXIMIZE else gv) + (F32(0) if flags & DECOUPLED else F32(wd) * pv)
        m = lerp(s[0][3:], d, 1 - b1)
        v = s[1][3:] * F32(b2) + F32(1 - b2) * d * d
        denom_v = np.maximum(s[2][3:], v) if entry == "adam_amsgrad_f32" else v
        expect = pv + F32(-step_size) * m / (np.sqrt(denom_v) / F32(bc2) + F32(eps))
        np.testing.assert_allclose(out[3][3:], m, rtol=1e-6, atol=FMA_ATOL)
        np.testing.assert_allclose(out[4][3:], v, rtol=1e-6, atol=FMA_ATOL)
        np.testing.assert_allclose(out[2][2:], expect, rtol=2e-6, atol=FMA_ATOL)


@case("optim", "rmsprop_f32", "rmsprop_momentum_f32", "rmsprop_centered_f32", "rmsprop_centered_momentum_f32")
def check_rmsprop(gpu, entry):
    n, lr, alpha, eps, wd, mom = 300, 1e-2, 0.99, 1e-8, 0.01, 0.9
    centered, momentum = "centered" in entry, "momentum" in entry
    p, g, s = optim_setup(n, states=1 + centered + momentum)
    s[0] += F32(1)  # keep the square average above the gradient average's square
    for arr in s[1:]:
        arr *= F32(0.1)
    out = optim_run(gpu, entry, n, MAXIMIZE, [-lr, alpha, 1 - alpha, eps, wd, mom if momentum else 0.0], p, g, s)
    pv, gv = p[2:], g[1:]
    d = -gv + F32(wd) * pv  # maximize
    sq = s[0][3:] * F32(alpha) + F32(1 - alpha) * d * d
    denom = np.sqrt(sq) + F32(eps)
    # states: s0 square average, then the momentum buffer, then the gradient average
    if centered:
        avg_binding = 5 if momentum else 4
        avg = lerp(s[avg_binding - 3][3:], d, 1 - alpha)
        denom = np.sqrt(sq - avg * avg) + F32(eps)
        np.testing.assert_allclose(out[avg_binding][3:], avg, rtol=1e-6, atol=FMA_ATOL)
    if momentum:
        buf = s[1][3:] * F32(mom) + d / denom
        np.testing.assert_allclose(out[4][3:], buf, rtol=1e-6, atol=FMA_ATOL)
        expect = pv + F32(-lr) * buf
    else:
        expect = pv + F32(-lr) * d / denom
    np.testing.assert_allclose(out[3][3:], sq, rtol=1e-6, atol=FMA_ATOL)
    np.testing.assert_allclose(out[2][2:], expect, rtol=2e-6, atol=FMA_ATOL)


@case("optim", "adagrad_f32")
def check_adagrad(gpu, entry):
    n, clr, wd, eps = 300, 0.05, 0.01, 1e-10
    p, g, s = optim_setup(n, states=1)
    out = optim_run(gpu, entry, n, 0, [-clr, wd, eps], p, g, s)
    d = g[1:] + F32(wd) * p[2:]
    ss = s[0][3:] + d * d
    np.testing.assert_allclose(out[3][3:], ss, rtol=1e-6, atol=FMA_ATOL)
    np.testing.assert_allclose(out[2][2:], p[2:] + F32(-clr) * d / (np.sqrt(ss) + F32(eps)), rtol=2e-6, atol=FMA_ATOL)


# ---------------------------------------------------------------- the suite

ALL_ENTRIES = [(f, e) for f in families() for e in entry_points(f)]


def test_every_entry_point_has_a_case():
    missing = [f"{f}::{e}" for f, e in ALL_ENTRIES if (f, e) not in CASES]
    stale = [f"{f}::{e}" for f, e in CASES if (f, e) not in ALL_ENTRIES]
    assert not missing, f"entry points without a conformance case: {missing}"
    assert not stale, f"cases for entry points that no longer exist: {stale}"
    # the parser found every @compute attribute (none missed by the regex)
    assert len(ALL_ENTRIES) == sum((SHADER_DIR / f"{f}.wgsl").read_text().count("@compute") for f in families())


@pytest.mark.parametrize("family,entry", ALL_ENTRIES, ids=[f"{f}::{e}" for f, e in ALL_ENTRIES])
def test_entry_point(gpu, family, entry):
    CASES[(family, entry)](gpu, entry)


def test_adapter_is_the_one_the_crate_uses(gpu):
    assert gpu.info["backend_type"] in ("Vulkan", "Metal", "D3D12")


def test_folded_grid_reaches_every_thread(gpu):
    # past 65,535 workgroups the grid is 2-D and the shader rebuilds the id
    n = 70_000 * 256
    out = gpu.run("copy", "fill", [n, 1], {2: np.zeros(n, U32)}, threads=n)[2]
    assert out.sum() == n
