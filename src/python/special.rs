//! `_special_f64(name, x)`: a special function of `x`'s values in float64
//! on the host (see `backend::cpu::special_unary`); the Python layer
//! rounds the result to the input's dtype, moves it to the input's device
//! and gives it its graph node.

use super::tensor::PyTensor;
use crate::backend::cpu::special_unary;
use crate::tensor::Tensor;
use pyo3::prelude::*;

#[pyfunction]
pub fn _special_f64(py: Python<'_>, name: &str, x: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
    let values = x.t.to_f64_vec()?;
    let shape = x.t.shape();
    let out = py
        .detach(|| special_unary::map(name, &values))
        .ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!("_special_f64: no function {name:?}"))
        })?;
    Ok(PyTensor::wrap(Tensor::from_vec_f64(out, shape)))
}
