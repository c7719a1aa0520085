//! autorust: tensors, a graph arena and a backward scheduler in Rust, driven
//! from Python through the `python` feature's bindings.

pub mod activation;
pub mod autograd;
pub mod backend;
pub mod composite;
pub mod dtype;
pub mod error;
pub mod forward_ad;
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
