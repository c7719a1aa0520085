//! The wgpu backend: tensors in device buffers of 32-bit words and WGSL
//! kernels (`shaders/`). WGSL has no f64 and no 64-bit integers, so float64
//! is refused on the device and int64 is held as i32 with a checked
//! conversion on the way in.

pub mod asserts;
pub mod context;
pub mod dispatch;
mod elementwise;
mod index;
mod matmul;
pub mod optim;
pub mod pool;
mod reduce;
mod sort;
mod window;

use crate::backend::cpu::{CpuStorage, IntoStorage};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Layout;
pub use context::{context, is_available, Context};
use dispatch::{buffer_with, dispatch, grid_1d};
use pool::GpuBuffer;

pub struct GpuStorage {
    buf: GpuBuffer,
    len: usize,
    dtype: DType,
}

/// The error for an op that has no WGSL kernel yet.
pub fn unsupported(op: &str) -> Error {
    Error::Device(format!("{op} is not implemented on the wgpu device yet; move the tensor to the CPU with .cpu() first"))
}

fn f64_refused(op: &str) -> Error {
    Error::Device(format!("{op}: float64 tensors cannot live on the wgpu device (WGSL has no 64-bit floats); use float32"))
}

fn u32_of(op: &str, v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| {
        Error::Device(format!(
            "{op}: size {v} is past the GPU kernels' 32-bit indexing"
        ))
    })
}

impl GpuStorage {
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    fn raw(&self) -> &wgpu::Buffer {
        self.buf.raw()
    }

    fn new(op: &'static str, dtype: DType, len: usize) -> Result<GpuStorage> {
        if dtype == DType::F64 {
            return Err(f64_refused(op));
        }
        u32_of(op, len)?;
        let ctx = context()?;
        Ok(GpuStorage {
            buf: pool::alloc(ctx, op, len)?,
            len,
            dtype,
        })
    }

    /// Copies a CPU storage (all of it) to the device.
    pub fn upload(src: &CpuStorage) -> Result<GpuStorage> {
        let words: Vec<u32> = match src {
            CpuStorage::F32(b) => b.as_slice().iter().map(|v| v.to_bits()).collect(),
            CpuStorage::F64(_) => return Err(f64_refused("to")),
            CpuStorage::I64(b) => b
                .as_slice()
                .iter()
                .map(|&v| i32::try_from(v).map(|v| v as u32).map_err(|_| Error::Device(format!("to: the int64 value {v} does not fit the wgpu device's 32-bit integers"))))
                .collect::<Result<_>>()?,
            CpuStorage::Bool(b) => b.as_slice().iter().map(|&v| v as u32).collect(),
        };
        let out = GpuStorage::new("to", src.dtype(), words.len())?;
        if !words.is_empty() {
            let ctx = context()?;
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            let staging = buffer_with(ctx, &bytes, wgpu::BufferUsages::COPY_SRC)?;
            let size = bytes.len() as u64;
            let dst = out.raw().clone();
            ctx.record(vec![staging.clone()], |enc| {
                enc.copy_buffer_to_buffer(&staging, 0, &dst, 0, size)
            })?;
        }
        Ok(out)
    }

    /// Copies the whole buffer back to the CPU (flushes pending work).
    pub fn download(&self) -> Result<CpuStorage> {
        let ctx = context()?;
        let words = self.read_words(ctx)?;
        Ok(match self.dtype {
            DType::F32 => words
                .iter()
                .map(|&w| f32::from_bits(w))
                .collect::<Vec<f32>>()
                .into_storage(),
            DType::I64 => words
                .iter()
                .map(|&w| w as i32 as i64)
                .collect::<Vec<i64>>()
                .into_storage(),
            DType::Bool => words
                .iter()
                .map(|&w| w != 0)
                .collect::<Vec<bool>>()
                .into_storage(),
            DType::F64 => return Err(f64_refused("cpu")),
        })
    }

