//! Branch-free exp/log/sin/cos/tanh/sigmoid for f32 that the compiler can
//! vectorise (libm's scalar calls are 5-10x slower). exp, sin, cos, tanh
//! and sigmoid run in f32 arithmetic, within 3 ulp (PyTorch's Sleef kernels
//! are within 1-2); expm1 and log1p in f32 arithmetic with their roundings
//! carried, within 1 ulp; log evaluates in f64 and is within 1 ulp. f64
//! tensors keep libm.

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

/// e^x in f32 arithmetic (16 lanes on AVX-512), within 2 ulp: for sums
/// and gradients inside softmax, where full-rate matters more than the last ulp.
#[inline(always)]
pub fn exp_approx(x: f32) -> f32 {
    let xc = x.clamp(-104.0, 88.73);
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
    // 2^k in two factors, each a normal f32 for every k in [-150, 128]: the
    // results near the top (e^88.5 is finite, 2^128 is not) and the
    // subnormal ones (rounded once, by the last product) come out right
    let half = ki >> 1;
    let v = y
        * f32::from_bits(((half + 127) as u32) << 23)
        * f32::from_bits(((ki - half + 127) as u32) << 23);
    if x.is_nan() {
        x
    } else if x > 88.73 {
        f32::INFINITY
    } else {
        v
    }
}

/// 1 / (1 + e^-x) in f32 arithmetic (8 lanes on AVX2, 16 on AVX-512),
/// within 3 ulp: from e = e^-|x|, which never overflows (and reaches the
/// subnormals), as 1 / (1 + e) for x >= 0 and e / (1 + e) below. Both
/// sides are computed and one selected, so the loop stays branch-free.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    let e = exp_approx(-x.abs());
    let d = 1.0 + e;
    let n = if x >= 0.0 { 1.0 } else { e };
    n / d
}

/// tanh's Taylor coefficients of a^3, a^5, ..., a^21: 2^2n (2^2n - 1) B_2n / (2n)!.
const TANH_TAYLOR: [f32; 10] = [
    -1.0 / 3.0,
    2.0 / 15.0,
    -17.0 / 315.0,
    62.0 / 2835.0,
    -1382.0 / 155_925.0,
    21844.0 / 6_081_075.0,
    -929_569.0 / 638_512_875.0,
    6_404_582.0 / 10_854_718_875.0,
    -443_861_162.0 / 1_856_156_927_625.0,
    18_888_466_084.0 / 194_896_477_400_625.0,
];

/// tanh in f32 arithmetic, within 2 ulp: the Taylor series below |x| 0.625
/// (where 1 - 2 / (e^2x + 1) would cancel; the series converges to f32
/// precision in ten terms there), that form above.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = x.abs().min(10.0);
    let s = a * a;
    let mut p = TANH_TAYLOR[9];
    for &c in TANH_TAYLOR[..9].iter().rev() {
        p = p * s + c;
    }
    let near = a + a * (s * p);
    let far = 1.0 - 2.0 / (exp_approx(2.0 * a) + 1.0);
    let t = if a < 0.625 { near } else { far };
    if x.is_nan() {
        x
    } else {
        t.copysign(x)
    }
}

/// sin/cos in f32 arithmetic (16 lanes on AVX-512), within 2 ulp for
/// |x| <= TRIG_F32_LIMIT: three-part pi/2 reduction and minimax polynomials.
#[inline(always)]
fn sin_cos_f32(x: f32) -> (f32, f32, i32) {
    let t = x * std::f32::consts::FRAC_2_PI + 12_582_912.0;
    let j = t - 12_582_912.0;
    let r = ((x - j * 1.570_312_5) - j * 4.837_513e-4) - j * 7.549_79e-8;
    let z = r * r;
    let s = ((-1.951_529_6e-4 * z + 8.332_161e-3) * z - 1.666_665_5e-1) * z * r + r;
    let c = ((2.443_315_7e-5 * z - 1.388_731_6e-3) * z + 4.166_664_6e-2) * z * z - 0.5 * z + 1.0;
    let q = (t.to_bits() as i32).wrapping_sub(12_582_912.0f32.to_bits() as i32);
    (s, c, q)
}

/// Past this |x| the f32 reduction loses bits: the caller redoes those in f64.
pub const TRIG_F32_LIMIT: f32 = 8192.0;

#[inline(always)]
pub fn sin_f32(x: f32) -> f32 {
    let (s, c, q) = sin_cos_f32(x);
    let v = if q & 1 == 0 { s } else { c };
    if q & 2 == 0 {
        v
    } else {
        -v
    }
}

