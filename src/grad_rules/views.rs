//! The derivatives of the shape, view and indexing ops: each puts the
//! incoming gradient back where the op took its elements from (a reshape,
//! an inverse permutation, zeros with the slice or the gathered rows
//! written in, ...).

use super::*;

/// The gradients of `rule`, one of the view and indexing rules (see the
/// caller, `grad_rules::apply`).
pub(super) fn apply(
    rule: &Rule,
    name: &str,
    g: &Tensor,
    needs: &[bool],
    self_id: NodeId,
) -> Result<Vec<Option<Tensor>>> {
    let un = |s: &Saved| s.unpack(name, self_id);
    let need = |i: usize| needs.get(i).copied().unwrap_or(false);
    let one = |t: Tensor| Ok(vec![Some(t)]);
    match rule {
        Rule::Reshape { in_shape } => {
            let out = g.reshape_to(in_shape)?;
            // create_graph: the node PyTorch's formula makes (unsqueeze's
            // gradient is a squeeze, squeeze's an unsqueeze), not a view
            let inverse = match name {
                "UnsqueezeBackward0" => Some("SqueezeBackward1"),
                n if n.starts_with("SqueezeBackward") => Some("UnsqueezeBackward0"),
                _ => None,
            };
            if let Some(inverse) = inverse {
                if crate::grad_mode::is_grad_enabled() && g.shape() != out.shape() {
                    crate::graph::rename(&out, inverse);
                }
            }
            one(out)
        }
        Rule::StridedView {
            in_shape,
            positions,
        } => {
            let z = Tensor::zeros_on(in_shape, g.dtype(), g.device())?;
            one(z.put(positions, g, true)?)
        }
        Rule::Permute { dims } => {
            let mut inv = vec![0; dims.len()];
            for (i, &d) in dims.iter().enumerate() {
                inv[d] = i;
            }
            let out = g.permute_usize(&inv)?;
            // create_graph: PyTorch's formula transposes back with the op
            // the forward used (t's gradient is a t, transpose's a transpose)
            if matches!(name, "TBackward0" | "TransposeBackward0")
                && crate::grad_mode::is_grad_enabled()
            {
                crate::graph::rename(&out, name);
            }
            one(out)
        }
        Rule::Slice {
            in_shape,
            dim,
            start,
            step,
        } => {
            let len = g.shape()[*dim];
            let out =
                Tensor::zeros_filled(in_shape, g, |z| z.write_slice(g, *dim, *start, len, *step))?;
            let (dim, start, step) = (*dim, *start, *step);
            // create_graph: PyTorch's node, whose own gradient slices again
            one(view_gradient(out, g, "SliceBackwardBackward0", move |gg| {
                gg.slice_exact(dim, start, len, step)
            }))
        }
        Rule::Select {
            in_shape,
            dim,
            index,
        } => {
            let row = g.detach().unsqueeze(*dim as i64)?;
            let out =
                Tensor::zeros_filled(in_shape, &row, |z| z.write_slice(&row, *dim, *index, 1, 1))?;
            let (dim, index) = (*dim as i64, *index as i64);
            one(view_gradient(
                out,
                g,
                "SelectBackwardBackward0",
                move |gg| gg.select(dim, index),
            ))
        }
        Rule::IndexSelect {
            in_shape,
            dim,
            index,
        } => {
            if !crate::grad_mode::is_grad_enabled() {
                return one(Tensor::zeros_filled(in_shape, g, |z| {
                    z.add_at_index(*dim, index, g)
                })?);
            }
            let z = Tensor::zeros_on(in_shape, g.dtype(), g.device())?;
            one(z.index_add(*dim, index, g)?)
        }
        Rule::Gather {
            in_shape,
            dim,
            index,
        } => {
            let index = &un(index)?;
            if !crate::grad_mode::is_grad_enabled() {
                return one(Tensor::zeros_filled(in_shape, g, |z| {
                    z.scatter_at_index(*dim, index, g, true)
                })?);
            }
            let z = Tensor::zeros_on(in_shape, g.dtype(), g.device())?;
            one(z.scatter(*dim as i64, index, g, true)?)
        }
        Rule::Scatter {
            dim,
            index,
            add,
            src_shape,
        } => {
            let index = &un(index)?;
            let gs = if *add {
                g.clone()
            } else {
                g.scatter_value(*dim as i64, index, 0.0)?
            };
            // PyTorch's src gradient has the index's shape; its engine
            // refuses it when src is larger (an index smaller than src)
            let name = if *add {
                "ScatterAddBackward0"
            } else {
                "ScatterBackward0"
            };
            let gsrc = need(1)
                .then(|| {
                    crate::autograd::input_gradient(
                        name,
                        1,
                        g.gather(*dim as i64, index)?,
                        src_shape,
                    )
                })
                .transpose()?;
            Ok(vec![Some(gs), gsrc])
        }
        Rule::IndexAdd { dim, index } => Ok(vec![
            Some(g.clone()),
            need(1)
                .then(|| {
                    if g.ndim() == 0 {
                        g.reshape_to(&[1])?.index_select(0, index)
                    } else {
                        g.index_select(*dim, index)
                    }
                })
                .transpose()?,
        ]),
        Rule::Roll { shifts, dims } => {
            let back: Vec<i64> = shifts.iter().map(|s| -s).collect();
            one(g.roll(&back, dims)?)
        }
        Rule::Flip { dims } => one(g.flip(dims)?),
        Rule::Cat { dim, sizes } => {
            let mut out = Vec::with_capacity(sizes.len());
            let mut start = 0;
            for &s in sizes {
                out.push(Some(g.narrow(*dim as i64, start as i64, s as i64)?));
                start += s;
            }
            Ok(out)
        }
        _ => Err(Error::Runtime(format!(
            "internal: {name} is not a view rule"
        ))),
    }
}
