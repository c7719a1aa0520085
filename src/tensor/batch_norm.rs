//! batch_norm as one graph node (PyTorch's `native_batch_norm`, shown as
//! `NativeBatchNormBackward0` over input, weight and bias) running the
//! fused CPU kernels (`backend::cpu::batch_norm`), with the batch's
//! statistics (training) or the running ones (evaluation). Under
//! `create_graph` the gradients come from the normalisation written in
//! differentiable ops, recomputed from the saved inputs. Other devices and
//! dtypes have no fused kernel: the caller composes the op there.

use super::held::{with_held, HeldOperands};
use super::{record, Tensor};
use crate::backend::cpu::batch_norm::{self, ChannelShape};
use crate::backend::cpu::norm::Affine;
use crate::backend::cpu::operand::FloatSlice;
use crate::backend::cpu::{CpuStorage, IntoStorage};
use crate::error::{Error, Result};
use crate::grad_rules::{FusedBackward, Rule, Saved};
use crate::op::{ReduceOp, UnaryOp};
use crate::storage::{Device, Storage};
use std::sync::Arc;

const NAME: &str = "NativeBatchNormBackward0";

/// The normalised result and, in training, the batch's mean and biased
/// variance per channel (for the running statistics).
pub type BatchNormResult = (Tensor, Option<(Tensor, Tensor)>);

impl Tensor {
    /// Batch norm over dim 1 of `self` ([N, C, ...]): with the batch's
    /// statistics when `running` is None, else with those (mean, var).
    /// None where the fused kernel does not apply (not a CPU float input,
    /// or a weight, bias or statistic of another dtype, device or size).
    pub fn batch_norm_fused(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        running: Option<(&Tensor, &Tensor)>,
        eps: f64,
    ) -> Result<Option<BatchNormResult>> {
        let shape = self.shape();
        if shape.len() < 2 || self.device() != Device::Cpu || !self.dtype().is_float() {
            return Ok(None);
        }
        let c = shape[1];
        let fits = |t: &Tensor| {
            t.device() == Device::Cpu && t.dtype() == self.dtype() && t.shape().as_slice() == [c]
        };
        let stats_fit = running.is_none_or(|(m, v)| fits(m) && fits(v));
        if !weight.is_none_or(fits) || !bias.is_none_or(fits) || !stats_fit {
            return Ok(None);
        }
        let sh = ChannelShape {
            n: shape[0],
            c,
            s: shape[2..].iter().product(),
        };
        crate::storage::guard_alloc("batch_norm", self.numel(), self.dtype())?;
        let training = running.is_none();
        // the statistics: the batch's (f64 sums) or the running ones
        let (mean, var) = match running {
            Some((m, v)) => (m.detach().contiguous_data()?, v.detach().contiguous_data()?),
            None => {
                let n = self.numel();
                let (m, v) = with_held("batch_norm", &[Some(self)], |h| {
                    Ok(if h.is_f64()? {
                        batch_norm::stats(h.slice::<f64>(0, n)?, &sh)
                    } else {
                        batch_norm::stats(h.slice::<f32>(0, n)?, &sh)
                    })
                })?;
                (
                    Tensor::from_vec_f64(m, vec![c]).to_dtype(self.dtype())?,
                    Tensor::from_vec_f64(v, vec![c]).to_dtype(self.dtype())?,
                )
            }
        };
        let invstd = var
            .add_scalar(eps)?
            .unary(UnaryOp::Rsqrt)?
            .contiguous_data()?;
        let operands = [Some(self), weight, bias, Some(&mean), Some(&invstd)];
        let out = with_held("batch_norm", &operands, |h| {
            if h.is_f64()? {
                normalize::<f64>(h, &sh)
            } else {
                normalize::<f32>(h, &sh)
            }
        })?;
        let out = Tensor::contiguous_from(Storage::Cpu(out), shape.clone());
        let absent = Tensor::zeros(&[0], self.dtype());
        let inputs = [self, weight.unwrap_or(&absent), bias.unwrap_or(&absent)];
        let batch_stats = training.then(|| (mean.clone(), var.clone()));
        record(&out, NAME, &inputs, || {
            Rule::Fused(Arc::new(BatchNormBackward {
                shape: sh,
                training,
                eps,
                inputs: [Some(self), weight, bias].map(|t| t.map(Saved::input)),
                mean,
                var,
                invstd,
            }))
        });
        Ok(Some((out, batch_stats)))
    }
}

