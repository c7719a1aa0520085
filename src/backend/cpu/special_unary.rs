//! Special functions of one float64 argument, element by element over a
//! slice (rayon above a size): the kernels of `torch.erfc`, `erfinv`,
//! `lgamma` and `digamma` (their float32 results are these rounded once).
//! Special values follow PyTorch: lgamma is +inf at its poles and at both
//! infinities; digamma is NaN at the negative integers and -inf/+inf at
//! +0/-0; erfinv is +-inf at +-1 and NaN outside [-1, 1].

use rayon::prelude::*;
use std::f64::consts::PI;

/// Elements per rayon task: below this a call runs on the caller's thread.
const PARALLEL_CHUNK: usize = 1 << 14;

/// The special function named `name` over `x`, or None for an unknown name.
pub fn map(name: &str, x: &[f64]) -> Option<Vec<f64>> {
    let f: fn(f64) -> f64 = match name {
        "erfc" => libm::erfc,
        "erfinv" => erfinv,
        "lgamma" => lgamma,
        "digamma" => digamma,
        _ => return None,
    };
    let mut out = vec![0.0; x.len()];
    if x.len() <= PARALLEL_CHUNK {
        out.iter_mut().zip(x).for_each(|(o, &v)| *o = f(v));
    } else {
        out.par_chunks_mut(PARALLEL_CHUNK)
            .zip(x.par_chunks(PARALLEL_CHUNK))
            .for_each(|(o, x)| o.iter_mut().zip(x).for_each(|(o, &v)| *o = f(v)));
    }
    Some(out)
}

/// log|gamma(x)|.
pub fn lgamma(x: f64) -> f64 {
    if x.is_nan() {
        x
    } else if x.is_infinite() || (x <= 0.0 && x == x.floor()) {
        f64::INFINITY
    } else {
        libm::lgamma_r(x).0
    }
}

/// Bernoulli numbers B2, B4, ..., B16: the asymptotic series of digamma.
const BERNOULLI: [f64; 8] = [
    1.0 / 6.0,
    -1.0 / 30.0,
    1.0 / 42.0,
    -1.0 / 30.0,
    5.0 / 66.0,
    -691.0 / 2730.0,
    7.0 / 6.0,
    -3617.0 / 510.0,
];

/// psi(x) = gamma'(x) / gamma(x): the recurrence psi(x) = psi(x + 1) - 1/x
/// up to x >= 10, then the asymptotic series; the reflection
/// psi(x) = psi(1 - x) - pi cot(pi x) below zero.
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return x;
    }
    if x == 0.0 {
        // -inf at +0, +inf at -0 (PyTorch's copysign(inf, -x))
        return f64::INFINITY.copysign(-x);
    }
    if x < 0.0 {
        if x == x.floor() {
            return f64::NAN;
        }
        return digamma_positive(1.0 - x) - PI / (PI * x).tan();
    }
    digamma_positive(x)
}

fn digamma_positive(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let mut s = x.ln() - 0.5 / x;
    let mut power = x * x;
    for (k, b) in BERNOULLI.iter().enumerate() {
        s -= b / (2.0 * (k + 1) as f64 * power);
        power *= x * x;
    }
    s + shift
}

/// The inverse error function: Giles' single-precision approximation as
/// the first guess, then three Newton steps on erf(x) - y (each roughly
/// doubles the correct digits), to double precision.
pub fn erfinv(y: f64) -> f64 {
    if y.is_nan() || y.abs() > 1.0 {
        return f64::NAN;
    }
    if y.abs() == 1.0 {
        return f64::INFINITY.copysign(y);
    }
    let w = -((1.0 - y) * (1.0 + y)).ln();
    let guess = if w < 5.0 {
        let w = w - 2.5;
        [
            3.432_739_39e-7,
            -3.523_387_7e-6,
            -4.391_506_54e-6,
            2.185_808_7e-4,
            -1.253_725_03e-3,
            -4.177_681_64e-3,
            2.466_407_27e-1,
            1.501_409_41,
        ]
        .iter()
        .fold(2.810_226_36e-8, |p, c| p * w + c)
    } else {
        let w = w.sqrt() - 3.0;
        [
            1.009_505_58e-4,
            1.349_343_22e-3,
            -3.673_428_44e-3,
            5.739_507_73e-3,
            -7.622_461_3e-3,
            9.438_870_47e-3,
            1.001_674_06,
            2.832_976_82,
        ]
        .iter()
        .fold(-2.002_142_57e-4, |p, c| p * w + c)
    };
    let mut x = guess * y;
    for _ in 0..3 {
        let err = libm::erf(x) - y;
        x -= err / (std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp());
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_known_values() {
        // psi(1) = -Euler's gamma; psi(1/2) = -gamma - 2 ln 2
        let gamma = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + gamma).abs() < 1e-15);
        assert!((digamma(0.5) + gamma + 2.0 * 2f64.ln()).abs() < 1e-14);
        // the reflection: psi(1 - x) - psi(x) = pi cot(pi x)
        let x = -2.3;
        assert!((digamma(1.0 - x) - digamma(x) - PI / (PI * x).tan()).abs() < 1e-12);
        assert!(digamma(-3.0).is_nan() && digamma(0.0) == f64::NEG_INFINITY);
        assert!(digamma(-0.0) == f64::INFINITY);
    }

    #[test]
    fn erfinv_inverts_erf() {
        for &y in &[
            -0.999_999,
            -0.7,
            -1e-300,
            0.0,
            1e-9,
            0.3,
            0.9,
            0.999_999_999,
        ] {
            let x = erfinv(y);
            assert!(
                (libm::erf(x) - y).abs() <= 2e-16 * y.abs().max(1e-300) + 1e-300,
                "{y}"
            );
        }
        assert!(erfinv(1.0) == f64::INFINITY && erfinv(-1.0) == f64::NEG_INFINITY);
        assert!(erfinv(1.5).is_nan() && erfinv(f64::NAN).is_nan());
    }

    #[test]
    fn lgamma_poles_and_values() {
        assert!(lgamma(-2.0) == f64::INFINITY && lgamma(0.0) == f64::INFINITY);
        assert!(lgamma(f64::NEG_INFINITY) == f64::INFINITY);
        // gamma(5) = 24
        assert!((lgamma(5.0) - 24f64.ln()).abs() < 1e-15);
        assert!(map("nope", &[1.0]).is_none());
    }
}
