//! Bindings for devices: moving tensors between the CPU and the wgpu device,
//! and `autorust.wgpu`'s queries (availability, name, memory, counters).

use super::tensor::PyTensor;
use crate::storage::Device;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn parse_device(name: &str) -> PyResult<Device> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "wgpu" => Ok(Device::Wgpu),
        "meta" => Ok(Device::Meta),
        other => Err(PyRuntimeError::new_err(format!("unknown device '{other}'"))),
    }
}

/// `tensor.to(device)`: a copy on `device` ("cpu" or "wgpu"), recorded for autograd.
#[pyfunction]
pub fn _to_device(py: Python<'_>, t: PyRef<'_, PyTensor>, device: &str) -> PyResult<PyTensor> {
    let (t, d) = (t.t.clone(), parse_device(device)?);
    Ok(PyTensor::wrap(py.detach(|| t.to_device(d))?))
}

#[cfg(feature = "gpu")]
mod queries {
    use super::*;
    use crate::backend::gpu::{self, context};
    use std::sync::atomic::Ordering;

    #[pyfunction]
    pub fn _wgpu_is_available(py: Python<'_>) -> bool {
        py.detach(gpu::is_available)
    }

    /// The adapter's name and backend, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)".
    #[pyfunction]
    pub fn _wgpu_device_name(py: Python<'_>) -> PyResult<String> {
        let ctx = py.detach(context)?;
        Ok(format!("{} ({:?})", ctx.info.name, ctx.info.backend))
    }

    /// "discrete", "integrated", "virtual", "cpu" (a software device such
    /// as lavapipe) or "other".
    #[pyfunction]
    pub fn _wgpu_device_type(py: Python<'_>) -> PyResult<&'static str> {
        let ctx = py.detach(context)?;
        Ok(match ctx.info.device_type {
            wgpu::DeviceType::DiscreteGpu => "discrete",
            wgpu::DeviceType::IntegratedGpu => "integrated",
            wgpu::DeviceType::VirtualGpu => "virtual",
            wgpu::DeviceType::Cpu => "cpu",
            wgpu::DeviceType::Other => "other",
        })
    }

    #[pyfunction]
    pub fn _wgpu_synchronize(py: Python<'_>) -> PyResult<()> {
        Ok(py.detach(|| context()?.synchronize())?)
    }

    /// Bytes in buffers held by live tensors.
    #[pyfunction]
    pub fn _wgpu_memory_allocated() -> PyResult<u64> {
        Ok(context()?.pool.lock().allocated)
    }

    #[pyfunction]
    pub fn _wgpu_empty_cache() -> PyResult<()> {
        gpu::pool::empty_cache(context()?);
        Ok(())
    }

    /// The adapter's identity and the limits that bound tensor sizes.
    #[pyfunction]
    pub fn _wgpu_properties(py: Python<'_>) -> PyResult<Py<PyDict>> {
        let ctx = py.detach(context)?;
        let d = PyDict::new(py);
        d.set_item("name", &ctx.info.name)?;
        d.set_item("backend", format!("{:?}", ctx.info.backend))?;
        d.set_item(
            "driver",
            format!("{} {}", ctx.info.driver, ctx.info.driver_info),
        )?;
        d.set_item("max_buffer_size", ctx.limits.max_buffer_size)?;
        d.set_item(
            "max_storage_buffer_binding_size",
            ctx.limits.max_storage_buffer_binding_size,
        )?;
        d.set_item(
            "max_compute_workgroups_per_dimension",
            ctx.limits.max_compute_workgroups_per_dimension,
        )?;
        Ok(d.unbind())
    }

    /// A device-side check that every element of the bool tensor `cond` is
    /// true, reported as `message` at the next synchronisation.
    #[pyfunction]
    pub fn _wgpu_assert_all(
        py: Python<'_>,
        cond: PyRef<'_, PyTensor>,
        message: &str,
    ) -> PyResult<()> {
        let t = cond.t.clone();
        py.detach(|| -> crate::error::Result<()> {
            // a fresh contiguous copy: the kernel reads words 0..n
            let c = t.detach().clone_data()?;
            c.with_storage(|s, _| match s {
                crate::storage::Storage::Gpu(g) => gpu::asserts::assert_all(g, message),
                _ => Err(crate::error::Error::Device(
                    "a device check needs a GPU tensor".into(),
                )),
            })
        })?;
        Ok(())
    }

    /// Test hooks: provoke a wgpu validation error / destroy the device.
    #[pyfunction]
    pub fn _wgpu_selftest_validation_error(py: Python<'_>) -> PyResult<()> {
        Ok(py.detach(|| gpu::dispatch::selftest::validation_error(context()?))?)
    }

    #[pyfunction]
    #[pyo3(signature = (poll=true))]
    pub fn _wgpu_selftest_lose_device(py: Python<'_>, poll: bool) -> PyResult<()> {
        py.detach(|| context().map(|c| gpu::dispatch::selftest::lose_device(c, poll)))?;
        Ok(())
    }

    #[pyfunction]
    pub fn _wgpu_stats(py: Python<'_>) -> PyResult<Py<PyDict>> {
        let ctx = context()?;
        let d = PyDict::new(py);
        d.set_item("submissions", ctx.stats.submissions.load(Ordering::Relaxed))?;
        d.set_item("dispatches", ctx.stats.dispatches.load(Ordering::Relaxed))?;
        d.set_item("pool_hits", ctx.stats.pool_hits.load(Ordering::Relaxed))?;
        d.set_item("pool_misses", ctx.stats.pool_misses.load(Ordering::Relaxed))?;
        let pool = ctx.pool.lock();
        d.set_item("bytes_allocated", pool.allocated)?;
        d.set_item("bytes_cached", pool.cached)?;
        Ok(d.unbind())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_to_device, m)?)?;
    #[cfg(feature = "gpu")]
    {
        use queries::*;
        m.add_function(wrap_pyfunction!(_wgpu_is_available, m)?)?;
        m.add_function(wrap_pyfunction!(_wgpu_device_name, m)?)?;
        m.add_function(wrap_pyfunction!(_wgpu_synchronize, m)?)?;
        m.add_function(wrap_pyfunction!(_wgpu_device_type, m)?)?;
        m.add_function(wrap_pyfunction!(_wgpu_memory_allocated, m)?)?;
        m.add_function(wrap_pyfunction!(_wgpu_empty_cache, m)?)?;
        m.add_function(wrap_pyfunction!(_wgpu_stats, m)?)?;
        m.add_function(wrap_pyfunction!(_wgpu_properties, m)?)?;
        m.add_function(wrap_pyfunction!(_wgpu_assert_all, m)?)?;
        m.add_function(wrap_pyfunction!(_wgpu_selftest_validation_error, m)?)?;
        m.add_function(wrap_pyfunction!(_wgpu_selftest_lose_device, m)?)?;
    }
    Ok(())
}
