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
    pub root: NodeRef,
    pub aliases: Vec<Option<NodeId>>,
    /// Every node of the inner graph was made after this seq: the inner
    /// sweep refuses to walk into an older node (a tensor the composition
    /// used without declaring it as an input would lose its gradient).
    pub boundary: u64,
    /// PyTorch's backward kernel for this op reads these inputs: under
    /// create_graph the gradients stay connected to them (see
    /// `grad_rules::zero_link`), through a node of this name.
    pub link: Option<Link>,
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
    let present: Vec<&Tensor> = inputs.iter().flatten().copied().collect();
    if !crate::tensor::needs_grad(&present) {
        let plain: Vec<Option<Tensor>> = inputs.iter().map(|t| t.cloned()).collect();
        return f(&plain);
    }
    let boundary = ARENA.lock().peek_seq();
    let aliases: Vec<Option<Tensor>> = inputs
        .iter()
        .map(|t| {
            t.map(|t| {
                if t.requires_grad() {
                    t.graph_alias()
                } else {
                    t.clone()
                }
            })
        })
        .collect();
    let inner = f(&aliases)?;
    let Some(root) = inner.grad_fn() else {
        return Ok(inner);
    };
    let alias_ids: Vec<Option<NodeId>> = inputs
        .iter()
        .zip(&aliases)
        .map(|(t, a)| match (t, a) {
            (Some(t), Some(a)) if t.requires_grad() => a.grad_fn_id(),
            _ => None,
        })
        .collect();
    let out = inner.detach();
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
    let graph = std::sync::Arc::new(CompositeGraph {
        root,
        aliases: alias_ids,
        boundary,
        link,
    });
    let node = NodeRef::create(crate::graph::intern(name), Rule::Composite(graph), edges);
    out.set_grad_fn(node);
    Ok(out)
}

/// The outer node's backward: one gradient per input (None where `needs`
/// is false or no gradient reaches the alias).
pub fn backward(
    g: &CompositeGraph,
    name: &str,
    grad: &Tensor,
    needs: &[bool],
    retain_graph: bool,
    create_graph: bool,
) -> Result<Vec<Option<Tensor>>> {
    let wanted: Vec<NodeId> = g
        .aliases
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.filter(|_| needs.get(i).copied().unwrap_or(false)))
        .collect();
    if wanted.is_empty() {
        return Ok(vec![None; g.aliases.len()]);
    }
    let got = crate::autograd::inner_gradients(
        g.root.id(),
        grad,
        &wanted,
        g.boundary,
        retain_graph,
        create_graph,
    )
    .map_err(|e| match e {
        Error::Autograd(m) if m.starts_with("internal: composite") => {
            Error::Autograd(format!("{m} ({name})"))
        }
        e => e,
    })?;
    let mut got = got.into_iter();
    let mut out: Vec<Option<Tensor>> = g
        .aliases
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if a.is_some() && needs.get(i).copied().unwrap_or(false) {
                got.next().flatten()
            } else {
                None
            }
        })
        .collect();
    if let (Some(link), true) = (&g.link, create_graph) {
        let links: Vec<&Tensor> = link.tensors.iter().collect();
        for gi in out.iter_mut() {
            if let Some(t) = gi.take() {
                *gi = Some(crate::grad_rules::zero_link(t, &links, link.name)?);
            }
        }
    }
    Ok(out)
}
