//! Small tensor-op helpers the rules share.

use super::*;

/// `t * s` recorded as PyTorch's Scalar overload, `MulBackward1` (the
/// number is no input of the node), where PyTorch's formula multiplies by
/// a Scalar.
pub(super) fn times_scalar(t: &Tensor, s: f64) -> Result<Tensor> {
    let out = t.mul_scalar(s)?;
    crate::graph::rename(&out, "MulBackward1");
    crate::graph::hide_inputs(&out, 0b10);
    Ok(out)
}

/// `g @ b^T`: the gradient of the left operand of a matrix product.
pub(super) fn mm_grad_a(g: &Tensor, b: &Tensor) -> Result<Tensor> {
    g.matmul(&b.mt()?)
}

/// `a^T @ g`: the gradient of the right operand, made in the operand's own
/// layout when that is a transposed view (`x @ w.t()`: `(g^T @ a)^T`), so
/// that the gradient reaching `w` is contiguous without a copy (PyTorch's
/// `mm_mat2_backward` does the same).
pub(super) fn mm_grad_b(g: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if b.ndim() >= 2 && !b.is_contiguous() && b.mt()?.is_contiguous() {
        return g.mt()?.matmul(a)?.mt();
    }
    a.mt()?.matmul(g)
}

/// A 0-d zero of `g`'s dtype, for `where(mask, g, 0)`.
pub(super) fn zero_like(g: &Tensor) -> Tensor {
    Tensor::wrapped_scalar(0.0, g.dtype())
}

/// `zeros_like(g)`: a zero gradient that is not a function of anything.
pub(super) fn zeros_of(g: &Tensor) -> Result<Tensor> {
    Tensor::zeros_on(&g.shape(), g.dtype(), g.device())
}

pub(super) fn freed() -> Error {
    Error::Autograd(FREED_GRAPH.into())
}

pub(super) fn scaled(g: &Tensor, alpha: f64) -> Result<Tensor> {
    if alpha == 1.0 {
        Ok(g.clone())
    } else if alpha == -1.0 {
        g.neg()
    } else {
        g.mul_scalar(alpha)
    }
}
