//! Indexing: index_select, gather, scatter, index_add, cat/stack, and
//! Python's `x[...]` (basic indexing as views, advanced indexing lowered to
//! index_select over flattened positions).

use super::{needs_grad, record, Tensor};
use crate::backend::cpu::IntoStorage;
use crate::dtype::DType;
use crate::error::{dtype_err, index_err, shape_err, Error, Result};
use crate::grad_rules::{Rule, Saved};
use crate::layout::Layout;
use crate::op::BinaryOp;
use crate::shape::{broadcast_shapes, fmt_shape, wrap_dim};
use crate::storage::Storage;

/// Scatters `src` into `out`'s fresh contiguous storage (indices checked).
fn scatter_in_place(
    out: &Tensor,
    dim: usize,
    idx: &[i64],
    idx_shape: &[usize],
    src: &Tensor,
    add: bool,
) -> Result<()> {
    let src_c = src.cast_nograd(out.dtype())?.contiguous_data()?;
    let (vo, vs) = (out.view_guard(), src_c.view_guard());
    let mut so = vo.storage.data.write();
    let ss = vs.storage.data.read_recursive();
    so.scatter(
        &vo.layout.shape,
        dim,
        idx,
        idx_shape,
        &ss,
        &vs.layout.shape,
        add,
    )
}

/// `f` over the values of an int64 index, read in place when it is a
/// contiguous CPU tensor (a saved index is), else over a copy.
fn with_index_values<R>(index: &Tensor, f: impl FnOnce(&[i64]) -> Result<R>) -> Result<R> {
    {
        let v = index.view_guard();
        if v.layout.is_contiguous() {
            let data = v.storage.data.read_recursive();
            if let Storage::Cpu(crate::backend::cpu::CpuStorage::I64(b)) = &*data {
                let start = v.layout.offset;
                return f(&b.as_slice()[start..start + v.layout.numel()]);
            }
        }
    }
    f(&index.to_i64_vec()?)
}

/// One item of a Python index expression.
#[derive(Clone)]
pub enum IndexArg {
    Int(i64),
    Slice(Option<i64>, Option<i64>, i64),
    NewAxis,
    Ellipsis,
    Tensor(Tensor),
}

/// Validates indices against `size`; wraps negatives when `wrap` (Python-style).
fn checked(
    op: &'static str,
    idx: Vec<i64>,
    size: usize,
    dim: usize,
    wrap: bool,
) -> Result<Vec<i64>> {
    let n = size as i64;
    let mut out = idx;
    for v in out.iter_mut() {
        if (*v < 0 && !wrap) || *v < -n || *v >= n {
            let msg = format!(
                "index {} is out of bounds for dimension {dim} with size {size}",
                *v
            );
            // PyTorch's exception types differ by op: IndexError for indexing
            // and index_select, RuntimeError for gather/scatter/index_add.
            return match op {
                "index_select" => index_err(op, "index out of range in self"),
                "index" | "put" => index_err(op, msg),
                _ => crate::error::runtime_err(msg),
            };
        }
        if *v < 0 {
            *v += n;
        }
    }
    Ok(out)
}

/// `checked`'s error for the first index outside `[0, size)`, copying nothing.
fn check_in_bounds(op: &'static str, idx: &[i64], size: usize, dim: usize) -> Result<()> {
    // one vectorised pass (an unsigned compare also catches the negatives);
    // the offending value is looked for only when there is one (a `find`
    // stops at it, and so ran element by element: a fifth of gather's time)
    if crate::backend::cpu::index::all_in_range(idx, size) {
        return Ok(());
    }
    match idx.iter().find(|&&v| v < 0 || v >= size as i64) {
        Some(&bad) => checked(op, vec![bad], size, dim, false).map(|_| ()),
        None => Ok(()),
    }
}

fn index_values(op: &'static str, index: &Tensor) -> Result<Vec<i64>> {
    if index.dtype() != DType::I64 {
        // (autorust's indices are int64; PyTorch names both index dtypes)
        let which = if op == "index_select" {
            "int32 or int64"
        } else {
            "int32/int64"
        };
        return dtype_err(op, format!("{op}(): Expected dtype {which} for index"));
    }
    index.to_i64_vec()
}

