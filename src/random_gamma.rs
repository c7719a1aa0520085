//! Gamma draws as PyTorch's CPU `_standard_gamma` and `_sample_dirichlet`
//! make them: Marsaglia and Tsang's acceptance-rejection (2000), boosted by
//! `u^(1/alpha)` below alpha = 1, from the generator's double-precision
//! uniforms and its (cached) double-precision normals, one element after
//! another. For float32 tensors PyTorch keeps alpha in float32 while it
//! adjusts it (`alpha + 1`, `alpha - 1/3`), so that arithmetic is float32
//! here too; everything else is double.

use crate::random::Mt19937;

/// One draw from Gamma(alpha, 1). `single`: the tensor is float32.
fn sample(r: &mut Mt19937, alpha: f64, single: bool) -> f64 {
    // alpha as the kernel holds it (its scalar type)
    let mut alpha = if single { alpha as f32 as f64 } else { alpha };
    let mut scale = 1.0f64;
    if alpha < 1.0 {
        if alpha == 0.0 {
            return 0.0;
        }
        let inv_alpha = if single {
            (1.0f32 / alpha as f32) as f64
        } else {
            1.0 / alpha
        };
        scale *= (1.0 - r.uniform_f64()).powf(inv_alpha);
        alpha = if single {
            (alpha as f32 + 1.0f32) as f64
        } else {
            alpha + 1.0
        };
    }
    let d = if single {
        (alpha as f32 - 1.0f32 / 3.0f32) as f64
    } else {
        alpha - 1.0 / 3.0
    };
    let c = 1.0 / (9.0 * d).sqrt();
    // 0.0331 as the float32 constant PyTorch's kernel writes
    let squeeze = 0.0331f32 as f64;
    loop {
        let (x, y) = loop {
            let x = r.normal_f64();
            let y = 1.0 + c * x;
            if y > 0.0 {
                break (x, y);
            }
        };
        let v = y * y * y;
        let u = 1.0 - r.uniform_f64();
        let xx = x * x;
        if u < 1.0 - squeeze * xx * xx || u.ln() < 0.5 * xx + d * (1.0 - v + v.ln()) {
            return scale * d * v;
        }
    }
}

/// `_standard_gamma` of `alphas` (in order), each result floored at the
/// smallest normal number of the tensor's type, as PyTorch's.
pub fn standard_gamma(r: &mut Mt19937, alphas: &[f64], single: bool) -> Vec<f64> {
    alphas
        .iter()
        .map(|&a| {
            let x = sample(r, a, single);
            if single {
                (x as f32).max(f32::MIN_POSITIVE) as f64
            } else {
                x.max(f64::MIN_POSITIVE)
            }
        })
        .collect()
}

/// The Gamma draws behind `_sample_dirichlet`: double precision whatever
/// the tensor's type (PyTorch casts alpha to double against underflow),
/// floored at the smallest normal double.
pub fn dirichlet_gammas(r: &mut Mt19937, alphas: &[f64]) -> Vec<f64> {
    alphas
        .iter()
        .map(|&a| sample(r, a, false).max(f64::MIN_POSITIVE))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_have_the_gamma_mean_and_variance() {
        let mut r = Mt19937::new(7);
        for alpha in [0.4, 1.0, 3.5, 30.0] {
            let n = 40_000;
            let x = standard_gamma(&mut r, &vec![alpha; n], false);
            let mean = x.iter().sum::<f64>() / n as f64;
            let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            assert!(
                (mean - alpha).abs() < 0.03 * alpha.max(1.0),
                "{alpha}: mean {mean}"
            );
            assert!(
                (var - alpha).abs() < 0.06 * alpha.max(1.0),
                "{alpha}: variance {var}"
            );
        }
    }

    #[test]
    fn zero_shape_gives_the_smallest_normal_and_streams_repeat() {
        let mut r = Mt19937::new(1);
        assert_eq!(
            standard_gamma(&mut r, &[0.0], true),
            vec![f32::MIN_POSITIVE as f64]
        );
        let (mut a, mut b) = (Mt19937::new(3), Mt19937::new(3));
        assert_eq!(
            dirichlet_gammas(&mut a, &[0.5, 2.0]),
            dirichlet_gammas(&mut b, &[0.5, 2.0])
        );
    }
}
