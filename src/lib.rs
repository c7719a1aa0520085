//! autorust: tensors, a graph arena and a backward scheduler in Rust, driven
//! from Python through the `python` feature's bindings.

// Numeric constants are written as their reference gives them (Cephes
// coefficients, PyTorch's kernels' literals, f32 splits of constants such as
// 2/sqrt(pi) into a head and a tail), digits the type cannot hold included:
// rewriting them to clippy's taste would hide where they came from.
#![allow(clippy::excessive_precision, clippy::approx_constant)]
// Kernels take their operands' pointers, sizes and strides as plain
// arguments (a struct per kernel would only move the list elsewhere).
#![allow(clippy::too_many_arguments)]
// Every unsafe block says why it is sound, right above it.
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod activation;
pub mod autograd;
pub mod backend;
pub mod composite;
pub mod dtype;
pub mod error;
pub mod forward_ad;
pub mod grad_mode;
pub mod grad_rules;
pub mod graph;
pub mod layout;
pub mod node_hooks;
pub mod op;
pub mod random;
pub mod random_gamma;
pub mod saved;
pub mod saved_hooks;
pub mod saved_names;
pub mod shape;
pub mod storage;
pub mod tensor;

pub use dtype::DType;
pub use error::{Error, Result};
pub use tensor::Tensor;

#[cfg(feature = "python")]
mod python;
