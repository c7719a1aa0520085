// Elementwise float32 ops over strided (and broadcast: stride 0) inputs into
// a contiguous output; one entry point per op, named after `op.rs`.
//
// params: [n, ndim, offset_a, offset_b, scalar0 (f32 bits), scalar1 (f32 bits),
//          shape[ndim], strides_a[ndim], strides_b[ndim]]
// Unary ops read `a` only. Comparisons write bool words (0 or 1).
// Dispatches past 65,535 workgroups are folded into 2-D.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_bool: array<u32>;

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

// Offset of element i (row-major over the shape) through the strides at params[base].
fn offset_of(i: u32, base: u32) -> u32 {
    let ndim = params[1];
    var rem = i;
    var off = 0u;
    for (var d = ndim; d > 0u; d = d - 1u) {
        let size = params[6u + d - 1u];
        off = off + (rem % size) * params[base + d - 1u];
        rem = rem / size;
    }
    return off;
}

fn load_a(i: u32) -> f32 {
    return a[params[2] + offset_of(i, 6u + params[1])];
}

fn load_b(i: u32) -> f32 {
    return b[params[3] + offset_of(i, 6u + 2u * params[1])];
}

fn scalar0() -> f32 {
    return bitcast<f32>(params[4]);
}

fn scalar1() -> f32 {
    return bitcast<f32>(params[5]);
}

// tanh(|x|) = -m / (2 + m), m = expm1(-2|x|): never overflows, and never
// forms 1 - exp(...), which cancels for small x.
fn tanh_stable(x: f32) -> f32 {
    let m = accurate_expm1(-2.0 * abs(x));
    return sign(x) * (-m / (2.0 + m));
}

// erf: Abramowitz-Stegun 7.1.26 refined: max abs error ~1.5e-7, which is
// most of the value for small x; there, the Maclaurin series (terms past
// x^13 are below 2^-30 of the value for |x| < 0.5).
fn erf_approx(x: f32) -> f32 {
    if (abs(x) < 0.5) {
        let z = x * x;
        let p = 1.0 + z * (-1.0 / 3.0 + z * (1.0 / 10.0 + z * (-1.0 / 42.0 + z * (1.0 / 216.0 + z * (-1.0 / 1320.0 + z * (1.0 / 9360.0))))));
        return 1.1283791670955126 * x * p;
    }
    let t = 1.0 / (1.0 + 0.3275911 * abs(x));
    let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * accurate_exp(-x * x);
    return sign(x) * y;
}

// C's fmod, exact as C's (a remainder is always representable). WGSL's %
// is x - y * trunc(x / y), which rounds the quotient: off by whole
// multiples of y once it passes 2^24. Here the divisor, scaled by a power
// of two, is taken off while it fits; each subtraction is exact (t <= r <
// 2t), and there are at most ~280 of them (float32's exponent range).
fn exact_fmod(x: f32, y: f32) -> f32 {
    let x_bits = bitcast<u32>(x) & 0x7fffffffu;
    let y_bits = bitcast<u32>(y) & 0x7fffffffu;
    // a NaN operand, an infinite dividend or a zero divisor: NaN (tested on
    // the bits: the comparisons below may assume no NaN)
    if (x_bits >= 0x7f800000u || y_bits > 0x7f800000u || y_bits == 0u) {
        return nan_f32();
    }
    let ay = bitcast<f32>(y_bits);
    var r = bitcast<f32>(x_bits);
    // (an infinite divisor never fits: x itself)
    while (r >= ay) {
        let k = frexp(r).exp - frexp(ay).exp;
        var t = ldexp(ay, k);
        if (t > r) {
            t = ldexp(ay, k - 1);
        }
        r = r - t;
    }
    // the dividend's sign, a zero's included
    return bitcast<f32>(bitcast<u32>(r) | (bitcast<u32>(x) & 0x80000000u));
}

