//! Row reductions written with independent accumulator lanes, so the
//! compiler vectorises them while the summation order stays fixed (and the
//! result deterministic).

use crate::backend::cpu::float::Float;

const LANES: usize = 16;

/// Sum in f64 with 16 lanes combined pairwise.
#[inline(always)]
pub fn sum_f64<F: Float>(x: &[F]) -> f64 {
    let mut acc = [0.0f64; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            acc[i] += c[i].to_f64();
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        acc[i] += v.to_f64();
    }
    combine(acc)
}

/// sum((x - mean)^2) in f64 (the variance's numerator, two-pass).
#[inline(always)]
pub fn sum_sq_dev_f64<F: Float>(x: &[F], mean: f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            let d = c[i].to_f64() - mean;
            acc[i] += d * d;
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        let d = v.to_f64() - mean;
        acc[i] += d * d;
    }
    combine(acc)
}

/// (sum(a * b * x), sum(a * b)) in f64, b all ones when None: a layer
/// norm backward's row sums of the scaled gradient.
#[inline(always)]
pub fn scaled_sums_f64<F: Float>(a: &[F], b: Option<&[F]>, x: &[F]) -> (f64, f64) {
    match b {
        Some(b) => weighted_sums(a, x, |k| b[k]),
        None => weighted_sums(a, x, |_| F::one()),
    }
}

#[inline(always)]
fn weighted_sums<F: Float>(a: &[F], x: &[F], b: impl Fn(usize) -> F) -> (f64, f64) {
    let mut with_x = [0.0f64; LANES];
    let mut plain = [0.0f64; LANES];
    let n = a.len().min(x.len());
    let full = n - n % LANES;
    for base in (0..full).step_by(LANES) {
        for i in 0..LANES {
            let ab = (a[base + i] * b(base + i)).to_f64();
            with_x[i] += ab * x[base + i].to_f64();
            plain[i] += ab;
        }
    }
    for k in full..n {
        let ab = (a[k] * b(k)).to_f64();
        with_x[k - full] += ab * x[k].to_f64();
        plain[k - full] += ab;
    }
    (combine(with_x), combine(plain))
}

/// Adds the lanes pairwise: a fixed order, so results never vary.
#[inline(always)]
fn combine(mut acc: [f64; LANES]) -> f64 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            acc[i] += acc[i + width];
        }
    }
    acc[0]
}

/// sum(exp(x - m)) without storing the exponentials: lanes in the element
/// type (all terms are in (0, 1], so f32 lanes lose nothing that matters),
/// combined in f64. With m the maximum the sum is at least 1, so the terms
/// below the FMA exp's range (under 1e-38) are dropped: they could not
/// change it. For multiversioned kernels only (`exp_fma_nonpositive`).
#[inline(always)]
pub fn sum_exp_f64<F: Float>(x: &[F], m: F) -> f64 {
    let min = F::from_f64(F::EXP_FMA_MIN);
    let term = |v: F| {
        let d = v - m;
        if d < min {
            F::zero()
        } else {
            d.exp_fma_nonpositive()
        }
    };
    let mut acc = [F::zero(); LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            acc[i] = acc[i] + term(c[i]);
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        acc[i] = acc[i] + term(v);
    }
    combine(std::array::from_fn(|i| acc[i].to_f64()))
}

/// e^x of each of 16 values x <= 0 (or NaN): with fused multiply-adds when
/// all are in that form's range (the common case by far), else each one
/// in full (`exp_approx`, which reaches the subnormals). For multiversioned
/// kernels only.
#[inline(always)]
pub fn exp_nonpositive16<F: Float>(x: [F; LANES]) -> [F; LANES] {
    // plain loops: `array::map` can stay a call compiled without the
    // kernel's target features, where each FMA is a libm call
    let min = F::from_f64(F::EXP_FMA_MIN);
    let mut in_range = true;
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN counts as in range here
    for &v in &x {
        in_range &= !(v < min);
    }
    let mut e = x;
    if in_range {
        for v in e.iter_mut() {
            *v = v.exp_fma_nonpositive();
        }
    } else {
        for v in e.iter_mut() {
            *v = v.exp_approx();
        }
    }
    e
}

/// `f(start, e)` with e = e^(x - m) over x[start..start + e.len()], for
/// x <= m (or NaN), 16 at a time by `exp_nonpositive16` (the rest in
/// full). For multiversioned kernels only.
#[inline(always)]
pub fn exp_shifted_chunks<F: Float>(x: &[F], m: F, mut f: impl FnMut(usize, &[F])) {
    let mut chunks = x.chunks_exact(LANES);
    for (k, c) in (&mut chunks).enumerate() {
        let mut x16 = [F::zero(); LANES];
        for (d, &v) in x16.iter_mut().zip(c) {
            *d = v - m;
        }
        f(k * LANES, &exp_nonpositive16(x16));
    }
    let rest = chunks.remainder();
    let mut e = [F::zero(); LANES];
    for (o, &v) in e.iter_mut().zip(rest) {
        *o = (v - m).exp_approx();
    }
    f(x.len() - rest.len(), &e[..rest.len()]);
}

