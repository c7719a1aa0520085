//! The one table of derivative rules. Each rule is written in ordinary tensor
//! ops, so it runs on any device and, under `create_graph`, records its own
//! graph (higher-order gradients). Broadcasting and dtype casts are undone by
//! the scheduler, not here: a rule returns gradients in the op's output shape.
//!
//! `rule.rs` declares the rules; `apply` below dispatches them, with the
//! shape, view and indexing family in `views.rs`, the unary derivatives in
//! `pointwise.rs`, in-place-on-view gradients in `copy_slices.rs`, the
//! create_graph links to PyTorch's kernel nodes in `links.rs`, and the
//! grad_fn names in `names.rs`.

use crate::error::FREED_GRAPH;
use crate::error::{Error, Result};
use crate::graph::NodeId;
use crate::op::{BinaryOp, ReduceOp, UnaryOp};
use crate::shape::Shape;
use crate::tensor::prod_backward::unsqueeze_dims;
use crate::tensor::{Tensor, TensorInner};
use std::sync::Weak;

pub use crate::saved::Saved;

mod copy_slices;
mod helpers;
mod links;
mod names;
mod pointwise;
mod rule;
mod views;
use copy_slices::*;
use helpers::*;
pub use links::not_implemented_link;
pub use links::zero_link;
use links::*;
pub use names::binary_name;
pub use names::unary_name;
pub use names::unary_saves_output;
use pointwise::*;
pub use rule::{CustomBackward, FusedBackward, Rule};