/// Operands: x, weight, bias (each optional), mean and 1 / std.
fn normalize<F: FloatSlice>(h: &HeldOperands<'_>, sh: &ChannelShape) -> Result<CpuStorage>
where
    Vec<F>: IntoStorage,
{
    let affine = Affine {
        weight: h.optional::<F>(1, sh.c)?,
        bias: h.optional::<F>(2, sh.c)?,
    };
    let n = sh.n * sh.c * sh.s;
    let y = batch_norm::normalize(
        h.slice::<F>(0, n)?,
        sh,
        h.slice::<F>(3, sh.c)?,
        h.slice::<F>(4, sh.c)?,
        affine,
    );
    Ok(y.into_storage())
}

/// Batch norm in differentiable ops (the create_graph recomputation): the
/// batch's statistics in training, else the saved constants.
fn composed(a: &[Option<Tensor>], stats: Option<(&Tensor, &Tensor)>, eps: f64) -> Result<Tensor> {
    let Some(x) = a[0].as_ref() else {
        return Err(Error::Autograd("internal: batch_norm without input".into()));
    };
    let nd = x.ndim();
    let mut view = vec![1i64; nd];
    view[1] = -1;
    let dims: Vec<usize> = std::iter::once(0).chain(2..nd).collect();
    let (mean, var) = match stats {
        Some((m, v)) => (m.reshape(&view)?, v.reshape(&view)?),
        None => {
            let mean = x.reduce(ReduceOp::Mean, Some(&dims), true)?;
            let var = x
                .sub(&mean)?
                .square()?
                .reduce(ReduceOp::Mean, Some(&dims), true)?;
            (mean, var)
        }
    };
    let mut out = x
        .sub(&mean)?
        .mul(&var.add_scalar(eps)?.unary(UnaryOp::Rsqrt)?)?;
    if let Some(w) = a[1].as_ref() {
        out = out.mul(&w.reshape(&view)?)?;
    }
    if let Some(b) = a[2].as_ref() {
        out = out.add(&b.reshape(&view)?)?;
    }
    Ok(out)
}

/// What the node keeps: its inputs (version-checked), the statistics used
/// (per channel) and 1 / sqrt(var + eps).
struct BatchNormBackward {
    shape: ChannelShape,
    training: bool,
    eps: f64,
    inputs: [Option<Saved>; 3],
    mean: Tensor,
    var: Tensor,
    invstd: Tensor,
}

impl FusedBackward for BatchNormBackward {
    fn name(&self) -> &'static str {
        NAME
    }

    fn double_backward_name(&self) -> Option<&'static str> {
        Some("NativeBatchNormBackwardBackward0")
    }

    fn saved_inputs(&self) -> Vec<Option<&Saved>> {
        self.inputs.iter().map(Option::as_ref).collect()
    }

    fn composed(&self, inputs: &[Option<Tensor>]) -> Result<Tensor> {
        let stats = (!self.training).then_some((&self.mean, &self.var));
        composed(inputs, stats, self.eps)
    }

    fn native(
        &self,
        ins: &[Option<Tensor>],
        g: &Tensor,
        needs: &[bool],
        _unpack: &dyn Fn(&Saved) -> Result<Tensor>,
    ) -> Result<Vec<Option<Tensor>>> {
        let need = |i: usize| needs.get(i).copied().unwrap_or(false);
        let Some(x) = ins[0].as_ref() else {
            return Err(Error::Autograd("internal: batch_norm without input".into()));
        };
        let operands = [
            Some(g),
            Some(x),
            Some(&self.mean),
            Some(&self.invstd),
            ins[1].as_ref(),
        ];
        let (dx, dw, db) = with_held("batch_norm", &operands, |h| {
            if h.is_f64()? {
                grads::<f64>(h, &self.shape, self.training, need(0))
            } else {
                grads::<f32>(h, &self.shape, self.training, need(0))
            }
        })?;
        let c = vec![self.shape.c];
        Ok(vec![
            dx.filter(|_| need(0))
                .map(|s| Tensor::contiguous_from(Storage::Cpu(s), x.shape())),
            need(1).then(|| Tensor::contiguous_from(Storage::Cpu(dw), c.clone())),
            need(2).then(|| Tensor::contiguous_from(Storage::Cpu(db), c)),
        ])
    }
}

type Grads = (Option<CpuStorage>, CpuStorage, CpuStorage);

/// Operands: the output's gradient, x, mean, 1 / std and the weight (if any).
fn grads<F: FloatSlice>(
    h: &HeldOperands<'_>,
    sh: &ChannelShape,
    training: bool,
    need_input: bool,
) -> Result<Grads>
where
    Vec<F>: IntoStorage,
{
    let n = sh.n * sh.c * sh.s;
    let r = batch_norm::backward(
        h.slice::<F>(0, n)?,
        h.slice::<F>(1, n)?,
        sh,
        h.slice::<F>(2, sh.c)?,
        h.slice::<F>(3, sh.c)?,
        h.optional::<F>(4, sh.c)?,
        training,
        need_input,
    );
    Ok((
        r.input.map(IntoStorage::into_storage),
        r.weight.into_storage(),
        r.bias.into_storage(),
    ))
}