/// `f(start, e)` with e = e^(x - m) elementwise over x[start..start +
/// e.len()] and the same part of m, for x <= m (or NaN): `exp_shifted_chunks`
/// with a shift per element (softmax over a dim that is not the last).
/// For multiversioned kernels only.
#[inline(always)]
pub fn exp_diff_chunks<F: Float>(x: &[F], m: &[F], mut f: impl FnMut(usize, &[F])) {
    let n = x.len().min(m.len());
    let (x, m) = (&x[..n], &m[..n]);
    let mut chunks = x.chunks_exact(LANES).zip(m.chunks_exact(LANES));
    for (k, (c, mc)) in (&mut chunks).enumerate() {
        let mut x16 = [F::zero(); LANES];
        for ((d, &v), &mv) in x16.iter_mut().zip(c).zip(mc) {
            *d = v - mv;
        }
        f(k * LANES, &exp_nonpositive16(x16));
    }
    let full = n - n % LANES;
    let mut e = [F::zero(); LANES];
    for ((o, &v), &mv) in e.iter_mut().zip(&x[full..]).zip(&m[full..]) {
        *o = (v - mv).exp_approx();
    }
    f(full, &e[..n - full]);
}

/// x = e^(x - m) in place, for x <= m (or NaN), 16 at a time by
/// `exp_nonpositive16`. For multiversioned kernels only.
#[inline(always)]
pub fn exp_shifted_in_place<F: Float>(x: &mut [F], m: F) {
    let mut chunks = x.chunks_exact_mut(LANES);
    for c in &mut chunks {
        let mut x16 = [F::zero(); LANES];
        for (d, &v) in x16.iter_mut().zip(c.iter()) {
            *d = v - m;
        }
        c.copy_from_slice(&exp_nonpositive16(x16));
    }
    for v in chunks.into_remainder() {
        *v = (*v - m).exp_approx();
    }
}

/// Maximum, NaN if any element is NaN; -inf for an empty slice.
#[inline(always)]
pub fn max<F: Float>(x: &[F]) -> F {
    let mut acc = [F::from_f64(f64::NEG_INFINITY); LANES];
    let mut nan = [false; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            let v = c[i];
            nan[i] |= v.is_nan();
            acc[i] = if v > acc[i] { v } else { acc[i] };
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        nan[i] |= v.is_nan();
        acc[i] = if v > acc[i] { v } else { acc[i] };
    }
    if nan.iter().any(|&n| n) {
        return F::from_f64(f64::NAN);
    }
    acc.iter().copied().fold(
        F::from_f64(f64::NEG_INFINITY),
        |a, b| if b > a { b } else { a },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn lanes_match_plain_loops() {
        let v: Vec<f32> = (0..1037)
            .map(|i| ((i * 7919) % 1000) as f32 * 0.001 - 0.3)
            .collect();
        let plain: f64 = v.iter().map(|&x| x as f64).sum();
        assert!((super::sum_f64(&v) - plain).abs() < 1e-9);
        assert_eq!(super::max(&v), v.iter().cloned().fold(f32::MIN, f32::max));
        let mut w = v.clone();
        w[500] = f32::NAN;
        assert!(super::max(&w).is_nan());
        assert_eq!(super::max::<f32>(&[]), f32::NEG_INFINITY);
    }

    #[test]
    fn fma_exp_paths_reach_the_subnormals_and_keep_nan() {
        use crate::backend::cpu::fastmath::{exp_approx, exp_normal_range, EXP_NORMAL_MIN};
        crate::backend::cpu::fastmath::sweep::sweep(
            exp_normal_range,
            f64::exp,
            EXP_NORMAL_MIN,
            0.0,
            2,
        );
        assert!(exp_normal_range(f32::NAN).is_nan());
        // chunks with values below the FMA range (subnormal results, -inf)
        // take exp_approx for the whole chunk; a NaN stays NaN
        let mut x: Vec<f32> = (0..40).map(|i| -0.5 * i as f32).collect();
        x[3] = -95.0;
        x[20] = f32::NEG_INFINITY;
        x[33] = f32::NAN;
        let mut seen = vec![f32::NAN; x.len()];
        super::exp_shifted_chunks(&x, 0.0, |at, e| seen[at..at + e.len()].copy_from_slice(e));
        let mut shifted: Vec<f32> = x.iter().map(|&v| v + 2.0).collect();
        super::exp_shifted_in_place(&mut shifted, 2.0);
        for (i, &v) in x.iter().enumerate() {
            for got in [seen[i], shifted[i]] {
                if v.is_nan() {
                    assert!(got.is_nan());
                } else if v < EXP_NORMAL_MIN {
                    assert_eq!(got.to_bits(), exp_approx(v).to_bits(), "x={v}");
                } else {
                    assert!(
                        crate::backend::cpu::fastmath::sweep::ulps(got, (v as f64).exp() as f32)
                            <= 2,
                        "x={v}"
                    );
                }
            }
        }
        assert!(seen[3] > 0.0 && seen[3] < f32::MIN_POSITIVE);
        // the sum drops only terms under 1e-38 next to the maximum's 1
        let row = [0.0f32, -1.0, -90.0, f32::NEG_INFINITY];
        let want: f64 = row.iter().map(|&v| (v as f64).exp()).sum();
        assert!((super::sum_exp_f64(&row, 0.0) - want).abs() < 1e-7);
        assert_eq!(super::sum_exp_f64(&[f32::NEG_INFINITY; 3], 0.0), 0.0);
    }
}
