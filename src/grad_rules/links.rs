//! How a gradient computed under create_graph shows up in the graph as
//! PyTorch's backward kernel would: zero-derivative links to the tensors the
//! kernel read, named kernel nodes, refused derivatives, view gradients.

use super::*;

/// Under create_graph, `grad` (a first-order gradient) recorded as a
/// function of `links` too, with zero derivative there, in a node named
/// `name`: PyTorch's backward kernels (threshold_backward, ...) read their
/// saved input, so their results stay connected to it and a second
/// backward gives it a zero gradient rather than none.
pub fn zero_link(grad: Tensor, links: &[&Tensor], name: &'static str) -> Result<Tensor> {
    if !crate::grad_mode::is_grad_enabled() || !links.iter().any(|t| t.requires_grad()) {
        return Ok(grad);
    }
    let out = grad.detach();
    let mut inputs: Vec<&Tensor> = vec![&grad];
    inputs.extend_from_slice(links);
    let meta = links
        .iter()
        .map(|t| (t.shape(), t.dtype(), t.device()))
        .collect();
    crate::tensor::record(&out, name, &inputs, || Rule::ZeroLink(meta));
    Ok(out)
}

/// Under create_graph, `grad` (computed in differentiable ops) shown as
/// the node of PyTorch's backward kernel, `name`, over the saved tensor it
/// reads (`TanhBackwardBackward0` over tanh's output, ...): `zero_link`'s
/// node, whose derivatives flow through the computation of `grad` itself.
/// The gradient's values and every higher derivative are unchanged.
pub(super) fn named_gradient(grad: Tensor, saved: &Tensor, name: &'static str) -> Result<Tensor> {
    zero_link(grad, &[saved], name)
}

/// Under create_graph, `grad` (a first-order gradient) recorded as the
/// result of `links` through a NotImplemented node for `op`: PyTorch has no
/// derivative of that backward kernel (hardsigmoid_backward), so a further
/// backward through it raises, as PyTorch's does.
/// Forward AD's transposition of the rule (`forward_ad::transposing`)
/// needs the gradient as the function of the cotangent it is: no link then.
pub fn not_implemented_link(grad: Tensor, links: &[&Tensor], op: &'static str) -> Result<Tensor> {
    if !crate::grad_mode::is_grad_enabled()
        || !(grad.requires_grad() || links.iter().any(|t| t.requires_grad()))
        || crate::forward_ad::transposing()
    {
        return Ok(grad);
    }
    let out = grad.detach();
    let mut inputs: Vec<&Tensor> = vec![&grad];
    inputs.extend_from_slice(links);
    crate::tensor::record(&out, "NotImplemented", &inputs, || Rule::NotImplemented(op));
    Ok(out)
}

/// A view's gradient `out` (the incoming gradient `g` placed in zeros),
/// recorded under create_graph as PyTorch's node `name` over `g` alone,
/// whose gradient is the view `take` of the next incoming gradient.
pub(super) fn view_gradient(
    out: Tensor,
    g: &Tensor,
    name: &'static str,
    take: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Tensor {
    if crate::grad_mode::is_grad_enabled() {
        let take = std::sync::Arc::new(move |gg: &Tensor| Ok(vec![Some(take(gg)?)]));
        crate::tensor::record(&out, name, &[g], || Rule::Custom {
            f: take,
            saves: false,
        });
    }
    out
}
