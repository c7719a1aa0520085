//! Grad mode and the backward scheduler. Backward collects the nodes reachable
//! from the roots (iteratively), sweeps them by descending creation `seq` (a
//! topological order), and hands each node's gradient to its rule. Gradients
//! in flight are indexed by the node's position in the sweep, kept in the
//! arena slot, so the hot path has no hash map.

use crate::error::{Error, Result};
use crate::graph::{NodeId, NodeRef, ARENA};
use crate::grad_rules::{self, Rule};
use crate::tensor::Tensor;
use smallvec::SmallVec;
use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    static IN_BACKWARD: Cell<bool> = const { Cell::new(false) };
}

/// One backward at a time: the sweep keeps per-pass state (visit marks,
/// positions) in the arena's slots, so passes from several threads are
/// serialised rather than allowed to overwrite each other's.
static BACKWARD_LOCK: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Sets grad mode, returning the previous value.
pub fn set_grad_enabled(on: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(on))
}

/// Restores the previous grad mode when dropped.
pub struct GradModeGuard(bool);
impl GradModeGuard {
    pub fn new(on: bool) -> GradModeGuard {
        GradModeGuard(set_grad_enabled(on))
    }
}
impl Drop for GradModeGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.0);
    }
}

pub const FREED_GRAPH: &str = "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";

struct Work {
    id: NodeId,
    seq: u64,
}

/// Holds the backward lock and marks this thread as inside a backward pass.
struct BackwardPass {
    _serial: parking_lot::MutexGuard<'static, ()>,
}

impl BackwardPass {
    fn enter() -> Result<BackwardPass> {
        if IN_BACKWARD.with(|b| b.get()) {
            return Err(Error::Autograd("autorust: calling backward or autograd.grad from inside a hook or custom backward that runs during another backward is not supported".into()));
        }
        let serial = BACKWARD_LOCK.lock();
        IN_BACKWARD.with(|b| b.set(true));
        Ok(BackwardPass { _serial: serial })
    }
}

impl Drop for BackwardPass {
    fn drop(&mut self) {
        IN_BACKWARD.with(|b| b.set(false));
    }
}

/// Runs backward from `roots` seeded with `grads`. With `inputs` (autograd.grad)
/// the gradients reaching those tensors are returned and no `.grad` changes;
/// without, leaves accumulate into `.grad`.
pub fn backward(
    roots: &[Tensor],
    grads: &[Tensor],
    retain_graph: bool,
    create_graph: bool,
    inputs: Option<&[Tensor]>,
    allow_unused: bool,
) -> Result<Vec<Option<Tensor>>> {
    let _pass = BackwardPass::enter()?;
    let _mode = GradModeGuard::new(create_graph);
    // Root edges (each holds a count until the end of backward).
    let mut root_refs = Vec::with_capacity(roots.len());
    for (i, r) in roots.iter().enumerate() {
        if !r.requires_grad() {
            return Err(Error::Autograd(format!("element {i} of tensors does not require grad and does not have a grad_fn")));
        }
        let node = match r.grad_fn() {
            Some(n) => n,
            None => r.accumulator_ref().ok_or_else(|| Error::Autograd(format!("element {i} of tensors does not require grad and does not have a grad_fn")))?,
        };
        root_refs.push(node);
    }
    // Targets of autograd.grad: the node whose incoming grad is the input's grad.
    let mut target_refs: Vec<Option<NodeRef>> = vec![];
    if let Some(inputs) = inputs {
        for (i, t) in inputs.iter().enumerate() {
            if !t.requires_grad() {
                return Err(Error::Autograd(format!("One of the differentiated Tensors does not require grad (input {i})")));
            }
            target_refs.push(match t.grad_fn() {
                Some(n) => Some(n),
                None => t.existing_accumulator(),
            });
        }
    }

    // 1. collect reachable nodes, iteratively.
    let mut order: Vec<Work> = Vec::new();
    {
        let mut a = ARENA.lock();
        let epoch = a.new_epoch();
        let mut stack: Vec<NodeId> = root_refs.iter().map(|r| r.id()).collect();
        while let Some(id) = stack.pop() {
            if !a.visit(id, epoch) {
                continue;
            }
            let Some(node) = a.get(id) else { continue };
            order.push(Work { id, seq: node.seq });
            for e in node.edges.iter().flatten() {
                stack.push(e.node);
            }
        }
        order.sort_unstable_by(|x, y| y.seq.cmp(&x.seq));
        for (pos, w) in order.iter().enumerate() {
            a.set_scratch(w.id, pos as u32);
        }
    }
    let pos_of = |id: NodeId| -> Option<usize> { ARENA.lock().scratch(id).map(|p| p as usize) };

    let mut pending: Vec<Option<Tensor>> = vec![None; order.len()];
    for (r, g) in root_refs.iter().zip(grads) {
        if let Some(p) = pos_of(r.id()) {
            pending[p] = Some(match pending[p].take() {
                Some(prev) => prev.add(g)?,
                None => g.clone(),
            });
        }
    }
    let capture_pos: Vec<Option<usize>> = target_refs.iter().map(|t| t.as_ref().and_then(|r| pos_of(r.id()))).collect();
    let captured: Vec<Option<Tensor>> = vec![None; capture_pos.len()];

    // 2. sweep in reverse creation order, on this thread. (Running the
    // whole sweep inside one rayon pool entry was measured: no gain on a
    // 784-256-10 MLP step, and the 2x2 seed graph went from 5.4 to 21.8 us,
    // a 4M-element elementwise backward from 7.3 to 9.4 ms.)
    let mut sweep = Sweep { order: &order, pending, capture_pos: &capture_pos, captured, retain_graph, create_graph, accumulate: inputs.is_none() };
    sweep.run()?;
    let captured = sweep.captured;
    drop(root_refs);

    if inputs.is_some() {
        for (i, c) in captured.iter().enumerate() {
            if c.is_none() && !allow_unused {
                return Err(Error::Autograd(format!("The differentiated Tensor at index {i} appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")));
            }
        }
    }
    Ok(captured)
}

