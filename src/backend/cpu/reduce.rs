//! Reductions. Float sums and means of contiguous tensors over leading
//! and/or trailing dims add in PyTorch's order (`cascade_sum`). Otherwise
//! reduced dims are moved last so each output element reduces one row;
//! rows are split into fixed CHUNKs whose partials combine in order, so
//! results are bitwise identical for any thread count.

use super::float::Float;
use super::simd::multiversion;
use super::{map_strided, CastFrom, CpuStorage, IntoStorage, CHUNK, PAR_THRESHOLD};
use crate::dtype::Element;
use crate::error::{dtype_err, Result};
use crate::layout::Layout;
use crate::op::{ArgReduceOp, ReduceOp};
use rayon::prelude::*;
use std::borrow::Cow;

/// The elements of `l` with `dims` moved last, as `(rows, row_len)`.
fn rows<'a, T: Copy + Sync + Send + Default>(
    x: &'a [T],
    l: &Layout,
    dims: &[usize],
) -> (Cow<'a, [T]>, usize, usize) {
    let mut perm: Vec<usize> = (0..l.ndim()).filter(|d| !dims.contains(d)).collect();
    perm.extend_from_slice(dims);
    let lp = l.permute(&perm);
    let inner: usize = dims.iter().map(|&d| l.shape[d]).product();
    let outer: usize = perm[..perm.len() - dims.len()]
        .iter()
        .map(|&d| l.shape[d])
        .product();
    let data = match lp.contiguous_range() {
        Some(r) => Cow::Borrowed(&x[r]),
        None => Cow::Owned(map_strided(x, &lp, |v| v)),
    };
    (data, outer, inner)
}

/// Applies `row_fn` to every row, in parallel over rows when that pays.
fn per_row<T: Copy + Sync, D: Copy + Send + Default>(
    data: &[T],
    outer: usize,
    inner: usize,
    row_fn: impl Fn(&[T]) -> D + Sync + Send,
) -> Vec<D> {
    if inner == 0 {
        return (0..outer).map(|_| row_fn(&[])).collect();
    }
    if outer * inner >= PAR_THRESHOLD && outer > 1 {
        data.par_chunks(inner).map(&row_fn).collect()
    } else {
        data.chunks(inner).map(row_fn).collect()
    }
}

/// Fixed CHUNK partials (each summed with lanes), combined in order.
fn sum_f<F: Float>(row: &[F]) -> f64 {
    let partials: Vec<f64> = if row.len() >= PAR_THRESHOLD {
        row.par_chunks(CHUNK)
            .map(|c| super::simd::sum_f64(c))
            .collect()
    } else {
        row.chunks(CHUNK).map(|c| super::simd::sum_f64(c)).collect()
    };
    partials.into_iter().sum()
}

fn float_reduce<F: Float>(op: ReduceOp, x: &[F], l: &Layout, dims: &[usize]) -> Result<Vec<F>> {
    // (contiguous sums over leading and/or trailing dims took
    // `sum_in_pytorch_order` before this)
    let (data, outer, inner) = rows(x, l, dims);
    Ok(match op {
        ReduceOp::Sum => per_row(&data, outer, inner, |r| F::from_f64(sum_f(r))),
        ReduceOp::Mean => per_row(&data, outer, inner, |r| {
            F::from_f64(sum_f(r) / r.len() as f64)
        }),
        ReduceOp::Prod => per_row(&data, outer, inner, |r| {
            F::from_f64(r.iter().fold(1.0f64, |a, &v| a * v.to_f64()))
        }),
        ReduceOp::Amax | ReduceOp::Amin => {
            if inner == 0 {
                return Err(empty_reduce(op));
            }
            let is_max = op == ReduceOp::Amax;
            per_row(&data, outer, inner, |r| extremum_row(r, is_max))
        }
    })
}

