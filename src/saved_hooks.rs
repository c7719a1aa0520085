//! Saved-tensor hooks, PyTorch's `autograd.graph.saved_tensors_hooks(pack,
//! unpack)`: while a pair is installed on this thread, every tensor an op
//! saves for backward is handed to `pack` and only what it returns is kept;
//! backward asks `unpack` for the tensor back. The innermost pair applies.
//! Activation checkpointing and `save_on_cpu` are built on this.

use crate::error::Result;
use crate::tensor::Tensor;
use std::cell::RefCell;
use std::sync::Arc;

/// What `pack` made of a saved tensor; gives the tensor back on demand.
pub trait Packed: Send + Sync {
    fn unpack(&self) -> Result<Tensor>;
}

/// An installed pack/unpack pair.
pub trait Packer: Send + Sync {
    fn pack(&self, t: &Tensor) -> Result<Arc<dyn Packed>>;
}

thread_local! {
    static PACKERS: RefCell<Vec<Arc<dyn Packer>>> = const { RefCell::new(Vec::new()) };
    /// Set while a pack hook runs: what its own ops save is kept as is
    /// (packing it again would recurse).
    static PACKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs `p` as the innermost pair (until `pop`).
pub fn push(p: Arc<dyn Packer>) {
    PACKERS.with(|s| s.borrow_mut().push(p));
}

/// Takes the innermost pair off.
pub fn pop() {
    let popped = PACKERS.with(|s| s.borrow_mut().pop());
    drop(popped); // outside the borrow: dropping may run Python code
}

/// Packs `t` with the innermost pair; None when no pair is installed (or
/// a pack hook is running).
pub fn pack(t: &Tensor) -> Option<Arc<dyn Packed>> {
    if PACKING.with(|p| p.get()) {
        return None;
    }
    let packer = PACKERS.with(|s| s.borrow().last().cloned())?;
    PACKING.with(|p| p.set(true));
    let packed = packer.pack(t);
    PACKING.with(|p| p.set(false));
    Some(packed.unwrap_or_else(|e| Arc::new(FailedPack(e)) as Arc<dyn Packed>))
}

/// A pack that failed is kept as its error, raised when backward (or
/// `_saved_*`) asks for the tensor: the ops that save cannot fail.
pub struct FailedPack(pub crate::error::Error);

impl Packed for FailedPack {
    fn unpack(&self) -> Result<Tensor> {
        Err(self.0.clone())
    }
}
