//! The backward scheduler (grad mode itself is `crate::grad_mode`). Backward collects the nodes reachable
//! from the roots (iteratively), sweeps them by descending creation `seq` (a
//! topological order), and hands each node's gradient to its rule. Gradients
//! in flight are indexed by the node's position in the sweep, kept in the
//! arena slot, so the hot path has no hash map.

use crate::error::{Error, Result};
use crate::grad_mode::GradModeGuard;
use crate::grad_rules::{self, Rule};
use crate::graph::{NodeId, NodeRef, ARENA};
use crate::node_hooks::NodeHooks;
use crate::tensor::Tensor;
use smallvec::SmallVec;
use std::cell::Cell;

thread_local! {
    static IN_BACKWARD: Cell<bool> = const { Cell::new(false) };
}

/// One backward at a time: the sweep keeps per-pass state (visit marks,
/// positions) in the arena's slots, so passes from several threads are
/// serialised rather than allowed to overwrite each other's.
static BACKWARD_LOCK: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

struct Work {
    id: NodeId,
    seq: u64,
}

/// Holds the backward lock and marks this thread as inside a backward pass.
/// A pass started from inside another on the same thread (a hook or a
/// custom backward calling `backward`/`autograd.grad`, as checkpointing
/// does) is nested: it already holds the lock, and keeps its node
/// positions to itself so the outer pass finds its own intact.
struct BackwardPass {
    _serial: Option<parking_lot::MutexGuard<'static, ()>>,
    nested: bool,
}

impl BackwardPass {
    fn enter() -> BackwardPass {
        if IN_BACKWARD.with(|b| b.get()) {
            return BackwardPass {
                _serial: None,
                nested: true,
            };
        }
        let serial = BACKWARD_LOCK.lock();
        IN_BACKWARD.with(|b| b.set(true));
        BackwardPass {
            _serial: Some(serial),
            nested: false,
        }
    }
}

impl Drop for BackwardPass {
    fn drop(&mut self) {
        if !self.nested {
            IN_BACKWARD.with(|b| b.set(false));
        }
    }
}

/// What a backward pass does with the gradients that reach `inputs`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Inputs {
    /// `tensor.backward()`: every leaf on the graph accumulates into `.grad`.
    AllLeaves,
    /// `backward(inputs=...)`: only these tensors accumulate into `.grad`
    /// (leaves and non-leaves alike), and only the part of the graph that
    /// leads to them runs.
    Accumulate,
    /// `autograd.grad`: the gradients of these tensors are returned, no
    /// `.grad` changes (except `retain_grad`'s), and only the part of the
    /// graph that leads to them runs.
    Capture,
}

/// Runs backward from `roots` seeded with `grads`. Returns, for each of
/// `inputs`, the gradient that reached it (None when none did; an error
/// for that unless `allow_unused`, and never for `Inputs::AllLeaves`).
pub fn backward(
    roots: &[Tensor],
    grads: &[Tensor],
    retain_graph: bool,
    create_graph: bool,
    inputs: &[Tensor],
    mode: Inputs,
    allow_unused: bool,
) -> Result<Vec<Option<Tensor>>> {
    let pass = BackwardPass::enter();
    let _mode = GradModeGuard::new(create_graph);
    let mut root_refs = Vec::with_capacity(roots.len());
    for (i, r) in roots.iter().enumerate() {
        let node = if r.requires_grad() {
            r.grad_fn().or_else(|| r.accumulator_ref())
        } else {
            None
        };
        root_refs.push(node.ok_or_else(|| {
            Error::Autograd(format!(
                "element {i} of tensors does not require grad and does not have a grad_fn"
            ))
        })?);
    }
    if mode != Inputs::AllLeaves && inputs.is_empty() {
        return Err(Error::Autograd(
            if mode == Inputs::Capture {
                "`inputs` argument to `grad()` cannot be empty."
            } else {
                "`inputs` argument to `backward()` cannot be empty."
            }
            .into(),
        ));
    }
    // The node whose incoming gradient is each input's gradient.
    let mut target_refs: Vec<Option<NodeRef>> = Vec::with_capacity(inputs.len());
    for (i, t) in inputs.iter().enumerate() {
        if !t.requires_grad() {
            return Err(Error::Autograd(if mode == Inputs::Capture {
                "One of the differentiated Tensors does not require grad".to_string()
            } else {
                format!("element {i} of the inputs does not require grad")
            }));
        }
        target_refs.push(t.grad_fn().or_else(|| t.existing_accumulator()));
    }
    let root_ids: Vec<NodeId> = root_refs.iter().map(|r| r.id()).collect();
    let target_ids: Vec<Option<NodeId>> = target_refs
        .iter()
        .map(|t| t.as_ref().map(|r| r.id()))
        .collect();
    let plan = Plan::collect(
        &root_ids,
        &target_ids,
        mode != Inputs::AllLeaves,
        None,
        pass.nested,
    )?;
    let mut sweep = Sweep::new(&plan, retain_graph, create_graph, mode);
    for (r, g) in root_ids.iter().zip(grads) {
        sweep.seed(*r, g)?;
    }
    sweep.run()?;
    let captured = sweep.captured;
    drop(root_refs);

    if mode == Inputs::Accumulate {
        // non-leaf inputs keep the gradient that reached them in `.grad`
        // (once: retain_grad() has already put it there)
        for (t, g) in inputs.iter().zip(&captured) {
            if let (Some(g), false, false) = (g, t.is_leaf(), t.retains_grad()) {
                accumulate_grad(t, g, create_graph)?;
            }
        }
    }
    if mode == Inputs::Capture && !allow_unused {
        if let Some(i) = captured.iter().position(|c| c.is_none()) {
            return Err(Error::Autograd(format!("The differentiated Tensor at index {i} appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")));
        }
    }
    Ok(captured)
}

