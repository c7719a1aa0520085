//! `grad_fn` objects: a counted handle on a graph node, printed as PyTorch
//! prints its backward functions.

use super::tensor::PyTensor;
use crate::grad_rules::Rule;
use crate::graph::{NodeRef, ARENA};
use crate::node_hooks::{Grads, NodeHooks, NodePostHook, NodePreHook};
use crate::tensor::Tensor;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::Arc;

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
    /// `hook(grad_outputs) -> tuple or None`; returns the id `_remove_hook` takes.
    fn _register_prehook(&self, hook: Py<PyAny>) -> PyResult<u64> {
        let f: NodePreHook = Arc::new(move |outs: &[Option<Tensor>]| {
            call_hook(&hook, outs, |py| PyTuple::new(py, [grad_tuple(py, outs)?]))
        });
        self.add_hook(|h, id| h.pre.push((id, f)))
    }
    /// `hook(grad_inputs, grad_outputs) -> tuple or None`.
    fn _register_hook(&self, hook: Py<PyAny>) -> PyResult<u64> {
        let f: NodePostHook = Arc::new(move |ins: &[Option<Tensor>], outs: &[Option<Tensor>]| {
            call_hook(&hook, ins, |py| {
                PyTuple::new(py, [grad_tuple(py, ins)?, grad_tuple(py, outs)?])
            })
        });
        self.add_hook(|h, id| h.post.push((id, f)))
    }
    /// `(known, value)`: whether PyTorch's node has `_saved_<name>`, and
    /// the tensor (or number) it holds there (None where it saved none).
    fn _saved(&self, py: Python<'_>, name: &str) -> PyResult<(bool, Option<Py<PyAny>>)> {
        let (node_name, saved, exponent) = {
            let a = ARENA.lock();
            let Some(node) = a.get(self.r.id()) else {
                return Ok((false, None));
            };
            if node.released {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    crate::error::FREED_GRAPH,
                ));
            }
            let saved = crate::saved_names::saved_by_name(&node.rule)
                .into_iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.cloned());
            let exponent = match node.rule {
                Rule::UnaryX(crate::op::UnaryOp::PowScalar(p), _) => Some(p),
                _ => None,
            };
            (node.name, saved, exponent)
        };
        if let Some(p) = exponent.filter(|_| name == "exponent") {
            // `x ** 2` saves the number (kept here as a float: an integral
            // one is shown as the int it most likely was)
            let number = if p.fract() == 0.0 && p.abs() < 1e15 {
                (p as i64).into_pyobject(py)?.into_any().unbind()
            } else {
                p.into_pyobject(py)?.into_any().unbind()
            };
            return Ok((true, Some(number)));
        }
        match saved {
            None => Ok((false, None)),
            Some(None) => Ok((true, None)),
            Some(Some(saved)) => {
                let t = saved.unpack(node_name, self.r.id())?;
                Ok((true, Some(Py::new(py, PyTensor::wrap(t))?.into_any())))
            }
        }
    }
    /// Whether `_raw_saved_<name>` exists: PyTorch's node has the name (a
    /// node whose saved tensors were freed keeps its names: any is accepted).
    fn _has_saved(&self, name: &str) -> bool {
        let a = ARENA.lock();
        a.get(self.r.id()).is_some_and(|node| {
            node.released
                || crate::saved_names::saved_by_name(&node.rule)
                    .iter()
                    .any(|(n, _)| *n == name)
        })
    }
    /// `grad_fn._raw_saved_<name>.register_hooks(pack, unpack)`: the saved
    /// tensor goes through `pack` now and through `unpack` at each use.
    fn _register_saved_hooks(
        &self,
        name: &str,
        pack: Py<PyAny>,
        unpack: Py<PyAny>,
    ) -> PyResult<()> {
        let freed = || {
            pyo3::exceptions::PyRuntimeError::new_err("Calling register_hooks on a saved tensor after it has been freed. Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved variables after calling backward.")
        };
        let find = |rule: &Rule| {
            crate::saved_names::saved_by_name(rule)
                .into_iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.cloned())
        };
        let saved = {
            let a = ARENA.lock();
            let node = a.get(self.r.id()).ok_or_else(freed)?;
            if node.released {
                return Err(freed());
            }
            find(&node.rule)
        };
        let Some(saved) = saved else {
            return Err(pyo3::exceptions::PyAttributeError::new_err(format!(
                "no saved tensor '{name}'"
            )));
        };
        let Some(saved) = saved else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "Calling register_hooks on a saved tensor with value None is forbidden",
            ));
        };
        // the pack hook runs without the arena lock (it may run ops)
        let packer = super::saved_hooks::python_packer(pack, unpack);
        let hooked = saved.with_hooks(&packer)?;
        let mut a = ARENA.lock();
        let node = a
            .get_mut(self.r.id())
            .filter(|n| !n.released)
            .ok_or_else(freed)?;
        if let Some((_, Some(slot))) = crate::saved_names::saved_by_name_mut(&mut node.rule)
            .into_iter()
            .find(|(n, _)| *n == name)
        {
            *slot = hooked;
        }
        Ok(())
    }
    /// Takes hook `hook_id` off the node whose `__hash__` is `key`: a hook's
    /// handle keeps only the key, so it does not keep the node alive (a
    /// node freed meanwhile has another generation: nothing happens).
    #[staticmethod]
    fn _remove_hook_by_key(key: u64, hook_id: u64) {
        let id = crate::graph::NodeId {
            index: (key >> 32) as u32,
            generation: key as u32,
        };
        crate::graph::remove_node_hook(id, hook_id)
    }
    /// A dict kept with the node for the user (the same dict on every call).
    #[getter]
    fn metadata(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mut a = ARENA.lock();
        let Some(node) = a.get_mut(self.r.id()) else {
            return Ok(pyo3::types::PyDict::new(py).into_any().unbind());
        };
        if let Some(d) = node
            .binding_state
            .as_ref()
            .and_then(|s| s.downcast_ref::<Py<PyAny>>())
        {
            return Ok(d.clone_ref(py));
        }
        let d = pyo3::types::PyDict::new(py).into_any().unbind();
        node.binding_state = Some(Arc::new(d.clone_ref(py)));
        Ok(d)
    }
}

