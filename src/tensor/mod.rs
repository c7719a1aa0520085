//! `Tensor`: a view (storage + layout) plus autograd metadata. Each op
//! validates its arguments, computes through `Storage`, and records a graph
//! node when grad mode is on and an input requires grad. Ops are split by
//! family into the files of this module.

pub mod activation_ops;
mod arith;
mod as_strided;
mod attention;
pub mod avg_pool;
mod batch_norm;
mod conv;
mod creation;
mod held;
mod index;
mod inplace;
mod linalg;
mod norm;
mod optim;
mod pair_loss;
pub(crate) mod prod_backward;
mod reduce;
mod rnn;
mod roll;
mod scan;
mod spaced;
mod views;
mod window;

pub use conv::ConvCtx;
pub use index::IndexArg;
pub use rnn::LstmWeights;
pub(crate) use scan::{cumprod_backward, reversed_cumsum};
pub use window::Window2d;

use crate::dtype::{DType, OperandKind};
use crate::error::{Error, Result};
use crate::grad_mode::is_grad_enabled;
use crate::grad_rules::Rule;
use crate::graph::{Edge, GradHook, NodeId, NodeRef, PostAccumulateHook, ARENA};
use crate::layout::Layout;
use crate::shape::Shape;
use crate::storage::{Device, Storage, StorageCell};
use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use std::sync::Arc;

/// Where a tensor's elements are: shared storage and this tensor's layout.
#[derive(Clone)]
pub struct View {
    pub storage: Arc<StorageCell>,
    pub layout: Layout,
    /// False for `x.data` and views of it: as in PyTorch, writes through
    /// `.data` are invisible to autograd's version checks.
    pub tracks_version: bool,
}

#[derive(Default)]
pub struct Meta {
    /// Set on leaves by the user; non-leaves require grad through `grad_fn`.
    pub requires_grad: bool,
    pub grad_fn: Option<NodeRef>,
    pub grad: Option<Tensor>,
    /// The leaf's AccumulateGrad node, if one is alive (not counted).
    pub accumulator: Option<NodeId>,
    pub retains_grad: bool,
    /// Hooks on a leaf's gradient (non-leaf hooks live on their grad_fn node).
    pub hooks: Vec<(u64, GradHook)>,
    /// Hooks called with the leaf after its `.grad` was accumulated.
    pub post_accumulate_hooks: Vec<(u64, PostAccumulateHook)>,
    /// For a view made while grad mode was on: the tensor it views (the root
    /// of a chain of views), so an in-place write through the view can
    /// rewrite the base's history too (PyTorch's CopySlices).
    pub view_base: Option<Tensor>,
    /// The storage version at which a view's `grad_fn` was set: when an
    /// in-place write (to the base or another view) has moved the version
    /// since, the history is stale and is taken again from the base.
    pub view_version: u64,
    /// Output `nr` of a function returning several views of one base
    /// (unbind, split): PyTorch refuses in-place writes to such a view
    /// while it is in the graph.
    pub multi_output_view: Option<(&'static str, u32)>,
    /// The forward-AD tangent in the current dual level (see `forward_ad`).
    pub tangent: Option<crate::forward_ad::Tangent>,
}

pub struct TensorInner {
    pub(crate) view: RwLock<View>,
    pub(crate) meta: Mutex<Meta>,
    /// A Python number turned into a 0-d tensor: lowest rank in type promotion.
    pub(crate) wrapped_number: bool,
    /// Made under `inference_mode` (PyTorch's inference tensor).
    pub(crate) inference: bool,
}

#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<TensorInner>);

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tensor(shape={}, dtype={})",
            crate::shape::fmt_shape(&self.shape()),
            self.dtype()
        )
    }
}

