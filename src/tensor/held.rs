//! Several tensors' CPU data held for reading while one fused kernel runs
//! (layer norm, batch norm, attention, LSTM): each tensor made contiguous,
//! its view and storage locked, and its data offered as a typed slice.

use super::Tensor;
use crate::backend::cpu::operand::{slice_at, FloatSlice, Operand};
use crate::backend::cpu::CpuStorage;
use crate::error::{Error, Result};

/// The held operands of one kernel call, in the order they were given
/// (None where the tensor was absent: an optional weight, mask, ...).
pub struct HeldOperands<'a> {
    op: &'a str,
    operands: Vec<Option<Operand<'a>>>,
}

impl<'a> HeldOperands<'a> {
    /// Operand `i`, which must be present.
    pub fn operand(&self, i: usize) -> Result<Operand<'a>> {
        self.operands
            .get(i)
            .copied()
            .flatten()
            .ok_or_else(|| Error::Autograd(format!("internal: {} without operand {i}", self.op)))
    }

    /// Operand `i`, or None where it is absent.
    pub fn optional_operand(&self, i: usize) -> Option<Operand<'a>> {
        self.operands.get(i).copied().flatten()
    }

    /// The first `len` elements of operand `i`, which must be present.
    pub fn slice<F: FloatSlice>(&self, i: usize, len: usize) -> Result<&'a [F]> {
        slice_at::<F>(self.operand(i)?, len)
    }

    /// The first `len` elements of operand `i`, or None where it is absent.
    pub fn optional<F: FloatSlice>(&self, i: usize, len: usize) -> Result<Option<&'a [F]>> {
        match self.optional_operand(i) {
            Some(o) => slice_at::<F>(o, len).map(Some),
            None => Ok(None),
        }
    }

    /// Whether the first operand holds float64 (else float32): the kernels'
    /// element type.
    pub fn is_f64(&self) -> Result<bool> {
        Ok(matches!(self.operand(0)?.0, CpuStorage::F64(_)))
    }
}

/// Runs `kernel` over the contiguous CPU data of `tensors`, held for
/// reading for the length of the call (`op` names the op in errors).
pub fn with_held<R>(
    op: &str,
    tensors: &[Option<&Tensor>],
    kernel: impl FnOnce(&HeldOperands<'_>) -> Result<R>,
) -> Result<R> {
    let contiguous: Vec<Option<Tensor>> = tensors
        .iter()
        .map(|t| t.map(Tensor::contiguous_data).transpose())
        .collect::<Result<_>>()?;
    let views: Vec<_> = contiguous
        .iter()
        .map(|t| t.as_ref().map(Tensor::view_guard))
        .collect();
    let data: Vec<_> = views
        .iter()
        .map(|v| {
            v.as_ref()
                .map(|v| (v.storage.data.read_recursive(), v.layout.offset))
        })
        .collect();
    let operands = data
        .iter()
        .map(|d| {
            d.as_ref()
                .map(|(storage, offset)| Ok((storage.cpu_for(op)?, *offset)))
                .transpose()
        })
        .collect::<Result<_>>()?;
    kernel(&HeldOperands { op, operands })
}
