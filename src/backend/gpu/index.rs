//! Indexing on the GPU (`shaders/index.wgsl`): gather, index_select and the
//! atomics-free scatters.

use super::dispatch::{buffer_with, dispatch, dispatch_keeping, grid_1d};
use super::{context, push_dims, u32_of, GpuStorage};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Layout;

impl GpuStorage {
    /// gather (`by_element`: the index has the output's shape) or
    /// index_select (`idx` picks positions along `dim`), `out_shape` given.
    pub fn take(
        &self,
        l: &Layout,
        dim: usize,
        idx: &[i64],
        out_shape: &[usize],
        by_element: bool,
    ) -> Result<GpuStorage> {
        let name = if by_element { "gather" } else { "index_select" };
        let n: usize = out_shape.iter().product();
        let out = GpuStorage::new(name, self.dtype, n)?;
        if n == 0 {
            return Ok(out);
        }
        let words: Vec<u8> = idx.iter().flat_map(|&i| (i as i32).to_le_bytes()).collect();
        let ctx = context()?;
        let idx_buf = buffer_with(ctx, &words, wgpu::BufferUsages::STORAGE)?;
        let mut params = vec![
            u32_of(name, n)?,
            l.shape.len() as u32,
            dim as u32,
            u32_of(name, l.offset)?,
        ];
        push_dims(&mut params, name, out_shape)?;
        push_dims(&mut params, name, &l.strides)?;
        let entry = if by_element {
            "gather_u32"
        } else {
            "index_select_u32"
        };
        dispatch_keeping(
            ctx,
            "index",
            entry,
            &params,
            &[(1, self.raw()), (2, &idx_buf), (3, out.raw())],
            grid_1d(n)?,
            vec![idx_buf.clone()],
        )?;
        Ok(out)
    }

    /// `take` with the indices already on the device (contiguous int64
    /// words, bounds checked by the caller on the device): nothing is read back.
    pub fn take_device(
        &self,
        l: &Layout,
        dim: usize,
        idx: &GpuStorage,
        out_shape: &[usize],
        by_element: bool,
    ) -> Result<GpuStorage> {
        let name = if by_element { "gather" } else { "index_select" };
        let n: usize = out_shape.iter().product();
        let out = GpuStorage::new(name, self.dtype, n)?;
        if n == 0 {
            return Ok(out);
        }
        let mut params = vec![
            u32_of(name, n)?,
            l.shape.len() as u32,
            dim as u32,
            u32_of(name, l.offset)?,
        ];
        push_dims(&mut params, name, out_shape)?;
        push_dims(&mut params, name, &l.strides)?;
        let entry = if by_element {
            "gather_u32"
        } else {
            "index_select_u32"
        };
        dispatch(
            context()?,
            "index",
            entry,
            &params,
            &[(1, self.raw()), (2, idx.raw()), (3, out.raw())],
            grid_1d(n)?,
        )?;
        Ok(out)
    }

    /// Applies `pairs` (destination element, source element), in order, to
    /// this contiguous storage: added (or or-ed for bools) when
    /// `accumulate`, else the last write wins.
    pub fn scatter_pairs(
        &self,
        name: &'static str,
        pairs: &[(usize, usize)],
        src: &GpuStorage,
        accumulate: bool,
    ) -> Result<()> {
        if src.dtype != self.dtype {
            return Err(Error::DType {
                op: name,
                msg: format!(
                    "{name}(): Expected self.dtype to be equal to src.dtype ({} vs {})",
                    self.dtype, src.dtype
                ),
            });
        }
        let n = self.len;
        if n == 0 || pairs.is_empty() {
            return Ok(());
        }
        // rows of a CSR by destination; a stable counting sort keeps each
        // destination's sources in application order
        let mut offsets = vec![0u32; n + 1];
        for &(d, _) in pairs {
            offsets[d + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut positions = vec![0u32; pairs.len()];
        for &(d, s) in pairs {
            positions[fill[d] as usize] = u32_of(name, s)?;
            fill[d] += 1;
        }
        let entry = match (self.dtype, accumulate) {
            (_, false) => "scatter_set_u32",
            (DType::F32, true) => "scatter_add_f32",
            (DType::I64, true) => "scatter_add_i32",
            (DType::Bool, true) => "scatter_or_u32",
            (DType::F64, true) => return Err(super::f64_refused(name)),
        };
        let ctx = context()?;
        let bytes = |v: &[u32]| v.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>();
        let off_buf = buffer_with(ctx, &bytes(&offsets), wgpu::BufferUsages::STORAGE)?;
        let pos_buf = buffer_with(ctx, &bytes(&positions), wgpu::BufferUsages::STORAGE)?;
        let keep = vec![off_buf.clone(), pos_buf.clone()];
        dispatch_keeping(
            ctx,
            "index",
            entry,
            &[u32_of(name, n)?],
            &[
                (1, src.raw()),
                (3, self.raw()),
                (4, &off_buf),
                (5, &pos_buf),
            ],
            grid_1d(n)?,
            keep,
        )
    }
}