/// A GPU index for a GPU tensor feeds the kernel directly: its bounds are a
/// device-side check (reported at the next synchronisation, as CUDA's
/// device-side asserts) instead of a readback. Returns the output storage,
/// or None when the tensor and index are not both on the GPU.
fn take_on_device(
    x: &Tensor,
    dim: usize,
    index: &Tensor,
    size: usize,
    out_shape: &[usize],
    by_element: bool,
    message: &str,
) -> Result<Option<Storage>> {
    let _g = crate::grad_mode::GradModeGuard::new(false);
    let flat = index.reshape_to(&[index.numel()])?.clone_data()?;
    let int = |v: f64| Tensor::wrapped_scalar(v, DType::I64);
    let ok = flat.binary(BinaryOp::Ge, &int(0.0))?.binary(
        BinaryOp::LogicalAnd,
        &flat.binary(BinaryOp::Lt, &int(size as f64))?,
    )?;
    ok.with_storage(|s, _| crate::storage::device_check(s, message))?;
    flat.with_storage(|i, _| {
        x.with_storage(|s, l| s.take_with_device_index(l, dim, i, out_shape, by_element))
    })
}

/// Whether `x[index]`-style ops take the device path: both on the same GPU,
/// an int64 index.
fn index_on_device(x: &Tensor, index: &Tensor) -> bool {
    x.device() != crate::storage::Device::Cpu
        && index.device() == x.device()
        && index.dtype() == DType::I64
}

impl Tensor {
    pub fn from_i64(v: Vec<i64>, shape: impl Into<crate::shape::Shape>) -> Tensor {
        Tensor::contiguous_from(Storage::Cpu(v.into_storage()), shape)
    }

    pub fn index_select(&self, dim: usize, index: &Tensor) -> Result<Tensor> {
        if index.ndim() > 1 {
            return index_err(
                "index_select",
                "index_select(): Index is supposed to be a vector",
            );
        }
        let nd = self.ndim();
        if nd == 0 && index.numel() != 1 {
            return crate::error::runtime_err(format!(
                "index_select(): Index to scalar can have only 1 value, got {} value(s)",
                index.numel()
            ));
        }
        let size = if nd == 0 { 1 } else { self.shape()[dim] };
        if nd > 0 && index_on_device(self, index) {
            let mut shape = self.shape();
            shape[dim] = index.numel();
            if let Some(storage) = take_on_device(
                self,
                dim,
                index,
                size,
                &shape,
                false,
                "IndexError: index out of range in self (index_select)",
            )? {
                let out = Tensor::contiguous_from(storage, shape);
                let (in_shape, ix) = (self.shape(), index.reshape_to(&[index.numel()])?);
                record(&out, "IndexSelectBackward0", &[self], || {
                    Rule::IndexSelect {
                        in_shape,
                        dim,
                        index: ix,
                    }
                });
                return Ok(out);
            }
        }
        let idx = checked(
            "index_select",
            index_values("index_select", index)?,
            size,
            dim,
            false,
        )?;
        let storage = self.with_storage(|s, l| {
            let l1 = if nd == 0 { l.unsqueeze(0) } else { l.clone() };
            s.index_select(&l1, dim, &idx)
        })?;
        let mut shape = self.shape();
        if nd == 0 {
            shape = Default::default();
        } else {
            shape[dim] = idx.len();
        }
        let out = Tensor::contiguous_from(storage, shape);
        let (in_shape, ix) = (self.shape(), Tensor::from_i64(idx, vec![index.numel()]));
        record(&out, "IndexSelectBackward0", &[self], || {
            Rule::IndexSelect {
                in_shape: if nd == 0 {
                    smallvec::smallvec![1]
                } else {
                    in_shape
                },
                dim,
                index: ix,
            }
        });
        Ok(out)
    }