/// The maximum (or minimum) of a row, NaN if any element is NaN: the
/// first-wins fold of `max_nan` (PyTorch's result), computed in 16
/// independent lanes so the loop vectorises. The lanes can only disagree
/// with the fold on which zero a +0/-0 tie keeps, so a zero result is
/// recomputed by the fold.
fn extremum_row<F: Float>(r: &[F], is_max: bool) -> F {
    const LANES: usize = 16;
    let fold = |row: &[F]| {
        row.iter().skip(1).fold(
            row[0],
            |a, &v| if is_max { a.max_nan(v) } else { a.min_nan(v) },
        )
    };
    if r.len() < 4 * LANES {
        return fold(r);
    }
    let better = |a: F, v: F| if is_max { v > a } else { v < a };
    let mut acc = [r[0]; LANES];
    let mut nan = false;
    let chunks = r.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            let v = c[i];
            nan |= v.is_nan();
            if better(acc[i], v) {
                acc[i] = v;
            }
        }
    }
    if nan || rest.iter().any(|v| v.is_nan()) {
        return F::from_f64(f64::NAN);
    }
    let m = acc
        .iter()
        .chain(rest)
        .fold(acc[0], |a, &v| if better(a, v) { v } else { a });
    if m == F::from_f64(0.0) {
        return fold(r);
    }
    m
}

/// Sum and mean of a float tensor laid out as one of the blocks
/// `cascade_sum` mirrors, with PyTorch's rounding: the sum in the tensor's
/// type, the mean that sum divided by the count. None for other layouts
/// (they take `float_reduce`, which accumulates in f64).
fn sum_in_pytorch_order(
    op: ReduceOp,
    x: &CpuStorage,
    l: &Layout,
    dims: &[usize],
) -> Option<CpuStorage> {
    use super::cascade_sum::{blocks, job_f32, job_f64, sum_blocks};
    let range = l.contiguous_range()?;
    let b = blocks(&l.shape, dims)?;
    let count: usize = dims.iter().map(|&d| l.shape[d]).product();
    let threads = super::cascade_sum::split_threads();
    let mean = op == ReduceOp::Mean;
    Some(match x {
        CpuStorage::F32(v) => {
            let mut s = sum_blocks(&v.as_slice()[range], b, threads, job_f32);
            if mean {
                s.iter_mut().for_each(|v| *v /= count as f32);
            }
            s.into_storage()
        }
        CpuStorage::F64(v) => {
            let mut s = sum_blocks(&v.as_slice()[range], b, threads, job_f64);
            if mean {
                s.iter_mut().for_each(|v| *v /= count as f64);
            }
            s.into_storage()
        }
        _ => return None,
    })
}

fn empty_reduce(op: ReduceOp) -> crate::error::Error {
    crate::error::Error::Shape {
        op: op.name(),
        msg: format!(
            "{}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
            if op == ReduceOp::Amax { "max" } else { "min" }
        ),
    }
}

fn int_reduce<T: Element + Ord>(
    op: ReduceOp,
    x: &[T],
    l: &Layout,
    dims: &[usize],
) -> Result<CpuStorage>
where
    Vec<T>: IntoStorage,
{
    let (data, outer, inner) = rows(x, l, dims);
    Ok(match op {
        ReduceOp::Sum => per_row(&data, outer, inner, |r| r.iter().fold(0i64, |a, &v| a.wrapping_add(v.to_i64()))).into_storage(),
        ReduceOp::Prod => per_row(&data, outer, inner, |r| r.iter().fold(1i64, |a, &v| a.wrapping_mul(v.to_i64()))).into_storage(),
        ReduceOp::Mean => {
            return dtype_err(
                "mean",
                format!(
                    "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}",
                    if T::DTYPE == crate::dtype::DType::Bool { "Bool" } else { "Long" }
                ),
            )
        }
        ReduceOp::Amax | ReduceOp::Amin => {
            if inner == 0 {
                return Err(empty_reduce(op));
            }
            let is_max = op == ReduceOp::Amax;
            per_row(&data, outer, inner, |r| {
                let it = r.iter().copied();
                if is_max { it.max() } else { it.min() }.unwrap_or_default()
            })
            .into_storage()
        }
    })
}

