//! `grad_fn` objects: a counted handle on a graph node, printed as PyTorch
//! prints its backward functions.

use super::tensor::PyTensor;
use crate::grad_rules::Rule;
use crate::graph::{NodeRef, ARENA};
use crate::tensor::Tensor;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

#[pyclass(name = "Node", module = "autorust.autograd", subclass, weakref)]
pub struct PyNode {
    pub r: NodeRef,
}

#[pymethods]
impl PyNode {
    fn name(&self) -> String {
        ARENA
            .lock()
            .get(self.r.id())
            .map(|n| n.name)
            .unwrap_or("<freed>")
            .to_string()
    }
    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let name = slf.borrow().name();
        let short = name.rsplit("::").next().unwrap_or(&name).to_string();
        format!("<{short} object at {:#x}>", slf.as_ptr() as usize)
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyNode>()
            .map(|o| o.borrow().r.id() == self.r.id())
            .unwrap_or(false)
    }
    fn __hash__(&self) -> u64 {
        ((self.r.id().index as u64) << 32) | self.r.id().generation as u64
    }
    #[getter]
    fn next_functions(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        // (target, the output of it this edge carries), differentiable inputs only
        let ids: Vec<(Option<crate::graph::NodeId>, u32)> = {
            let arena = ARENA.lock();
            arena
                .get(self.r.id())
                .map(|n| {
                    n.edges
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i >= 32 || n.hidden_inputs & (1 << i) == 0)
                        .map(|(_, e)| match e {
                            Some(e) => {
                                let (id, nr) = arena.shown(e.node);
                                (Some(id), nr)
                            }
                            None => (None, 0),
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut items = Vec::with_capacity(ids.len());
        for (id, nr) in ids {
            let node: Py<PyAny> = match id.and_then(NodeRef::from_id) {
                Some(r) => Py::new(py, PyNode { r })?.into_any(),
                None => py.None(),
            };
            let nr = if node.is_none(py) { 0 } else { nr as i64 };
            items.push(PyTuple::new(
                py,
                [node, nr.into_pyobject(py)?.into_any().unbind()],
            )?);
        }
        Ok(PyTuple::new(py, items)?.into_any().unbind())
    }
    /// The leaf an AccumulateGrad node feeds.
    #[getter]
    fn variable(&self) -> Option<PyTensor> {
        let a = ARENA.lock();
        match a.get(self.r.id()).map(|n| &n.rule) {
            Some(Rule::AccumulateGrad(w)) => w.upgrade().map(|t| PyTensor::wrap(Tensor(t))),
            _ => None,
        }
    }
    #[getter]
    fn metadata(&self, py: Python<'_>) -> Py<PyAny> {
        pyo3::types::PyDict::new(py).into_any().unbind()
    }
}
