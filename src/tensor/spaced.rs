//! linspace and logspace with PyTorch's CPU arithmetic, so seeded programs
//! built on them (every polynomial-fitting tutorial) print PyTorch's digits.
//!
//! PyTorch's linspace kernel works in the tensor's own type, fills from
//! `start` below the halfway index and from `end` above it, and is compiled
//! (in its AVX2 and AVX-512 builds) with multiply-add contraction, so each
//! element is one fused `start + step * i` or `end - step * (steps - 1 - i)`.
//! Probed against PyTorch 2.15 for lengths from 8 to 70,001.

use super::Tensor;
use crate::dtype::DType;
use crate::error::{runtime_err, Result};
use crate::shape::checked_numel;

/// Whether PyTorch's kernel for this CPU fuses `a + b * c` (its builds for
/// AVX2 and AVX-512 do; the baseline build does not).
fn fused() -> bool {
    crate::backend::cpu::simd::level() >= 2
}

macro_rules! linspace_values {
    ($t:ty, $start:expr, $end:expr, $step:expr, $steps:expr) => {{
        let (start, end, step, steps): ($t, $t, $t, usize) = ($start, $end, $step, $steps);
        let half = steps / 2;
        let fused = fused();
        (0..steps).map(move |i| {
            let (base, sign, k) = if i < half {
                (start, 1.0, i)
            } else {
                (end, -1.0, steps - 1 - i)
            };
            if fused {
                (sign * step).mul_add(k as $t, base)
            } else {
                base + sign * (step * k as $t)
            }
        })
    }};
}

/// A double truncated to int64 as x86's conversion instruction does it
/// (PyTorch's C++ cast): out-of-range and NaN values become i64::MIN,
/// where Rust's `as` would saturate.
fn x86_truncate(x: f64) -> i64 {
    if x.is_nan() || !(-9.223_372_036_854_775_808e18..9.223_372_036_854_775_808e18).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

impl Tensor {
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType) -> Result<Tensor> {
        checked_numel("linspace", &[steps])?;
        crate::storage::guard_alloc("linspace", steps, dtype)?;
        if steps == 1 {
            return Ok(Tensor::full(&[1], start, dtype));
        }
        let last = (steps as i64 - 1) as f64;
        Ok(match dtype {
            DType::F32 => {
                let (s, e) = (start as f32, end as f32);
                let v = linspace_values!(f32, s, e, (e - s) / last as f32, steps);
                Tensor::from_vec_f32(v.collect(), vec![steps])
            }
            DType::F64 => {
                let v = linspace_values!(f64, start, end, (end - start) / last, steps);
                Tensor::from_vec_f64(v.collect(), vec![steps])
            }
            DType::I64 => {
                // Integer outputs step in double and truncate each element.
                let (s, e) = (start as i64 as f64, end as i64 as f64);
                let v = linspace_values!(f64, s, e, (e - s) / last, steps);
                Tensor::from_i64(v.map(|x| x as i64).collect(), vec![steps])
            }
            DType::Bool => return runtime_err("\"linspace_cpu\" not implemented for 'Bool'"),
        })
    }

    /// `base ** linspace(start, end)`, each power taken in double from a
    /// double exponent, as PyTorch's logspace loop does.
    pub fn logspace(start: f64, end: f64, steps: usize, base: f64, dtype: DType) -> Result<Tensor> {
        checked_numel("logspace", &[steps])?;
        crate::storage::guard_alloc("logspace", steps, dtype)?;
        if steps == 1 {
            // PyTorch fills the one element from the unrounded start
            return Ok(Tensor::full(&[1], base.powf(start), dtype));
        }
        // the start and end in the tensor's type, and their difference
        // taken in that type before the double arithmetic
        let (start, end, span) = match dtype {
            DType::F32 => {
                let (s, e) = (start as f32, end as f32);
                (s as f64, e as f64, (e - s) as f64)
            }
            DType::I64 => {
                let (s, e) = (start as i64, end as i64);
                (s as f64, e as f64, e.wrapping_sub(s) as f64)
            }
            DType::F64 => (start, end, end - start),
            DType::Bool => return runtime_err("\"logspace_cpu\" not implemented for 'Bool'"),
        };
        let step = span / (steps as i64 - 1) as f64;
        let half = steps / 2;
        let powers: Vec<f64> = (0..steps)
            .map(|i| {
                if i < half {
                    base.powf(start + step * i as f64)
                } else {
                    base.powf(end - step * (steps - i - 1) as f64)
                }
            })
            .collect();
        Ok(match dtype {
            DType::F32 => {
                Tensor::from_vec_f32(powers.iter().map(|&p| p as f32).collect(), vec![steps])
            }
            DType::I64 => Tensor::from_i64(
                powers.iter().map(|&p| x86_truncate(p)).collect(),
                vec![steps],
            ),
            _ => Tensor::from_vec_f64(powers, vec![steps]),
        })
    }
}
