//! The one mapping from `Error` to Python exceptions, following PyTorch's
//! choice of exception type for each kind of mistake.

use crate::error::Error;
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError};
use pyo3::{PyErr, Python};

/// A Python exception raised inside a callback the core made (hook, custom
/// backward), to be re-raised as itself when the error reaches Python.
pub fn user_error(err: PyErr) -> Error {
    let message = err.to_string();
    Error::User(crate::error::UserError {
        message,
        payload: std::sync::Arc::new(err),
    })
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        let msg = e.to_string();
        match e {
            Error::User(u) => match u.payload.downcast_ref::<PyErr>() {
                Some(err) => Python::attach(|py| err.clone_ref(py)),
                None => PyRuntimeError::new_err(msg),
            },
            Error::Dim { .. } | Error::Index { .. } => PyIndexError::new_err(msg),
            Error::NotImplemented(_) => pyo3::exceptions::PyNotImplementedError::new_err(msg),
            // PyTorch reports bad sizes and ranges (negative dims, arange step 0) as RuntimeError.
            Error::Shape { .. }
            | Error::Value { .. }
            | Error::DType { .. }
            | Error::Autograd(_)
            | Error::Runtime(_)
            | Error::Device(_)
            | Error::OutOfMemory { .. } => PyRuntimeError::new_err(msg),
        }
    }
}

pub fn type_error(msg: impl Into<String>) -> PyErr {
    PyTypeError::new_err(msg.into())
}
