//! Module-level functions of `autorust._native`: joins, grad mode, and
//! the autograd entry points (factories are in factories.rs). Python-side wrappers in
//! python/autorust/ give them PyTorch's signatures.

use super::args::{as_tensor, operand, parse_dtype, Registry, REGISTRY};
use super::errors::type_error;
use super::tensor::{check_grad_shape, implicit_grad, PyTensor};
use crate::autograd;
use crate::dtype::DType;
use crate::tensor::Tensor;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

pub fn tensor_list(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Tensor>> {
    if let Some(t) = as_tensor(obj) {
        return Ok(vec![t]);
    }
    let mut out = vec![];
    for item in obj.try_iter()? {
        let item = item?;
        out.push(as_tensor(&item).ok_or_else(|| {
            type_error(format!(
                "expected a sequence of Tensors, but got an element of type {}",
                item.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?);
    }
    Ok(out)
}

#[pyfunction]
pub fn _register(
    py: Python<'_>,
    dtypes: (Py<PyAny>, Py<PyAny>, Py<PyAny>, Py<PyAny>),
    size_cls: Py<PyAny>,
    formatter: Py<PyAny>,
) -> PyResult<()> {
    let _ = REGISTRY.set(
        py,
        Registry {
            dtypes: [dtypes.0, dtypes.1, dtypes.2, dtypes.3],
            size_cls,
            formatter,
        },
    );
    Ok(())
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0))]
pub fn cat(tensors: &Bound<'_, PyAny>, dim: i64) -> PyResult<PyTensor> {
    Ok(PyTensor::wrap(Tensor::cat(&tensor_list(tensors)?, dim)?))
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0))]
pub fn stack(tensors: &Bound<'_, PyAny>, dim: i64) -> PyResult<PyTensor> {
    Ok(PyTensor::wrap(Tensor::stack(&tensor_list(tensors)?, dim)?))
}

#[pyfunction]
#[pyo3(name = "where")]
pub fn where_(
    condition: PyRef<'_, PyTensor>,
    input: &Bound<'_, PyAny>,
    other: &Bound<'_, PyAny>,
) -> PyResult<PyTensor> {
    let a = operand(input)?
        .ok_or_else(|| type_error("where(): argument 'input' must be Tensor or Number"))?;
    let b = operand(other)?
        .ok_or_else(|| type_error("where(): argument 'other' must be Tensor or Number"))?;
    if condition.t.dtype() != DType::Bool {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "where expected condition to be a boolean tensor, but got a tensor with dtype {}",
            condition.t.dtype().scalar_name()
        )));
    }
    Ok(PyTensor::wrap(condition.t.where_(&a, &b)?))
}

/// `torch.set_num_threads`: the thread count long float sums are split
/// across, as PyTorch splits them (their last bits depend on it there).
#[pyfunction]
pub fn _set_num_threads(n: usize) {
    crate::backend::cpu::cascade_sum::set_split_threads(n)
}

#[pyfunction]
pub fn _get_num_threads() -> usize {
    crate::backend::cpu::cascade_sum::split_threads()
}

#[pyfunction]
pub fn set_grad_enabled(on: bool) -> bool {
    crate::grad_mode::set_grad_enabled(on)
}

#[pyfunction]
pub fn is_grad_enabled() -> bool {
    crate::grad_mode::is_grad_enabled()
}

#[pyfunction]
pub fn set_inference_mode(on: bool) -> bool {
    crate::grad_mode::set_inference_mode(on)
}

#[pyfunction]
pub fn is_inference_mode_enabled() -> bool {
    crate::grad_mode::is_inference_mode()
}

#[pyfunction]
pub fn live_nodes() -> usize {
    crate::graph::live_nodes()
}

fn seed_grads(outputs: &[Tensor], grads: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Tensor>> {
    let given: Vec<Option<Tensor>> = match grads {
        None => vec![None; outputs.len()],
        Some(g) if g.is_none() => vec![None; outputs.len()],
        Some(g) => {
            if let Some(t) = as_tensor(g) {
                vec![Some(t)]
            } else {
                g.try_iter()?
                    .map(|x| x.map(|x| as_tensor(&x)))
                    .collect::<PyResult<_>>()?
            }
        }
    };
    if given.len() != outputs.len() {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!("grad can be implicitly created only for scalar outputs (got {} gradients for {} outputs)", given.len(), outputs.len())));
    }
    outputs
        .iter()
        .zip(given)
        .map(|(o, g)| match g {
            Some(g) => {
                check_grad_shape(o, &g)?;
                Ok(g)
            }
            None => implicit_grad(o),
        })
        .collect()
}

