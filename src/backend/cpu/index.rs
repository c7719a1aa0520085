//! Index kernels: index_select, gather, scatter(-add), index_add, cat,
//! nonzero. Indices arrive bounds-checked and non-negative from the tensor
//! layer, except gather's and scatter's, which are checked as their rows
//! are read (`index_rows`).

use super::index_rows::{self, gather_row, scatter_row, RowPlace};
use super::runs::filled_by_runs;
use super::{map_strided, CpuStorage, IntoStorage, PAR_THRESHOLD};
use crate::dtype::Element;
use crate::error::{dtype_err, Result};
use crate::layout::Layout;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Whether every index is in `0..size` (one vectorised pass, split over
/// the pool above the threshold).
pub fn all_in_range(idx: &[i64], size: usize) -> bool {
    if idx.len() >= PAR_THRESHOLD {
        idx.par_chunks(PAR_THRESHOLD / 4)
            .all(|part| index_rows::all_below(part, size as u64))
    } else {
        index_rows::all_below(idx, size as u64)
    }
}

/// (outer, size of dim, inner) of a contiguous shape split at `dim`.
fn split(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    if shape.is_empty() {
        return (1, 1, 1);
    }
    (
        shape[..dim].iter().product(),
        shape[dim],
        shape[dim + 1..].iter().product(),
    )
}

pub fn index_select(x: &CpuStorage, l: &Layout, dim: usize, idx: &[i64]) -> CpuStorage {
    fn go<T: Element>(x: &[T], l: &Layout, dim: usize, idx: &[i64]) -> Vec<T> {
        // a contiguous input is read in place (an embedding table is)
        let copied;
        let data = match l.contiguous_range() {
            Some(range) => &x[range],
            None => {
                copied = map_strided(x, l, |v| v);
                &copied[..]
            }
        };
        let (outer, n, inner) = split(&l.shape, dim);
        let len = outer * idx.len() * inner;
        if inner == 0 || len == 0 {
            return vec![T::zero(); len];
        }
        if inner >= 64 {
            // output block k (of `inner` elements) is input block
            // (k / idx.len()) * n + idx[k % idx.len()]
            return filled_by_runs(len, |pos| {
                let (k, at) = (pos / inner, pos % inner);
                let row = (k / idx.len()) * n + idx[k % idx.len()] as usize;
                &data[row * inner + at..(row + 1) * inner]
            });
        }
        // short blocks (the last dims selected): a whole outer row of them
        // per chunk, written without zeroing the output first
        let mut out: Vec<T> = Vec::with_capacity(len);
        let block = idx.len() * inner;
        let copy = |chunk: usize, dst: &mut [std::mem::MaybeUninit<T>]| {
            if inner == 1 {
                // the chunk is outer row `chunk`, one element per index
                let from = &data[chunk * n..(chunk + 1) * n];
                for (o, &i) in dst.iter_mut().zip(idx) {
                    o.write(from[i as usize]);
                }
                return;
            }
            for (b, part) in dst.chunks_mut(inner).enumerate() {
                let k = chunk * (block / inner) + b;
                let row = (k / idx.len()) * n + idx[k % idx.len()] as usize;
                part.write_copy_of_slice(&data[row * inner..(row + 1) * inner]);
            }
        };
        let dst = &mut out.spare_capacity_mut()[..len];
        if len >= PAR_THRESHOLD {
            dst.par_chunks_mut(block)
                .enumerate()
                .with_min_len(rows_per_job(block))
                .for_each(|(c, dst)| copy(c, dst));
        } else {
            dst.chunks_mut(block)
                .enumerate()
                .for_each(|(c, dst)| copy(c, dst));
        }
        // Safety: the chunks cover all `len` slots (outer rows of `block`)
        // and each wrote every slot of its own.
        unsafe { out.set_len(len) };
        out
    }
    crate::with_cpu!(x, b => go(b.as_slice(), l, dim, idx).into_storage())
}

/// out[i][j][k] = x[idx[i][j][k]][j][k] (for dim 0), out has idx's shape,
/// or None when an index is outside `0..size` of `dim`: the check rides
/// along the gather's own pass over the index (a separate pass over an
/// 8 MB index took a fifth of gather's time). Walked as rows of the
/// index's last dim, each from one base offset.
pub fn gather(
    x: &CpuStorage,
    l: &Layout,
    dim: usize,
    idx: &[i64],
    idx_shape: &[usize],
) -> Option<CpuStorage> {
    fn go<T: Element>(
        x: &[T],
        l: &Layout,
        dim: usize,
        idx: &[i64],
        idx_shape: &[usize],
    ) -> Option<Vec<T>> {
        let size = l.shape.get(dim).copied().unwrap_or(1);
        let (rows, len) = rows_of(idx_shape);
        if size == 0 || idx_shape.is_empty() || rows == 0 {
            // nothing to read (any index is out of range), a 0-d input
            // and index (the one element), or an empty index
            let out = vec![x.get(l.offset).copied().unwrap_or(T::zero()); idx.len()];
            let in_range = index_rows::all_below(idx, size as u64);
            return in_range.then_some(out);
        }
        let last = idx_shape.len() - 1;
        let step = l.strides[dim];
        // along the row, the position moves with j unless the row is the indexed dim
        let along = if dim == last { 0 } else { l.strides[last] };
        // true when every index of row r was in range (else the whole
        // result is dropped, unread)
        let fill = |r: usize, dst: &mut [MaybeUninit<T>]| -> bool {
            let base = l.offset + row_base(idx_shape, &l.strides, r, dim);
            let ix = &idx[r * len..(r + 1) * len];
            gather_row(
                dst,
                x,
                ix,
                RowPlace {
                    base,
                    step,
                    along,
                    size,
                },
            )
        };
        let mut out = Vec::with_capacity(idx.len());
        let dst = &mut out.spare_capacity_mut()[..idx.len()];
        let in_range = if idx.len() >= PAR_THRESHOLD {
            dst.par_chunks_mut(len)
                .enumerate()
                .with_min_len(rows_per_job(len))
                .map(|(r, dst)| fill(r, dst))
                .reduce(|| true, |a, b| a & b)
        } else {
            dst.chunks_mut(len)
                .enumerate()
                .fold(true, |a, (r, dst)| fill(r, dst) & a)
        };
        if !in_range {
            return None;
        }
        // Safety: the rows cover all slots, and a row that returned true
        // wrote each of its own.
        unsafe { out.set_len(idx.len()) };
        Some(out)
    }
    Some(crate::with_cpu!(x, b => go(b.as_slice(), l, dim, idx, idx_shape)?.into_storage()))
}

/// The row count, row length and per-row work of an index tensor of
/// `shape` walked as rows along its last dim (a 0-d index is one row of 1).
fn rows_of(shape: &[usize]) -> (usize, usize) {
    let len = shape.last().copied().unwrap_or(1);
    let count = shape
        .iter()
        .product::<usize>()
        .checked_div(len)
        .unwrap_or(0);
    (count, len)
}

/// The offset of row `r` (a coordinate over all dims but the last) under
/// `strides`, with dim `skip` (the indexed one) left out.
fn row_base(shape: &[usize], strides: &[usize], r: usize, skip: usize) -> usize {
    let mut rest = r;
    let mut base = 0;
    for d in (0..shape.len().saturating_sub(1)).rev() {
        let c = rest % shape[d];
        rest /= shape[d];
        if d != skip {
            base += c * strides[d];
        }
    }
    base
}

/// Rows of the index handled by one rayon job: enough elements that the job
/// outweighs its scheduling.
fn rows_per_job(len: usize) -> usize {
    (PAR_THRESHOLD / 16 / len.max(1)).max(1)
}

/// Visits every coordinate of `shape` in row-major order.
pub fn for_each_coord(shape: &[usize], mut f: impl FnMut(usize, &[usize])) {
    let n: usize = shape.iter().product();
    let mut coord = vec![0usize; shape.len()];
    for flat in 0..n {
        f(flat, &coord);
        for d in (0..shape.len()).rev() {
            coord[d] += 1;
            if coord[d] < shape[d] {
                break;
            }
            coord[d] = 0;
        }
    }
}

/// In place on a contiguous `dst` of `dst_shape`: dst[idx[i][j]][j] (+)= src[i][j].
/// `src` is contiguous with `idx_shape`'s leading extent (it may be larger, as in PyTorch).
/// An index out of range is an error with `dst` partly written: the
/// indices are checked row by row as the scatter goes.
#[allow(clippy::too_many_arguments)]
pub fn scatter(
    dst: &mut CpuStorage,
    dst_shape: &[usize],
    dim: usize,
    idx: &[i64],
    idx_shape: &[usize],
    src: &CpuStorage,
    src_shape: &[usize],
    accumulate: bool,
) -> Result<()> {
    let at = Scatter {
        dst_shape,
        dim,
        idx,
        idx_shape,
        src_shape,
    };
    let in_range = match (dst, src) {
        (CpuStorage::F32(d), CpuStorage::F32(s)) if accumulate => {
            at.run(d.as_mut_slice(), s.as_slice(), |a, b| a + b)
        }
        (CpuStorage::F64(d), CpuStorage::F64(s)) if accumulate => {
            at.run(d.as_mut_slice(), s.as_slice(), |a, b| a + b)
        }
        (CpuStorage::I64(d), CpuStorage::I64(s)) if accumulate => {
            at.run(d.as_mut_slice(), s.as_slice(), |a, b| a + b)
        }
        (CpuStorage::Bool(d), CpuStorage::Bool(s)) if accumulate => {
            at.run(d.as_mut_slice(), s.as_slice(), |a, b| a | b)
        }
        (CpuStorage::F32(d), CpuStorage::F32(s)) => {
            at.run(d.as_mut_slice(), s.as_slice(), |_, b| b)
        }
        (CpuStorage::F64(d), CpuStorage::F64(s)) => {
            at.run(d.as_mut_slice(), s.as_slice(), |_, b| b)
        }
        (CpuStorage::I64(d), CpuStorage::I64(s)) => {
            at.run(d.as_mut_slice(), s.as_slice(), |_, b| b)
        }
        (CpuStorage::Bool(d), CpuStorage::Bool(s)) => {
            at.run(d.as_mut_slice(), s.as_slice(), |_, b| b)
        }
        (d, s) => {
            return dtype_err(
                "scatter",
                format!(
                    "scatter(): Expected self.dtype to be equal to src.dtype ({} vs {})",
                    d.dtype(),
                    s.dtype()
                ),
            )
        }
    };
    if !in_range {
        // the caller names the index (it is not always on the CPU)
        return Err(crate::error::Error::Runtime(
            "scatter: index out of range".into(),
        ));
    }
    Ok(())
}

/// Where a scatter writes: the destination and source shapes (both
/// contiguous) and the index with its shape.
struct Scatter<'a> {
    dst_shape: &'a [usize],
    dim: usize,
    idx: &'a [i64],
    idx_shape: &'a [usize],
    src_shape: &'a [usize],
}

