//! scaled_dot_product_attention over 4-D [batch, heads, len, width] CPU
//! tensors as one node, PyTorch's `ScaledDotProductFlashAttentionForCpu
//! Backward0` over query, key and value, running the kernels of
//! `backend::cpu::attention`. The mask is additive (the caller turns a
//! bool mask into 0 / -inf) and needs no gradient. Under create_graph the
//! gradients come from the attention written in differentiable ops,
//! recomputed from the saved inputs.

use super::held::{with_held, HeldOperands};
use super::{record, Tensor};
use crate::backend::cpu::attention::{self, AttentionSaved, AttentionShape, Mask};
use crate::backend::cpu::operand::FloatSlice;
use crate::backend::cpu::{CpuStorage, IntoStorage};
use crate::error::{Error, Result};
use crate::grad_rules::{FusedBackward, Rule, Saved};
use crate::storage::{Device, Storage};
use std::sync::Arc;

const NAME: &str = "ScaledDotProductFlashAttentionForCpuBackward0";

impl Tensor {
    /// Attention of `self` (queries) over `key` and `value`, or None where
    /// the fused kernel does not apply (not CPU, not one float dtype, not
    /// 4-D with matching batch and head counts, a mask that does not
    /// broadcast to [batch, heads, L, S] or needs a gradient).
    pub fn attention_fused(
        &self,
        key: &Tensor,
        value: &Tensor,
        mask: Option<&Tensor>,
        causal: bool,
        scale: f64,
    ) -> Result<Option<Tensor>> {
        let Some(sh) = fused_shape(self, key, value, mask, causal, scale) else {
            return Ok(None);
        };
        let (b, h) = (self.shape()[0], self.shape()[1]);
        let mask = mask.map(|m| mask_blocks(m, &sh)).transpose()?;
        let mask_tensor = mask.as_ref().map(|(t, _, _)| t);
        let operands = [Some(self), Some(key), Some(value), mask_tensor];
        let (out, lse) = with_held("scaled_dot_product_attention", &operands, |h| {
            if h.is_f64()? {
                forward::<f64>(h, &mask, &sh)
            } else {
                forward::<f32>(h, &mask, &sh)
            }
        })?;
        let out = Tensor::contiguous_from(Storage::Cpu(out), vec![b, h, sh.l, sh.ev]);
        let lse = Tensor::contiguous_from(Storage::Cpu(lse), vec![b, h, sh.l]);
        record(&out, NAME, &[self, key, value], || {
            Rule::Fused(Arc::new(AttentionBackward {
                shape: sh,
                inputs: [self, key, value].map(Saved::input),
                out: Saved::output(&out),
                lse,
                mask,
            }))
        });
        Ok(Some(out))
    }
}

fn fused_shape(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    causal: bool,
    scale: f64,
) -> Option<AttentionShape> {
    let (sq, sk, sv) = (q.shape(), k.shape(), v.shape());
    let same = |t: &Tensor| t.device() == Device::Cpu && t.dtype() == q.dtype();
    if sq.len() != 4
        || sk.len() != 4
        || sv.len() != 4
        || !q.dtype().is_float()
        || !same(q)
        || !same(k)
        || !same(v)
    {
        return None;
    }
    if sk[..2] != sq[..2] || sv[..2] != sq[..2] || sk[3] != sq[3] || sv[2] != sk[2] {
        return None;
    }
    if let Some(m) = mask {
        let (l, s) = (sq[2], sk[2]);
        let ms = m.shape();
        let fits = |size: usize, full: usize| size == 1 || size == full;
        let padded: Vec<usize> = std::iter::repeat_n(1, 4usize.saturating_sub(ms.len()))
            .chain(ms.iter().copied())
            .collect();
        if ms.len() > 4
            || !same(m)
            || m.requires_grad()
            || !fits(padded[0], sq[0])
            || !fits(padded[1], sq[1])
            || !fits(padded[2], l)
            || !fits(padded[3], s)
        {
            return None;
        }
    }
    Some(AttentionShape {
        pairs: sq[0] * sq[1],
        heads: sq[1],
        l: sq[2],
        s: sk[2],
        e: sq[3],
        ev: sv[3],
        scale,
        causal,
    })
}

/// The mask as contiguous [batches, heads, L, S] blocks (batches and heads
/// each 1 where the mask broadcasts there).
fn mask_blocks(m: &Tensor, sh: &AttentionShape) -> Result<(Tensor, usize, usize)> {
    let ms = m.shape();
    let padded: Vec<usize> = std::iter::repeat_n(1, 4 - ms.len())
        .chain(ms.iter().copied())
        .collect();
    let spec = [padded[0] as i64, padded[1] as i64, sh.l as i64, sh.s as i64];
    let blocks = m
        .detach()
        .reshape(&padded.iter().map(|&d| d as i64).collect::<Vec<_>>())?
        .expand_spec(&spec)?
        .contiguous_data()?;
    Ok((blocks, padded[0], padded[1]))
}