#[pyfunction]
#[pyo3(signature = (tensors, grad_tensors=None, retain_graph=None, create_graph=false, inputs=None))]
pub fn backward(
    py: Python<'_>,
    tensors: &Bound<'_, PyAny>,
    grad_tensors: Option<&Bound<'_, PyAny>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    inputs: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let outs = tensor_list(tensors)?;
    let grads = seed_grads(&outs, grad_tensors)?;
    run_backward(py, &outs, &grads, retain_graph, create_graph, inputs)
}

/// `backward()` of `roots` (the tensor method and `autograd.backward`).
pub(crate) fn run_backward(
    py: Python<'_>,
    roots: &[Tensor],
    grads: &[Tensor],
    retain_graph: Option<bool>,
    create_graph: bool,
    inputs: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let retain = retain_graph.unwrap_or(create_graph);
    let (ins, mode) = match inputs {
        None => (vec![], autograd::Inputs::AllLeaves),
        Some(i) => (tensor_list(i)?, autograd::Inputs::Accumulate),
    };
    py.detach(|| autograd::backward(roots, grads, retain, create_graph, &ins, mode, true))?;
    Ok(())
}

#[pyfunction]
#[pyo3(signature = (outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=false, allow_unused=None, materialize_grads=false))]
#[allow(clippy::too_many_arguments)]
pub fn grad(
    py: Python<'_>,
    outputs: &Bound<'_, PyAny>,
    inputs: &Bound<'_, PyAny>,
    grad_outputs: Option<&Bound<'_, PyAny>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    allow_unused: Option<bool>,
    materialize_grads: bool,
) -> PyResult<Py<PyAny>> {
    let outs = tensor_list(outputs)?;
    let ins = tensor_list(inputs)?;
    let grads = seed_grads(&outs, grad_outputs)?;
    let retain = retain_graph.unwrap_or(create_graph);
    let allow = allow_unused.unwrap_or(materialize_grads);
    let got = py.detach(|| {
        autograd::backward(
            &outs,
            &grads,
            retain,
            create_graph,
            &ins,
            autograd::Inputs::Capture,
            allow,
        )
    })?;
    let mut items: Vec<Py<PyAny>> = vec![];
    for (t, g) in ins.iter().zip(got) {
        items.push(match g {
            Some(g) => Py::new(py, PyTensor::wrap(g))?.into_any(),
            None if materialize_grads => Py::new(
                py,
                PyTensor::wrap(Tensor::zeros_on(&t.shape(), t.dtype(), t.device())?),
            )?
            .into_any(),
            None => py.None(),
        });
    }
    Ok(PyTuple::new(py, items)?.into_any().unbind())
}

/// Names the grad_fn of a composite op's result as PyTorch names the fused op
/// (`mse_loss` -> `MseLossBackward0`); the backward stays the composite's.
/// `hide` (one bit per input) drops inputs from `next_functions`: a Python
/// number the composite took as a tensor where PyTorch's op takes a Scalar
/// (`y * 0.5` inside an ATen function is `MulBackward1`, one edge).
#[pyfunction]
#[pyo3(signature = (t, name, hide=0, saves=true))]
pub fn _set_grad_fn_name(t: PyRef<'_, PyTensor>, name: &str, hide: u32, saves: bool) {
    crate::graph::rename(&t.t, name);
    if hide != 0 {
        crate::graph::hide_inputs(&t.t, hide);
    }
    if !saves {
        crate::graph::mark_saves_nothing(&t.t);
    }
}

/// PyTorch's in-place guard (a leaf that requires grad, in grad mode), for
/// in-place ops written in Python that must refuse before they draw.
#[pyfunction]
pub fn _check_inplace(t: PyRef<'_, PyTensor>) -> PyResult<()> {
    Ok(t.t.check_inplace()?)
}