// Python's modulo (the divisor's sign) from the exact fmod, as PyTorch's
// kernel.
fn py_remainder(x: f32, y: f32) -> f32 {
    let m = exact_fmod(x, y);
    if (is_nan(m)) {
        return m;
    }
    return select(m, m + y, m != 0.0 && ((y < 0.0) != (m < 0.0)));
}

// Python's floor division (PyTorch's div_floor_floating): the exact
// quotient of x - fmod(x, y), one down where the remainder's sign differs
// from the divisor's, rounded to the nearest whole; a zero takes the sign
// of x / y. floor(x / y) misses where x / y rounds up to a whole number.
fn py_floor_divide(x: f32, y: f32) -> f32 {
    if (is_nan(x) || is_nan(y) || y == 0.0) {
        return x / y;
    }
    let m = exact_fmod(x, y);
    if (is_nan(m)) {
        // an infinite dividend
        return m;
    }
    var div = (x - m) / y;
    if (m != 0.0 && ((y < 0.0) != (m < 0.0))) {
        div = div - 1.0;
    }
    if (div == 0.0) {
        // the sign of x / y on the bits (0.0 * q may be folded to 0.0)
        return bitcast<f32>(bitcast<u32>(x / y) & 0x80000000u);
    }
    let f = floor(div);
    return select(f, f + 1.0, div - f > 0.5);
}

// pow with PyTorch's edge cases that WGSL's pow (exp2(y*log2(x))) misses:
// negative bases with integral exponents, zero bases, x**0 == 1, and small
// integral exponents computed exactly.
fn pow_torch(x: f32, y: f32) -> f32 {
    if (y == 0.0) {
        return 1.0;
    }
    // the exponents PyTorch computes by multiplication (exact where
    // exp2(y * log2(x)) is off by an ulp or more)
    if (y == 1.0) {
        return x;
    }
    if (y == 2.0) {
        return x * x;
    }
    if (y == 3.0) {
        return x * x * x;
    }
    if (y == 0.5) {
        return sqrt(x);
    }
    if (y == -1.0) {
        return 1.0 / x;
    }
    if (y == -2.0) {
        return 1.0 / (x * x);
    }
    if (x == 0.0) {
        if (y > 0.0) {
            return 0.0;
        }
        return bitcast<f32>(0x7f800000u);
    }
    if (x < 0.0) {
        if (y == floor(y)) {
            let m = pow(-x, y);
            let odd = abs(y - 2.0 * floor(y / 2.0)) == 1.0;
            return select(m, -m, odd);
        }
        return bitcast<f32>(0x7fc00000u);
    }
    return pow(x, y);
}

// NaN test on the bits: WGSL lets implementations assume floats are never
// NaN, and `x != x` does come back false for a NaN (lavapipe), so the
// PyTorch NaN rules below never rely on float comparisons.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn nan_f32() -> f32 {
    return bitcast<f32>(0x7fc00000u);
}

// Bounds arrive as f32 bits; this NaN pattern means "no bound".
const NO_BOUND: u32 = 0x7fc00001u;

// clamp(min=scalar0, max=scalar1), either optional; a NaN input stays NaN,
// and a NaN bound (not the no-bound pattern) makes the result NaN.
fn clamp_opt(x: f32) -> f32 {
    var r = x;
    var nan_bound = false;
    if (params[4] != NO_BOUND) {
        r = max(r, scalar0());
        nan_bound = nan_bound || is_nan(scalar0());
    }
    if (params[5] != NO_BOUND) {
        r = min(r, scalar1());
        nan_bound = nan_bound || is_nan(scalar1());
    }
    return select(select(r, x, is_nan(x)), nan_f32(), nan_bound);
}

@compute @workgroup_size(WG)
fn neg_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = -x;
}

@compute @workgroup_size(WG)
fn abs_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = abs(x);
}

@compute @workgroup_size(WG)
fn sign_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    // PyTorch's (0 < x) - (x < 0): +0 for both zeros and for NaN (tested on the bits)
    let s = select(0.0, 1.0, x > 0.0) - select(0.0, 1.0, x < 0.0);
    out[i] = select(s, 0.0, is_nan(x));
}

