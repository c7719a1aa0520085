//! Huber and smooth-L1 losses per element, and their input gradients,
//! through the one-pass CPU kernels of `backend::cpu::pair_loss`. Nothing
//! here is recorded: `nn.functional` records the loss node with PyTorch's
//! derivative formula and calls these for its values.

use super::held::with_held;
use super::Tensor;
use crate::backend::cpu::pair_loss::{self, PairLoss};
use crate::error::Result;
use crate::storage::Device;

impl Tensor {
    /// CPU float operands of one dtype and shape (`grad` may also be one value).
    fn pair_loss_applies(&self, target: &Tensor, grad: Option<&Tensor>) -> bool {
        let fits = |t: &Tensor| t.device() == Device::Cpu && t.dtype() == self.dtype();
        self.device() == Device::Cpu
            && self.dtype().is_float()
            && fits(target)
            && target.shape() == self.shape()
            && grad.is_none_or(|g| fits(g) && (g.numel() == 1 || g.shape() == self.shape()))
            // the unrecorded kernel would drop a forward-AD tangent: the
            // composition carries it
            && !crate::forward_ad::any_tangent(&[self, target])
    }

    /// The loss of each (self, target) element pair, or None where the
    /// kernel does not apply (not CPU, operands of other dtypes or shapes).
    pub fn pair_loss_errors(&self, target: &Tensor, loss: PairLoss) -> Result<Option<Tensor>> {
        if !self.pair_loss_applies(target, None) {
            return Ok(None);
        }
        let n = self.numel();
        crate::storage::guard_alloc("pair_loss", n, self.dtype())?;
        let out = with_held("pair_loss", &[Some(self), Some(target)], |h| {
            Ok(if h.is_f64()? {
                let v = pair_loss::errors(loss, h.slice::<f64>(0, n)?, h.slice::<f64>(1, n)?);
                Tensor::from_vec_f64(v, self.shape())
            } else {
                let v = pair_loss::errors(loss, h.slice::<f32>(0, n)?, h.slice::<f32>(1, n)?);
                Tensor::from_vec_f32(v, self.shape())
            })
        })?;
        Ok(Some(out))
    }

    /// binary_cross_entropy_with_logits of each (self = logit, target)
    /// pair, or None where the kernel does not apply.
    pub fn bce_with_logits_errors(&self, target: &Tensor) -> Result<Option<Tensor>> {
        if !self.pair_loss_applies(target, None) {
            return Ok(None);
        }
        let n = self.numel();
        crate::storage::guard_alloc("binary_cross_entropy_with_logits", n, self.dtype())?;
        let out = with_held(
            "binary_cross_entropy_with_logits",
            &[Some(self), Some(target)],
            |h| {
                Ok(if h.is_f64()? {
                    let v = pair_loss::bce_with_logits_errors(
                        h.slice::<f64>(0, n)?,
                        h.slice::<f64>(1, n)?,
                    );
                    Tensor::from_vec_f64(v, self.shape())
                } else {
                    let v = pair_loss::bce_with_logits_errors(
                        h.slice::<f32>(0, n)?,
                        h.slice::<f32>(1, n)?,
                    );
                    Tensor::from_vec_f32(v, self.shape())
                })
            },
        )?;
        Ok(Some(out))
    }

    /// The gradient in self of the loss for the output gradient `grad` (one
    /// value for a reduced loss), scaled by `norm`; None where the kernel
    /// does not apply.
    pub fn pair_loss_gradient(
        &self,
        target: &Tensor,
        grad: &Tensor,
        norm: f64,
        loss: PairLoss,
    ) -> Result<Option<Tensor>> {
        if !self.pair_loss_applies(target, Some(grad)) {
            return Ok(None);
        }
        let (n, gn) = (self.numel(), grad.numel());
        crate::storage::guard_alloc("pair_loss_backward", n, self.dtype())?;
        let out = with_held(
            "pair_loss_backward",
            &[Some(self), Some(target), Some(grad)],
            |h| {
                Ok(if h.is_f64()? {
                    let (x, y, g) = (
                        h.slice::<f64>(0, n)?,
                        h.slice::<f64>(1, n)?,
                        h.slice::<f64>(2, gn)?,
                    );
                    Tensor::from_vec_f64(pair_loss::gradient(loss, x, y, g, norm), self.shape())
                } else {
                    let (x, y, g) = (
                        h.slice::<f32>(0, n)?,
                        h.slice::<f32>(1, n)?,
                        h.slice::<f32>(2, gn)?,
                    );
                    Tensor::from_vec_f32(pair_loss::gradient(loss, x, y, g, norm), self.shape())
                })
            },
        )?;
        Ok(Some(out))
    }
}
