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
