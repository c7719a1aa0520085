//! The native `Tensor` class: construction, properties, conversions and the
//! autograd surface. Math, shape and reduction methods live beside it
//! (tensor_math.rs, tensor_shape.rs); composites written in Python are added
//! to the class by python/autorust/_tensor_methods.py.

use super::args::{dtype_object, opt_dtype, registry};
use super::errors::type_error;
use super::node::PyNode;
use crate::dtype::DType;
use crate::storage::StorageCell;
use crate::tensor::Tensor;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::sync::Arc;

#[pyclass(subclass, weakref, dict, name = "Tensor", module = "autorust")]
pub struct PyTensor {
    pub t: Tensor,
}

impl PyTensor {
    pub fn wrap(t: Tensor) -> PyTensor {
        PyTensor { t }
    }
}

/// Keeps a storage alive while NumPy views its memory.
#[pyclass(name = "_StorageRef", module = "autorust._native")]
pub struct PyStorageRef {
    _cell: Arc<StorageCell>,
}

/// Work above this many elements runs with the interpreter released.
pub const DETACH_NUMEL: usize = 1 << 15;

pub fn typestr(d: DType) -> &'static str {
    match d {
        DType::F32 => "<f4",
        DType::F64 => "<f8",
        DType::I64 => "<i8",
        DType::Bool => "|b1",
    }
}

#[pymethods]
impl PyTensor {
    /// `Tensor(t)` aliases another tensor (how `nn.Parameter` is built);
    /// `Tensor(list)` is the legacy float32 constructor and `Tensor(2, 3)`
    /// an (zero-filled) float32 tensor of that shape.
    #[new]
    #[pyo3(signature = (*args, requires_grad=false))]
    fn py_new(
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        requires_grad: bool,
    ) -> PyResult<PyTensor> {
        let sizes = args.len() >= 1
            && args
                .iter()
                .all(|a| a.is_exact_instance_of::<pyo3::types::PyInt>());
        let data = if sizes || args.is_empty() {
            None
        } else {
            Some(args.get_item(0)?)
        };
        if !sizes && args.len() > 2 {
            return Err(PyTypeError::new_err(
                "Tensor(): expected sizes or one data argument",
            ));
        }
        let requires_grad = match (sizes, args.len()) {
            (false, 2) => args.get_item(1)?.extract::<bool>()?,
            _ => requires_grad,
        };
        let t = match data.as_ref() {
            None if sizes => {
                let dims: Vec<i64> = args.extract()?;
                Tensor::full_checked(
                    &crate::shape::sizes_from_i64("Tensor", &dims)?,
                    0.0,
                    DType::F32,
                )?
            }
            None => Tensor::zeros(&[0], DType::F32),
            Some(d) => match super::args::as_tensor(d) {
                Some(t) => t.detach(),
                None => {
                    let made = py.import("autorust")?.getattr("tensor")?.call1((d,))?;
                    let t = super::args::as_tensor(&made)
                        .ok_or_else(|| type_error("Tensor(): could not convert data"))?;
                    if t.dtype().is_float() {
                        t
                    } else {
                        t.to_dtype(DType::F32)?
                    }
                }
            },
        };
        if requires_grad {
            t.set_requires_grad(true)?;
        }
        Ok(PyTensor { t })
    }

