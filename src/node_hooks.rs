//! Hooks on a graph node, PyTorch's `grad_fn.register_prehook(hook)` and
//! `grad_fn.register_hook(hook)`.
//!
//! A pre-hook sees the gradients flowing into the node (one per output:
//! here always one) before its rule runs; a post-hook sees what the rule
//! produced for each differentiable input together with those incoming
//! gradients. Either may return replacements. Both run only when the node
//! itself runs (not for a node whose gradient is only captured by
//! `autograd.grad`), after the tensor hooks and `retain_grad`, as in
//! PyTorch's engine.

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::sync::Arc;

/// Gradients at a node, one per slot; None where there is none.
pub type Grads = Vec<Option<Tensor>>;

/// `hook(grad_outputs) -> replacement or None`.
pub type NodePreHook = Arc<dyn Fn(&[Option<Tensor>]) -> Result<Option<Grads>> + Send + Sync>;

/// `hook(grad_inputs, grad_outputs) -> replacement grad_inputs or None`.
pub type NodePostHook =
    Arc<dyn Fn(&[Option<Tensor>], &[Option<Tensor>]) -> Result<Option<Grads>> + Send + Sync>;

#[derive(Default, Clone)]
pub struct NodeHooks {
    pub pre: Vec<(u64, NodePreHook)>,
    pub post: Vec<(u64, NodePostHook)>,
}

impl NodeHooks {
    pub fn is_empty(&self) -> bool {
        self.pre.is_empty() && self.post.is_empty()
    }

    /// Moves hook `id` out (the caller drops it outside the arena lock: a
    /// hook may hold the last reference to tensors whose drop frees nodes).
    pub fn remove(&mut self, id: u64) -> NodeHooks {
        NodeHooks {
            pre: crate::tensor::take_where(&mut self.pre, |(h, _)| *h == id),
            post: crate::tensor::take_where(&mut self.post, |(h, _)| *h == id),
        }
    }

    /// Runs the pre-hooks over `grad_outputs`, each seeing the last one's result.
    pub fn run_pre(&self, grad_outputs: &mut Grads) -> Result<()> {
        for (_, hook) in &self.pre {
            if let Some(new) = hook(grad_outputs)? {
                replace_checked(grad_outputs, new)?;
            }
        }
        Ok(())
    }

    /// Runs the post-hooks over `grad_inputs` (what the rule produced).
    pub fn run_post(&self, grad_inputs: &mut Grads, grad_outputs: &[Option<Tensor>]) -> Result<()> {
        for (_, hook) in &self.post {
            if let Some(new) = hook(grad_inputs, grad_outputs)? {
                replace_checked(grad_inputs, new)?;
            }
        }
        Ok(())
    }
}

/// PyTorch's checks on a hook's result: as many values as it was given,
/// each of the shape of the value it replaces.
fn replace_checked(old: &mut Grads, new: Grads) -> Result<()> {
    if new.len() != old.len() {
        return Err(Error::Runtime(format!(
            "hook 'hook' has returned an incorrect number of values (got {}, but expected {})",
            new.len(),
            old.len()
        )));
    }
    for (o, n) in old.iter().zip(&new) {
        if let (Some(o), Some(n)) = (o, n) {
            if o.shape() != n.shape() {
                return Err(Error::Runtime(format!(
                    "hook 'hook' has changed the size of value: expected {}, got {}",
                    crate::shape::fmt_shape(&o.shape()),
                    crate::shape::fmt_shape(&n.shape())
                )));
            }
        }
    }
    *old = new;
    Ok(())
}
