//! Stride-1 convolution without im2col: one GEMM per kernel row over a
//! channels-last copy of the (zero padded) sample.
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

use super::conv::ConvShape;
use super::matmul::gemm_serial;
use super::transpose::transpose_into;
use crate::dtype::Float;

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
}

impl Shifted {
    /// The geometry, or None when the convolution needs im2col (strides,
    /// dilation, groups, padding wider than the kernel) or no copy at all
    /// (1x1 kernels).
    pub(super) fn new(cs: &ConvShape) -> Option<Self> {
        let s = &cs.sweep;
        let plain = cs.groups == 1 && s.stride == [1, 1] && s.dilation == [1, 1];
        let one_by_one = s.kernel == [1, 1] && s.padding == [0, 0];
        if !plain || one_by_one || s.padding[1] >= s.kernel[1] || cs.c == 0 {
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
        })
    }

    /// Rows of the GEMMs: the output grid including the dropped columns.
    fn m(&self) -> usize {
        self.out_hw[0] * self.wg
    }

    /// Positions of the channels-last copy: every read of every grid
    /// output lands inside (the last grid row reads `kh - 1` rows and
    /// `kw - 1` positions further).
    fn positions(&self) -> usize {
        (self.out_hw[0] + self.kernel[0]) * self.wg + self.kernel[1]
    }

    /// Elements of the channels-last copy of one sample.
    pub(super) fn copy_len(&self) -> usize {
        self.positions() * self.c
    }

    /// Elements of the grid output (or gradient) of one sample.
    pub(super) fn grid_len(&self) -> usize {
        self.o * self.m()
    }

    /// Sample `x` (`[C, H, W]`) into `dst`, channels last, zero padded.
    pub(super) fn copy_channels_last<F: Float>(&self, x: &[F], dst: &mut [F]) {
        let ([h, w], c) = (self.in_hw, self.c);
        // only the padding is zeroed: the top rows with the first row's
        // left gap, each row's right gap (the next row's left one), and
        // everything below the last row
        let first = self.pad[0] * self.wg + self.pad[1];
        dst[..first * c].fill(F::zero());
        dst[(first + h * self.wg) * c..].fill(F::zero());
        for y in 0..h {
            let start = (first + y * self.wg) * c;
            dst[start + w * c..start + self.wg * c].fill(F::zero());
            // row y of every plane, `[C, W]` at plane stride, as `[W, C]`
            transpose_into(&x[y * w..], h * w, c, w, &mut dst[start..][..w * c], c);
        }
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

    /// One sample's output `[O, OH, OW]` into `dst`, from its channels-last
    /// copy and the weight rows; `grid` is scratch of `grid_len()`.
    pub(super) fn forward_sample<F: Float>(
        &self,
        copy: &[F],
        rows: &[F],
        grid: &mut [F],
        dst: &mut [F],
    ) {
        let ([kh, kw], c, m) = (self.kernel, self.c, self.m());
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
        // grid row oy, `[ow, O]` (of wg positions), into row oy of every plane
        for oy in 0..oh {
            transpose_into(
                &grid[oy * self.wg * o..],
                o,
                ow,
                o,
                &mut dst[oy * ow..],
                oh * ow,
            );
        }
    }

    /// Adds one sample's weight gradient (as rows, `[O, kh, kw, C]`) into
    /// `acc` (overwriting it when `first`), from its channels-last copy and
    /// its output gradient `g` (`[O, OH, OW]`); `grid` is scratch of
    /// `grid_len()`.
    pub(super) fn weight_grad_sample<F: Float>(
        &self,
        copy: &[F],
        g: &[F],
        grid: &mut [F],
        acc: &mut [F],
        first: bool,
    ) {
        let ([kh, kw], c, m) = (self.kernel, self.c, self.m());
        let [oh, ow] = self.out_hw;
        // the gradient on the grid: zero at the dropped positions
        for (grid_plane, plane) in grid.chunks_exact_mut(m).zip(g.chunks_exact(oh * ow)) {
            for (grid_row, row) in grid_plane
                .chunks_exact_mut(self.wg)
                .zip(plane.chunks_exact(ow))
            {
                grid_row[..ow].copy_from_slice(row);
                grid_row[ow..].fill(F::zero());
            }
        }
        let run = kw * c;
        for ki in 0..kh {
            // rows_ki^T (kw*C x O) (+)= runs^T (kw*C x m) @ grid^T (m x O)
            // Safety: as in forward_sample, with the runs read transposed.
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
