//! 2-D convolution, one sample at a time: the sample's columns (im2col)
//! stay in cache while one GEMM per group consumes them, and samples run in
//! parallel. Materialising the whole batch's columns first (`F.unfold` and
//! a batched matmul) moved ~9x more memory and measured 6x slower than
//! PyTorch on a small CNN.

use super::conv_shifted::Shifted;
use super::matmul::gemm_serial;
use super::window::{col2im_plane, im2col_plane, Sweep2d};
use super::{CpuStorage, IntoStorage};
use crate::backend::cpu::float::Float;
use crate::error::{not_implemented_err, Result};
use rayon::prelude::*;

/// Below this many multiply-adds a convolution runs on the calling thread.
const PAR_WORK: usize = 1 << 20;
/// Samples per partial sum of the weight gradient: fixed, so the sum's
/// order (and its rounding) does not depend on the number of threads.
const WEIGHT_GRAD_BLOCK: usize = 4;

/// Shapes of one convolution: `[n, c, H, W] * [o, c/groups, kh, kw]`.
#[derive(Clone, Copy, Debug)]
pub struct ConvShape {
    pub n: usize,
    pub c: usize,
    pub o: usize,
    pub groups: usize,
    pub sweep: Sweep2d,
}

impl ConvShape {
    fn cg(&self) -> usize {
        self.c / self.groups
    }
    fn og(&self) -> usize {
        self.o / self.groups
    }
    /// Rows of one group's columns: `cg * kh * kw`.
    fn k(&self) -> usize {
        self.cg() * self.sweep.taps()
    }
    fn hw(&self) -> usize {
        self.sweep.in_hw[0] * self.sweep.in_hw[1]
    }
    fn l(&self) -> usize {
        self.sweep.positions()
    }
    fn work(&self) -> usize {
        self.n * self.o * self.k() * self.l()
    }
    /// A 1x1, stride-1, unpadded kernel: the input planes are the columns.
    fn columns_are_input(&self) -> bool {
        let s = &self.sweep;
        s.kernel == [1, 1] && s.stride == [1, 1] && s.padding == [0, 0]
    }
}

/// Columns of group `gi` of one sample (`x` is that sample's `[c, H, W]`).
fn group_columns<'a, F: Float>(cs: &ConvShape, x: &'a [F], gi: usize, buf: &'a mut [F]) -> &'a [F] {
    let (cg, hw) = (cs.cg(), cs.hw());
    let planes = &x[gi * cg * hw..(gi + 1) * cg * hw];
    if cs.columns_are_input() {
        return planes;
    }
    let block = cs.sweep.taps() * cs.l();
    for p in 0..cg {
        im2col_plane(
            &planes[p * hw..(p + 1) * hw],
            &cs.sweep,
            &mut buf[p * block..(p + 1) * block],
        );
    }
    buf
}

/// Runs `f(scratch, i, chunk_i)` over the `per`-element chunks of `out`,
/// in parallel when asked; `scratch` is made by `init` once per rayon job
/// (not per sample: zeroed allocations showed up in profiles).
fn each_sample<F: Float, B>(
    out: &mut [F],
    per: usize,
    parallel: bool,
    init: impl Fn() -> B + Sync + Send,
    f: impl Fn(&mut B, usize, &mut [F]) + Sync + Send,
) {
    if per == 0 {
        return;
    }
    if parallel {
        out.par_chunks_mut(per)
            .enumerate()
            .for_each_init(&init, |b, (i, d)| f(b, i, d));
    } else {
        let mut b = init();
        out.chunks_mut(per)
            .enumerate()
            .for_each(|(i, d)| f(&mut b, i, d));
    }
}

fn add_bias<F: Float>(dst: &mut [F], bias: Option<&[F]>, l: usize) {
    if let Some(b) = bias {
        for (row, &bv) in dst.chunks_exact_mut(l).zip(b) {
            for v in row {
                *v = *v + bv;
            }
        }
    }
}