#[inline(always)]
pub fn cos_f32(x: f32) -> f32 {
    let (s, c, q) = sin_cos_f32(x);
    let v = if q & 1 == 0 { c } else { s };
    if (q + 1) & 2 == 0 {
        v
    } else {
        -v
    }
}

/// Natural log for f32 inputs: the widened value's (f32 subnormals are
/// normal in f64), rounded once.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    ln_f64_for_f32(x as f64) as f32
}

/// ln for positive normal f64 inputs (every f32 magnitude is one), via the
/// mantissa/exponent split and the atanh series; relative error ~1e-16.
/// 0 gives -inf, inf gives inf, NaN and negatives NaN (selected, not branched).
#[inline(always)]
fn ln_f64(x: f64) -> f64 {
    ln_f64_series::<false>(x)
}

/// `ln_f64` for a result rounded to f32: the series to s^13 (the next term
/// is below 2e-12 of the result, far under f32's rounding), four fewer
/// steps per element for log, log1p and softplus.
#[inline(always)]
fn ln_f64_for_f32(x: f64) -> f64 {
    ln_f64_series::<true>(x)
}

#[inline(always)]
fn ln_f64_series<const FOR_F32: bool>(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    // 2 atanh(s) to s^21: |s| <= 0.1716, so the next term is below 1e-17
    let mut p: f64 = 1.0 / 13.0;
    if !FOR_F32 {
        p = 1.0 / 21.0;
        p = p.mul_add(s2, 1.0 / 19.0);
        p = p.mul_add(s2, 1.0 / 17.0);
        p = p.mul_add(s2, 1.0 / 15.0);
        p = p.mul_add(s2, 1.0 / 13.0);
    }
    p = p.mul_add(s2, 1.0 / 11.0);
    p = p.mul_add(s2, 1.0 / 9.0);
    p = p.mul_add(s2, 1.0 / 7.0);
    p = p.mul_add(s2, 1.0 / 5.0);
    p = p.mul_add(s2, 1.0 / 3.0);
    p = p.mul_add(s2, 1.0);
    let r = (e as f64).mul_add(std::f64::consts::LN_2, 2.0 * s * p);
    if x == 0.0 {
        f64::NEG_INFINITY
    } else if x < 0.0 || x.is_nan() {
        f64::NAN
    } else if x.is_infinite() {
        x
    } else {
        r
    }
}

/// a + b as the rounded sum and its exact error, for |a| >= |b| (or a = 0)
/// (Dekker's Fast2Sum).
#[inline(always)]
fn fast_two_sum(a: f32, b: f32) -> (f32, f32) {
    let s = a + b;
    (s, (a - s) + b)
}

/// a + b as the rounded sum and its exact error, for any a and b (Knuth's
/// TwoSum).
#[inline(always)]
fn two_sum(a: f32, b: f32) -> (f32, f32) {
    let s = a + b;
    let bv = s - a;
    (s, (a - (s - bv)) + (b - bv))
}

/// e^x - 1 in f32 arithmetic, within 1 ulp and rounded as the exact value
/// would be but for about 1 in 200 (PyTorch's Sleef kernel: 1 in 150).
/// With x = k ln2 + r (|r| <= ln2 / 2), e^x - 1 = 2^k (e^r - 1) + (2^k - 1),
/// e^r - 1 = r + r^2 h(r) (Taylor to r^8; it never cancels), every large
/// term's rounding carried along (r's, r^2's, and the sums', by
/// Fast2Sum/TwoSum) and added once at the end. Past 88 (where 2^k may
/// overflow) it is computed as 2 (2^(k-1) (e^r - 1) + 2^(k-1) - 1/2).
#[inline(always)]
pub fn expm1(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23
    const LN2_HI: f32 = 0.693_359_4; // 9 bits: k * LN2_HI is exact
    const LN2_LO: f32 = -2.121_944_4e-4;
    let xc = x.clamp(-88.0, 88.73);
    let t = xc.mul_add(std::f32::consts::LOG2_E, ROUND);
    let k = t - ROUND;
    let r_hi = k.mul_add(-LN2_HI, xc);
    let r = k.mul_add(-LN2_LO, r_hi);
    let r_lo = k.mul_add(-LN2_LO, r_hi - r);
    let mut p: f32 = 1.0 / 40_320.0;
    p = p.mul_add(r, 1.0 / 5_040.0);
    p = p.mul_add(r, 1.0 / 720.0);
    p = p.mul_add(r, 1.0 / 120.0);
    p = p.mul_add(r, 1.0 / 24.0);
    p = p.mul_add(r, 1.0 / 6.0);
    let h = r.mul_add(p, 0.5);
    let rr = r * r;
    let rr_lo = r.mul_add(r, -rr);
    let q = rr * h;
    let q_lo = rr.mul_add(h, -q);
    // e^r - 1 = s + tail: r + q exactly, then the small terms (r_lo's
    // effect is r_lo e^r, to first order r_lo (1 + r))
    let (s, s_err) = fast_two_sum(r, q);
    let tail = r_lo.mul_add(r, r_lo) + rr_lo.mul_add(h, q_lo + s_err);
    let ki = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let big = ki > 127;
    let (ki, one) = if big { (ki - 1, 0.5) } else { (ki, 1.0) };
    // k >= -127 after the clamp: 2^-127 has biased exponent 0, i.e. the
    // value 0, and the result is then -1, as it is to f32 precision
    let scale = f32::from_bits(((ki + 127) as u32) << 23);
    let (w, w_lo) = two_sum(scale, -one);
    // 2^k s is exact; |2^k - 1| >= |2^k s| unless k = 0 (then w = 0)
    let (sum, sum_err) = fast_two_sum(w, scale * s);
    let v = sum + scale.mul_add(tail, sum_err + w_lo);
    if x.is_nan() || x == 0.0 {
        x // NaN, and zeros with their sign
    } else if x > 88.73 {
        f32::INFINITY
    } else if big {
        v * 2.0
    } else {
        v
    }
}

