//! The native side of `autograd.forward_ad`: the dual level, a tensor's
//! tangent, and forward grad mode (see `crate::forward_ad`).

use super::tensor::PyTensor;
use crate::error::Error;
use crate::forward_ad::{self, Tangent};
use pyo3::prelude::*;

#[pyfunction]
pub fn _enter_dual_level() -> PyResult<i64> {
    Ok(forward_ad::enter_level()?)
}

#[pyfunction]
pub fn _exit_dual_level(level: i64) -> PyResult<()> {
    Ok(forward_ad::exit_level(level)?)
}

#[pyfunction]
pub fn _current_dual_level() -> i64 {
    forward_ad::current_level()
}

/// Gives `t` the tangent `tangent` (make_dual's checks are in Python).
#[pyfunction]
pub fn _set_tangent(t: PyRef<'_, PyTensor>, tangent: PyRef<'_, PyTensor>) -> PyResult<()> {
    if forward_ad::current_level() < 0 {
        return Err(Error::Runtime(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first.".into(),
        )
        .into());
    }
    forward_ad::set_tangent(&t.t, Some(Tangent::Value(tangent.t.clone())));
    Ok(())
}

/// Gives `out`, a result of `inputs` (a custom Function's output), the
/// tangent its `jvp` computed: linked to the inputs that require grad, as
/// a computed tangent is (see `forward_ad::linked_to_inputs`).
#[pyfunction]
pub fn _set_result_tangent(
    out: PyRef<'_, PyTensor>,
    tangent: PyRef<'_, PyTensor>,
    inputs: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let ins = super::functions::tensor_list(inputs)?;
    let refs: Vec<&crate::tensor::Tensor> = ins.iter().collect();
    let linked = forward_ad::linked_to_inputs(tangent.t.clone(), &refs)?;
    forward_ad::set_tangent(&out.t, Some(Tangent::Value(linked)));
    Ok(())
}

/// `t`'s tangent in the current level (None without one); raises the error
/// of an op that could not compute it.
#[pyfunction]
pub fn _tangent(t: PyRef<'_, PyTensor>) -> PyResult<Option<PyTensor>> {
    match forward_ad::tangent_of(&t.t) {
        None => Ok(None),
        Some(Tangent::Value(v)) => Ok(Some(PyTensor::wrap(v))),
        Some(Tangent::Failed(why)) => Err(Error::Runtime(why.to_string()).into()),
    }
}

/// Turns tangent propagation on this thread on or off; returns the previous
/// setting (PyTorch's `_set_fwd_grad_enabled`).
#[pyfunction]
pub fn _set_fwd_grad_enabled(on: bool) -> bool {
    forward_ad::set_enabled(on)
}

#[pyfunction]
pub fn _is_fwd_grad_enabled() -> bool {
    forward_ad::enabled()
}

/// Whether a result computed outside the graph (on the host, or by a
/// kernel that does not record) must be attached to `inputs` by a node:
/// for backward mode, or because an input carries a tangent (the node's
/// recording gives the result its tangent).
#[pyfunction]
pub fn _needs_node(inputs: &Bound<'_, PyAny>) -> PyResult<bool> {
    let ins = super::functions::tensor_list(inputs)?;
    let refs: Vec<&crate::tensor::Tensor> = ins.iter().collect();
    Ok(crate::tensor::needs_grad(&refs))
}

/// Whether `t` carries a tangent in the current level (a computed one or
/// an error): a backward formula must then give its input a gradient, as
/// the tangent is computed from it.
#[pyfunction]
pub fn _has_tangent(t: PyRef<'_, PyTensor>) -> bool {
    forward_ad::tangent_of(&t.t).is_some()
}

/// Whether forward AD is transposing a backward on this thread (see
/// `forward_ad::transposing`): a backward that refuses its next order
/// (a NotImplemented link) must not refuse this.
#[pyfunction]
pub fn _transposing() -> bool {
    forward_ad::transposing()
}