/// A dense permutation of a contiguous block (a transposed view) as that
/// block, with `dims` renumbered: PyTorch's reduction walks memory order,
/// so `x.t().sum(1)` adds as `x.sum(0)` does, to the bit. The third part,
/// when the kept dims come in another order in memory than in the view, is
/// the layout that reads the block's result (kept dims in memory order) in
/// the view's order.
fn in_memory_order(l: &Layout, dims: &[usize]) -> Option<(Layout, Vec<usize>, Option<Layout>)> {
    if l.is_contiguous() || !l.is_dense_permutation() {
        return None;
    }
    let order = l.memory_order();
    let lm = l.permute(&order);
    if !lm.is_contiguous() {
        return None;
    }
    let dm = dims
        .iter()
        .map(|d| order.iter().position(|o| o == d))
        .collect::<Option<Vec<usize>>>()?;
    let kept_in_memory: Vec<usize> = order
        .iter()
        .copied()
        .filter(|d| !dims.contains(d))
        .collect();
    if kept_in_memory.windows(2).all(|w| w[0] < w[1]) {
        return Some((lm, dm, None));
    }
    // the result, contiguous over the kept dims in memory order, viewed in
    // the view's order (kept dims ascending)
    let shape: Vec<usize> = kept_in_memory.iter().map(|&d| l.shape[d]).collect();
    let result = Layout::contiguous(shape.as_slice());
    let mut logical = kept_in_memory.clone();
    logical.sort_unstable();
    let perm: Vec<usize> = logical
        .iter()
        .map(|d| kept_in_memory.iter().position(|k| k == d))
        .collect::<Option<Vec<usize>>>()?;
    Some((lm, dm, Some(result.permute(&perm))))
}

/// Reduces `dims` away (output shape: `l.shape` without them; the caller
/// re-inserts size-1 dims for `keepdim`).
pub fn reduce(op: ReduceOp, x: &CpuStorage, l: &Layout, dims: &[usize]) -> Result<CpuStorage> {
    if matches!(op, ReduceOp::Sum | ReduceOp::Mean) {
        if let Some(out) = sum_in_pytorch_order(op, x, l, dims) {
            return Ok(out);
        }
        if let Some((lm, dm, kept_order)) = in_memory_order(l, dims) {
            if let Some(out) = sum_in_pytorch_order(op, x, &lm, &dm) {
                return Ok(match kept_order {
                    None => out,
                    Some(view) => {
                        crate::with_cpu!(&out, b => map_strided(b.as_slice(), &view, |v| v).into_storage())
                    }
                });
            }
        }
    }
    Ok(match x {
        CpuStorage::F32(b) => float_reduce(op, b.as_slice(), l, dims)?.into_storage(),
        CpuStorage::F64(b) => float_reduce(op, b.as_slice(), l, dims)?.into_storage(),
        CpuStorage::I64(b) => int_reduce(op, b.as_slice(), l, dims)?,
        CpuStorage::Bool(b) => int_reduce(op, b.as_slice(), l, dims)?,
    })
}

/// Index of the max/min along `dim` (first occurrence; NaN wins, as in PyTorch).
pub fn arg_reduce(op: ArgReduceOp, x: &CpuStorage, l: &Layout, dim: usize) -> Result<Vec<i64>> {
    fn go<T: Element>(op: ArgReduceOp, x: &[T], l: &Layout, dim: usize) -> Vec<i64> {
        if let Some(range) = l.contiguous_range() {
            let inner: usize = l.shape[dim + 1..].iter().product();
            if inner > 1 {
                return arg_reduce_columns(op, &x[range], l.shape[dim], inner);
            }
        }
        let (data, outer, inner) = rows(x, l, &[dim]);
        per_row(&data, outer, inner, |r| {
            let mut best = 0usize;
            for i in 1..r.len() {
                let (v, b) = (r[i], r[best]);
                // a NaN compares false with everything: treat it as the extreme.
                #[allow(clippy::eq_op)]
                let b_nan = b != b;
                #[allow(clippy::eq_op)]
                let v_nan = v != v;
                if b_nan {
                    break;
                }
                let better = v_nan
                    || match op {
                        ArgReduceOp::ArgMax => v > b,
                        ArgReduceOp::ArgMin => v < b,
                    };
                if better {
                    best = i;
                }
            }
            best as i64
        })
    }
    if l.shape.get(dim).copied().unwrap_or(1) == 0 {
        return Err(crate::error::Error::Index {
            op: "argmax",
            msg: "argmax(): Expected reduction dim to be specified for input.numel() == 0.".into(),
        });
    }
    Ok(crate::with_cpu!(x, b => go(op, b.as_slice(), l, dim)))
}