impl Scatter<'_> {
    /// dst[at] = put(dst[at], src[i]) for every index element, in row-major
    /// index order (so repeated targets combine in PyTorch's serial order).
    /// False when an index is out of range (dst is then partly written).
    fn run<T: Element>(&self, dst: &mut [T], src: &[T], put: impl Fn(T, T) -> T + Sync) -> bool {
        if self.idx_shape.is_empty() {
            // 0-d: one element, at index 0
            let at = RowPlace {
                base: 0,
                step: 0,
                along: 0,
                size: 1,
            };
            return scatter_row(dst, &self.idx[..1.min(self.idx.len())], at, src, 0, &put);
        }
        let (rows, len) = rows_of(self.idx_shape);
        if rows == 0 {
            return true;
        }
        let dst_strides = crate::shape::contiguous_strides(self.dst_shape);
        let src_strides = crate::shape::contiguous_strides(self.src_shape);
        let last = self.idx_shape.len() - 1;
        let step = dst_strides[self.dim];
        let along = if self.dim == last {
            0
        } else {
            dst_strides[last]
        };
        let size = self.dst_shape.get(self.dim).copied().unwrap_or(0);
        // rows `range` into `dst`, which starts at element `origin` of the
        // whole; false when a row met an index out of range (the rows
        // before it are written)
        let put_rows = |dst: &mut [T], range: std::ops::Range<usize>, origin: usize| {
            range.into_iter().all(|r| {
                let base = row_base(self.idx_shape, &dst_strides, r, self.dim) - origin;
                let s_base = row_base(self.idx_shape, &src_strides, r, usize::MAX);
                let ix = &self.idx[r * len..(r + 1) * len];
                let at = RowPlace {
                    base,
                    step,
                    along,
                    size,
                };
                scatter_row(dst, ix, at, &src[s_base..], src_strides[last], &put)
            })
        };
        // Off dim 0, each slab along dim 0 is written by its own rows only:
        // the slabs run in parallel.
        let slabs = self.idx_shape[0];
        if self.dim != 0 && slabs > 1 && self.idx.len() >= PAR_THRESHOLD {
            let slab = dst_strides[0].max(1);
            let per = rows / slabs;
            dst.par_chunks_mut(slab)
                .take(slabs)
                .enumerate()
                .map(|(k, part)| put_rows(part, k * per..(k + 1) * per, k * slab))
                .reduce(|| true, |a, b| a & b)
        } else {
            put_rows(dst, 0..rows, 0)
        }
    }
}

