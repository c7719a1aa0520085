//! Composite ops that look like one PyTorch node from outside.
//!
//! Many ops are compositions of native ones (mse_loss is a sub, a pow and a
//! mean). Recorded as they are, their graph shows the inner nodes, where
//! PyTorch shows one node (`MseLossBackward0`) whose `next_functions` are
//! the op's inputs. `composite` runs the composition on aliases of the
//! inputs (each an identity node over the real input), then records one
//! outer node with PyTorch's name and an edge per input; the outer node's
//! rule is a backward sweep over the inner graph alone, from its result to
//! the aliases. The inner rules are ordinary tensor ops, so under
//! `create_graph` they record onto the aliases, which lead to the real
//! inputs: higher-order gradients work as for any node.

use crate::error::{Error, Result};
use crate::grad_rules::Rule;
use crate::graph::{Edges, NodeId, NodeRef, ARENA};
use crate::tensor::Tensor;

/// What the outer node keeps: the inner graph (through its result's node)
/// and, per input, its alias's node (None for inputs that need no grad).
pub struct CompositeGraph {
    /// None when the result does not depend differentiably on any input
    /// (copysign's magnitude from one input, its sign from the other).
    pub root: Option<NodeRef>,
    pub aliases: Vec<Option<NodeId>>,
    /// Per input: what a zero gradient for it looks like. PyTorch's
    /// formulas give an input the result does not depend on a zero
    /// gradient, not none.
    pub zeros: Vec<
        Option<(
            crate::shape::Shape,
            crate::dtype::DType,
            crate::storage::Device,
        )>,
    >,
    /// Every node of the inner graph was made after this seq: the inner
    /// sweep refuses to walk into an older node (a tensor the composition
    /// used without declaring it as an input would lose its gradient).
    pub boundary: u64,
    /// PyTorch's backward kernel for this op reads these inputs: under
    /// create_graph the gradients stay connected to them (see
    /// `grad_rules::zero_link`), through a node of this name.
    pub link: Option<Link>,
    /// Whether an inner node saved tensors: a second backward through a
    /// composite that saved nothing works, as through PyTorch's nodes.
    pub saves: bool,
}

pub struct Link {
    pub name: &'static str,
    /// The inputs the backward kernel reads.
    pub tensors: Vec<Tensor>,
}

/// Runs `f` on aliases of `inputs` (None entries stay None) and records its
/// result as one node named `name` over `inputs`.
/// With `link` (a node name and input positions), the first-order gradients
/// stay connected to those inputs under create_graph, as PyTorch's backward
/// kernels are (relu, leaky_relu, hardtanh, ...).
pub fn composite(
    name: &str,
    inputs: &[Option<&Tensor>],
    link: Option<(&str, &[usize])>,
    f: impl FnOnce(&[Option<Tensor>]) -> Result<Tensor>,
) -> Result<Tensor> {
    composite_saving(name, inputs, link, None, f)
}

/// `composite`, told whether PyTorch's node saves tensors (`saves`), where
/// the inner graph cannot say: a mask or an index the composition builds
/// and saves is a constant that PyTorch's kernel never saves (tril's mask,
/// flip's index). None: the outer node saves tensors when an inner node does.
pub fn composite_saving(
    name: &str,
    inputs: &[Option<&Tensor>],
    link: Option<(&str, &[usize])>,
    saves: Option<bool>,
    f: impl FnOnce(&[Option<Tensor>]) -> Result<Tensor>,
) -> Result<Tensor> {
    let present: Vec<&Tensor> = inputs.iter().flatten().copied().collect();
    // without a backward graph to build, the composition runs as it is (under
    // forward AD its inner ops give the result its tangent)
    // While forward AD transposes a rule that recomputes through this
    // composite (a fused op's backward under create_graph), every float
    // input is differentiated: the tangent is taken through all of them,
    // also those that need no grad (see src/forward_ad.rs).
    let transposing = crate::forward_ad::transposing();
    let differentiated = |t: &Tensor| t.requires_grad() || (transposing && t.dtype().is_float());
    if !(crate::grad_mode::is_grad_enabled() && present.iter().any(|t| differentiated(t))) {
        let plain: Vec<Option<Tensor>> = inputs.iter().map(|t| t.cloned()).collect();
        return fresh(f(&plain)?, &present);
    }
    let boundary = ARENA.lock().peek_seq();
    let aliases: Vec<Option<Tensor>> = inputs
        .iter()
        .map(|t| {
            t.map(|t| {
                if t.requires_grad() {
                    Ok(t.graph_alias())
                } else if differentiated(t) {
                    let leaf = t.detach();
                    leaf.set_requires_grad(true)?;
                    Ok(leaf.graph_alias())
                } else {
                    Ok(t.clone())
                }
            })
            .transpose()
        })
        .collect::<Result<_>>()?;
    let inner = fresh(f(&aliases)?, &present)?;
    if !inner.dtype().is_float() {
        return Ok(inner); // integer and bool results are not differentiable
    }
    let root = inner.grad_fn();
    let alias_ids: Vec<Option<NodeId>> = inputs
        .iter()
        .zip(&aliases)
        .map(|(t, a)| match (t, a) {
            (Some(t), Some(a)) if differentiated(t) => a.grad_fn_id(),
            _ => None,
        })
        .collect();
    let zeros = inputs
        .iter()
        .map(|t| {
            t.filter(|t| differentiated(t))
                .map(|t| (t.shape(), t.dtype(), t.device()))
        })
        .collect();
    let out = inner.detach();
    crate::forward_ad::carry(&inner, &out);
    let edges: Edges = {
        let shape = out.shape();
        inputs
            .iter()
            .map(|t| t.and_then(|t| t.edge_for(&shape)))
            .collect()
    };
    let link = link.map(|(lname, positions)| Link {
        name: crate::graph::intern(lname),
        tensors: positions
            .iter()
            .filter_map(|&i| inputs.get(i).copied().flatten().cloned())
            .collect(),
    });
    let saves = saves.unwrap_or_else(|| inner_saves(root.as_ref(), boundary));
    let graph = std::sync::Arc::new(CompositeGraph {
        root,
        aliases: alias_ids,
        zeros,
        boundary,
        link,
        saves,
    });
    let node = NodeRef::create(crate::graph::intern(name), Rule::Composite(graph), edges);
    let given: Vec<&Tensor> = inputs.iter().map(|t| t.unwrap_or(&out)).collect();
    let hidden = crate::tensor::non_differentiable_inputs(&given);
    if hidden != 0 {
        if let Some(n) = crate::graph::ARENA.lock().get_mut(node.id()) {
            n.hidden_inputs = hidden;
        }
    }
    out.set_grad_fn(node);
    Ok(out)
}

