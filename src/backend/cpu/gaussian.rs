//! erf and the Gaussian cdf/pdf that GELU is made of. The float32 versions
//! run in f32 arithmetic (16 lanes on AVX-512) without branches, so the
//! element loop vectorises: erf within 2 ulp (the policy of exp/sin/cos in
//! `fastmath`), and GELU's cdf from the normal tail, which keeps its
//! relative accuracy (about 3e-7) where 0.5 * (1 + erf) would cancel.
//! float64 keeps libm-grade `special::erf` and PyTorch's formulas term for
//! term.
//!
//! The coefficients are least-squares fits refined to minimax (Lawson
//! iterations) in float64, written out rounded to f32; erf's are:
//! - near, |x| < 1: erf(x) = x (c0 + x^2 Q(x^2)), relative error 1.3e-9;
//! - far, 1 <= |x| <= 10: erfc(x) = e^(-x^2) R(v), v = (1/x - 0.55) / 0.45
//!   (1/x spans [0.1, 1]), relative error 1.4e-8.

use super::fastmath::{exp_approx, exp_normal_range};
use crate::backend::cpu::special;

/// 2 / sqrt(pi) as the f32 nearest it plus the remainder, so the leading
/// term x * c0 keeps the precision the rounded constant alone would lose.
const C0_HI: f32 = 1.128_379_2;
const C0_LO: f32 = -5.863_538_3e-8;
const NEAR: [f32; 6] = [
    -0.376_126_3,
    0.112_836_175,
    -0.026_854_916,
    0.005_190_162_5,
    -0.000_802_481_9,
    7.898_697e-5,
];
const FAR: [f32; 11] = [
    0.276_294_38,
    0.183_975_4,
    -0.036_700_03,
    0.003_072_992_7,
    0.001_843_936_4,
    -0.001_278_411_4,
    0.000_473_298_2,
    -9.660_461e-5,
    -3.286_835e-5,
    4.792_637_3e-5,
    -1.643_304e-5,
];
/// Past this |x| the f32 erfc is 0 (e^(-100) underflows it) and erf is 1.
const FAR_END: f32 = 10.0;

const INV_SQRT_2PI: f32 = 0.398_942_3; // 1 / sqrt(2 pi)

/// c[0] + x (c[1] + x (c[2] + ...)) with fused multiply-adds, unrolled
/// (the arrays are constants, so the loop disappears).
#[inline(always)]
fn horner<const N: usize>(x: f32, c: &[f32; N]) -> f32 {
    let mut p = c[N - 1];
    for i in (0..N - 1).rev() {
        p = p.mul_add(x, c[i]);
    }
    p
}

/// erf in f32 arithmetic, within 2 ulp: the near polynomial and the far
/// one both evaluated (at a = |x|) and one selected. a^2 is split exactly
/// as s + lo: e^(-a^2) has a^2 times the relative error of the exponent,
/// up to 100 times its rounding.
#[inline(always)]
pub fn erf_f32(x: f32) -> f32 {
    let a = x.abs().min(FAR_END + 1.0);
    let s = a * a;
    let lo = a.mul_add(a, -s);
    let near = a.mul_add(C0_HI, (a * s).mul_add(horner(s, &NEAR), a * C0_LO));
    let e = exp_approx(-s);
    let e = e - e * lo;
    let v = (1.0 / a).mul_add(1.0 / 0.45, -0.55 / 0.45);
    let erfc = if a > FAR_END {
        0.0
    } else {
        e * horner(v, &FAR)
    };
    let r = if a < 1.0 { near } else { 1.0 - erfc };
    if x.is_nan() {
        x
    } else {
        r.copysign(x)
    }
}

/// GELU's normal tail uses one formula over the whole range (cheaper than
/// erf's two pieces, evaluated both and one selected):
/// Phi(-|x|) = 0.5 e^(-x^2/2) t P(t), t = 1 / (1 + TAIL_Q |x|), where
/// t P(t) approximates erfc(a) e^(a^2) at a = |x| / sqrt 2 within 1.2e-8
/// relative (least squares refined to minimax, P of degree 8, on
/// |x| <= TAIL_END). The tail keeps its relative accuracy where
/// 0.5 (1 + erf) would cancel.
const TAIL_Q: f32 = 0.265_165_03; // 0.375 / sqrt 2, as the fit used it
const TAIL: [f32; 9] = [
    0.211_614_4,
    0.210_633_49,
    0.205_430_43,
    0.121_038_89,
    0.274_844_3,
    -0.231_076_69,
    0.433_894_04,
    -0.288_075_48,
    0.061_696_626,
];
/// Past this |x| the tail is below f32's normal range (5e-40 at 13.2) and
/// is returned as 0, as e^(-x^2/2) leaves the range `exp_normal_range`
/// handles.
const TAIL_END: f32 = 13.2;

/// The standard normal tail Phi(-|x|) and pdf e^(-x^2 / 2) / sqrt(2 pi)
/// at x (both 0 past TAIL_END, so that x pdf(x) is NaN at infinite x, as
/// PyTorch's formula gives).
#[inline(always)]
fn normal_tail_pdf(x: f32) -> (f32, f32) {
    let xc = x.abs().min(TAIL_END);
    // x^2 split exactly as xx + lo: e^(-x^2/2) has x^2/2 times the
    // relative error of its exponent, up to 87 times the rounding of xx
    let xx = xc * xc;
    let lo = xc.mul_add(xc, -xx);
    let e = exp_normal_range(-0.5 * xx);
    let e = e - e * (0.5 * lo);
    let t = 1.0 / xc.mul_add(TAIL_Q, 1.0);
    if x.abs() < TAIL_END {
        ((0.5 * e) * (t * horner(t, &TAIL)), e * INV_SQRT_2PI)
    } else {
        (0.0, 0.0)
    }
}

