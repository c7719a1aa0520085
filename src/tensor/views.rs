//! View ops: new layouts over the same storage, never a copy (except
//! `reshape` of a layout no view can express, and `flip`).

use super::{record, Tensor, View};
use crate::error::{shape_err, Result};
use crate::grad_rules::Rule;
use crate::layout::Layout;
use crate::shape::{fmt_shape, infer_shape, wrap_dim, wrap_dims};

impl Tensor {
    /// A tensor over this one's storage with another layout.
    pub(super) fn alias(&self, mut layout: Layout) -> Tensor {
        if layout.numel() == 0 {
            // an empty view touches no element: its offset (which may lie
            // past the end of the storage, `x[1]` of a [2, 0, 2]) is moot
            layout.offset = 0;
        }
        let (storage, tracks_version) = {
            let v = self.view_guard();
            (v.storage.clone(), v.tracks_version)
        };
        let out = Tensor::from_view(View {
            storage,
            layout,
            tracks_version,
        });
        // every view made in grad mode knows its base, also of a tensor that
        // needs no grad: writing a grad-requiring value through the view
        // gives the base a history (PyTorch's CopySlices)
        if crate::grad_mode::is_grad_enabled() {
            let base = self
                .0
                .meta
                .lock()
                .view_base
                .clone()
                .unwrap_or_else(|| self.clone());
            let version = out.version();
            let mut m = out.0.meta.lock();
            m.view_base = Some(base);
            m.view_version = version;
        }
        out
    }

