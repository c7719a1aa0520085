//! One LSTM layer in one direction as one graph node (PyTorch's
//! `mkldnn_rnn_layer`, shown as `MkldnnRnnLayerBackward0`): on the CPU the
//! input projection of every time step is one GEMM, each step one GEMM
//! and one fused cell pass, and backward through time likewise
//! (`backend::cpu::lstm`). Under `create_graph` the gradients come from the
//! same layer written in differentiable ops, recomputed from the saved
//! inputs; that composition is also the layer on devices without the fused
//! kernels.

use super::held::{with_held, HeldOperands};
use super::{record, Tensor};
use crate::backend::cpu::lstm::{self, LayerInputs, LayerSaved, LstmShape};
use crate::backend::cpu::CpuStorage;
use crate::error::{dtype_err, shape_err, Result};
use crate::grad_rules::{FusedBackward, Rule, Saved};
use crate::op::UnaryOp;
use crate::shape::fmt_shape;
use crate::storage::{Device, Storage};
use std::sync::Arc;

const NAME: &str = "MkldnnRnnLayerBackward0";

/// The layer's tensors in the order of PyTorch's node inputs.
pub struct LstmWeights<'a> {
    pub w_ih: &'a Tensor,
    pub w_hh: &'a Tensor,
    pub b_ih: Option<&'a Tensor>,
    pub b_hh: Option<&'a Tensor>,
}

impl Tensor {
    /// One layer over `self` ([T, N, I]) from states `h0`, `c0` ([N, H]).
    /// Returns [T + 1, N, H]: the hidden state of every time step in time
    /// order, then the final cell state (the final hidden state is the row
    /// of the last time step processed: T - 1, or 0 in `reverse`).
    pub fn lstm_layer(
        &self,
        h0: &Tensor,
        c0: &Tensor,
        w: &LstmWeights<'_>,
        reverse: bool,
    ) -> Result<Tensor> {
        let s = lstm_shape(self, h0, c0, w, reverse)?;
        let inputs = [
            Some(self),
            Some(w.w_ih),
            Some(w.w_hh),
            w.b_ih,
            w.b_hh,
            Some(h0),
            Some(c0),
        ];
        if self.device() != Device::Cpu {
            return crate::composite::composite(NAME, &inputs, None, |a| composed(a, &s));
        }
        let bias = match (w.b_ih, w.b_hh) {
            (Some(a), Some(b)) => Some(a.detach().add(&b.detach())?),
            (Some(a), None) | (None, Some(a)) => Some(a.detach()),
            (None, None) => None,
        };
        let fwd = with_layer(self, w, bias.as_ref(), [h0, c0], &[], |ins, _| {
            lstm::layer_forward(ins, &s)
        })?;
        let (t, n, h) = (s.steps, s.batch, s.hidden);
        let out = Tensor::contiguous_from(Storage::Cpu(fwd.packed), vec![t + 1, n, h]);
        // what a missing bias is in the node's inputs: a tensor needing no grad
        let absent = Tensor::zeros(&[0], self.dtype());
        let given: Vec<&Tensor> = inputs.iter().map(|t| t.unwrap_or(&absent)).collect();
        record(&out, NAME, &given, || {
            Rule::Fused(Arc::new(LstmBackward {
                shape: s,
                inputs: inputs.map(|t| t.map(Saved::input)),
                packed: Saved::output(&out),
                gates: Tensor::contiguous_from(Storage::Cpu(fwd.gates), vec![t, n, 4 * h]),
                cells: Tensor::contiguous_from(Storage::Cpu(fwd.cells), vec![t, n, h]),
            }))
        });
        Ok(out)
    }
}

