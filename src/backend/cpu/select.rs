//! `where(cond, a, b)` on the CPU: a vectorised select where the operands
//! are contiguous or single values, row by row where they are broadcast
//! along rows (masks of shape [N, 1] or [1, T]), and a strided walk
//! otherwise.

use super::{CpuStorage, IntoStorage};
use crate::error::{dtype_err, Result};
use crate::layout::{walk, Layout};

/// `where(cond, a, b)` with all three layouts expanded to the output shape.
pub fn where_(
    cond: &CpuStorage,
    lc: &Layout,
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
) -> Result<CpuStorage> {
    let CpuStorage::Bool(c) = cond else {
        return dtype_err(
            "where",
            format!(
                "where expected condition to be a boolean tensor, but got a tensor with dtype {}",
                cond.dtype().scalar_name()
            ),
        );
    };
    let c = c.as_slice();
    fn go<T: Copy + Default + Send + Sync>(
        c: &[bool],
        lc: &Layout,
        a: &[T],
        la: &Layout,
        b: &[T],
        lb: &Layout,
    ) -> Vec<T> {
        if let Some(out) = where_dense(c, lc, a, la, b, lb) {
            return out;
        }
        if let Some(out) = where_rows(c, lc, a, la, b, lb) {
            return out;
        }
        let mut out = Vec::with_capacity(lc.numel());
        walk(
            &lc.shape,
            &[&lc.strides, &la.strides, &lb.strides],
            &[lc.offset, la.offset, lb.offset],
            |[i, j, k]| out.push(if c[i] { a[j] } else { b[k] }),
        );
        out
    }
    Ok(match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => {
            go(c, lc, x.as_slice(), la, y.as_slice(), lb).into_storage()
        }
        (CpuStorage::F64(x), CpuStorage::F64(y)) => {
            go(c, lc, x.as_slice(), la, y.as_slice(), lb).into_storage()
        }
        (CpuStorage::I64(x), CpuStorage::I64(y)) => {
            go(c, lc, x.as_slice(), la, y.as_slice(), lb).into_storage()
        }
        (CpuStorage::Bool(x), CpuStorage::Bool(y)) => {
            go(c, lc, x.as_slice(), la, y.as_slice(), lb).into_storage()
        }
        _ => return dtype_err("where", "where: operands must share a dtype"),
    })
}

/// `where` when every operand is contiguous or a single broadcast value (masks
/// and `where(c, x, 0.)`): a select loop the compiler vectorises, split
/// over rayon for large outputs. None for other layouts (the strided walk).
fn where_dense<T: Copy + Send + Sync>(
    c: &[bool],
    lc: &Layout,
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
) -> Option<Vec<T>> {
    let n = lc.numel();
    let c = &c[lc.contiguous_range()?];
    let broadcast = |l: &Layout| l.strides.iter().all(|&s| s == 0);
    // each operand: its contiguous elements, or one value for all
    let x = la.contiguous_range().map(|r| &a[r]);
    let y = lb.contiguous_range().map(|r| &b[r]);
    let xs = (x.is_none() && broadcast(la) && n > 0).then(|| a[la.offset]);
    let ys = (y.is_none() && broadcast(lb) && n > 0).then(|| b[lb.offset]);
    let mut out: Vec<T> = Vec::with_capacity(n);
    let dst = &mut out.spare_capacity_mut()[..n];
    let rep = std::iter::repeat;
    match (x, xs, y, ys) {
        (Some(x), _, Some(y), _) => chunked(dst, |d, at| {
            select(
                d,
                &c[at..],
                x[at..].iter().copied(),
                y[at..].iter().copied(),
            )
        }),
        (Some(x), _, None, Some(v)) => chunked(dst, |d, at| {
            select(d, &c[at..], x[at..].iter().copied(), rep(v))
        }),
        (None, Some(u), Some(y), _) => chunked(dst, |d, at| {
            select(d, &c[at..], rep(u), y[at..].iter().copied())
        }),
        (None, Some(u), None, Some(v)) => chunked(dst, |d, at| select(d, &c[at..], rep(u), rep(v))),
        _ => return None,
    }
    // Safety: the chunks wrote all n slots.
    unsafe { out.set_len(n) };
    Some(out)
}

/// One operand's part of a row: its contiguous elements, or one value
/// broadcast along the row.
enum RowSide<'a, T> {
    Run(&'a [T]),
    One(T),
}

impl<'a, T: Copy> RowSide<'a, T> {
    /// The row of `inner` elements at `at` of `l`, walked with `stride` (1 or 0).
    fn of(stride: usize, l: &'a [T], at: usize, inner: usize) -> Self {
        if stride == 1 {
            RowSide::Run(&l[at..at + inner])
        } else {
            RowSide::One(l[at])
        }
    }
}

