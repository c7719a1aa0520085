//! scaled_dot_product_attention over 4-D [batch, heads, len, width] CPU
//! tensors as one node, PyTorch's `ScaledDotProductFlashAttentionForCpu
//! Backward0` over query, key and value, running the kernels of
//! `backend::cpu::attention`. The mask is additive (the caller turns a
//! bool mask into 0 / -inf) and needs no gradient. Under create_graph the
//! gradients come from the attention written in differentiable ops,
//! recomputed from the saved inputs.

use super::{record, Tensor};
use crate::autograd::is_grad_enabled;
use crate::backend::cpu::attention::{self, AttentionSaved, AttentionShape, Mask};
use crate::backend::cpu::operand::{slice_at, FloatSlice};
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
        let ops = [self, key, value].map(|t| t.contiguous_data());
        let [q, k, v] = ops;
        let (q, k, v) = (q?, k?, v?);
        let (out, lse) = {
            let held = [&q, &k, &v].map(|t| t.view_guard());
            let data = held
                .each_ref()
                .map(|g| (g.storage.data.read_recursive(), g.layout.offset));
            let mask_view = mask.as_ref().map(|(t, _, _)| t.view_guard());
            let mask_data = mask_view
                .as_ref()
                .map(|g| (g.storage.data.read_recursive(), g.layout.offset));
            let cpu = |i: usize| data[i].0.cpu_for("scaled_dot_product_attention");
            let stores = [cpu(0)?, cpu(1)?, cpu(2)?];
            match stores[0] {
                CpuStorage::F64(_) => forward::<f64>(stores, &data, &mask_data, &mask, &sh)?,
                _ => forward::<f32>(stores, &data, &mask_data, &mask, &sh)?,
            }
        };
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

type Held<'a> = (parking_lot::RwLockReadGuard<'a, Storage>, usize);

fn forward<F: FloatSlice>(
    stores: [&CpuStorage; 3],
    data: &[Held<'_>; 3],
    mask_data: &Option<Held<'_>>,
    mask: &Option<(Tensor, usize, usize)>,
    sh: &AttentionShape,
) -> Result<(CpuStorage, CpuStorage)>
where
    Vec<F>: IntoStorage,
{
    let q = slice_at::<F>((stores[0], data[0].1), sh.pairs * sh.l * sh.e)?;
    let k = slice_at::<F>((stores[1], data[1].1), sh.pairs * sh.s * sh.e)?;
    let v = slice_at::<F>((stores[2], data[2].1), sh.pairs * sh.s * sh.ev)?;
    let m = mask_slice::<F>(mask_data, mask, sh)?;
    let (out, lse) = attention::forward(q, k, v, m.as_ref(), sh);
    Ok((out.into_storage(), lse.into_storage()))
}

fn mask_slice<'a, F: FloatSlice>(
    data: &'a Option<Held<'_>>,
    mask: &Option<(Tensor, usize, usize)>,
    sh: &AttentionShape,
) -> Result<Option<Mask<'a, F>>> {
    let (Some((d, offset)), Some((_, batches, heads))) = (data, mask) else {
        return Ok(None);
    };
    let store = d.cpu_for("scaled_dot_product_attention")?;
    Ok(Some(Mask {
        data: slice_at::<F>((store, *offset), batches * heads * sh.l * sh.s)?,
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
    fn backward(
        &self,
        g: &Tensor,
        needs: &[bool],
        unpack: &dyn Fn(&Saved) -> Result<Tensor>,
    ) -> Result<Vec<Option<Tensor>>> {
        let ins: Vec<Tensor> = self.inputs.iter().map(unpack).collect::<Result<_>>()?;
        let out = unpack(&self.out)?;
        let sh = &self.shape;
        if is_grad_enabled() {
            let refs: Vec<Option<&Tensor>> = ins.iter().map(Some).collect();
            let mask = self.mask.as_ref().map(|(t, _, _)| t);
            return crate::composite::gradients_by_recomputation(NAME, &refs, g, needs, |a| {
                composed(a, mask, sh)
            });
        }
        let tensors = [&ins[0], &ins[1], &ins[2], &out, g].map(|t| t.contiguous_data());
        let [q, k, v, o, gc] = tensors;
        let (q, k, v, o, gc) = (q?, k?, v?, o?, gc?);
        let held = [&q, &k, &v, &o, &gc, &self.lse].map(|t| t.view_guard());
        let data = held
            .each_ref()
            .map(|h| (h.storage.data.read_recursive(), h.layout.offset));
        let mask_view = self.mask.as_ref().map(|(t, _, _)| t.view_guard());
        let mask_data = mask_view
            .as_ref()
            .map(|h| (h.storage.data.read_recursive(), h.layout.offset));
        let grads = match data[0].0.cpu_for("scaled_dot_product_attention")? {
            CpuStorage::F64(_) => backward::<f64>(&data, &mask_data, &self.mask, sh)?,
            _ => backward::<f32>(&data, &mask_data, &self.mask, sh)?,
        };
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

fn backward<F: FloatSlice>(
    data: &[Held<'_>; 6],
    mask_data: &Option<Held<'_>>,
    mask: &Option<(Tensor, usize, usize)>,
    sh: &AttentionShape,
) -> Result<[CpuStorage; 3]>
where
    Vec<F>: IntoStorage,
{
    let at = |i: usize, len: usize| -> Result<&[F]> {
        slice_at::<F>(
            (
                data[i].0.cpu_for("scaled_dot_product_attention")?,
                data[i].1,
            ),
            len,
        )
    };
    let (p, l, s, e, ev) = (sh.pairs, sh.l, sh.s, sh.e, sh.ev);
    let saved = AttentionSaved {
        q: at(0, p * l * e)?,
        k: at(1, p * s * e)?,
        v: at(2, p * s * ev)?,
        out: at(3, p * l * ev)?,
        lse: at(5, p * l)?,
    };
    let g = at(4, p * l * ev)?;
    let m = mask_slice::<F>(mask_data, mask, sh)?;
    let (dq, dk, dv) = attention::backward(g, &saved, m.as_ref(), sh);
    Ok([dq.into_storage(), dk.into_storage(), dv.into_storage()])
}
