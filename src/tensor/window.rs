//! Sliding-window ops over `[N, C, H, W]`: `im2col` (`F.unfold`) and its
//! adjoint `col2im` (`F.fold`), whose rules are each other (so gradients of
//! any order exist; `avg_pool2d` and the recorded conv2d gradients are built
//! on them), and max-pooling with its argmax indices.

use super::{record, Tensor};
use crate::backend::cpu::window::Sweep2d;
use crate::error::{shape_err, Result};
use crate::grad_rules::Rule;
use crate::saved::Saved;
use crate::shape::fmt_shape;

/// Kernel, stride, padding and dilation of a window, (height, width) each.
#[derive(Clone, Copy, Debug)]
pub struct Window2d {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Window2d {
    /// The sweep over an `in_hw` input; `ceil_mode` as in pooling (a last,
    /// partial window is kept if it starts inside the input or left padding).
    pub fn sweep(&self, op: &'static str, in_hw: [usize; 2], ceil_mode: bool) -> Result<Sweep2d> {
        let mut out_hw = [0usize; 2];
        for a in 0..2 {
            let (k, s, p, d) = (
                self.kernel[a],
                self.stride[a],
                self.padding[a],
                self.dilation[a],
            );
            if k == 0 || s == 0 || d == 0 {
                return shape_err(op, format!("{op}: kernel size, stride and dilation should be greater than zero, but got kernel_size={:?} stride={:?} dilation={:?}", self.kernel, self.stride, self.dilation));
            }
            let span = d * (k - 1) + 1;
            let padded = in_hw[a] + 2 * p;
            if padded < span && op == "conv2d" {
                // PyTorch's convolution words (the kernel as dilated)
                let dilated = |a: usize| self.dilation[a] * (self.kernel[a] - 1) + 1;
                return shape_err(op, format!(
                    "Calculated padded input size per channel: ({} x {}). Kernel size: ({} x {}). Kernel size can't be greater than actual input size",
                    in_hw[0] + 2 * self.padding[0], in_hw[1] + 2 * self.padding[1], dilated(0), dilated(1)
                ));
            }
            if padded < span {
                return shape_err(op, format!(
                    "{op}: given input with spatial size ({}, {}), kernel_size=({}, {}), dilation=({}, {}), padding=({}, {}), calculated shape of the array of sliding blocks is non-positive",
                    in_hw[0], in_hw[1], self.kernel[0], self.kernel[1], self.dilation[0], self.dilation[1], self.padding[0], self.padding[1]
                ));
            }
            let mut n = if ceil_mode {
                (padded - span).div_ceil(s) + 1
            } else {
                (padded - span) / s + 1
            };
            if ceil_mode && (n - 1) * s >= in_hw[a] + p {
                n -= 1;
            }
            out_hw[a] = n;
        }
        Ok(Sweep2d {
            in_hw,
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            out_hw,
        })
    }
}

pub(super) fn dims4(op: &'static str, t: &Tensor) -> Result<[usize; 4]> {
    let s = t.shape();
    if s.len() != 4 {
        return shape_err(
            op,
            format!(
                "{op}: expected a 4-D input [N, C, H, W], got shape {}",
                fmt_shape(&s)
            ),
        );
    }
    Ok([s[0], s[1], s[2], s[3]])
}

impl Tensor {
    /// `[N, C, H, W] -> [N, C*kh*kw, L]` (PyTorch's `F.unfold` layout).
    pub fn unfold2d(&self, win: &Window2d) -> Result<Tensor> {
        let [_, _, h, w] = dims4("im2col", self)?;
        let sweep = win.sweep("im2col", [h, w], false)?;
        self.im2col(&sweep)
    }

    pub(crate) fn im2col(&self, sweep: &Sweep2d) -> Result<Tensor> {
        let [n, c, _, _] = dims4("im2col", self)?;
        crate::storage::guard_alloc(
            "im2col",
            n * c * sweep.taps() * sweep.positions(),
            self.dtype(),
        )?;
        let x = self.contiguous_data()?;
        let storage = {
            let v = x.view_guard();
            let s = v.storage.data.read_recursive();
            s.im2col(v.layout.offset, n * c, sweep)?
        };
        let out = Tensor::contiguous_from(storage, vec![n, c * sweep.taps(), sweep.positions()]);
        record(&out, "Im2ColBackward0", &[self], || Rule::Im2Col(*sweep));
        Ok(out)
    }

    /// `[N, C*kh*kw, L] -> [N, C, H, W]` summing overlapping taps (`F.fold`).
    pub fn fold2d(&self, out_hw: [usize; 2], win: &Window2d) -> Result<Tensor> {
        let s = self.shape();
        let sweep = win.sweep("col2im", out_hw, false)?;
        let taps = sweep.taps();
        if s.len() != 3 || !s[1].is_multiple_of(taps) || s[2] != sweep.positions() {
            return shape_err(
                "col2im",
                format!(
                "Expected a 3-D input [N, C*{}*{}, {}] for output size ({}, {}), but got shape {}",
                win.kernel[0], win.kernel[1], sweep.positions(), out_hw[0], out_hw[1], fmt_shape(&s)
            ),
            );
        }
        self.col2im(&sweep)
    }

