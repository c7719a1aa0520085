//! softmax / log_softmax along one dim, in the stable form (subtract the row
//! max before exp). Backward is written in tensor ops in grad_rules.rs.

use super::{map_strided, CpuStorage, IntoStorage, PAR_THRESHOLD};
use crate::dtype::Float;
use crate::error::{not_implemented_err, Result};
use crate::layout::Layout;
use rayon::prelude::*;
use std::borrow::Cow;
use std::mem::MaybeUninit;

/// One block of `n` rows-of-`inner` (the softmax dim has stride `inner`).
/// Writes every element of `dst` exactly once before reading any.
#[inline(always)]
pub(super) fn block<F: Float>(
    src: &[F],
    dst: &mut [MaybeUninit<F>],
    n: usize,
    inner: usize,
    log: bool,
) {
    debug_assert_eq!(src.len(), n * inner);
    let neg_inf = F::from_f64(f64::NEG_INFINITY);
    if inner == 1 {
        // Contiguous rows: vectorised max, exp-sum, then one output pass.
        let mut m = super::lanes::max(src);
        // A row of -inf stays finite-safe: shift by 0 instead of -inf.
        if m == neg_inf {
            m = F::zero();
        }
        if log {
            let sum = super::lanes::sum_exp_f64(src, m);
            let shift = m + F::from_f64(sum.ln());
            for (d, &s) in dst.iter_mut().zip(src) {
                d.write(s - shift);
            }
        } else {
            for (d, &s) in dst.iter_mut().zip(src) {
                d.write((s - m).exp());
            }
            // Safety: every element was written just above.
            let dst = unsafe { &mut *(dst as *mut [MaybeUninit<F>] as *mut [F]) };
            let inv = F::from_f64(1.0 / super::lanes::sum_f64(dst));
            for d in dst.iter_mut() {
                *d = *d * inv;
            }
        }
        return;
    }
    // The softmax dim is strided: per column j the same steps, run as passes
    // over whole rows (adjacent j), so every loop reads memory in order and
    // vectorises; m and s hold the column maxima and exp-sums.
    let mut m = vec![neg_inf; inner];
    for row in src.chunks(inner) {
        for (mj, &v) in m.iter_mut().zip(row) {
            if v > *mj || v.is_nan() {
                *mj = v;
            }
        }
    }
    for mj in m.iter_mut() {
        if *mj == neg_inf {
            *mj = F::zero();
        }
    }
    let mut s = vec![0.0f64; inner];
    for row in src.chunks(inner) {
        for ((sj, &v), &mj) in s.iter_mut().zip(row).zip(&m) {
            *sj += (v - mj).exp().to_f64();
        }
    }
    if log {
        let shift: Vec<F> = m
            .iter()
            .zip(&s)
            .map(|(&mj, &sj)| mj + F::from_f64(sj.ln()))
            .collect();
        for (drow, row) in dst.chunks_mut(inner).zip(src.chunks(inner)) {
            for ((d, &v), &sh) in drow.iter_mut().zip(row).zip(&shift) {
                d.write(v - sh);
            }
        }
    } else {
        let inv: Vec<F> = s.iter().map(|&sj| F::from_f64(1.0 / sj)).collect();
        for (drow, row) in dst.chunks_mut(inner).zip(src.chunks(inner)) {
            for (((d, &v), &mj), &iv) in drow.iter_mut().zip(row).zip(&m).zip(&inv) {
                d.write((v - mj).exp() * iv);
            }
        }
    }
}

