//! A node's saved tensors under the attribute names PyTorch's generated
//! nodes give them (`grad_fn._saved_self`, `_saved_other`, `_saved_result`,
//! `_saved_mat2`, ...), for the rules whose saved tensors map one-to-one
//! onto PyTorch's. Rules not listed here expose none: asking for one is an
//! AttributeError, as for a name PyTorch's node does not have.

use crate::grad_rules::{Rule, Saved};

/// `(name without the "_saved_" prefix, tensor)` for each saved tensor of
/// a node with `rule`.
pub fn saved_by_name(rule: &Rule) -> Vec<(&'static str, &Saved)> {
    match rule {
        Rule::UnaryX(_, s) | Rule::UnaryOut(_, s) => {
            vec![(if s.is_output() { "result" } else { "self" }, s)]
        }
        Rule::Mul(a, b) => [("self", a), ("other", b)]
            .into_iter()
            .filter_map(|(n, s)| s.as_ref().map(|s| (n, s)))
            .collect(),
        // Div(divisor, dividend when the divisor needs grad)
        Rule::Div(other, this) => {
            let mut out: Vec<_> = this.iter().map(|s| ("self", s)).collect();
            out.push(("other", other));
            out
        }
        Rule::Atan2(a, b) | Rule::MaxMin { a, b, .. } | Rule::Remainder(a, b) => {
            vec![("self", a), ("other", b)]
        }
        Rule::Pow(x, e, out) => vec![("self", x), ("exponent", e), ("result", out)],
        Rule::Prod { x, out, .. } | Rule::Cumprod { x, out, .. } => {
            vec![("self", x), ("result", out)]
        }
        Rule::Softmax { out, .. } | Rule::LogSoftmax { out, .. } => vec![("result", out)],
        Rule::Matmul(a, b) => vec![("self", a), ("mat2", b)],
        Rule::Addmm(a, b) => vec![("mat1", a), ("mat2", b)],
        Rule::Conv2d(x, w, _) => vec![("input", x), ("weight", w)],
        _ => Vec::new(),
    }
}
