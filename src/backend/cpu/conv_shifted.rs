//! Stride-1 convolution without im2col: one GEMM per kernel row over a
//! channels-last copy of a group of (zero padded) samples.
//!
//! In a channels-last plane whose rows are `wg = W + pw` positions wide (the
//! `pw` zeros after each row are both its right padding and the next row's
//! left padding), the values that output position `p = oy * wg + ox` sees
//! through kernel row `ki` are one contiguous run: `kw * C` values starting
//! at position `p + ki * wg`. So the "columns" of kernel row `ki` are a
//! strided view of the copy (row stride C, overlapping rows), which the GEMM
//! reads in place. The outputs are computed on the `oh x wg` grid and the
//! `wg - ow` extra ones per row dropped. im2col copied every value kh*kw
//! times and took half of a convolution's time; this copies it once, at the
//! price of `wg / ow - 1` extra GEMM rows (6% at 16x16).
//!
//! Samples are stacked in one copy, each a slab of `ph + H` rows (its top
//! padding, then its data; the next slab's top padding is its bottom
//! padding), so small images share one GEMM: per-sample GEMMs of an 8x8
//! image were too small for the GEMM to reach its speed. The grid then has
//! `slab - oh` extra rows per sample, dropped like the extra columns.

use super::conv::ConvShape;
use super::matmul::gemm_serial;
use super::transpose::transpose_into;
use crate::backend::cpu::float::Float;

/// Grid positions one forward GEMM aims for: smaller images are grouped
/// until their grid has about this many rows.
const GROUP_POSITIONS: usize = 512;

/// The shortest run (kw * C, each kernel row's GEMM depth) worth a forward
/// GEMM per kernel row: below it (an RGB stem: 3 x 3) the depth is too
/// shallow for the GEMM's speed, and im2col's one GEMM over all kh * kw * C
/// took two thirds of the time (the weight gradient, whose depth is the
/// positions, stays faster here).
const MIN_FORWARD_RUN: usize = 16;

/// The geometry of one stride-1, undilated, ungrouped convolution.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shifted {
    c: usize,
    o: usize,
    kernel: [usize; 2],
    in_hw: [usize; 2],
    out_hw: [usize; 2],
    /// Top padding rows and (shared) left/right padding columns.
    pad: [usize; 2],
    /// Positions per row of the channels-last copy: `W + pad[1]`.
    wg: usize,
    /// Rows per sample in the copy and the grid: `pad[0] + H`.
    slab: usize,
}

impl Shifted {
    /// The geometry, or None when the convolution needs im2col (strides,
    /// dilation, groups, padding as wide as the kernel) or no copy at all
    /// (1x1 kernels).
    pub(super) fn new(cs: &ConvShape) -> Option<Self> {
        let s = &cs.sweep;
        let plain = cs.groups == 1 && s.stride == [1, 1] && s.dilation == [1, 1];
        let one_by_one = s.kernel == [1, 1] && s.padding == [0, 0];
        // a padding narrower than the kernel keeps the bottom padding one
        // slab needs inside the next slab's top padding (and oh <= slab)
        let narrow = s.padding[0] < s.kernel[0] && s.padding[1] < s.kernel[1];
        let empty = cs.c == 0 || s.in_hw.contains(&0) || s.out_hw.contains(&0);
        if !plain || one_by_one || !narrow || empty {
            return None;
        }
        Some(Self {
            c: cs.c,
            o: cs.o,
            kernel: s.kernel,
            in_hw: s.in_hw,
            out_hw: s.out_hw,
            pad: s.padding,
            wg: s.in_hw[1] + s.padding[1],
            slab: s.padding[0] + s.in_hw[0],
        })
    }

    /// Whether the forward pass should take this path (see MIN_FORWARD_RUN).
    pub(super) fn suits_forward(&self) -> bool {
        self.kernel[1] * self.c >= MIN_FORWARD_RUN
    }

