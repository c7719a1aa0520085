//! Factory functions of `autorust._native`: tensors from buffers, filled,
//! spaced and random tensors, and the random generators they draw from.
//! Python-side wrappers in python/autorust/_creation.py give them
//! PyTorch's signatures.

use super::args::parse_dtype;
use super::errors::type_error;
use super::tensor::PyTensor;
use crate::backend::cpu::buffer::Buffer;
use crate::backend::cpu::CpuStorage;
use crate::dtype::DType;
use crate::shape::sizes_from_i64;
use crate::storage::Storage;
use crate::tensor::Tensor;
use pyo3::prelude::*;

/// A tensor over `nbytes` at `ptr` (a C-contiguous NumPy buffer). With `copy`
/// the bytes are copied; otherwise the tensor shares them and keeps `owner`
/// alive (`from_numpy`).
#[pyfunction]
#[pyo3(signature = (ptr, shape, dtype, owner, copy, strides=None))]
pub fn from_buffer(
    ptr: usize,
    shape: Vec<i64>,
    dtype: &Bound<'_, PyAny>,
    owner: Py<PyAny>,
    copy: bool,
    strides: Option<Vec<i64>>,
) -> PyResult<PyTensor> {
    let dt = parse_dtype(dtype)?;
    let shape = sizes_from_i64("tensor", &shape)?;
    // A strided (non-negative, element-aligned) NumPy view is shared as is:
    // the storage spans its extent and the layout carries the strides.
    let layout = match strides {
        Some(st) if !copy => {
            let isz = dt.size_in_bytes() as i64;
            if st.len() != shape.len() || st.iter().any(|&s| s < 0 || s % isz != 0) {
                return Err(type_error(
                    "from_numpy: strides must be non-negative multiples of the item size",
                ));
            }
            let strides: crate::shape::Shape = st.iter().map(|&s| (s / isz) as usize).collect();
            Some(crate::layout::Layout {
                shape: shape.clone(),
                strides,
                offset: 0,
            })
        }
        _ => None,
    };
    let n: usize = match &layout {
        Some(l) => l.storage_extent(),
        None => shape.iter().product(),
    };
    // Safety: the Python caller passes the data pointer of a live, aligned,
    // C-contiguous array of `n` elements of `dt`, and `owner` keeps it alive.
    let storage = unsafe {
        macro_rules! mk {
            ($t:ty, $v:ident) => {{
                let p = ptr as *mut $t;
                if copy || n == 0 {
                    let v: Vec<$t> = if n == 0 {
                        vec![]
                    } else {
                        std::slice::from_raw_parts(p, n).to_vec()
                    };
                    CpuStorage::$v(Buffer::from_vec(v))
                } else {
                    CpuStorage::$v(Buffer::from_foreign(p, n, Box::new(owner)))
                }
            }};
        }
        match dt {
            DType::F32 => mk!(f32, F32),
            DType::F64 => mk!(f64, F64),
            DType::I64 => mk!(i64, I64),
            DType::Bool => mk!(bool, Bool),
        }
    };
    Ok(PyTensor::wrap(match layout {
        Some(l) => Tensor::from_storage(Storage::Cpu(storage), l),
        None => Tensor::contiguous_from(Storage::Cpu(storage), shape),
    }))
}

#[pyfunction]
#[pyo3(signature = (shape, value, dtype, requires_grad=false, device="cpu"))]
pub fn full(
    py: Python<'_>,
    shape: Vec<i64>,
    value: f64,
    dtype: &Bound<'_, PyAny>,
    requires_grad: bool,
    device: &str,
) -> PyResult<PyTensor> {
    let s = sizes_from_i64("full", &shape)?;
    let (dt, dev) = (
        parse_dtype(dtype)?,
        match device {
            "cpu" => crate::storage::Device::Cpu,
            "meta" => crate::storage::Device::Meta,
            _ => crate::storage::Device::Wgpu,
        },
    );
    let t = py.detach(|| Tensor::full_checked_on(&s, value, dt, dev))?;
    if requires_grad {
        t.set_requires_grad(true)?;
    }
    Ok(PyTensor::wrap(t))
}

