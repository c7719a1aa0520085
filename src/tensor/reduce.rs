//! Reductions (sum, mean, prod, amax/amin, max/min with indices, arg
//! reductions) and the softmax family.

use super::{record, Tensor};
use crate::error::Result;
use crate::grad_rules::{Rule, Saved};
use crate::op::{ArgReduceOp, ReduceOp};
use crate::shape::{wrap_dim, wrap_dims, Shape};

fn kept_shape(shape: &[usize], dims: &[usize], keepdim: bool) -> Shape {
    let mut out = Shape::with_capacity(shape.len());
    for (i, &s) in shape.iter().enumerate() {
        if dims.contains(&i) {
            if keepdim {
                out.push(1);
            }
        } else {
            out.push(s);
        }
    }
    out
}

impl Tensor {
    /// Reduces `dims` (None: all dims).
    pub fn reduce(&self, op: ReduceOp, dims: Option<&[usize]>, keepdim: bool) -> Result<Tensor> {
        let nd = self.ndim();
        let all: Vec<usize> = (0..nd).collect();
        let full = dims.is_none();
        let dims: Vec<usize> = match dims {
            // A 0-d tensor has nothing to reduce over (dim 0 or -1 is accepted).
            _ if nd == 0 => vec![],
            Some(d) if !d.is_empty() => d.to_vec(),
            // PyTorch: an empty dim list reduces everything
            _ => all,
        };
        let in_shape = self.shape();
        let out_shape = kept_shape(&in_shape, &dims, keepdim);
        if matches!(op, ReduceOp::Amax | ReduceOp::Amin) && !full {
            // an extremum over an empty dim has no value (PyTorch's IndexError);
            // over non-empty dims of an empty tensor it is empty
            if let Some(&d) = dims.iter().find(|&&d| in_shape[d] == 0) {
                return crate::error::index_err(
                    op.name(),
                    format!(
                        "{}(): Expected reduction dim {d} to have non-zero size.",
                        op.name()
                    ),
                );
            }
            if self.numel() == 0 {
                // empty in, empty out, still a node of the graph
                let out = Tensor::zeros_on(&out_shape, self.dtype(), self.device())?;
                if out.dtype().is_float() {
                    let name = if op == ReduceOp::Amax {
                        "AmaxBackward0"
                    } else {
                        "AminBackward0"
                    };
                    record(&out, name, &[self], || Rule::Zero);
                }
                return Ok(out);
            }
        }
        let storage = self.with_storage(|s, l| s.reduce(op, l, &dims))?;
        let out = Tensor::contiguous_from(storage, out_shape);
        if !out.dtype().is_float() {
            return Ok(out);
        }
        let (name, rule): (&'static str, Box<dyn FnOnce() -> Rule>) = match op {
            ReduceOp::Sum | ReduceOp::Mean => {
                let name = match (op, full) {
                    (ReduceOp::Sum, true) => "SumBackward0",
                    (ReduceOp::Sum, false) => "SumBackward1",
                    (_, true) => "MeanBackward0",
                    _ => "MeanBackward1",
                };
                let dims = dims.clone();
                (
                    name,
                    Box::new(move || Rule::Reduce {
                        op,
                        in_shape,
                        dims,
                        keepdim,
                    }),
                )
            }
            ReduceOp::Prod => {
                let (x, o, dims) = (Saved::input(self), Saved::output(&out), dims.clone());
                (
                    if full {
                        "ProdBackward0"
                    } else {
                        "ProdBackward1"
                    },
                    Box::new(move || Rule::Prod {
                        x,
                        out: o,
                        dims,
                        keepdim,
                    }),
                )
            }
            ReduceOp::Amax | ReduceOp::Amin => {
                let (x, o, dims) = (Saved::input(self), Saved::output(&out), dims.clone());
                let name = match (op, full) {
                    (ReduceOp::Amax, true) => "MaxBackward1",
                    (ReduceOp::Amin, true) => "MinBackward1",
                    (ReduceOp::Amax, false) => "AmaxBackward0",
                    _ => "AminBackward0",
                };
                (
                    name,
                    Box::new(move || Rule::Extremum {
                        x,
                        out: o,
                        dims,
                        keepdim,
                        fill: full,
                    }),
                )
            }
        };
        record(&out, name, &[self], rule);
        Ok(out)
    }

    pub fn reduce_dims(&self, op: ReduceOp, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        match dims {
            None => self.reduce(op, None, keepdim),
            Some(d) => {
                let w = wrap_dims(op.name(), d, self.ndim())?;
                self.reduce(op, Some(&w), keepdim)
            }
        }
    }

