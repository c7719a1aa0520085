//! softmax / log_softmax along one dim, in the stable form (subtract the row
//! max before exp). Backward is written in tensor ops in grad_rules.rs.

use super::{map_strided, CpuStorage, IntoStorage, PAR_THRESHOLD};
use crate::dtype::Float;
use crate::error::{dtype_err, Result};
use crate::layout::Layout;
use rayon::prelude::*;
use std::borrow::Cow;

/// One block of `n` rows-of-`inner` (the softmax dim has stride `inner`).
#[inline(always)]
pub(super) fn block<F: Float>(src: &[F], dst: &mut [F], n: usize, inner: usize, log: bool) {
    let neg_inf = F::from_f64(f64::NEG_INFINITY);
    if inner == 1 {
        // Contiguous rows: vectorised max, exp, lane sum.
        let mut m = super::lanes::max(src);
        // A row of -inf stays finite-safe: shift by 0 instead of -inf.
        if m == neg_inf {
            m = F::zero();
        }
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = (s - m).exp();
        }
        let sum = super::lanes::sum_f64(dst);
        if log {
            let shift = m + F::from_f64(sum.ln());
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = s - shift;
            }
        } else {
            let inv = F::from_f64(1.0 / sum);
            for d in dst.iter_mut() {
                *d = *d * inv;
            }
        }
        return;
    }
    for j in 0..inner {
        let mut m = neg_inf;
        for i in 0..n {
            let v = src[i * inner + j];
            if v > m || v.is_nan() {
                m = v;
            }
        }
        if m == neg_inf {
            m = F::zero();
        }
        let mut s = 0.0f64;
        for i in 0..n {
            let e = (src[i * inner + j] - m).exp();
            s += e.to_f64();
            dst[i * inner + j] = e;
        }
        if log {
            let ls = F::from_f64(s.ln());
            for i in 0..n {
                dst[i * inner + j] = src[i * inner + j] - m - ls;
            }
        } else {
            let inv = F::from_f64(1.0 / s);
            for i in 0..n {
                dst[i * inner + j] = dst[i * inner + j] * inv;
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
    let inner: usize = if l.ndim() == 0 { 1 } else { l.shape[dim + 1..].iter().product() };
    let mut out = vec![F::zero(); data.len()];
    if n == 0 || data.is_empty() {
        return out;
    }
    // (zero-filled rather than uninit: `block` reads dst back after writing it)
    let bs = n * inner;
    if data.len() >= PAR_THRESHOLD && data.len() / bs > 1 {
        out.par_chunks_mut(bs).zip(data.par_chunks(bs)).for_each(|(d, s)| super::simd::softmax_block(s, d, n, inner, log));
    } else {
        out.chunks_mut(bs).zip(data.chunks(bs)).for_each(|(d, s)| super::simd::softmax_block(s, d, n, inner, log));
    }
    out
}

pub fn softmax(x: &CpuStorage, l: &Layout, dim: usize, log: bool) -> Result<CpuStorage> {
    Ok(match x {
        CpuStorage::F32(b) => go(b.as_slice(), l, dim, log).into_storage(),
        CpuStorage::F64(b) => go(b.as_slice(), l, dim, log).into_storage(),
        _ => {
            let name = if log { "log_softmax" } else { "softmax" };
            return dtype_err(name, format!("\"{name}_lastdim_kernel_impl\" not implemented for '{}'", if x.dtype() == crate::dtype::DType::Bool { "Bool" } else { "Long" }));
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
            *d = g - y.exp() * s;
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
        out.par_chunks_mut(n).zip(g.par_chunks(n).zip(y.par_chunks(n))).for_each(|(d, (g, y))| super::simd::softmax_backward_block(g, y, d, log));
    } else {
        out.chunks_mut(n).zip(g.chunks(n).zip(y.chunks(n))).for_each(|(d, (g, y))| super::simd::softmax_backward_block(g, y, d, log));
    }
    out
}

/// Gradient of (log_)softmax over the last dim of contiguous `g` and `y`;
/// None when the layouts do not fit the fused kernel.
pub fn softmax_backward(g: &CpuStorage, lg: &Layout, y: &CpuStorage, ly: &Layout, log: bool) -> Option<CpuStorage> {
    let (rg, ry) = (lg.contiguous_range()?, ly.contiguous_range()?);
    let n = *lg.shape.last()?;
    Some(match (g, y) {
        (CpuStorage::F32(g), CpuStorage::F32(y)) => backward_go(&g.as_slice()[rg], &y.as_slice()[ry], n, log).into_storage(),
        (CpuStorage::F64(g), CpuStorage::F64(y)) => backward_go(&g.as_slice()[rg], &y.as_slice()[ry], n, log).into_storage(),
        _ => return None,
    })
}