/// The standard normal cdf and pdf at x.
#[inline(always)]
fn normal_cdf_pdf(x: f32) -> (f32, f32) {
    let (tail, pdf) = normal_tail_pdf(x);
    let cdf = if x > 0.0 { 1.0 - tail } else { tail };
    (cdf, pdf)
}

/// GELU, x * cdf(x), for f32.
#[inline(always)]
pub fn gelu_f32(x: f32) -> f32 {
    let (cdf, _) = normal_cdf_pdf(x);
    let r = x * cdf;
    if x.is_nan() {
        x
    } else {
        r
    }
}

/// GELU's gradient g * (cdf(x) + x pdf(x)), for f32.
#[inline(always)]
pub fn gelu_backward_f32(g: f32, x: f32) -> f32 {
    let (cdf, pdf) = normal_cdf_pdf(x);
    let r = g * x.mul_add(pdf, cdf);
    if x.is_nan() {
        x
    } else {
        r
    }
}

/// GELU for f64, PyTorch's formula term for term.
#[inline(always)]
pub fn gelu_f64(x: f64) -> f64 {
    x * 0.5 * (1.0 + special::erf(x * std::f64::consts::FRAC_1_SQRT_2))
}

/// GELU's gradient for f64, PyTorch's formula term for term.
#[inline(always)]
pub fn gelu_backward_f64(g: f64, x: f64) -> f64 {
    let cdf = 0.5 * (1.0 + special::erf(x * std::f64::consts::FRAC_1_SQRT_2));
    let pdf = (-0.5 * x * x).exp() * 0.398_942_280_401_432_7;
    g * (cdf + x * pdf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest error of `f` against the f64 reference `r` in units of
    /// the f32 result's last place, over `n` points of [lo, hi].
    fn max_ulp(f: impl Fn(f32) -> f32, r: impl Fn(f64) -> f64, lo: f32, hi: f32, n: usize) -> f64 {
        let mut worst = 0.0f64;
        for i in 0..=n {
            let x = lo + (hi - lo) * (i as f32 / n as f32);
            let want = r(x as f64);
            let ulp = ((want.abs() as f32).next_up() - want.abs() as f32) as f64;
            let ulp = if ulp > 0.0 { ulp } else { f64::MIN_POSITIVE };
            worst = worst.max((f(x) as f64 - want).abs() / ulp);
        }
        worst
    }

    #[test]
    fn erf_within_two_ulp() {
        for (lo, hi) in [(-6.0, 6.0), (-1.1, 1.1), (-1e-3, 1e-3), (0.9, 1.1)] {
            let e = max_ulp(erf_f32, special::erf, lo, hi, 200_000);
            assert!(e <= 2.0, "erf on [{lo}, {hi}]: {e} ulp");
        }
        assert!(erf_f32(f32::NAN).is_nan());
        assert_eq!(erf_f32(f32::INFINITY), 1.0);
        assert_eq!(erf_f32(f32::NEG_INFINITY), -1.0);
        assert_eq!(erf_f32(0.0).to_bits(), 0.0f32.to_bits());
        assert_eq!(erf_f32(-0.0).to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn gelu_relative_error_small_across_the_range_and_in_the_negative_tail() {
        // the reference cdf from erfc in the tail (1 + erf cancels there)
        let cdf = |x: f64| {
            let z = x * std::f64::consts::FRAC_1_SQRT_2;
            if z < -2.0 {
                0.5 * special::erfc_cf(-z)
            } else {
                0.5 * (1.0 + special::erf(z))
            }
        };
        for i in 0..=400_000 {
            let x = -13.0 + 20.0 * (i as f32 / 400_000.0);
            let want = x as f64 * cdf(x as f64);
            let got = gelu_f32(x) as f64;
            // relative to the value, with an absolute floor where the
            // value itself is below f32's normal range
            let err = (got - want).abs() / want.abs().max(1e-37);
            assert!(err < 2e-6, "gelu({x}) = {got}, want {want}");
            // the gradient crosses zero (near -0.75): an absolute floor there
            let xd = x as f64;
            let want_g = cdf(xd) + xd * (-0.5 * xd * xd).exp() * 0.398_942_280_401_432_7;
            let got_g = gelu_backward_f32(1.0, x) as f64;
            assert!(
                (got_g - want_g).abs() <= 1e-6 * want_g.abs() + 1e-7,
                "gelu'({x}) = {got_g}, want {want_g}"
            );
        }
        assert!(gelu_f32(f32::NAN).is_nan() && gelu_backward_f32(1.0, f32::NAN).is_nan());
        assert_eq!(gelu_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(gelu_f32(-20.0), 0.0);
        // inf * pdf(inf) = inf * 0: NaN, as PyTorch's formula gives
        assert!(gelu_backward_f32(2.0, f32::INFINITY).is_nan());
        assert_eq!(gelu_backward_f32(2.0, 1e30), 2.0);
    }
}