/// The gradient reaching `targets` from `root` (seeded with `grad`) through
/// the nodes made after `boundary_seq`, without touching anything else: the
/// backward of a composite op (see `graph::composite`), run inside the
/// pass that reached the composite's node. The targets are the composite's
/// own input aliases (those whose gradient is wanted); the walk stops at
/// every alias in `aliases` (wanted or not) and so never enters the outer
/// graph, whose pass state it would otherwise overwrite.
pub(crate) fn inner_gradients(
    root: NodeId,
    grad: &Tensor,
    targets: &[NodeId],
    aliases: &[NodeId],
    boundary: u64,
    create_graph: bool,
) -> Result<Vec<Option<Tensor>>> {
    let target_ids: Vec<Option<NodeId>> = targets.iter().map(|t| Some(*t)).collect();
    let plan = Plan::collect(&[root], &target_ids, true, Some((boundary, aliases)), true)?;
    let mut sweep = Sweep::new(&plan, true, create_graph, Inputs::Capture);
    sweep.seed(root, grad)?;
    sweep.run()?;
    Ok(sweep.captured)
}

/// The nodes a pass visits, in the order it runs them.
struct Plan {
    order: Vec<Work>,
    positions: Positions,
    /// Per position: whether its rule runs (None: every node runs). With
    /// inputs, only nodes with a path to one of them run.
    runs: Option<Vec<bool>>,
    /// Per input: the position of its node, if the pass reaches it.
    target_pos: Vec<Option<usize>>,
    /// Per position: the inputs whose gradient is taken there.
    is_target: Vec<bool>,
}

/// Where a pass keeps each node's position in its order.
enum Positions {
    /// An ordinary pass: in the arena slots (no hash map in the hot path),
    /// valid only while the slot carries this pass's epoch mark (else it is
    /// a stale position from an earlier pass, or a node this pass never
    /// reached).
    Arena(u64),
    /// A composite's inner sweep: a map of its own. The pass that called it
    /// may hold the same nodes in its order (a second-order graph reaches
    /// the inner nodes directly), and must find its positions intact.
    Local(std::collections::HashMap<NodeId, usize>),
}