    pub fn view(&self, spec: &[i64]) -> Result<Tensor> {
        let shape = infer_shape("view", spec, self.numel())?;
        let in_shape = self.shape();
        let Some(l) = self.layout().view(&shape) else {
            return shape_err("view", "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
        };
        let out = self.alias(l);
        record(&out, "ViewBackward0", &[self], || Rule::Reshape {
            in_shape,
        });
        Ok(out)
    }

    pub fn reshape(&self, spec: &[i64]) -> Result<Tensor> {
        let shape = infer_shape("reshape", spec, self.numel())?;
        self.reshape_recorded(&shape)
    }

    /// `reshape` with PyTorch's node: a view of a contiguous tensor is
    /// ViewBackward0, of a strided one `_reshape_alias`'s
    /// ReshapeAliasBackward0, recorded even when the shape does not change;
    /// a layout no view can express is a clone and an unsafe view.
    fn reshape_recorded(&self, shape: &[usize]) -> Result<Tensor> {
        let name = if self.is_contiguous() {
            "ViewBackward0"
        } else {
            "ReshapeAliasBackward0"
        };
        if self.shape().as_slice() == shape {
            return Ok(self.same_view(name));
        }
        let viewable = self.layout().view(shape).is_some();
        let out = self.reshape_to(shape)?;
        if viewable && !self.is_contiguous() {
            crate::graph::rename(&out, name);
        }
        Ok(out)
    }

    /// A view of the whole tensor with its own graph node `name` (PyTorch's
    /// view ops always make one, even when nothing changes).
    pub fn same_view(&self, name: &'static str) -> Tensor {
        let out = self.alias(self.layout());
        record(&out, name, &[self], || Rule::Identity);
        out
    }

    /// PyTorch's `_unsafe_view`: a view of a tensor that nothing else
    /// references (a fresh product or copy) to `shape`, always recorded as
    /// its own node (UnsafeViewBackward0), as matmul, linear and reshape's
    /// copy make it. A layout no view can express is copied first.
    pub fn unsafe_view(&self, shape: &[usize]) -> Result<Tensor> {
        if crate::shape::numel(shape) != self.numel() {
            return shape_err(
                "_unsafe_view",
                format!(
                    "shape '{}' is invalid for input of size {}",
                    fmt_shape(shape),
                    self.numel()
                ),
            );
        }
        let in_shape = self.shape();
        let out = match self.layout().view(shape) {
            Some(l) => self.alias(l),
            None => {
                Tensor::contiguous_from(self.to_contiguous_storage(self.dtype())?, shape.to_vec())
            }
        };
        record(&out, "UnsafeViewBackward0", &[self], || Rule::Reshape {
            in_shape,
        });
        Ok(out)
    }

    /// Reshape to a resolved shape: a view when the strides allow, else a copy.
    pub fn reshape_to(&self, shape: &[usize]) -> Result<Tensor> {
        let in_shape = self.shape();
        if in_shape.as_slice() == shape {
            return Ok(self.clone());
        }
        if crate::shape::numel(shape) != self.numel() {
            return shape_err(
                "reshape",
                format!(
                    "shape '{}' is invalid for input of size {}",
                    fmt_shape(shape),
                    self.numel()
                ),
            );
        }
        match self.layout().view(shape) {
            Some(l) => {
                let out = self.alias(l);
                record(&out, "ViewBackward0", &[self], || Rule::Reshape {
                    in_shape,
                });
                Ok(out)
            }
            // as PyTorch: a contiguous clone, then an unsafe view of it
            None => self.clone_tensor()?.unsafe_view(shape),
        }
    }

    pub fn flatten(&self, start: i64, end: i64) -> Result<Tensor> {
        let nd = self.ndim();
        if nd == 0 {
            return self.reshape_to(&[1]);
        }
        let s = wrap_dim("flatten", start, nd)?;
        let e = wrap_dim("flatten", end, nd)?;
        if s > e {
            return shape_err(
                "flatten",
                "flatten() has invalid args: start_dim cannot come after end_dim",
            );
        }
        let shape = self.shape();
        let mut new: Vec<usize> = shape[..s].to_vec();
        new.push(shape[s..=e].iter().product());
        new.extend_from_slice(&shape[e + 1..]);
        if s == e {
            // nothing merged: PyTorch returns the tensor itself
            return Ok(self.clone());
        }
        self.reshape_recorded(&new)
    }

    pub fn permute(&self, dims: &[i64]) -> Result<Tensor> {
        let nd = self.ndim();
        if dims.len() != nd {
            return shape_err("permute", format!("permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {}", dims.len()));
        }
        let d: Vec<usize> = dims
            .iter()
            .map(|&x| crate::shape::wrap_dim("permute", x, nd))
            .collect::<Result<_>>()?;
        if (1..d.len()).any(|i| d[..i].contains(&d[i])) {
            return shape_err("permute", "permute(): duplicate dims are not allowed.");
        }
        self.permute_usize(&d)
    }

    pub fn permute_usize(&self, dims: &[usize]) -> Result<Tensor> {
        let out = self.alias(self.layout().permute(dims));
        let dims = dims.to_vec();
        record(&out, "PermuteBackward0", &[self], || Rule::Permute { dims });
        Ok(out)
    }

    /// `diagonal(offset, dim1, dim2)`: a view, the diagonal as the last dim.
    pub fn diagonal(&self, offset: i64, dim1: i64, dim2: i64) -> Result<Tensor> {
        let nd = self.ndim();
        let (a, b) = (
            wrap_dim("diagonal", dim1, nd)?,
            wrap_dim("diagonal", dim2, nd)?,
        );
        if a == b {
            return shape_err(
                "diagonal",
                format!("diagonal dimensions cannot be identical {dim1}, {dim2}"),
            );
        }
        self.strided_view(|l| l.diagonal(offset, a, b), "DiagonalBackward0")
    }

    /// `Tensor.unfold(dimension, size, step)`: a view with the windows as a
    /// new last dim.
    pub fn unfold(&self, dimension: i64, size: i64, step: i64) -> Result<Tensor> {
        let nd = self.ndim();
        let d = wrap_dim("unfold", dimension, nd.max(1))?;
        let n = self.shape().get(d).copied().unwrap_or(1);
        if size < 0 || size as usize > n {
            return shape_err(
                "unfold",
                format!("maximum size for tensor at dimension {d} is {n} but size is {size}"),
            );
        }
        if step <= 0 {
            return shape_err("unfold", format!("step is {step} but must be > 0"));
        }
        self.strided_view(
            |l| l.unfold(d, size as usize, step as usize),
            "UnfoldBackward0",
        )
    }

    /// A view whose layout `f` derives from this tensor's: the same
    /// function applied to a row-major layout of this shape gives the input
    /// positions its gradient goes back to.
    fn strided_view(&self, f: impl Fn(&Layout) -> Layout, name: &'static str) -> Result<Tensor> {
        let out = self.alias(f(&self.layout()));
        if super::needs_grad(&[self]) {
            let in_shape = self.shape();
            let logical = f(&Layout::contiguous(in_shape.clone()));
            let mut pos = Vec::with_capacity(logical.numel());
            logical.for_each_offset(|o| pos.push(o as i64));
            let positions = Tensor::from_i64(pos, logical.shape.clone());
            record(&out, name, &[self], || Rule::StridedView {
                in_shape,
                positions,
            });
        }
        Ok(out)
    }

    pub fn transpose(&self, d0: i64, d1: i64) -> Result<Tensor> {
        let nd = self.ndim();
        if nd == 0 {
            // dims -1 and 0 name the 0-d tensor's one dim: a view of it,
            // recorded (an unrecorded alias lost the gradient)
            wrap_dim("transpose", d0, nd)?;
            wrap_dim("transpose", d1, nd)?;
            return Ok(self.same_view("TransposeBackward0"));
        }
        let (a, b) = (
            wrap_dim("transpose", d0, nd)?,
            wrap_dim("transpose", d1, nd)?,
        );
        let mut perm: Vec<usize> = (0..nd).collect();
        perm.swap(a, b);
        let out = self.alias(self.layout().transpose(a, b));
        record(&out, "TransposeBackward0", &[self], || Rule::Permute {
            dims: perm,
        });
        Ok(out)
    }

    /// `t()`: transpose of a tensor with at most 2 dims.
    pub fn t(&self) -> Result<Tensor> {
        let nd = self.ndim();
        if nd > 2 {
            return shape_err(
                "t",
                format!("t() expects a tensor with <= 2 dimensions, but self is {nd}D"),
            );
        }
        if nd < 2 {
            // PyTorch records a view of 0-d and 1-d tensors too
            return Ok(self.same_view("TBackward0"));
        }
        let out = self.alias(self.layout().transpose(0, 1));
        record(&out, "TBackward0", &[self], || Rule::Permute {
            dims: vec![1, 0],
        });
        Ok(out)
    }

    /// Swaps the last two dims (`mT`).
    pub fn mt(&self) -> Result<Tensor> {
        let nd = self.ndim();
        if nd < 2 {
            return shape_err("mT", format!("tensor.mT is only supported on matrices or batches of matrices. Got {nd}-D tensor."));
        }
        self.transpose(-2, -1)
    }

    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        let d = wrap_dim("unsqueeze", dim, self.ndim() + 1)?;
        let in_shape = self.shape();
        let out = self.alias(self.layout().unsqueeze(d));
        record(&out, "UnsqueezeBackward0", &[self], || Rule::Reshape {
            in_shape,
        });
        Ok(out)
    }