fn forward_typed<F: Float>(x: &[F], w: &[F], bias: Option<&[F]>, cs: &ConvShape) -> Vec<F> {
    let (og, k, l) = (cs.og(), cs.k(), cs.l());
    let per = cs.o * l;
    let mut out = vec![F::zero(); cs.n * per];
    let xs = |i: usize| &x[i * cs.c * cs.hw()..(i + 1) * cs.c * cs.hw()];
    if let Some(sh) = Shifted::new(cs).filter(Shifted::suits_forward) {
        let rows = sh.weight_rows(w);
        let group = sh.samples_per_gemm(cs.n);
        let chw = cs.c * cs.hw();
        let scratch = || {
            (
                vec![F::zero(); sh.copy_len(group)],
                vec![F::zero(); sh.grid_len(group)],
            )
        };
        each_sample(
            &mut out,
            per * group,
            cs.work() >= PAR_WORK,
            scratch,
            |(copy, grid), i, dst| {
                let (first, count) = (i * group, dst.len() / per);
                let samples = sh.copy_channels_last(&x[first * chw..(first + count) * chw], copy);
                sh.forward_group(copy, samples, &rows, grid, dst);
                for sample in dst.chunks_exact_mut(per) {
                    add_bias(sample, bias, l);
                }
            },
        );
        return out;
    }
    let columns = || vec![F::zero(); if cs.columns_are_input() { 0 } else { k * l }];
    each_sample(
        &mut out,
        per,
        cs.work() >= PAR_WORK,
        columns,
        |buf, i, dst| {
            for gi in 0..cs.groups {
                let cols = group_columns(cs, xs(i), gi, buf);
                // Computed transposed, out^T (l x og) = cols^T @ W_g^T: the GEMM's
                // long side is then the spatial one (its microkernel is 64 rows
                // tall; og is often 16 or 32).
                // Safety: W_g is og x k row-major inside `w`, cols k x l, and the
                // destination block og x l lies inside this sample's output.
                unsafe {
                    gemm_serial(
                        l,
                        og,
                        k,
                        (dst[gi * og * l..].as_mut_ptr(), 1, l as isize),
                        false,
                        cols.as_ptr(),
                        1,
                        l as isize,
                        w[gi * og * k..].as_ptr(),
                        1,
                        k as isize,
                    );
                }
            }
            add_bias(dst, bias, l);
        },
    );
    out
}

/// The input gradient of a stride-1 convolution is itself a convolution:
/// of the output gradient, padded by `(kernel - 1) * dilation - padding`,
/// with the weight flipped in space and its channel axes swapped (per
/// group). None when that padding would be negative.
fn input_grad_as_forward<F: Float>(g: &[F], w: &[F], cs: &ConvShape) -> Option<Vec<F>> {
    let s = &cs.sweep;
    if s.stride != [1, 1] {
        return None;
    }
    let reach = |a: usize| ((s.kernel[a] - 1) * s.dilation[a]).checked_sub(s.padding[a]);
    let padding = [reach(0)?, reach(1)?];
    let (cg, og, [kh, kw]) = (cs.cg(), cs.og(), s.kernel);
    let taps = kh * kw;
    // w is [groups * og, cg, kh, kw]; the flipped one [groups * cg, og, kh, kw]
    let mut flipped = vec![F::zero(); w.len()];
    for gi in 0..cs.groups {
        for o in 0..og {
            for c in 0..cg {
                let src = &w[((gi * og + o) * cg + c) * taps..][..taps];
                let dst = &mut flipped[((gi * cg + c) * og + o) * taps..][..taps];
                for (d, &v) in dst.iter_mut().zip(src.iter().rev()) {
                    *d = v;
                }
            }
        }
    }
    let transposed = ConvShape {
        n: cs.n,
        c: cs.o,
        o: cs.c,
        groups: cs.groups,
        sweep: Sweep2d {
            in_hw: s.out_hw,
            kernel: s.kernel,
            stride: [1, 1],
            padding,
            dilation: s.dilation,
            out_hw: s.in_hw,
        },
    };
    Some(forward_typed(g, &flipped, None, &transposed))
}