    pub fn gather(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        let nd = self.ndim();
        if nd == 0 {
            wrap_dim("gather", dim, 0)?;
            // one node, as PyTorch's (the reshapes are inside it)
            let flat_index = index.reshape_to(&[index.numel()])?;
            let shape = index.shape();
            return crate::composite::composite("GatherBackward0", &[Some(self)], None, |a| {
                let x = a[0]
                    .as_ref()
                    .ok_or_else(|| Error::Runtime("gather: no input".into()))?;
                x.reshape_to(&[1])?
                    .gather(0, &flat_index)?
                    .reshape_to(&shape)
            });
        }
        let d = wrap_dim("gather", dim, nd)?;
        let (xs, is) = (self.shape(), index.shape());
        if is.len() != xs.len() && !(nd == 0 && is.len() <= 1) {
            return shape_err(
                "gather",
                "Index tensor must have the same number of dimensions as input tensor",
            );
        }
        for i in 0..is.len().min(xs.len()) {
            if i != d && is[i] > xs[i] {
                return shape_err("gather", format!("Size does not match at dimension {i} expected index {} to be no larger than self {} apart from dimension {d}", fmt_shape(&is), fmt_shape(&xs)));
            }
        }
        let size = if nd == 0 { 1 } else { xs[d] };
        if index_on_device(self, index) {
            if let Some(storage) = take_on_device(
                self,
                d,
                index,
                size,
                &is,
                true,
                &format!(
                    "RuntimeError: index out of bounds for dimension {d} with size {size} (gather)"
                ),
            )? {
                let out = Tensor::contiguous_from(storage, is.clone());
                record(&out, "GatherBackward0", &[self], || Rule::Gather {
                    in_shape: xs,
                    dim: d,
                    index: Saved::input(index),
                });
                return Ok(out);
            }
        }
        if index.dtype() != DType::I64 {
            index_values("gather", index)?; // its dtype error
        }
        // the index is read in place (a backward's gather copies nothing)
        let storage = with_index_values(index, |idx| {
            let gathered = self.with_storage(|s, l| {
                if s.device() != crate::storage::Device::Cpu {
                    check_in_bounds("gather", idx, size, d)?;
                }
                s.gather(l, d, idx, &is)
            })?;
            match gathered {
                Some(storage) => Ok(storage),
                None => {
                    // the CPU kernel met an index out of range: name it
                    check_in_bounds("gather", idx, size, d)?;
                    Err(Error::Runtime("gather: index out of range".into()))
                }
            }
        })?;
        let out = Tensor::contiguous_from(storage, is.clone());
        if needs_grad(&[self]) {
            record(&out, "GatherBackward0", &[self], || Rule::Gather {
                in_shape: xs,
                dim: d,
                index: Saved::input(index),
            });
        }
        Ok(out)
    }

    /// The checks of a scatter into this tensor of at least one dim with a
    /// non-empty index: the dim (wrapped) and the index's shape.
    fn scatter_checks(
        &self,
        dim: i64,
        index: &Tensor,
        src: &Tensor,
    ) -> Result<(usize, crate::shape::Shape)> {
        let d = wrap_dim("scatter", dim, self.ndim())?;
        if index.dtype() != DType::I64 {
            // (PyTorch checks the index's dtype before its shape)
            index_values("scatter", index)?; // its dtype error
        }
        let (xs, is, ss) = (self.shape(), index.shape(), src.shape());
        if is.len() != xs.len() {
            return shape_err(
                "scatter",
                "Index tensor must have the same number of dimensions as self tensor",
            );
        }
        for i in 0..is.len() {
            if (i != d && is[i] > xs[i]) || ss.get(i).is_some_and(|&s| is[i] > s) {
                return shape_err("scatter", format!("Expected index {} to be smaller than self {} apart from dimension {d} and to be smaller size than src {}", fmt_shape(&is), fmt_shape(&xs), fmt_shape(&ss)));
            }
        }
        Ok((d, is))
    }

    /// `scatter_` / `scatter_add_` straight into this tensor's CPU elements
    /// when nothing is recorded, it is contiguous from its storage's start,
    /// and neither `src` nor the index shares its storage. Ok(false)
    /// leaves everything to the general path (out of place, copied back):
    /// on a 1000 x 1000 scatter_add_ that copy and the clone before it
    /// were two thirds of the time.
    pub fn scatter_inplace_direct(
        &self,
        dim: i64,
        index: &Tensor,
        src: &Tensor,
        add: bool,
    ) -> Result<bool> {
        if needs_grad(&[self, src]) || self.ndim() == 0 || index.numel() == 0 {
            return Ok(false);
        }
        {
            let v = self.view_guard();
            let direct = matches!(&*v.storage.data.read_recursive(), Storage::Cpu(_))
                && v.layout.is_contiguous()
                && v.layout.offset == 0;
            let shares = |t: &Tensor| std::sync::Arc::ptr_eq(&v.storage, &t.view_guard().storage);
            if !direct || shares(src) || shares(index) {
                return Ok(false);
            }
        }
        let (d, is) = self.scatter_checks(dim, index, src)?;
        let size = self.shape()[d];
        with_index_values(index, |idx| {
            // checked before any write: a refused scatter leaves self as it was
            check_in_bounds("scatter", idx, size, d)?;
            scatter_in_place(self, d, idx, &is, src, add)
        })?;
        let v = self.view_guard();
        if v.tracks_version {
            v.storage.bump_version();
        }
        Ok(true)
    }