/// The gradients in flight during one backward pass, swept in order.
struct Sweep<'a> {
    order: &'a [Work],
    pending: Vec<Option<Tensor>>,
    capture_pos: &'a [Option<usize>],
    captured: Vec<Option<Tensor>>,
    retain_graph: bool,
    create_graph: bool,
    /// Leaves accumulate into `.grad` (backward); autograd.grad only captures.
    accumulate: bool,
}

impl Sweep<'_> {
    fn run(&mut self) -> Result<()> {
        for pos in 0..self.order.len() {
            let Some(mut grad) = self.pending[pos].take() else { continue };
            let id = self.order[pos].id;
            // One arena lock per node: the rule, the edges and where each edge's
            // gradient goes in `pending`.
            let (rule, edges, targets, hooks, retain, name) = {
                let mut a = ARENA.lock();
                let Some(node) = a.get_mut(id) else { continue };
                let rule = if self.retain_graph || !node.rule.has_saved() {
                    node.rule.clone()
                } else {
                    node.released = true;
                    std::mem::replace(&mut node.rule, Rule::Freed)
                };
                let edges = node.edges.clone();
                let hooks = if node.hooks.is_empty() { Vec::new() } else { node.hooks.clone() };
                let (retain, name) = (node.retain.clone(), node.name);
                let targets: SmallVec<[Option<usize>; 2]> = edges.iter().map(|e| e.as_ref().and_then(|e| a.scratch(e.node)).map(|p| p as usize)).collect();
                (rule, edges, targets, hooks, retain, name)
            };
            for h in &hooks {
                if let Some(new) = h(&grad)? {
                    grad = new;
                }
            }
            if let Some(t) = retain.and_then(|w| w.upgrade()) {
                let t = Tensor(t);
                if self.accumulate {
                    accumulate_grad(&t, &grad, self.create_graph)?;
                }
            }
            for (k, cp) in self.capture_pos.iter().enumerate() {
                if *cp == Some(pos) {
                    self.captured[k] = Some(match self.captured[k].take() {
                        Some(prev) => prev.add(&grad)?,
                        None => grad.clone(),
                    });
                }
            }
            if let Rule::AccumulateGrad(leaf) = &rule {
                if self.accumulate {
                    if let Some(leaf) = leaf.upgrade() {
                        let leaf = Tensor(leaf);
                        let leaf_hooks = leaf.0.meta.lock().hooks.clone();
                        for h in &leaf_hooks {
                            if let Some(new) = h(&grad)? {
                                grad = new;
                            }
                        }
                        accumulate_grad(&leaf, &grad, self.create_graph)?;
                    }
                }
                continue;
            }
            let needs: SmallVec<[bool; 4]> = edges.iter().map(|e| e.is_some()).collect();
            let input_grads = grad_rules::apply(&rule, name, &grad, &needs, id)?;
            drop(rule);
            for ((e, g), p) in edges.iter().zip(input_grads).zip(targets) {
                let (Some(e), Some(g), Some(p)) = (e, g, p) else { continue };
                let mut g = g;
                if let Some(shape) = &e.shape {
                    if &g.shape() != shape {
                        g = g.sum_to(shape)?;
                    }
                }
                if g.dtype() != e.dtype {
                    g = g.to_dtype(e.dtype)?;
                }
                self.pending[p] = Some(match self.pending[p].take() {
                    Some(prev) => prev.add(&g)?,
                    None => g,
                });
            }
        }
        Ok(())
    }
}

/// Adds `grad` into `t.grad`: the first gradient is kept as is (unless it
/// shares memory or is a strided view, which a later in-place add would
/// corrupt); later ones add in place, or out of place under create_graph.
fn accumulate_grad(t: &Tensor, grad: &Tensor, create_graph: bool) -> Result<()> {
    // Decided before detaching (a detached alias shares the storage): the
    // incoming gradient can become `.grad` without a copy when nothing else
    // holds this tensor or its memory.
    let owned = std::sync::Arc::strong_count(&grad.0) == 1 && grad.is_contiguous() && grad.owns_storage_exclusively();
    let grad = if create_graph { grad.clone() } else { grad.detach() };
    let existing = t.grad();
    match existing {
        None => {
            let g = if owned { grad } else { grad.clone_data()? };
            let g = if g.shape() != t.shape() { g.sum_to(&t.shape())? } else { g };
            t.0.meta.lock().grad = Some(g);
        }
        Some(prev) => {
            if create_graph || prev.requires_grad() {
                let sum = prev.add(&grad)?;
                t.0.meta.lock().grad = Some(sum);
            } else {
                let _ng = GradModeGuard::new(false);
                prev.add_inplace_raw(&grad)?;
            }
        }
    }
    Ok(())
}
