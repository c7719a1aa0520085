//! A node's saved tensors under the attribute names PyTorch's generated
//! nodes give them (`grad_fn._saved_self`, `_saved_other`, `_saved_result`,
//! `_saved_mat2`, ...), for the rules whose saved tensors map one-to-one
//! onto PyTorch's. Rules not listed here expose none: asking for one is an
//! AttributeError, as for a name PyTorch's node does not have.

use crate::grad_rules::{Rule, Saved};

/// The one table of names, for shared and for mutable access (`$opt` is
/// `as_ref` or `as_mut`, for the saved tensors a rule keeps optionally).
macro_rules! by_name {
    ($rule:expr, $opt:ident) => {
        match $rule {
            Rule::UnaryX(_, s) | Rule::UnaryOut(_, s) => {
                vec![(if s.is_output() { "result" } else { "self" }, Some(s))]
            }
            Rule::Mul(a, b) => vec![("self", a.$opt()), ("other", b.$opt())],
            // Div(divisor, dividend when the divisor needs grad)
            Rule::Div(other, this) => vec![("self", this.$opt()), ("other", Some(other))],
            Rule::Atan2(a, b) | Rule::MaxMin { a, b, .. } | Rule::Remainder(a, b) => {
                vec![("self", Some(a)), ("other", Some(b))]
            }
            Rule::Pow(x, e, out) => vec![
                ("self", Some(x)),
                ("exponent", Some(e)),
                ("result", Some(out)),
            ],
            Rule::Prod { x, out, .. } | Rule::Cumprod { x, out, .. } => {
                vec![("self", Some(x)), ("result", Some(out))]
            }
            Rule::Softmax { out, .. } | Rule::LogSoftmax { out, .. } => vec![("result", Some(out))],
            Rule::Matmul(a, b) => vec![("self", Some(a)), ("mat2", Some(b))],
            Rule::Addmm(a, b) => vec![("mat1", Some(a)), ("mat2", Some(b))],
            Rule::Conv2d(x, w, _) => vec![("input", Some(x)), ("weight", Some(w))],
            Rule::AvgPool2d(_, _, _, x) | Rule::MaxPool2d { input: x, .. } => {
                vec![("self", Some(x))]
            }
            _ => Vec::new(),
        }
    };
}

/// `(name without the "_saved_" prefix, tensor)` for each tensor a node
/// with `rule` saves; None for one PyTorch's node saves only when another
/// input needs grad and that input does not (`_saved_self` of `x * w`
/// with only `x` requiring grad: PyTorch shows None).
pub fn saved_by_name(rule: &Rule) -> Vec<(&'static str, Option<&Saved>)> {
    by_name!(rule, as_ref)
}

/// `saved_by_name`, to replace a saved tensor (`SavedTensor.register_hooks`).
pub fn saved_by_name_mut(rule: &mut Rule) -> Vec<(&'static str, Option<&mut Saved>)> {
    by_name!(rule, as_mut)
}