    /// Out-of-place scatter: a copy of self with `src` written (or added) at `index` along `dim`.
    pub fn scatter(&self, dim: i64, index: &Tensor, src: &Tensor, add: bool) -> Result<Tensor> {
        let nd = self.ndim();
        if index.numel() == 0 {
            // PyTorch writes nothing and checks nothing more for an empty
            // index (its shape and dtype do not matter): a copy
            wrap_dim("scatter", dim, nd)?;
            let name = if add {
                "ScatterAddBackward0"
            } else {
                "ScatterBackward0"
            };
            let out = self.clone_data()?;
            if needs_grad(&[self, src]) {
                // the gradient passes to self; src (nothing taken) gets zeros
                let meta = vec![(src.shape(), src.dtype(), src.device())];
                record(&out, name, &[self, src], || Rule::ZeroLink(meta));
            }
            return Ok(out);
        }
        if nd == 0 {
            wrap_dim("scatter", dim, 0)?;
            let flat_src = if src.ndim() == 0 {
                src.reshape_to(&[1])?
            } else {
                src.clone()
            };
            return self
                .reshape_to(&[1])?
                .scatter(0, &index.reshape_to(&[index.numel()])?, &flat_src, add)?
                .reshape_to(&[]);
        }
        let (d, is) = self.scatter_checks(dim, index, src)?;
        let (size, ss) = (self.shape()[d], src.shape());
        let out = self.clone_data()?;
        // the index is read in place, and saved (not copied) for a backward
        with_index_values(index, |idx| {
            // the CPU kernel checks the indices as it goes (into `out`,
            // fresh, so a refused scatter leaves nothing behind); the GPU's
            // are checked first
            if out.device() != crate::storage::Device::Cpu {
                check_in_bounds("scatter", idx, size, d)?;
            }
            scatter_in_place(&out, d, idx, &is, src, add).or_else(|e| {
                // an index out of range: name it
                check_in_bounds("scatter", idx, size, d)?;
                Err(e)
            })
        })?;
        if needs_grad(&[self, src]) {
            let name = if add {
                "ScatterAddBackward0"
            } else {
                "ScatterBackward0"
            };
            record(&out, name, &[self, src], || Rule::Scatter {
                dim: d,
                index: Saved::input(index),
                add,
                src_shape: ss.clone(),
            });
        }
        Ok(out)
    }

    /// A fresh zero tensor of `shape` (`like`'s dtype and device) that
    /// `fill` writes into, unrecorded: a gradient rule's scatter-shaped
    /// result under no create_graph, without the copy of the zeros that the
    /// out-of-place op would make.
    pub(crate) fn zeros_filled(
        shape: &[usize],
        like: &Tensor,
        fill: impl FnOnce(&Tensor) -> Result<()>,
    ) -> Result<Tensor> {
        let out = Tensor::zeros_on(shape, like.dtype(), like.device())?;
        fill(&out)?;
        Ok(out)
    }

    /// Scatters (or adds) `src` into this fresh tensor at `index` along
    /// `dim` (the index read in place, its bounds checked), unrecorded.
    pub(crate) fn scatter_at_index(
        &self,
        dim: usize,
        index: &Tensor,
        src: &Tensor,
        add: bool,
    ) -> Result<()> {
        with_index_values(index, |idx| {
            scatter_in_place(self, dim, idx, &index.shape(), src, add)
        })
    }

    pub fn scatter_value(&self, dim: i64, index: &Tensor, value: f64) -> Result<Tensor> {
        let src = Tensor::full_on(&index.shape(), value, self.dtype(), self.device())?;
        self.scatter(dim, index, &src, false)
    }