/// ln(1 + x) - x + x^2/2 = x^3 P(x) on [sqrt(1/2) - 1, sqrt 2 - 1]: a least
/// squares fit refined to minimax (Lawson iterations) of the relative
/// error of ln(1 + x), 7.5e-10, written out rounded to f32.
const LOG1P_TAIL: [f32; 9] = [
    0.333_333_13,
    -0.250_000_1,
    0.200_021_19,
    -0.166_679_96,
    0.142_195_52,
    -0.124_055_88,
    0.118_881_62,
    -0.116_756_52,
    0.067_466_415,
];

/// ln(1 + x) in f32 arithmetic, within 1 ulp and rounded as the exact
/// value would be but for about 1 in 200 (PyTorch's Sleef kernel: 1 in
/// 150; a float32 result that feeds float64 math shows its last bit).
/// u = 1 + x rounded is split as 2^e m with m in [sqrt(1/2), sqrt 2);
/// ln(u) = e ln2 + f - f^2/2 + f^3 P(f) with f = m - 1, summed with the
/// roundings of f^2 and of the two large additions carried along
/// (Fast2Sum), and the rounding of 1 + x added back as its first-order
/// effect (x - (u - 1)) / u. -1 gives -inf, below it NaN, inf gives inf.
#[inline(always)]
pub fn log1p(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4; // 9 bits: e * LN2_HI is exact
    const LN2_LO: f32 = -2.121_944_4e-4;
    let u = 1.0 + x;
    let c = (x - (u - 1.0)) / u;
    // e = floor(log2(u / sqrt(1/2))) from the bits (0x3f35_04f3 is
    // sqrt(1/2)); m = u / 2^e
    let bits = u.to_bits() as i32;
    let e = bits.wrapping_sub(0x3f35_04f3) >> 23;
    let m = f32::from_bits(bits.wrapping_sub(e << 23) as u32);
    let f = m - 1.0;
    let z = f * f;
    let z_lo = f.mul_add(f, -z);
    let mut p = LOG1P_TAIL[8];
    for &coef in LOG1P_TAIL[..8].iter().rev() {
        p = p.mul_add(f, coef);
    }
    // s + s_err = f - z/2 exactly (|f| >= z/2 on f's range)
    let half_z = -0.5 * z;
    let s = f + half_z;
    let s_err = (f - s) + half_z;
    let ef = e as f32;
    let low = (z * f).mul_add(p, ef.mul_add(LN2_LO, (-0.5f32).mul_add(z_lo, c + s_err)));
    // big + big_err = e LN2_HI + s exactly (|e LN2_HI| >= 0.69 > |s| unless e = 0)
    let eh = ef * LN2_HI;
    let big = eh + s;
    let big_err = (eh - big) + s;
    let r = big + (big_err + low);
    if x == 0.0 {
        x // with its sign
    } else if u == 0.0 {
        f32::NEG_INFINITY
    } else if u.is_nan() || u < 0.0 {
        f32::NAN
    } else if u == f32::INFINITY {
        u
    } else {
        r
    }
}

