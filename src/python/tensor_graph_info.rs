//! What a tensor tells about its place in the graph and its storage's
//! history: PyTorch's `_version`, `_base`, `_is_view()` and `output_nr`.

use super::tensor::PyTensor;
use crate::graph::ARENA;
use pyo3::prelude::*;

#[pymethods]
impl PyTensor {
    /// How many in-place writes the storage has seen (shared by its views).
    #[getter]
    fn _version(&self) -> u64 {
        self.t.version()
    }
    /// The tensor this one is a view of (the root of a chain of views).
    /// Views made with grad mode off do not record it: None for those.
    #[getter]
    fn _base(&self) -> Option<PyTensor> {
        self.t.0.meta.lock().view_base.clone().map(PyTensor::wrap)
    }
    fn _is_view(&self) -> bool {
        self.t.0.meta.lock().view_base.is_some()
    }
    /// Which output of its grad_fn this tensor is (0 for a leaf).
    #[getter]
    fn output_nr(&self) -> u32 {
        match self.t.grad_fn_id() {
            Some(id) => ARENA.lock().shown(id).1,
            None => 0,
        }
    }
}