    // ---- metadata ----
    #[getter]
    fn shape(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        size_object(py, &self.t.shape())
    }
    #[pyo3(signature = (dim=None))]
    fn size(&self, py: Python<'_>, dim: Option<i64>) -> PyResult<Py<PyAny>> {
        let shape = self.t.shape();
        match dim {
            None => size_object(py, &shape),
            Some(d) => {
                let d = crate::shape::wrap_dim("size", d, shape.len())?;
                Ok(shape
                    .get(d)
                    .copied()
                    .unwrap_or(1)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind())
            }
        }
    }
    #[pyo3(signature = (dim=None))]
    fn stride(&self, py: Python<'_>, dim: Option<i64>) -> PyResult<Py<PyAny>> {
        let strides = self.t.strides();
        match dim {
            None => Ok(PyTuple::new(py, strides)?.into_any().unbind()),
            Some(d) => {
                let d = crate::shape::wrap_dim("stride", d, strides.len())?;
                Ok(strides
                    .get(d)
                    .copied()
                    .unwrap_or(1)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind())
            }
        }
    }
    fn storage_offset(&self) -> usize {
        self.t.layout().offset
    }
    fn dim(&self) -> usize {
        self.t.ndim()
    }
    #[getter]
    fn ndim(&self) -> usize {
        self.t.ndim()
    }
    fn numel(&self) -> usize {
        self.t.numel()
    }
    fn nelement(&self) -> usize {
        self.t.numel()
    }
    fn element_size(&self) -> usize {
        self.t.dtype().size_in_bytes()
    }
    #[getter]
    fn dtype(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        dtype_object(py, self.t.dtype())
    }
    #[getter]
    fn device(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let backend = match self.t.device() {
            crate::storage::Device::Cpu => "cpu",
            crate::storage::Device::Meta => "meta",
            crate::storage::Device::Wgpu => "wgpu:0",
        };
        Ok(py
            .import("autorust._device")?
            .getattr("_tensor_device")?
            .call1((backend,))?
            .unbind())
    }
    /// True on the wgpu device ("cuda" is its alias, so scripts that test
    /// `is_cuda` take their GPU path).
    #[getter]
    fn is_cuda(&self) -> bool {
        self.t.device() == crate::storage::Device::Wgpu
    }
    #[getter]
    fn is_meta(&self) -> bool {
        self.t.device() == crate::storage::Device::Meta
    }
    #[getter]
    fn is_leaf(&self) -> bool {
        self.t.is_leaf()
    }
    /// Whether the tensor was made under `inference_mode`.
    fn is_inference(&self) -> bool {
        self.t.is_inference()
    }
    fn is_contiguous(&self) -> bool {
        self.t.is_contiguous()
    }
    fn is_floating_point(&self) -> bool {
        self.t.dtype().is_float()
    }
    /// The tensor's identity, equal for every Python object that wraps the
    /// same tensor (PyTorch's `_cdata`): an AccumulateGrad's `variable` is a
    /// new wrapper, and empty tensors all share data pointer values.
    #[getter]
    fn _cdata(&self) -> usize {
        std::sync::Arc::as_ptr(&self.t.0) as usize
    }
    fn data_ptr(&self) -> PyResult<usize> {
        Ok(self.t.with_storage(|s, l| {
            s.cpu_for("data_ptr")
                .map(|c| c.data_ptr() + l.offset * self.t.dtype().size_in_bytes())
        })?)
    }
    fn __len__(&self) -> PyResult<usize> {
        let s = self.t.shape();
        s.first()
            .copied()
            .ok_or_else(|| PyTypeError::new_err("len() of a 0-d tensor"))
    }
    fn __hash__(slf: &Bound<'_, Self>) -> isize {
        slf.as_ptr() as isize
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        registry(py)?.formatter.bind(py).call1((slf,))?.extract()
    }