/// The gradients of a fused op under create_graph: `f` (the op in
/// differentiable ops) recomputes its result from `inputs` as a composite,
/// whose backward, seeded with `grad`, records onto the inputs. PyTorch's
/// fused kernels do the same with a differentiable backward formula; the
/// recomputation gives the same numbers without a second formula to keep.
pub fn gradients_by_recomputation(
    name: &str,
    inputs: &[Option<&Tensor>],
    grad: &Tensor,
    needs: &[bool],
    f: impl FnOnce(&[Option<Tensor>]) -> Result<Tensor>,
) -> Result<Vec<Option<Tensor>>> {
    let out = composite(name, inputs, None, f)?;
    let rule = out
        .grad_fn()
        .and_then(|n| ARENA.lock().get(n.id()).map(|n| n.rule.clone()));
    match rule {
        Some(Rule::Composite(graph)) => backward(&graph, name, grad, needs, true),
        _ => Ok(vec![None; inputs.len()]),
    }
}

/// Whether any node of the inner graph (from `root` back to the aliases,
/// the nodes made after `boundary`) saved tensors for its backward.
fn inner_saves(root: Option<&NodeRef>, boundary: u64) -> bool {
    let Some(root) = root else { return false };
    let a = ARENA.lock();
    let mut stack = vec![root.id()];
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Some(node) = a.get(id) else { continue };
        if node.seq < boundary {
            continue; // the outer graph
        }
        if node.saves_tensors() {
            return true;
        }
        stack.extend(node.edges.iter().flatten().map(|e| e.node));
    }
    false
}

/// The result in memory of its own: a composite that happens to return its
/// input or a view of it (`repeat` by ones, `roll` by zero) must not hand
/// back memory an in-place write would change the input through; the ops
/// it stands for always copy.
fn fresh(out: Tensor, inputs: &[&Tensor]) -> Result<Tensor> {
    let cell = out.storage_cell();
    if inputs
        .iter()
        .any(|t| std::sync::Arc::ptr_eq(&t.storage_cell(), &cell))
    {
        return out.clone_tensor();
    }
    Ok(out)
}

/// The outer node's backward: one gradient per input (None where `needs`
/// is false; zeros where no gradient reaches the alias).
pub fn backward(
    g: &CompositeGraph,
    name: &str,
    grad: &Tensor,
    needs: &[bool],
    create_graph: bool,
) -> Result<Vec<Option<Tensor>>> {
    let need = |i: usize| needs.get(i).copied().unwrap_or(false);
    let wanted: Vec<NodeId> = g
        .aliases
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.filter(|_| need(i)))
        .collect();
    let mut got = match (&g.root, wanted.is_empty()) {
        // The inner rules are never freed by this sweep: a gradient recorded
        // under create_graph may reach inner nodes directly (through the
        // saved tensors its formulas read), and a later pass must find them
        // intact. The inner graph goes when the outer rule does (without
        // retain_graph, right after this call), as far as nothing else
        // holds it.
        (Some(root), false) => {
            let aliases: Vec<NodeId> = g.aliases.iter().flatten().copied().collect();
            crate::autograd::inner_gradients(
                root.id(),
                grad,
                &wanted,
                &aliases,
                g.boundary,
                create_graph,
            )
            .map_err(|e| match e {
                Error::Autograd(m) if m.starts_with("internal: composite") => {
                    Error::Autograd(format!("{m} ({name})"))
                }
                e => e,
            })?
        }
        _ => vec![None; wanted.len()],
    }
    .into_iter();
    let mut out = Vec::with_capacity(g.aliases.len());
    for (i, a) in g.aliases.iter().enumerate() {
        let gi = if a.is_some() && need(i) {
            got.next().flatten()
        } else {
            None
        };
        out.push(match (gi, &g.zeros[i]) {
            (Some(t), _) => Some(t),
            (None, Some((shape, dtype, device))) if need(i) => {
                Some(Tensor::zeros_on(shape, *dtype, *device)?)
            }
            (None, _) => None,
        });
    }
    if let (Some(link), true) = (&g.link, create_graph) {
        let links: Vec<&Tensor> = link.tensors.iter().collect();
        // "NotImplemented:<op>": PyTorch has no derivative of this op's
        // backward kernel, so its gradient is a node that refuses the next order
        let refused = link.name.strip_prefix("NotImplemented:");
        for gi in out.iter_mut() {
            if let Some(t) = gi.take() {
                *gi = Some(match refused {
                    Some(op) => crate::grad_rules::not_implemented_link(
                        t,
                        &links,
                        crate::graph::intern(op),
                    )?,
                    None => crate::grad_rules::zero_link(t, &links, link.name)?,
                });
            }
        }
    }
    Ok(out)
}