/// In place on contiguous `dst`: dst.select(dim, idx[i]) += src.select(dim, i).
pub fn index_add(
    dst: &mut CpuStorage,
    dst_shape: &[usize],
    dim: usize,
    idx: &[i64],
    src: &CpuStorage,
) -> Result<()> {
    fn go<T: Element + std::ops::Add<Output = T>>(
        dst: &mut [T],
        shape: &[usize],
        dim: usize,
        idx: &[i64],
        src: &[T],
    ) {
        let (outer, n, inner) = split(shape, dim);
        let (dst_block, src_block) = (n * inner, idx.len() * inner);
        if dst_block == 0 || src_block == 0 {
            return;
        }
        // one outer block: src's slices added at their indices, in index
        // order (so each element's sum is the same however blocks are
        // spread over threads)
        let add_block = |(d, s): (&mut [T], &[T])| {
            if inner == 1 {
                for (&t, &v) in idx.iter().zip(s) {
                    d[t as usize] = d[t as usize] + v;
                }
                return;
            }
            for (&t, from) in idx.iter().zip(s.chunks_exact(inner)) {
                let to = &mut d[t as usize * inner..(t as usize + 1) * inner];
                for (a, &b) in to.iter_mut().zip(from) {
                    *a = *a + b;
                }
            }
        };
        if outer > 1 && dst.len().max(src.len()) >= PAR_THRESHOLD {
            dst.par_chunks_mut(dst_block)
                .zip(src.par_chunks(src_block))
                .take(outer)
                .with_min_len(rows_per_job(dst_block.max(src_block)))
                .for_each(add_block);
        } else {
            dst.chunks_mut(dst_block)
                .zip(src.chunks(src_block))
                .take(outer)
                .for_each(add_block);
        }
    }
    match (dst, src) {
        (CpuStorage::F32(d), CpuStorage::F32(s)) => {
            go(d.as_mut_slice(), dst_shape, dim, idx, s.as_slice())
        }
        (CpuStorage::F64(d), CpuStorage::F64(s)) => {
            go(d.as_mut_slice(), dst_shape, dim, idx, s.as_slice())
        }
        (CpuStorage::I64(d), CpuStorage::I64(s)) => {
            go(d.as_mut_slice(), dst_shape, dim, idx, s.as_slice())
        }
        (d, s) => {
            return dtype_err(
                "index_add",
                format!(
                    "index_add_(): self ({}) and source ({}) must have the same scalar type",
                    d.dtype(),
                    s.dtype()
                ),
            )
        }
    }
    Ok(())
}