fn input_grad_typed<F: Float>(g: &[F], w: &[F], cs: &ConvShape) -> Vec<F> {
    // A GEMM into columns and their col2im measured 2x slower than the
    // forward pass, whose GEMM has the same work: the columns' GEMM
    // reduces over only og and writes k x l values per sample.
    if let Some(gx) = input_grad_as_forward(g, w, cs) {
        return gx;
    }
    let (cg, og, k, l, hw) = (cs.cg(), cs.og(), cs.k(), cs.l(), cs.hw());
    let per = cs.c * hw;
    let mut out = vec![F::zero(); cs.n * per];
    let block = cs.sweep.taps() * l;
    let columns = || vec![F::zero(); if cs.columns_are_input() { 0 } else { k * l }];
    each_sample(
        &mut out,
        per,
        cs.work() >= PAR_WORK,
        columns,
        |cols, i, dst| {
            let gs = &g[i * cs.o * l..(i + 1) * cs.o * l];
            for gi in 0..cs.groups {
                let planes = &mut dst[gi * cg * hw..(gi + 1) * cg * hw];
                // columns = W_g^T (k x og) @ g_g (og x l); written straight into
                // the planes when they are the columns (1x1 kernels)
                let target = if cs.columns_are_input() {
                    planes.as_mut_ptr()
                } else {
                    cols.as_mut_ptr()
                };
                // Safety: W_g^T is read through W_g's row-major layout (row
                // stride 1, column stride k); g_g is og x l; the target holds k x l.
                unsafe {
                    gemm_serial(
                        k,
                        l,
                        og,
                        (target, l as isize, 1),
                        false,
                        w[gi * og * k..].as_ptr(),
                        1,
                        k as isize,
                        gs[gi * og * l..].as_ptr(),
                        l as isize,
                        1,
                    );
                }
                if !cs.columns_are_input() {
                    for p in 0..cg {
                        col2im_plane(
                            &cols[p * block..(p + 1) * block],
                            &cs.sweep,
                            &mut planes[p * hw..(p + 1) * hw],
                        );
                    }
                }
            }
        },
    );
    out
}

fn weight_grad_typed<F: Float>(g: &[F], x: &[F], cs: &ConvShape) -> Vec<F> {
    let (og, k, l) = (cs.og(), cs.k(), cs.l());
    let size = cs.o * k;
    let blocks = cs.n.div_ceil(WEIGHT_GRAD_BLOCK);
    let mut partials = vec![F::zero(); blocks * size];
    let samples = |blk: usize| blk * WEIGHT_GRAD_BLOCK..((blk + 1) * WEIGHT_GRAD_BLOCK).min(cs.n);
    if let Some(sh) = Shifted::new(cs) {
        let scratch = || {
            (
                vec![F::zero(); sh.copy_len(WEIGHT_GRAD_BLOCK)],
                vec![F::zero(); sh.grid_len(WEIGHT_GRAD_BLOCK)],
            )
        };
        let (chw, ol) = (cs.c * cs.hw(), cs.o * l);
        each_sample(
            &mut partials,
            size,
            cs.work() >= PAR_WORK,
            scratch,
            |(copy, grid), blk, acc| {
                // the block's samples as one GEMM
                let block = samples(blk);
                let xs = &x[block.start * chw..block.end * chw];
                let count = sh.copy_channels_last(xs, copy);
                let gs = &g[block.start * ol..block.end * ol];
                sh.weight_grad_group(copy, count, gs, grid, acc, true);
            },
        );
        return sh.weight_from_rows(&sum_partials(&partials, size));
    }
    let columns = || vec![F::zero(); if cs.columns_are_input() { 0 } else { k * l }];
    each_sample(
        &mut partials,
        size,
        cs.work() >= PAR_WORK,
        columns,
        |buf, blk, acc| {
            for (j, i) in samples(blk).enumerate() {
                let xs = &x[i * cs.c * cs.hw()..(i + 1) * cs.c * cs.hw()];
                let gs = &g[i * cs.o * l..(i + 1) * cs.o * l];
                for gi in 0..cs.groups {
                    let cols = group_columns(cs, xs, gi, buf);
                    // Computed transposed, gW_g^T (k x og) += cols (k x l) @ g_g^T
                    // (l x og): the GEMM's tall side is then k (often 9x og), and
                    // its left operand is read in place (unit row stride).
                    // Safety: cols is k x l, g_g og x l read transposed, and the
                    // acc block og x k is written through its transpose.
                    unsafe {
                        gemm_serial(
                            k,
                            og,
                            l,
                            (acc[gi * og * k..].as_mut_ptr(), 1, k as isize),
                            j > 0,
                            cols.as_ptr(),
                            l as isize,
                            1,
                            gs[gi * og * l..].as_ptr(),
                            1,
                            l as isize,
                        );
                    }
                }
            }
        },
    );
    sum_partials(&partials, size)
}