/// `out`'s values as a node named `name` over `inputs` with a zero
/// gradient to each (an in-place fill: its values do not depend on them).
#[pyfunction]
pub fn _zero_node(
    out: PyRef<'_, PyTensor>,
    inputs: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<PyTensor> {
    let ins = tensor_list(inputs)?;
    let refs: Vec<&Tensor> = ins.iter().collect();
    let result = out.t.detach();
    if result.dtype().is_float() {
        crate::tensor::record(&result, crate::graph::intern(name), &refs, || {
            crate::grad_rules::Rule::Zero
        });
    }
    Ok(PyTensor::wrap(result))
}

/// An in-place op written in Python: `f(source)` computes the new values
/// out of place from a copy of `t` that carries `t`'s history (so what the
/// op saves for backward is not overwritten), and `t` takes them and the
/// op's node, as the native in-place ops do.
#[pyfunction]
pub fn _inplace_apply(t: PyRef<'_, PyTensor>, f: &Bound<'_, PyAny>, name: &str) -> PyResult<()> {
    // what the Python op reads besides `t` is unknown here: in grad mode
    // the old values are copied whenever they may be saved
    let src = t.t.inplace_source_for_unknown()?;
    let out = f.call1((PyTensor::wrap(src),))?;
    let r = as_tensor(&out)
        .ok_or_else(|| type_error(format!("{name}: the in-place op computed no tensor")))?;
    Ok(t.t.inplace_update(&r, crate::graph::intern(name))?)
}

/// Marks the grad_fn of one result of a multi-output op (a split piece,
/// aminmax's max) as PyTorch's output `nr` of that op.
#[pyfunction]
pub fn _set_output_nr(t: PyRef<'_, PyTensor>, nr: u32) {
    crate::graph::set_output_nr(&t.t, nr);
}

/// Marks `t`, a view of a multi-output op's packed result, as output `nr`
/// of the op's node (the LSTM layer's output, h_n, c_n).
#[pyfunction]
pub fn _show_as_output(t: PyRef<'_, PyTensor>, nr: u32) {
    crate::graph::show_as_output_of_producer(&t.t, nr);
}

/// Marks `t` as output `nr` of `function` (PyTorch's name: "Unbind",
/// "Split"), a function returning several views: an in-place write to it
/// in the graph is refused, as in PyTorch.
#[pyfunction]
pub fn _mark_multi_output_view(t: PyRef<'_, PyTensor>, function: &str, nr: u32) {
    t.t.0.meta.lock().multi_output_view = Some((crate::graph::intern(function), nr));
}

/// Attaches `output` to `inputs` through a node whose backward is the Python
/// callable `backward(grad) -> sequence of gradients, one per input` (the
/// machinery under `autograd.Function`). With `saved`, the tensors the
/// backward reads are version-checked first, as PyTorch's saved tensors: one
/// written in place since raises instead of giving a wrong gradient.
/// Returns the attached output.
#[pyfunction]
#[pyo3(signature = (output, inputs, backward, name, saved=None))]
pub fn _custom_node(
    output: PyRef<'_, PyTensor>,
    inputs: &Bound<'_, PyAny>,
    backward: Py<PyAny>,
    name: &str,
    saved: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let ins = tensor_list(inputs)?;
    let saved: Vec<crate::grad_rules::Saved> = match saved {
        Some(s) => tensor_list(s)?
            .iter()
            .map(crate::grad_rules::Saved::input)
            .collect(),
        None => Vec::new(),
    };
    // (a node given saved tensors frees them with its graph, as PyTorch's)
    let saves = !saved.is_empty();
    let shapes: Vec<crate::shape::Shape> = ins.iter().map(|t| t.shape()).collect();
    let out = output.t.detach();
    let fname = crate::graph::intern(name);
    let f: crate::grad_rules::CustomBackward = std::sync::Arc::new(move |g: &Tensor| {
        for s in &saved {
            s.check_version(fname)?;
        }
        Python::attach(|py| -> crate::error::Result<Vec<Option<Tensor>>> {
            let err = super::errors::user_error;
            let res = backward
                .call1(py, (PyTensor::wrap(g.clone()),))
                .map_err(err)?;
            let res = res.bind(py);
            let items: Vec<Bound<'_, PyAny>> = if res.is_none() {
                vec![]
            } else {
                res.try_iter()
                    .map_err(err)?
                    .collect::<PyResult<_>>()
                    .map_err(err)?
            };
            let mut out = Vec::with_capacity(shapes.len());
            for (i, shape) in shapes.iter().enumerate() {
                let mut gi = items.get(i).and_then(as_tensor);
                if let Some(g) = gi.take() {
                    gi = Some(crate::autograd::input_gradient(fname, i, g, shape)?);
                }
                out.push(gi);
            }
            Ok(out)
        })
    });
    let refs: Vec<&Tensor> = ins.iter().collect();
    crate::tensor::record(&out, fname, &refs, || crate::grad_rules::Rule::Custom {
        f,
        saves,
    });
    Ok(PyTensor::wrap(out))
}

