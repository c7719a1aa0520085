//! layer_norm as one graph node (PyTorch's `native_layer_norm`, shown as
//! `NativeLayerNormBackward0` over input, weight and bias) running the
//! fused CPU kernels (`backend::cpu::norm`). Under `create_graph` the
//! gradients come from the normalisation written in differentiable ops,
//! recomputed from the saved inputs. Other devices and dtypes have no
//! fused kernel: the caller composes the op there.

use super::{record, Tensor};
use crate::autograd::is_grad_enabled;
use crate::backend::cpu::norm::{self, Affine, LayerNormSaved};
use crate::backend::cpu::operand::{held as cpu, slice_at, FloatSlice};
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
        let x = self.contiguous_data()?;
        let w = weight.map(|t| t.contiguous_data()).transpose()?;
        let b = bias.map(|t| t.contiguous_data()).transpose()?;
        let n = self.numel();
        let (out, mean, rstd) = with_slices(&[Some(&x), w.as_ref(), b.as_ref()], |s| {
            match s[0].map(|o| o.0) {
                Some(CpuStorage::F64(_)) => forward::<f64>(&s, n, d, eps),
                _ => forward::<f32>(&s, n, d, eps),
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

type Slices<'a> = [Option<(&'a CpuStorage, usize)>; 3];

/// Runs `f` with the contiguous CPU storages of `tensors` held for reading.
fn with_slices<R>(
    tensors: &[Option<&Tensor>; 3],
    f: impl FnOnce(Slices<'_>) -> Result<R>,
) -> Result<R> {
    let views = tensors.map(|t| t.map(|t| t.view_guard()));
    let held = views.each_ref().map(|v| {
        v.as_ref()
            .map(|v| (v.storage.data.read_recursive(), v.layout.offset))
    });
    let mut slices: Slices<'_> = [None; 3];
    for (slot, h) in slices.iter_mut().zip(held.iter()) {
        if let Some((data, offset)) = h {
            *slot = Some((data.cpu_for("layer_norm")?, *offset));
        }
    }
    f(slices)
}

fn forward<F: FloatSlice>(
    s: &Slices<'_>,
    n: usize,
    d: usize,
    eps: f64,
) -> Result<(CpuStorage, CpuStorage, CpuStorage)>
where
    Vec<F>: IntoStorage,
{
    let Some(xo) = s[0] else {
        return Err(crate::error::Error::Autograd(
            "internal: layer_norm without input".into(),
        ));
    };
    let x = slice_at::<F>(xo, n)?;
    let affine = Affine {
        weight: s[1].map(|o| slice_at::<F>(o, d)).transpose()?,
        bias: s[2].map(|o| slice_at::<F>(o, d)).transpose()?,
    };
    let (y, mean, rstd) = norm::layer_norm(x, d, affine, eps);
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
    fn backward(
        &self,
        g: &Tensor,
        needs: &[bool],
        unpack: &dyn Fn(&Saved) -> Result<Tensor>,
    ) -> Result<Vec<Option<Tensor>>> {
        let ins = crate::grad_rules::unpack_all(&self.inputs, unpack)?;
        if is_grad_enabled() {
            let refs: Vec<Option<&Tensor>> = ins.iter().map(|t| t.as_ref()).collect();
            return crate::composite::gradients_by_recomputation(NAME, &refs, g, needs, |a| {
                composed(a, self.k, self.eps)
            });
        }
        let need = |i: usize| needs.get(i).copied().unwrap_or(false);
        let Some(x) = ins[0].as_ref() else {
            return Err(crate::error::Error::Autograd(
                "internal: layer_norm without input".into(),
            ));
        };
        let shape = x.shape();
        let d: usize = shape[shape.len() - self.k..].iter().product();
        let (xc, gc) = (x.contiguous_data()?, g.contiguous_data()?);
        let wc = ins[1].as_ref().map(|w| w.contiguous_data()).transpose()?;
        let need_affine = need(1) || need(2);
        let grads = {
            let views = [&gc, &xc, &self.mean, &self.rstd].map(|t| t.view_guard());
            let held = views
                .each_ref()
                .map(|v| (v.storage.data.read_recursive(), v.layout.offset));
            let wv = wc.as_ref().map(|w| w.view_guard());
            let wh = wv
                .as_ref()
                .map(|v| (v.storage.data.read_recursive(), v.layout.offset));
            let ops = [
                cpu(&held[0])?,
                cpu(&held[1])?,
                cpu(&held[2])?,
                cpu(&held[3])?,
            ];
            let w_op = wh.as_ref().map(cpu).transpose()?;
            match ops[1].0 {
                CpuStorage::F64(_) => {
                    backward::<f64>(ops, w_op, x.numel(), d, need(0), need_affine)?
                }
                _ => backward::<f32>(ops, w_op, x.numel(), d, need(0), need_affine)?,
            }
        };
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

fn backward<F: FloatSlice>(
    ops: [(&CpuStorage, usize); 4],
    w: Option<(&CpuStorage, usize)>,
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
        x: slice_at::<F>(ops[1], n)?,
        weight: w.map(|o| slice_at::<F>(o, d)).transpose()?,
        mean: slice_at::<F>(ops[2], rows)?,
        rstd: slice_at::<F>(ops[3], rows)?,
    };
    let g = slice_at::<F>(ops[0], n)?;
    let grads = norm::layer_norm_backward(g, &saved, d, need_input, need_affine);
    Ok((
        grads.input.map(IntoStorage::into_storage),
        grads.weight.map(IntoStorage::into_storage),
        grads.bias.map(IntoStorage::into_storage),
    ))
}
