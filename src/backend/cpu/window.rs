//! Sliding-window kernels over the last two dims of `[planes, H, W]` data:
//! im2col / col2im (convolution lowered onto GEMM, `F.unfold` / `F.fold`)
//! and the argmax of max-pooling windows. Each plane is independent, so
//! planes are the unit of parallel work and results never depend on the
//! number of threads.

use super::float::Float;
use super::{CpuStorage, IntoStorage, PAR_THRESHOLD};
use crate::dtype::Element;
use crate::error::{not_implemented_err, Result};
use rayon::prelude::*;

/// Geometry of a 2-D window sweep: input size, kernel, stride, padding,
/// dilation and the resulting output size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sweep2d {
    pub in_hw: [usize; 2],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    pub out_hw: [usize; 2],
}

impl Sweep2d {
    pub fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }
    pub fn positions(&self) -> usize {
        self.out_hw[0] * self.out_hw[1]
    }
    /// Input coordinate of output position `o` and kernel tap `k` along axis
    /// `a`, or None when it falls in the padding.
    #[inline(always)]
    fn source(&self, a: usize, o: usize, k: usize) -> Option<usize> {
        let pos = (o * self.stride[a] + k * self.dilation[a]) as isize - self.padding[a] as isize;
        (pos >= 0 && (pos as usize) < self.in_hw[a]).then_some(pos as usize)
    }
}

/// Runs `f(plane_index, dst_chunk)` over the `chunk`-element chunks of
/// `dst`, in parallel when the work (`work` elements touched) is large.
/// Planes are independent, so results never depend on the thread count.
pub(super) fn for_each_plane<T: Send>(
    dst: &mut [T],
    chunk: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    if chunk == 0 {
        return;
    }
    if work >= PAR_THRESHOLD {
        dst.par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(i, d)| f(i, d));
    } else {
        dst.chunks_mut(chunk).enumerate().for_each(|(i, d)| f(i, d));
    }
}

impl Sweep2d {
    /// The output positions `o` along axis `a` whose tap `k` lands inside the
    /// input: a contiguous range, so the copy loops below have no branches.
    #[inline]
    fn valid(&self, a: usize, k: usize) -> std::ops::Range<usize> {
        let shift = (k * self.dilation[a]) as isize - self.padding[a] as isize;
        let (s, n) = (self.stride[a] as isize, self.in_hw[a] as isize);
        // o * s + shift in [0, n)
        let lo = if shift >= 0 { 0 } else { (-shift + s - 1) / s };
        let hi = if n - shift <= 0 {
            0
        } else {
            (n - shift + s - 1) / s
        };
        let out = self.out_hw[a] as isize;
        (lo.clamp(0, out) as usize)..(hi.clamp(0, out).max(lo.clamp(0, out)) as usize)
    }
    #[inline]
    fn shift(&self, a: usize, k: usize) -> isize {
        (k * self.dilation[a]) as isize - self.padding[a] as isize
    }
}

