//! Shape, indexing and reduction methods of `Tensor`.

use super::args::{as_tensor, operand, parse_dims, parse_index, parse_sizes, scalar_f64};
use super::errors::type_error;
use super::tensor::{dtype_arg, PyTensor};
use super::tensor_math::run;
use crate::dtype::DType;
use crate::op::{BinaryOp, ReduceOp};
use crate::tensor::Tensor;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

fn return_type(py: Python<'_>, name: &str, values: Tensor, indices: Tensor) -> PyResult<Py<PyAny>> {
    let cls = py.import("autorust.return_types")?.getattr(name)?;
    Ok(cls
        .call1((PyTensor::wrap(values), PyTensor::wrap(indices)))?
        .unbind())
}

fn wrap(t: crate::error::Result<Tensor>) -> PyResult<PyTensor> {
    Ok(PyTensor::wrap(t?))
}

/// `dims` from varargs or a single sequence (`permute(1, 0)` / `permute((1, 0))`).
fn dims_varargs(
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
    kw: &str,
) -> PyResult<Vec<i64>> {
    if args.is_empty() {
        if let Some(v) = super::args::kwarg(kwargs, kw)? {
            return Ok(parse_dims(Some(&v))?.unwrap_or_default());
        }
    }
    parse_sizes(args)
}