    /// `squeeze(dims)`; `None` squeezes every size-1 dim.
    /// `squeeze()` (all size-1 dims) or `squeeze(dim)`.
    pub fn squeeze(&self, dims: Option<&[i64]>) -> Result<Tensor> {
        self.squeeze_as(
            dims,
            if dims.is_none() {
                "SqueezeBackward0"
            } else {
                "SqueezeBackward1"
            },
        )
    }

    /// `squeeze(dims)` given a tuple: PyTorch's SqueezeBackward4 overload.
    pub fn squeeze_dims(&self, dims: &[i64]) -> Result<Tensor> {
        self.squeeze_as(Some(dims), "SqueezeBackward4")
    }

    fn squeeze_as(&self, dims: Option<&[i64]>, name: &'static str) -> Result<Tensor> {
        let nd = self.ndim();
        let d: Vec<usize> = match dims {
            Some(ds) => wrap_dims("squeeze", ds, nd)?,
            None => (0..nd).collect(),
        };
        let in_shape = self.shape();
        let out = self.alias(self.layout().squeeze(&d));
        record(&out, name, &[self], || Rule::Reshape { in_shape });
        Ok(out)
    }

    /// `expand(*sizes)` with -1 meaning "keep this dim".
    pub fn expand_spec(&self, spec: &[i64]) -> Result<Tensor> {
        let shape = self.shape();
        let lead = spec.len().saturating_sub(shape.len());
        let mut target = Vec::with_capacity(spec.len());
        for (i, &s) in spec.iter().enumerate() {
            if s == -1 {
                if i < lead {
                    return shape_err("expand", format!("The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}"));
                }
                target.push(shape[i - lead]);
            } else if s < 0 {
                return shape_err(
                    "expand",
                    format!("The expanded size of the tensor ({s}) isn't allowed"),
                );
            } else {
                target.push(s as usize);
            }
        }
        self.expand_view(&target)
    }

    pub fn expand(&self, target: &[usize]) -> Result<Tensor> {
        if self.shape().as_slice() == target {
            return Ok(self.clone());
        }
        self.expand_view(target)
    }

