// Math that WGSL's builtins do not get right on every GPU, prepended to every
// shader family (`src/backend/gpu/dispatch.rs`, `tests/wgsl_runner.py`,
// `tests/shaders.rs`), so no family defines these names itself.
//
// Vulkan's precision rules allow log() an absolute error of 2^-21 on
// [0.5, 2] and sin()/cos() one of 2^-11 on [-pi, pi], with no bound outside;
// NVIDIA's driver uses its approximate instructions there. Where the result is
// small (log near 1, log1p and softplus of small arguments, tan near its
// poles) that absolute error is most of the value: measured on an H200,
// tan was 1e-4 and softplus 2e-3 off in relative terms. These versions are
// within a few ulp on any conforming device; they use only +, -, *, / (whose
// error Vulkan bounds at 2.5 ulp) and builtins outside their weak ranges, and
// stay correct whether or not the driver fuses a multiply and an add.

// exp(x) = 2^k exp(r), r = x - k ln2 in [-ln2/2, ln2/2] (ln2 in two parts,
// the first of 14 bits, so k * part is exact), exp(r) by its Taylor series
// (the first omitted term is below 2^-32 of the value). The builtin computes
// exp2(x * log2(e)), whose rounded product costs up to |x| * 2^-24 relative
// error (20 ulp near x = -20; Vulkan allows 3 + 2|x| ulp).
fn accurate_exp(x: f32) -> f32 {
    if (x > 88.72284) {
        return bitcast<f32>(0x7f800000u);
    }
    if (x < -103.97208) {
        return 0.0;
    }
    let k = round(x * 1.4426950216293335);
    let r = (x - k * 0.693145751953125) - k * 1.428606765330187e-06;
    let p = 1.0 + r * (1.0 + r * (1.0 / 2.0 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0 + r * (1.0 / 40320.0))))))));
    // two steps, so that k = 128 (x near the overflow bound) never forms 2^128
    let ki = i32(k);
    let half = ki / 2;
    return ldexp(ldexp(p, half), ki - half);
}

// exp(x) - 1: near 0 the series, which never forms 1 + (a small number);
// elsewhere |exp(x) - 1| >= 0.29 and the subtraction loses at most 2 bits.
fn accurate_expm1(x: f32) -> f32 {
    if (abs(x) < 0.34657359) {
        return x + x * x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0)))))));
    }
    return accurate_exp(x) - 1.0;
}

// log(1 + x). For 1 + x in [0.5, 2] (where log is weak): 2 atanh(s) with
// s = x / (2 + x), |s| <= 1/3, as its odd series (terms past s^17 are below
// 2^-29 of the value).
fn accurate_log1p(x: f32) -> f32 {
    if (x < -0.5 || x > 1.0) {
        return log(1.0 + x);
    }
    let s = x / (2.0 + x);
    let z = s * s;
    let p = 1.0 / 3.0 + z * (1.0 / 5.0 + z * (1.0 / 7.0 + z * (1.0 / 9.0 + z * (1.0 / 11.0 + z * (1.0 / 13.0 + z * (1.0 / 15.0 + z * (1.0 / 17.0)))))));
    return 2.0 * s + 2.0 * s * (z * p);
}

// log(x); on [0.5, 2], x - 1 is exact (Sterbenz) and log1p is accurate.
fn accurate_log(x: f32) -> f32 {
    if (x >= 0.5 && x <= 2.0) {
        return accurate_log1p(x - 1.0);
    }
    return log(x);
}

// sin and cos of r in [-pi/4, pi/4] (Taylor series; the first omitted terms
// are below 2^-28 of the value).
fn sin_reduced(r: f32) -> f32 {
    let z = r * r;
    return r + r * z * (-1.0 / 6.0 + z * (1.0 / 120.0 + z * (-1.0 / 5040.0 + z * (1.0 / 362880.0))));
}

fn cos_reduced(r: f32) -> f32 {
    let z = r * r;
    return 1.0 + z * (-0.5 + z * (1.0 / 24.0 + z * (-1.0 / 720.0 + z * (1.0 / 40320.0 + z * (-1.0 / 3628800.0)))));
}

// x = q * pi/2 + r with |r| <= pi/4: pi/2 in four parts of at most 8
// significant bits (the last rounded), so each q * part is exact for
// |q| < 2^16, i.e. |x| below about 1e5; past that the builtins are used.
struct QuarterTurns {
    r: f32,
    quadrant: u32,
}

fn reduce_quarter_turns(x: f32) -> QuarterTurns {
    let q = round(x * 0.6366197466850281);
    let r = (((x - q * 1.5703125) - q * 0.0004825592041015625) - q * 1.2665987014770508e-06) - q * 9.920935184482005e-10;
    return QuarterTurns(r, u32(i32(q)) & 3u);
}

const FAR_TURNS: f32 = 1.0e5;

fn accurate_sin(x: f32) -> f32 {
    if (abs(x) > FAR_TURNS) {
        return sin(x);
    }
    let t = reduce_quarter_turns(x);
    let v = select(sin_reduced(t.r), cos_reduced(t.r), (t.quadrant & 1u) == 1u);
    return select(v, -v, t.quadrant >= 2u);
}

fn accurate_cos(x: f32) -> f32 {
    if (abs(x) > FAR_TURNS) {
        return cos(x);
    }
    let t = reduce_quarter_turns(x);
    let v = select(cos_reduced(t.r), sin_reduced(t.r), (t.quadrant & 1u) == 1u);
    return select(v, -v, t.quadrant == 1u || t.quadrant == 2u);
}

fn accurate_tan(x: f32) -> f32 {
    if (abs(x) > FAR_TURNS) {
        return tan(x);
    }
    let t = reduce_quarter_turns(x);
    let s = sin_reduced(t.r);
    let c = cos_reduced(t.r);
    return select(s / c, -c / s, (t.quadrant & 1u) == 1u);
}
