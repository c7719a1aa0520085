//! The gradients of a CopySlices node (an in-place op on a view).

use super::*;

/// The gradients of a CopySlices node (see `Rule::CopySlices`).
pub(super) fn copy_slices_backward(
    g: &Tensor,
    positions: &Tensor,
    op: &crate::graph::NodeRef,
    needs: &[bool],
) -> Result<Vec<Option<Tensor>>> {
    let (rule, name, view_edge) = {
        let a = crate::graph::ARENA.lock();
        let n = a
            .get(op.id())
            .ok_or_else(|| Error::Autograd(FREED_GRAPH.into()))?;
        (n.rule.clone(), n.name, n.edges.first().cloned().flatten())
    };
    let shape = g.shape();
    let flat = g.reshape_to(&[g.numel()])?;
    let at = positions.reshape_to(&[positions.numel()])?;
    let region = flat.index_select(0, &at)?.reshape_to(&positions.shape())?;
    // the view's gradient is needed when the view had history (a view of a
    // base without one gets none, and the op may not have saved for it)
    let mut op_needs = vec![view_edge.is_some()];
    op_needs.extend(needs.iter().skip(1).copied());
    let mut grads = apply(&rule, name, &region, &op_needs, op.id())?;
    // the view's gradient, as the scheduler would have shaped it for the view
    let mut view_grad = grads.first_mut().and_then(Option::take);
    if let (Some(vg), Some(e)) = (view_grad.as_mut(), view_edge) {
        if let Some(s) = &e.shape {
            if &vg.shape() != s {
                *vg = vg.sum_to(s)?;
            }
        }
        if vg.dtype() != g.dtype() {
            *vg = vg.to_dtype(g.dtype())?;
        }
    }
    let base = match view_grad {
        Some(vg) => flat.put(positions, &vg, false)?,
        None => flat.index_fill(&at, 0.0)?,
    };
    let mut out = vec![Some(base.reshape_to(&shape)?)];
    out.extend(grads.into_iter().skip(1));
    Ok(out)
}