    /// `Tensor.expand` as the user calls it: always a new view with its
    /// node, even to the same shape (as PyTorch).
    pub fn expand_view(&self, target: &[usize]) -> Result<Tensor> {
        let shape = self.shape();
        if target.len() < shape.len() {
            return shape_err("expand", format!(
                "expand(torch.{}{{{}}}, size={}): the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                self.dtype().legacy_name(), fmt_shape(&shape), fmt_shape(target), target.len(), shape.len()
            ));
        }
        let l = self.layout().expand("expand", target)?;
        let out = self.alias(l);
        record(&out, "ExpandBackward0", &[self], || Rule::Identity);
        Ok(out)
    }

    /// Python-style slice along `dim`: `start:stop:step` with clamping.
    pub fn slice(
        &self,
        dim: i64,
        start: Option<i64>,
        stop: Option<i64>,
        step: i64,
    ) -> Result<Tensor> {
        if step <= 0 {
            return shape_err("slice", "slice step must be positive");
        }
        let nd = self.ndim();
        if nd == 0 {
            return crate::error::index_err("slice", "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
        }
        let d = wrap_dim("slice", dim, nd)?;
        let size = self.shape()[d] as i64;
        let clamp = |v: i64| -> i64 {
            let v = if v < 0 { v + size } else { v };
            v.clamp(0, size)
        };
        let s = clamp(start.unwrap_or(0));
        let e = clamp(stop.unwrap_or(size)).max(s);
        let len = ((e - s) + step - 1) / step;
        self.slice_exact(d, s as usize, len as usize, step as usize)
    }

    pub(crate) fn slice_exact(
        &self,
        d: usize,
        start: usize,
        len: usize,
        step: usize,
    ) -> Result<Tensor> {
        let in_shape = self.shape();
        let out = self.alias(self.layout().slice(d, start, len, step));
        record(&out, "SliceBackward0", &[self], || Rule::Slice {
            in_shape,
            dim: d,
            start,
            step,
        });
        Ok(out)
    }

    pub fn narrow(&self, dim: i64, start: i64, length: i64) -> Result<Tensor> {
        let nd = self.ndim();
        if nd == 0 {
            return crate::error::runtime_err("narrow() cannot be applied to a 0-dim tensor.");
        }
        let d = wrap_dim("narrow", dim, nd)?;
        let size = self.shape()[d] as i64;
        let s = if start < 0 { start + size } else { start };
        if s < 0 || s > size || length < 0 || s + length > size {
            return crate::error::runtime_err(format!(
                "start ({start}) + length ({length}) exceeds dimension size ({size})."
            ));
        }
        self.slice_exact(d, s as usize, length as usize, 1)
    }

    pub fn select(&self, dim: i64, index: i64) -> Result<Tensor> {
        let nd = self.ndim();
        if nd == 0 {
            return crate::error::index_err(
                "select",
                "select() cannot be applied to a 0-dim tensor.",
            );
        }
        let d = wrap_dim("select", dim, nd)?;
        let in_shape = self.shape();
        let l = self.layout().select("select", d, index)?;
        let size = in_shape[d] as i64;
        let idx = if index < 0 { index + size } else { index } as usize;
        let out = self.alias(l);
        record(&out, "SelectBackward0", &[self], || Rule::Select {
            in_shape,
            dim: d,
            index: idx,
        });
        Ok(out)
    }

    /// Reverses `dims` (a copy, as in PyTorch): one node however many dims,
    /// whose backward is the gradient flipped back (PyTorch's
    /// FlipBackward0 saves only the dims). It was a composite of
    /// index_selects, whose backward zero-filled and scattered the
    /// gradient: twice PyTorch's time for fwd+bwd of a 1000 x 1000 flip.
    pub fn flip(&self, dims: &[i64]) -> Result<Tensor> {
        let nd = self.ndim();
        let dims = crate::shape::wrap_dims("flip", dims, nd)?;
        // computed on a detached alias: no graph, no tangent; `record`
        // gives the result both
        let mut out = self.detach();
        for &d in dims.iter().filter(|_| nd > 0) {
            let n = out.shape()[d];
            let index = Tensor::from_i64((0..n as i64).rev().collect(), vec![n]);
            out = out.index_select(d, &index)?;
        }
        // a 0-d or dimless flip still copies (index_select always does)
        if dims.is_empty() || nd == 0 {
            out = out.clone_tensor()?;
        }
        let dims: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
        record(&out, "FlipBackward0", &[self], || Rule::Flip { dims });
        Ok(out)
    }
}
