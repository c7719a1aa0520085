//! Sorting on the GPU (`shaders/sort.wgsl`): each row padded to a power of
//! two and sorted by a bitonic network, stable (ties keep their order) and
//! with PyTorch's NaN placement; values and int64 indices come back without
//! a readback.

use super::dispatch::{dispatch, grid_1d};
use super::{context, copy_strided, push_dims, u32_of, unsupported, GpuStorage};
use crate::dtype::DType;
use crate::error::Result;
use crate::layout::Layout;

impl GpuStorage {
    /// Sorts along `dim`: (values, indices), contiguous in the input's shape
    /// with `dim` moved last.
    pub fn sort(
        &self,
        l: &Layout,
        dim: usize,
        descending: bool,
    ) -> Result<(GpuStorage, GpuStorage)> {
        let is_float = match self.dtype {
            DType::F32 => true,
            DType::I64 | DType::Bool => false,
            DType::F64 => return Err(unsupported("sort on float64")),
        };
        let (mut shape, mut strides) = (l.shape.to_vec(), l.strides.to_vec());
        let (n, s) = (shape.remove(dim), strides.remove(dim));
        shape.push(n);
        strides.push(s);
        let total = l.numel();
        let values = GpuStorage::new("sort", self.dtype, total)?;
        let indices = GpuStorage::new("sort", DType::I64, total)?;
        if total == 0 {
            return Ok((values, indices));
        }
        let rows = total / n;
        let p = n.next_power_of_two();
        let u = |v: usize| u32_of("sort", v);
        let threads = rows * p;
        let keys = GpuStorage::new("sort", self.dtype, threads)?;
        let idx = GpuStorage::new("sort", DType::I64, threads)?;
        let ctx = context()?;
        let mut params = vec![u(rows)?, u(n)?, u(p)?, shape.len() as u32, u(l.offset)?];
        push_dims(&mut params, "sort", &shape)?;
        push_dims(&mut params, "sort", &strides)?;
        dispatch(
            ctx,
            "sort",
            "sort_pad",
            &params,
            &[(1, self.raw()), (2, keys.raw()), (3, idx.raw())],
            grid_1d(threads)?,
        )?;
        let mut k = 2;
        while k <= p {
            let mut j = k / 2;
            while j >= 1 {
                let step = [
                    u(rows)?,
                    u(p)?,
                    u(k)?,
                    u(j)?,
                    descending as u32,
                    is_float as u32,
                ];
                dispatch(
                    ctx,
                    "sort",
                    "bitonic_step",
                    &step,
                    &[(2, keys.raw()), (3, idx.raw())],
                    grid_1d(threads)?,
                )?;
                j /= 2;
            }
            k *= 2;
        }
        // the first n of each padded row
        let padded = Layout {
            shape: vec![rows, n].into(),
            strides: vec![p, 1].into(),
            offset: 0,
        };
        let dense = Layout::contiguous(vec![rows, n]);
        copy_strided(&keys, &padded, &values, &dense)?;
        copy_strided(&idx, &padded, &indices, &dense)?;
        Ok((values, indices))
    }
}
