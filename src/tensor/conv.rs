//! `conv2d`: validated here, computed by the per-sample kernels in
//! `backend::cpu::conv`. Its rule uses the fused gradient kernels when the
//! backward is not recorded, and the same gradients written in
//! differentiable ops (unfold / matmul / fold) under `create_graph`.

use super::{record, Tensor, Window2d};
use crate::backend::cpu::conv::ConvShape;
use crate::error::{dtype_err, not_implemented_err, shape_err, Result};
use crate::grad_mode::is_grad_enabled;
use crate::grad_rules::{Rule, Saved};
use crate::shape::fmt_shape;
use crate::storage::Storage;

/// What the rule needs besides the saved input and weight.
#[derive(Clone, Copy, Debug)]
pub struct ConvCtx {
    pub shape: ConvShape,
    pub win: Window2d,
    pub has_bias: bool,
}

impl Tensor {
    /// `[N, C, H, W] * [O, C/groups, kh, kw] (+ bias[O]) -> [N, O, OH, OW]`.
    pub fn conv2d(
        &self,
        w: &Tensor,
        b: Option<&Tensor>,
        win: &Window2d,
        groups: usize,
    ) -> Result<Tensor> {
        let (sx, sw) = (self.shape(), w.shape());
        if sx.len() != 4 || sw.len() != 4 {
            return shape_err(
                "conv2d",
                format!(
                    "conv2d: expected a 4-D input and a 4-D weight, got {} and {}",
                    fmt_shape(&sx),
                    fmt_shape(&sw)
                ),
            );
        }
        if !self.dtype().is_float() {
            return not_implemented_err(format!(
                "\"conv2d\" not implemented for '{}'",
                self.dtype().legacy_name()
            ));
        }
        if self.dtype() != w.dtype() || b.is_some_and(|b| b.dtype() != self.dtype()) {
            return dtype_err(
                "conv2d",
                format!(
                    "Input type ({}) and weight type ({}) should be the same",
                    self.dtype(),
                    w.dtype()
                ),
            );
        }
        let (n, c, o) = (sx[0], sx[1], sw[0]);
        if groups == 0 || o % groups != 0 || c != sw[1] * groups {
            return shape_err("conv2d", format!(
                "Given groups={groups}, weight of size {}, expected input{} to have {} channels, but got {c} channels instead",
                fmt_shape(&sw), fmt_shape(&sx), sw[1] * groups
            ));
        }
        if b.is_some_and(|b| b.shape().as_slice() != [o]) {
            return shape_err("conv2d", format!("conv2d: bias must have shape [{o}]"));
        }
        let win = Window2d {
            kernel: [sw[2], sw[3]],
            ..*win
        };
        let sweep = win.sweep("conv2d", [sx[2], sx[3]], false)?;
        let cs = ConvShape {
            n,
            c,
            o,
            groups,
            sweep,
        };
        crate::storage::guard_alloc("conv2d", n * o * sweep.positions(), self.dtype())?;
        if self.device() != crate::storage::Device::Cpu {
            return self.conv2d_composite(w, b, &cs);
        }
        let (xc, wc) = (self.contiguous_data()?, w.contiguous_data()?);
        let bc = b.map(|b| b.contiguous_data()).transpose()?;
        let storage = {
            let (vx, vw) = (xc.view_guard(), wc.view_guard());
            let (dx, dw) = (
                vx.storage.data.read_recursive(),
                vw.storage.data.read_recursive(),
            );
            match &bc {
                Some(bt) => {
                    let vb = bt.view_guard();
                    let db = vb.storage.data.read_recursive();
                    Storage::conv2d(
                        (&dx, vx.layout.offset),
                        (&dw, vw.layout.offset),
                        Some((&db, vb.layout.offset)),
                        &cs,
                    )?
                }
                None => {
                    Storage::conv2d((&dx, vx.layout.offset), (&dw, vw.layout.offset), None, &cs)?
                }
            }
        };
        let out = Tensor::contiguous_from(storage, vec![n, o, sweep.out_hw[0], sweep.out_hw[1]]);
        let ctx = ConvCtx {
            shape: cs,
            win,
            has_bias: b.is_some(),
        };
        match b {
            Some(b) => record(&out, "ConvolutionBackward0", &[self, w, b], || {
                Rule::Conv2d(Saved::input(self), Saved::input(w), ctx)
            }),
            None => record(&out, "ConvolutionBackward0", &[self, w], || {
                Rule::Conv2d(Saved::input(self), Saved::input(w), ctx)
            }),
        }
        Ok(out)
    }