fn go<F: Float>(x: &[F], l: &Layout, dim: usize, log: bool) -> Vec<F> {
    let data: Cow<'_, [F]> = match l.contiguous_range() {
        Some(r) => Cow::Borrowed(&x[r]),
        None => Cow::Owned(map_strided(x, l, |v| v)),
    };
    let n = l.shape.get(dim).copied().unwrap_or(1);
    let inner: usize = if l.ndim() == 0 {
        1
    } else {
        l.shape[dim + 1..].iter().product()
    };
    let len = data.len();
    if n == 0 || len == 0 {
        return vec![F::zero(); len];
    }
    let mut out: Vec<F> = Vec::with_capacity(len);
    let dst = &mut out.spare_capacity_mut()[..len];
    let bs = n * inner;
    if len >= PAR_THRESHOLD && len / bs > 1 {
        dst.par_chunks_mut(bs)
            .zip(data.par_chunks(bs))
            .for_each(|(d, s)| super::simd::softmax_block(s, d, n, inner, log));
    } else {
        dst.chunks_mut(bs)
            .zip(data.chunks(bs))
            .for_each(|(d, s)| super::simd::softmax_block(s, d, n, inner, log));
    }
    // Safety: `block` wrote every element of every block.
    unsafe { out.set_len(len) };
    out
}

pub fn softmax(x: &CpuStorage, l: &Layout, dim: usize, log: bool) -> Result<CpuStorage> {
    Ok(match x {
        CpuStorage::F32(b) => go(b.as_slice(), l, dim, log).into_storage(),
        CpuStorage::F64(b) => go(b.as_slice(), l, dim, log).into_storage(),
        _ => {
            let name = if log { "log_softmax" } else { "softmax" };
            return not_implemented_err(format!(
                "\"{name}_lastdim_kernel_impl\" not implemented for '{}'",
                if x.dtype() == crate::dtype::DType::Bool {
                    "Bool"
                } else {
                    "Long"
                }
            ));
        }
    })
}

/// Fused backward, one pass per row (used when the backward is not itself
/// recorded): softmax: g*y - y*sum(g*y); log_softmax: g - exp(y)*sum(g).
#[inline(always)]
pub(super) fn backward_block<F: Float>(g: &[F], y: &[F], dst: &mut [F], log: bool) {
    let s = if log {
        super::lanes::sum_f64(g)
    } else {
        for ((d, &g), &y) in dst.iter_mut().zip(g).zip(y) {
            *d = g * y;
        }
        super::lanes::sum_f64(dst)
    };
    let s = F::from_f64(s);
    if log {
        for ((d, &g), &y) in dst.iter_mut().zip(g).zip(y) {
            *d = g - y.exp_approx() * s;
        }
    } else {
        for (d, &y) in dst.iter_mut().zip(y) {
            *d = *d - y * s;
        }
    }
}

fn backward_go<F: Float>(g: &[F], y: &[F], n: usize, log: bool) -> Vec<F> {
    let mut out = vec![F::zero(); g.len()];
    if n == 0 {
        return out;
    }
    if g.len() >= PAR_THRESHOLD && g.len() / n > 1 {
        out.par_chunks_mut(n)
            .zip(g.par_chunks(n).zip(y.par_chunks(n)))
            .for_each(|(d, (g, y))| super::simd::softmax_backward_block(g, y, d, log));
    } else {
        out.chunks_mut(n)
            .zip(g.chunks(n).zip(y.chunks(n)))
            .for_each(|(d, (g, y))| super::simd::softmax_backward_block(g, y, d, log));
    }
    out
}

/// Gradient of (log_)softmax over the last dim of contiguous `g` and `y`;
/// None when the layouts do not fit the fused kernel.
pub fn softmax_backward(
    g: &CpuStorage,
    lg: &Layout,
    y: &CpuStorage,
    ly: &Layout,
    log: bool,
) -> Option<CpuStorage> {
    let (rg, ry) = (lg.contiguous_range()?, ly.contiguous_range()?);
    let n = *lg.shape.last()?;
    Some(match (g, y) {
        (CpuStorage::F32(g), CpuStorage::F32(y)) => {
            backward_go(&g.as_slice()[rg], &y.as_slice()[ry], n, log).into_storage()
        }
        (CpuStorage::F64(g), CpuStorage::F64(y)) => {
            backward_go(&g.as_slice()[rg], &y.as_slice()[ry], n, log).into_storage()
        }
        _ => return None,
    })
}