    pub fn sum_all(&self) -> Result<Tensor> {
        self.reduce(ReduceOp::Sum, None, false)
    }

    /// Sums a broadcast gradient back to `shape` (leading dims and dims that
    /// were 1): the one place broadcasting is undone.
    pub fn sum_to(&self, shape: &[usize]) -> Result<Tensor> {
        let own = self.shape();
        if own.as_slice() == shape {
            return Ok(self.clone());
        }
        if own.len() < shape.len() {
            return self.reshape_to(shape);
        }
        if shape.is_empty() {
            // to a 0-d tensor: one full sum (SumBackward0), as PyTorch's sum_to
            return self.sum_all();
        }
        let lead = own.len() - shape.len();
        let mut dims: Vec<usize> = (0..lead).collect();
        for i in 0..shape.len() {
            if shape[i] == 1 && own[lead + i] != 1 {
                dims.push(lead + i);
            }
        }
        let mut t = if dims.is_empty() {
            self.clone()
        } else {
            self.reduce(ReduceOp::Sum, Some(&dims), true)?
        };
        if lead > 0 || t.shape().as_slice() != shape {
            t = t.reshape_to(shape)?;
        }
        Ok(t)
    }

    /// `max(dim)` / `min(dim)`: (values, int64 indices).
    pub fn extremum_dim(&self, max: bool, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let nd = self.ndim();
        let d = wrap_dim(if max { "max" } else { "min" }, dim, nd)?;
        if nd == 0 {
            let values = self.clone_tensor()?;
            crate::graph::rename(&values, if max { "MaxBackward0" } else { "MinBackward0" });
            return Ok((
                values,
                Tensor::from_i64(vec![0], Shape::new()).to_device(self.device())?,
            ));
        }
        let in_shape = self.shape();
        if in_shape.get(d) == Some(&0) {
            return crate::error::index_err(
                "max",
                format!(
                    "{}(): Expected reduction dim {d} to have non-zero size.",
                    if max { "max" } else { "min" }
                ),
            );
        }
        let arg = if max {
            ArgReduceOp::ArgMax
        } else {
            ArgReduceOp::ArgMin
        };
        let out_shape = kept_shape(&in_shape, &[d], keepdim);
        // the GPU computes values and indices in one kernel, without a readback
        if let Some((v, i)) = self.with_storage(|s, l| s.arg_reduce_on_device(arg, l, d))? {
            let (values, indices) = (
                Tensor::contiguous_from(v, out_shape.clone()),
                Tensor::contiguous_from(i, out_shape),
            );
            if self.dtype().is_float() {
                let ix = indices.clone();
                record(
                    &values,
                    if max { "MaxBackward0" } else { "MinBackward0" },
                    &[self],
                    || Rule::IndexedExtremum {
                        in_shape,
                        dim: d,
                        indices: ix,
                        keepdim,
                    },
                );
            }
            return Ok((values, indices));
        }
        let idx = self.with_storage(|s, l| s.arg_reduce(arg, l, d.min(nd.saturating_sub(1))))?;
        let indices = Tensor::from_i64(idx, out_shape.clone()).to_device(self.device())?;
        // values = gather along d
        let values = {
            let _g = crate::grad_mode::GradModeGuard::new(false);
            let idx_k = if keepdim || nd == 0 {
                indices.clone()
            } else {
                indices.unsqueeze(d as i64)?
            };
            let v = if nd == 0 {
                self.clone_data()?
            } else {
                self.gather(d as i64, &idx_k)?
            };
            if keepdim || nd == 0 {
                v
            } else {
                v.squeeze(Some(&[d as i64]))?
            }
        };
        let values = values.detach();
        if self.dtype().is_float() {
            let ix = indices.clone();
            record(
                &values,
                if max { "MaxBackward0" } else { "MinBackward0" },
                &[self],
                || Rule::IndexedExtremum {
                    in_shape,
                    dim: d,
                    indices: ix,
                    keepdim,
                },
            );
        }
        Ok((values, indices))
    }