impl Tensor {
    pub fn from_storage(storage: Storage, layout: Layout) -> Tensor {
        Tensor::from_view(View {
            storage: Arc::new(StorageCell::new(storage)),
            layout,
            tracks_version: true,
        })
    }
    pub fn from_view(view: View) -> Tensor {
        Tensor(Arc::new(TensorInner {
            view: RwLock::new(view),
            meta: Mutex::new(Meta::default()),
            wrapped_number: false,
            inference: crate::grad_mode::is_inference_mode(),
        }))
    }
    /// A contiguous tensor over a fresh storage.
    pub fn contiguous_from(storage: Storage, shape: impl Into<Shape>) -> Tensor {
        Tensor::from_storage(storage, Layout::contiguous(shape))
    }
    /// A Python number as a 0-d tensor that ranks lowest in type promotion.
    /// Recently used ones are shared: they are immutable and never reach Python,
    /// and `x * 3` in a loop then allocates nothing for the 3.
    pub fn wrapped_scalar(v: f64, dtype: DType) -> Tensor {
        thread_local! {
            static RECENT: std::cell::RefCell<Vec<(u64, DType, Tensor)>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let key = v.to_bits();
        if let Some(t) = RECENT.with(|r| {
            r.borrow()
                .iter()
                .find(|(k, d, _)| *k == key && *d == dtype)
                .map(|(_, _, t)| t.clone())
        }) {
            return t;
        }
        let t = Tensor::new_wrapped_scalar(v, dtype);
        RECENT.with(|r| {
            let mut r = r.borrow_mut();
            if r.len() >= 8 {
                r.remove(0);
            }
            r.push((key, dtype, t.clone()));
        });
        t
    }

    fn new_wrapped_scalar(v: f64, dtype: DType) -> Tensor {
        let storage = Storage::Cpu(crate::backend::cpu::CpuStorage::full(dtype, 1, v));
        Tensor(Arc::new(TensorInner {
            view: RwLock::new(View {
                storage: Arc::new(StorageCell::new(storage)),
                layout: Layout::contiguous(vec![]),
                tracks_version: true,
            }),
            meta: Mutex::new(Meta::default()),
            wrapped_number: true,
            inference: false,
        }))
    }

    /// A Python int as a wrapped 0-d int64 tensor (exact for all i64).
    pub fn wrapped_i64(v: i64) -> Tensor {
        use crate::backend::cpu::IntoStorage;
        let storage = Storage::Cpu(vec![v].into_storage());
        Tensor(Arc::new(TensorInner {
            view: RwLock::new(View {
                storage: Arc::new(StorageCell::new(storage)),
                layout: Layout::contiguous(vec![]),
                tracks_version: true,
            }),
            meta: Mutex::new(Meta::default()),
            wrapped_number: true,
            inference: false,
        }))
    }

    /// Whether the tensor was made under `inference_mode` (PyTorch's
    /// inference tensor).
    pub fn is_inference(&self) -> bool {
        self.0.inference
    }

    pub fn view_guard(&self) -> RwLockReadGuard<'_, View> {
        self.0.view.read_recursive()
    }
    pub fn layout(&self) -> Layout {
        self.view_guard().layout.clone()
    }
    pub fn shape(&self) -> Shape {
        self.view_guard().layout.shape.clone()
    }
    pub fn strides(&self) -> Shape {
        self.view_guard().layout.strides.clone()
    }
    pub fn ndim(&self) -> usize {
        self.view_guard().layout.ndim()
    }
    pub fn numel(&self) -> usize {
        self.view_guard().layout.numel()
    }
    pub fn dtype(&self) -> DType {
        self.view_guard().storage.dtype
    }
    pub fn device(&self) -> Device {
        self.view_guard().storage.data.read_recursive().device()
    }
    pub fn is_contiguous(&self) -> bool {
        self.view_guard().layout.is_contiguous()
    }
    pub fn storage_cell(&self) -> Arc<StorageCell> {
        self.view_guard().storage.clone()
    }
    pub fn version(&self) -> u64 {
        self.view_guard().storage.version()
    }
    pub fn same_tensor(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
    /// (dtype, kind) for `result_type`, under one lock.
    pub fn promotion_operand(&self) -> (DType, OperandKind) {
        let v = self.view_guard();
        let kind = if self.0.wrapped_number {
            OperandKind::Wrapped
        } else if v.layout.ndim() == 0 {
            OperandKind::ZeroDim
        } else {
            OperandKind::Dimensioned
        };
        (v.storage.dtype, kind)
    }
    /// Runs `f` on the storage and layout under a read lock.
    pub fn with_storage<R>(&self, f: impl FnOnce(&Storage, &Layout) -> R) -> R {
        let v = self.view_guard();
        let s = v.storage.data.read_recursive();
        f(&s, &v.layout)
    }
    /// A contiguous copy of the elements, cast to `dtype`.
    pub fn to_contiguous_storage(&self, dtype: DType) -> Result<Storage> {
        self.with_storage(|s, l| s.to_contiguous(l, dtype))
    }
    /// The elements as f64 on the host (downloads from the GPU).
    pub fn to_f64_vec(&self) -> Result<Vec<f64>> {
        self.with_storage(|s, l| s.to_f64_vec(l))
    }
    pub fn to_i64_vec(&self) -> Result<Vec<i64>> {
        self.with_storage(|s, l| s.to_i64_vec(l))
    }
    pub fn item_f64(&self) -> Result<f64> {
        let n = self.numel();
        if n != 1 {
            return Err(Error::Runtime(format!(
                "a Tensor with {n} elements cannot be converted to Scalar"
            )));
        }
        if self.device() == crate::storage::Device::Meta {
            return Err(Error::Runtime(
                "Tensor.item() cannot be called on meta tensors".into(),
            ));
        }
        Ok(self.to_f64_vec()?[0])
    }

    // ---- autograd metadata ----

    pub fn requires_grad(&self) -> bool {
        let m = self.0.meta.lock();
        m.requires_grad || m.grad_fn.is_some()
    }
    /// An op's derivative for this input is needed: for backward (it
    /// requires grad) or for forward AD (it carries a tangent).
    pub fn needs_derivative(&self) -> bool {
        self.requires_grad() || crate::forward_ad::any_tangent(&[self])
    }
    pub fn is_leaf(&self) -> bool {
        self.0.meta.lock().grad_fn.is_none()
    }
    pub fn set_requires_grad(&self, flag: bool) -> Result<()> {
        let mut m = self.0.meta.lock();
        if m.grad_fn.is_some() {
            if !flag {
                return Err(Error::Autograd("you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().".into()));
            }
            return Ok(());
        }
        if flag && !self.dtype().is_float() {
            return Err(Error::Autograd(
                "Only Tensors of floating point and complex dtype can require gradients".into(),
            ));
        }
        m.requires_grad = flag;
        Ok(())
    }
    pub fn grad(&self) -> Option<Tensor> {
        self.0.meta.lock().grad.clone()
    }
    pub fn set_grad(&self, g: Option<Tensor>) -> Result<()> {
        if let Some(g) = &g {
            if g.shape() != self.shape() {
                return Err(Error::Runtime(format!(
                    "attempting to assign a gradient of size '{}' to a tensor of size '{}'. Please ensure that the gradient and the tensor are the same size",
                    crate::shape::fmt_shape(&g.shape()),
                    crate::shape::fmt_shape(&self.shape())
                )));
            }
            if g.dtype() != self.dtype() {
                // PyTorch's C++ type names
                let cpp = |d: crate::dtype::DType| match d {
                    crate::dtype::DType::F32 => "float",
                    crate::dtype::DType::F64 => "double",
                    crate::dtype::DType::I64 => "long int",
                    crate::dtype::DType::Bool => "bool",
                };
                return Err(Error::Runtime(format!(
                    "attempting to assign a gradient with dtype '{}' to a tensor with grad_dtype '{}'. The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break downstream systems that assume they match.",
                    cpp(g.dtype()),
                    self.dtype().scalar_name()
                )));
            }
        }
        self.0.meta.lock().grad = g;
        Ok(())
    }
    pub fn grad_fn(&self) -> Option<NodeRef> {
        self.refresh_view_history();
        self.0.meta.lock().grad_fn.clone()
    }
    pub fn grad_fn_id(&self) -> Option<NodeId> {
        self.refresh_view_history();
        self.0.meta.lock().grad_fn.as_ref().map(|n| n.id())
    }
    pub fn retains_grad(&self) -> bool {
        self.0.meta.lock().retains_grad
    }
    pub fn retain_grad(&self) -> Result<()> {
        let mut m = self.0.meta.lock();
        let Some(node) = m.grad_fn.as_ref().map(|n| n.id()) else {
            if !m.requires_grad {
                return Err(Error::Autograd(
                    "can't retain_grad on Tensor that has requires_grad=False".into(),
                ));
            }
            return Ok(()); // leaves always keep their grad
        };
        m.retains_grad = true;
        drop(m);
        if let Some(n) = ARENA.lock().get_mut(node) {
            n.retain = Some(Arc::downgrade(&self.0));
        }
        Ok(())
    }
    /// Adds a hook on this tensor's gradient; returns its id (for `remove_hook`).
    pub fn register_hook(&self, hook: GradHook) -> Result<u64> {
        if !self.requires_grad() {
            return Err(Error::Autograd(
                "cannot register a hook on a tensor that doesn't require gradient".into(),
            ));
        }
        let id = crate::graph::next_hook_id();
        let node = self.grad_fn_id();
        match node {
            Some(node) => {
                if let Some(n) = ARENA.lock().get_mut(node) {
                    n.hooks.push((id, hook));
                }
            }
            None => self.0.meta.lock().hooks.push((id, hook)),
        }
        Ok(id)
    }
    /// Adds a hook called with this leaf after its `.grad` was accumulated.
    pub fn register_post_accumulate_grad_hook(&self, hook: PostAccumulateHook) -> Result<u64> {
        if !self.is_leaf() {
            return Err(Error::Autograd(
                "post accumulate grad hooks cannot be registered on non-leaf tensors".into(),
            ));
        }
        if !self.requires_grad() {
            return Err(Error::Autograd(
                "cannot register a hook on a tensor that doesn't require gradient".into(),
            ));
        }
        let id = crate::graph::next_hook_id();
        self.0.meta.lock().post_accumulate_hooks.push((id, hook));
        Ok(id)
    }
    /// Takes the hook `id` off this tensor (wherever it was registered).
    pub fn remove_hook(&self, id: u64) {
        // the removed hooks are dropped after the locks are released: a
        // hook may hold the last reference to tensors whose drop frees nodes
        let (removed, removed_post, node) = {
            let mut m = self.0.meta.lock();
            (
                take_where(&mut m.hooks, |(h, _)| *h == id),
                take_where(&mut m.post_accumulate_hooks, |(h, _)| *h == id),
                m.grad_fn.as_ref().map(|n| n.id()),
            )
        };
        let removed_from_node = node.map(|n| match ARENA.lock().get_mut(n) {
            Some(n) => take_where(&mut n.hooks, |(h, _)| *h == id),
            None => Vec::new(),
        });
        drop((removed, removed_post, removed_from_node));
    }
    /// A tensor sharing this one's storage, outside the graph.
    pub fn detach(&self) -> Tensor {
        Tensor::from_view(self.view_guard().clone())
    }
    /// `x.data`: like detach, but in-place writes through it are not seen by
    /// the version checks of graphs that saved `x`.
    pub fn data_alias(&self) -> Tensor {
        let mut v = self.view_guard().clone();
        v.tracks_version = false;
        Tensor::from_view(v)
    }
    /// Takes the tensor out of the graph in place (`detach_`).
    pub fn detach_(&self) {
        let mut m = self.0.meta.lock();
        m.grad_fn = None;
        m.requires_grad = false;
    }
    /// Replaces storage and layout (`x.data = y`).
    pub fn set_data(&self, other: &Tensor) {
        let v = other.view_guard().clone();
        *self.0.view.write() = v;
    }

    /// A tensor over the same elements whose grad_fn is an identity node on
    /// this one: a separate entry point into this tensor's history (what a
    /// composite op computes on, see `composite`).
    pub fn graph_alias(&self) -> Tensor {
        let out = self.detach();
        record(&out, "AliasBackward0", &[self], || Rule::Identity);
        out
    }
    /// Makes `node` this tensor's history (a freshly computed result).
    pub(crate) fn set_grad_fn(&self, node: NodeRef) {
        self.0.meta.lock().grad_fn = Some(node);
    }

    /// The edge to take for an input that requires grad: its grad_fn, or its
    /// AccumulateGrad node (created on first use and shared while alive).
    pub(crate) fn edge_for(&self, out_shape: &[usize]) -> Option<Edge> {
        self.refresh_view_history();
        let mut m = self.0.meta.lock();
        let node = if let Some(f) = &m.grad_fn {
            f.clone().into_id()
        } else if m.requires_grad {
            let existing = m.accumulator.and_then(NodeRef::from_id);
            match existing {
                Some(r) => r.into_id(),
                None => {
                    let r = NodeRef::create(
                        "torch::autograd::AccumulateGrad",
                        Rule::AccumulateGrad(Arc::downgrade(&self.0)),
                        Default::default(),
                    );
                    m.accumulator = Some(r.id());
                    r.into_id()
                }
            }
        } else {
            return None;
        };
        drop(m);
        let v = self.view_guard();
        // The shape is kept only where it differs from the output's (broadcasting).
        let shape = (v.layout.shape.as_slice() != out_shape).then(|| v.layout.shape.clone());
        Some(Edge {
            node,
            shape,
            dtype: v.storage.dtype,
        })
    }
    /// The AccumulateGrad node of a leaf, for `next_functions`.
    pub fn accumulator_ref(&self) -> Option<NodeRef> {
        if !self.is_leaf() || !self.requires_grad() {
            return None;
        }
        let e = self.edge_for(&[])?;
        // edge_for gave us a count; wrap it so it is released when dropped.
        Some(NodeRef::adopt(e.node))
    }
}

/// True when an op on `inputs` must be recorded: for the backward graph,
/// or for forward AD (an input carries a tangent).
pub fn needs_grad(inputs: &[&Tensor]) -> bool {
    (is_grad_enabled() && inputs.iter().any(|t| t.requires_grad()))
        || crate::forward_ad::any_tangent(inputs)
}

/// Records `out = op(inputs)` in the graph and, under forward AD, gives
/// `out` its tangent. `rule` is built only when needed.
pub fn record(out: &Tensor, name: &'static str, inputs: &[&Tensor], rule: impl FnOnce() -> Rule) {
    let tangents = crate::forward_ad::input_tangents(inputs);
    if !is_grad_enabled() {
        if let Some(tangents) = tangents {
            crate::forward_ad::propagate(out, name, inputs, &rule(), tangents);
        }
        return;
    }
    // One pass: each input's edge (None when it needs no grad).
    let edges: crate::graph::Edges = {
        let ov = out.view_guard();
        inputs
            .iter()
            .map(|t| t.edge_for(&ov.layout.shape))
            .collect()
    };
    if edges.iter().all(|e| e.is_none()) {
        if let Some(tangents) = tangents {
            crate::forward_ad::propagate(out, name, inputs, &rule(), tangents);
        }
        return;
    }
    let rule = rule();
    if let Some(tangents) = tangents {
        crate::forward_ad::propagate(out, name, inputs, &rule, tangents);
    }
    let node = NodeRef::create(name, rule, edges);
    let mut hidden = non_differentiable_inputs(inputs);
    if name == "NotImplemented" {
        // PyTorch's not-implemented node lists only the inputs that require grad
        hidden |= inputs
            .iter()
            .take(32)
            .enumerate()
            .filter(|(_, t)| !t.requires_grad())
            .fold(0, |b, (i, _)| b | (1 << i));
    }
    if hidden != 0 {
        if let Some(n) = crate::graph::ARENA.lock().get_mut(node.id()) {
            n.hidden_inputs = hidden;
        }
    }
    out.0.meta.lock().grad_fn = Some(node);
}

/// One bit per bool or integer input (not a Python number, which PyTorch
/// wraps in a tensor and lists): PyTorch lists only differentiable inputs
/// among a node's `next_functions`.
pub(crate) fn non_differentiable_inputs(inputs: &[&Tensor]) -> u32 {
    inputs
        .iter()
        .take(32)
        .enumerate()
        .filter(|(_, t)| !t.dtype().is_float() && !t.0.wrapped_number)
        .fold(0, |bits, (i, _)| bits | (1 << i))
}

/// Moves the items of `v` that match `pred` out of it (keeping the order of the rest).
pub(crate) fn take_where<T>(v: &mut Vec<T>, pred: impl Fn(&T) -> bool) -> Vec<T> {
    let (taken, kept) = std::mem::take(v).into_iter().partition(|x| pred(x));
    *v = kept;
    taken
}
