//! In-place ops. The result is computed out of place (recording the graph as
//! usual), written into this tensor's storage, and the tensor takes the
//! result's grad_fn; the storage version is bumped so saved copies of the old
//! values are detected at backward time.

use super::{needs_grad, IndexArg, Tensor};
use crate::autograd::{is_grad_enabled, GradModeGuard};
use crate::error::{shape_err, Error, Result};
use crate::graph::NodeRef;
use crate::shape::{broadcast_shapes, fmt_shape};
use std::sync::Arc;

impl Tensor {
    pub(crate) fn existing_accumulator(&self) -> Option<NodeRef> {
        let id = self.0.meta.lock().accumulator?;
        NodeRef::from_id(id)
    }

    /// Contiguous, offset 0, and no other tensor shares the storage.
    pub(crate) fn owns_storage_exclusively(&self) -> bool {
        let v = self.view_guard();
        Arc::strong_count(&v.storage) == 1 && v.layout.offset == 0 && v.layout.numel() == v.storage.data.read_recursive().len()
    }

    /// PyTorch's guard: a leaf that requires grad cannot change in place
    /// while grad mode is on.
    pub fn check_inplace(&self) -> Result<()> {
        if is_grad_enabled() && self.is_leaf() && self.requires_grad() {
            return Err(Error::Autograd("a leaf Variable that requires grad is being used in an in-place operation.".into()));
        }
        Ok(())
    }

    /// The source to compute an in-place op from: a recorded clone when the
    /// graph will save it, so later backward sees the pre-update values.
    pub fn inplace_source(&self) -> Result<Tensor> {
        self.check_inplace()?;
        if needs_grad(&[self]) {
            self.clone_tensor()
        } else {
            Ok(self.clone())
        }
    }

    /// Writes `result` (broadcastable to self's shape) into self's elements and
    /// takes its place in the graph.
    pub fn inplace_update(&self, result: &Tensor, op: &'static str) -> Result<()> {
        let shape = self.shape();
        let rshape = result.shape();
        if rshape != shape {
            let b = broadcast_shapes(op, &shape, &rshape)?;
            if b != shape {
                return shape_err(op, format!("output with shape {} doesn't match the broadcast shape {}", fmt_shape(&shape), fmt_shape(&b)));
            }
        }
        {
            let v = self.view_guard();
            let r = result.view_guard();
            let rl = r.layout.expand(op, &shape)?;
            if Arc::ptr_eq(&v.storage, &r.storage) {
                // Same storage (x += x): copy the source out first.
                let tmp = r.storage.data.read_recursive().to_contiguous(&rl, self.dtype());
                v.storage.data.write().copy_from(&v.layout, &tmp, &crate::layout::Layout::contiguous(shape.clone()));
            } else {
                let src = r.storage.data.read_recursive();
                v.storage.data.write().copy_from(&v.layout, &src, &rl);
            }
            v.storage.bump_version();
        }
        if let Some(f) = result.grad_fn() {
            if result.dtype().is_float() && self.dtype().is_float() {
                self.0.meta.lock().grad_fn = Some(f);
            }
        }
        Ok(())
    }

    /// `self += other` without recording (gradient accumulation, optimizers).
    pub fn add_inplace_raw(&self, other: &Tensor) -> Result<()> {
        let _g = GradModeGuard::new(false);
        let r = self.add(other)?;
        self.inplace_update(&r, "add_")
    }

    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        self.check_inplace()?;
        let r = src.to_dtype(self.dtype())?;
        let r = if needs_grad(&[&r]) { r.expand(&self.shape())?.clone_tensor()? } else { r };
        self.inplace_update(&r, "copy_")?;
        if !r.requires_grad() {
            self.0.meta.lock().grad_fn = None;
        }
        Ok(())
    }

    pub fn fill_(&self, value: f64) -> Result<()> {
        self.check_inplace()?;
        let r = Tensor::full(&[], value, self.dtype());
        self.inplace_update(&r, "fill_")?;
        if self.grad_fn().is_some() {
            // The old history no longer reaches these values.
            let z = self.detach().clone_data()?;
            let _ = z;
            self.0.meta.lock().grad_fn = None;
        }
        Ok(())
    }

    /// `self[args] = value`.
    pub fn index_put_(&self, args: &[IndexArg], value: &Tensor) -> Result<()> {
        self.check_inplace()?;
        if !needs_grad(&[self, value]) {
            let (view, adv) = self.apply_basic_pub(args)?;
            if adv.is_empty() {
                let _g = GradModeGuard::new(false);
                return view.inplace_update(&value.to_dtype(self.dtype())?, "index_put_");
            }
        }
        let positions = self.index_positions(args)?;
        let r = self.put(&positions, value, false)?;
        self.inplace_update(&r, "index_put_")
    }
}