/// The blocks' partial weight gradients summed in block order.
fn sum_partials<F: Float>(partials: &[F], size: usize) -> Vec<F> {
    let mut total = vec![F::zero(); size];
    for part in partials.chunks_exact(size.max(1)) {
        for (t, &p) in total.iter_mut().zip(part) {
            *t = *t + p;
        }
    }
    total
}

fn slice<F: super::optim::FloatSlices>(s: &CpuStorage, offset: usize, n: usize) -> Result<&[F]> {
    F::slice(s, offset, n).ok_or_else(|| crate::error::Error::DType {
        op: "conv2d",
        msg: "conv2d: input, weight and bias must share one floating dtype".into(),
    })
}

/// `[n, c, H, W] * [o, c/g, kh, kw] (+ bias[o]) -> [n, o, OH, OW]`, all contiguous (storage, offset).
pub fn forward(
    x: (&CpuStorage, usize),
    w: (&CpuStorage, usize),
    bias: Option<(&CpuStorage, usize)>,
    cs: &ConvShape,
) -> Result<CpuStorage> {
    let (xn, wn) = (cs.n * cs.c * cs.hw(), cs.o * cs.k());
    Ok(match x.0 {
        CpuStorage::F32(_) => forward_typed::<f32>(
            slice(x.0, x.1, xn)?,
            slice(w.0, w.1, wn)?,
            bias.map(|b| slice(b.0, b.1, cs.o)).transpose()?,
            cs,
        )
        .into_storage(),
        CpuStorage::F64(_) => forward_typed::<f64>(
            slice(x.0, x.1, xn)?,
            slice(w.0, w.1, wn)?,
            bias.map(|b| slice(b.0, b.1, cs.o)).transpose()?,
            cs,
        )
        .into_storage(),
        other => {
            return not_implemented_err(format!(
                "\"conv2d\" not implemented for '{}'",
                other.dtype().legacy_name()
            ))
        }
    })
}

/// Gradient of the input: `[n, o, OH, OW]` gradient and weight -> `[n, c, H, W]`.
pub fn input_grad(
    g: (&CpuStorage, usize),
    w: (&CpuStorage, usize),
    cs: &ConvShape,
) -> Result<CpuStorage> {
    let (gn, wn) = (cs.n * cs.o * cs.l(), cs.o * cs.k());
    Ok(match g.0 {
        CpuStorage::F32(_) => {
            input_grad_typed::<f32>(slice(g.0, g.1, gn)?, slice(w.0, w.1, wn)?, cs).into_storage()
        }
        CpuStorage::F64(_) => {
            input_grad_typed::<f64>(slice(g.0, g.1, gn)?, slice(w.0, w.1, wn)?, cs).into_storage()
        }
        other => {
            return not_implemented_err(format!(
                "\"conv2d_backward\" not implemented for '{}'",
                other.dtype().legacy_name()
            ))
        }
    })
}

/// Gradient of the weight: `[n, o, OH, OW]` gradient and input -> `[o, c/g, kh, kw]`.
pub fn weight_grad(
    g: (&CpuStorage, usize),
    x: (&CpuStorage, usize),
    cs: &ConvShape,
) -> Result<CpuStorage> {
    let (gn, xn) = (cs.n * cs.o * cs.l(), cs.n * cs.c * cs.hw());
    Ok(match g.0 {
        CpuStorage::F32(_) => {
            weight_grad_typed::<f32>(slice(g.0, g.1, gn)?, slice(x.0, x.1, xn)?, cs).into_storage()
        }
        CpuStorage::F64(_) => {
            weight_grad_typed::<f64>(slice(g.0, g.1, gn)?, slice(x.0, x.1, xn)?, cs).into_storage()
        }
        other => {
            return not_implemented_err(format!(
                "\"conv2d_backward\" not implemented for '{}'",
                other.dtype().legacy_name()
            ))
        }
    })
}