impl Plan {
    /// Collects the nodes reachable from `roots` (iteratively), sorted by
    /// descending `seq` (a topological order). With `prune`, marks the
    /// nodes that lead to a target. With a `boundary` (a composite's inner
    /// sweep: the seq its inner graph starts after, and its input aliases),
    /// does not walk past an alias and refuses any node made before the
    /// boundary (the walk must stay inside the inner graph). With `local`
    /// (a composite's inner sweep, a nested pass) the plan keeps its
    /// positions to itself, leaving the arena's to the pass around it.
    fn collect(
        roots: &[NodeId],
        targets: &[Option<NodeId>],
        prune: bool,
        boundary: Option<(u64, &[NodeId])>,
        local: bool,
    ) -> Result<Plan> {
        let stop_at_targets = boundary.is_some();
        let stops: &[NodeId] = boundary.map_or(&[], |(_, aliases)| aliases);
        let mut a = ARENA.lock();
        let mut order: Vec<Work> = Vec::new();
        let mut stack: Vec<NodeId> = roots.to_vec();
        let mut local_seen = std::collections::HashSet::new();
        let epoch = if local { 0 } else { a.new_epoch() };
        while let Some(id) = stack.pop() {
            let first = if local {
                local_seen.insert(id)
            } else {
                a.visit(id, epoch)
            };
            if !first {
                continue;
            }
            let Some(node) = a.get(id) else { continue };
            if boundary.is_some_and(|(b, _)| node.seq < b) {
                return Err(Error::Autograd(format!(
                    "internal: composite op reached {} outside its inputs",
                    node.name
                )));
            }
            order.push(Work { id, seq: node.seq });
            if stop_at_targets && (targets.contains(&Some(id)) || stops.contains(&id)) {
                continue;
            }
            for e in node.edges.iter().flatten() {
                stack.push(e.node);
            }
        }
        order.sort_unstable_by_key(|x| std::cmp::Reverse(x.seq));
        let positions = if !local {
            for (pos, w) in order.iter().enumerate() {
                a.set_scratch(w.id, pos as u32);
            }
            Positions::Arena(epoch)
        } else {
            Positions::Local(
                order
                    .iter()
                    .enumerate()
                    .map(|(pos, w)| (w.id, pos))
                    .collect(),
            )
        };
        let mut plan = Plan {
            order,
            positions,
            runs: None,
            target_pos: vec![],
            is_target: vec![],
        };
        plan.target_pos = targets
            .iter()
            .map(|t| t.and_then(|id| plan.position(&a, id)))
            .collect();
        plan.is_target = vec![false; plan.order.len()];
        for p in plan.target_pos.iter().flatten() {
            plan.is_target[*p] = true;
        }
        if prune {
            // children come later in the order, so one backward walk decides
            let mut runs = vec![false; plan.order.len()];
            for p in (0..plan.order.len()).rev() {
                if stop_at_targets && plan.is_target[p] {
                    continue;
                }
                let Some(node) = a.get(plan.order[p].id) else {
                    continue;
                };
                runs[p] = node.edges.iter().flatten().any(|e| {
                    plan.position(&a, e.node)
                        .is_some_and(|c| plan.is_target[c] || runs[c])
                });
            }
            plan.runs = Some(runs);
        }
        Ok(plan)
    }

    fn position(&self, a: &crate::graph::Arena, id: NodeId) -> Option<usize> {
        match &self.positions {
            Positions::Arena(epoch) => (a.mark(id) == *epoch)
                .then(|| a.scratch(id))
                .flatten()
                .map(|p| p as usize),
            Positions::Local(map) => map.get(&id).copied(),
        }
    }

    /// Whether the gradient into position `p` is wanted at all.
    fn wanted(&self, p: usize) -> bool {
        self.is_target[p] || self.runs.as_ref().is_none_or(|r| r[p])
    }
}

/// The gradients in flight during one backward pass, swept in order.
struct Sweep<'a> {
    plan: &'a Plan,
    pending: Vec<Option<Tensor>>,
    captured: Vec<Option<Tensor>>,
    retain_graph: bool,
    create_graph: bool,
    mode: Inputs,
}

