//! The derivatives of the unary ops, and `x * x`'s one-pass gradient.

use super::*;

pub(super) fn unary_grad(op: UnaryOp, g: &Tensor, v: &Tensor) -> Result<Tensor> {
    use UnaryOp::*;
    // Not recording (no create_graph): one fused pass instead of 2-4 ops.
    if !crate::grad_mode::is_grad_enabled() && g.shape() == v.shape() {
        if let Some(t) = g.unary_backward_fused(op, v) {
            return Ok(t);
        }
    }
    // `v` is the saved input x, or the output y for unary_saves_output ops.
    Ok(match op {
        Exp => g.mul(v)?,
        Tanh => g.mul(&v.square()?.rsub_scalar(1.0)?)?,
        Sigmoid => g.mul(&v.mul(&v.rsub_scalar(1.0)?)?)?,
        Sqrt => g.div(&v.mul_scalar(2.0)?)?,
        Rsqrt => g.mul(&v.pow_scalar(3.0)?.mul_scalar(-0.5)?)?,
        Reciprocal => g.mul(&v.square()?.neg()?)?,
        // threshold_backward: where(y <= 0, 0, g) (a mask product would turn
        // an inf gradient into NaN; a NaN output passes the gradient)
        Relu => v.le_scalar(0.0)?.where_(&zero_like(g), g)?,
        Abs => g.mul(&v.unary(Sign)?)?,
        Log => g.div(v)?,
        Log1p => g.div(&v.add_scalar(1.0)?)?,
        Expm1 => g.mul(&v.add_scalar(1.0)?)?,
        Sin => g.mul(&v.unary(Cos)?)?,
        Cos => g.mul(&v.unary(Sin)?.neg()?)?,
        Tan => g.mul(&v.unary(Tan)?.square()?.add_scalar(1.0)?)?,
        Erf => g.mul(
            &v.square()?
                .neg()?
                .unary(Exp)?
                .mul_scalar(std::f64::consts::FRAC_2_SQRT_PI)?,
        )?,
        Softplus => g.mul(&v.unary(Sigmoid)?)?,
        Act(a) => crate::tensor::activation_ops::backward_ops(a, g, v)?,
        PowScalar(p) => {
            if p == 0.0 {
                // PyTorch's zeros_like: no NaN from g, no graph under create_graph
                zeros_of(g)?
            } else {
                // PyTorch's `grad * (exponent * self.pow(exponent - 1))`
                g.mul(&times_scalar(&v.pow_scalar(p - 1.0)?, p)?)?
            }
        }
        RPowScalar(b) => g.mul(&v.rpow_scalar(b)?.mul_scalar(b.ln())?)?,
        Clamp(lo, hi) => {
            // strictly inside the given bounds, as PyTorch (2.15): an input
            // sitting on a bound gets no gradient (like relu at 0)
            let above = lo.map(|lo| v.gt_scalar(lo)).transpose()?;
            let below = hi.map(|hi| v.lt_scalar(hi)).transpose()?;
            let mask = match (above, below) {
                (Some(a), Some(b)) => a.binary(BinaryOp::LogicalAnd, &b)?,
                (Some(m), None) | (None, Some(m)) => m,
                (None, None) => return Ok(g.clone()),
            };
            mask.where_(g, &zero_like(g))?
        }
        // zeros_like(grad) in PyTorch: not connected to anything
        Neg | Sign | Floor | Ceil | Round | Trunc | LogicalNot => zeros_of(g)?,
    })
}

/// `x * x` (both operands the one tensor, so one node behind both edges;
/// see `Saved::holds_same_tensor`), not recording: the two gradients g x + g x in one pass as 2 g x (the
/// same bits: doubling is exact), given to the first edge, which the
/// engine adds into the same place the second's would go. None when the
/// operands are two tensors (a view of x is another node, with its own
/// hooks), or under create_graph (where the node's two edges stay PyTorch's).
pub(super) fn self_product_gradient(g: &Tensor, x: &Tensor, needs: &[bool]) -> Option<Tensor> {
    if crate::grad_mode::is_grad_enabled() || needs != [true, true] || g.shape() != x.shape() {
        return None;
    }
    g.unary_backward_fused(UnaryOp::PowScalar(2.0), x)
}