    /// conv2d as unfold -> (grouped) matmul -> bias, each a differentiable
    /// op: the GPU's path (the fused per-sample kernel is the CPU's).
    fn conv2d_composite(&self, w: &Tensor, b: Option<&Tensor>, cs: &ConvShape) -> Result<Tensor> {
        let (n, o, g) = (cs.n, cs.o, cs.groups);
        let [oh, ow] = cs.sweep.out_hw;
        let k = cs.c / g * cs.sweep.taps();
        let cols = self.im2col(&cs.sweep)?.reshape_to(&[n, g, k, oh * ow])?;
        let out = w
            .reshape_to(&[1, g, o / g, k])?
            .matmul(&cols)?
            .reshape_to(&[n, o, oh, ow])?;
        let out = match b {
            Some(b) => out.add(&b.reshape_to(&[1, o, 1, 1])?)?,
            None => out,
        };
        crate::graph::rename(&out, "ConvolutionBackward0");
        Ok(out)
    }

    /// Gradients of `conv2d` for an incoming gradient `g`: (input, weight, bias).
    pub(crate) fn conv2d_backward(
        x: &Tensor,
        w: &Tensor,
        g: &Tensor,
        ctx: &ConvCtx,
        need: [bool; 3],
    ) -> Result<[Option<Tensor>; 3]> {
        let cs = &ctx.shape;
        let gb = if need[2] && ctx.has_bias {
            Some(g.reduce(crate::op::ReduceOp::Sum, Some(&[0, 2, 3]), false)?)
        } else {
            None
        };
        if is_grad_enabled() {
            return Self::conv2d_backward_recorded(x, w, g, ctx, need, gb);
        }
        let gc = g.contiguous_data()?;
        let vg = gc.view_guard();
        let dg = vg.storage.data.read_recursive();
        let gx = if need[0] {
            let wc = w.contiguous_data()?;
            let vw = wc.view_guard();
            let dw = vw.storage.data.read_recursive();
            let s =
                Storage::conv2d_input_grad((&dg, vg.layout.offset), (&dw, vw.layout.offset), cs)?;
            Some(Tensor::contiguous_from(
                s,
                vec![cs.n, cs.c, cs.sweep.in_hw[0], cs.sweep.in_hw[1]],
            ))
        } else {
            None
        };
        let gw = if need[1] {
            let xc = x.contiguous_data()?;
            let vx = xc.view_guard();
            let dx = vx.storage.data.read_recursive();
            let s =
                Storage::conv2d_weight_grad((&dg, vg.layout.offset), (&dx, vx.layout.offset), cs)?;
            Some(Tensor::contiguous_from(s, w.shape()))
        } else {
            None
        };
        Ok([gx, gw, gb])
    }

    /// The same gradients in differentiable ops, for `create_graph`.
    fn conv2d_backward_recorded(
        x: &Tensor,
        w: &Tensor,
        g: &Tensor,
        ctx: &ConvCtx,
        need: [bool; 3],
        gb: Option<Tensor>,
    ) -> Result<[Option<Tensor>; 3]> {
        let cs = &ctx.shape;
        let (groups, og, cg) = (cs.groups, cs.o / cs.groups, cs.c / cs.groups);
        let (taps, l) = (cs.sweep.taps(), cs.sweep.positions());
        let g4 = g.reshape_to(&[cs.n, groups, og, l])?;
        let w3 = w.reshape_to(&[groups, og, cg * taps])?;
        let gx = if need[0] {
            let cols = w3.mt()?.matmul(&g4)?.reshape_to(&[cs.n, cs.c * taps, l])?;
            Some(cols.col2im(&cs.sweep)?)
        } else {
            None
        };
        let gw = if need[1] {
            let cols = x
                .im2col(&cs.sweep)?
                .reshape_to(&[cs.n, groups, cg * taps, l])?;
            Some(
                g4.matmul(&cols.mt()?)?
                    .reduce(crate::op::ReduceOp::Sum, Some(&[0]), false)?
                    .reshape_to(&w.shape())?,
            )
        } else {
            None
        };
        Ok([gx, gw, gb])
    }
}