/// all/any as bool reductions.
fn bool_reduce(
    t: &Tensor,
    all: bool,
    dim: Option<&Bound<'_, PyAny>>,
    keepdim: bool,
) -> PyResult<Tensor> {
    let b = if t.dtype() == DType::Bool {
        t.clone()
    } else {
        t.binary(BinaryOp::Ne, &Tensor::wrapped_scalar(0.0, DType::F64))?
    };
    let dims = parse_dims(dim)?;
    let op = if all { ReduceOp::Amin } else { ReduceOp::Amax };
    if b.numel() == 0 {
        // all() of nothing is true, any() false, over every reduced slice
        let fill = if all { 1.0 } else { 0.0 };
        let Some(d) = dims.as_deref().filter(|d| !d.is_empty()) else {
            return Ok(Tensor::full(&[], fill, DType::Bool));
        };
        let w = crate::shape::wrap_dims(if all { "all" } else { "any" }, d, b.ndim())?;
        let shape: Vec<usize> = b
            .shape()
            .iter()
            .enumerate()
            .filter_map(|(i, &s)| {
                if w.contains(&i) {
                    keepdim.then_some(1)
                } else {
                    Some(s)
                }
            })
            .collect();
        return Ok(Tensor::full(&shape, fill, DType::Bool));
    }
    Ok(b.reduce_dims(op, dims.as_deref(), keepdim)?)
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (*shape))]
    fn view(&self, py: Python<'_>, shape: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        if shape.len() == 1 {
            let a = shape.get_item(0)?;
            if let Ok(d) = super::args::parse_dtype(&a) {
                if !a.is_instance_of::<pyo3::types::PyInt>() {
                    if d == self.t.dtype() {
                        return Ok(PyTensor::wrap(self.t.clone()));
                    }
                    let _ = py;
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(
                        "view(dtype) is only supported for the tensor's own dtype in autorust",
                    ));
                }
            }
        }
        wrap(self.t.view(&parse_sizes(shape)?))
    }
    fn view_as(&self, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        let s: Vec<i64> = other.t.shape().iter().map(|&d| d as i64).collect();
        wrap(self.t.view(&s))
    }
    #[pyo3(signature = (*shape))]
    fn reshape(&self, shape: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        wrap(self.t.reshape(&parse_sizes(shape)?))
    }
    fn reshape_as(&self, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        wrap(self.t.reshape_to(&other.t.shape()))
    }
    #[pyo3(signature = (*dims, **kwargs))]
    fn permute(
        &self,
        dims: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyTensor> {
        wrap(self.t.permute(&dims_varargs(dims, kwargs, "dims")?))
    }
    fn transpose(&self, dim0: i64, dim1: i64) -> PyResult<PyTensor> {
        wrap(self.t.transpose(dim0, dim1))
    }
    fn swapaxes(&self, dim0: i64, dim1: i64) -> PyResult<PyTensor> {
        wrap(self.t.transpose(dim0, dim1))
    }
    fn t(&self) -> PyResult<PyTensor> {
        wrap(self.t.t())
    }
    #[getter(T)]
    fn big_t(&self) -> PyResult<PyTensor> {
        let nd = self.t.ndim() as i64;
        let dims: Vec<i64> = (0..nd).rev().collect();
        wrap(self.t.permute(&dims))
    }
    #[getter(mT)]
    fn m_t(&self) -> PyResult<PyTensor> {
        wrap(self.t.mt())
    }
    fn unsqueeze(&self, dim: i64) -> PyResult<PyTensor> {
        wrap(self.t.unsqueeze(dim))
    }
    #[pyo3(signature = (dim=None))]
    fn squeeze(&self, dim: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        let d = parse_dims(dim)?;
        match (dim, d) {
            // a tuple (or list) of dims is PyTorch's other overload
            (Some(obj), Some(ds)) if !obj.is_instance_of::<pyo3::types::PyInt>() => {
                wrap(self.t.squeeze_dims(&ds))
            }
            (_, d) => wrap(self.t.squeeze(d.as_deref())),
        }
    }
    #[pyo3(signature = (start_dim=0, end_dim=-1))]
    fn flatten(&self, start_dim: i64, end_dim: i64) -> PyResult<PyTensor> {
        wrap(self.t.flatten(start_dim, end_dim))
    }
    #[pyo3(signature = (offset=0, dim1=0, dim2=1))]
    fn diagonal(&self, offset: i64, dim1: i64, dim2: i64) -> PyResult<PyTensor> {
        wrap(self.t.diagonal(offset, dim1, dim2))
    }
    fn unfold(&self, dimension: i64, size: i64, step: i64) -> PyResult<PyTensor> {
        wrap(self.t.unfold(dimension, size, step))
    }
    #[pyo3(signature = (size, stride, storage_offset=None))]
    fn as_strided(
        &self,
        size: Vec<i64>,
        stride: Vec<i64>,
        storage_offset: Option<i64>,
    ) -> PyResult<PyTensor> {
        let non_negative = |v: &[i64], what: &str| -> PyResult<Vec<usize>> {
            v.iter()
                .map(|&x| {
                    usize::try_from(x).map_err(|_| {
                        pyo3::exceptions::PyRuntimeError::new_err(format!(
                            "as_strided: Negative {what} is not supported, got {x}"
                        ))
                    })
                })
                .collect()
        };
        if stride.iter().any(|&s| s < 0) {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "as_strided: Negative strides are not supported at the moment, got strides: {stride:?}"
            )));
        }
        let size = non_negative(&size, "size")?;
        let stride = non_negative(&stride, "strides")?;
        let offset = storage_offset
            .map(|o| non_negative(&[o], "storage offset").map(|v| v[0]))
            .transpose()?;
        wrap(self.t.as_strided(&size, &stride, offset))
    }
    fn ravel(&self) -> PyResult<PyTensor> {
        // PyTorch's ravel is contiguous().view(-1): a view node even for a
        // 1-D tensor, and a strided one is copied first (CloneBackward0)
        wrap(self.t.contiguous().and_then(|c| c.view(&[-1])))
    }
    #[pyo3(signature = (*sizes))]
    fn expand(&self, sizes: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        wrap(self.t.expand_spec(&parse_sizes(sizes)?))
    }
    fn expand_as(&self, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        wrap(self.t.expand_view(&other.t.shape()))
    }
    fn narrow(&self, dim: i64, start: i64, length: i64) -> PyResult<PyTensor> {
        wrap(self.t.narrow(dim, start, length))
    }
    fn select(&self, dim: i64, index: i64) -> PyResult<PyTensor> {
        wrap(self.t.select(dim, index))
    }
    fn index_select(&self, dim: i64, index: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        let d = crate::shape::wrap_dim("index_select", dim, self.t.ndim())?;
        wrap(self.t.index_select(d, &index.t))
    }
    fn gather(&self, dim: i64, index: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        wrap(self.t.gather(dim, &index.t))
    }
    #[pyo3(signature = (dim, index, src=None, value=None, reduce=None))]
    fn scatter(
        &self,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        src: Option<&Bound<'_, PyAny>>,
        value: Option<&Bound<'_, PyAny>>,
        reduce: Option<&str>,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(scatter_impl(
            &self.t, dim, &index.t, src, value, reduce,
        )?))
    }
    #[pyo3(signature = (dim, index, src=None, value=None, reduce=None))]
    fn scatter_<'py>(
        slf: PyRef<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        src: Option<&Bound<'py, PyAny>>,
        value: Option<&Bound<'py, PyAny>>,
        reduce: Option<&str>,
    ) -> PyResult<PyRef<'py, Self>> {
        let src_tensor: Vec<Tensor> = src.and_then(super::args::as_tensor).into_iter().collect();
        if let ([src], None, None) = (src_tensor.as_slice(), value, reduce) {
            if slf.t.scatter_inplace_direct(dim, &index.t, src, false)? {
                return Ok(slf);
            }
        }
        let s = slf
            .t
            .inplace_source_for(&src_tensor.iter().collect::<Vec<_>>())?;
        let r = scatter_impl(&s, dim, &index.t, src, value, reduce)?;
        slf.t.inplace_update(&r, "scatter_")?;
        Ok(slf)
    }
    fn scatter_add(
        &self,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        src: PyRef<'_, PyTensor>,
    ) -> PyResult<PyTensor> {
        wrap(self.t.scatter(dim, &index.t, &src.t, true))
    }
    fn scatter_add_<'py>(
        slf: PyRef<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        src: PyRef<'py, PyTensor>,
    ) -> PyResult<PyRef<'py, Self>> {
        if slf.t.scatter_inplace_direct(dim, &index.t, &src.t, true)? {
            return Ok(slf);
        }
        let s = slf.t.inplace_source_for(&[&src.t])?;
        let r = s.scatter(dim, &index.t, &src.t, true)?;
        slf.t.inplace_update(&r, "scatter_add_")?;
        Ok(slf)
    }
    fn __getitem__(&self, key: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        if let Ok(i) = key.extract::<i64>() {
            if !key.is_instance_of::<pyo3::types::PyBool>() && as_tensor(key).is_none() {
                if self.t.ndim() == 0 {
                    return Err(pyo3::exceptions::PyIndexError::new_err("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"));
                }
                return wrap(self.t.index(&[crate::tensor::IndexArg::Int(i)]));
            }
        }
        let args = parse_index(key)?;
        wrap(self.t.index(&args))
    }
    fn __setitem__(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let args = parse_index(key)?;
        let v = match operand(value)? {
            Some(v) => v,
            None => {
                let conv = value
                    .py()
                    .import("autorust")?
                    .getattr("tensor")?
                    .call1((value,))?;
                as_tensor(&conv).ok_or_else(|| type_error("can't assign this value to a tensor"))?
            }
        };
        Ok(self.t.index_put_(&args, &v)?)
    }
    #[pyo3(signature = (*, as_tuple=false))]
    fn nonzero(&self, py: Python<'_>, as_tuple: bool) -> PyResult<Py<PyAny>> {
        let nz = self.t.nonzero()?;
        if !as_tuple {
            return Ok(Py::new(py, PyTensor::wrap(nz))?.into_any());
        }
        let mut cols = vec![];
        for j in 0..self.t.ndim() {
            cols.push(PyTensor::wrap(nz.select(1, j as i64)?.clone_data()?));
        }
        Ok(PyTuple::new(py, cols)?.into_any().unbind())
    }
    /// `roll` with `dims` wrapped and matched to `shifts` by the caller
    /// (empty: the flattened tensor by `shifts[0]`).
    fn _roll(&self, shifts: Vec<i64>, dims: Vec<usize>) -> PyResult<PyTensor> {
        wrap(self.t.roll(&shifts, &dims))
    }
    #[pyo3(signature = (*dims))]
    fn flip(&self, dims: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        wrap(self.t.flip(&parse_sizes(dims)?))
    }

    // ---- reductions ----
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn sum(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        reduce_method(py, &self.t, ReduceOp::Sum, dim, keepdim, dtype)
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn mean(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        reduce_method(py, &self.t, ReduceOp::Mean, dim, keepdim, dtype)
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn prod(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        reduce_method(py, &self.t, ReduceOp::Prod, dim, keepdim, dtype)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amax(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<PyTensor> {
        let d = parse_dims(dim)?.unwrap_or_default();
        reduce_method(
            py,
            &self.t,
            ReduceOp::Amax,
            Some(&PyTuple::new(py, d)?.into_any()),
            keepdim,
            None,
        )
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amin(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<PyTensor> {
        let d = parse_dims(dim)?.unwrap_or_default();
        reduce_method(
            py,
            &self.t,
            ReduceOp::Amin,
            Some(&PyTuple::new(py, d)?.into_any()),
            keepdim,
            None,
        )
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn max(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyAny>> {
        extremum(py, &self.t, true, dim, keepdim)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn min(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyAny>> {
        extremum(py, &self.t, false, dim, keepdim)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmax(&self, dim: Option<i64>, keepdim: bool) -> PyResult<PyTensor> {
        wrap(self.t.arg_extremum(true, dim, keepdim))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmin(&self, dim: Option<i64>, keepdim: bool) -> PyResult<PyTensor> {
        wrap(self.t.arg_extremum(false, dim, keepdim))
    }
    /// (values, indices) sorted on the tensor's device when it can (the
    /// GPU), else None (Tensor.sort then orders on the host).
    fn _sort_on_device(
        &self,
        py: Python<'_>,
        dim: i64,
        descending: bool,
    ) -> PyResult<Option<(PyTensor, PyTensor)>> {
        let t = self.t.clone();
        Ok(py
            .detach(|| t.sort_on_device(dim, descending))?
            .map(|(v, i)| (PyTensor::wrap(v), PyTensor::wrap(i))))
    }
    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumsum(&self, dim: i64, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        wrap(cast_to(&self.t, dtype)?.cumsum(dim))
    }
    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumprod(&self, dim: i64, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        wrap(cast_to(&self.t, dtype)?.cumprod(dim))
    }
    #[pyo3(signature = (dim=None, dtype=None))]
    fn softmax(
        &self,
        py: Python<'_>,
        dim: Option<i64>,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        softmax_impl(py, &self.t, dim, dtype, false)
    }
    #[pyo3(signature = (dim=None, dtype=None))]
    fn log_softmax(
        &self,
        py: Python<'_>,
        dim: Option<i64>,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        softmax_impl(py, &self.t, dim, dtype, true)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn all(&self, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(bool_reduce(&self.t, true, dim, keepdim)?))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn any(&self, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(bool_reduce(&self.t, false, dim, keepdim)?))
    }
}

pub fn softmax_impl(
    py: Python<'_>,
    t: &Tensor,
    dim: Option<i64>,
    dtype: Option<&Bound<'_, PyAny>>,
    log: bool,
) -> PyResult<PyTensor> {
    let t = match dtype_arg(dtype)? {
        Some(d) => t.to_dtype(d)?,
        None => t.clone(),
    };
    // PyTorch's legacy implicit dim: 0 for 0-, 1- and 3-D input, else 1.
    let dim = dim.unwrap_or(match t.ndim() {
        0 | 1 | 3 => 0,
        _ => 1,
    });
    Ok(PyTensor::wrap(run(py, t.numel(), || t.softmax(dim, log))?))
}

pub fn reduce_method(
    py: Python<'_>,
    t: &Tensor,
    op: ReduceOp,
    dim: Option<&Bound<'_, PyAny>>,
    keepdim: bool,
    dtype: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let dims = parse_dims(dim)?;
    let cast = dtype_arg(dtype)?;
    if let Some(d) = cast.filter(|d| *d != t.dtype() && d.is_float()) {
        if crate::grad_mode::is_grad_enabled() && t.requires_grad() {
            return cast_reduction(t, d, op, dims.as_deref(), keepdim);
        }
    }
    let src = match cast {
        Some(d) => t.to_dtype(d)?,
        None => t.clone(),
    };
    if op == ReduceOp::Mean && !src.dtype().is_float() {
        return Err(pyo3::exceptions::PyNotImplementedError::new_err(format!(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}",
            if src.dtype() == DType::Bool { "Bool" } else { "Long" }
        )));
    }
    Ok(PyTensor::wrap(run(py, src.numel(), || {
        src.reduce_dims(op, dims.as_deref(), keepdim)
    })?))
}

/// `sum(dtype=)`/`mean(dtype=)` of a tensor that requires grad: PyTorch
/// casts inside the reduction's node (its backward casts the gradient
/// back), so the graph has one node with an edge to `t`, named as the
/// reduction names itself.
fn cast_reduction(
    t: &Tensor,
    dtype: DType,
    op: ReduceOp,
    dims: Option<&[i64]>,
    keepdim: bool,
) -> PyResult<PyTensor> {
    let inner_name = std::cell::Cell::new("");
    let out = crate::composite::composite("ReduceBackward", &[Some(t)], None, |a| {
        let x = a[0]
            .as_ref()
            .ok_or_else(|| crate::error::Error::Runtime("reduce: no input".into()))?;
        let r = x.to_dtype(dtype)?.reduce_dims(op, dims, keepdim)?;
        if let Some(id) = r.grad_fn_id() {
            if let Some(n) = crate::graph::ARENA.lock().get(id) {
                inner_name.set(n.name);
            }
        }
        Ok(r)
    })?;
    if !inner_name.get().is_empty() {
        crate::graph::rename(&out, inner_name.get());
    }
    Ok(PyTensor::wrap(out))
}

fn extremum(
    py: Python<'_>,
    t: &Tensor,
    max: bool,
    dim: Option<&Bound<'_, PyAny>>,
    keepdim: bool,
) -> PyResult<Py<PyAny>> {
    match dim {
        None => {
            let op = if max { ReduceOp::Amax } else { ReduceOp::Amin };
            Ok(Py::new(py, PyTensor::wrap(t.reduce(op, None, false)?))?.into_any())
        }
        Some(d) if as_tensor(d).is_some() => {
            let o = as_tensor(d).ok_or_else(|| type_error("max(): bad other"))?;
            let op = if max {
                BinaryOp::Maximum
            } else {
                BinaryOp::Minimum
            };
            Ok(Py::new(py, PyTensor::wrap(t.binary(op, &o)?))?.into_any())
        }
        Some(d) => {
            let d: i64 = d
                .extract()
                .map_err(|_| type_error("max(): argument 'dim' must be int"))?;
            let (v, i) = t.extremum_dim(max, d, keepdim)?;
            return_type(py, if max { "max" } else { "min" }, v, i)
        }
    }
}

fn scatter_impl(
    t: &Tensor,
    dim: i64,
    index: &Tensor,
    src: Option<&Bound<'_, PyAny>>,
    value: Option<&Bound<'_, PyAny>>,
    reduce: Option<&str>,
) -> PyResult<Tensor> {
    let add = match reduce {
        None => false,
        Some("add") | Some("sum") => true,
        Some(r) => {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "reduce argument must be either add or multiply (got {r}); autorust supports add"
            )))
        }
    };
    let src_obj = src
        .or(value)
        .ok_or_else(|| type_error("scatter() missing required argument 'src' or 'value'"))?;
    match as_tensor(src_obj) {
        Some(s) => Ok(t.scatter(dim, index, &s, add)?),
        None => {
            let v = scalar_f64(src_obj)?;
            let s = Tensor::full_on(&index.shape(), v, t.dtype(), t.device())?;
            let out = t.scatter(dim, index, &s, add)?;
            // PyTorch's scatter.value overload: the value is no input
            crate::graph::rename(&out, "ScatterBackward1");
            crate::graph::hide_inputs(&out, 0b10);
            Ok(out)
        }
    }
}

/// The tensor in the `dtype=` argument's dtype (itself without one).
fn cast_to(t: &Tensor, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Tensor> {
    Ok(match dtype_arg(dtype)? {
        Some(d) => t.to_dtype(d)?,
        None => t.clone(),
    })
}