/// `arg_reduce` of a contiguous tensor over a dim that is not the last:
/// blocks of `n` rows of `inner` columns, each column's running best kept
/// while the rows stream past in memory order (moving the dim last first
/// cost a transposing copy of the whole input). Ties keep the first index;
/// the first NaN wins and stays, as in the row walk.
fn arg_reduce_columns<T: Element>(op: ArgReduceOp, x: &[T], n: usize, inner: usize) -> Vec<i64> {
    match op {
        ArgReduceOp::ArgMax => columns_best(x, n, inner, |v, b| v > b),
        ArgReduceOp::ArgMin => columns_best(x, n, inner, |v, b| v < b),
    }
}

fn columns_best<T: Element>(
    x: &[T],
    n: usize,
    inner: usize,
    beats: impl Fn(T, T) -> bool + Sync,
) -> Vec<i64> {
    let block = n * inner;
    let outer = x.len() / block;
    let mut out = vec![0i64; outer * inner];
    // columns `cols` of block `b`: whole row segments in memory order, the
    // update branch-free so that it vectorises
    let scan = |b: usize, cols: std::ops::Range<usize>, idx: &mut [i64]| {
        let at =
            |k: usize| &x[b * block + k * inner + cols.start..b * block + k * inner + cols.end];
        let mut best: Vec<T> = at(0).to_vec();
        for k in 1..n {
            update_best(&mut best, idx, at(k), k as i64, &beats);
        }
    };
    if x.len() < PAR_THRESHOLD {
        out.chunks_mut(inner)
            .enumerate()
            .for_each(|(b, idx)| scan(b, 0..inner, idx));
        return out;
    }
    // fewer blocks than threads: each split into one column band per thread
    // (bands of whole rows keep the reads sequential; narrow bands strided
    // across pages and stalled on every row)
    let threads = rayon::current_num_threads();
    let band = if outer < threads {
        inner.div_ceil(threads).next_multiple_of(16)
    } else {
        inner
    };
    out.par_chunks_mut(inner).enumerate().for_each(|(b, row)| {
        row.par_chunks_mut(band)
            .enumerate()
            .for_each(|(c, idx)| scan(b, c * band..c * band + idx.len(), idx))
    });
    out
}

// One row of a column-wise arg-reduction: where `row` beats `best` (or is
// NaN, and `best` is not yet), it and its index `k` replace them.
// Branch-free so that it vectorises.
multiversion! {
    pub fn update_best<T, B>(best: &mut [T], idx: &mut [i64], row: &[T], k: i64, beats: &B) where [T: Element, B: Fn(T, T) -> bool] {
        for ((bv, bi), &v) in best.iter_mut().zip(idx.iter_mut()).zip(row) {
            #[allow(clippy::eq_op)]
            let better = (v != v || beats(v, *bv)) && *bv == *bv;
            *bv = if better { v } else { *bv };
            *bi = if better { k } else { *bi };
        }
    }
}

/// The running combination of a scan (`cumsum`, `cumprod`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    Sum,
    Prod,
}

/// Inclusive prefix sum along `dim` (from the end with `reverse`: cumsum's
/// gradient); output is contiguous in `l.shape`.
pub fn cumsum(x: &CpuStorage, l: &Layout, dim: usize, reverse: bool) -> CpuStorage {
    scan(x, l, dim, reverse, Scan::Sum)
}

/// Inclusive prefix product along `dim`, in the order PyTorch's kernel
/// multiplies (left to right, so the rounding matches); contiguous output.
pub fn cumprod(x: &CpuStorage, l: &Layout, dim: usize) -> CpuStorage {
    scan(x, l, dim, false, Scan::Prod)
}

