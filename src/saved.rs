//! A tensor saved for backward (PyTorch's SavedVariable): the tensor, or
//! what a saved-tensor pack hook made of it, with the storage version at
//! save time so a later in-place write is caught instead of read.

use crate::error::{Error, Result};
use crate::graph::{NodeId, NodeRef, ARENA};
use crate::saved_hooks::Packed;
use crate::storage::StorageCell;
use crate::tensor::{Tensor, TensorInner};
use std::sync::{Arc, Weak};

#[derive(Clone)]
pub struct Saved {
    value: Value,
    version: u64,
    /// Saved outputs are kept detached (no reference cycle node -> output ->
    /// node) and re-attached to their node when unpacked under create_graph.
    is_output: bool,
}

#[derive(Clone)]
enum Value {
    Kept(Tensor),
    /// Handed to a pack hook: the tensor itself is not kept, only what
    /// unpacking needs to give it back its place in the graph.
    Packed {
        packed: Arc<dyn Packed>,
        /// The input's grad_fn (None for an output or a tensor without history).
        grad_fn: Option<Arc<NodeRef>>,
        /// A leaf input that requires grad: a second-order backward must
        /// reach its accumulator, so it is used itself while it lives.
        leaf: Option<Weak<TensorInner>>,
        /// For the version check: the storage, while anything else keeps it.
        storage: Weak<StorageCell>,
        what: String,
    },
}

impl Value {
    /// What is kept of `original` once a pack hook made `packed` of it.
    fn packed(packed: Arc<dyn Packed>, original: &Tensor, is_output: bool) -> Value {
        let leaf = (!is_output && original.is_leaf() && original.requires_grad())
            .then(|| Arc::downgrade(&original.0));
        Value::Packed {
            packed,
            grad_fn: if is_output {
                None
            } else {
                original.grad_fn().map(Arc::new)
            },
            leaf,
            storage: Arc::downgrade(&original.view_guard().storage),
            what: describe(original),
        }
    }
}

impl Saved {
    /// Whether both keep the one tensor (neither handed to a pack hook):
    /// `x * x`'s two saved operands.
    pub fn holds_same_tensor(&self, other: &Saved) -> bool {
        matches!((&self.value, &other.value), (Value::Kept(a), Value::Kept(b)) if Arc::ptr_eq(&a.0, &b.0))
    }

    pub fn input(t: &Tensor) -> Saved {
        Saved::new(t.clone(), t, false)
    }
    pub fn output(t: &Tensor) -> Saved {
        Saved::new(t.detach(), t, true)
    }
    fn new(kept: Tensor, original: &Tensor, is_output: bool) -> Saved {
        let version = original.version();
        let value = match crate::saved_hooks::pack(&kept) {
            None => Value::Kept(kept),
            Some(packed) => Value::packed(packed, original, is_output),
        };
        Saved {
            value,
            version,
            is_output,
        }
    }

    /// This saved tensor handed to `packer` now (`SavedTensor.register_hooks`:
    /// the pack hook runs at once, the unpack hook at each use). Refused
    /// for one that already went through hooks, as PyTorch refuses it.
    pub fn with_hooks(&self, packer: &dyn crate::saved_hooks::Packer) -> Result<Saved> {
        let Value::Kept(t) = &self.value else {
            return Err(Error::Runtime("Calling register_hooks on a saved tensor whose hooks have already been set. Hint: only one pair of hooks is allowed at a time.".into()));
        };
        // the kept tensor is the input itself (an output is kept detached)
        let packed = packer.pack(t)?;
        Ok(Saved {
            value: Value::packed(packed, t, self.is_output),
            version: self.version,
            is_output: self.is_output,
        })
    }
    /// Saved as an output of its node (PyTorch's `result`), not an input.
    pub fn is_output(&self) -> bool {
        self.is_output
    }
    pub(crate) fn unpack(&self, node_name: &str, self_id: NodeId) -> Result<Tensor> {
        self.check_version(node_name)?;
        let linked = crate::grad_mode::is_grad_enabled();
        let t = match &self.value {
            Value::Kept(t) => t.clone(),
            Value::Packed {
                packed,
                grad_fn,
                leaf,
                ..
            } => {
                let t = packed.unpack()?;
                if let Some(leaf) = leaf.as_ref().filter(|_| linked).and_then(Weak::upgrade) {
                    return Ok(Tensor(leaf));
                }
                match grad_fn.as_ref().filter(|_| linked) {
                    Some(f) => match NodeRef::from_id(f.id()) {
                        Some(node) => {
                            let t = t.detach();
                            t.0.meta.lock().grad_fn = Some(node);
                            return Ok(t);
                        }
                        None => t,
                    },
                    None => t,
                }
            }
        };
        if self.is_output && linked {
            if let Some(node) = NodeRef::from_id(self_id) {
                let t = t.detach();
                t.0.meta.lock().grad_fn = Some(node);
                return Ok(t);
            }
        }
        Ok(t)
    }

    /// PyTorch's error when the tensor was written in place after it was
    /// saved (its version moved): the backward would read other values.
    pub(crate) fn check_version(&self, node_name: &str) -> Result<()> {
        let (now, what, producer) = match &self.value {
            Value::Kept(t) => {
                // PyTorch names the node that made the tensor (the saving node
                // for an output, the tensor's current grad_fn for an input),
                // without its "Backward0" suffix, and nothing for a tensor
                // without history
                let producer = if self.is_output {
                    Some(node_name.to_string())
                } else {
                    t.grad_fn()
                        .and_then(|f| ARENA.lock().get(f.id()).map(|n| n.name.to_string()))
                };
                (t.version(), describe(t), producer)
            }
            Value::Packed {
                storage,
                what,
                grad_fn,
                ..
            } => {
                let Some(now) = storage.upgrade().map(|s| s.version()) else {
                    return Ok(()); // nothing holds the storage: nothing wrote to it
                };
                let producer = if self.is_output {
                    Some(node_name.to_string())
                } else {
                    grad_fn
                        .as_ref()
                        .and_then(|f| ARENA.lock().get(f.id()).map(|n| n.name.to_string()))
                };
                (now, what.clone(), producer)
            }
        };
        if now == self.version {
            return Ok(());
        }
        let which = producer
            .map(|n| format!(", which is output 0 of {},", strip_backward_suffix(&n)))
            .unwrap_or_default();
        Err(Error::Autograd(format!(
            "one of the variables needed for gradient computation has been modified by an inplace operation: [{what}]{which} is at version {now}; expected version {} instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with autorust.autograd.set_detect_anomaly(True, check_nan=False).",
            self.version
        )))
    }
}

/// "autorust.FloatTensor [2, 3]", as the version error shows a tensor.
fn describe(t: &Tensor) -> String {
    format!(
        "autorust.{} {}",
        t.dtype().legacy_name(),
        crate::shape::fmt_shape(&t.shape())
    )
}

/// "SigmoidBackward0" -> "Sigmoid" (PyTorch's short node name in messages).
fn strip_backward_suffix(name: &str) -> &str {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    base.strip_suffix("Backward").unwrap_or(name)
}
