//! Average pooling of `[planes, H, W]` data and its gradient, one pass
//! each (the im2col + sum + divide composition it replaces read and wrote
//! the input three times and saved the columns for backward).
//!
//! The divisor follows PyTorch's CPU kernel: the window's extent clipped
//! to the padded input (`count_include_pad`), or to the input itself, or a
//! fixed `divisor_override`; sums run over rows then columns in f32 for f32
//! data, as PyTorch's do, so the results agree bitwise.

use super::window::{for_each_plane, Sweep2d};
use super::{CpuStorage, IntoStorage};
use crate::backend::cpu::float::Float;
use crate::error::{not_implemented_err, Result};
use std::ops::Range;

/// What each window's sum is divided by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvgDivisor {
    pub count_include_pad: bool,
    /// PyTorch's `divisor_override` (never zero: checked at the op).
    pub divisor_override: Option<i64>,
}

/// Per output position along one axis: the input range its window covers
/// and the window's extent within the padded input.
fn spans(s: &Sweep2d, a: usize) -> Vec<(Range<usize>, usize)> {
    let (k, st, p, n) = (
        s.kernel[a] as isize,
        s.stride[a] as isize,
        s.padding[a] as isize,
        s.in_hw[a] as isize,
    );
    (0..s.out_hw[a] as isize)
        .map(|o| {
            let start = o * st - p;
            let end = (start + k).min(n + p);
            let padded = (end - start) as usize;
            let (lo, hi) = (start.max(0) as usize, end.min(n).max(0) as usize);
            (lo..hi.max(lo), padded)
        })
        .collect()
}

impl AvgDivisor {
    fn of(&self, rows: &(Range<usize>, usize), cols: &(Range<usize>, usize)) -> f64 {
        match self.divisor_override {
            Some(d) => d as f64,
            None if self.count_include_pad => (rows.1 * cols.1) as f64,
            None => (rows.0.len() * cols.0.len()) as f64,
        }
    }
}

fn avg_pool_typed<F: Float>(src: &[F], planes: usize, s: &Sweep2d, d: AvgDivisor) -> Vec<F> {
    let (hw, w) = (s.in_hw[0] * s.in_hw[1], s.in_hw[1]);
    let (rows, cols) = (spans(s, 0), spans(s, 1));
    let mut out = vec![F::zero(); planes * s.positions()];
    for_each_plane(&mut out, s.positions(), planes * hw, |p, dst| {
        let plane = &src[p * hw..(p + 1) * hw];
        for (oy, r) in rows.iter().enumerate() {
            for (ox, c) in cols.iter().enumerate() {
                let mut acc = F::zero();
                for iy in r.0.clone() {
                    for &v in &plane[iy * w + c.0.start..iy * w + c.0.end] {
                        acc = acc + v;
                    }
                }
                dst[oy * cols.len() + ox] = acc / F::from_f64(d.of(r, c));
            }
        }
    });
    out
}

/// The adjoint: each output's gradient, divided by its divisor, added to
/// every input its window covers.
fn avg_pool_backward_typed<F: Float>(g: &[F], planes: usize, s: &Sweep2d, d: AvgDivisor) -> Vec<F> {
    let (hw, w, l) = (s.in_hw[0] * s.in_hw[1], s.in_hw[1], s.positions());
    let (rows, cols) = (spans(s, 0), spans(s, 1));
    let mut out = vec![F::zero(); planes * hw];
    for_each_plane(&mut out, hw, planes * hw, |p, plane| {
        let g = &g[p * l..(p + 1) * l];
        for (oy, r) in rows.iter().enumerate() {
            for (ox, c) in cols.iter().enumerate() {
                let v = g[oy * cols.len() + ox] / F::from_f64(d.of(r, c));
                for iy in r.0.clone() {
                    for x in &mut plane[iy * w + c.0.start..iy * w + c.0.end] {
                        *x = *x + v;
                    }
                }
            }
        }
    });
    out
}

/// `[planes, H, W]` (contiguous from `offset`) -> `[planes, OH*OW]` window means.
pub fn avg_pool(
    src: &CpuStorage,
    offset: usize,
    planes: usize,
    s: &Sweep2d,
    d: AvgDivisor,
) -> Result<CpuStorage> {
    let n = planes * s.in_hw[0] * s.in_hw[1];
    Ok(match src {
        CpuStorage::F32(b) => {
            avg_pool_typed(&b.as_slice()[offset..offset + n], planes, s, d).into_storage()
        }
        CpuStorage::F64(b) => {
            avg_pool_typed(&b.as_slice()[offset..offset + n], planes, s, d).into_storage()
        }
        other => {
            return not_implemented_err(format!(
                "\"avg_pool2d\" not implemented for '{}'",
                other.dtype().legacy_name()
            ))
        }
    })
}

/// `[planes, OH*OW]` gradient (contiguous from `offset`) -> `[planes, H, W]`.
pub fn avg_pool_backward(
    g: &CpuStorage,
    offset: usize,
    planes: usize,
    s: &Sweep2d,
    d: AvgDivisor,
) -> Result<CpuStorage> {
    let n = planes * s.positions();
    Ok(match g {
        CpuStorage::F32(b) => {
            avg_pool_backward_typed(&b.as_slice()[offset..offset + n], planes, s, d).into_storage()
        }
        CpuStorage::F64(b) => {
            avg_pool_backward_typed(&b.as_slice()[offset..offset + n], planes, s, d).into_storage()
        }
        other => {
            return not_implemented_err(format!(
                "\"avg_pool2d_backward\" not implemented for '{}'",
                other.dtype().legacy_name()
            ))
        }
    })
}
