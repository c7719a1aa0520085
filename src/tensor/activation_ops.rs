//! The activations' formulas as tensor ops (see `crate::activation`): the
//! backward as a differentiable function of (grad, x) for create_graph, and
//! the forward for devices without a fused kernel.

use crate::activation::{Activation, HARDSIGMOID_SLOPE};
use crate::error::Result;
use crate::op::UnaryOp;
use crate::tensor::Tensor;

const GELU_TANH_BETA: f64 = 0.797_884_560_802_865_4; // sqrt(2 / pi)
const GELU_TANH_KAPPA: f64 = 0.044715;
const SQRT1_2: f64 = std::f64::consts::FRAC_1_SQRT_2;
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7; // 1 / sqrt(2 pi)

/// The forward as tensor ops, unrecorded (devices without a fused kernel).
pub fn forward_ops(act: Activation, x: &Tensor) -> Result<Tensor> {
    use Activation::*;
    let _off = crate::grad_mode::GradModeGuard::new(false);
    match act {
        Gelu => x
            .mul(
                &x.mul_scalar(SQRT1_2)?
                    .unary(UnaryOp::Erf)?
                    .add_scalar(1.0)?,
            )?
            .mul_scalar(0.5),
        GeluTanh => {
            let inner = x
                .add(&x.pow_scalar(3.0)?.mul_scalar(GELU_TANH_KAPPA)?)?
                .mul_scalar(GELU_TANH_BETA)?;
            x.mul_scalar(0.5)?
                .mul(&inner.unary(UnaryOp::Tanh)?.add_scalar(1.0)?)
        }
        LeakyRelu(slope) => x.gt_scalar(0.0)?.where_(x, &x.mul_scalar(slope)?),
        Softshrink(lambda) => {
            let outer = x
                .gt_scalar(lambda)?
                .where_(&x.add_scalar(-lambda)?, &x.add_scalar(lambda)?)?;
            shrink_inside(x, lambda)?.where_(&Tensor::wrapped_scalar(0.0, x.dtype()), &outer)
        }
        Hardshrink(lambda) => {
            shrink_inside(x, lambda)?.where_(&Tensor::wrapped_scalar(0.0, x.dtype()), x)
        }
        Elu {
            alpha,
            scale,
            input_scale,
            ..
        } => {
            let negative = x
                .mul_scalar(input_scale)?
                .unary(UnaryOp::Expm1)?
                .mul_scalar(alpha * scale)?;
            x.gt_scalar(0.0)?.where_(&x.mul_scalar(scale)?, &negative)
        }
        Hardswish => {
            let middle = x.mul(&x.add_scalar(3.0)?)?.div_scalar(6.0)?;
            let upper = x.ge_scalar(3.0)?.where_(x, &middle)?;
            x.le_scalar(-3.0)?.where_(&x.mul_scalar(0.0)?, &upper)
        }
        Hardsigmoid => x
            .add_scalar(3.0)?
            .unary(UnaryOp::Clamp(Some(0.0), Some(6.0)))?
            .div_scalar(6.0),
        Softplus { beta, threshold } => {
            let bx = x.mul_scalar(beta)?;
            let soft = bx
                .unary(UnaryOp::Exp)?
                .unary(UnaryOp::Log1p)?
                .div_scalar(beta)?;
            bx.gt_scalar(threshold)?.where_(x, &soft)
        }
        LogSigmoid => x.neg()?.unary(UnaryOp::Softplus)?.neg(),
        Mish => x.mul(&x.unary(UnaryOp::Softplus)?.unary(UnaryOp::Tanh)?),
        Silu => x.mul(&x.unary(UnaryOp::Sigmoid)?),
    }
}