impl<'a> Sweep<'a> {
    fn new(plan: &'a Plan, retain_graph: bool, create_graph: bool, mode: Inputs) -> Sweep<'a> {
        Sweep {
            plan,
            pending: vec![None; plan.order.len()],
            captured: vec![None; plan.target_pos.len()],
            retain_graph,
            create_graph,
            mode,
        }
    }

    fn seed(&mut self, root: NodeId, grad: &Tensor) -> Result<()> {
        let p = self.plan.position(&ARENA.lock(), root);
        if let Some(p) = p {
            add_into(&mut self.pending[p], grad.clone())?;
        }
        Ok(())
    }

    fn run(&mut self) -> Result<()> {
        let plan = self.plan;
        for pos in 0..plan.order.len() {
            if !plan.wanted(pos) {
                continue;
            }
            let Some(mut grad) = self.pending[pos].take() else {
                continue;
            };
            let id = plan.order[pos].id;
            let mut runs = plan.runs.as_ref().is_none_or(|r| r[pos]);
            // One arena lock per node: the rule, the edges and where each edge's
            // gradient goes in `pending`.
            let (rule, edges, targets, hooks, node_hooks, retain, name) = {
                let mut a = ARENA.lock();
                let targets: SmallVec<[Option<usize>; 2]> = match a.get(id) {
                    Some(node) => node
                        .edges
                        .iter()
                        .map(|e| {
                            e.as_ref()
                                .and_then(|e| plan.position(&a, e.node))
                                .filter(|&p| plan.wanted(p))
                        })
                        .collect(),
                    None => continue,
                };
                let Some(node) = a.get_mut(id) else { continue };
                // a leaf's accumulator has no edges: it "runs" when it is wanted
                runs |= matches!(node.rule, Rule::AccumulateGrad(_));
                let rule = if !runs {
                    Rule::Identity // not run: only its gradient is taken
                } else if self.retain_graph || !node.saves_tensors() {
                    node.rule.clone()
                } else {
                    node.released = true;
                    std::mem::replace(&mut node.rule, Rule::Freed)
                };
                let edges = node.edges.clone();
                let hooks = if node.hooks.is_empty() {
                    Vec::new()
                } else {
                    node.hooks.clone()
                };
                let node_hooks = node.node_hooks.as_deref().cloned();
                let hidden = node.hidden_inputs;
                (
                    rule,
                    edges,
                    targets,
                    hooks,
                    node_hooks.map(|h| (h, hidden)),
                    node.retain.clone(),
                    node.name,
                )
            };
            for (_, h) in &hooks {
                if let Some(new) = h(&grad)? {
                    grad = new;
                }
            }
            // retain_grad() fills .grad in every mode, autograd.grad included (as PyTorch)
            if let Some(t) = retain.and_then(|w| w.upgrade()) {
                accumulate_grad(&Tensor(t), &grad, self.create_graph)?;
            }
            if let Rule::AccumulateGrad(leaf) = &rule {
                if let Some(leaf) = leaf.upgrade() {
                    let leaf = Tensor(leaf);
                    let leaf_hooks = leaf.0.meta.lock().hooks.clone();
                    for (_, h) in &leaf_hooks {
                        if let Some(new) = h(&grad)? {
                            grad = new;
                        }
                    }
                    if self.mode != Inputs::Capture {
                        if let Some((h, _)) = &node_hooks {
                            grad = run_pre_hooks(h, grad)?;
                        }
                        accumulate_grad(&leaf, &grad, self.create_graph)?;
                        let post = leaf.0.meta.lock().post_accumulate_hooks.clone();
                        for (_, h) in &post {
                            h(&leaf)?;
                        }
                        if let Some((h, _)) = &node_hooks {
                            // an accumulator has no inputs: nothing to replace
                            h.run_post(&mut Vec::new(), &[Some(grad.clone())])?;
                        }
                    }
                }
                self.capture(pos, &grad)?;
                continue;
            }
            self.capture(pos, &grad)?;
            if !runs {
                continue;
            }
            if let Some((h, _)) = &node_hooks {
                grad = run_pre_hooks(h, grad)?;
            }
            let needs: SmallVec<[bool; 4]> = edges
                .iter()
                .zip(&targets)
                .map(|(e, t)| e.is_some() && t.is_some())
                .collect();
            let mut input_grads = grad_rules::apply(&rule, name, &grad, &needs, id)?;
            drop(rule);
            input_grads.resize(edges.len(), None);
            // each to its input's shape and dtype (the rules may broadcast)
            for (e, g) in edges.iter().zip(input_grads.iter_mut()) {
                let (Some(e), Some(v)) = (e, g.as_ref()) else {
                    *g = None;
                    continue;
                };
                if let Some(shape) = &e.shape {
                    if &v.shape() != shape {
                        *g = Some(v.sum_to(shape)?);
                    }
                }
                if let Some(v) = g.as_ref().filter(|v| v.dtype() != e.dtype) {
                    *g = Some(v.to_dtype(e.dtype)?);
                }
            }
            if let Some((h, hidden)) = &node_hooks {
                run_post_hooks(h, *hidden, &mut input_grads, grad)?;
            }
            for (g, p) in input_grads.into_iter().zip(targets) {
                if let (Some(g), Some(p)) = (g, p) {
                    add_into(&mut self.pending[p], g)?;
                }
            }
        }
        Ok(())
    }

    /// Keeps the gradient at `pos` for each input whose node it is.
    fn capture(&mut self, pos: usize, grad: &Tensor) -> Result<()> {
        if !self.plan.is_target[pos] {
            return Ok(());
        }
        for (k, cp) in self.plan.target_pos.iter().enumerate() {
            if *cp == Some(pos) {
                add_into(&mut self.captured[k], grad.clone())?;
            }
        }
        Ok(())
    }
}

/// A node's pre-hooks over its one incoming gradient.
fn run_pre_hooks(hooks: &NodeHooks, grad: Tensor) -> Result<Tensor> {
    let mut grads = vec![Some(grad)];
    hooks.run_pre(&mut grads)?;
    grads.pop().flatten().ok_or_else(|| {
        Error::Runtime("autorust: a grad_fn pre-hook replaced the gradient with None; return a tensor (or None to keep it)".into())
    })
}

/// A node's post-hooks over the gradients of its differentiable inputs
/// (those `next_functions` shows), given the gradient that came in.
fn run_post_hooks(
    hooks: &NodeHooks,
    hidden: u32,
    input_grads: &mut [Option<Tensor>],
    grad: Tensor,
) -> Result<()> {
    let shown = |i: usize| i >= 32 || hidden & (1 << i) == 0;
    let mut visible: Vec<Option<Tensor>> = input_grads
        .iter()
        .enumerate()
        .filter(|(i, _)| shown(*i))
        .map(|(_, g)| g.clone())
        .collect();
    hooks.run_post(&mut visible, &[Some(grad)])?;
    let slots = input_grads
        .iter_mut()
        .enumerate()
        .filter(|(i, _)| shown(*i));
    for ((_, slot), new) in slots.zip(visible) {
        *slot = new;
    }
    Ok(())
}

/// `slot += g`, or `slot = g` when empty.
fn add_into(slot: &mut Option<Tensor>, g: Tensor) -> Result<()> {
    *slot = Some(match slot.take() {
        Some(prev) => prev.add(&g)?,
        None => g,
    });
    Ok(())
}

/// Adds `grad` into `t.grad`: the first gradient is kept as is (unless it
/// shares memory or is a strided view, which a later in-place add would
/// corrupt); later ones add in place, or out of place under create_graph.
/// A first gradient follows PyTorch's layout contract: it has the leaf's
/// strides when the leaf is dense (a transposed weight gets a transposed
/// `.grad`, so the optimizer's update runs over memory), else row-major.
fn accumulate_grad(t: &Tensor, grad: &Tensor, create_graph: bool) -> Result<()> {
    let leaf = t.layout();
    let order = if leaf.is_dense_permutation() && !leaf.is_contiguous() {
        Some(leaf.memory_order())
    } else {
        None
    };
    let in_leaf_layout = |g: &Tensor| {
        let l = g.layout();
        match &order {
            None => l.is_contiguous(),
            Some(_) => l.shape == leaf.shape && t.optim_layouts_match(std::slice::from_ref(g)),
        }
    };
    // Decided before detaching (a detached alias shares the storage): the
    // incoming gradient can become `.grad` without a copy when nothing else
    // holds this tensor or its memory.
    let owned = std::sync::Arc::strong_count(&grad.0) == 1
        && in_leaf_layout(grad)
        && grad.owns_storage_exclusively();
    let grad = if create_graph {
        grad.clone()
    } else {
        grad.detach()
    };
    let existing = t.grad();
    match existing {
        None => {
            // each branch leaves a gradient that nothing else holds
            let g = if grad.shape() != t.shape() {
                grad.sum_to(&t.shape())?
            } else if owned || (order.is_some() && !in_leaf_layout(&grad)) {
                grad // (not owned: copied into the leaf's layout just below)
            } else {
                grad.clone_data()?
            };
            let g = match &order {
                Some(order) if !in_leaf_layout(&g) => {
                    let inverse: Vec<usize> = (0..order.len())
                        .map(|d| order.iter().position(|&o| o == d).unwrap_or(d))
                        .collect();
                    g.permute_usize(order)?
                        .clone_tensor()?
                        .permute_usize(&inverse)?
                }
                _ => g,
            };
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

/// A node's gradient for its input `i` of `shape`, checked as PyTorch's
/// engine checks it: another shape is accepted when `shape` expands to it
/// (the gradient is then summed back), and refused otherwise.
pub fn input_gradient(node: &str, i: usize, grad: Tensor, shape: &[usize]) -> Result<Tensor> {
    let gs = grad.shape();
    if gs.as_slice() == shape {
        return Ok(grad);
    }
    if crate::shape::broadcast_shapes("backward", shape, &gs).map_or(true, |b| b != gs) {
        return Err(Error::Runtime(format!(
            "Function {node} returned an invalid gradient at index {i} - got {} but expected shape compatible with {}",
            crate::shape::fmt_shape(&gs),
            crate::shape::fmt_shape(shape)
        )));
    }
    grad.sum_to(shape)
}
