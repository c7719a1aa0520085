//! Sliding-window kernels on the GPU (`shaders/window.wgsl`): im2col,
//! col2im, max and average pooling and their gradients.

use super::dispatch::{dispatch, grid_1d};
use super::{context, u32_of, unsupported, GpuStorage};
use crate::backend::cpu::avg_pool::AvgDivisor;
use crate::backend::cpu::window::Sweep2d;
use crate::dtype::DType;
use crate::error::Result;

impl GpuStorage {
    /// A `shaders/window.wgsl` kernel over `planes` planes of the sweep.
    fn window(
        &self,
        entry: &'static str,
        offset: usize,
        planes: usize,
        s: &Sweep2d,
        n_out: usize,
        extra: &[(u32, &wgpu::Buffer)],
        outs: &[(u32, &wgpu::Buffer)],
        extra_params: &[u32],
    ) -> Result<()> {
        let name = entry.trim_end_matches("_f32");
        if self.dtype != DType::F32 {
            return Err(unsupported(&format!("{name} on {}", self.dtype)));
        }
        let u = |v: usize| u32_of(name, v);
        let mut params = vec![
            u(n_out)?,
            u(planes)?,
            u(s.in_hw[0])?,
            u(s.in_hw[1])?,
            u(s.kernel[0])?,
            u(s.kernel[1])?,
            u(s.stride[0])?,
            u(s.stride[1])?,
            u(s.padding[0])?,
            u(s.padding[1])?,
            u(s.dilation[0])?,
            u(s.dilation[1])?,
            u(s.out_hw[0])?,
            u(s.out_hw[1])?,
            u(offset)?,
        ];
        params.extend_from_slice(extra_params);
        let mut bindings = vec![(1, self.raw())];
        bindings.extend_from_slice(extra);
        bindings.extend_from_slice(outs);
        dispatch(
            context()?,
            "window",
            entry,
            &params,
            &bindings,
            grid_1d(n_out)?,
        )
    }

    /// `[planes, H, W]` from `offset` -> `[planes, kh*kw, OH*OW]`.
    pub fn im2col(&self, offset: usize, planes: usize, s: &Sweep2d) -> Result<GpuStorage> {
        let n = planes * s.taps() * s.positions();
        let out = GpuStorage::new("im2col", self.dtype, n)?;
        self.window(
            "im2col_f32",
            offset,
            planes,
            s,
            n,
            &[],
            &[(2, out.raw())],
            &[],
        )?;
        Ok(out)
    }

    /// `[planes, kh*kw, OH*OW]` from `offset` -> `[planes, H, W]`, overlaps summed.
    pub fn col2im(&self, offset: usize, planes: usize, s: &Sweep2d) -> Result<GpuStorage> {
        let n = planes * s.in_hw[0] * s.in_hw[1];
        let out = GpuStorage::new("col2im", self.dtype, n)?;
        self.window(
            "col2im_f32",
            offset,
            planes,
            s,
            n,
            &[],
            &[(2, out.raw())],
            &[],
        )?;
        Ok(out)
    }

    /// Window maxima and their int64 indices within each H*W plane.
    pub fn max_pool(
        &self,
        offset: usize,
        planes: usize,
        s: &Sweep2d,
    ) -> Result<(GpuStorage, GpuStorage)> {
        let n = planes * s.positions();
        let values = GpuStorage::new("max_pool2d", self.dtype, n)?;
        let indices = GpuStorage::new("max_pool2d", DType::I64, n)?;
        self.window(
            "max_pool_f32",
            offset,
            planes,
            s,
            n,
            &[],
            &[(2, values.raw()), (3, indices.raw())],
            &[],
        )?;
        Ok((values, indices))
    }

    /// This gradient (`[planes, OH*OW]` from `offset`) summed into the inputs
    /// the forward's `indices` (from `idx_offset`) took.
    pub fn max_pool_backward(
        &self,
        offset: usize,
        indices: &GpuStorage,
        idx_offset: usize,
        planes: usize,
        s: &Sweep2d,
    ) -> Result<GpuStorage> {
        if idx_offset != 0 {
            return Err(unsupported("max_pool2d backward with offset indices"));
        }
        let n = planes * s.in_hw[0] * s.in_hw[1];
        let out = GpuStorage::new("max_pool2d_backward", self.dtype, n)?;
        self.window(
            "max_pool_backward_f32",
            offset,
            planes,
            s,
            n,
            &[(4, indices.raw())],
            &[(2, out.raw())],
            &[],
        )?;
        Ok(out)
    }

    /// Window means of `[planes, H, W]` from `offset` -> `[planes, OH*OW]`.
    pub fn avg_pool(
        &self,
        offset: usize,
        planes: usize,
        s: &Sweep2d,
        d: AvgDivisor,
    ) -> Result<GpuStorage> {
        let n = planes * s.positions();
        let out = GpuStorage::new("avg_pool2d", self.dtype, n)?;
        let mode = divisor_params(d)?;
        self.window(
            "avg_pool_f32",
            offset,
            planes,
            s,
            n,
            &[],
            &[(2, out.raw())],
            &mode,
        )?;
        Ok(out)
    }

    /// Average pooling's gradient (`[planes, OH*OW]` from `offset`) spread
    /// over `[planes, H, W]`.
    pub fn avg_pool_backward(
        &self,
        offset: usize,
        planes: usize,
        s: &Sweep2d,
        d: AvgDivisor,
    ) -> Result<GpuStorage> {
        let n = planes * s.in_hw[0] * s.in_hw[1];
        let out = GpuStorage::new("avg_pool2d_backward", self.dtype, n)?;
        let mode = divisor_params(d)?;
        self.window(
            "avg_pool_backward_f32",
            offset,
            planes,
            s,
            n,
            &[],
            &[(2, out.raw())],
            &mode,
        )?;
        Ok(out)
    }
}

/// params[15..18]: count_include_pad, has divisor_override, its value (as i32 bits).
fn divisor_params(d: AvgDivisor) -> Result<[u32; 3]> {
    let over = match d.divisor_override {
        Some(v) => i32::try_from(v)
            .map_err(|_| unsupported("avg_pool2d divisor_override beyond 32 bits"))?,
        None => 0,
    };
    Ok([
        d.count_include_pad as u32,
        d.divisor_override.is_some() as u32,
        over as u32,
    ])
}
