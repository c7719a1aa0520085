//! Python's pack/unpack pairs as saved-tensor hooks (`saved_tensors_hooks`).

use super::errors::user_error;
use super::tensor::PyTensor;
use crate::saved_hooks::{Packed, Packer};
use crate::tensor::Tensor;
use pyo3::prelude::*;
use std::sync::Arc;

struct PythonPacker {
    pack: Py<PyAny>,
    unpack: Arc<Py<PyAny>>,
}

struct PythonPacked {
    packed: Py<PyAny>,
    unpack: Arc<Py<PyAny>>,
}

impl Packer for PythonPacker {
    fn pack(&self, t: &Tensor) -> crate::error::Result<Arc<dyn Packed>> {
        // both hooks run with grad mode off, as PyTorch runs them
        let _no_grad = crate::grad_mode::GradModeGuard::new(false);
        Python::attach(|py| {
            let packed = self.pack.call1(py, (PyTensor::wrap(t.clone()),))?;
            Ok(Arc::new(PythonPacked {
                packed,
                unpack: self.unpack.clone(),
            }) as Arc<dyn Packed>)
        })
        .map_err(user_error)
    }
}

impl Packed for PythonPacked {
    fn unpack(&self) -> crate::error::Result<Tensor> {
        let _no_grad = crate::grad_mode::GradModeGuard::new(false);
        Python::attach(|py| {
            let r = self.unpack.call1(py, (self.packed.clone_ref(py),))?;
            let r = r.bind(py);
            super::args::as_tensor(r).ok_or_else(|| {
                pyo3::exceptions::PyTypeError::new_err(format!(
                    "Output of saved tensor unpack_hook expected to be a Tensor but got result of type {}",
                    r.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                ))
            })
        })
        .map_err(user_error)
    }
}

/// `pack`/`unpack` as a packer for one saved tensor (`SavedTensor.register_hooks`).
pub fn python_packer(pack: Py<PyAny>, unpack: Py<PyAny>) -> impl crate::saved_hooks::Packer {
    PythonPacker {
        pack,
        unpack: Arc::new(unpack),
    }
}

/// Installs `pack`/`unpack` as the innermost pair on this thread.
#[pyfunction]
pub fn _push_saved_tensors_hooks(pack: Py<PyAny>, unpack: Py<PyAny>) {
    crate::saved_hooks::push(Arc::new(PythonPacker {
        pack,
        unpack: Arc::new(unpack),
    }));
}

/// Takes the innermost pair off.
#[pyfunction]
pub fn _pop_saved_tensors_hooks() {
    crate::saved_hooks::pop();
}