fn scan(x: &CpuStorage, l: &Layout, dim: usize, reverse: bool, kind: Scan) -> CpuStorage {
    fn go<T, A>(x: &[T], l: &Layout, dim: usize, reverse: bool, kind: Scan) -> Vec<A>
    where
        T: Element,
        A: Element + std::ops::Add<Output = A> + std::ops::Mul<Output = A>,
    {
        let contiguous = map_strided(x, l, |v| A::from_f64_or_i64(v));
        match kind {
            Scan::Sum => scan_in_place(contiguous, l, dim, reverse, A::zero(), |a, b| a + b),
            Scan::Prod => scan_in_place(contiguous, l, dim, reverse, A::one(), |a, b| a * b),
        }
    }
    match x {
        CpuStorage::F32(b) => go::<f32, f32>(b.as_slice(), l, dim, reverse, kind).into_storage(),
        CpuStorage::F64(b) => go::<f64, f64>(b.as_slice(), l, dim, reverse, kind).into_storage(),
        CpuStorage::I64(b) => go::<i64, i64>(b.as_slice(), l, dim, reverse, kind).into_storage(),
        CpuStorage::Bool(b) => go::<bool, i64>(b.as_slice(), l, dim, reverse, kind).into_storage(),
    }
}

/// Scans `out` (contiguous in `l.shape`) along `dim` in place: each
/// element becomes `combine(running, element)`, the running value
/// starting at `identity` (as PyTorch's kernel's does: its cumsum of -0.0
/// is 0.0).
fn scan_in_place<A: Element>(
    mut out: Vec<A>,
    l: &Layout,
    dim: usize,
    reverse: bool,
    identity: A,
    combine: impl Fn(A, A) -> A + Sync,
) -> Vec<A> {
    let n = l.shape.get(dim).copied().unwrap_or(1);
    let inner: usize = l.shape[dim.min(l.ndim())..].iter().skip(1).product();
    if n == 0 || out.is_empty() {
        return out;
    }
    // in place, each (n x inner) block: row i combines row i-1, so the
    // inner loop runs over adjacent elements (vectorised for inner > 1);
    // the blocks are independent and split over rayon
    let scan = |blk: &mut [A]| {
        if inner == 1 {
            let mut acc = identity;
            let mut step = |v: &mut A| {
                acc = combine(acc, *v);
                *v = acc;
            };
            if reverse {
                blk.iter_mut().rev().for_each(&mut step);
            } else {
                blk.iter_mut().for_each(&mut step);
            }
            return;
        }
        let first = if reverse { n - 1 } else { 0 };
        for v in &mut blk[first * inner..(first + 1) * inner] {
            *v = combine(identity, *v);
        }
        for k in 1..n {
            // row i combines its predecessor in scan order
            let (i, prev) = if reverse {
                (n - 1 - k, n - k)
            } else {
                (k, k - 1)
            };
            let (lo, hi) = blk.split_at_mut(i.max(prev) * inner);
            let (o, p) = if reverse {
                (&mut lo[i * inner..(i + 1) * inner], &hi[..inner])
            } else {
                (&mut hi[..inner], &lo[prev * inner..])
            };
            for (o, &p) in o.iter_mut().zip(p) {
                *o = combine(p, *o);
            }
        }
    };
    if out.len() >= super::PAR_THRESHOLD && out.len() > n * inner {
        use rayon::prelude::*;
        out.par_chunks_mut(n * inner).for_each(scan);
    } else {
        out.chunks_mut(n * inner).for_each(scan);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::extremum_row;
    use crate::backend::cpu::float::Float;

    fn fold(r: &[f64], is_max: bool) -> f64 {
        r.iter().skip(1).fold(
            r[0],
            |a, &v| if is_max { a.max_nan(v) } else { a.min_nan(v) },
        )
    }

    #[test]
    fn lanes_agree_with_the_first_wins_fold() {
        // a deterministic spread of values, lengths around the lane count
        for len in [1usize, 15, 63, 64, 65, 200, 1001] {
            let r: Vec<f64> = (0..len)
                .map(|i| ((i * 7919) % 1013) as f64 - 500.5)
                .collect();
            for is_max in [true, false] {
                assert_eq!(
                    extremum_row(&r, is_max).to_bits(),
                    fold(&r, is_max).to_bits()
                );
            }
        }
        // NaN anywhere wins; a +0/-0 tie keeps the first zero, as the fold
        let mut r = vec![-1.0f64; 200];
        r[150] = f64::NAN;
        assert!(extremum_row(&r, true).is_nan() && extremum_row(&r, false).is_nan());
        let mut r = vec![-1.0f64; 200];
        r[10] = -0.0;
        r[20] = 0.0;
        assert!(extremum_row(&r, true).is_sign_negative());
        r.reverse();
        assert!(extremum_row(&r, true).is_sign_positive());
    }
}