    fn read_words(&self, ctx: &Context) -> Result<Vec<u32>> {
        if self.len == 0 {
            return Ok(vec![]);
        }
        let size = self.len as u64 * 4;
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("autorust readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let src = self.raw().clone();
        let dst = staging.clone();
        ctx.record(vec![], |enc| {
            enc.copy_buffer_to_buffer(&src, 0, &dst, 0, size)
        })?;
        // pending device checks ride along in the same submission
        let checks = asserts::stage_flag(ctx)?;
        ctx.submit()?;
        let mapped = context::map_for_read(&staging);
        ctx.wait(checks)?;
        context::read_mapped(&staging, mapped)
    }

    /// `n` copies of `value`.
    pub fn full(dtype: DType, n: usize, value: f64) -> Result<GpuStorage> {
        let out = GpuStorage::new("full", dtype, n)?;
        let bits = match dtype {
            DType::F32 => (value as f32).to_bits(),
            DType::I64 => i32::try_from(value as i64).map_err(|_| {
                Error::Device(format!(
                    "full: the int64 value {value} does not fit the wgpu device's 32-bit integers"
                ))
            })? as u32,
            DType::Bool => (value != 0.0) as u32,
            DType::F64 => return Err(f64_refused("full")),
        };
        let ctx = context()?;
        dispatch(
            ctx,
            "copy",
            "fill",
            &[u32_of("full", n)?, bits],
            &[(2, out.raw())],
            grid_1d(n)?,
        )?;
        Ok(out)
    }

    /// The elements `l` selects, in row-major order, as a new contiguous storage.
    pub fn to_contiguous(&self, l: &Layout) -> Result<GpuStorage> {
        let out = GpuStorage::new("contiguous", self.dtype, l.numel())?;
        copy_strided(self, l, &out, &Layout::contiguous(l.shape.clone()))?;
        Ok(out)
    }

    /// Writes `src` (viewed through `src_layout`, already broadcast to
    /// `dst`'s shape) into this storage through `dst`.
    pub fn copy_from(&mut self, dst: &Layout, src: &GpuStorage, src_layout: &Layout) -> Result<()> {
        if src.dtype != self.dtype {
            return Err(unsupported("copy_ between dtypes"));
        }
        copy_strided(src, src_layout, self, dst)
    }

    /// Parts (same dtype) laid side by side along `dim` of a new contiguous tensor.
    pub fn cat(
        parts: &[(&GpuStorage, &Layout)],
        dim: usize,
        out_shape: &[usize],
    ) -> Result<GpuStorage> {
        let dtype = parts.first().map(|(s, _)| s.dtype).unwrap_or(DType::F32);
        if parts.iter().any(|(s, _)| s.dtype != dtype) {
            return Err(unsupported("cat between dtypes"));
        }
        let out = GpuStorage::new("cat", dtype, out_shape.iter().product())?;
        let whole = Layout::contiguous(out_shape.to_vec());
        let mut start = 0;
        for (s, l) in parts {
            let len = l.shape.get(dim).copied().unwrap_or(0);
            if l.numel() > 0 {
                copy_strided(s, l, &out, &whole.slice(dim, start, len, 1))?;
            }
            start += len;
        }
        Ok(out)
    }

    /// A contiguous copy converted to `dtype`.
    pub fn cast(&self, l: &Layout, dtype: DType) -> Result<GpuStorage> {
        let c = self.to_contiguous(l)?;
        if dtype == self.dtype {
            return Ok(c);
        }
        let entry = match (self.dtype, dtype) {
            (DType::F32, DType::I64) => "cast_f32_i32",
            (DType::I64, DType::F32) => "cast_i32_f32",
            (DType::Bool, DType::F32) => "cast_bool_f32",
            (DType::F32, DType::Bool) => "cast_f32_bool",
            (DType::I64, DType::Bool) => "cast_i32_bool",
            // bool words (0/1) read as the same i32 values
            (DType::Bool, DType::I64) => {
                return Ok(GpuStorage {
                    buf: c.buf,
                    len: c.len,
                    dtype,
                })
            }
            (_, DType::F64) | (DType::F64, _) => return Err(f64_refused("to")),
            _ => return Err(unsupported("to")),
        };
        let n = c.len;
        let out = GpuStorage::new("to", dtype, n)?;
        dispatch(
            context()?,
            "copy",
            entry,
            &[u32_of("to", n)?],
            &[(1, c.raw()), (2, out.raw())],
            grid_1d(n)?,
        )?;
        Ok(out)
    }
}

fn push_dims(params: &mut Vec<u32>, op: &str, dims: &[usize]) -> Result<()> {
    for &d in dims {
        params.push(u32_of(op, d)?);
    }
    Ok(())
}

fn copy_strided(src: &GpuStorage, sl: &Layout, dst: &GpuStorage, dl: &Layout) -> Result<()> {
    let n = sl.numel();
    let mut params = vec![
        u32_of("copy", n)?,
        sl.shape.len() as u32,
        u32_of("copy", sl.offset)?,
        u32_of("copy", dl.offset)?,
    ];
    push_dims(&mut params, "copy", &sl.shape)?;
    push_dims(&mut params, "copy", &sl.strides)?;
    push_dims(&mut params, "copy", &dl.strides)?;
    dispatch(
        context()?,
        "copy",
        "copy_strided",
        &params,
        &[(1, src.raw()), (2, dst.raw())],
        grid_1d(n)?,
    )
}
