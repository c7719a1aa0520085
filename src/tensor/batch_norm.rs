//! batch_norm as one graph node (PyTorch's `native_batch_norm`, shown as
//! `NativeBatchNormBackward0` over input, weight and bias) running the
//! fused CPU kernels (`backend::cpu::batch_norm`), with the batch's
//! statistics (training) or the running ones (evaluation). Under
//! `create_graph` the gradients come from the normalisation written in
//! differentiable ops, recomputed from the saved inputs. Other devices and
//! dtypes have no fused kernel: the caller composes the op there.

use super::{record, Tensor};
use crate::autograd::is_grad_enabled;
use crate::backend::cpu::batch_norm::{self, ChannelShape};
use crate::backend::cpu::norm::Affine;
use crate::backend::cpu::operand::{held, slice_at, FloatSlice};
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
        let x = self.contiguous_data()?;
        let w = weight.map(|t| t.contiguous_data()).transpose()?;
        let b = bias.map(|t| t.contiguous_data()).transpose()?;
        let training = running.is_none();
        // the statistics: the batch's (f64 sums) or the running ones
        let (mean, var) = match running {
            Some((m, v)) => (m.detach().contiguous_data()?, v.detach().contiguous_data()?),
            None => {
                let (m, v) = {
                    let g = x.view_guard();
                    let d = (g.storage.data.read_recursive(), g.layout.offset);
                    let op = held(&d)?;
                    match op.0 {
                        CpuStorage::F64(_) => {
                            batch_norm::stats(slice_at::<f64>(op, x.numel())?, &sh)
                        }
                        _ => batch_norm::stats(slice_at::<f32>(op, x.numel())?, &sh),
                    }
                };
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
        let out = {
            let ts = [Some(&x), w.as_ref(), b.as_ref(), Some(&mean), Some(&invstd)];
            let guards = ts.map(|t| t.map(|t| t.view_guard()));
            let data = guards.each_ref().map(|g| {
                g.as_ref()
                    .map(|g| (g.storage.data.read_recursive(), g.layout.offset))
            });
            let ops = data.each_ref().map(|d| d.as_ref().map(held).transpose());
            let [xo, wo, bo, mo, io] = ops;
            let (xo, wo, bo, mo, io) = (xo?, wo?, bo?, mo?, io?);
            let (Some(xo), Some(mo), Some(io)) = (xo, mo, io) else {
                return Err(Error::Autograd("internal: batch_norm operands".into()));
            };
            match xo.0 {
                CpuStorage::F64(_) => normalize::<f64>(xo, [wo, bo], mo, io, &sh)?,
                _ => normalize::<f32>(xo, [wo, bo], mo, io, &sh)?,
            }
        };
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

type Op<'a> = (&'a CpuStorage, usize);

fn normalize<F: FloatSlice>(
    x: Op<'_>,
    affine: [Option<Op<'_>>; 2],
    mean: Op<'_>,
    invstd: Op<'_>,
    sh: &ChannelShape,
) -> Result<CpuStorage>
where
    Vec<F>: IntoStorage,
{
    let [w, b] = affine.map(|o| o.map(|o| slice_at::<F>(o, sh.c)).transpose());
    let affine = Affine {
        weight: w?,
        bias: b?,
    };
    let n = sh.n * sh.c * sh.s;
    let y = batch_norm::normalize(
        slice_at::<F>(x, n)?,
        sh,
        slice_at::<F>(mean, sh.c)?,
        slice_at::<F>(invstd, sh.c)?,
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
    fn backward(
        &self,
        g: &Tensor,
        needs: &[bool],
        unpack: &dyn Fn(&Saved) -> Result<Tensor>,
    ) -> Result<Vec<Option<Tensor>>> {
        let ins = crate::grad_rules::unpack_all(&self.inputs, unpack)?;
        if is_grad_enabled() {
            let refs: Vec<Option<&Tensor>> = ins.iter().map(|t| t.as_ref()).collect();
            let stats = (!self.training).then_some((&self.mean, &self.var));
            return crate::composite::gradients_by_recomputation(NAME, &refs, g, needs, |a| {
                composed(a, stats, self.eps)
            });
        }
        let need = |i: usize| needs.get(i).copied().unwrap_or(false);
        let Some(x) = ins[0].as_ref() else {
            return Err(Error::Autograd("internal: batch_norm without input".into()));
        };
        let (xc, gc) = (x.contiguous_data()?, g.contiguous_data()?);
        let wc = ins[1].as_ref().map(|w| w.contiguous_data()).transpose()?;
        let ts = [
            Some(&gc),
            Some(&xc),
            Some(&self.mean),
            Some(&self.invstd),
            wc.as_ref(),
        ];
        let guards = ts.map(|t| t.map(|t| t.view_guard()));
        let data = guards.each_ref().map(|g| {
            g.as_ref()
                .map(|g| (g.storage.data.read_recursive(), g.layout.offset))
        });
        let ops: Vec<Option<Op<'_>>> = data
            .iter()
            .map(|d| d.as_ref().map(held).transpose())
            .collect::<Result<_>>()?;
        let (dx, dw, db) = match ops[1].map(|o| o.0) {
            Some(CpuStorage::F64(_)) => grads::<f64>(&ops, &self.shape, self.training, need(0))?,
            _ => grads::<f32>(&ops, &self.shape, self.training, need(0))?,
        };
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

fn grads<F: FloatSlice>(
    ops: &[Option<Op<'_>>],
    sh: &ChannelShape,
    training: bool,
    need_input: bool,
) -> Result<Grads>
where
    Vec<F>: IntoStorage,
{
    let n = sh.n * sh.c * sh.s;
    let at = |i: usize, len: usize| -> Result<Option<&[F]>> {
        ops[i].map(|o| slice_at::<F>(o, len)).transpose()
    };
    let missing = || Error::Autograd("internal: batch_norm operands".into());
    let g = at(0, n)?.ok_or_else(missing)?;
    let x = at(1, n)?.ok_or_else(missing)?;
    let mean = at(2, sh.c)?.ok_or_else(missing)?;
    let invstd = at(3, sh.c)?.ok_or_else(missing)?;
    let w = at(4, sh.c)?;
    let r = batch_norm::backward(g, x, sh, mean, invstd, w, training, need_input);
    Ok((
        r.input.map(IntoStorage::into_storage),
        r.weight.into_storage(),
        r.bias.into_storage(),
    ))
}
