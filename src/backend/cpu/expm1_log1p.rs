//! e^x - 1 and ln(1 + x) for f32 in f32 arithmetic (vectorisable, like
//! `fastmath`), with every large rounding carried as an exact error term
//! and added once at the end: within 1 ulp and almost always the correctly
//! rounded value. A float32 result that feeds float64 math shows its last
//! bit, so these round like PyTorch's kernels, not merely near them.

use super::fastmath::{LN2_HI_F32, LN2_LO_F32, ROUND_F32};

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
    let xc = x.clamp(-88.0, 88.73);
    let t = xc.mul_add(std::f32::consts::LOG2_E, ROUND_F32);
    let k = t - ROUND_F32;
    let r_hi = k.mul_add(-LN2_HI_F32, xc);
    let r = k.mul_add(-LN2_LO_F32, r_hi);
    let r_lo = k.mul_add(-LN2_LO_F32, r_hi - r);
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
    let ki = (t.to_bits() as i32).wrapping_sub(ROUND_F32.to_bits() as i32);
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
    let low = (z * f).mul_add(
        p,
        ef.mul_add(LN2_LO_F32, (-0.5f32).mul_add(z_lo, c + s_err)),
    );
    // big + big_err = e LN2_HI_F32 + s exactly (|e LN2_HI_F32| >= 0.69 > |s| unless e = 0)
    let eh = ef * LN2_HI_F32;
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

#[cfg(test)]
mod tests {
    use super::super::fastmath::sweep::sweep;
    use super::*;

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
}
