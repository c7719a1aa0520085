//! Fused cross-entropy for class-index targets (`F.cross_entropy`'s common
//! case): the loss in one pass over the logits, the gradient in one more.

use super::{record, Tensor};
use crate::autograd::is_grad_enabled;
use crate::dtype::DType;
use crate::error::{dtype_err, index_err, shape_err, Result};
use crate::grad_rules::{Rule, Saved};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    None,
    Mean,
    Sum,
}

/// What the backward of a fused cross-entropy needs besides the logits.
#[derive(Clone)]
pub struct CrossEntropyCtx {
    pub lse: Tensor,
    pub targets: Vec<i64>,
    /// Per-row weight (0 for ignored rows), already divided by the mean's denominator.
    pub row_scale: Vec<f64>,
    pub reduction: Reduction,
}

impl Tensor {
    pub fn cross_entropy(
        &self,
        target: &Tensor,
        weight: Option<&Tensor>,
        ignore_index: i64,
        reduction: Reduction,
    ) -> Result<Tensor> {
        let shape = self.shape();
        if shape.len() != 2 || !self.dtype().is_float() {
            return shape_err(
                "cross_entropy",
                format!(
                    "cross_entropy: expected a 2-D floating point input, got {}",
                    crate::shape::fmt_shape(&shape)
                ),
            );
        }
        let (n, c) = (shape[0], shape[1]);
        if target.dtype() != DType::I64 {
            return dtype_err(
                "cross_entropy",
                format!("expected scalar type Long but found {}", target.dtype()),
            );
        }
        if target.shape().as_slice() != [n] {
            return shape_err(
                "cross_entropy",
                format!(
                    "Expected input batch_size ({n}) to match target batch_size ({}).",
                    target.shape().first().copied().unwrap_or(0)
                ),
            );
        }
        let targets = target.to_i64_vec()?;
        for &t in &targets {
            if t != ignore_index && (t < 0 || t as usize >= c) {
                return index_err("cross_entropy", format!("Target {t} is out of bounds."));
            }
        }
        let w: Option<Vec<f64>> = match weight {
            Some(w) => {
                if w.shape().as_slice() != [c] {
                    return shape_err("cross_entropy", format!("weight tensor should be defined either for all {c} classes or no classes but got weight tensor of shape: {}", crate::shape::fmt_shape(&w.shape())));
                }
                Some(w.to_f64_vec()?)
            }
            None => None,
        };
        let x = self.contiguous_data()?;
        let lse = {
            let v = x.view_guard();
            let s = v.storage.data.read_recursive();
            let r = v.layout.offset..v.layout.offset + n * c;
            Tensor::contiguous_from(
                crate::storage::Storage::Cpu(crate::backend::cpu::loss::logsumexp_rows(
                    s.cpu_for("cross_entropy")?,
                    r,
                    c,
                )?),
                vec![n],
            )
        };
        let lse_v = lse.to_f64_vec()?;
        let xv = x.with_storage(|s, l| -> Result<Vec<f64>> {
            let s = s.cpu_for("cross_entropy")?;
            Ok(targets
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    if t == ignore_index {
                        0.0
                    } else {
                        s.get_f64(l.offset + i * c + t as usize)
                    }
                })
                .collect())
        })?;
        let row_w: Vec<f64> = targets
            .iter()
            .map(|&t| {
                if t == ignore_index {
                    0.0
                } else {
                    w.as_ref().map_or(1.0, |w| w[t as usize])
                }
            })
            .collect();
        let losses: Vec<f64> = (0..n).map(|i| row_w[i] * (lse_v[i] - xv[i])).collect();
        let denom: f64 = row_w.iter().sum();
        let dt = self.dtype();
        let out = match reduction {
            Reduction::None => Tensor::from_vec_f64(losses, vec![n]).cast_nograd(dt)?,
            Reduction::Sum => Tensor::full(&[], losses.iter().sum::<f64>(), dt),
            Reduction::Mean => Tensor::full(&[], losses.iter().sum::<f64>() / denom, dt),
        };
        let row_scale: Vec<f64> = match reduction {
            Reduction::Mean => row_w.iter().map(|w| w / denom).collect(),
            _ => row_w,
        };
        if is_grad_enabled() && self.requires_grad() {
            let ctx = CrossEntropyCtx {
                lse,
                targets,
                row_scale,
                reduction,
            };
            record(&out, "NllLossBackward0", &[self], || {
                Rule::CrossEntropy(Saved::input(self), Box::new(ctx))
            });
        }
        Ok(out)
    }

    /// Gradient of the fused cross-entropy for an incoming gradient `g`.
    pub(crate) fn cross_entropy_backward(
        x: &Tensor,
        ctx: &CrossEntropyCtx,
        g: &Tensor,
    ) -> Result<Tensor> {
        let (n, c) = (x.shape()[0], x.shape()[1]);
        let gv = g.to_f64_vec()?;
        let coef: Vec<f64> = (0..n)
            .map(|i| {
                ctx.row_scale[i]
                    * if ctx.reduction == Reduction::None {
                        gv[i]
                    } else {
                        gv[0]
                    }
            })
            .collect();
        if !is_grad_enabled() {
            let xc = x.contiguous_data()?;
            let v = xc.view_guard();
            let lv = ctx.lse.view_guard();
            let s = v.storage.data.read_recursive();
            let ls = lv.storage.data.read_recursive();
            let r = v.layout.offset..v.layout.offset + n * c;
            let st = crate::backend::cpu::loss::cross_entropy_grad(
                s.cpu_for("cross_entropy")?,
                r,
                c,
                ls.cpu_for("cross_entropy")?,
                &ctx.targets,
                &coef,
            )?;
            return Ok(Tensor::contiguous_from(
                crate::storage::Storage::Cpu(st),
                vec![n, c],
            ));
        }
        // Recording (create_graph): the same formula in differentiable ops.
        let softmax = x.softmax(1, false)?;
        let safe: Vec<i64> = ctx
            .targets
            .iter()
            .map(|&t| t.clamp(0, c as i64 - 1))
            .collect();
        let idx = Tensor::from_i64(safe, vec![n, 1]);
        let onehot = Tensor::zeros(&[n, c], x.dtype()).scatter_value(1, &idx, 1.0)?;
        let scale =
            Tensor::from_vec_f64(ctx.row_scale.clone(), vec![n, 1]).cast_nograd(x.dtype())?;
        let gcol = if ctx.reduction == Reduction::None {
            g.unsqueeze(1)?
        } else {
            g.clone()
        };
        softmax.sub(&onehot)?.mul(&scale)?.mul(&gcol)
    }
}