/// |x|^p for f32 as exp(p ln|x|) in f64 (about 1e-15 relative, so the
/// float32 result is the correctly rounded power but for rare ties), with
/// pow's special values selected: 0, inf and NaN bases, and negative bases
/// (a sign for integer p, NaN otherwise). `p` is not 0.
#[inline(always)]
pub fn pow(x: f32, p: f64, p_is_int: bool, p_is_odd: bool) -> f32 {
    let a = (x as f64).abs();
    let mag = exp_f64((p * ln_f64(a)).clamp(-745.0, 709.0));
    let mag = if a == 0.0 {
        if p > 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else if a.is_infinite() {
        if p > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    } else {
        mag
    };
    let negative = x.is_sign_negative();
    let r = if !negative {
        mag
    } else if p_is_odd {
        -mag
    } else if p_is_int || a == 0.0 || a.is_infinite() {
        mag
    } else {
        f64::NAN
    };
    if x.is_nan() {
        x
    } else {
        r as f32
    }
}

/// atan2(y, x) for f32, evaluated in f64 and rounded once: the quotient of
/// the smaller by the larger magnitude (in [0, 1]) is reduced below
/// tan(pi/8) with atan(t) = pi/4 + atan((t - 1) / (t + 1)), where the odd
/// series to u^27 is within 1e-12; the octant is then restored with
/// selects (not branches), so the loop vectorises. Signed zeros,
/// infinities and NaN give C's atan2 results.
#[inline(always)]
pub fn atan2_f32(y: f32, x: f32) -> f32 {
    use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};
    let (yd, xd) = (y as f64, x as f64);
    let (a, b) = (xd.abs(), yd.abs());
    let (small, large) = if b > a { (a, b) } else { (b, a) };
    // both infinite: the diagonal; both zero: 0
    let t = if small.is_infinite() {
        1.0
    } else if large == 0.0 {
        0.0
    } else {
        small / large
    };
    let reduced = t > 0.414_213_562_373_095_03;
    let u = if reduced { (t - 1.0) / (t + 1.0) } else { t };
    let u2 = u * u;
    let mut p = -1.0 / 27.0;
    p = p * u2 + 1.0 / 25.0;
    p = p * u2 - 1.0 / 23.0;
    p = p * u2 + 1.0 / 21.0;
    p = p * u2 - 1.0 / 19.0;
    p = p * u2 + 1.0 / 17.0;
    p = p * u2 - 1.0 / 15.0;
    p = p * u2 + 1.0 / 13.0;
    p = p * u2 - 1.0 / 11.0;
    p = p * u2 + 1.0 / 9.0;
    p = p * u2 - 1.0 / 7.0;
    p = p * u2 + 1.0 / 5.0;
    p = p * u2 - 1.0 / 3.0;
    p = p * u2 + 1.0;
    let mut r = u * p + if reduced { FRAC_PI_4 } else { 0.0 };
    if b > a {
        r = FRAC_PI_2 - r;
    }
    if xd.is_sign_negative() {
        r = PI - r;
    }
    let r = if xd.is_nan() || yd.is_nan() {
        f64::NAN
    } else {
        r.copysign(yd)
    };
    r as f32
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
    fn exp_approx_within_two_ulp() {
        sweep(exp_approx, f64::exp, -87.0, 88.72, 2);
        assert_eq!(exp_approx(100.0), f32::INFINITY);
        // the subnormal range rounds like libm's (within 2 subnormal steps), then 0
        for i in 0..=20_000 {
            let x = -110.0 + 23.0 * (i as f32 / 20_000.0);
            let (got, want) = (exp_approx(x) as f64, (x as f64).exp());
            assert!(
                (got - want).abs() <= 2.0 * 1.401_298_5e-45 + 4e-7 * want,
                "x={x}: got {got}, want {want}"
            );
        }
        assert_eq!(exp_approx(-104.0), 0.0);
        assert_eq!(exp_approx(-1000.0), 0.0);
    }

    #[test]
    fn f32_trig_within_two_ulp() {
        // absolute error near the zeros of sin/cos is what matters there
        for i in 0..=400_000 {
            let x = -8000.0 + 16000.0 * (i as f32 / 400_000.0);
            for (got, want) in [
                (sin_f32(x), (x as f64).sin()),
                (cos_f32(x), (x as f64).cos()),
            ] {
                let w = want as f32;
                assert!(
                    ulps(got, w) <= 2 || (got as f64 - want).abs() < 1e-7,
                    "x={x}: got {got}, want {want}"
                );
            }
        }
    }

    #[test]
    fn tanh_and_sigmoid_within_three_ulp() {
        // float32 arithmetic (full SIMD width): within 3 ulp, not 1
        sweep(tanh, f64::tanh, -12.0, 12.0, 3);
        sweep(tanh, f64::tanh, -0.7, 0.7, 3);
        sweep(sigmoid, |x| 1.0 / (1.0 + (-x).exp()), -80.0, 80.0, 3);
        assert!(tanh(f32::NAN).is_nan() && sigmoid(f32::NAN).is_nan());
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(
            (sigmoid(f32::NEG_INFINITY), sigmoid(f32::INFINITY)),
            (0.0, 1.0)
        );
    }

    #[test]
    fn log_within_one_ulp() {
        sweep(ln, f64::ln, 1e-30, 1e30, 1);
        sweep(ln, f64::ln, 0.5, 2.0, 1);
        assert_eq!(ln(0.0), f32::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        assert_eq!(ln(f32::INFINITY), f32::INFINITY);
    }

    #[test]
    fn expm1_log1p_within_one_ulp() {
        sweep(expm1, f64::exp_m1, -20.0, 20.0, 1);
        sweep(expm1, f64::exp_m1, -1e-4, 1e-4, 1);
        sweep(expm1, f64::exp_m1, -90.0, 88.7, 1);
        sweep(log1p, f64::ln_1p, -0.999, 50.0, 1);
        sweep(log1p, f64::ln_1p, -1e-6, 1e-6, 1);
        sweep(log1p, f64::ln_1p, -1.0 + 1e-7, 1e30, 1);
        assert!(expm1(f32::NAN).is_nan() && log1p(f32::NAN).is_nan());
        assert_eq!(expm1(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(log1p(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(expm1(100.0), f32::INFINITY);
        assert_eq!(expm1(-100.0), -1.0);
        assert_eq!(log1p(-1.0), f32::NEG_INFINITY);
        assert!(log1p(-2.0).is_nan());
        assert_eq!(log1p(f32::INFINITY), f32::INFINITY);
    }

    #[test]
    fn pow_is_the_rounded_power_with_pows_special_values() {
        for p in [2.5f64, -1.5, 4.0, 7.0, -3.0, 0.3] {
            let int = p.fract() == 0.0;
            let odd = int && (p % 2.0).abs() == 1.0;
            let lo = if int { -20.0 } else { 0.0 };
            sweep(|x| pow(x, p, int, odd), |x| x.powf(p), lo, 20.0, 1);
            for x in [
                0.0f32,
                -0.0,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NAN,
                -2.0,
                1.0,
            ] {
                let want = (x as f64).powf(p) as f32;
                let got = pow(x, p, int, odd);
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{x}^{p}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn atan2_within_one_ulp_with_c_special_cases() {
        let vals = [
            -3.5f32, -1.0, -0.3, -1e-30, 0.0, 1e-30, 0.25, 1.0, 2.0, 7e20,
        ];
        for &y in &vals {
            for &x in &vals {
                let want = (y as f64).atan2(x as f64) as f32;
                assert!(ulps(atan2_f32(y, x), want) <= 1, "atan2({y}, {x})");
            }
        }
        let n = 100_000;
        for i in 0..n {
            let ang = (i as f64 / n as f64) * 6.5 - 3.25;
            let (y, x) = ((ang.sin() * 3.0) as f32, (ang.cos() * 0.7) as f32);
            let want = (y as f64).atan2(x as f64) as f32;
            assert!(ulps(atan2_f32(y, x), want) <= 1, "atan2({y}, {x})");
        }
        let inf = f32::INFINITY;
        let specials = [
            (0.0, 0.0),
            (-0.0, 0.0),
            (0.0, -0.0),
            (-0.0, -0.0),
            (0.0, -2.0),
            (-0.0, -2.0),
            (3.0, 0.0),
            (-3.0, -0.0),
            (inf, inf),
            (-inf, inf),
            (inf, -inf),
            (-inf, -inf),
            (inf, 2.0),
            (2.0, inf),
            (2.0, -inf),
            (-2.0, -inf),
        ];
        for (y, x) in specials {
            let (got, want) = (atan2_f32(y, x), y.atan2(x));
            assert_eq!(got.to_bits(), want.to_bits(), "atan2({y}, {x})");
        }
        assert!(atan2_f32(f32::NAN, 1.0).is_nan() && atan2_f32(1.0, f32::NAN).is_nan());
        assert!(atan2_f32(f32::NAN, inf).is_nan());
    }
}