/// Rows shorter than this go through the strided walk (a row's set-up would
/// outweigh its select loop).
const WHERE_MIN_ROW: usize = 8;

/// `where` row by row of the innermost dim when every operand is contiguous
/// or broadcast along it (stride 1 or 0): a [N, 1] mask or a [1, T]
/// attention mask against [N, T] values. Each row is one vectorised select
/// (or one copy, where the condition is one value for the row); rows run on
/// rayon for large outputs. None for other layouts.
fn where_rows<'a, T: Copy + Send + Sync>(
    c: &[bool],
    lc: &Layout,
    a: &'a [T],
    la: &Layout,
    b: &'a [T],
    lb: &Layout,
) -> Option<Vec<T>> {
    let d = lc.shape.len();
    let inner = *lc.shape.last()?;
    let inner_stride = |l: &Layout| l.strides[d - 1];
    let (cs, as_, bs) = (inner_stride(lc), inner_stride(la), inner_stride(lb));
    if inner < WHERE_MIN_ROW || cs > 1 || as_ > 1 || bs > 1 {
        return None;
    }
    // each row's start in the three operands, in output order
    let mut starts = Vec::with_capacity(lc.numel() / inner);
    walk(
        &lc.shape[..d - 1],
        &[
            &lc.strides[..d - 1],
            &la.strides[..d - 1],
            &lb.strides[..d - 1],
        ],
        &[lc.offset, la.offset, lb.offset],
        |s| starts.push(s),
    );
    let n = starts.len() * inner;
    let mut out: Vec<T> = Vec::with_capacity(n);
    let row = |s: usize, l: &'a [T], at: usize| RowSide::of(s, l, at, inner);
    let fill = |dst: &mut [std::mem::MaybeUninit<T>], [i, j, k]: [usize; 3]| {
        if cs == 0 {
            // one condition for the whole row: a copy of one side
            match if c[i] { row(as_, a, j) } else { row(bs, b, k) } {
                RowSide::Run(src) => {
                    dst.write_copy_of_slice(src);
                }
                RowSide::One(v) => dst.iter_mut().for_each(|o| {
                    o.write(v);
                }),
            }
            return;
        }
        let cr = &c[i..i + inner];
        let rep = std::iter::repeat;
        match (row(as_, a, j), row(bs, b, k)) {
            (RowSide::Run(x), RowSide::Run(y)) => {
                select(dst, cr, x.iter().copied(), y.iter().copied())
            }
            (RowSide::Run(x), RowSide::One(v)) => select(dst, cr, x.iter().copied(), rep(v)),
            (RowSide::One(u), RowSide::Run(y)) => select(dst, cr, rep(u), y.iter().copied()),
            (RowSide::One(u), RowSide::One(v)) => select(dst, cr, rep(u), rep(v)),
        }
    };
    let dst = &mut out.spare_capacity_mut()[..n];
    if n >= super::PAR_THRESHOLD {
        use rayon::prelude::*;
        dst.par_chunks_mut(inner)
            .zip(starts.par_iter())
            .for_each(|(r, &s)| fill(r, s));
    } else {
        dst.chunks_mut(inner)
            .zip(starts.iter())
            .for_each(|(r, &s)| fill(r, s));
    }
    // Safety: one row of `inner` slots per start, each written by `fill`.
    unsafe { out.set_len(n) };
    Some(out)
}

/// `f(chunk, its start)` over `dst`, on rayon when it is large.
fn chunked<T: Send>(
    dst: &mut [std::mem::MaybeUninit<T>],
    f: impl Fn(&mut [std::mem::MaybeUninit<T>], usize) + Sync,
) {
    if dst.len() >= super::PAR_THRESHOLD {
        use rayon::prelude::*;
        dst.par_chunks_mut(super::CHUNK)
            .enumerate()
            .for_each(|(k, d)| f(d, k * super::CHUNK));
    } else {
        f(dst, 0);
    }
}

/// `dst[i] = if c[i] { x_i } else { y_i }` (zipped iterators, so it vectorises).
#[inline(always)]
fn select<T: Copy>(
    dst: &mut [std::mem::MaybeUninit<T>],
    c: &[bool],
    x: impl Iterator<Item = T>,
    y: impl Iterator<Item = T>,
) {
    for ((o, &ci), (xi, yi)) in dst.iter_mut().zip(c).zip(x.zip(y)) {
        o.write(if ci { xi } else { yi });
    }
}