    /// Samples per forward GEMM: enough for about GROUP_POSITIONS grid
    /// rows, but at least eight groups of a batch of `n` to share out
    /// between threads. (The result does not depend on it: each output
    /// sums the same products in the same order whatever the group.)
    pub(super) fn samples_per_gemm(&self, n: usize) -> usize {
        let wanted = GROUP_POSITIONS.div_ceil(self.slab * self.wg);
        wanted.min(n.div_ceil(8)).max(1)
    }

    /// Rows of the GEMMs for `samples` stacked samples: the output grid
    /// including the dropped columns and rows (none after the last).
    fn m(&self, samples: usize) -> usize {
        ((samples - 1) * self.slab + self.out_hw[0]) * self.wg
    }

    /// Positions of the channels-last copy of `samples` samples: every
    /// read of every grid output lands inside (the last grid row reads
    /// `kh - 1` rows and `kw - 1` positions further).
    fn positions(&self, samples: usize) -> usize {
        self.m(samples) + self.kernel[0] * self.wg + self.kernel[1]
    }

    /// Elements of the channels-last copy of `samples` samples.
    pub(super) fn copy_len(&self, samples: usize) -> usize {
        self.positions(samples) * self.c
    }

    /// Elements of the grid output (or gradient) of `samples` samples.
    pub(super) fn grid_len(&self, samples: usize) -> usize {
        self.o * self.m(samples)
    }

    /// Consecutive samples `x` (each `[C, H, W]`) into `dst`, channels
    /// last, zero padded; returns how many samples `x` holds.
    pub(super) fn copy_channels_last<F: Float>(&self, x: &[F], dst: &mut [F]) -> usize {
        let ([h, w], c) = (self.in_hw, self.c);
        let samples = x.len() / (c * h * w).max(1);
        let dst = &mut dst[..self.copy_len(samples)];
        // only the padding is zeroed: each slab's top rows with its first
        // row's left gap, each row's right gap (the next row's left one),
        // and everything below the last row
        let mut zeroed_to = 0;
        for (j, sample) in x.chunks_exact(c * h * w).enumerate() {
            let first = (j * self.slab + self.pad[0]) * self.wg + self.pad[1];
            dst[zeroed_to..first * c].fill(F::zero());
            for y in 0..h {
                let start = (first + y * self.wg) * c;
                // row y of every plane, `[C, W]` at plane stride, as `[W, C]`
                transpose_into(&sample[y * w..], h * w, c, w, &mut dst[start..][..w * c], c);
                zeroed_to = start + w * c;
                let gap_end = (start + self.wg * c).min(dst.len());
                dst[zeroed_to..gap_end].fill(F::zero());
                zeroed_to = gap_end;
            }
        }
        dst[zeroed_to..].fill(F::zero());
        samples
    }

    /// `w` (`[O, C, kh, kw]`) as `[O, kh, kw, C]`: the kernel row `ki`
    /// of output `o` is then the contiguous run the copy's runs meet.
    pub(super) fn weight_rows<F: Float>(&self, w: &[F]) -> Vec<F> {
        let ([kh, kw], c) = (self.kernel, self.c);
        let mut out = vec![F::zero(); w.len()];
        for o in 0..self.o {
            for ch in 0..c {
                for t in 0..kh * kw {
                    out[(o * kh * kw + t) * c + ch] = w[(o * c + ch) * kh * kw + t];
                }
            }
        }
        out
    }

    /// The inverse of `weight_rows`.
    pub(super) fn weight_from_rows<F: Float>(&self, rows: &[F]) -> Vec<F> {
        let ([kh, kw], c) = (self.kernel, self.c);
        let mut out = vec![F::zero(); rows.len()];
        for o in 0..self.o {
            for ch in 0..c {
                for t in 0..kh * kw {
                    out[(o * c + ch) * kh * kw + t] = rows[(o * kh * kw + t) * c + ch];
                }
            }
        }
        out
    }

