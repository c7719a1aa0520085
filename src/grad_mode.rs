//! Grad mode and inference mode: per-thread switches that every op reads
//! (whether to record a node) and nothing else in the crate owns, so this
//! module depends on nothing.

use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    static INFERENCE_MODE: Cell<bool> = const { Cell::new(false) };
}

pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Whether `inference_mode` is on: tensors made now are inference tensors.
pub fn is_inference_mode() -> bool {
    INFERENCE_MODE.with(|g| g.get())
}

/// Sets inference mode, returning the previous value.
pub fn set_inference_mode(on: bool) -> bool {
    INFERENCE_MODE.with(|g| g.replace(on))
}

/// Sets grad mode, returning the previous value.
pub fn set_grad_enabled(on: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(on))
}

/// Restores the previous grad mode when dropped.
pub struct GradModeGuard(bool);
impl GradModeGuard {
    pub fn new(on: bool) -> GradModeGuard {
        GradModeGuard(set_grad_enabled(on))
    }
}
impl Drop for GradModeGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.0);
    }
}
