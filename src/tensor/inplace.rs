//! In-place ops. The result is computed out of place (recording the graph as
//! usual), written into this tensor's storage, and the tensor takes the
//! result's grad_fn; the storage version is bumped so saved copies of the old
//! values are detected at backward time.

use super::{needs_grad, IndexArg, Tensor};
use crate::error::{shape_err, Error, Result};
use crate::grad_mode::{is_grad_enabled, GradModeGuard};
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

    /// The source to compute an in-place op from. When the graph will save
    /// it: a copy of the values (so a later backward sees the pre-update
    /// values) that carries this tensor's history itself, so the op's node
    /// follows this tensor's previous node directly, as PyTorch's in-place
    /// nodes do (no clone node in between).
    pub fn inplace_source(&self) -> Result<Tensor> {
        self.inplace_source_for(&[])
    }

    /// `inplace_source` for an op whose other operands are not known here
    /// (one written in Python): in grad mode the old values are copied
    /// whenever they may be saved.
    pub fn inplace_source_for_unknown(&self) -> Result<Tensor> {
        if is_grad_enabled() && self.dtype().is_float() {
            self.check_inplace()?;
            return self.history_carrying_copy();
        }
        self.inplace_source()
    }

    /// `inplace_source` for an op that also reads `others`: when one of
    /// them requires grad, the op's node may save this tensor's old values
    /// (`a.mul_(x)` saves `a` for x's gradient), so they are copied too.
    pub fn inplace_source_for(&self, others: &[&Tensor]) -> Result<Tensor> {
        self.check_inplace()?;
        if !needs_grad(&[self]) && !needs_grad(others) {
            return Ok(self.clone());
        }
        self.history_carrying_copy()
    }

    /// A copy of the values that carries this tensor's history itself.
    fn history_carrying_copy(&self) -> Result<Tensor> {
        let copy = self.clone_data()?;
        crate::forward_ad::carry(self, &copy);
        // without history: a plain copy (a leaf that requires grad was refused)
        if let Some(history) = self.grad_fn() {
            copy.set_grad_fn(history);
        }
        Ok(copy)
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
        crate::forward_ad::after_inplace(self, result)?;
        if is_grad_enabled() && result.requires_grad() {
            let base = self.0.meta.lock().view_base.clone();
            if let Some(base) = base {
                return self.update_through_base(&base, result, op);
            }
        }
        self.write_from(result, op)?;
        if let Some(f) = result.grad_fn() {
            if result.dtype().is_float() && self.dtype().is_float() {
                self.rebind_saved_output(&f);
                self.0.meta.lock().grad_fn = Some(f);
            }
        }
        Ok(())
    }

    /// The op node `f` that wrote this tensor in place saved its output:
    /// from now on that is this tensor (see `Rule::rebind_saved_output`).
    fn rebind_saved_output(&self, f: &NodeRef) {
        if let Some(n) = crate::graph::ARENA.lock().get_mut(f.id()) {
            n.rule.rebind_saved_output(self);
        }
    }

    /// An in-place write through a view of a tensor in the graph: the base
    /// gets the written elements (its history becomes a put of `result` at
    /// the view's positions) and the view becomes a gather of the new base.
    fn update_through_base(&self, base: &Tensor, result: &Tensor, op: &'static str) -> Result<()> {
        if let Some((function, nr)) = self.0.meta.lock().multi_output_view {
            return Err(Error::Autograd(format!("Output {nr} of {function} is a view and is being modified inplace. This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one.")));
        }
        if base.is_leaf() && base.requires_grad() {
            return Err(Error::Autograd("a view of a leaf Variable that requires grad is being used in an in-place operation.".into()));
        }
        let positions = self.positions_in(base);
        if let Some(node) = self.copy_slices_node(base, result, &positions)? {
            let new_base = {
                let _g = GradModeGuard::new(false);
                base.put(&positions, result, false)?
            };
            base.write_from(&new_base, op)?;
            if let Some(f) = result.grad_fn() {
                self.rebind_saved_output(&f);
            }
            base.0.meta.lock().grad_fn = Some(node);
            return self.take_history_from(base, &positions);
        }
        // an op whose node does not read the view directly: a put of its
        // result, the gradient to the view through the op's whole graph
        let values = result.to_dtype(self.dtype())?.expand(&self.shape())?;
        let new_base = base.put(&positions, &values, false)?;
        crate::graph::rename(&new_base, COPY_SLICES);
        base.write_from(&new_base, op)?;
        base.0.meta.lock().grad_fn = new_base.grad_fn();
        self.take_history_from(base, &positions)
    }

    /// PyTorch's CopySlices node for writing `result` through this view of
    /// `base`, when `result`'s node reads the view directly (its first input
    /// is this view's history, the shape and dtype the view's): edges to
    /// the base and to the op's other inputs. None otherwise.
    fn copy_slices_node(
        &self,
        base: &Tensor,
        result: &Tensor,
        positions: &Tensor,
    ) -> Result<Option<NodeRef>> {
        if result.shape() != self.shape() || result.dtype() != self.dtype() {
            return Ok(None);
        }
        let Some(op) = result.grad_fn() else {
            return Ok(None);
        };
        let view_node = self.grad_fn_id();
        let first_edge = crate::graph::ARENA
            .lock()
            .get(op.id())
            .map(|n| n.edges.first().cloned().flatten());
        // the op reads the view (or the view has no history, and then no
        // gradient flows into the base's region either way)
        let reads_view = match (first_edge, view_node) {
            (Some(Some(e)), Some(v)) => e.node == v,
            (Some(None), None) => true,
            _ => false,
        };
        if !reads_view {
            return Ok(None);
        }
        let Some((rest, hidden)) = crate::graph::edges_after_first(op.id()) else {
            return Ok(None);
        };
        let mut edges: crate::graph::Edges = smallvec::smallvec![base.edge_for(&base.shape())];
        edges.extend(rest);
        let rule = crate::grad_rules::Rule::CopySlices {
            positions: positions.clone(),
            op: std::sync::Arc::new(op),
        };
        let node = NodeRef::create(COPY_SLICES, rule, edges);
        if let Some(n) = crate::graph::ARENA.lock().get_mut(node.id()) {
            n.hidden_inputs = hidden;
        }
        Ok(Some(node))
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
        if self.binary_inplace_direct(BinaryOp::Add, other, 1.0)? {
            return Ok(());
        }
        let r = self.add(other)?;
        self.inplace_update(&r, "add_")
    }

    /// `copy_`: PyTorch's CopyBackwards node over this tensor's old history
    /// (zero gradient) and `src` (the gradient, summed over broadcasting).
    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        self.check_inplace()?;
        // copy_ crosses devices (load_state_dict into a model on the GPU)
        let (dtype, device, shape) = (self.dtype(), self.device(), self.shape());
        if !(needs_grad(&[self, src]) && dtype.is_float()) {
            let _g = GradModeGuard::new(false);
            // detached: a source with history (copied under no_grad) must
            // not hand that history to this tensor
            let value = src.to_dtype(dtype)?.to_device(device)?.detach();
            return self.inplace_update(&value, "copy_");
        }
        let target = self.inplace_source()?;
        let r =
            crate::composite::composite("CopyBackwards", &[Some(&target), Some(src)], None, |a| {
                let s = a[1]
                    .as_ref()
                    .ok_or_else(|| Error::Runtime("copy_: the source is missing".into()))?;
                s.to_dtype(dtype)?.to_device(device)?.expand(&shape)
            })?;
        self.inplace_update(&r, "copy_")
    }

    /// `fill_(number)` (FillBackward2) and `zero_()` (ZeroBackward0): the old
    /// values get a zero gradient.
    pub fn fill_(&self, value: f64) -> Result<()> {
        self.fill_named(value, "FillBackward2")
    }

    pub fn zero_(&self) -> Result<()> {
        self.fill_named(0.0, "ZeroBackward0")
    }

    fn fill_named(&self, value: f64, name: &'static str) -> Result<()> {
        self.check_inplace()?;
        let filled = Tensor::full_on(&self.shape(), value, self.dtype(), self.device())?;
        if needs_grad(&[self]) && self.dtype().is_float() {
            let target = self.inplace_source()?;
            super::record(&filled, name, &[&target], || crate::grad_rules::Rule::Zero);
        }
        self.inplace_update(
            &filled,
            if name == "ZeroBackward0" {
                "zero_"
            } else {
                "fill_"
            },
        )
    }

    /// `fill_(value)` with a 0-d tensor: FillBackward3, the value's gradient
    /// the sum of the incoming one.
    pub fn fill_tensor_(&self, value: &Tensor) -> Result<()> {
        self.check_inplace()?;
        if value.ndim() != 0 {
            return Err(Error::Runtime(format!(
                "fill_ only supports 0-dimension value tensor but got tensor with {} dimensions.",
                value.ndim()
            )));
        }
        let (dtype, device, shape) = (self.dtype(), self.device(), self.shape());
        if !(needs_grad(&[self, value]) && dtype.is_float()) {
            let _g = GradModeGuard::new(false);
            return self.inplace_update(&value.to_dtype(dtype)?.to_device(device)?, "fill_");
        }
        let target = self.inplace_source()?;
        let r = crate::composite::composite(
            "FillBackward3",
            &[Some(&target), Some(value)],
            None,
            |a| {
                let v = a[1]
                    .as_ref()
                    .ok_or_else(|| Error::Runtime("fill_: the value is missing".into()))?;
                v.to_dtype(dtype)?.to_device(device)?.expand(&shape)
            },
        )?;
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
        if basic && (view.same_tensor(self) || view.layout() == self.layout()) {
            // `x[:] = v` is a fill of a number or a copy of v, as PyTorch does it
            if value.0.wrapped_number {
                return self.fill_(value.item_f64()?);
            }
            return self.copy_(&value.expand(&self.shape())?);
        }
        let positions = self.index_positions(args)?;
        let r = self.put(&positions, value, false)?;
        // `x[1] = v` writes through a slice (PyTorch's CopySlices); `x[idx] = v` is an index_put
        if basic {
            crate::graph::rename(&r, COPY_SLICES);
        }
        if value.0.wrapped_number {
            // a Python number is no input of PyTorch's node
            crate::graph::hide_inputs(&r, 0b10);
        }
        self.inplace_update(&r, "index_put_")
    }
}