    /// The outputs (each `[O, OH, OW]`, consecutive in `dst`) of the
    /// `samples` samples in the channels-last copy, from the weight rows;
    /// `grid` is scratch of at least `grid_len(samples)`.
    pub(super) fn forward_group<F: Float>(
        &self,
        copy: &[F],
        samples: usize,
        rows: &[F],
        grid: &mut [F],
        dst: &mut [F],
    ) {
        let ([kh, kw], c, m) = (self.kernel, self.c, self.m(samples));
        let run = kw * c;
        for ki in 0..kh {
            // grid (O x m, stored channels-last) (+)= rows_ki (O x kw*C) @
            // runs^T (kw*C x m). Oriented so: the GEMM reads the runs in
            // place (unit row stride), packing only the small weight rows;
            // the runs as its left operand were packed on every call.
            // Safety: run p of kernel row ki starts at position p + ki*wg of
            // the copy and ends inside it (see positions()); rows_ki is O x
            // kw*C at row stride kh*kw*C inside `rows`; the grid holds m x O.
            unsafe {
                gemm_serial(
                    self.o,
                    m,
                    run,
                    (grid.as_mut_ptr(), 1, self.o as isize),
                    ki > 0,
                    rows[ki * run..].as_ptr(),
                    (kh * run) as isize,
                    1,
                    copy[ki * self.wg * c..].as_ptr(),
                    1,
                    c as isize,
                );
            }
        }
        let ([oh, ow], o) = (self.out_hw, self.o);
        for (j, out) in dst.chunks_exact_mut(o * oh * ow).take(samples).enumerate() {
            // grid row oy of sample j, `[ow, O]` (of wg positions), into row
            // oy of every plane
            for oy in 0..oh {
                transpose_into(
                    &grid[(j * self.slab + oy) * self.wg * o..],
                    o,
                    ow,
                    o,
                    &mut out[oy * ow..],
                    oh * ow,
                );
            }
        }
    }

    /// Adds the weight gradient (as rows, `[O, kh, kw, C]`) of the
    /// `samples` samples in the channels-last copy into `acc` (overwriting
    /// it when `first`), from their output gradients `g` (each
    /// `[O, OH, OW]`, consecutive); `grid` is scratch of at least
    /// `grid_len(samples)`.
    pub(super) fn weight_grad_group<F: Float>(
        &self,
        copy: &[F],
        samples: usize,
        g: &[F],
        grid: &mut [F],
        acc: &mut [F],
        first: bool,
    ) {
        let ([kh, kw], c, m) = (self.kernel, self.c, self.m(samples));
        let [oh, ow] = self.out_hw;
        // the gradient on the grid: zero at the dropped positions
        let grid = &mut grid[..self.o * m];
        for (ch, grid_plane) in grid.chunks_exact_mut(m).enumerate() {
            for (y, grid_row) in grid_plane.chunks_exact_mut(self.wg).enumerate() {
                let (j, oy) = (y / self.slab, y % self.slab);
                if oy < oh {
                    let plane = &g[(j * self.o + ch) * oh * ow..][..oh * ow];
                    grid_row[..ow].copy_from_slice(&plane[oy * ow..][..ow]);
                    grid_row[ow..].fill(F::zero());
                } else {
                    grid_row.fill(F::zero());
                }
            }
        }
        let run = kw * c;
        for ki in 0..kh {
            // rows_ki^T (kw*C x O) (+)= runs^T (kw*C x m) @ grid^T (m x O)
            // Safety: as in forward_group, with the runs read transposed.
            unsafe {
                gemm_serial(
                    run,
                    self.o,
                    m,
                    (acc[ki * run..].as_mut_ptr(), 1, (kh * run) as isize),
                    !first,
                    copy[ki * self.wg * c..].as_ptr(),
                    1,
                    c as isize,
                    grid.as_ptr(),
                    1,
                    m as isize,
                );
            }
        }
    }
}