    /// Out-of-place `index_add`: self with `src` slices added at `index` along `dim`.
    pub fn index_add(&self, dim: usize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let out = self.clone_data()?;
        out.add_at_index(dim, index, src)?;
        if needs_grad(&[self, src]) {
            let ix = index.reshape_to(&[index.numel()])?.clone_data()?;
            record(&out, "IndexAddBackward0", &[self, src], || Rule::IndexAdd {
                dim,
                index: ix,
            });
        }
        Ok(out)
    }

    /// Adds `src`'s slices into this fresh tensor at `index` along `dim`
    /// (the index read in place), unrecorded.
    pub(crate) fn add_at_index(&self, dim: usize, index: &Tensor, src: &Tensor) -> Result<()> {
        let xs = self.shape();
        let size = if xs.is_empty() { 1 } else { xs[dim] };
        if index.dtype() != DType::I64 {
            index_values("index_add", index)?; // its dtype error
        }
        // read in place when already contiguous from the start of its storage
        let src_c = src.cast_nograd(self.dtype())?.contiguous_data()?;
        with_index_values(index, |idx| {
            check_in_bounds("index_add", idx, size, dim)?;
            let (vo, vs) = (self.view_guard(), src_c.view_guard());
            let mut so = vo.storage.data.write();
            let from = vs.storage.data.read_recursive();
            so.index_add(&xs, dim, idx, &from)
        })
    }

    /// Flat positions of self set to `value` (used by gradients of puts).
    pub fn index_fill(&self, positions: &Tensor, value: f64) -> Result<Tensor> {
        let flat = self.reshape_to(&[self.numel()])?;
        let pos = positions.reshape_to(&[positions.numel()])?;
        let src = Tensor::full_on(&[pos.numel()], value, self.dtype(), self.device())?;
        let out = flat.put(&pos, &src, false)?;
        out.reshape_to(&self.shape())
    }

    /// `out = self` (1-D) with `values` written or added at `positions`.
    pub fn put(&self, positions: &Tensor, values: &Tensor, accumulate: bool) -> Result<Tensor> {
        let n = self.numel();
        let idx = checked("put", index_values("put", positions)?, n, 0, true)?;
        let pshape = positions.shape();
        let vals = values
            .cast_nograd(self.dtype())?
            .expand(&pshape)?
            .clone_data()?;
        let out = self.reshape_to(&[n])?.clone_data()?;
        {
            let (vo, vv) = (out.view_guard(), vals.view_guard());
            let mut so = vo.storage.data.write();
            let sv = vv.storage.data.read_recursive();
            so.scatter(&[n], 0, &idx, &[idx.len()], &sv, &[idx.len()], accumulate)?;
        }
        let out = out.reshape_to(&self.shape())?.detach();
        let pos = Tensor::from_i64(idx, pshape);
        record(&out, "IndexPutBackward0", &[self, values], || Rule::Put {
            positions: pos,
            accumulate,
        });
        Ok(out)
    }

    /// `out = self` with `src` written into `self[dim][start::step][:len]`.
    pub fn slice_scatter(
        &self,
        src: &Tensor,
        dim: usize,
        start: usize,
        len: usize,
        step: usize,
    ) -> Result<Tensor> {
        let out = self.clone_data()?;
        out.write_slice(src, dim, start, len, step)?;
        if needs_grad(&[self, src]) {
            let n = out.numel();
            // gradient: self gets g with the slice zeroed, src gets g's slice.
            let all = Tensor::from_i64((0..n as i64).collect(), out.shape());
            let pos = all.slice_exact(dim, start, len, step)?.clone_data()?;
            record(&out, "SliceScatterBackward0", &[self, src], || Rule::Put {
                positions: pos,
                accumulate: false,
            });
        }
        Ok(out)
    }

    /// Copies `src` (broadcast) into this fresh tensor's slice, unrecorded.
    pub(crate) fn write_slice(
        &self,
        src: &Tensor,
        dim: usize,
        start: usize,
        len: usize,
        step: usize,
    ) -> Result<()> {
        let dst_layout = self.layout().slice(dim, start, len, step);
        let (vo, vs) = (self.view_guard(), src.view_guard());
        let src_l = vs.layout.expand("slice_scatter", &dst_layout.shape)?;
        let mut so = vo.storage.data.write();
        let from = vs.storage.data.read_recursive();
        so.copy_from(&dst_layout, &from, &src_l)
    }

