//! In-place ops. The result is computed out of place (recording the graph as
//! usual), written into this tensor's storage, and the tensor takes the
//! result's grad_fn; the storage version is bumped so saved copies of the old
//! values are detected at backward time.

use super::{needs_grad, IndexArg, Tensor};
use crate::autograd::{is_grad_enabled, GradModeGuard};
use crate::error::{shape_err, Error, Result};
use crate::graph::NodeRef;
use crate::op::BinaryOp;
use crate::shape::{broadcast_shapes, fmt_shape};
use crate::storage::Storage;
use std::sync::Arc;

/// The node of a write through a view or slice, as PyTorch names it
/// (its repr shows the part after the last `::`).
const COPY_SLICES: &str = "autorust::autograd::CopySlices";

impl Tensor {
    pub(crate) fn existing_accumulator(&self) -> Option<NodeRef> {
        let id = self.0.meta.lock().accumulator?;
        NodeRef::from_id(id)
    }

    /// Contiguous, offset 0, and no other tensor shares the storage.
    pub(crate) fn owns_storage_exclusively(&self) -> bool {
        let v = self.view_guard();
        Arc::strong_count(&v.storage) == 1
            && v.layout.offset == 0
            && v.layout.numel() == v.storage.data.read_recursive().len()
    }

    /// `resize_`: this tensor becomes contiguous with `shape`, over the same
    /// storage from the same offset, grown (old elements kept, new ones
    /// zero; PyTorch leaves them uninitialised) when it is too small.
    pub fn resize_(&self, shape: &[usize]) -> Result<()> {
        if self.requires_grad() {
            return Err(Error::Autograd(
                "cannot resize variables that require grad".into(),
            ));
        }
        let numel = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| Error::Value {
                op: "resize_",
                msg: format!("resize_: the size {} is too large", fmt_shape(shape)),
            })?;
        let (offset, old_len, dtype, device) = {
            let v = self.view_guard();
            let s = v.storage.data.read_recursive();
            (v.layout.offset, s.len(), v.storage.dtype, s.device())
        };
        let needed = offset + numel;
        if needed > old_len {
            crate::storage::guard_alloc("resize_", needed, dtype)?;
            let grown = Tensor::zeros_on(&[needed], dtype, device)?;
            {
                let (gv, v) = (grown.view_guard(), self.view_guard());
                let mut dst = gv.storage.data.write();
                let src = v.storage.data.read_recursive();
                let prefix = crate::layout::Layout::contiguous(vec![old_len]);
                dst.copy_from(&prefix, &src, &prefix)?;
            }
            let cell = grown.storage_cell();
            self.0.view.write().storage = cell;
        }
        let mut v = self.0.view.write();
        let mut layout = crate::layout::Layout::contiguous(shape.to_vec());
        layout.offset = if numel == 0 { 0 } else { offset };
        v.layout = layout;
        v.storage.bump_version();
        Ok(())
    }

    /// PyTorch's guard: a leaf that requires grad cannot change in place
    /// while grad mode is on.
    pub fn check_inplace(&self) -> Result<()> {
        if is_grad_enabled() && self.is_leaf() && self.requires_grad() {
            return Err(Error::Autograd(
                "a leaf Variable that requires grad is being used in an in-place operation.".into(),
            ));
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
                return shape_err(
                    op,
                    format!(
                        "output with shape {} doesn't match the broadcast shape {}",
                        fmt_shape(&shape),
                        fmt_shape(&b)
                    ),
                );
            }
        }
        if is_grad_enabled() && result.requires_grad() {
            let base = self.0.meta.lock().view_base.clone();
            if let Some(base) = base {
                return self.update_through_base(&base, result, op);
            }
        }
        self.write_from(result, op)?;
        if let Some(f) = result.grad_fn() {
            if result.dtype().is_float() && self.dtype().is_float() {
                self.0.meta.lock().grad_fn = Some(f);
            }
        }
        Ok(())
    }

    /// An in-place write through a view of a tensor in the graph: the base
    /// gets the written elements (its history becomes a put of `result` at
    /// the view's positions) and the view becomes a gather of the new base.
    fn update_through_base(&self, base: &Tensor, result: &Tensor, op: &'static str) -> Result<()> {
        if base.is_leaf() && base.requires_grad() {
            return Err(Error::Autograd("a view of a leaf Variable that requires grad is being used in an in-place operation.".into()));
        }
        let positions = self.positions_in(base);
        let values = result.to_dtype(self.dtype())?.expand(&self.shape())?;
        let new_base = base.put(&positions, &values, false)?;
        crate::graph::rename(&new_base, COPY_SLICES);
        base.write_from(&new_base, op)?;
        base.0.meta.lock().grad_fn = new_base.grad_fn();
        self.take_history_from(base, &positions)
    }

    /// A view's history after an in-place write moved the storage version
    /// since it was set (a write to the base, or through another view of
    /// it): taken again from the base's current history, as PyTorch does
    /// when it regenerates a view's grad_fn (AsStridedBackward0).
    pub(crate) fn refresh_view_history(&self) {
        // the common case (not a view) costs one lock and no version read
        if self.0.meta.lock().view_base.is_none() {
            return;
        }
        let now = self.version();
        let base = {
            let m = self.0.meta.lock();
            match &m.view_base {
                Some(b) if now != m.view_version => b.clone(),
                _ => return,
            }
        };
        if !base.requires_grad() {
            return;
        }
        let _on = GradModeGuard::new(true);
        let positions = self.positions_in(&base);
        // on failure the old history stays: it is what PyTorch's view replay
        // falls back to as well, and grad_fn access cannot raise here
        let _ = self.take_history_from(&base, &positions);
    }

    /// Sets this view's grad_fn to "the elements at `positions` of `base`
    /// as it is now".
    fn take_history_from(&self, base: &Tensor, positions: &Tensor) -> Result<()> {
        let flat_positions = positions.reshape_to(&[positions.numel()])?;
        let shape = self.shape();
        let version = self.version();
        // the base's current node, reached without refreshing the base
        // itself (a root: it is not a view)
        let gathered =
            crate::composite::composite("AsStridedBackward0", &[Some(base)], None, |a| {
                let b = a[0]
                    .as_ref()
                    .ok_or_else(|| Error::Runtime("view history: no base".into()))?;
                b.reshape_to(&[b.numel()])?
                    .index_select(0, &flat_positions)?
                    .reshape_to(&shape)
            })?;
        let mut m = self.0.meta.lock();
        m.grad_fn = gathered.grad_fn();
        m.view_version = version;
        Ok(())
    }

    /// Row-major positions in `base` of this view's elements.
    fn positions_in(&self, base: &Tensor) -> Tensor {
        let bl = base.layout();
        let mut by_offset: Vec<(usize, i64)> = Vec::with_capacity(bl.numel());
        let mut i = 0i64;
        bl.for_each_offset(|o| {
            by_offset.push((o, i));
            i += 1;
        });
        by_offset.sort_unstable();
        let sl = self.layout();
        let mut pos = Vec::with_capacity(sl.numel());
        sl.for_each_offset(|o| {
            let k = by_offset.partition_point(|&(off, _)| off < o);
            pos.push(by_offset.get(k).map(|&(_, p)| p).unwrap_or(0));
        });
        Tensor::from_i64(pos, sl.shape)
    }

    /// Copies `result`'s elements into self's storage and bumps the version.
    fn write_from(&self, result: &Tensor, op: &'static str) -> Result<()> {
        let shape = self.shape();
        {
            let v = self.view_guard();
            let r = result.view_guard();
            let rl = r.layout.expand(op, &shape)?;
            if Arc::ptr_eq(&v.storage, &r.storage) {
                // Same storage (x += x): copy the source out first.
                let tmp = r
                    .storage
                    .data
                    .read_recursive()
                    .to_contiguous(&rl, self.dtype())?;
                v.storage.data.write().copy_from(
                    &v.layout,
                    &tmp,
                    &crate::layout::Layout::contiguous(shape.clone()),
                )?;
            } else {
                let src = r.storage.data.read_recursive();
                v.storage.data.write().copy_from(&v.layout, &src, &rl)?;
            }
            if v.tracks_version {
                v.storage.bump_version();
            }
        }
        Ok(())
    }

    /// `self op= alpha * other` straight into this tensor's CPU elements when
    /// nothing needs recording, this tensor is contiguous, keeps its dtype,
    /// and `other` is a contiguous tensor of its shape or a single element.
    /// Ok(false) leaves everything to the general path (`inplace_source` +
    /// `inplace_update`), which computes out of place and copies back: on
    /// 200K floats that took 31 us against PyTorch's 8.
    pub fn binary_inplace_direct(&self, op: BinaryOp, other: &Tensor, alpha: f64) -> Result<bool> {
        if !matches!(
            op,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
        ) || needs_grad(&[self, other])
            || !self.dtype().is_float()
        {
            return Ok(false);
        }
        if self.device() != other.device() && other.numel() != 1 {
            return Ok(false);
        }
        // decided before any cast: a promoting op goes to the general path
        if self.binary_compute_dtype(op, other) != self.dtype() {
            return Ok(false);
        }
        // unscaled: the kernel applies alpha (as the general path would, rounded to the dtype)
        let b = other.cast_nograd(self.dtype())?;
        let v = self.view_guard();
        let bv = b.view_guard();
        let Some(dst_range) = v.layout.contiguous_range() else {
            return Ok(false);
        };
        let src_range = if bv.layout.numel() == 1 && bv.layout.ndim() <= v.layout.ndim() {
            bv.layout.offset..bv.layout.offset + 1
        } else if bv.layout.shape == v.layout.shape {
            match bv.layout.contiguous_range() {
                Some(r) => r,
                None => return Ok(false),
            }
        } else {
            return Ok(false);
        };
        // x op= x (or an overlapping view): the general path copies the source out first.
        if Arc::ptr_eq(&v.storage, &bv.storage) {
            return Ok(false);
        }
        let src = bv.storage.data.read_recursive();
        let mut dst = v.storage.data.write();
        let done = match (&mut *dst, &*src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => crate::backend::cpu::elementwise::binary_inplace(
                op, d, dst_range, s, src_range, alpha,
            ),
            _ => false,
        };
        if done && v.tracks_version {
            v.storage.bump_version();
        }
        Ok(done)
    }

    /// `self += other` without recording (gradient accumulation, optimizers).
    pub fn add_inplace_raw(&self, other: &Tensor) -> Result<()> {
        let _g = GradModeGuard::new(false);
        let r = self.add(other)?;
        self.inplace_update(&r, "add_")
    }

    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        self.check_inplace()?;
        // copy_ crosses devices (load_state_dict into a model on the GPU)
        let r = src.to_dtype(self.dtype())?.to_device(self.device())?;
        let r = if needs_grad(&[self, &r]) && self.dtype().is_float() {
            // the old values get zero gradient, src gets the incoming one
            let r = self.mul_scalar(0.0)?.add(&r)?;
            crate::graph::rename(&r, "CopyBackwards");
            r
        } else {
            r
        };
        self.inplace_update(&r, "copy_")
    }

    pub fn fill_(&self, value: f64) -> Result<()> {
        self.check_inplace()?;
        let r = if needs_grad(&[self]) && self.dtype().is_float() {
            let r = self.mul_scalar(0.0)?.add_scalar(value)?;
            crate::graph::rename(&r, "FillBackward0");
            r
        } else {
            Tensor::full_on(&[], value, self.dtype(), self.device())?
        };
        self.inplace_update(&r, "fill_")
    }

    /// `self[args] = value`.
    pub fn index_put_(&self, args: &[IndexArg], value: &Tensor) -> Result<()> {
        self.check_inplace()?;
        // `x[i] = v` copies v over, as copy_ does: a value on another device
        // (a Python number arrives as a CPU scalar) moves to x's
        let moved;
        let value = if value.device() != self.device() {
            moved = value.to_dtype(self.dtype())?.to_device(self.device())?;
            &moved
        } else {
            value
        };
        let (view, adv) = self.apply_basic_pub(args)?;
        let basic = adv.is_empty();
        if basic && !needs_grad(&[self, value]) {
            let _g = GradModeGuard::new(false);
            return view.inplace_update(&value.to_dtype(self.dtype())?, "index_put_");
        }
        let positions = self.index_positions(args)?;
        let r = self.put(&positions, value, false)?;
        // `x[1] = v` writes through a slice (PyTorch's CopySlices); `x[idx] = v` is an index_put
        if basic {
            crate::graph::rename(&r, COPY_SLICES);
        }
        self.inplace_update(&r, "index_put_")
    }
}