@compute @workgroup_size(WG)
fn exp_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = accurate_exp(x);
}

@compute @workgroup_size(WG)
fn log_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = accurate_log(x);
}

@compute @workgroup_size(WG)
fn log1p_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = accurate_log1p(x);
}

@compute @workgroup_size(WG)
fn expm1_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = accurate_expm1(x);
}

@compute @workgroup_size(WG)
fn sqrt_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = sqrt(x);
}

@compute @workgroup_size(WG)
fn rsqrt_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = inverseSqrt(x);
}

@compute @workgroup_size(WG)
fn sin_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = accurate_sin(x);
}

@compute @workgroup_size(WG)
fn cos_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = accurate_cos(x);
}

@compute @workgroup_size(WG)
fn tan_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = accurate_tan(x);
}

@compute @workgroup_size(WG)
fn tanh_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = tanh_stable(x);
}

@compute @workgroup_size(WG)
fn sigmoid_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = 1.0 / (1.0 + accurate_exp(-x));
}

@compute @workgroup_size(WG)
fn relu_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = select(max(x, 0.0), x, is_nan(x));
}

@compute @workgroup_size(WG)
fn reciprocal_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = 1.0 / x;
}

@compute @workgroup_size(WG)
fn floor_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = floor(x);
}

@compute @workgroup_size(WG)
fn ceil_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = ceil(x);
}

@compute @workgroup_size(WG)
fn round_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = round(x);
}

@compute @workgroup_size(WG)
fn trunc_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = trunc(x);
}

@compute @workgroup_size(WG)
fn erf_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = erf_approx(x);
}

@compute @workgroup_size(WG)
fn softplus_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = max(x, 0.0) + accurate_log1p(accurate_exp(-abs(x)));
}

@compute @workgroup_size(WG)
fn pow_scalar_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = pow_torch(x, scalar0());
}

@compute @workgroup_size(WG)
fn rpow_scalar_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = pow_torch(scalar0(), x);
}

@compute @workgroup_size(WG)
fn clamp_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    out[i] = clamp_opt(x);
}

@compute @workgroup_size(WG)
fn add_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = x + y;
}

@compute @workgroup_size(WG)
fn sub_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = x - y;
}

@compute @workgroup_size(WG)
fn mul_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = x * y;
}

@compute @workgroup_size(WG)
fn div_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = x / y;
}

@compute @workgroup_size(WG)
fn pow_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = pow_torch(x, y);
}

@compute @workgroup_size(WG)
fn atan2_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = atan2(x, y);
}

@compute @workgroup_size(WG)
fn maximum_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(max(x, y), nan_f32(), is_nan(x) || is_nan(y));
}

@compute @workgroup_size(WG)
fn minimum_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(min(x, y), nan_f32(), is_nan(x) || is_nan(y));
}

@compute @workgroup_size(WG)
fn floor_divide_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = py_floor_divide(x, y);
}

@compute @workgroup_size(WG)
fn fmod_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    out[i] = exact_fmod(load_a(i), load_b(i));
}

@compute @workgroup_size(WG)
fn remainder_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = py_remainder(x, y);
}

@compute @workgroup_size(WG)
fn eq_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out_bool[i] = select(0u, 1u, x == y);
}

@compute @workgroup_size(WG)
fn ne_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out_bool[i] = select(0u, 1u, x != y || is_nan(x) || is_nan(y));
}

@compute @workgroup_size(WG)
fn lt_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out_bool[i] = select(0u, 1u, x < y);
}

@compute @workgroup_size(WG)
fn le_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out_bool[i] = select(0u, 1u, x <= y);
}

@compute @workgroup_size(WG)
fn gt_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out_bool[i] = select(0u, 1u, x > y);
}

@compute @workgroup_size(WG)
fn ge_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out_bool[i] = select(0u, 1u, x >= y);
}
