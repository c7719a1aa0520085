//! Fused cross-entropy over class indices: one pass per row for the loss
//! (stable logsumexp), one pass per row for the gradient (softmax - onehot).

use super::{CpuStorage, IntoStorage, PAR_THRESHOLD};
use crate::dtype::Float;
use crate::error::{dtype_err, Result};
use rayon::prelude::*;
use std::mem::MaybeUninit;

#[inline(always)]
pub(super) fn row_lse<F: Float>(row: &[F]) -> F {
    let mut m = super::lanes::max(row);
    if m == F::from_f64(f64::NEG_INFINITY) {
        m = F::zero();
    }
    m + F::from_f64(super::lanes::sum_exp_f64(row, m).ln())
}

#[inline(always)]
pub(super) fn row_grad<F: Float>(
    row: &[F],
    lse: F,
    target: usize,
    coef: F,
    dst: &mut [MaybeUninit<F>],
) {
    for (d, &x) in dst.iter_mut().zip(row) {
        d.write((x - lse).exp_approx() * coef);
    }
    if target < dst.len() {
        dst[target].write((row[target] - lse).exp_approx() * coef - coef);
    }
}

fn forward<F: Float>(x: &[F], c: usize) -> Vec<F> {
    let n = if c == 0 { 0 } else { x.len() / c };
    if x.len() >= PAR_THRESHOLD {
        x.par_chunks(c).map(super::simd::row_lse).collect()
    } else {
        (0..n)
            .map(|i| super::simd::row_lse(&x[i * c..(i + 1) * c]))
            .collect()
    }
}

fn backward<F: Float>(x: &[F], c: usize, lse: &[F], targets: &[i64], coef: &[f64]) -> Vec<F> {
    let len = x.len();
    let mut out: Vec<F> = Vec::with_capacity(len);
    let row = |(i, (dst, src)): (usize, (&mut [MaybeUninit<F>], &[F]))| {
        let t = targets[i];
        if coef[i] != 0.0 && t >= 0 {
            super::simd::ce_row_grad(src, lse[i], t as usize, F::from_f64(coef[i]), dst);
        } else {
            for d in dst.iter_mut() {
                d.write(F::zero());
            }
        }
    };
    let dst = &mut out.spare_capacity_mut()[..len];
    if c > 0 {
        if len >= PAR_THRESHOLD {
            dst.par_chunks_mut(c)
                .zip(x.par_chunks(c))
                .enumerate()
                .for_each(row);
        } else {
            dst.chunks_mut(c).zip(x.chunks(c)).enumerate().for_each(row);
        }
    }
    // Safety: every row was written (gradient or zeros).
    unsafe { out.set_len(len) };
    out
}

/// Row-wise logsumexp of a contiguous `[N, C]` block.
pub fn logsumexp_rows(
    x: &CpuStorage,
    range: std::ops::Range<usize>,
    c: usize,
) -> Result<CpuStorage> {
    Ok(match x {
        CpuStorage::F32(b) => forward(&b.as_slice()[range], c).into_storage(),
        CpuStorage::F64(b) => forward(&b.as_slice()[range], c).into_storage(),
        _ => {
            return dtype_err(
                "cross_entropy",
                "cross_entropy: expected a floating point input",
            )
        }
    })
}

/// d loss / d x = coef_i * (softmax(x_i) - onehot(t_i)), rows with coef 0 left 0.
pub fn cross_entropy_grad(
    x: &CpuStorage,
    range: std::ops::Range<usize>,
    c: usize,
    lse: &CpuStorage,
    targets: &[i64],
    coef: &[f64],
) -> Result<CpuStorage> {
    Ok(match (x, lse) {
        (CpuStorage::F32(b), CpuStorage::F32(l)) => {
            backward(&b.as_slice()[range], c, l.as_slice(), targets, coef).into_storage()
        }
        (CpuStorage::F64(b), CpuStorage::F64(l)) => {
            backward(&b.as_slice()[range], c, l.as_slice(), targets, coef).into_storage()
        }
        _ => {
            return dtype_err(
                "cross_entropy",
                "cross_entropy: expected a floating point input",
            )
        }
    })
}