    // ---- conversions ----
    fn item(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let v = self.t.item_f64()?;
        scalar_object(py, v, self.t.dtype(), &self.t)
    }
    fn __float__(&self) -> PyResult<f64> {
        one_element(&self.t)?;
        Ok(self.t.item_f64()?)
    }
    fn __int__(&self) -> PyResult<i64> {
        one_element(&self.t)?;
        if self.t.dtype() == DType::I64 {
            return Ok(self.t.to_i64_vec()?[0]);
        }
        Ok(self.t.item_f64()?.trunc() as i64)
    }
    fn __index__(&self) -> PyResult<i64> {
        if self.t.dtype() != DType::I64 || self.t.numel() != 1 {
            return Err(PyTypeError::new_err(
                "only integer tensors of a single element can be converted to an index",
            ));
        }
        Ok(self.t.to_i64_vec()?[0])
    }
    fn __bool__(&self) -> PyResult<bool> {
        let n = self.t.numel();
        if n != 1 {
            return Err(PyRuntimeError::new_err(if n == 0 {
                "Boolean value of Tensor with no values is ambiguous".to_string()
            } else {
                "Boolean value of Tensor with more than one value is ambiguous".to_string()
            }));
        }
        Ok(self.t.item_f64()? != 0.0)
    }
    /// (data pointer, shape, byte strides, typestr, keepalive) for `__array_interface__`.
    fn _array_parts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let l = self.t.layout();
        let isz = self.t.dtype().size_in_bytes();
        let device = self.t.device();
        if device != crate::storage::Device::Cpu {
            return Err(PyTypeError::new_err(format!("can't convert {} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.", device.name())));
        }
        let ptr = self.t.with_storage(|s, _| s.cpu().map(|c| c.data_ptr()))? + l.offset * isz;
        let strides: Vec<usize> = l.strides.iter().map(|s| s * isz).collect();
        let keep = Py::new(
            py,
            PyStorageRef {
                _cell: self.t.storage_cell(),
            },
        )?;
        Ok((
            ptr,
            PyTuple::new(py, &l.shape)?,
            PyTuple::new(py, strides)?,
            typestr(self.t.dtype()),
            keep,
        )
            .into_pyobject(py)?
            .into_any()
            .unbind())
    }
    #[pyo3(signature = (*args, **kwargs))]
    fn to(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyTensor> {
        let mut dtype = None;
        let mut device = None;
        let mut copy = false;
        let mut check = |o: &Bound<'_, PyAny>| -> PyResult<()> {
            if o.is_none() {
                return Ok(());
            }
            if let Some(t) = super::args::as_tensor(o) {
                dtype = Some(t.dtype());
                return Ok(());
            }
            if let Ok(d) = super::args::parse_dtype(o) {
                dtype = Some(d);
                return Ok(());
            }
            // a device: validated by autorust.device, which names the backend
            let name: String = py
                .import("autorust")?
                .getattr("_check_device")?
                .call1((o,))?
                .extract()?;
            device = Some(match name.as_str() {
                "cpu" => crate::storage::Device::Cpu,
                "meta" => crate::storage::Device::Meta,
                _ => crate::storage::Device::Wgpu,
            });
            Ok(())
        };
        for a in args.iter() {
            if a.is_instance_of::<pyo3::types::PyBool>() {
                continue;
            }
            check(&a)?;
        }
        if let Some(kw) = kwargs {
            for (k, v) in kw.iter() {
                let k: String = k.extract()?;
                match k.as_str() {
                    "dtype" | "device" => check(&v)?,
                    "copy" => copy = v.extract()?,
                    "non_blocking" | "memory_format" => {}
                    _ => {
                        return Err(PyTypeError::new_err(format!(
                            "to() got an unexpected keyword argument '{k}'"
                        )))
                    }
                }
            }
        }
        let moves = device.is_some_and(|d| d != self.t.device());
        let t = match dtype {
            Some(d) if d != self.t.dtype() => self.t.to_dtype(d)?,
            _ if copy && !moves => self.t.clone_tensor()?,
            _ => self.t.clone(),
        };
        let t = match device {
            Some(d) if moves => py.detach(|| t.to_device(d))?,
            _ => t,
        };
        Ok(PyTensor::wrap(t))
    }
    fn float(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.to_dtype(DType::F32)?))
    }
    fn double(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.to_dtype(DType::F64)?))
    }
    fn long(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.to_dtype(DType::I64)?))
    }
    fn int(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.to_dtype(DType::I64)?))
    }
    fn bool(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.to_dtype(DType::Bool)?))
    }
    #[pyo3(signature = (*_args, **_kwargs))]
    fn cpu(
        &self,
        py: Python<'_>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyTensor> {
        let t = self.t.clone();
        Ok(PyTensor::wrap(
            py.detach(|| t.to_device(crate::storage::Device::Cpu))?,
        ))
    }
    /// `.cuda()` / `.cuda(0)`: the wgpu device (other indices are an error).
    #[pyo3(signature = (device=None, *_args, **_kwargs))]
    fn cuda(
        &self,
        py: Python<'_>,
        device: Option<&Bound<'_, PyAny>>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyTensor> {
        let check = py.import("autorust")?.getattr("_check_device")?;
        match device {
            Some(d) if !d.is_none() => check.call1((d,))?,
            _ => check.call1(("cuda",))?,
        };
        let t = self.t.clone();
        Ok(PyTensor::wrap(
            py.detach(|| t.to_device(crate::storage::Device::Wgpu))?,
        ))
    }
    #[pyo3(signature = (memory_format=None))]
    fn clone(&self, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        let _ = memory_format;
        Ok(PyTensor::wrap(self.t.clone_tensor()?))
    }
    #[pyo3(signature = (memory_format=None))]
    fn contiguous(&self, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        let _ = memory_format;
        Ok(PyTensor::wrap(self.t.contiguous()?))
    }

    // ---- autograd ----
    #[getter]
    fn get_requires_grad(&self) -> bool {
        self.t.requires_grad()
    }
    // PyTorch words the integer-dtype refusal three ways: the attribute
    // setter and requires_grad_() here, factories' requires_grad=True in the core.
    #[setter]
    fn set_requires_grad(slf: &Bound<'_, Self>, v: bool) -> PyResult<()> {
        if v && !slf.borrow().t.dtype().is_float() {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "only Tensors of floating point and complex dtype can require gradients",
            ));
        }
        slf.borrow().t.set_requires_grad(v)?;
        remember_leaf(slf.as_any(), v)
    }
    #[pyo3(signature = (requires_grad=true))]
    fn requires_grad_<'py>(
        slf: Bound<'py, Self>,
        requires_grad: bool,
    ) -> PyResult<Bound<'py, Self>> {
        if requires_grad && !slf.borrow().t.dtype().is_float() {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "only Tensors of floating point dtype can require gradients",
            ));
        }
        slf.borrow().t.set_requires_grad(requires_grad)?;
        remember_leaf(slf.as_any(), requires_grad)?;
        Ok(slf)
    }
    /// The identity of the Rust tensor this object wraps (two Python
    /// objects can wrap one tensor): `_tensor_identity` keys on it.
    #[getter]
    fn _impl_id(&self) -> usize {
        std::sync::Arc::as_ptr(&self.t.0) as usize
    }
    #[getter]
    fn get_grad(&self, py: Python<'_>) -> PyResult<Option<PyTensor>> {
        if !self.t.is_leaf() && !self.t.retains_grad() {
            let warnings = py.import("warnings")?;
            warnings.call_method1(
                "warn",
                ("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead.", py.get_type::<pyo3::exceptions::PyUserWarning>()),
            )?;
        }
        Ok(self.t.grad().map(PyTensor::wrap))
    }
    #[setter]
    fn set_grad(&self, g: Option<PyRef<'_, PyTensor>>) -> PyResult<()> {
        Ok(self.t.set_grad(g.map(|g| g.t.clone()))?)
    }
    #[getter]
    fn grad_fn(&self) -> Option<PyNode> {
        let r = self.t.grad_fn()?;
        let (shown, _) = crate::graph::ARENA.lock().shown(r.id());
        if shown == r.id() {
            return Some(PyNode { r });
        }
        crate::graph::NodeRef::from_id(shown).map(|r| PyNode { r })
    }
    #[getter]
    fn get_data(&self) -> PyTensor {
        PyTensor::wrap(self.t.data_alias())
    }
    #[setter]
    fn set_data(&self, other: PyRef<'_, PyTensor>) {
        self.t.set_data(&other.t)
    }
    fn detach(&self) -> PyTensor {
        PyTensor::wrap(self.t.detach())
    }
    fn detach_(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf.t.detach_();
        slf
    }
    fn retain_grad(&self) -> PyResult<()> {
        Ok(self.t.retain_grad()?)
    }
    #[getter]
    fn retains_grad(&self) -> bool {
        self.t.retains_grad()
    }
    /// The native half of `register_hook` (the Python method wraps the id
    /// in a `RemovableHandle`).
    fn _register_hook(&self, hook: Py<PyAny>) -> PyResult<u64> {
        let f: crate::graph::GradHook = Arc::new(move |g: &Tensor| {
            Python::attach(|py| -> crate::error::Result<Option<Tensor>> {
                let r = hook
                    .call1(py, (PyTensor::wrap(g.clone()),))
                    .map_err(super::errors::user_error)?;
                let r = r.bind(py);
                if r.is_none() {
                    return Ok(None);
                }
                match super::args::as_tensor(r) {
                    Some(t) => {
                        if t.shape() != g.shape() {
                            return Err(crate::error::Error::Runtime(format!(
                                "hook '{}' has changed the size of value",
                                super::node::hook_name(hook.bind(py))
                            )));
                        }
                        Ok(Some(t))
                    }
                    None => Err(super::errors::user_error(
                        pyo3::exceptions::PyTypeError::new_err(format!(
                            "expected Tensor, but hook returned '{}'",
                            r.get_type()
                                .name()
                                .map(|n| n.to_string())
                                .unwrap_or_default()
                        )),
                    )),
                }
            })
        });
        Ok(self.t.register_hook(f)?)
    }
    fn _register_post_accumulate_grad_hook(&self, hook: Py<PyAny>) -> PyResult<u64> {
        let f: crate::graph::PostAccumulateHook = Arc::new(move |t: &Tensor| {
            Python::attach(|py| -> crate::error::Result<()> {
                let r = hook
                    .call1(py, (PyTensor::wrap(t.clone()),))
                    .map_err(super::errors::user_error)?;
                if !r.is_none(py) {
                    return Err(crate::error::Error::Runtime(
                        "post accumulate grad hooks should return None".into(),
                    ));
                }
                Ok(())
            })
        });
        Ok(self.t.register_post_accumulate_grad_hook(f)?)
    }
    /// `resize_(*sizes)`: contiguous with the new shape, over the same storage
    /// (grown if needed).
    #[pyo3(signature = (*sizes, memory_format=None))]
    fn resize_<'py>(
        slf: PyRef<'py, Self>,
        sizes: &Bound<'py, PyTuple>,
        memory_format: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyRef<'py, Self>> {
        if memory_format.is_some_and(|m| !m.is_none()) {
            return Err(pyo3::exceptions::PyNotImplementedError::new_err(
                "resize_: memory_format is not supported by autorust (only contiguous layouts)",
            ));
        }
        let spec = super::args::parse_sizes(sizes)?;
        if let Some(d) = spec.iter().find(|&&d| d < 0) {
            return Err(PyRuntimeError::new_err(format!(
                "Trying to create tensor with negative dimension {d}: {spec:?}"
            )));
        }
        let shape: Vec<usize> = spec.iter().map(|&d| d as usize).collect();
        slf.t.resize_(&shape)?;
        Ok(slf)
    }
    fn _remove_hook(&self, id: u64) {
        self.t.remove_hook(id)
    }
    #[pyo3(signature = (gradient=None, retain_graph=None, create_graph=false, inputs=None))]
    fn backward(
        &self,
        py: Python<'_>,
        gradient: Option<PyRef<'_, PyTensor>>,
        retain_graph: Option<bool>,
        create_graph: bool,
        inputs: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let g = match gradient {
            Some(g) => g.t.clone(),
            None => implicit_grad(&self.t)?,
        };
        check_grad_shape(&self.t, &g)?;
        super::functions::run_backward(
            py,
            std::slice::from_ref(&self.t),
            &[g],
            retain_graph,
            create_graph,
            inputs,
        )
    }
}

