//! Typed views of float storages for the fused kernels (LSTM, norms,
//! attention; `tensor::held` holds them for a kernel call):
//! each operand is a storage and the offset its contiguous data starts at.

use super::CpuStorage;
use crate::backend::cpu::float::Float;
use crate::error::{dtype_err, Result};

/// A storage and the offset its contiguous data starts at.
pub type Operand<'a> = (&'a CpuStorage, usize);

/// A float storage as a slice of its element type.
pub trait FloatSlice: Float {
    fn of(s: &CpuStorage) -> Result<&[Self]>;
}

macro_rules! float_slice {
    ($t:ty, $variant:ident, $name:literal) => {
        impl FloatSlice for $t {
            fn of(s: &CpuStorage) -> Result<&[$t]> {
                match s {
                    CpuStorage::$variant(b) => Ok(b.as_slice()),
                    other => dtype_err(
                        "fused kernel",
                        format!(concat!("expected ", $name, ", got {}"), other.dtype()),
                    ),
                }
            }
        }
    };
}
float_slice!(f32, F32, "float32");
float_slice!(f64, F64, "float64");

/// The `len` elements of `o` from its offset.
pub fn slice_at<'a, F: FloatSlice>(o: Operand<'a>, len: usize) -> Result<&'a [F]> {
    Ok(&F::of(o.0)?[o.1..o.1 + len])
}