#[pyfunction]
pub fn arange(start: f64, end: f64, step: f64, dtype: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    Ok(PyTensor::wrap(Tensor::arange(
        start,
        end,
        step,
        parse_dtype(dtype)?,
    )?))
}

#[pyfunction]
pub fn linspace(start: f64, end: f64, steps: i64, dtype: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    if steps < 0 {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "number of steps must be non-negative",
        ));
    }
    Ok(PyTensor::wrap(Tensor::linspace(
        start,
        end,
        steps as usize,
        parse_dtype(dtype)?,
    )?))
}

/// `base ** linspace(start, end, steps)`.
#[pyfunction]
pub fn logspace(
    start: f64,
    end: f64,
    steps: i64,
    base: f64,
    dtype: &Bound<'_, PyAny>,
) -> PyResult<PyTensor> {
    if steps < 0 {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "number of steps must be non-negative",
        ));
    }
    Ok(PyTensor::wrap(Tensor::logspace(
        start,
        end,
        steps as usize,
        base,
        parse_dtype(dtype)?,
    )?))
}

#[pyfunction]
pub fn eye(n: i64, m: i64, dtype: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let s = sizes_from_i64("eye", &[n, m])?;
    Ok(PyTensor::wrap(Tensor::eye(
        s[0],
        s[1],
        parse_dtype(dtype)?,
    )?))
}

/// `autorust.Generator`: an independent random stream for `generator=`.
#[pyclass(name = "Generator", module = "autorust")]
pub struct PyGenerator {
    rng: crate::random::SharedRng,
}

