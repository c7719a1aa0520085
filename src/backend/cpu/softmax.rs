//! softmax / log_softmax along one dim, in the stable form (subtract the row
//! max before exp), and the fused backward that grad_rules.rs uses when the
//! backward is not itself recorded.

use super::{map_strided, CpuStorage, IntoStorage, PAR_THRESHOLD};
use crate::backend::cpu::float::Float;
use crate::error::{not_implemented_err, Result};
use crate::layout::Layout;
use rayon::prelude::*;
use std::borrow::Cow;
use std::mem::MaybeUninit;

/// One contiguous row of `n` values (the softmax dim is the last one).
/// Writes every element of `dst` exactly once before reading any.
#[inline(always)]
pub(super) fn row<F: Float>(src: &[F], dst: &mut [MaybeUninit<F>], log: bool) {
    let neg_inf = F::from_f64(f64::NEG_INFINITY);
    // Vectorised max, exp-sum, then one output pass.
    let mut m = super::lanes::max(src);
    // A row of -inf stays finite-safe: shift by 0 instead of -inf.
    if m == neg_inf {
        m = F::zero();
    }
    if log {
        // PyTorch's order, (x - max) - log(sum): x - (max + log(sum)) loses
        // the log where |max| is large (log_softmax of [1e30, 1e30] gave 0)
        let log_sum = F::from_f64(super::lanes::sum_exp_f64(src, m).ln());
        for (d, &s) in dst.iter_mut().zip(src) {
            d.write((s - m) - log_sum);
        }
    } else {
        super::lanes::exp_shifted_chunks(src, m, |at, e| {
            for (d, &e) in dst[at..at + e.len()].iter_mut().zip(e) {
                d.write(e);
            }
        });
        // Safety: every element was written just above.
        let dst = unsafe { &mut *(dst as *mut [MaybeUninit<F>] as *mut [F]) };
        let inv = F::from_f64(1.0 / super::lanes::sum_f64(dst));
        for d in dst.iter_mut() {
            *d = *d * inv;
        }
    }
}

// The softmax dim strided (stride `inner`, in blocks of `n * inner`): per
// column j the same steps, run as passes over whole rows (adjacent j), so
// every loop reads memory in order and vectorises. A pass over columns
// computes each column's statistics (in row order, whatever the split, so
// the result does not depend on the thread count); a pass over rows writes
// the output. Both split across threads even when there is one block
// (softmax over dim 0 of a matrix).

/// Columns per task of the column passes.
const COLUMN_CHUNK: usize = 256;