    /// argmax/argmin over `dim`, or over the flattened tensor.
    pub fn arg_extremum(&self, max: bool, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
        let arg = if max {
            ArgReduceOp::ArgMax
        } else {
            ArgReduceOp::ArgMin
        };
        match dim {
            None => {
                let flat = self.reshape_to(&[self.numel()])?;
                let shape = if keepdim {
                    vec![1; self.ndim()]
                } else {
                    vec![]
                };
                if flat.numel() > 0 {
                    if let Some((_, i)) =
                        flat.with_storage(|s, l| s.arg_reduce_on_device(arg, l, 0))?
                    {
                        return Ok(Tensor::contiguous_from(i, shape));
                    }
                }
                let idx = flat.with_storage(|s, l| s.arg_reduce(arg, l, 0))?;
                Tensor::from_i64(idx, shape).to_device(self.device())
            }
            Some(d) => {
                let nd = self.ndim();
                let d = wrap_dim("argmax", d, nd)?;
                if nd == 0 {
                    return Tensor::from_i64(vec![0], Shape::new()).to_device(self.device());
                }
                if self.shape()[d] > 0 {
                    if let Some((_, i)) =
                        self.with_storage(|s, l| s.arg_reduce_on_device(arg, l, d))?
                    {
                        return Ok(Tensor::contiguous_from(
                            i,
                            kept_shape(&self.shape(), &[d], keepdim),
                        ));
                    }
                }
                let idx =
                    self.with_storage(|s, l| s.arg_reduce(arg, l, d.min(nd.saturating_sub(1))))?;
                Tensor::from_i64(idx, kept_shape(&self.shape(), &[d], keepdim))
                    .to_device(self.device())
            }
        }
    }

    /// sort along `dim` where the data lives, when its device can (the GPU):
    /// (values, indices) with values differentiable (a gather by the indices).
    /// None: the caller sorts on the host.
    pub fn sort_on_device(&self, dim: i64, descending: bool) -> Result<Option<(Tensor, Tensor)>> {
        let nd = self.ndim();
        if nd == 0 {
            return Ok(None);
        }
        let d = wrap_dim("sort", dim, nd)?;
        let Some((v, i)) = self.with_storage(|s, l| s.sort_on_device(l, d, descending))? else {
            return Ok(None);
        };
        // the kernel's layout has `d` last; a permuted view puts it back
        let in_shape = self.shape();
        let mut moved: Vec<usize> = in_shape
            .iter()
            .copied()
            .enumerate()
            .filter(|&(k, _)| k != d)
            .map(|(_, s)| s)
            .collect();
        moved.push(in_shape[d]);
        let mut perm: Vec<usize> = (0..nd - 1).collect();
        perm.insert(d, nd - 1);
        let values = Tensor::contiguous_from(v, moved.clone())
            .permute_usize(&perm)?
            .detach();
        let indices = Tensor::contiguous_from(i, moved).permute_usize(&perm)?;
        if self.dtype().is_float() {
            record(&values, "SortBackward0", &[self], || Rule::Gather {
                in_shape,
                dim: d,
                index: Saved::output(&indices),
            });
        }
        Ok(Some((values, indices)))
    }

    /// Fused, unrecorded (log_)softmax gradient over `dim`, if the
    /// layouts allow it.
    pub(crate) fn softmax_backward_fused(
        &self,
        y: &Tensor,
        dim: usize,
        log: bool,
    ) -> Option<Tensor> {
        if dim >= y.ndim().max(1) || self.shape() != y.shape() || self.dtype() != y.dtype() {
            return None;
        }
        let storage = {
            let (vg, vy) = (self.view_guard(), y.view_guard());
            let (sg, sy) = (
                vg.storage.data.read_recursive(),
                vy.storage.data.read_recursive(),
            );
            sg.softmax_backward(&vg.layout, &sy, &vy.layout, dim, log)?
        };
        Some(Tensor::contiguous_from(storage, y.shape()))
    }

    pub fn softmax(&self, dim: i64, log: bool) -> Result<Tensor> {
        let name = if log { "log_softmax" } else { "softmax" };
        let d = wrap_dim(name, dim, self.ndim())?;
        if !self.dtype().is_float() {
            // PyTorch has no integer kernel (pass dtype= to compute in a float)
            let kernel = if d + 1 >= self.ndim() { "_lastdim" } else { "" };
            let dtype = if self.dtype() == crate::dtype::DType::Bool {
                "Bool"
            } else {
                "Long"
            };
            return crate::error::not_implemented_err(format!(
                "\"{name}{kernel}_kernel_impl\" not implemented for '{dtype}'"
            ));
        }
        let src = self.clone();
        let storage = src.with_storage(|s, l| s.softmax(l, d, log))?;
        let out = Tensor::contiguous_from(storage, self.shape());
        let o = Saved::output(&out);
        if log {
            record(&out, "LogSoftmaxBackward0", &[self], || Rule::LogSoftmax {
                out: o,
                dim: d,
            });
        } else {
            record(&out, "SoftmaxBackward0", &[self], || Rule::Softmax {
                out: o,
                dim: d,
            });
        }
        Ok(out)
    }
}
