//! Argument conversion from Python objects: tensors, scalars, dtypes, dims,
//! sizes and index expressions.

use super::errors::type_error;
use super::tensor::PyTensor;
use crate::dtype::DType;
use crate::tensor::{IndexArg, Tensor};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyEllipsis, PyFloat, PyInt, PyList, PySlice, PyTuple};

/// Python-side objects the bindings hand out: dtype objects and `Size`.
pub struct Registry {
    pub dtypes: [Py<PyAny>; 4],
    pub size_cls: Py<PyAny>,
    pub formatter: Py<PyAny>,
}

pub static REGISTRY: PyOnceLock<Registry> = PyOnceLock::new();

pub fn registry(py: Python<'_>) -> PyResult<&Registry> {
    REGISTRY
        .get(py)
        .ok_or_else(|| type_error("autorust._native used before autorust was imported"))
}

fn dtype_index(d: DType) -> usize {
    match d {
        DType::F32 => 0,
        DType::F64 => 1,
        DType::I64 => 2,
        DType::Bool => 3,
    }
}

pub fn dtype_object(py: Python<'_>, d: DType) -> PyResult<Py<PyAny>> {
    Ok(registry(py)?.dtypes[dtype_index(d)].clone_ref(py))
}

/// Accepts autorust dtype objects, their names, and Python's float/int/bool types.
pub fn parse_dtype(obj: &Bound<'_, PyAny>) -> PyResult<DType> {
    let py = obj.py();
    if let Ok(reg) = registry(py) {
        for (i, d) in reg.dtypes.iter().enumerate() {
            if obj.is(d.bind(py)) {
                return Ok([DType::F32, DType::F64, DType::I64, DType::Bool][i]);
            }
        }
    }
    if obj.is(py.get_type::<PyFloat>().as_any()) {
        return Ok(DType::F64);
    }
    if obj.is(py.get_type::<PyBool>().as_any()) {
        return Ok(DType::Bool);
    }
    if obj.is(py.get_type::<PyInt>().as_any()) {
        return Ok(DType::I64);
    }
    let name: String = match obj.getattr("_name") {
        Ok(n) => n.extract()?,
        Err(_) => obj.str()?.extract()?,
    };
    let name = name
        .trim_start_matches("autorust.")
        .trim_start_matches("torch.");
    DType::from_name(name).ok_or_else(|| {
        type_error(format!(
            "unsupported dtype: {name} (autorust supports float32, float64, int64 and bool)"
        ))
    })
}

pub fn opt_dtype(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DType>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => parse_dtype(o).map(Some),
    }
}

pub fn as_tensor(obj: &Bound<'_, PyAny>) -> Option<Tensor> {
    obj.cast::<PyTensor>().ok().map(|t| t.borrow().t.clone())
}

/// A Python number as a wrapped 0-d tensor (lowest rank in promotion).
pub fn scalar_tensor(obj: &Bound<'_, PyAny>) -> PyResult<Option<Tensor>> {
    if obj.is_instance_of::<PyBool>() {
        let b: bool = obj.extract()?;
        return Ok(Some(Tensor::wrapped_scalar(b as u8 as f64, DType::Bool)));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(Some(match obj.extract::<i64>() {
            Ok(v) => wrapped_int(v),
            Err(_) => Tensor::wrapped_scalar(obj.extract::<f64>()?, DType::F64),
        }));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Some(Tensor::wrapped_scalar(
            obj.extract::<f64>()?,
            DType::F64,
        )));
    }
    // NumPy scalars and anything else with __float__
    if obj.hasattr("dtype")? && obj.hasattr("item")? && !obj.is_instance_of::<PyTensor>() {
        let item = obj.call_method0("item")?;
        return scalar_tensor(&item);
    }
    Ok(None)
}

fn wrapped_int(v: i64) -> Tensor {
    Tensor::wrapped_i64(v)
}

/// A tensor or Python number operand of a binary op.
pub fn operand(obj: &Bound<'_, PyAny>) -> PyResult<Option<Tensor>> {
    if let Some(t) = as_tensor(obj) {
        return Ok(Some(t));
    }
    scalar_tensor(obj)
}

/// Like `operand`, for an op whose other side is the float tensor `like`:
/// a Python number is made in `like`'s dtype at once (promotion would pick
/// that dtype anyway), saving a cast on the hottest path (`x * 3`).
pub fn operand_like(obj: &Bound<'_, PyAny>, like: &Tensor) -> PyResult<Option<Tensor>> {
    let dt = like.dtype();
    if dt.is_float()
        && (obj.is_exact_instance_of::<PyFloat>() || obj.is_exact_instance_of::<PyInt>())
    {
        if let Ok(v) = obj.extract::<f64>() {
            return Ok(Some(Tensor::wrapped_scalar(v, dt)));
        }
    }
    operand(obj)
}

