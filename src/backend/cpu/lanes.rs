//! Row reductions written with independent accumulator lanes, so the
//! compiler vectorises them while the summation order stays fixed (and the
//! result deterministic).

use crate::dtype::Float;

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
/// combined in f64.
#[inline(always)]
pub fn sum_exp_f64<F: Float>(x: &[F], m: F) -> f64 {
    let mut acc = [F::zero(); LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            acc[i] = acc[i] + (c[i] - m).exp_approx();
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        acc[i] = acc[i] + (v - m).exp_approx();
    }
    combine(std::array::from_fn(|i| acc[i].to_f64()))
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
}