/// Maxima `m` and exp-sums `s` of the columns `j0..j0 + m.len()` of one
/// block (`n` rows of `inner`).
#[inline(always)]
pub(super) fn column_stats<F: Float>(
    block: &[F],
    inner: usize,
    j0: usize,
    m: &mut [F],
    s: &mut [f64],
) {
    let neg_inf = F::from_f64(f64::NEG_INFINITY);
    let cols = j0..j0 + m.len();
    m.fill(neg_inf);
    for row in block.chunks(inner) {
        for (mj, &v) in m.iter_mut().zip(&row[cols.clone()]) {
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
    s.fill(0.0);
    for row in block.chunks(inner) {
        super::lanes::exp_diff_chunks(&row[cols.clone()], m, |at, e| {
            for (sj, &ev) in s[at..at + e.len()].iter_mut().zip(e) {
                *sj += ev.to_f64();
            }
        });
    }
}

/// One output row: e^(v - m) / s, or v - (m + ln s) for log (`t` holds
/// 1 / s, or m + ln s).
#[inline(always)]
pub(super) fn output_row<F: Float>(
    src: &[F],
    dst: &mut [MaybeUninit<F>],
    m: &[F],
    t: &[F],
    log: bool,
) {
    if log {
        // (x - max) - log(sum), as the row kernel
        for (((d, &v), &mj), &lj) in dst.iter_mut().zip(src).zip(m).zip(t) {
            d.write((v - mj) - lj);
        }
    } else {
        super::lanes::exp_diff_chunks(src, m, |at, e| {
            let (dst, t) = (&mut dst[at..at + e.len()], &t[at..at + e.len()]);
            for ((d, &ev), &iv) in dst.iter_mut().zip(e).zip(t) {
                d.write(ev * iv);
            }
        });
    }
}

/// Column sums of one block for the backward pass: of g * y, or of g for
/// log_softmax.
#[inline(always)]
pub(super) fn column_grad_sums<F: Float>(
    g: &[F],
    y: &[F],
    inner: usize,
    j0: usize,
    s: &mut [f64],
    log: bool,
) {
    let cols = j0..j0 + s.len();
    s.fill(0.0);
    for (gr, yr) in g.chunks(inner).zip(y.chunks(inner)) {
        let (gr, yr) = (&gr[cols.clone()], &yr[cols.clone()]);
        if log {
            for (sj, &gv) in s.iter_mut().zip(gr) {
                *sj += gv.to_f64();
            }
        } else {
            for ((sj, &gv), &yv) in s.iter_mut().zip(gr).zip(yr) {
                *sj += (gv * yv).to_f64();
            }
        }
    }
}

/// One gradient row: g y - y s, or g - e^y s for log_softmax.
#[inline(always)]
pub(super) fn grad_row<F: Float>(g: &[F], y: &[F], s: &[F], dst: &mut [MaybeUninit<F>], log: bool) {
    if log {
        // y is a log-probability (<= 0): its exponentials in FMA chunks
        super::lanes::exp_shifted_chunks(y, F::zero(), |at, e| {
            let (dst, g, s) = (
                &mut dst[at..at + e.len()],
                &g[at..at + e.len()],
                &s[at..at + e.len()],
            );
            for (((d, &g), &e), &s) in dst.iter_mut().zip(g).zip(e).zip(s) {
                d.write(g - e * s);
            }
        });
    } else {
        for (((d, &g), &y), &s) in dst.iter_mut().zip(g).zip(y).zip(s) {
            d.write(g * y - y * s);
        }
    }
}

/// Runs `stats(block, j0, chunk)` over every column chunk of every block
/// (`chunk` is the block's slice `j0..` of `out`, `inner` per block).
fn over_columns<T: Send>(
    out: &mut [T],
    inner: usize,
    parallel: bool,
    stats: impl Fn(usize, usize, &mut [T]) + Sync + Send,
) {
    if parallel {
        out.par_chunks_mut(inner).enumerate().for_each(|(b, ob)| {
            ob.par_chunks_mut(COLUMN_CHUNK)
                .enumerate()
                .for_each(|(c, oc)| stats(b, c * COLUMN_CHUNK, oc))
        });
    } else {
        for (b, ob) in out.chunks_mut(inner).enumerate() {
            for (c, oc) in ob.chunks_mut(COLUMN_CHUNK).enumerate() {
                stats(b, c * COLUMN_CHUNK, oc);
            }
        }
    }
}

/// Runs `f(r, row)` over the `inner`-long rows of `out`.
fn over_rows<T: Send>(
    out: &mut [T],
    inner: usize,
    parallel: bool,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if parallel {
        out.par_chunks_mut(inner)
            .enumerate()
            .for_each(|(r, d)| f(r, d));
    } else {
        out.chunks_mut(inner).enumerate().for_each(|(r, d)| f(r, d));
    }
}

fn strided<F: Float>(src: &[F], dst: &mut [MaybeUninit<F>], n: usize, inner: usize, log: bool) {
    let bs = n * inner;
    let blocks = src.len() / bs;
    let parallel = src.len() >= PAR_THRESHOLD;
    let mut stats = vec![(F::zero(), 0.0f64); blocks * inner];
    over_columns(&mut stats, inner, parallel, |b, j0, out| {
        let mut m = vec![F::zero(); out.len()];
        let mut s = vec![0.0; out.len()];
        super::simd::softmax_column_stats(&src[b * bs..(b + 1) * bs], inner, j0, &mut m, &mut s);
        for (o, (mj, sj)) in out.iter_mut().zip(m.into_iter().zip(s)) {
            *o = (mj, sj);
        }
    });
    let m: Vec<F> = stats.iter().map(|&(mj, _)| mj).collect();
    // per column: log of the exp-sum (log_softmax), or its reciprocal
    let t: Vec<F> = stats
        .iter()
        .map(|&(_, sj)| {
            if log {
                F::from_f64(sj.ln())
            } else {
                F::from_f64(1.0 / sj)
            }
        })
        .collect();
    over_rows(dst, inner, parallel, |r, d| {
        let b = r / n;
        let cols = b * inner..(b + 1) * inner;
        super::simd::softmax_output_row(
            &src[r * inner..(r + 1) * inner],
            d,
            &m[cols.clone()],
            &t[cols],
            log,
        )
    });
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
    if inner > 1 {
        strided(&data, dst, n, inner, log);
    } else if len >= PAR_THRESHOLD && len / n > 1 {
        dst.par_chunks_mut(n)
            .zip(data.par_chunks(n))
            .for_each(|(d, s)| super::simd::softmax_row(s, d, log));
    } else {
        dst.chunks_mut(n)
            .zip(data.chunks(n))
            .for_each(|(d, s)| super::simd::softmax_row(s, d, log));
    }
    // Safety: `row` / `strided` wrote every element.
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
pub(super) fn backward_block<F: Float>(g: &[F], y: &[F], dst: &mut [MaybeUninit<F>], log: bool) {
    if log {
        let s = F::from_f64(super::lanes::sum_f64(g));
        super::lanes::exp_shifted_chunks(y, F::zero(), |at, e| {
            let (dst, g) = (&mut dst[at..at + e.len()], &g[at..at + e.len()]);
            for ((d, &g), &e) in dst.iter_mut().zip(g).zip(e) {
                d.write(g - e * s);
            }
        });
        return;
    }
    for ((d, &g), &y) in dst.iter_mut().zip(g).zip(y) {
        d.write(g * y);
    }
    // Safety: every element was written just above.
    let dst = unsafe { &mut *(dst as *mut [MaybeUninit<F>] as *mut [F]) };
    let s = F::from_f64(super::lanes::sum_f64(dst));
    for (d, &y) in dst.iter_mut().zip(y) {
        *d = *d - y * s;
    }
}

fn backward_go<F: Float>(g: &[F], y: &[F], n: usize, inner: usize, log: bool) -> Vec<F> {
    let len = g.len();
    if n == 0 || len == 0 {
        return vec![F::zero(); len];
    }
    // not zero-filled first: every element is written once (a memset of
    // the whole gradient showed up in cross-entropy's profile)
    let mut out: Vec<F> = Vec::with_capacity(len);
    let dst = &mut out.spare_capacity_mut()[..len];
    let parallel = len >= PAR_THRESHOLD;
    if inner == 1 {
        if parallel && len / n > 1 {
            dst.par_chunks_mut(n)
                .zip(g.par_chunks(n).zip(y.par_chunks(n)))
                .for_each(|(d, (g, y))| super::simd::softmax_backward_block(g, y, d, log));
        } else {
            dst.chunks_mut(n)
                .zip(g.chunks(n).zip(y.chunks(n)))
                .for_each(|(d, (g, y))| super::simd::softmax_backward_block(g, y, d, log));
        }
    } else {
        let bs = n * inner;
        let mut sums = vec![0.0f64; len / n];
        over_columns(&mut sums, inner, parallel, |b, j0, s| {
            let block = b * bs..(b + 1) * bs;
            super::simd::softmax_column_grad_sums(&g[block.clone()], &y[block], inner, j0, s, log)
        });
        let sums: Vec<F> = sums.into_iter().map(F::from_f64).collect();
        over_rows(dst, inner, parallel, |r, d| {
            let (row, b) = (r * inner..(r + 1) * inner, r / n);
            super::simd::softmax_grad_row(
                &g[row.clone()],
                &y[row],
                &sums[b * inner..(b + 1) * inner],
                d,
                log,
            )
        });
    }
    // Safety: backward_block / grad_row wrote every element.
    unsafe { out.set_len(len) };
    out
}

/// Gradient of (log_)softmax over dim `dim` of contiguous `g` and `y`;
/// None when the layouts do not fit the fused kernel.
pub fn softmax_backward(
    g: &CpuStorage,
    lg: &Layout,
    y: &CpuStorage,
    ly: &Layout,
    dim: usize,
    log: bool,
) -> Option<CpuStorage> {
    let (rg, ry) = (lg.contiguous_range()?, ly.contiguous_range()?);
    let n = *lg.shape.get(dim)?;
    let inner: usize = lg.shape[dim + 1..].iter().product();
    Some(match (g, y) {
        (CpuStorage::F32(g), CpuStorage::F32(y)) => {
            backward_go(&g.as_slice()[rg], &y.as_slice()[ry], n, inner, log).into_storage()
        }
        (CpuStorage::F64(g), CpuStorage::F64(y)) => {
            backward_go(&g.as_slice()[rg], &y.as_slice()[ry], n, inner, log).into_storage()
        }
        _ => return None,
    })
}
