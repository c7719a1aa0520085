//! Sliding-window kernels over the last two dims of `[planes, H, W]` data:
//! im2col / col2im (convolution lowered onto GEMM, `F.unfold` / `F.fold`)
//! and the argmax of max-pooling windows. Each plane is independent, so
//! planes are the unit of parallel work and results never depend on the
//! number of threads.

use super::{CpuStorage, IntoStorage, PAR_THRESHOLD};
use crate::dtype::{Element, Float};
use crate::error::{dtype_err, Result};
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

/// Runs `f(plane_index, dst_chunk)` over `planes` chunks of `chunk` elements,
/// in parallel when the whole output is large.
fn for_each_plane<T: Send>(dst: &mut [T], chunk: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if chunk == 0 {
        return;
    }
    if dst.len() >= PAR_THRESHOLD {
        dst.par_chunks_mut(chunk).enumerate().for_each(|(i, d)| f(i, d));
    } else {
        dst.chunks_mut(chunk).enumerate().for_each(|(i, d)| f(i, d));
    }
}

fn im2col_typed<F: Element>(src: &[F], planes: usize, s: &Sweep2d) -> Vec<F> {
    let (h, w) = (s.in_hw[0], s.in_hw[1]);
    let (oh, ow) = (s.out_hw[0], s.out_hw[1]);
    let l = s.positions();
    let mut out = vec![F::zero(); planes * s.taps() * l];
    for_each_plane(&mut out, s.taps() * l, |p, dst| {
        let plane = &src[p * h * w..(p + 1) * h * w];
        for ki in 0..s.kernel[0] {
            for kj in 0..s.kernel[1] {
                let row = &mut dst[(ki * s.kernel[1] + kj) * l..][..l];
                for oy in 0..oh {
                    let Some(iy) = s.source(0, oy, ki) else { continue };
                    let src_row = &plane[iy * w..(iy + 1) * w];
                    let dst_row = &mut row[oy * ow..(oy + 1) * ow];
                    for (ox, d) in dst_row.iter_mut().enumerate() {
                        if let Some(ix) = s.source(1, ox, kj) {
                            *d = src_row[ix];
                        }
                    }
                }
            }
        }
    });
    out
}

fn col2im_typed<F: Float>(cols: &[F], planes: usize, s: &Sweep2d) -> Vec<F> {
    let (h, w) = (s.in_hw[0], s.in_hw[1]);
    let (oh, ow) = (s.out_hw[0], s.out_hw[1]);
    let l = s.positions();
    let mut out = vec![F::zero(); planes * h * w];
    for_each_plane(&mut out, h * w, |p, plane| {
        let src = &cols[p * s.taps() * l..(p + 1) * s.taps() * l];
        for ki in 0..s.kernel[0] {
            for kj in 0..s.kernel[1] {
                let row = &src[(ki * s.kernel[1] + kj) * l..][..l];
                for oy in 0..oh {
                    let Some(iy) = s.source(0, oy, ki) else { continue };
                    let dst_row = &mut plane[iy * w..(iy + 1) * w];
                    for (ox, &v) in row[oy * ow..(oy + 1) * ow].iter().enumerate() {
                        if let Some(ix) = s.source(1, ox, kj) {
                            dst_row[ix] = dst_row[ix] + v;
                        }
                    }
                }
            }
        }
    });
    out
}

/// Index (within its H*W plane) of the maximum of each window; NaN wins, as
/// in PyTorch, and among equal values the first in scan order.
fn max_window_typed<F: Float>(src: &[F], planes: usize, s: &Sweep2d) -> Vec<i64> {
    let (h, w) = (s.in_hw[0], s.in_hw[1]);
    let (oh, ow) = (s.out_hw[0], s.out_hw[1]);
    let mut out = vec![0i64; planes * oh * ow];
    for_each_plane(&mut out, oh * ow, |p, dst| {
        let plane = &src[p * h * w..(p + 1) * h * w];
        for oy in 0..oh {
            for ox in 0..ow {
                let mut best = -1i64;
                let mut best_v = F::from_f64(f64::NEG_INFINITY);
                for ki in 0..s.kernel[0] {
                    let Some(iy) = s.source(0, oy, ki) else { continue };
                    for kj in 0..s.kernel[1] {
                        let Some(ix) = s.source(1, ox, kj) else { continue };
                        let v = plane[iy * w + ix];
                        if best < 0 || v > best_v || v.is_nan() {
                            best = (iy * w + ix) as i64;
                            best_v = v;
                            if v.is_nan() {
                                break;
                            }
                        }
                    }
                    if best_v.is_nan() {
                        break;
                    }
                }
                dst[oy * ow + ox] = best.max(0);
            }
        }
    });
    out
}

/// `[planes, H, W]` (contiguous) -> `[planes, kh*kw, OH*OW]`.
pub fn im2col(src: &CpuStorage, offset: usize, planes: usize, s: &Sweep2d) -> Result<CpuStorage> {
    let n = planes * s.in_hw[0] * s.in_hw[1];
    Ok(match src {
        CpuStorage::F32(b) => im2col_typed(&b.as_slice()[offset..offset + n], planes, s).into_storage(),
        CpuStorage::F64(b) => im2col_typed(&b.as_slice()[offset..offset + n], planes, s).into_storage(),
        other => return dtype_err("im2col", format!("\"im2col\" not implemented for '{}'", other.dtype().legacy_name())),
    })
}

/// `[planes, kh*kw, OH*OW]` (contiguous) -> `[planes, H, W]`, overlapping taps summed.
pub fn col2im(src: &CpuStorage, offset: usize, planes: usize, s: &Sweep2d) -> Result<CpuStorage> {
    let n = planes * s.taps() * s.positions();
    Ok(match src {
        CpuStorage::F32(b) => col2im_typed(&b.as_slice()[offset..offset + n], planes, s).into_storage(),
        CpuStorage::F64(b) => col2im_typed(&b.as_slice()[offset..offset + n], planes, s).into_storage(),
        other => return dtype_err("col2im", format!("\"col2im\" not implemented for '{}'", other.dtype().legacy_name())),
    })
}

/// `[planes, H, W]` (contiguous) -> int64 `[planes, OH*OW]` argmax indices.
pub fn max_window(src: &CpuStorage, offset: usize, planes: usize, s: &Sweep2d) -> Result<CpuStorage> {
    let n = planes * s.in_hw[0] * s.in_hw[1];
    Ok(match src {
        CpuStorage::F32(b) => max_window_typed(&b.as_slice()[offset..offset + n], planes, s).into_storage(),
        CpuStorage::F64(b) => max_window_typed(&b.as_slice()[offset..offset + n], planes, s).into_storage(),
        other => return dtype_err("max_pool2d", format!("\"max_pool2d\" not implemented for '{}'", other.dtype().legacy_name())),
    })
}
