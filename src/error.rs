//! The one error type of the crate. Every variant names the op and what was
//! wrong with its arguments; `python/errors.rs` maps each variant to the
//! Python exception type PyTorch raises for the same mistake.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// An exception raised by user code the core called back (a hook, a
    /// custom backward): carried through untouched, so Python sees the
    /// user's own exception, as PyTorch re-raises it.
    User(UserError),
    /// Shapes that do not fit together (broadcasting, matmul, view). -> RuntimeError
    Shape { op: &'static str, msg: String },
    /// A dim argument outside `[-ndim, ndim)`. -> IndexError
    Dim {
        op: &'static str,
        dim: i64,
        ndim: usize,
    },
    /// An index outside a dimension's size. -> IndexError
    Index { op: &'static str, msg: String },
    /// A dtype an op cannot take. -> RuntimeError (PyTorch's choice)
    DType { op: &'static str, msg: String },
    /// A bad value (negative size, zero step). -> RuntimeError, as PyTorch reports these
    Value { op: &'static str, msg: String },
    /// Autograd misuse: freed graph, leaf modified in place, no grad_fn. -> RuntimeError
    Autograd(String),
    /// Anything else PyTorch reports as a RuntimeError.
    Runtime(String),
    /// The GPU: no adapter, an op not available there, mixed devices, a
    /// wgpu error or a lost device. -> RuntimeError
    Device(String),
    /// What PyTorch reports as not implemented (reading a meta tensor's
    /// values). -> NotImplementedError
    NotImplemented(String),
    /// Allocation larger than the machine can hold. -> MemoryError
    OutOfMemory { op: &'static str, bytes: u128 },
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape { msg, .. } => write!(f, "{msg}"),
            Error::Dim { op, dim, ndim } => {
                if *ndim == 0 {
                    write!(
                        f,
                        "{op}: Dimension specified as {dim} but tensor has no dimensions"
                    )
                } else {
                    write!(
                        f,
                        "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                        -(*ndim as i64),
                        *ndim as i64 - 1
                    )
                }
            }
            Error::Index { msg, .. } => write!(f, "{msg}"),
            Error::DType { msg, .. } => write!(f, "{msg}"),
            Error::Value { msg, .. } => write!(f, "{msg}"),
            Error::Autograd(msg)
            | Error::Runtime(msg)
            | Error::Device(msg)
            | Error::NotImplemented(msg) => write!(f, "{msg}"),
            Error::User(e) => write!(f, "{}", e.message),
            Error::OutOfMemory { op, bytes } => {
                write!(f, "{op}: cannot allocate a tensor of {bytes} bytes")
            }
        }
    }
}

impl std::error::Error for Error {}

/// The payload of `Error::User`: the front end's own error object (a
/// Python exception) and its text for Rust-side display.
#[derive(Clone)]
pub struct UserError {
    pub message: String,
    pub payload: std::sync::Arc<dyn std::any::Any + Send + Sync>,
}

impl fmt::Debug for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserError({:?})", self.message)
    }
}

impl PartialEq for UserError {
    fn eq(&self, other: &UserError) -> bool {
        std::sync::Arc::ptr_eq(&self.payload, &other.payload)
    }
}

/// Shorthand constructors keep call sites on one line.
pub fn shape_err<T>(op: &'static str, msg: impl Into<String>) -> Result<T> {
    Err(Error::Shape {
        op,
        msg: msg.into(),
    })
}
pub fn dtype_err<T>(op: &'static str, msg: impl Into<String>) -> Result<T> {
    Err(Error::DType {
        op,
        msg: msg.into(),
    })
}
/// A kernel PyTorch has no implementation of for this dtype (its
/// `TORCH_CHECK_NOT_IMPLEMENTED`): NotImplementedError in Python.
pub fn not_implemented_err<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::NotImplemented(msg.into()))
}
pub fn index_err<T>(op: &'static str, msg: impl Into<String>) -> Result<T> {
    Err(Error::Index {
        op,
        msg: msg.into(),
    })
}
pub fn value_err<T>(op: &'static str, msg: impl Into<String>) -> Result<T> {
    Err(Error::Value {
        op,
        msg: msg.into(),
    })
}
pub fn runtime_err<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::Runtime(msg.into()))
}

/// PyTorch's message for a backward through freed saved tensors.
pub const FREED_GRAPH: &str = "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";
