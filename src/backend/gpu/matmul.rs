//! Batched matrix multiply on the GPU (`shaders/matmul.wgsl`).

use super::dispatch::dispatch;
use super::{context, u32_of, unsupported, GpuStorage};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Layout;

impl GpuStorage {
    /// `[bs, m, k] @ [bs, k, n]` through both layouts' strides.
    pub fn bmm(&self, la: &Layout, other: &GpuStorage, lb: &Layout) -> Result<GpuStorage> {
        if self.dtype != DType::F32 || other.dtype != DType::F32 {
            return Err(unsupported(&format!(
                "matmul on {} and {}",
                self.dtype, other.dtype
            )));
        }
        let (bs, m, k, n) = (la.shape[0], la.shape[1], la.shape[2], lb.shape[2]);
        let out = GpuStorage::new("matmul", DType::F32, bs * m * n)?;
        if bs * m * n == 0 {
            return Ok(out);
        }
        if k == 0 {
            return GpuStorage::full(DType::F32, bs * m * n, 0.0);
        }
        let u = |v: usize| u32_of("matmul", v);
        let (tiles_x, tiles_y) = (u(n.div_ceil(64))?, u(m.div_ceil(64))?);
        if tiles_x > super::dispatch::MAX_GROUPS || tiles_y > super::dispatch::MAX_GROUPS {
            return Err(Error::Device(format!(
                "matmul: a {m}x{n} output is past the GPU grid limit"
            )));
        }
        let ctx = context()?;
        let mut batch0 = 0;
        while batch0 < bs {
            let batches = (bs - batch0).min(super::dispatch::MAX_GROUPS as usize);
            let params = [
                u(bs)?,
                u(m)?,
                u(n)?,
                u(k)?,
                u(la.offset)?,
                u(la.strides[0])?,
                u(la.strides[1])?,
                u(la.strides[2])?,
                u(lb.offset)?,
                u(lb.strides[0])?,
                u(lb.strides[1])?,
                u(lb.strides[2])?,
                u(batch0)?,
            ];
            dispatch(
                ctx,
                "matmul",
                "bmm_f32",
                &params,
                &[(1, self.raw()), (2, other.raw()), (3, out.raw())],
                [tiles_x, tiles_y, batches as u32],
            )?;
            batch0 += batches;
        }
        Ok(out)
    }
}