/// Input gradients of one node, one per input (None where not needed).
pub fn apply(
    rule: &Rule,
    name: &str,
    g: &Tensor,
    needs: &[bool],
    self_id: NodeId,
) -> Result<Vec<Option<Tensor>>> {
    let un = |s: &Saved| s.unpack(name, self_id);
    let need = |i: usize| needs.get(i).copied().unwrap_or(false);
    let one = |t: Tensor| Ok(vec![Some(t)]);
    match rule {
        Rule::Freed => Err(Error::Autograd(FREED_GRAPH.into())),
        Rule::Identity | Rule::AccumulateGrad(_) => one(g.clone()),
        Rule::ToDevice(d) => one(g.to_device(*d)?),
        Rule::Zero => (0..needs.len().max(1))
            .map(|i| {
                if i == 0 || need(i) {
                    zeros_of(g).map(Some)
                } else {
                    Ok(None)
                }
            })
            .collect(),
        Rule::NotImplemented(op) => Err(Error::Runtime(format!(
            "derivative for aten::{op} is not implemented"
        ))),
        Rule::Refused(message) => Err(Error::Runtime(message.to_string())),
        Rule::Neg => one(g.neg()?),
        Rule::UnaryX(op, x) | Rule::UnaryOut(op, x) => {
            let v = un(x)?;
            let gx = unary_grad(*op, g, &v)?;
            match op {
                UnaryOp::Relu => one(zero_link(gx, &[&v], "ThresholdBackwardBackward0")?),
                UnaryOp::Tanh => one(named_gradient(gx, &v, "TanhBackwardBackward0")?),
                UnaryOp::Sigmoid => one(named_gradient(gx, &v, "SigmoidBackwardBackward0")?),
                UnaryOp::Act(a) => match (a.zero_link_name(), a.backward_not_differentiable()) {
                    (Some(name), _) => one(zero_link(gx, &[&v], name)?),
                    (None, Some(op)) => one(not_implemented_link(gx, &[&v], op)?),
                    (None, None) => match a.backward_kernel_name() {
                        Some(name) => one(named_gradient(gx, &v, name)?),
                        None => one(gx),
                    },
                },
                _ => one(gx),
            }
        }
        Rule::Add { alpha } => Ok(vec![
            Some(g.clone()),
            need(1).then(|| scaled(g, *alpha)).transpose()?,
        ]),
        Rule::Sub { alpha } => Ok(vec![
            Some(g.clone()),
            need(1).then(|| scaled(g, -*alpha)).transpose()?,
        ]),
        Rule::Mul(a, b) => {
            if let (Some(sa), Some(sb)) = (a.as_ref(), b.as_ref()) {
                if sa.holds_same_tensor(sb) {
                    if let Some(both) = self_product_gradient(g, &un(sa)?, needs) {
                        return Ok(vec![Some(both), None]);
                    }
                }
            }
            let ga = if need(0) {
                Some(g.mul(&un(b.as_ref().ok_or_else(freed)?)?)?)
            } else {
                None
            };
            let gb = if need(1) {
                Some(g.mul(&un(a.as_ref().ok_or_else(freed)?)?)?)
            } else {
                None
            };
            Ok(vec![ga, gb])
        }
        Rule::Div(b, a) => {
            let b = un(b)?;
            let ga = if need(0) { Some(g.div(&b)?) } else { None };
            let gb = if need(1) {
                let a = un(a.as_ref().ok_or_else(freed)?)?;
                // PyTorch's order: -grad * ((a / b) / b) (same rounding)
                Some(g.neg()?.mul(&a.div(&b)?.div(&b)?)?)
            } else {
                None
            };
            Ok(vec![ga, gb])
        }
        Rule::Pow(a, b, out) => {
            let (a, b) = (un(a)?, un(b)?);
            let ga = if need(0) {
                // b * a^(b-1), with 0 where b == 0 (PyTorch's convention).
                let d = b.mul(&a.binary(BinaryOp::Pow, &b.add_scalar(-1.0)?)?)?;
                // (a zero, not d * 0: d is inf or NaN there when a is 0)
                let d = b.eq_scalar(0.0)?.where_(&zero_like(&d), &d)?;
                Some(g.mul(&d)?)
            } else {
                None
            };
            let gb = if need(1) {
                let out = un(out)?;
                // out * log(a), with 0 where a == 0 and b >= 0; the log in
                // the result's dtype (a float32 base of a float64 power is
                // converted first, as PyTorch's pow_backward_exponent)
                let log_a = a.to_dtype(out.dtype())?.unary(UnaryOp::Log)?;
                let d = out.mul(&log_a)?;
                let mask = a
                    .eq_scalar(0.0)?
                    .binary(BinaryOp::LogicalAnd, &b.ge_scalar(0.0)?)?;
                Some(g.mul(&mask.where_(&zero_like(&d), &d)?)?)
            } else {
                None
            };
            Ok(vec![ga, gb])
        }
        Rule::Atan2(a, b) => {
            let (a, b) = (un(a)?, un(b)?);
            // PyTorch's formula: at (0, 0) the reciprocal is masked to 0 (no
            // gradient there; 0 * inf would be NaN), and it stays a node of
            // the graph, so a second derivative there is NaN as in PyTorch
            let recip = a.mul(&a)?.add(&b.mul(&b)?)?.unary(UnaryOp::Reciprocal)?;
            let masked = recip.eq_scalar(f64::INFINITY)?;
            let recip = masked.where_(&Tensor::wrapped_scalar(0.0, recip.dtype()), &recip)?;
            Ok(vec![
                need(0).then(|| g.mul(&b)?.mul(&recip)).transpose()?,
                need(1).then(|| g.mul(&a.neg()?)?.mul(&recip)).transpose()?,
            ])
        }
        Rule::MaxMin { a, b, max } => {
            let (a, b) = (un(a)?, un(b)?);
            // PyTorch's formula: ties split the gradient in half; the loser
            // gets none; with a NaN neither compares, and both get all of it
            let split = a.binary(BinaryOp::Eq, &b)?.where_(&g.mul_scalar(0.5)?, g)?;
            let (a_loses, b_loses) = if *max {
                (a.binary(BinaryOp::Lt, &b)?, a.binary(BinaryOp::Gt, &b)?)
            } else {
                (a.binary(BinaryOp::Gt, &b)?, a.binary(BinaryOp::Lt, &b)?)
            };
            let zero = zero_like(g);
            Ok(vec![
                need(0).then(|| a_loses.where_(&zero, &split)).transpose()?,
                need(1).then(|| b_loses.where_(&zero, &split)).transpose()?,
            ])
        }
        Rule::Remainder(a, b) => {
            let (a, b) = (un(a)?, un(b)?);
            Ok(vec![
                Some(g.clone()),
                need(1)
                    .then(|| g.mul(&a.div_rounded(&b, true)?.neg()?))
                    .transpose()?,
            ])
        }
        Rule::Where(cond) => {
            let zero = zero_like(g);
            Ok(vec![
                None,
                need(1).then(|| cond.where_(g, &zero)).transpose()?,
                need(2).then(|| cond.where_(&zero, g)).transpose()?,
            ])
        }
        Rule::Reduce {
            op,
            in_shape,
            dims,
            keepdim,
        } => {
            let g = unsqueeze_dims(g, dims, *keepdim)?;
            match op {
                ReduceOp::Mean => {
                    let count = dims.iter().map(|&d| in_shape[d]).product::<usize>() as f64;
                    if crate::grad_mode::is_grad_enabled() {
                        // create_graph: PyTorch's graph, the expanded
                        // gradient divided (DivBackward1 over ExpandBackward0)
                        let out = g.expand(in_shape)?.div_scalar(count)?;
                        crate::graph::rename(&out, "DivBackward1");
                        crate::graph::hide_inputs(&out, 0b10);
                        one(out)
                    } else {
                        // the same quotients, computed once per reduced row
                        one(g.div_scalar(count)?.expand(in_shape)?)
                    }
                }
                _ => one(g.expand(in_shape)?),
            }
        }
        Rule::Prod {
            x,
            out,
            dims,
            keepdim,
        } => one(un(x)?.prod_backward(g, &un(out)?, dims, *keepdim)?),
        Rule::Extremum {
            x,
            out,
            dims,
            keepdim,
            fill,
        } => {
            let (x, out) = (un(x)?, un(out)?);
            let g = unsqueeze_dims(g, dims, *keepdim)?;
            let out = unsqueeze_dims(&out, dims, *keepdim)?;
            if *fill {
                let is_nan = |t: &Tensor| t.binary(BinaryOp::Ne, t);
                let both_nan = is_nan(&x)?.binary(BinaryOp::LogicalAnd, &is_nan(&out)?)?;
                let mask = x
                    .binary(BinaryOp::Eq, &out)?
                    .binary(BinaryOp::LogicalOr, &both_nan)?;
                let count = mask
                    .to_dtype(g.dtype())?
                    .reduce(ReduceOp::Sum, None, false)?;
                let zeros = Tensor::zeros_on(&x.shape(), g.dtype(), g.device())?;
                return one(mask.where_(&g.div(&count)?, &zeros)?);
            }
            let mask = x.binary(BinaryOp::Eq, &out)?.to_dtype(g.dtype())?;
            let count = mask.reduce(ReduceOp::Sum, Some(dims), true)?;
            one(g.mul(&mask)?.div(&count)?)
        }
        Rule::IndexedExtremum {
            in_shape,
            dim,
            indices,
            keepdim,
        } => {
            let g = unsqueeze_dims(g, &[*dim], *keepdim)?;
            let idx = unsqueeze_dims(indices, &[*dim], *keepdim)?;
            let zeros = Tensor::zeros_on(in_shape, g.dtype(), g.device())?;
            one(zeros.scatter(*dim as i64, &idx, &g, false)?)
        }
        Rule::Cumsum { dim } => one(crate::tensor::reversed_cumsum(g, *dim)?),
        Rule::Cumprod { dim, x, out } => one(crate::tensor::cumprod_backward(
            g,
            &un(x)?,
            &un(out)?,
            *dim,
        )?),
        Rule::Softmax { out, dim } => {
            let y = un(out)?;
            if !crate::grad_mode::is_grad_enabled() {
                if let Some(t) = g.softmax_backward_fused(&y, *dim, false) {
                    return one(t);
                }
            }
            let gy = g.mul(&y)?;
            let s = gy.reduce(ReduceOp::Sum, Some(&[*dim]), true)?;
            one(named_gradient(
                gy.sub(&y.mul(&s)?)?,
                &y,
                "SoftmaxBackwardDataBackward0",
            )?)
        }
        Rule::LogSoftmax { out, dim } => {
            let y = un(out)?;
            if !crate::grad_mode::is_grad_enabled() {
                if let Some(t) = g.softmax_backward_fused(&y, *dim, true) {
                    return one(t);
                }
            }
            let s = g.reduce(ReduceOp::Sum, Some(&[*dim]), true)?;
            one(named_gradient(
                g.sub(&y.unary(UnaryOp::Exp)?.mul(&s)?)?,
                &y,
                "LogSoftmaxBackwardDataBackward0",
            )?)
        }
        Rule::Matmul(a, b) => {
            let ga = need(0).then(|| mm_grad_a(g, &un(b)?)).transpose()?;
            let gb = need(1)
                .then(|| mm_grad_b(g, &un(a)?, &un(b)?))
                .transpose()?;
            Ok(vec![ga, gb])
        }
        Rule::Addmm(m1, m2) => {
            // edges: bias (the gradient itself, summed to its shape by the
            // scheduler), mat1, mat2
            let gbias = need(0).then(|| g.clone());
            let g1 = need(1).then(|| mm_grad_a(g, &un(m2)?)).transpose()?;
            let g2 = need(2)
                .then(|| mm_grad_b(g, &un(m1)?, &un(m2)?))
                .transpose()?;
            Ok(vec![gbias, g1, g2])
        }
        Rule::Reshape { .. }
        | Rule::StridedView { .. }
        | Rule::Permute { .. }
        | Rule::Slice { .. }
        | Rule::Select { .. }
        | Rule::IndexSelect { .. }
        | Rule::Gather { .. }
        | Rule::Scatter { .. }
        | Rule::IndexAdd { .. }
        | Rule::Roll { .. }
        | Rule::Flip { .. }
        | Rule::Cat { .. } => views::apply(rule, name, g, needs, self_id),
        Rule::Custom { f, .. } => f(g),
        Rule::Fused(f) => f.backward(g, needs, &un),
        Rule::ZeroLink(links) => {
            let mut out = vec![Some(g.clone())];
            for (i, (shape, dtype, device)) in links.iter().enumerate() {
                out.push(if need(i + 1) {
                    Some(Tensor::zeros_on(shape, *dtype, *device)?)
                } else {
                    None
                });
            }
            Ok(out)
        }
        Rule::Composite(graph) => {
            crate::composite::backward(graph, name, g, needs, crate::grad_mode::is_grad_enabled())
        }
        Rule::Conv2d(x, w, ctx) => {
            let [gx, gw, gb] =
                Tensor::conv2d_backward(&un(x)?, &un(w)?, g, ctx, [need(0), need(1), need(2)])?;
            Ok(vec![gx, gw, gb])
        }
        Rule::MaxPool2d {
            input,
            indices,
            in_shape,
            sweep,
        } => one(zero_link(
            Tensor::max_pool2d_backward(g, indices, in_shape, sweep)?,
            &[&un(input)?],
            "MaxPool2DWithIndicesBackwardBackward0",
        )?),
        Rule::AvgPool2d(sweep, d, op, x) => one(g.avg_pool2d_backward(&un(x)?, sweep, *d, *op)?),
        // the forward's input is an edge only: its gradient is zero (`g` has its shape)
        Rule::AvgPool2dBackward(sweep, d, op) => Ok(vec![
            Some(g.avg_pool2d_adjoint(sweep, *d, *op)?),
            need(1).then(|| zeros_of(g)).transpose()?,
        ]),
        Rule::Im2Col(sweep) => one(g.col2im(sweep)?),
        Rule::Col2Im(sweep) => one(g.im2col(sweep)?),
        Rule::CopySlices { positions, op } => copy_slices_backward(g, positions, op, needs),
        Rule::Put {
            positions,
            accumulate,
        } => {
            let shape = g.shape();
            let flat = g.reshape_to(&[g.numel()])?;
            let gs = if *accumulate {
                g.clone()
            } else {
                flat.index_fill(positions, 0.0)?.reshape_to(&shape)?
            };
            let gv = flat
                .index_select(0, &positions.reshape_to(&[positions.numel()])?)?
                .reshape_to(&positions.shape())?;
            Ok(vec![Some(gs), Some(gv)])
        }
    }
}
