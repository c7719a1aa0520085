//! Branch-free exp/log/sin/cos/tanh/sigmoid for f32 that the compiler can
//! vectorise. Each evaluates in f64 (argument reduction plus a short
//! polynomial), so the f32 result is within an ulp of the correctly rounded
//! value; libm's scalar calls are 5-10x slower. f64 tensors keep libm.

const LOG2E: f64 = std::f64::consts::LOG2_E;
const LN2_HI: f64 = 6.931_471_803_691_238_2e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// Adding and subtracting 1.5 * 2^52 rounds an f64 to the nearest integer.
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;

/// e^x for x in [-745, 709] (callers clamp); relative error ~1e-15.
#[inline(always)]
fn exp_f64(x: f64) -> f64 {
    let t = x * LOG2E + ROUND_MAGIC;
    let k = t - ROUND_MAGIC;
    let r = x - k * LN2_HI - k * LN2_LO;
    // Taylor series to r^11 on |r| <= ln2/2.
    let mut p = 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^k from the low bits of t (k fits easily: |k| < 1100).
    let ki = (t.to_bits() as i64).wrapping_sub(ROUND_MAGIC.to_bits() as i64);
    let scale = f64::from_bits(((ki + 1023) as u64) << 52);
    p * scale
}

#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let xd = (x as f64).clamp(-104.0, 89.0);
    let r = exp_f64(xd) as f32;
    if x.is_nan() {
        x
    } else {
        r
    }
}

/// e^x in f32 arithmetic (16 lanes on AVX-512), within 2 ulp: for sums
/// and gradients inside softmax, where full-rate matters more than the last ulp.
#[inline(always)]
pub fn exp_approx(x: f32) -> f32 {
    let xc = x.clamp(-87.3, 88.7);
    let t = xc * std::f32::consts::LOG2_E + 12_582_912.0;
    let k = t - 12_582_912.0;
    let r = xc - k * 0.693_359_4 - k * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5.000_000_1e-1;
    let y = p * r * r + r + 1.0;
    let ki = (t.to_bits() as i32).wrapping_sub(12_582_912.0f32.to_bits() as i32);
    let scale = f32::from_bits(((ki + 127) as u32) << 23);
    let v = y * scale;
    if x.is_nan() {
        x
    } else if x > 88.7 {
        f32::INFINITY
    } else {
        v
    }
}

#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    let xd = (-(x as f64)).clamp(-110.0, 110.0);
    let r = (1.0 / (1.0 + exp_f64(xd))) as f32;
    if x.is_nan() {
        x
    } else {
        r
    }
}

#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = (x as f64).abs().min(20.0);
    let e = exp_f64(2.0 * a);
    let t = (e - 1.0) / (e + 1.0);
    // Below 1e-4, tanh(a) == a to f32 precision and (e-1) would cancel.
    let t = if a < 1e-4 { a } else { t };
    let r = (t as f32).copysign(x);
    if x.is_nan() {
        x
    } else {
        r
    }
}

/// sin and cos of r in [-pi/4, pi/4] (Taylor to r^13 / r^14).
#[inline(always)]
fn sin_cos_poly(r: f64) -> (f64, f64) {
    let r2 = r * r;
    let mut s = 1.0 / 6_227_020_800.0;
    s = s * r2 - 1.0 / 39_916_800.0;
    s = s * r2 + 1.0 / 362_880.0;
    s = s * r2 - 1.0 / 5_040.0;
    s = s * r2 + 1.0 / 120.0;
    s = s * r2 - 1.0 / 6.0;
    let sin = r + r * r2 * s;
    let mut c = 1.0 / 87_178_291_200.0;
    c = c * r2 - 1.0 / 479_001_600.0;
    c = c * r2 + 1.0 / 3_628_800.0;
    c = c * r2 - 1.0 / 40_320.0;
    c = c * r2 + 1.0 / 720.0;
    c = c * r2 - 1.0 / 24.0;
    c = c * r2 + 0.5;
    let cos = 1.0 - r2 * c;
    (sin, cos)
}