/// What `autograd/_tensor_identity.py` registers: called with a tensor
/// that became a leaf requiring grad, so getters that hand it back later
/// (`grad_fn._saved_self`, a view's `_base`) give this Python object.
static LEAF_REGISTRY: std::sync::OnceLock<Py<PyAny>> = std::sync::OnceLock::new();

#[pyfunction]
pub fn _set_leaf_registry(f: Py<PyAny>) {
    let _ = LEAF_REGISTRY.set(f);
}

fn remember_leaf(t: &Bound<'_, PyAny>, requires_grad: bool) -> PyResult<()> {
    if let (true, Some(f)) = (requires_grad, LEAF_REGISTRY.get()) {
        f.call1(t.py(), (t,))?;
    }
    Ok(())
}

/// Python's float()/int() of a tensor need exactly one element.
fn one_element(t: &Tensor) -> PyResult<()> {
    if t.numel() != 1 {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "only one element tensors can be converted to Python scalars",
        ));
    }
    Ok(())
}

/// `backward()` without a gradient: only for one-element outputs.
pub fn implicit_grad(t: &Tensor) -> PyResult<Tensor> {
    if !t.requires_grad() {
        return Err(PyRuntimeError::new_err(
            "element 0 of tensors does not require grad and does not have a grad_fn",
        ));
    }
    if t.numel() != 1 {
        return Err(PyRuntimeError::new_err(
            "grad can be implicitly created only for scalar outputs",
        ));
    }
    Ok(Tensor::ones(&t.shape(), t.dtype()).to_device(t.device())?)
}

pub fn check_grad_shape(t: &Tensor, g: &Tensor) -> PyResult<()> {
    if t.shape() != g.shape() {
        return Err(PyRuntimeError::new_err(format!(
            "Mismatch in shape: grad_output[0] has a shape of {} and output[0] has a shape of {}.",
            crate::shape::fmt_shape(&g.shape()),
            crate::shape::fmt_shape(&t.shape())
        )));
    }
    Ok(())
}

pub fn size_object(py: Python<'_>, shape: &[usize]) -> PyResult<Py<PyAny>> {
    let tup = PyTuple::new(py, shape)?;
    Ok(registry(py)?.size_cls.bind(py).call1((tup,))?.unbind())
}

pub fn scalar_object(py: Python<'_>, v: f64, dtype: DType, t: &Tensor) -> PyResult<Py<PyAny>> {
    Ok(match dtype {
        DType::F32 | DType::F64 => v.into_pyobject(py)?.into_any().unbind(),
        DType::I64 => t.to_i64_vec()?[0].into_pyobject(py)?.into_any().unbind(),
        DType::Bool => (v != 0.0).into_pyobject(py)?.to_owned().into_any().unbind(),
    })
}

pub fn dtype_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DType>> {
    opt_dtype(obj)
}