fn lstm_shape(
    x: &Tensor,
    h0: &Tensor,
    c0: &Tensor,
    w: &LstmWeights<'_>,
    reverse: bool,
) -> Result<LstmShape> {
    let (sx, sw) = (x.shape(), w.w_hh.shape());
    if sx.len() != 3 || sw.len() != 2 || sx[0] == 0 {
        return shape_err(
            "lstm",
            format!(
                "lstm: expected a non-empty [T, N, I] input and a 2-D weight_hh, got {} and {}",
                fmt_shape(&sx),
                fmt_shape(&sw)
            ),
        );
    }
    let (t, n, i, h) = (sx[0], sx[1], sx[2], sw[1]);
    let expect = |name: &str, got: &Tensor, want: &[usize]| -> Result<()> {
        if got.shape().as_slice() != want {
            return shape_err(
                "lstm",
                format!(
                    "lstm: {name} has shape {}, expected {}",
                    fmt_shape(&got.shape()),
                    fmt_shape(want)
                ),
            );
        }
        if got.dtype() != x.dtype() || got.device() != x.device() {
            return dtype_err(
                "lstm",
                format!(
                    "lstm: {name} is {} on {}, but the input is {} on {}",
                    got.dtype(),
                    got.device().name(),
                    x.dtype(),
                    x.device().name()
                ),
            );
        }
        Ok(())
    };
    if !x.dtype().is_float() {
        return dtype_err(
            "lstm",
            format!("lstm: expected a float input, got {}", x.dtype()),
        );
    }
    expect("weight_ih", w.w_ih, &[4 * h, i])?;
    expect("weight_hh", w.w_hh, &[4 * h, h])?;
    for b in [w.b_ih, w.b_hh].into_iter().flatten() {
        expect("bias", b, &[4 * h])?;
    }
    expect("hx", h0, &[n, h])?;
    expect("cx", c0, &[n, h])?;
    crate::storage::guard_alloc("lstm", (t + 1) * n * 4 * h, x.dtype())?;
    Ok(LstmShape {
        steps: t,
        batch: n,
        input: i,
        hidden: h,
        reverse,
    })
}

/// Runs `f` over the layer's inputs held for reading (contiguous CPU
/// data), and `saved` after them (operands 6 on) for the backward.
fn with_layer<R>(
    x: &Tensor,
    w: &LstmWeights<'_>,
    bias: Option<&Tensor>,
    states: [&Tensor; 2],
    saved: &[&Tensor],
    f: impl FnOnce(&LayerInputs<'_>, &HeldOperands<'_>) -> Result<R>,
) -> Result<R> {
    let mut tensors = vec![
        Some(x),
        Some(w.w_ih),
        Some(w.w_hh),
        bias,
        Some(states[0]),
        Some(states[1]),
    ];
    tensors.extend(saved.iter().map(|t| Some(*t)));
    with_held("lstm", &tensors, |h| {
        let ins = LayerInputs {
            x: h.operand(0)?,
            w_ih: h.operand(1)?,
            w_hh: h.operand(2)?,
            bias: h.optional_operand(3),
            h0: h.operand(4)?,
            c0: h.operand(5)?,
        };
        f(&ins, h)
    })
}

/// What the layer's node keeps for backward.
struct LstmBackward {
    shape: LstmShape,
    /// x, w_ih, w_hh, b_ih, b_hh, h0, c0 (the node's inputs, in order).
    inputs: [Option<Saved>; 7],
    /// The layer's result (PyTorch saves its outputs too: an in-place
    /// write to one fails the backward's version check).
    packed: Saved,
    gates: Tensor,
    cells: Tensor,
}

