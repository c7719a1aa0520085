//! Factory functions: full/zeros/ones, arange, eye, random tensors
//! (linspace and logspace are in spaced.rs).

use super::Tensor;
use crate::backend::cpu::{CpuStorage, IntoStorage};
use crate::dtype::DType;
use crate::error::{value_err, Result};
use crate::random;
use crate::shape::{checked_numel, Shape};
use crate::storage::Storage;

fn from_f64s(v: Vec<f64>, shape: impl Into<Shape>, dtype: DType) -> Tensor {
    let n = v.len();
    let s = CpuStorage::F64(crate::backend::cpu::buffer::Buffer::from_vec(v));
    let l = crate::layout::Layout::contiguous(vec![n]);
    let st = Storage::Cpu(if dtype == DType::F64 {
        s
    } else {
        s.to_contiguous(&l, dtype)
    });
    Tensor::contiguous_from(st, shape)
}

impl Tensor {
    pub fn full(shape: &[usize], value: f64, dtype: DType) -> Tensor {
        let n = crate::shape::numel(shape);
        Tensor::contiguous_from(
            Storage::Cpu(CpuStorage::full(dtype, n, value)),
            Shape::from_slice(shape),
        )
    }
    /// Zeros on `device` (gradient rules build their zero tensors where the
    /// incoming gradient lives).
    pub fn zeros_on(
        shape: &[usize],
        dtype: DType,
        device: crate::storage::Device,
    ) -> Result<Tensor> {
        Tensor::full_on(shape, 0.0, dtype, device)
    }
    /// `value` everywhere, on `device`.
    pub fn full_on(
        shape: &[usize],
        value: f64,
        dtype: DType,
        device: crate::storage::Device,
    ) -> Result<Tensor> {
        let n = crate::shape::numel(shape);
        Ok(Tensor::contiguous_from(
            Storage::full(device, dtype, n, value)?,
            Shape::from_slice(shape),
        ))
    }
    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, 0.0, dtype)
    }
    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, 1.0, dtype)
    }
    pub fn from_vec_f32(v: Vec<f32>, shape: impl Into<Shape>) -> Tensor {
        Tensor::contiguous_from(Storage::Cpu(v.into_storage()), shape)
    }
    pub fn from_vec_f64(v: Vec<f64>, shape: impl Into<Shape>) -> Tensor {
        Tensor::contiguous_from(Storage::Cpu(v.into_storage()), shape)
    }
    /// Checked full(): sizes come from users.
    pub fn full_checked(shape: &[usize], value: f64, dtype: DType) -> Result<Tensor> {
        let n = checked_numel("full", shape)?;
        let s = Storage::Cpu(CpuStorage::try_full(dtype, n, value)?);
        Ok(Tensor::contiguous_from(s, Shape::from_slice(shape)))
    }
    /// `full_checked` made directly on `device` (no host copy for the GPU).
    pub fn full_checked_on(
        shape: &[usize],
        value: f64,
        dtype: DType,
        device: crate::storage::Device,
    ) -> Result<Tensor> {
        if device == crate::storage::Device::Cpu {
            return Tensor::full_checked(shape, value, dtype);
        }
        checked_numel("full", shape)?;
        Tensor::full_on(shape, value, dtype, device)
    }

    pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
        if step == 0.0 {
            return value_err("arange", "step must be nonzero");
        }
        if !(start.is_finite() && end.is_finite()) {
            return value_err("arange", format!("unsupported range: {start} -> {end}"));
        }
        if (step > 0.0 && end < start) || (step < 0.0 && end > start) {
            return value_err(
                "arange",
                "upper bound and lower bound inconsistent with step sign",
            );
        }
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        checked_numel("arange", &[n])?;
        crate::storage::guard_alloc("arange", n, DType::F64)?;
        if dtype == DType::I64 {
            let v: Vec<i64> = (0..n)
                .map(|i| start as i64 + (i as i64) * step as i64)
                .collect();
            return Ok(Tensor::from_i64(v, vec![n]));
        }
        Ok(from_f64s(
            (0..n).map(|i| start + i as f64 * step).collect(),
            vec![n],
            dtype,
        ))
    }

    pub fn eye(n: usize, m: usize, dtype: DType) -> Result<Tensor> {
        crate::storage::guard_alloc("eye", checked_numel("eye", &[n, m])?, DType::F64)?;
        let mut v = vec![0.0; n * m];
        for i in 0..n.min(m) {
            v[i * m + i] = 1.0;
        }
        Ok(from_f64s(v, vec![n, m], dtype))
    }

    /// Uniform [0, 1) draws, as PyTorch draws them for this dtype.
    pub fn rand(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::uniform_draws(shape, dtype, 0.0, 1.0)
    }

    /// `uniform_(from, to)` draws, with PyTorch's arithmetic.
    pub fn uniform_draws(shape: &[usize], dtype: DType, from: f64, to: f64) -> Result<Tensor> {
        let n = checked_numel("rand", shape)?;
        crate::storage::guard_alloc("rand", n, DType::F64)?;
        Ok(match dtype {
            DType::F64 => {
                Tensor::from_vec_f64(random::uniform_f64(n, from, to), Shape::from_slice(shape))
            }
            DType::F32 => {
                Tensor::from_vec_f32(random::uniform_f32(n, from, to), Shape::from_slice(shape))
            }
            _ => {
                return crate::error::not_implemented_err(format!(
                    "\"check_uniform_bounds\" not implemented for '{}'",
                    if dtype == DType::I64 { "Long" } else { "Bool" }
                ))
            }
        })
    }

    /// Standard normal draws, as PyTorch draws them for this dtype.
    pub fn randn(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::normal_draws(shape, dtype, 0.0, 1.0)
    }

    /// `normal_` of a strided (non-contiguous) tensor: PyTorch draws one
    /// double-precision normal per element, never the blocks of 16.
    pub fn normal_draws_serial(
        shape: &[usize],
        dtype: DType,
        mean: f64,
        std: f64,
    ) -> Result<Tensor> {
        let n = checked_numel("normal_", shape)?;
        crate::storage::guard_alloc("normal_", n, DType::F64)?;
        let v = random::normal_serial(n, mean, std);
        Ok(match dtype {
            DType::F64 => Tensor::from_vec_f64(v, Shape::from_slice(shape)),
            DType::F32 => Tensor::from_vec_f32(
                v.into_iter().map(|x| x as f32).collect(),
                Shape::from_slice(shape),
            ),
            _ => {
                return crate::error::not_implemented_err(format!(
                    "\"normal_kernel_cpu\" not implemented for '{}'",
                    if dtype == DType::I64 { "Long" } else { "Bool" }
                ))
            }
        })
    }

    /// `normal_(mean, std)` draws: PyTorch applies mean and std inside its
    /// kernel (one rounding), so they are not a multiply and an add after.
    pub fn normal_draws(shape: &[usize], dtype: DType, mean: f64, std: f64) -> Result<Tensor> {
        let n = checked_numel("randn", shape)?;
        crate::storage::guard_alloc("randn", n, DType::F64)?;
        Ok(match dtype {
            DType::F64 => {
                Tensor::from_vec_f64(random::normal_f64(n, mean, std), Shape::from_slice(shape))
            }
            DType::F32 => {
                Tensor::from_vec_f32(random::normal_f32(n, mean, std), Shape::from_slice(shape))
            }
            _ => {
                return crate::error::not_implemented_err(format!(
                    "\"normal_kernel_cpu\" not implemented for '{}'",
                    if dtype == DType::I64 { "Long" } else { "Bool" }
                ))
            }
        })
    }

    pub fn randint(low: i64, high: i64, shape: &[usize], dtype: DType) -> Result<Tensor> {
        if high <= low {
            return value_err(
                "randint",
                format!(
                    "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
                ),
            );
        }
        let n = checked_numel("randint", shape)?;
        crate::storage::guard_alloc("randint", n, DType::I64)?;
        let t = Tensor::from_i64(random::int_range(n, low, high), Shape::from_slice(shape));
        Ok(if dtype == DType::I64 {
            t
        } else {
            t.cast_nograd(dtype)?
        })
    }

    /// A random permutation of 0..n.
    pub fn randperm(n: usize) -> Result<Tensor> {
        checked_numel("randperm", &[n])?;
        crate::storage::guard_alloc("randperm", n, DType::I64)?;
        Ok(Tensor::from_i64(random::permutation(n), vec![n]))
    }
}
