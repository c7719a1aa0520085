//! Prefix scans along a dim: cumsum and cumprod, each one node
//! (CumsumBackward0, CumprodBackward0) over one kernel pass.

use super::{record, Tensor};
use crate::dtype::DType;
use crate::error::Result;
use crate::grad_rules::{Rule, Saved};
use crate::op::ReduceOp;
use crate::shape::wrap_dim;

const CUMPROD: &str = "CumprodBackward0";

impl Tensor {
    pub fn cumsum(&self, dim: i64) -> Result<Tensor> {
        let d = wrap_dim("cumsum", dim, self.ndim())?;
        let storage = self.with_storage(|s, l| s.cumsum(l, d))?;
        let out = Tensor::contiguous_from(storage, self.shape());
        if out.dtype().is_float() {
            record(&out, "CumsumBackward0", &[self], || Rule::Cumsum { dim: d });
        }
        Ok(out)
    }

    /// The running product along `dim` (integer and bool inputs give
    /// int64, as PyTorch's). Devices without the kernel compose it from
    /// slice products, still shown as one CumprodBackward0 node.
    pub fn cumprod(&self, dim: i64) -> Result<Tensor> {
        let d = wrap_dim("cumprod", dim, self.ndim())?;
        let x = if self.dtype().is_float() {
            self.clone()
        } else {
            self.to_dtype(DType::I64)?
        };
        let Some(storage) = x.with_storage(|s, l| s.cumprod(l, d))? else {
            return crate::composite::composite(CUMPROD, &[Some(&x)], None, |a| {
                cumprod_composed(a[0].as_ref().unwrap_or(&x), d)
            });
        };
        let out = Tensor::contiguous_from(storage, x.shape());
        if out.dtype().is_float() {
            // PyTorch's node saves the input and the result: an in-place
            // write to either fails the backward's version check
            record(&out, CUMPROD, &[self], || Rule::Cumprod {
                dim: d,
                x: Saved::input(self),
                out: Saved::output(&out),
            });
        }
        Ok(out)
    }
}

/// cumprod from slice products in recorded ops (left to right, as the
/// kernel multiplies).
fn cumprod_composed(x: &Tensor, dim: usize) -> Result<Tensor> {
    let n = x.shape().get(dim).copied().unwrap_or(1);
    if x.ndim() == 0 || n == 0 {
        return x.clone_tensor();
    }
    let mut parts: Vec<Tensor> = Vec::with_capacity(n);
    for i in 0..n {
        let xi = x.narrow(dim as i64, i as i64, 1)?;
        let running = match parts.last() {
            Some(prev) => prev.mul(&xi)?,
            None => xi,
        };
        parts.push(running);
    }
    Tensor::cat(&parts, dim as i64)
}

/// The gradient of `out = cumprod(x, dim)` for the output gradient `g`.
/// Without zeros in `x` it is PyTorch's O(n) formula, the reversed cumsum
/// of out * g divided by x, in ops that record under create_graph. A zero
/// makes that division meaningless: then the gradient comes from the
/// slice-product composition recomputed and differentiated (exact, with
/// no division), as PyTorch falls back to a division-free formula.
pub(crate) fn cumprod_backward(g: &Tensor, x: &Tensor, out: &Tensor, dim: usize) -> Result<Tensor> {
    let n = x.shape().get(dim).copied().unwrap_or(1);
    if x.numel() <= 1 || n == 1 {
        return Ok(g.clone());
    }
    let zeros = x
        .eq_scalar(0.0)?
        .reduce(ReduceOp::Sum, None, false)?
        .item_f64()?;
    if zeros == 0.0 {
        let w = out.mul(g)?;
        return reversed_cumsum(&w, dim)?.div(x);
    }
    let create_graph = crate::grad_mode::is_grad_enabled();
    // the recomputation records its graph (its backward reads it), also
    // when the caller's backward does not
    let _grad_mode = crate::grad_mode::GradModeGuard::new(true);
    let source = if create_graph {
        x.clone()
    } else {
        let leaf = x.detach();
        leaf.set_requires_grad(true)?;
        leaf
    };
    let grads =
        crate::composite::gradients_by_recomputation(CUMPROD, &[Some(&source)], g, &[true], |a| {
            cumprod_composed(a[0].as_ref().unwrap_or(x), dim)
        })?;
    let grad = match grads.into_iter().next().flatten() {
        Some(t) => t,
        None => Tensor::zeros_on(&x.shape(), g.dtype(), g.device())?,
    };
    Ok(if create_graph { grad } else { grad.detach() })
}

/// The suffix sum along `dim`: one fused pass where there is a kernel and
/// nothing records, else flip, cumsum, flip.
pub(crate) fn reversed_cumsum(g: &Tensor, dim: usize) -> Result<Tensor> {
    if !crate::grad_mode::is_grad_enabled() {
        if let Some(s) = g.with_storage(|s, l| s.cumsum_reverse(l, dim)) {
            return Ok(Tensor::contiguous_from(s, g.shape()));
        }
    }
    let d = dim as i64;
    g.flip(&[d])?.cumsum(d)?.flip(&[d])
}