    pub(crate) fn col2im(&self, sweep: &Sweep2d) -> Result<Tensor> {
        let s = self.shape();
        let (n, c) = (s[0], s[1] / sweep.taps());
        let x = self.contiguous_data()?;
        let storage = {
            let v = x.view_guard();
            let st = v.storage.data.read_recursive();
            st.col2im(v.layout.offset, n * c, sweep)?
        };
        let out = Tensor::contiguous_from(storage, vec![n, c, sweep.in_hw[0], sweep.in_hw[1]]);
        record(&out, "Col2ImBackward0", &[self], || Rule::Col2Im(*sweep));
        Ok(out)
    }

    /// Max-pooling: the window maxima and (int64) the index of each
    /// maximum within its H*W plane (PyTorch's `return_indices`).
    pub fn max_pool2d(&self, win: &Window2d, ceil_mode: bool) -> Result<(Tensor, Tensor)> {
        let [n, c, h, w] = dims4("max_pool2d", self)?;
        check_pool_padding("max_pool2d", win)?;
        check_pool_output("max_pool2d", win, [c, h, w], ceil_mode)?;
        let sweep = win.sweep("max_pool2d", [h, w], ceil_mode)?;
        let x = self.contiguous_data()?;
        let (values, indices) = {
            let v = x.view_guard();
            let s = v.storage.data.read_recursive();
            s.max_pool(v.layout.offset, n * c, &sweep)?
        };
        let shape = vec![n, c, sweep.out_hw[0], sweep.out_hw[1]];
        let out = Tensor::contiguous_from(values, shape.clone());
        let idx = Tensor::contiguous_from(indices, shape);
        record(&out, "MaxPool2DWithIndicesBackward0", &[self], || {
            Rule::MaxPool2d {
                input: Saved::input(self),
                indices: idx.clone(),
                in_shape: self.shape(),
                sweep,
            }
        });
        Ok((out, idx))
    }

    /// Gradient of max-pooling: `g` added at `indices` of a zero input.
    pub(crate) fn max_pool2d_backward(
        g: &Tensor,
        indices: &Tensor,
        in_shape: &[usize],
        sweep: &Sweep2d,
    ) -> Result<Tensor> {
        let (n, c) = (in_shape[0], in_shape[1]);
        let hw = in_shape[2] * in_shape[3];
        let is = indices.shape();
        let l = is[2] * is[3];
        if crate::grad_mode::is_grad_enabled() {
            // recording (create_graph): the same scatter in differentiable ops
            let z = Tensor::zeros(&[n, c, hw], g.dtype());
            return z
                .scatter(
                    2,
                    &indices.reshape_to(&[n, c, l])?,
                    &g.reshape_to(&[n, c, l])?,
                    true,
                )?
                .reshape_to(in_shape);
        }
        let (gc, ic) = (g.contiguous_data()?, indices.contiguous_data()?);
        let storage = {
            let (v, vi) = (gc.view_guard(), ic.view_guard());
            let (s, si) = (
                v.storage.data.read_recursive(),
                vi.storage.data.read_recursive(),
            );
            s.max_pool_backward(v.layout.offset, (&si, vi.layout.offset), n * c, sweep)?
        };
        Ok(Tensor::contiguous_from(storage, in_shape.to_vec()))
    }
}

/// PyTorch's limit on pooling padding, in its words.
pub(super) fn check_pool_padding(op: &'static str, win: &Window2d) -> Result<()> {
    for a in 0..2 {
        if win.padding[a] * 2 > win.kernel[a] {
            return shape_err(op, format!("pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}", win.padding[a], win.kernel[a], win.dilation[a]));
        }
    }
    Ok(())
}

/// PyTorch's pooling checks, in its words: a zero stride, and an output
/// plane (PyTorch's pooling_output_shape, floor or ceil) that is empty.
pub(super) fn check_pool_output(
    op: &'static str,
    win: &Window2d,
    [c, h, w]: [usize; 3],
    ceil_mode: bool,
) -> Result<()> {
    if win.stride.contains(&0) {
        return shape_err(op, "stride should not be zero");
    }
    let out = |a: usize, size: usize| -> i64 {
        let (k, s, p, d) = (
            win.kernel[a] as i64,
            win.stride[a] as i64,
            win.padding[a] as i64,
            win.dilation[a] as i64,
        );
        let num = size as i64 + 2 * p - d * (k - 1) - 1 + if ceil_mode { s - 1 } else { 0 };
        let mut o = num.div_euclid(s) + 1;
        if ceil_mode && (o - 1) * s >= size as i64 + p {
            o -= 1;
        }
        o
    };
    let (oh, ow) = (out(0, h), out(1, w));
    if oh < 1 || ow < 1 {
        return shape_err(op, format!("Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{oh}x{ow}). Output size is too small"));
    }
    Ok(())
}