/// d act(x) / dx times `g` as recorded tensor ops (differentiable again under
/// create_graph), with PyTorch's values on the joins of piecewise functions.
pub fn backward_ops(act: Activation, g: &Tensor, x: &Tensor) -> Result<Tensor> {
    use Activation::*;
    match act {
        Gelu => {
            let cdf = x
                .mul_scalar(SQRT1_2)?
                .unary(UnaryOp::Erf)?
                .add_scalar(1.0)?
                .mul_scalar(0.5)?;
            let pdf = x
                .square()?
                .mul_scalar(-0.5)?
                .unary(UnaryOp::Exp)?
                .mul_scalar(INV_SQRT_2PI)?;
            g.mul(&cdf.add(&x.mul(&pdf)?)?)
        }
        GeluTanh => {
            let x_sq = x.square()?;
            let inner = x
                .add(&x_sq.mul(x)?.mul_scalar(GELU_TANH_KAPPA)?)?
                .mul_scalar(GELU_TANH_BETA)?;
            let t = inner.unary(UnaryOp::Tanh)?;
            let left_derivative = t.add_scalar(1.0)?.mul_scalar(0.5)?;
            let right_derivative = x
                .mul_scalar(0.5)?
                .mul(&t.square()?.rsub_scalar(1.0)?)?
                .mul(
                    &x_sq
                        .mul_scalar(3.0 * GELU_TANH_KAPPA)?
                        .add_scalar(1.0)?
                        .mul_scalar(GELU_TANH_BETA)?,
                )?;
            g.mul(&left_derivative.add(&right_derivative)?)
        }
        LeakyRelu(slope) => x.gt_scalar(0.0)?.where_(g, &g.mul_scalar(slope)?),
        Softshrink(lambda) | Hardshrink(lambda) => {
            shrink_inside(x, lambda)?.where_(&Tensor::wrapped_scalar(0.0, g.dtype()), g)
        }
        Elu {
            alpha,
            scale,
            input_scale,
            ..
        } => {
            // at exactly 0 the curve's slope, with zero second derivative
            // (PyTorch's double backward tests x < 0). The exponential sees
            // only the non-positive part: exp of a large positive x is inf,
            // and the zero gradient `where` sends to the unused curve times
            // that inf would be NaN in the second derivative.
            let k = alpha * scale * input_scale;
            let curve = g
                .mul(
                    &x.mul_scalar(input_scale)?
                        .unary(UnaryOp::Clamp(None, Some(0.0)))?
                        .unary(UnaryOp::Exp)?,
                )?
                .mul_scalar(k)?;
            // x == 0 takes the curve's slope; NaN the linear piece's, as PyTorch's
            let rest = x
                .le_scalar(0.0)?
                .where_(&g.mul_scalar(k)?, &g.mul_scalar(scale)?)?;
            x.lt_scalar(0.0)?.where_(&curve, &rest)
        }
        Hardswish => {
            // the outer pieces own the joins: gradient 0 at -3, 1 at 3
            // (a NaN input fails both tests and passes g)
            let middle = g.mul(&x.div_scalar(3.0)?.add_scalar(0.5)?)?;
            let upper = x.lt_scalar(3.0)?.where_(&middle, g)?;
            x.le_scalar(-3.0)?.where_(&g.mul_scalar(0.0)?, &upper)
        }
        Hardsigmoid => {
            // zero on the joins and outside (NaN too: both tests fail)
            let zero = Tensor::wrapped_scalar(0.0, g.dtype());
            let inside = x
                .lt_scalar(3.0)?
                .where_(&g.mul_scalar(HARDSIGMOID_SLOPE)?, &zero)?;
            x.gt_scalar(-3.0)?.where_(&inside, &zero)
        }
        Softplus { beta, threshold } => {
            // At beta x == threshold the first derivative is the curve's,
            // but PyTorch's double backward tests beta x < threshold, so
            // there the slope is a constant in x (still linear in g).
            let bx = x.mul_scalar(beta)?;
            let slope = bx.unary(UnaryOp::Sigmoid)?;
            let curve = bx
                .lt_scalar(threshold)?
                .where_(&g.mul(&slope)?, &g.mul(&slope.detach())?)?;
            bx.gt_scalar(threshold)?.where_(g, &curve)
        }
        LogSigmoid => g.mul(&x.neg()?.unary(UnaryOp::Sigmoid)?),
        Mish => {
            let t = x.unary(UnaryOp::Softplus)?.unary(UnaryOp::Tanh)?;
            let slope = t.add(
                &x.mul(&x.unary(UnaryOp::Sigmoid)?)?
                    .mul(&t.square()?.rsub_scalar(1.0)?)?,
            )?;
            g.mul(&slope)
        }
        Silu => {
            // PyTorch's infinitely differentiable form: s (1 + x (1 - s))
            let s = x.unary(UnaryOp::Sigmoid)?;
            g.mul(&s)?
                .mul(&x.mul(&s.rsub_scalar(1.0)?)?.add_scalar(1.0)?)
        }
    }
}

/// Where x lies in [-lambda, lambda] (false at NaN): the shrinks' zero.
fn shrink_inside(x: &Tensor, lambda: f64) -> Result<Tensor> {
    let above = x.ge_scalar(-lambda)?;
    let below = x.le_scalar(lambda)?;
    above.where_(&below, &above)
}