/// Past this |x| the one-constant reduction loses bits: use libm instead.
pub const TRIG_FAST_LIMIT: f32 = 65_536.0;

#[inline(always)]
fn reduce(x: f32) -> (f64, i64) {
    let xd = x as f64;
    let t = xd * std::f64::consts::FRAC_2_PI + ROUND_MAGIC;
    let j = t - ROUND_MAGIC;
    // pi/2 split in two so that j * PIO2_HI is exact for |j| < 2^20.
    const PIO2_HI: f64 = 1.570_796_326_734_125_6;
    const PIO2_LO: f64 = 6.077_100_506_506_192e-11;
    let r = xd - j * PIO2_HI - j * PIO2_LO;
    let q = (t.to_bits() as i64).wrapping_sub(ROUND_MAGIC.to_bits() as i64);
    (r, q)
}

#[inline(always)]
pub fn sin(x: f32) -> f32 {
    let (r, q) = reduce(x);
    let (s, c) = sin_cos_poly(r);
    let v = if q & 1 == 0 { s } else { c };
    let v = if q & 2 == 0 { v } else { -v };
    v as f32
}

#[inline(always)]
pub fn cos(x: f32) -> f32 {
    let (r, q) = reduce(x);
    let (s, c) = sin_cos_poly(r);
    let v = if q & 1 == 0 { c } else { s };
    let v = if (q + 1) & 2 == 0 { v } else { -v };
    v as f32
}

/// Natural log for f32 inputs, via the f64 mantissa/exponent split.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let xd = x as f64; // f32 subnormals are normal in f64
    let bits = xd.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut p = 1.0 / 15.0;
    p = p * s2 + 1.0 / 13.0;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2 + 1.0;
    let r = (e as f64 * std::f64::consts::LN_2 + 2.0 * s * p) as f32;
    if x == 0.0 {
        f32::NEG_INFINITY
    } else if x < 0.0 || x.is_nan() {
        f32::NAN
    } else if x.is_infinite() {
        x
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f32, b: f32) -> u32 {
        if a == b || (a.is_nan() && b.is_nan()) {
            return 0;
        }
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    fn sweep(f: impl Fn(f32) -> f32, g: impl Fn(f64) -> f64, lo: f32, hi: f32, max_ulps: u32) {
        let n = 200_000;
        for i in 0..=n {
            let x = lo + (hi - lo) * (i as f32 / n as f32);
            let want = g(x as f64) as f32;
            let got = f(x);
            assert!(ulps(got, want) <= max_ulps, "x={x}: got {got}, want {want}");
        }
    }

    #[test]
    fn exp_within_one_ulp() {
        sweep(exp, f64::exp, -103.0, 88.7, 1);
        assert_eq!(exp(100.0), f32::INFINITY);
        assert_eq!(exp(-200.0), 0.0);
        assert!(exp(f32::NAN).is_nan());
    }

    #[test]
    fn exp_approx_within_two_ulp() {
        sweep(exp_approx, f64::exp, -87.0, 88.0, 2);
        assert_eq!(exp_approx(100.0), f32::INFINITY);
        assert!(exp_approx(-100.0) < 1e-37);
    }

    #[test]
    fn trig_within_one_ulp() {
        sweep(sin, f64::sin, -100.0, 100.0, 1);
        sweep(cos, f64::cos, -100.0, 100.0, 1);
        assert!(sin(f32::INFINITY).is_nan());
    }

    #[test]
    fn tanh_sigmoid_log_within_one_ulp() {
        sweep(tanh, f64::tanh, -12.0, 12.0, 1);
        sweep(sigmoid, |x| 1.0 / (1.0 + (-x).exp()), -80.0, 80.0, 1);
        sweep(ln, f64::ln, 1e-30, 1e30, 1);
        sweep(ln, f64::ln, 0.5, 2.0, 1);
        assert_eq!(ln(0.0), f32::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        assert_eq!(ln(f32::INFINITY), f32::INFINITY);
    }
}
