//! layer_norm as one graph node (PyTorch's `native_layer_norm`, shown as
//! `NativeLayerNormBackward0` over input, weight and bias) running the
//! fused CPU kernels (`backend::cpu::norm`). Under `create_graph` the
//! gradients come from the normalisation written in differentiable ops,
//! recomputed from the saved inputs. Other devices and dtypes have no
//! fused kernel: the caller composes the op there.

use super::held::{with_held, HeldOperands};
use super::{record, Tensor};
use crate::backend::cpu::norm::{self, Affine, LayerNormSaved};
use crate::backend::cpu::operand::FloatSlice;
use crate::backend::cpu::{CpuStorage, IntoStorage};
use crate::error::Result;
use crate::grad_rules::{FusedBackward, Rule, Saved};
use crate::op::{ReduceOp, UnaryOp};
use crate::storage::{Device, Storage};
use std::sync::Arc;

const NAME: &str = "NativeLayerNormBackward0";

impl Tensor {
    /// Layer norm over the last `k` dims, where the fused kernel applies:
    /// a CPU float input of non-empty rows, with weight and bias (if
    /// given) of the input's dtype on the CPU, holding one row's elements.
    /// None otherwise.
    pub fn layer_norm_fused(
        &self,
        k: usize,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<Option<Tensor>> {
        let shape = self.shape();
        let affine_shape = &shape[shape.len().saturating_sub(k)..];
        let d: usize = affine_shape.iter().product();
        let fits = |t: &Tensor| {
            t.device() == Device::Cpu
                && t.dtype() == self.dtype()
                && t.shape().as_slice() == affine_shape
        };
        if self.device() != Device::Cpu
            || !self.dtype().is_float()
            || k > shape.len()
            || d == 0
            || !weight.is_none_or(fits)
            || !bias.is_none_or(fits)
        {
            return Ok(None);
        }
        crate::storage::guard_alloc("layer_norm", self.numel(), self.dtype())?;
        let n = self.numel();
        let (out, mean, rstd) = with_held("layer_norm", &[Some(self), weight, bias], |h| {
            if h.is_f64()? {
                forward::<f64>(h, n, d, eps)
            } else {
                forward::<f32>(h, n, d, eps)
            }
        })?;
        let rows = n / d;
        let out = Tensor::contiguous_from(Storage::Cpu(out), shape.clone());
        let (mean, rstd) = (
            Tensor::contiguous_from(Storage::Cpu(mean), vec![rows]),
            Tensor::contiguous_from(Storage::Cpu(rstd), vec![rows]),
        );
        let absent = Tensor::zeros(&[0], self.dtype());
        let inputs = [self, weight.unwrap_or(&absent), bias.unwrap_or(&absent)];
        record(&out, NAME, &inputs, || {
            Rule::Fused(Arc::new(LayerNormBackward {
                k,
                eps,
                inputs: [Some(self), weight, bias].map(|t| t.map(Saved::input)),
                mean,
                rstd,
            }))
        });
        Ok(Some(out))
    }
}

fn forward<F: FloatSlice>(
    h: &HeldOperands<'_>,
    n: usize,
    d: usize,
    eps: f64,
) -> Result<(CpuStorage, CpuStorage, CpuStorage)>
where
    Vec<F>: IntoStorage,
{
    let affine = Affine {
        weight: h.optional::<F>(1, d)?,
        bias: h.optional::<F>(2, d)?,
    };
    let (y, mean, rstd) = norm::layer_norm(h.slice::<F>(0, n)?, d, affine, eps);
    Ok((y.into_storage(), mean.into_storage(), rstd.into_storage()))
}

/// The layer norm in differentiable ops (the create_graph recomputation).
fn composed(a: &[Option<Tensor>], k: usize, eps: f64) -> Result<Tensor> {
    let Some(x) = a[0].as_ref() else {
        return Err(crate::error::Error::Autograd(
            "internal: layer_norm without input".into(),
        ));
    };
    let dims: Vec<usize> = (x.ndim() - k..x.ndim()).collect();
    let mean = x.reduce(ReduceOp::Mean, Some(&dims), true)?;
    let centered = x.sub(&mean)?;
    let var = centered
        .square()?
        .reduce(ReduceOp::Mean, Some(&dims), true)?;
    let mut out = centered.mul(&var.add_scalar(eps)?.unary(UnaryOp::Rsqrt)?)?;
    if let Some(w) = a[1].as_ref() {
        out = out.mul(w)?;
    }
    if let Some(b) = a[2].as_ref() {
        out = out.add(b)?;
    }
    Ok(out)
}

/// What the node keeps: its inputs (PyTorch saves input, weight and bias:
/// an in-place write to one fails the backward's version check) and each
/// row's mean and 1 / std.
struct LayerNormBackward {
    k: usize,
    eps: f64,
    inputs: [Option<Saved>; 3],
    mean: Tensor,
    rstd: Tensor,
}

impl FusedBackward for LayerNormBackward {
    fn name(&self) -> &'static str {
        NAME
    }

    fn double_backward_name(&self) -> Option<&'static str> {
        Some("NativeLayerNormBackwardBackward0")
    }

    fn saved_inputs(&self) -> Vec<Option<&Saved>> {
        self.inputs.iter().map(Option::as_ref).collect()
    }

    fn composed(&self, inputs: &[Option<Tensor>]) -> Result<Tensor> {
        composed(inputs, self.k, self.eps)
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
            return Err(crate::error::Error::Autograd(
                "internal: layer_norm without input".into(),
            ));
        };
        let shape = x.shape();
        let d: usize = shape[shape.len() - self.k..].iter().product();
        let (n, need_affine) = (x.numel(), need(1) || need(2));
        let operands = [
            Some(g),
            Some(x),
            Some(&self.mean),
            Some(&self.rstd),
            ins[1].as_ref(),
        ];
        let grads = with_held("layer_norm", &operands, |h| {
            if h.is_f64()? {
                backward::<f64>(h, n, d, need(0), need_affine)
            } else {
                backward::<f32>(h, n, d, need(0), need_affine)
            }
        })?;
        let wrap = |s: Option<CpuStorage>, shape: Vec<usize>| {
            s.map(|s| Tensor::contiguous_from(Storage::Cpu(s), shape))
        };
        let affine_shape = shape[shape.len() - self.k..].to_vec();
        Ok(vec![
            wrap(grads.0, shape.to_vec()).filter(|_| need(0)),
            wrap(grads.1, affine_shape.clone()).filter(|_| need(1)),
            wrap(grads.2, affine_shape).filter(|_| need(2)),
        ])
    }
}

type Grads = (Option<CpuStorage>, Option<CpuStorage>, Option<CpuStorage>);

/// Operands: the output's gradient, x, mean, rstd and the weight (if any).
fn backward<F: FloatSlice>(
    h: &HeldOperands<'_>,
    n: usize,
    d: usize,
    need_input: bool,
    need_affine: bool,
) -> Result<Grads>
where
    Vec<F>: IntoStorage,
{
    let rows = n.checked_div(d).unwrap_or(0);
    let saved = LayerNormSaved {
        x: h.slice::<F>(1, n)?,
        weight: h.optional::<F>(4, d)?,
        mean: h.slice::<F>(2, rows)?,
        rstd: h.slice::<F>(3, rows)?,
    };
    let grads = norm::layer_norm_backward(h.slice::<F>(0, n)?, &saved, d, need_input, need_affine);
    Ok((
        grads.input.map(IntoStorage::into_storage),
        grads.weight.map(IntoStorage::into_storage),
        grads.bias.map(IntoStorage::into_storage),
    ))
}
