//! Compute backends. Kernels see storages and layouts, never the graph.
pub mod cpu;
#[cfg(feature = "gpu")]
pub mod gpu;
