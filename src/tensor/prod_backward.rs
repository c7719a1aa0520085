//! The gradient of `prod` (PyTorch's `prod_backward` and
//! `prod_safe_zeros_backward`): `grad * (result / input)` where the input
//! has no zero, else the product of the elements before and after each one
//! along the reduced dim (two exclusive cumulative products). The second
//! form is exact with zeros and differentiates again to the right second
//! derivatives: d^2 prod / dx_i dx_j is the product of the rest even where
//! the first derivatives are 0 (a `where` over the zero count gave 0 there).

use super::Tensor;
use crate::error::Result;

impl Tensor {
    /// `g` (the gradient of `prod(self, dims, keepdim)`, whose result was
    /// `out`) spread over `self`.
    pub(crate) fn prod_backward(
        &self,
        g: &Tensor,
        out: &Tensor,
        dims: &[usize],
        keepdim: bool,
    ) -> Result<Tensor> {
        let x = self;
        if x.shape().is_empty() {
            // PyTorch passes a 0-d input's gradient through, unconnected
            return Ok(g.clone());
        }
        let in_shape = x.shape();
        let g = unsqueeze_dims(g, dims, keepdim)?;
        let has_zero = x
            .eq_scalar(0.0)?
            .to_dtype(x.dtype())?
            .sum_all()?
            .item_f64()?
            != 0.0;
        if !has_zero {
            let out = unsqueeze_dims(out, dims, keepdim)?;
            return g.mul(&out.div(x)?);
        }
        // one dim, or the whole tensor flattened (the full product)
        let (along, d) = if dims.len() == 1 {
            (x.clone(), dims[0])
        } else {
            (x.reshape_to(&[x.numel()])?, 0)
        };
        let n = along.shape()[d];
        if n == 1 {
            // the product of no other elements: the gradient itself
            return g.expand(&in_shape);
        }
        let mut ones_shape = along.shape().to_vec();
        ones_shape[d] = 1;
        let ones = Tensor::full_on(&ones_shape, 1.0, x.dtype(), x.device())?;
        let di = d as i64;
        let (len, last) = ((n - 1) as i64, n as i64 - 1);
        let before = Tensor::cat(&[ones.clone(), along.narrow(di, 0, len)?], di)?.cumprod(di)?;
        let after = Tensor::cat(&[ones, along.narrow(di, 1, last)?.flip(&[di])?], di)?
            .cumprod(di)?
            .flip(&[di])?;
        g.mul(&before.mul(&after)?.reshape_to(&in_shape)?)
    }
}

/// Re-inserts reduced dims as size 1 so a reduced gradient broadcasts back.
pub(crate) fn unsqueeze_dims(g: &Tensor, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    if keepdim {
        return Ok(g.clone());
    }
    let mut sorted = dims.to_vec();
    sorted.sort_unstable();
    let mut t = g.clone();
    for d in sorted {
        t = t.unsqueeze(d as i64)?;
    }
    Ok(t)
}