    pub fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
        if tensors.is_empty() {
            return shape_err("cat", "torch.cat(): expected a non-empty list of Tensors");
        }
        // PyTorch skips 1-D empty tensors in cat (legacy behaviour).
        let parts: Vec<&Tensor> = tensors
            .iter()
            .filter(|t| !(t.ndim() == 1 && t.numel() == 0))
            .collect();
        if parts.is_empty() {
            // all empty: an empty result, still PyTorch's node over them all
            let out = tensors[0].clone_data()?;
            let all: Vec<&Tensor> = tensors.iter().collect();
            if out.dtype().is_float() {
                let sizes = vec![0; tensors.len()];
                record(&out, "CatBackward0", &all, || Rule::Cat { dim: 0, sizes });
            }
            return Ok(out);
        }
        let nd = parts[0].ndim();
        if nd == 0 {
            return shape_err(
                "cat",
                "zero-dimensional tensor (at position 0) cannot be concatenated",
            );
        }
        let d = wrap_dim("cat", dim, nd)?;
        let dt = parts.iter().map(|t| t.dtype()).max().unwrap_or(DType::F32);
        let first = parts[0].shape();
        let mut out_shape = first.clone();
        out_shape[d] = 0;
        for (i, t) in parts.iter().enumerate() {
            let s = t.shape();
            if s.len() != nd {
                return shape_err(
                    "cat",
                    format!(
                        "Tensors must have same number of dimensions: got {nd} and {}",
                        s.len()
                    ),
                );
            }
            for j in 0..nd {
                if j != d && s[j] != first[j] {
                    return shape_err("cat", format!("Sizes of tensors must match except in dimension {d}. Expected size {} but got size {} for tensor number {i} in the list.", first[j], s[j]));
                }
            }
            out_shape[d] += s[d];
        }
        let casted: Vec<Tensor> = parts
            .iter()
            .map(|t| t.cast_nograd(dt))
            .collect::<Result<_>>()?;
        let storage = {
            let guards: Vec<_> = casted.iter().map(|t| t.view_guard()).collect();
            let datas: Vec<_> = guards
                .iter()
                .map(|g| g.storage.data.read_recursive())
                .collect();
            let pairs: Vec<(&Storage, &Layout)> = datas
                .iter()
                .zip(&guards)
                .map(|(s, g)| (&**s, &g.layout))
                .collect();
            Storage::cat(&pairs, d, &out_shape)?
        };
        let out = Tensor::contiguous_from(storage, out_shape);
        let sizes: Vec<usize> = parts.iter().map(|t| t.shape()[d]).collect();
        record(&out, "CatBackward0", &parts, || Rule::Cat { dim: d, sizes });
        Ok(out)
    }

    pub fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
        if tensors.is_empty() {
            return shape_err("stack", "stack expects a non-empty TensorList");
        }
        let s0 = tensors[0].shape();
        for (i, t) in tensors.iter().enumerate() {
            if t.shape() != s0 {
                return shape_err("stack", format!("stack expects each tensor to be equal size, but got {} at entry 0 and {} at entry {i}", fmt_shape(&s0), fmt_shape(&t.shape())));
            }
        }
        let d = wrap_dim("stack", dim, s0.len() + 1)? as i64;
        let inputs: Vec<Option<&Tensor>> = tensors.iter().map(Some).collect();
        // one node over the inputs, as PyTorch's
        crate::composite::composite("StackBackward0", &inputs, None, |a| {
            let parts: Result<Vec<Tensor>> = a.iter().flatten().map(|t| t.unsqueeze(d)).collect();
            Tensor::cat(&parts?, d)
        })
    }

    /// Coordinates of non-zero elements as an `[n, ndim]` int64 tensor.
    pub fn nonzero(&self) -> Result<Tensor> {
        let nd = self.ndim();
        let (coords, count) = self.with_storage(|s, l| s.nonzero(l))?;
        Tensor::from_i64(coords, vec![count, nd]).to_device(self.device())
    }

    /// `self[args]`: basic items make a view, tensor items gather.
    pub fn index(&self, args: &[IndexArg]) -> Result<Tensor> {
        if let [IndexArg::Tensor(t)] = args {
            if let Some(out) = self.index_rows_on_device(t)? {
                return Ok(out);
            }
        }
        let (view, adv) = self.apply_basic(args)?;
        if adv.is_empty() {
            if view.same_tensor(self) {
                // `x[...]`, `x[:, :]`: PyTorch returns an alias, a new node
                return Ok(self.same_view("AliasBackward0"));
            }
            return Ok(view);
        }
        // one node over the basic-indexed view, as PyTorch's IndexBackward0
        // (its result is a fresh contiguous tensor, as PyTorch's index kernel writes it)
        crate::composite::composite("IndexBackward0", &[Some(&view)], None, |a| {
            let picked = a[0].as_ref().map_or_else(
                || crate::error::runtime_err("index: the input is missing"),
                |v| v.advanced_index(&adv),
            )?;
            if picked.is_contiguous() {
                Ok(picked)
            } else {
                picked.contiguous()
            }
        })
    }

    /// `x[idx]` with an int64 index on x's GPU: an index_select of the rows
    /// (negatives wrapped, bounds checked on the device), so nothing is read
    /// back. None when the fast path does not apply.
    fn index_rows_on_device(&self, idx: &Tensor) -> Result<Option<Tensor>> {
        if self.ndim() == 0 || !index_on_device(self, idx) {
            return Ok(None);
        }
        let size = self.shape()[0];
        let wrapped = {
            let _g = crate::grad_mode::GradModeGuard::new(false);
            let int = |v: f64| Tensor::wrapped_scalar(v, DType::I64);
            let negative = idx.binary(BinaryOp::Lt, &int(0.0))?;
            negative.where_(&idx.binary(BinaryOp::Add, &int(size as f64))?, idx)?
        };
        let mut shape = idx.shape().to_vec();
        shape.extend(self.shape().iter().skip(1));
        let flat = wrapped.reshape_to(&[idx.numel()])?;
        let out = crate::composite::composite("IndexBackward0", &[Some(self)], None, |a| {
            let x = a[0].as_ref().ok_or_else(|| {
                crate::error::Error::Runtime("index: the input is missing".into())
            })?;
            x.index_select(0, &flat)?.reshape_to(&shape)
        })?;
        Ok(Some(out))
    }

    /// Applies ints, slices, None and Ellipsis; returns the view and the
    /// tensor indices with the dims of the view they index.
    pub(crate) fn apply_basic_pub(
        &self,
        args: &[IndexArg],
    ) -> Result<(Tensor, Vec<(usize, Tensor)>)> {
        self.apply_basic(args)
    }

    fn apply_basic(&self, args: &[IndexArg]) -> Result<(Tensor, Vec<(usize, Tensor)>)> {
        let nd = self.ndim();
        let consumed: usize = args
            .iter()
            .map(|a| match a {
                IndexArg::Int(_) | IndexArg::Slice(..) => 1,
                // a mask consumes its own dims; a 0-d one (x[True]) none
                IndexArg::Tensor(t) if t.dtype() == DType::Bool => t.ndim(),
                IndexArg::Tensor(_) => 1,
                _ => 0,
            })
            .sum();
        if args
            .iter()
            .filter(|a| matches!(a, IndexArg::Ellipsis))
            .count()
            > 1
        {
            return index_err("index", "an index can only have a single ellipsis ('...')");
        }
        if consumed > nd {
            return index_err(
                "index",
                format!("too many indices for tensor of dimension {nd}"),
            );
        }
        let mut t = self.clone();
        let mut dim = 0usize; // current dim in t
        let mut adv: Vec<(usize, Tensor)> = vec![];
        // PyTorch skips a slice over a whole dim inside a tuple key (`x[:, i]`
        // indexes x itself); a lone slice (`x[:]`) is still a slice
        let lone_slice = matches!(args, [IndexArg::Slice(..)]);
        for a in args {
            match a {
                IndexArg::Int(i) => {
                    if t.ndim() == 0 {
                        return index_err("index", "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
                    }
                    let size = t.shape()[dim] as i64;
                    if *i < -size || *i >= size {
                        return index_err(
                            "index",
                            format!(
                                "index {i} is out of bounds for dimension {dim} with size {size}"
                            ),
                        );
                    }
                    t = t.select(dim as i64, *i)?;
                }
                IndexArg::Slice(s, e, step) => {
                    let whole = t.ndim() > dim && *step == 1 && {
                        let len = t.shape()[dim] as i64;
                        let at = |v: i64| if v < 0 { (v + len).max(0) } else { v.min(len) };
                        s.map_or(0, at) == 0 && e.map_or(len, at) == len
                    };
                    if !whole || lone_slice {
                        t = t.slice(dim as i64, *s, *e, *step)?;
                    }
                    dim += 1;
                }
                IndexArg::NewAxis => {
                    t = t.unsqueeze(dim as i64)?;
                    dim += 1;
                }
                IndexArg::Ellipsis => dim += nd - consumed,
                IndexArg::Tensor(ix) => {
                    if ix.dtype() == DType::Bool {
                        let mshape = ix.shape();
                        let k = mshape.len();
                        let tshape = t.shape();
                        for j in 0..k {
                            if mshape[j] != tshape[dim + j] {
                                return index_err("index", format!("The shape of the mask {} at index {j} does not match the shape of the indexed tensor {} at index {}", fmt_shape(&mshape), fmt_shape(&tshape), dim + j));
                            }
                        }
                        if k == 0 {
                            // x[True] adds a dim of size 1; x[False] of size 0.
                            let keep = ix.to_i64_vec()?[0] != 0;
                            t = t.unsqueeze(dim as i64)?;
                            adv.push((
                                dim,
                                Tensor::from_i64(
                                    if keep { vec![0] } else { vec![] },
                                    vec![keep as usize],
                                ),
                            ));
                            dim += 1;
                            continue;
                        }
                        let nz = ix.nonzero()?;
                        for j in 0..k {
                            adv.push((dim + j, nz.select(1, j as i64)?.clone_data()?));
                        }
                        dim += k;
                    } else if ix.dtype() == DType::I64 {
                        adv.push((dim, ix.clone()));
                        dim += 1;
                    } else {
                        return index_err(
                            "index",
                            "tensors used as indices must be long, int, byte or bool tensors",
                        );
                    }
                }
            }
        }
        Ok((t, adv))
    }

    /// Gathers `self[i0, i1, ...]` for index tensors on the given dims.
    fn advanced_index(&self, adv: &[(usize, Tensor)]) -> Result<Tensor> {
        let shape = self.shape();
        let mut bshape = crate::shape::Shape::new();
        for (_, ix) in adv {
            bshape = broadcast_shapes("index", &bshape, &ix.shape())?;
        }
        let dims: Vec<usize> = adv.iter().map(|(d, _)| *d).collect();
        let adjacent = dims.windows(2).all(|w| w[1] == w[0] + 1);
        let rest: Vec<usize> = (0..shape.len()).filter(|d| !dims.contains(d)).collect();
        // Linear position inside the block of indexed dims.
        let count: usize = bshape.iter().product();
        let mut linear = vec![0i64; count];
        let mut block = 1usize;
        for (d, ix) in adv.iter().rev() {
            let size = shape[*d];
            let vals = checked("index", ix.expand(&bshape)?.to_i64_vec()?, size, *d, true)?;
            for (l, v) in linear.iter_mut().zip(vals) {
                *l += v * block as i64;
            }
            block *= size;
        }
        let mut perm = dims.clone();
        perm.extend(&rest);
        let moved = self.permute_usize(&perm)?;
        let mut flat_shape = vec![block];
        flat_shape.extend(rest.iter().map(|&d| shape[d]));
        let flat = moved.reshape_to(&flat_shape)?;
        let picked = flat.index_select(0, &Tensor::from_i64(linear, vec![count]))?;
        let mut out_shape = bshape.clone();
        out_shape.extend(rest.iter().map(|&d| shape[d]));
        let mut out = picked.reshape_to(&out_shape)?;
        let first = dims[0];
        if adjacent && first > 0 {
            // Put the broadcast index dims back where the indexed dims were.
            let nb = bshape.len();
            let nrest = rest.len();
            let mut p: Vec<usize> = (nb..nb + first).collect();
            p.extend(0..nb);
            p.extend(nb + first..nb + nrest);
            out = out.permute_usize(&p)?;
        }
        Ok(out)
    }

    /// Flat row-major positions that `self[args]` selects, shaped like the result.
    pub fn index_positions(&self, args: &[IndexArg]) -> Result<Tensor> {
        let n = self.numel();
        let all = Tensor::from_i64((0..n as i64).collect(), self.shape());
        let _g = crate::grad_mode::GradModeGuard::new(false);
        all.index(args)
    }
}