/// Concatenates same-dtype inputs (layouts with equal shapes except `dim`).
pub fn cat(
    parts: &[(&CpuStorage, &Layout)],
    dim: usize,
    out_shape: &[usize],
) -> Result<CpuStorage> {
    fn go<T: Element>(parts: &[(&[T], &Layout)], dim: usize, out_shape: &[usize]) -> Vec<T> {
        let (outer, _, inner) = split(out_shape, dim);
        // contiguous parts are read in place, strided ones copied first
        let datas: Vec<std::borrow::Cow<'_, [T]>> = parts
            .iter()
            .map(|(x, l)| match l.contiguous_range() {
                Some(range) => std::borrow::Cow::Borrowed(&x[range]),
                None => std::borrow::Cow::Owned(map_strided(x, l, |v| v)),
            })
            .collect();
        let widths: Vec<usize> = parts.iter().map(|(_, l)| l.shape[dim] * inner).collect();
        let row: usize = widths.iter().sum();
        if row == 0 {
            return vec![];
        }
        // output row o: row o of each part, side by side
        filled_by_runs(outer * row, |pos| {
            let (o, mut at) = (pos / row, pos % row);
            for (data, &w) in datas.iter().zip(&widths) {
                if at < w {
                    return &data[o * w + at..(o + 1) * w];
                }
                at -= w;
            }
            &[]
        })
    }
    macro_rules! go_as {
        ($v:ident) => {{
            let mut typed = Vec::with_capacity(parts.len());
            for (s, l) in parts {
                match s {
                    CpuStorage::$v(b) => typed.push((b.as_slice(), *l)),
                    other => {
                        return dtype_err(
                            "cat",
                            format!(
                                "cat(): expected all inputs to share a dtype, got {}",
                                other.dtype()
                            ),
                        )
                    }
                }
            }
            go(&typed, dim, out_shape).into_storage()
        }};
    }
    Ok(match parts[0].0 {
        CpuStorage::F32(_) => go_as!(F32),
        CpuStorage::F64(_) => go_as!(F64),
        CpuStorage::I64(_) => go_as!(I64),
        CpuStorage::Bool(_) => go_as!(Bool),
    })
}

/// Coordinates of the non-zero elements, row-major, as a flat `[count * ndim]` list.
pub fn nonzero(x: &CpuStorage, l: &Layout) -> (Vec<i64>, usize) {
    fn go<T: Element>(x: &[T], l: &Layout) -> (Vec<i64>, usize) {
        let data = map_strided(x, l, |v| v);
        let mut out = vec![];
        let mut count = 0;
        for_each_coord(&l.shape, |flat, coord| {
            if data[flat] != T::zero() {
                out.extend(coord.iter().map(|&c| c as i64));
                count += 1;
            }
        });
        (out, count)
    }
    crate::with_cpu!(x, b => go(b.as_slice(), l))
}