/// Runs `fn(*inputs)` as one graph node named `name` over `inputs` (None
/// entries allowed), as PyTorch shows the op (see `composite.rs`): `fn` is
/// called with aliases of the inputs and must compute only from them.
/// With `link_name`, the gradients stay connected to the inputs at `link`
/// under create_graph (PyTorch's backward kernels; see `grad_rules::zero_link`).
#[pyfunction]
#[pyo3(signature = (name, inputs, f, link_name=None, link=vec![], saves=None))]
pub fn _composite(
    py: Python<'_>,
    name: &str,
    inputs: &Bound<'_, PyAny>,
    f: &Bound<'_, PyAny>,
    link_name: Option<&str>,
    link: Vec<usize>,
    saves: Option<bool>,
) -> PyResult<Py<PyAny>> {
    let items: Vec<Bound<'_, PyAny>> = inputs.try_iter()?.collect::<PyResult<_>>()?;
    let ins: Vec<Option<Tensor>> = items
        .iter()
        .map(|x| {
            if x.is_none() {
                Ok(None)
            } else {
                as_tensor(x).map(Some).ok_or_else(|| {
                    pyo3::exceptions::PyTypeError::new_err(
                        "_composite: inputs must be tensors or None",
                    )
                })
            }
        })
        .collect::<PyResult<_>>()?;
    let refs: Vec<Option<&Tensor>> = ins.iter().map(|t| t.as_ref()).collect();
    let out = crate::composite::composite_saving(
        name,
        &refs,
        link_name.map(|n| (n, link.as_slice())),
        saves,
        |aliases| {
            let args: Vec<Py<PyAny>> = aliases
                .iter()
                .map(|a| match a {
                    Some(t) => Py::new(py, PyTensor::wrap(t.clone())).map(|p| p.into_any()),
                    None => Ok(py.None()),
                })
                .collect::<PyResult<_>>()
                .map_err(super::errors::user_error)?;
            let r = f
                .call1(PyTuple::new(py, args).map_err(super::errors::user_error)?)
                .map_err(super::errors::user_error)?;
            as_tensor(&r).ok_or_else(|| {
                super::errors::user_error(pyo3::exceptions::PyTypeError::new_err(format!(
                    "_composite {name}: the function must return one Tensor"
                )))
            })
        },
    )?;
    Ok(Py::new(py, PyTensor::wrap(out))?.into_any())
}

/// Makes `out` (computed from `inputs`) a result PyTorch cannot
/// differentiate: its grad_fn is `NotImplemented`, and backward through it
/// raises "derivative for aten::<op> is not implemented".
#[pyfunction]
pub fn _not_implemented(
    out: PyRef<'_, PyTensor>,
    inputs: &Bound<'_, PyAny>,
    op: &str,
) -> PyResult<PyTensor> {
    let ins = tensor_list(inputs)?;
    let refs: Vec<&Tensor> = ins.iter().collect();
    let result = out.t.detach();
    let op = crate::graph::intern(op);
    if out.t.dtype().is_float() {
        crate::tensor::record(&result, "NotImplemented", &refs, || {
            crate::grad_rules::Rule::NotImplemented(op)
        });
    }
    Ok(PyTensor::wrap(result))
}

/// `t` through a node whose backward raises `message` as a RuntimeError:
/// where PyTorch's backward kernel refuses the operands it was given
/// (`addr`'s mv over mixed float dtypes), autorust's refuses them too.
#[pyfunction]
pub fn _refuse_backward(t: PyRef<'_, PyTensor>, message: &str) -> PyTensor {
    if !(t.t.requires_grad() && crate::grad_mode::is_grad_enabled()) {
        return PyTensor::wrap(t.t.clone());
    }
    let out = t.t.detach();
    let message = crate::graph::intern(message);
    crate::tensor::record(&out, "RefusedBackward", &[&t.t], || {
        crate::grad_rules::Rule::Refused(message)
    });
    PyTensor::wrap(out)
}

/// `set_default_dtype` for the native side's promotion rules.
#[pyfunction]
pub fn _set_default_float(dtype: &Bound<'_, PyAny>) -> PyResult<()> {
    crate::dtype::set_default_float(parse_dtype(dtype)?);
    Ok(())
}