/// One plane `[H, W]` -> its columns `[kh*kw, OH*OW]` (every element of `dst` written).
pub(super) fn im2col_plane<F: Element>(plane: &[F], s: &Sweep2d, dst: &mut [F]) {
    let w = s.in_hw[1];
    let ow = s.out_hw[1];
    let l = s.positions();
    let sw = s.stride[1];
    for ki in 0..s.kernel[0] {
        let rows = s.valid(0, ki);
        for kj in 0..s.kernel[1] {
            let row = &mut dst[(ki * s.kernel[1] + kj) * l..][..l];
            let cols = s.valid(1, kj);
            let xshift = s.shift(1, kj);
            for oy in 0..s.out_hw[0] {
                let dst_row = &mut row[oy * ow..(oy + 1) * ow];
                if !rows.contains(&oy) || cols.is_empty() {
                    dst_row.fill(F::zero());
                    continue;
                }
                let iy = (oy as isize * s.stride[0] as isize + s.shift(0, ki)) as usize;
                let src_row = &plane[iy * w..(iy + 1) * w];
                dst_row[..cols.start].fill(F::zero());
                dst_row[cols.end..].fill(F::zero());
                let x0 = (cols.start as isize * sw as isize + xshift) as usize;
                if sw == 1 {
                    dst_row[cols.clone()].copy_from_slice(&src_row[x0..x0 + cols.len()]);
                } else {
                    for (d, &v) in dst_row[cols.clone()]
                        .iter_mut()
                        .zip(src_row[x0..].iter().step_by(sw))
                    {
                        *d = v;
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col_plane`: columns added back into `plane`.
pub(super) fn col2im_plane<F: Float>(src: &[F], s: &Sweep2d, plane: &mut [F]) {
    let w = s.in_hw[1];
    let ow = s.out_hw[1];
    let l = s.positions();
    let sw = s.stride[1];
    for ki in 0..s.kernel[0] {
        let rows = s.valid(0, ki);
        for kj in 0..s.kernel[1] {
            let row = &src[(ki * s.kernel[1] + kj) * l..][..l];
            let cols = s.valid(1, kj);
            if cols.is_empty() {
                continue;
            }
            let x0 = (cols.start as isize * sw as isize + s.shift(1, kj)) as usize;
            for oy in rows.clone() {
                let iy = (oy as isize * s.stride[0] as isize + s.shift(0, ki)) as usize;
                let dst_row = &mut plane[iy * w..(iy + 1) * w];
                let src_run = &row[oy * ow + cols.start..oy * ow + cols.end];
                // zipped slices (no per-element index checks): the stride-1
                // case vectorises; it was 10% of a ResNet training step
                if sw == 1 {
                    for (d, &v) in dst_row[x0..x0 + src_run.len()].iter_mut().zip(src_run) {
                        *d = *d + v;
                    }
                } else {
                    for (d, &v) in dst_row[x0..].iter_mut().step_by(sw).zip(src_run) {
                        *d = *d + v;
                    }
                }
            }
        }
    }
}

fn im2col_typed<F: Element>(src: &[F], planes: usize, s: &Sweep2d) -> Vec<F> {
    let hw = s.in_hw[0] * s.in_hw[1];
    let mut out = vec![F::zero(); planes * s.taps() * s.positions()];
    let work = out.len();
    for_each_plane(&mut out, s.taps() * s.positions(), work, |p, dst| {
        im2col_plane(&src[p * hw..(p + 1) * hw], s, dst)
    });
    out
}

fn col2im_typed<F: Float>(cols: &[F], planes: usize, s: &Sweep2d) -> Vec<F> {
    let hw = s.in_hw[0] * s.in_hw[1];
    let block = s.taps() * s.positions();
    let mut out = vec![F::zero(); planes * hw];
    let work = out.len();
    for_each_plane(&mut out, hw, work, |p, plane| {
        col2im_plane(&cols[p * block..(p + 1) * block], s, plane)
    });
    out
}

/// Max-pooling of each plane: the window maxima and their indices within
/// the H*W plane. As in PyTorch, NaN wins (the last one in scan order) and
/// among equal values the first.
fn max_pool_typed<F: Float>(src: &[F], planes: usize, s: &Sweep2d) -> (Vec<F>, Vec<i64>) {
    let (h, w) = (s.in_hw[0], s.in_hw[1]);
    let (oh, ow) = (s.out_hw[0], s.out_hw[1]);
    let mut values = vec![F::zero(); planes * oh * ow];
    let mut out = vec![0i64; planes * oh * ow];
    // Output positions whose whole window lies inside the input: there the
    // taps need no bounds checks (the usual unpadded pooling is all interior).
    let inside = |a: usize| {
        (0..s.kernel[a])
            .map(|k| s.valid(a, k))
            .fold(0..usize::MAX, |acc, r| {
                acc.start.max(r.start)..acc.end.min(r.end)
            })
    };
    let (rows_in, cols_in) = (inside(0), inside(1));
    let (dh, dw) = (s.dilation[0] * w, s.dilation[1]);
    // PyTorch's rule takes a tap if it is greater or NaN (so the last NaN
    // wins). Interior windows test only `x > best`, which compiles to
    // max/cmov instead of an unpredictable branch (4x faster on real data),
    // and note NaNs on the side; a window that held one is redone exactly.
    let exact = |plane: &[F], oy: usize, ox: usize| -> (F, usize) {
        let mut best_v = F::from_f64(f64::NEG_INFINITY);
        let mut best = usize::MAX;
        for ki in 0..s.kernel[0] {
            let Some(iy) = s.source(0, oy, ki) else {
                continue;
            };
            for kj in 0..s.kernel[1] {
                let Some(ix) = s.source(1, ox, kj) else {
                    continue;
                };
                let i = iy * w + ix;
                let x = plane[i];
                if best == usize::MAX {
                    best = i; // PyTorch starts from the window's first tap
                }
                if x > best_v || x.is_nan() {
                    best_v = x;
                    best = i;
                }
            }
        }
        (best_v, if best == usize::MAX { 0 } else { best })
    };
    let per_plane = |p: usize, dst: &mut [i64], vals: &mut [F]| {
        let plane = &src[p * h * w..(p + 1) * h * w];
        for oy in 0..oh {
            let row_inside = rows_in.contains(&oy);
            let row0 = (oy as isize * s.stride[0] as isize + s.shift(0, 0)) as usize;
            for ox in 0..ow {
                let (v, i) = if row_inside && cols_in.contains(&ox) {
                    let base =
                        row0 * w + (ox as isize * s.stride[1] as isize + s.shift(1, 0)) as usize;
                    let window =
                        &plane[base..base + (s.kernel[0] - 1) * dh + (s.kernel[1] - 1) * dw + 1];
                    let mut best_v = F::from_f64(f64::NEG_INFINITY);
                    let mut best = 0usize;
                    let mut nan = false;
                    for ki in 0..s.kernel[0] {
                        for kj in 0..s.kernel[1] {
                            let at = ki * dh + kj * dw;
                            let x = window[at];
                            let gt = x > best_v;
                            best_v = if gt { x } else { best_v };
                            best = if gt { at } else { best };
                            nan |= x.is_nan();
                        }
                    }
                    if nan {
                        exact(plane, oy, ox)
                    } else {
                        (best_v, base + best)
                    }
                } else {
                    exact(plane, oy, ox)
                };
                dst[oy * ow + ox] = i as i64;
                vals[oy * ow + ox] = v;
            }
        }
    };
    let chunk = oh * ow;
    if chunk > 0 {
        if planes * h * w >= PAR_THRESHOLD {
            out.par_chunks_mut(chunk)
                .zip(values.par_chunks_mut(chunk))
                .enumerate()
                .for_each(|(p, (d, v))| per_plane(p, d, v));
        } else {
            out.chunks_mut(chunk)
                .zip(values.chunks_mut(chunk))
                .enumerate()
                .for_each(|(p, (d, v))| per_plane(p, d, v));
        }
    }
    (values, out)
}

/// Max-pooling's backward: each gradient added at its window's argmax.
fn max_pool_backward_typed<F: Float>(
    g: &[F],
    idx: &[i64],
    planes: usize,
    hw: usize,
    l: usize,
) -> Vec<F> {
    let mut out = vec![F::zero(); planes * hw];
    let work = out.len();
    for_each_plane(&mut out, hw, work, |p, plane| {
        for (&i, &v) in idx[p * l..(p + 1) * l].iter().zip(&g[p * l..(p + 1) * l]) {
            // why: indices come from max_pool_typed over this plane, so they are < hw.
            if let Some(d) = plane.get_mut(i as usize) {
                *d = *d + v;
            }
        }
    });
    out
}

/// `[planes, H, W]` (contiguous) -> `[planes, kh*kw, OH*OW]`.
pub fn im2col(src: &CpuStorage, offset: usize, planes: usize, s: &Sweep2d) -> Result<CpuStorage> {
    let n = planes * s.in_hw[0] * s.in_hw[1];
    Ok(match src {
        CpuStorage::F32(b) => {
            im2col_typed(&b.as_slice()[offset..offset + n], planes, s).into_storage()
        }
        CpuStorage::F64(b) => {
            im2col_typed(&b.as_slice()[offset..offset + n], planes, s).into_storage()
        }
        other => {
            return not_implemented_err(format!(
                "\"im2col\" not implemented for '{}'",
                other.dtype().legacy_name()
            ))
        }
    })
}

/// `[planes, kh*kw, OH*OW]` (contiguous) -> `[planes, H, W]`, overlapping taps summed.
pub fn col2im(src: &CpuStorage, offset: usize, planes: usize, s: &Sweep2d) -> Result<CpuStorage> {
    let n = planes * s.taps() * s.positions();
    Ok(match src {
        CpuStorage::F32(b) => {
            col2im_typed(&b.as_slice()[offset..offset + n], planes, s).into_storage()
        }
        CpuStorage::F64(b) => {
            col2im_typed(&b.as_slice()[offset..offset + n], planes, s).into_storage()
        }
        other => {
            return not_implemented_err(format!(
                "\"col2im\" not implemented for '{}'",
                other.dtype().legacy_name()
            ))
        }
    })
}

/// `[planes, H, W]` (contiguous) -> `[planes, OH*OW]` maxima and int64 argmax indices.
pub fn max_pool(
    src: &CpuStorage,
    offset: usize,
    planes: usize,
    s: &Sweep2d,
) -> Result<(CpuStorage, CpuStorage)> {
    let n = planes * s.in_hw[0] * s.in_hw[1];
    Ok(match src {
        CpuStorage::F32(b) => {
            let (v, i) = max_pool_typed(&b.as_slice()[offset..offset + n], planes, s);
            (v.into_storage(), i.into_storage())
        }
        CpuStorage::F64(b) => {
            let (v, i) = max_pool_typed(&b.as_slice()[offset..offset + n], planes, s);
            (v.into_storage(), i.into_storage())
        }
        other => {
            return not_implemented_err(format!(
                "\"max_pool2d\" not implemented for '{}'",
                other.dtype().legacy_name()
            ))
        }
    })
}

/// Gradient of max-pooling: `g` (`[planes, L]`, contiguous) scattered to `idx`.
pub fn max_pool_backward(
    g: &CpuStorage,
    g_offset: usize,
    idx: &[i64],
    planes: usize,
    hw: usize,
    l: usize,
) -> Result<CpuStorage> {
    let n = planes * l;
    Ok(match g {
        CpuStorage::F32(b) => {
            max_pool_backward_typed(&b.as_slice()[g_offset..g_offset + n], idx, planes, hw, l)
                .into_storage()
        }
        CpuStorage::F64(b) => {
            max_pool_backward_typed(&b.as_slice()[g_offset..g_offset + n], idx, planes, hw, l)
                .into_storage()
        }
        other => {
            return not_implemented_err(format!(
                "\"max_pool2d_backward\" not implemented for '{}'",
                other.dtype().legacy_name()
            ))
        }
    })
}