#[pymethods]
impl PyGenerator {
    #[new]
    #[pyo3(signature = (device="cpu"))]
    fn py_new(device: &str) -> PyResult<PyGenerator> {
        let _ = device;
        Ok(PyGenerator {
            rng: std::sync::Arc::new(parking_lot::Mutex::new(crate::random::Mt19937::new(
                crate::random::DEFAULT_GENERATOR_SEED,
            ))),
        })
    }
    fn manual_seed(slf: PyRef<'_, Self>, seed: i64) -> PyRef<'_, Self> {
        *slf.rng.lock() = crate::random::Mt19937::new(seed as u64);
        slf
    }
    fn initial_seed(&self) -> u64 {
        self.rng.lock().seed
    }
    fn seed(&self) -> u64 {
        let s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            & 0x7FFF_FFFF;
        *self.rng.lock() = crate::random::Mt19937::new(s);
        s
    }
    /// The stream's state as numbers (`get_state` makes it a tensor).
    fn _state_words(&self) -> Vec<i64> {
        self.rng.lock().to_words()
    }
    fn _set_state_words(&self, words: Vec<i64>) -> PyResult<()> {
        *self.rng.lock() = crate::random::Mt19937::from_words(&words).ok_or_else(bad_state)?;
        Ok(())
    }
    #[getter]
    fn device(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(py
            .import("autorust")?
            .getattr("device")?
            .call1(("cpu",))?
            .unbind())
    }
}

fn rng_of(g: &Option<PyRef<'_, PyGenerator>>) -> Option<crate::random::SharedRng> {
    g.as_ref().map(|g| g.rng.clone())
}

/// Uniform draws in [low, high), with PyTorch's arithmetic.
#[pyfunction]
#[pyo3(signature = (shape, dtype, generator=None, low=0.0, high=1.0))]
pub fn rand(
    shape: Vec<i64>,
    dtype: &Bound<'_, PyAny>,
    generator: Option<PyRef<'_, PyGenerator>>,
    low: f64,
    high: f64,
) -> PyResult<PyTensor> {
    let (s, dt) = (sizes_from_i64("rand", &shape)?, parse_dtype(dtype)?);
    Ok(PyTensor::wrap(crate::random::with_generator(
        rng_of(&generator).as_ref(),
        || Tensor::uniform_draws(&s, dt, low, high),
    )?))
}

/// Normal draws. `mean`/`std` are applied inside the draw, as PyTorch's
/// `normal_` does; `contiguous=False` (filling a strided view) takes
/// PyTorch's element-by-element path instead of its blocks of 16.
#[pyfunction]
#[pyo3(signature = (shape, dtype, generator=None, mean=0.0, std=1.0, contiguous=true))]
pub fn randn(
    shape: Vec<i64>,
    dtype: &Bound<'_, PyAny>,
    generator: Option<PyRef<'_, PyGenerator>>,
    mean: f64,
    std: f64,
    contiguous: bool,
) -> PyResult<PyTensor> {
    let (s, dt) = (sizes_from_i64("randn", &shape)?, parse_dtype(dtype)?);
    Ok(PyTensor::wrap(crate::random::with_generator(
        rng_of(&generator).as_ref(),
        || {
            if contiguous {
                Tensor::normal_draws(&s, dt, mean, std)
            } else {
                Tensor::normal_draws_serial(&s, dt, mean, std)
            }
        },
    )?))
}

#[pyfunction]
#[pyo3(signature = (low, high, shape, dtype, generator=None))]
pub fn randint(
    low: i64,
    high: i64,
    shape: Vec<i64>,
    dtype: &Bound<'_, PyAny>,
    generator: Option<PyRef<'_, PyGenerator>>,
) -> PyResult<PyTensor> {
    let (s, dt) = (sizes_from_i64("randint", &shape)?, parse_dtype(dtype)?);
    Ok(PyTensor::wrap(crate::random::with_generator(
        rng_of(&generator).as_ref(),
        || Tensor::randint(low, high, &s, dt),
    )?))
}

#[pyfunction]
#[pyo3(signature = (n, generator=None))]
pub fn randperm(n: i64, generator: Option<PyRef<'_, PyGenerator>>) -> PyResult<PyTensor> {
    let s = sizes_from_i64("randperm", &[n])?;
    Ok(PyTensor::wrap(crate::random::with_generator(
        rng_of(&generator).as_ref(),
        || Tensor::randperm(s[0]),
    )?))
}

/// A fresh non-negative int64 seed from the global stream (or `generator`).
#[pyfunction]
#[pyo3(signature = (generator=None))]
pub fn random_seed(generator: Option<PyRef<'_, PyGenerator>>) -> i64 {
    crate::random::with_generator(rng_of(&generator).as_ref(), crate::random::random_i63)
}

#[pyfunction]
pub fn manual_seed(seed: i64) {
    crate::random::manual_seed(seed as u64)
}

#[pyfunction]
pub fn _rng_state_words() -> Vec<i64> {
    crate::random::global_state()
}

#[pyfunction]
pub fn _set_rng_state_words(words: Vec<i64>) -> PyResult<()> {
    if crate::random::set_global_state(&words) {
        Ok(())
    } else {
        Err(bad_state())
    }
}

fn bad_state() -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err(
        "autorust: not a random-number generator state (pass what get_rng_state / get_state returned)",
    )
}

#[pyfunction]
pub fn initial_seed() -> u64 {
    crate::random::initial_seed()
}

/// Gamma(alpha, 1) draws for each of `alphas`, in order, as PyTorch's CPU
/// `_standard_gamma` (`single`: a float32 tensor) or, with `dirichlet`, the
/// double-precision draws of its `_sample_dirichlet`.
#[pyfunction]
#[pyo3(signature = (alphas, single, dirichlet, generator=None))]
pub fn gamma_draws(
    alphas: Vec<f64>,
    single: bool,
    dirichlet: bool,
    generator: Option<PyRef<'_, PyGenerator>>,
) -> Vec<f64> {
    crate::random::with_generator(rng_of(&generator).as_ref(), || {
        crate::random::with_rng(|r| {
            if dirichlet {
                crate::random_gamma::dirichlet_gammas(r, &alphas)
            } else {
                crate::random_gamma::standard_gamma(r, &alphas, single)
            }
        })
    })
}