pub fn scalar_f64(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    if let Some(t) = as_tensor(obj) {
        return Ok(t.item_f64()?);
    }
    obj.extract::<f64>().map_err(|_| {
        type_error(format!(
            "expected a number, got {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })
}

/// `dim` arguments: an int, a tuple/list of ints, or None.
pub fn parse_dims(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    let Some(o) = obj else { return Ok(None) };
    if o.is_none() {
        return Ok(None);
    }
    if let Ok(d) = o.extract::<i64>() {
        return Ok(Some(vec![d]));
    }
    if let Ok(v) = o.extract::<Vec<i64>>() {
        return Ok(Some(v));
    }
    Err(type_error(format!(
        "dim must be an int or a tuple of ints, got {}",
        o.get_type().name()?
    )))
}

/// Sizes given as varargs (`ones(2, 3)`) or one sequence (`ones((2, 3))`).
pub fn parse_sizes(args: &Bound<'_, PyTuple>) -> PyResult<Vec<i64>> {
    if args.len() == 1 {
        let a = args.get_item(0)?;
        if !a.is_instance_of::<PyInt>() {
            if let Some(t) = as_tensor(&a) {
                return Ok(vec![t.item_f64()? as i64]);
            }
            return a.extract::<Vec<i64>>().map_err(|_| {
                type_error(format!(
                    "size must be a tuple of ints, but got {}",
                    a.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ))
            });
        }
    }
    let mut out = Vec::with_capacity(args.len());
    for a in args.iter() {
        out.push(a.extract::<i64>().map_err(|_| {
            type_error(format!(
                "size must be a tuple of ints, but got {}",
                a.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?);
    }
    Ok(out)
}

pub fn kwarg<'py>(
    kwargs: Option<&Bound<'py, PyDict>>,
    name: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    match kwargs {
        Some(k) => k.get_item(name),
        None => Ok(None),
    }
}

fn index_item(obj: &Bound<'_, PyAny>) -> PyResult<IndexArg> {
    if obj.is_none() {
        return Ok(IndexArg::NewAxis);
    }
    if obj.is(PyEllipsis::get(obj.py()).as_any()) {
        return Ok(IndexArg::Ellipsis);
    }
    if let Ok(s) = obj.cast::<PySlice>() {
        let get = |n: &str| -> PyResult<Option<i64>> {
            let v = s.getattr(n)?;
            if v.is_none() {
                Ok(None)
            } else if let Some(t) = as_tensor(&v) {
                Ok(Some(t.item_f64()? as i64))
            } else {
                Ok(Some(v.extract::<i64>()?))
            }
        };
        let step = get("step")?.unwrap_or(1);
        if step == 0 {
            // Python's own words for a zero slice step, as PyTorch lets them through
            return Err(pyo3::exceptions::PyValueError::new_err(
                "slice step cannot be zero",
            ));
        }
        if step < 0 {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "step must be greater than zero",
            ));
        }
        return Ok(IndexArg::Slice(get("start")?, get("stop")?, step));
    }
    if obj.is_instance_of::<PyBool>() {
        let b: bool = obj.extract()?;
        return Ok(IndexArg::Tensor(Tensor::full(
            &[],
            b as u8 as f64,
            DType::Bool,
        )));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(IndexArg::Int(obj.extract()?));
    }
    if let Some(t) = as_tensor(obj) {
        if t.ndim() == 0 && t.dtype() == DType::I64 {
            return Ok(IndexArg::Int(t.to_i64_vec()?[0]));
        }
        return Ok(IndexArg::Tensor(t));
    }
    if obj.is_instance_of::<PyList>() || obj.hasattr("__array_interface__")? {
        // A list or array of indices/bools becomes a tensor index.
        let py = obj.py();
        let conv = py.import("autorust")?.getattr("as_tensor")?.call1((obj,))?;
        if let Some(t) = as_tensor(&conv) {
            return Ok(IndexArg::Tensor(t));
        }
    }
    if let Ok(v) = obj.call_method0("__index__") {
        return Ok(IndexArg::Int(v.extract()?));
    }
    Err(pyo3::exceptions::PyIndexError::new_err(format!(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {})",
        obj.get_type().name()?
    )))
}

/// A full `x[...]` key.
pub fn parse_index(key: &Bound<'_, PyAny>) -> PyResult<Vec<IndexArg>> {
    if let Ok(t) = key.cast::<PyTuple>() {
        return t.iter().map(|k| index_item(&k)).collect();
    }
    Ok(vec![index_item(key)?])
}