/// Operands: q, k, v and the mask blocks (if any).
fn forward<F: FloatSlice>(
    h: &HeldOperands<'_>,
    mask: &Option<(Tensor, usize, usize)>,
    sh: &AttentionShape,
) -> Result<(CpuStorage, CpuStorage)>
where
    Vec<F>: IntoStorage,
{
    let q = h.slice::<F>(0, sh.pairs * sh.l * sh.e)?;
    let k = h.slice::<F>(1, sh.pairs * sh.s * sh.e)?;
    let v = h.slice::<F>(2, sh.pairs * sh.s * sh.ev)?;
    let m = mask_slice::<F>(h, 3, mask, sh)?;
    let (out, lse) = attention::forward(q, k, v, m.as_ref(), sh);
    Ok((out.into_storage(), lse.into_storage()))
}

/// The mask blocks held at operand `i`, if there is a mask.
fn mask_slice<'a, F: FloatSlice>(
    h: &HeldOperands<'a>,
    i: usize,
    mask: &Option<(Tensor, usize, usize)>,
    sh: &AttentionShape,
) -> Result<Option<Mask<'a, F>>> {
    let Some((_, batches, heads)) = mask else {
        return Ok(None);
    };
    Ok(Some(Mask {
        data: h.slice::<F>(i, batches * heads * sh.l * sh.s)?,
        batches: *batches,
        heads: *heads,
    }))
}

/// Attention in differentiable ops (the create_graph recomputation).
fn composed(a: &[Option<Tensor>], mask: Option<&Tensor>, sh: &AttentionShape) -> Result<Tensor> {
    let [Some(q), Some(k), Some(v)] = a else {
        return Err(Error::Autograd(
            "internal: attention without its inputs".into(),
        ));
    };
    let mut scores = q.matmul(&k.mt()?)?.mul_scalar(sh.scale)?;
    if let Some(m) = mask {
        scores = scores.add(m)?;
    }
    if sh.causal {
        let keep: Vec<f64> = (0..sh.l * sh.s)
            .map(|i| {
                if i % sh.s > i / sh.s {
                    f64::NEG_INFINITY
                } else {
                    0.0
                }
            })
            .collect();
        let causal = Tensor::from_vec_f64(keep, vec![sh.l, sh.s]).to_dtype(q.dtype())?;
        scores = scores.add(&causal)?;
    }
    scores.softmax(-1, false)?.matmul(v)
}

/// What the node keeps: q, k, v and the output (PyTorch saves them: an
/// in-place write to one fails the backward's version check), each row's
/// log-sum-exp and the mask blocks.
struct AttentionBackward {
    shape: AttentionShape,
    inputs: [Saved; 3],
    out: Saved,
    lse: Tensor,
    mask: Option<(Tensor, usize, usize)>,
}

impl FusedBackward for AttentionBackward {
    fn name(&self) -> &'static str {
        NAME
    }

    fn saved_inputs(&self) -> Vec<Option<&Saved>> {
        self.inputs.iter().map(Some).collect()
    }

    fn composed(&self, inputs: &[Option<Tensor>]) -> Result<Tensor> {
        composed(inputs, self.mask.as_ref().map(|(t, _, _)| t), &self.shape)
    }

    fn native(
        &self,
        ins: &[Option<Tensor>],
        g: &Tensor,
        needs: &[bool],
        unpack: &dyn Fn(&Saved) -> Result<Tensor>,
    ) -> Result<Vec<Option<Tensor>>> {
        let [Some(q), Some(k), Some(v)] = ins else {
            return Err(Error::Autograd(
                "internal: attention without its inputs".into(),
            ));
        };
        let out = unpack(&self.out)?;
        let mask = self.mask.as_ref().map(|(t, _, _)| t);
        let operands = [
            Some(q),
            Some(k),
            Some(v),
            Some(&out),
            Some(g),
            Some(&self.lse),
            mask,
        ];
        let sh = &self.shape;
        let grads = with_held("scaled_dot_product_attention", &operands, |h| {
            if h.is_f64()? {
                backward::<f64>(h, &self.mask, sh)
            } else {
                backward::<f32>(h, &self.mask, sh)
            }
        })?;
        let shapes = [q.shape(), k.shape(), v.shape()];
        Ok(grads
            .into_iter()
            .zip(shapes)
            .enumerate()
            .map(|(i, (s, shape))| {
                needs
                    .get(i)
                    .copied()
                    .unwrap_or(false)
                    .then(|| Tensor::contiguous_from(Storage::Cpu(s), shape))
            })
            .collect())
    }
}

/// Operands: q, k, v, the output, its gradient, the log-sum-exps and the
/// mask blocks (if any).
fn backward<F: FloatSlice>(
    h: &HeldOperands<'_>,
    mask: &Option<(Tensor, usize, usize)>,
    sh: &AttentionShape,
) -> Result<[CpuStorage; 3]>
where
    Vec<F>: IntoStorage,
{
    let (p, l, s, e, ev) = (sh.pairs, sh.l, sh.s, sh.e, sh.ev);
    let saved = AttentionSaved {
        q: h.slice::<F>(0, p * l * e)?,
        k: h.slice::<F>(1, p * s * e)?,
        v: h.slice::<F>(2, p * s * ev)?,
        out: h.slice::<F>(3, p * l * ev)?,
        lse: h.slice::<F>(5, p * l)?,
    };
    let g = h.slice::<F>(4, p * l * ev)?;
    let m = mask_slice::<F>(h, 6, mask, sh)?;
    let (dq, dk, dv) = attention::backward(g, &saved, m.as_ref(), sh);
    Ok([dq.into_storage(), dk.into_storage(), dv.into_storage()])
}