impl PyNode {
    fn add_hook(&self, add: impl FnOnce(&mut NodeHooks, u64)) -> PyResult<u64> {
        crate::graph::add_node_hook(self.r.id(), add).ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err(
                "autorust: cannot register a hook on a graph node that was freed",
            )
        })
    }
}

/// Gradient lists as Python sees them: a tuple of tensors and Nones.
fn grad_tuple<'py>(py: Python<'py>, grads: &[Option<Tensor>]) -> PyResult<Bound<'py, PyTuple>> {
    let items = grads
        .iter()
        .map(|g| match g {
            Some(t) => Ok(Py::new(py, PyTensor::wrap(t.clone()))?.into_any()),
            None => Ok(py.None()),
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// Calls a node hook with its gradient tuples; reads back None (keep them)
/// or a tuple or list of tensors and Nones (replace them).
fn call_hook(
    hook: &Py<PyAny>,
    replaces: &[Option<Tensor>],
    args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>>,
) -> crate::error::Result<Option<Grads>> {
    Python::attach(|py| -> PyResult<Option<Grads>> {
        let r = hook.call1(py, args(py)?)?;
        let r = r.bind(py);
        if r.is_none() {
            return Ok(None);
        }
        if !(r.is_instance_of::<PyTuple>() || r.is_instance_of::<pyo3::types::PyList>()) {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "expected tuple, but hook returned '{}'",
                r.get_type().name()?
            )));
        }
        r.try_iter()?
            .map(|item| {
                let item = item?;
                if item.is_none() {
                    return Ok(None);
                }
                super::args::as_tensor(&item).map(Some).ok_or_else(|| {
                    pyo3::exceptions::PyTypeError::new_err(format!(
                        "expected Variable or None (got {})",
                        item.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ))
                })
            })
            .collect::<PyResult<Grads>>()
            .and_then(|new| check_replacement(hook.bind(py), replaces, new))
            .map(Some)
    })
    .map_err(super::errors::user_error)
}

/// A hook's name in PyTorch's messages (its `__name__`).
pub(super) fn hook_name(hook: &Bound<'_, PyAny>) -> String {
    hook.getattr("__name__")
        .and_then(|n| n.extract::<String>())
        .unwrap_or_else(|_| "hook".into())
}

/// PyTorch's checks on what a node hook returned: one value per gradient
/// it was given, each of the replaced one's shape.
fn check_replacement(
    hook: &Bound<'_, PyAny>,
    old: &[Option<Tensor>],
    new: Grads,
) -> PyResult<Grads> {
    let name = hook_name(hook);
    if new.len() != old.len() {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "hook '{name}' has returned an incorrect number of values (got {}, but expected {})",
            new.len(),
            old.len()
        )));
    }
    let resized = old
        .iter()
        .zip(&new)
        .any(|(o, n)| matches!((o, n), (Some(o), Some(n)) if o.shape() != n.shape()));
    if resized {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "hook '{name}' has changed the size of value"
        )));
    }
    Ok(new)
}
