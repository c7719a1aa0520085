//! One LSTM layer in one direction as one graph node (PyTorch's
//! `mkldnn_rnn_layer`, shown as `MkldnnRnnLayerBackward0`): on the CPU the
//! input projection of every time step is one GEMM, each step one GEMM
//! and one fused cell pass, and backward through time likewise
//! (`backend::cpu::lstm`). Under `create_graph` the gradients come from the
//! same layer written in differentiable ops, recomputed from the saved
//! inputs; that composition is also the layer on devices without the fused
//! kernels.

use super::{record, Tensor};
use crate::autograd::is_grad_enabled;
use crate::backend::cpu::lstm::{self, LayerInputs, LayerSaved, LstmShape};
use crate::backend::cpu::operand::held as cpu;
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
        let operands = Operands::new(self, w, bias.as_ref(), h0, c0)?;
        let fwd = operands.with(|ins| lstm::layer_forward(ins, &s))?;
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

/// The layer's operands as contiguous tensors, for the CPU kernels.
struct Operands {
    x: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    bias: Option<Tensor>,
    h0: Tensor,
    c0: Tensor,
}

impl Operands {
    fn new(
        x: &Tensor,
        w: &LstmWeights<'_>,
        bias: Option<&Tensor>,
        h0: &Tensor,
        c0: &Tensor,
    ) -> Result<Operands> {
        Ok(Operands {
            x: x.contiguous_data()?,
            w_ih: w.w_ih.contiguous_data()?,
            w_hh: w.w_hh.contiguous_data()?,
            bias: bias.map(|b| b.contiguous_data()).transpose()?,
            h0: h0.contiguous_data()?,
            c0: c0.contiguous_data()?,
        })
    }

    /// Runs `f` with the operands' storages held for reading.
    fn with<R>(&self, f: impl FnOnce(&LayerInputs<'_>) -> Result<R>) -> Result<R> {
        let views = [&self.x, &self.w_ih, &self.w_hh, &self.h0, &self.c0].map(|t| t.view_guard());
        let data = views
            .each_ref()
            .map(|v| (v.storage.data.read_recursive(), v.layout.offset));
        let bias_view = self.bias.as_ref().map(|b| b.view_guard());
        let bias_data = bias_view
            .as_ref()
            .map(|v| (v.storage.data.read_recursive(), v.layout.offset));
        let ins = LayerInputs {
            x: cpu(&data[0])?,
            w_ih: cpu(&data[1])?,
            w_hh: cpu(&data[2])?,
            bias: bias_data.as_ref().map(cpu).transpose()?,
            h0: cpu(&data[3])?,
            c0: cpu(&data[4])?,
        };
        f(&ins)
    }
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
    fn backward(
        &self,
        g: &Tensor,
        needs: &[bool],
        unpack: &dyn Fn(&Saved) -> Result<Tensor>,
    ) -> Result<Vec<Option<Tensor>>> {
        let ins = crate::grad_rules::unpack_all(&self.inputs, unpack)?;
        let need = |i: usize| needs.get(i).copied().unwrap_or(false);
        if is_grad_enabled() {
            // create_graph: differentiable gradients, through the layer
            // recomputed in recorded ops from the same inputs
            let refs: Vec<Option<&Tensor>> = ins.iter().map(|t| t.as_ref()).collect();
            return crate::composite::gradients_by_recomputation(NAME, &refs, g, needs, |a| {
                composed(a, &self.shape)
            });
        }
        let packed = unpack(&self.packed)?;
        let [Some(x), Some(w_ih), Some(w_hh), b_ih, b_hh, Some(h0), Some(c0)] = ins.as_slice()
        else {
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
        let operands = Operands::new(x, &w, None, h0, c0)?;
        let [gc, pc] = [g, &packed].map(|t| t.contiguous_data());
        let (gc, pc) = (gc?, pc?);
        let need_bias = need(3) || need(4);
        let grads = operands.with(|ins| {
            let held = [&pc, &self.gates, &self.cells, &gc].map(|t| t.view_guard());
            let data = held
                .each_ref()
                .map(|v| (v.storage.data.read_recursive(), v.layout.offset));
            let saved = LayerSaved {
                packed: cpu(&data[0])?,
                gates: cpu(&data[1])?,
                cells: cpu(&data[2])?,
                grad: cpu(&data[3])?,
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