impl FusedBackward for LstmBackward {
    fn name(&self) -> &'static str {
        NAME
    }

    fn saved_inputs(&self) -> Vec<Option<&Saved>> {
        self.inputs.iter().map(Option::as_ref).collect()
    }

    fn composed(&self, inputs: &[Option<Tensor>]) -> Result<Tensor> {
        composed(inputs, &self.shape)
    }

    fn native(
        &self,
        ins: &[Option<Tensor>],
        g: &Tensor,
        needs: &[bool],
        unpack: &dyn Fn(&Saved) -> Result<Tensor>,
    ) -> Result<Vec<Option<Tensor>>> {
        let need = |i: usize| needs.get(i).copied().unwrap_or(false);
        let packed = unpack(&self.packed)?;
        let [Some(x), Some(w_ih), Some(w_hh), b_ih, b_hh, Some(h0), Some(c0)] = ins else {
            return Err(crate::error::Error::Autograd(
                "internal: lstm node without its inputs".into(),
            ));
        };
        let w = LstmWeights {
            w_ih,
            w_hh,
            b_ih: b_ih.as_ref(),
            b_hh: b_hh.as_ref(),
        };
        let need_bias = need(3) || need(4);
        let saved = [&packed, &self.gates, &self.cells, g];
        let grads = with_layer(x, &w, None, [h0, c0], &saved, |ins, h| {
            let saved = LayerSaved {
                packed: h.operand(6)?,
                gates: h.operand(7)?,
                cells: h.operand(8)?,
                grad: h.operand(9)?,
            };
            lstm::layer_backward(
                ins,
                &saved,
                &self.shape,
                [need(0), need(1), need(2), need_bias],
            )
        })?;
        let s = &self.shape;
        let wrap = |st: Option<CpuStorage>, shape: Vec<usize>| {
            st.map(|st| Tensor::contiguous_from(Storage::Cpu(st), shape))
        };
        let g4 = 4 * s.hidden;
        let bias = wrap(grads.bias, vec![g4]);
        Ok(vec![
            wrap(grads.x, vec![s.steps, s.batch, s.input]),
            wrap(grads.w_ih, vec![g4, s.input]),
            wrap(grads.w_hh, vec![g4, s.hidden]),
            bias.clone().filter(|_| need(3)),
            bias.filter(|_| need(4)),
            need(5)
                .then(|| wrap(Some(grads.h0), vec![s.batch, s.hidden]))
                .flatten(),
            need(6)
                .then(|| wrap(Some(grads.c0), vec![s.batch, s.hidden]))
                .flatten(),
        ])
    }
}

/// The layer in differentiable ops over (x, w_ih, w_hh, b_ih, b_hh, h0, c0):
/// the same result as the fused kernels, with a graph.
fn composed(a: &[Option<Tensor>], s: &LstmShape) -> Result<Tensor> {
    let get = |i: usize| {
        a[i].clone().ok_or_else(|| {
            crate::error::Error::Autograd("internal: lstm composition without an input".into())
        })
    };
    let (x, w_ih, w_hh, h0, c0) = (get(0)?, get(1)?, get(2)?, get(5)?, get(6)?);
    let (t, n, h) = (s.steps, s.batch, s.hidden);
    let mut gx = x.reshape_to(&[t * n, s.input])?.linear(&w_ih, None)?;
    for b in [&a[3], &a[4]].into_iter().flatten() {
        gx = gx.add(b)?;
    }
    let gx = gx.reshape_to(&[t, n, 4 * h])?;
    let mut hs: Vec<Option<Tensor>> = vec![None; t];
    let (mut hp, mut cp) = (h0, c0);
    for step in 0..t {
        let tt = s.time(step);
        let gates = gx.select(0, tt as i64)?.add(&hp.linear(&w_hh, None)?)?;
        let gate = |k: i64, op: UnaryOp| gates.narrow(1, k * h as i64, h as i64)?.unary(op);
        let (i, f) = (gate(0, UnaryOp::Sigmoid)?, gate(1, UnaryOp::Sigmoid)?);
        let (gg, o) = (gate(2, UnaryOp::Tanh)?, gate(3, UnaryOp::Sigmoid)?);
        cp = f.mul(&cp)?.add(&i.mul(&gg)?)?;
        hp = o.mul(&cp.unary(UnaryOp::Tanh)?)?;
        hs[tt] = Some(hp.clone());
    }
    let mut rows: Vec<Tensor> = hs.into_iter().flatten().collect();
    rows.push(cp);
    Tensor::stack(&rows, 0)
}
