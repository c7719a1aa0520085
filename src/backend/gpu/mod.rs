//! The wgpu backend: tensors in device buffers of 32-bit words and WGSL
//! kernels (`shaders/`). WGSL has no f64 and no 64-bit integers, so float64
//! is refused on the device and int64 is held as i32 with a checked
//! conversion on the way in.

pub mod context;
mod dispatch;
pub mod optim;
pub mod pool;

use crate::backend::cpu::{CpuStorage, IntoStorage};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::backend::cpu::window::Sweep2d;
use crate::op::{BinaryOp, ReduceOp, UnaryOp};
pub use context::{context, is_available, Context};
use dispatch::{buffer_with, dispatch, fold, grid_1d};
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
    u32::try_from(v).map_err(|_| Error::Device(format!("{op}: size {v} is past the GPU kernels' 32-bit indexing")))
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
        Ok(GpuStorage { buf: pool::alloc(ctx, op, len)?, len, dtype })
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
            let staging = buffer_with(ctx, &bytes, wgpu::BufferUsages::COPY_SRC);
            let size = bytes.len() as u64;
            let dst = out.raw().clone();
            ctx.record(vec![staging.clone()], |enc| enc.copy_buffer_to_buffer(&staging, 0, &dst, 0, size))?;
        }
        Ok(out)
    }

    /// Copies the whole buffer back to the CPU (flushes pending work).
    pub fn download(&self) -> Result<CpuStorage> {
        let ctx = context()?;
        let words = self.read_words(ctx)?;
        Ok(match self.dtype {
            DType::F32 => words.iter().map(|&w| f32::from_bits(w)).collect::<Vec<f32>>().into_storage(),
            DType::I64 => words.iter().map(|&w| w as i32 as i64).collect::<Vec<i64>>().into_storage(),
            DType::Bool => words.iter().map(|&w| w != 0).collect::<Vec<bool>>().into_storage(),
            DType::F64 => return Err(f64_refused("cpu")),
        })
    }

    fn read_words(&self, ctx: &Context) -> Result<Vec<u32>> {
        if self.len == 0 {
            return Ok(vec![]);
        }
        let size = self.len as u64 * 4;
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor { label: Some("autorust readback"), size, usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
        let src = self.raw().clone();
        let dst = staging.clone();
        ctx.record(vec![], |enc| enc.copy_buffer_to_buffer(&src, 0, &dst, 0, size))?;
        ctx.submit()?;
        let (tx, rx) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        ctx.synchronize()?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(Error::Device(format!("wgpu readback failed: {e}"))),
            Err(_) => return Err(Error::Device("wgpu readback never completed".into())),
        }
        let words = staging.slice(..).get_mapped_range().chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        staging.unmap();
        Ok(words)
    }

    /// `n` copies of `value`.
    pub fn full(dtype: DType, n: usize, value: f64) -> Result<GpuStorage> {
        let out = GpuStorage::new("full", dtype, n)?;
        let bits = match dtype {
            DType::F32 => (value as f32).to_bits(),
            DType::I64 => (value as i64 as i32) as u32,
            DType::Bool => (value != 0.0) as u32,
            DType::F64 => return Err(f64_refused("full")),
        };
        let ctx = context()?;
        dispatch(ctx, "copy", "fill", &[u32_of("full", n)?, bits], &[(2, out.raw())], grid_1d(n)?)?;
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
    pub fn cat(parts: &[(&GpuStorage, &Layout)], dim: usize, out_shape: &[usize]) -> Result<GpuStorage> {
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
            (DType::Bool, DType::I64) => return Ok(GpuStorage { buf: c.buf, len: c.len, dtype }),
            (_, DType::F64) | (DType::F64, _) => return Err(f64_refused("to")),
            _ => return Err(unsupported("to")),
        };
        let n = c.len;
        let out = GpuStorage::new("to", dtype, n)?;
        dispatch(context()?, "copy", entry, &[u32_of("to", n)?], &[(1, c.raw()), (2, out.raw())], grid_1d(n)?)?;
        Ok(out)
    }

    pub fn unary(&self, op: UnaryOp, l: &Layout) -> Result<GpuStorage> {
        use UnaryOp::*;
        if self.dtype != DType::F32 {
            let entry = match op {
                LogicalNot => "logical_not_i32",
                Neg if self.dtype == DType::I64 => "neg_i32",
                Abs if self.dtype == DType::I64 => "abs_i32",
                _ => return Err(unsupported(&format!("{} on {}", op.name(), self.dtype))),
            };
            let n = l.numel();
            let out_dtype = if op == LogicalNot { DType::Bool } else { self.dtype };
            let out = GpuStorage::new(op.name(), out_dtype, n)?;
            let mut params = vec![u32_of(op.name(), n)?, l.shape.len() as u32, u32_of(op.name(), l.offset)?, 0];
            push_dims(&mut params, op.name(), &l.shape)?;
            push_dims(&mut params, op.name(), &l.strides)?;
            push_dims(&mut params, op.name(), &l.strides)?;
            dispatch(context()?, "elementwise_int", entry, &params, &[(1, self.raw()), (3, out.raw())], grid_1d(n)?)?;
            return Ok(out);
        }
        let nan_bits = |v: Option<f64>| v.map(|v| (v as f32).to_bits()).unwrap_or(0x7fc0_0001);
        let (entry, s0, s1) = match op {
            Neg => ("neg_f32", 0, 0),
            Abs => ("abs_f32", 0, 0),
            Sign => ("sign_f32", 0, 0),
            Exp => ("exp_f32", 0, 0),
            Log => ("log_f32", 0, 0),
            Log1p => ("log1p_f32", 0, 0),
            Expm1 => ("expm1_f32", 0, 0),
            Sqrt => ("sqrt_f32", 0, 0),
            Rsqrt => ("rsqrt_f32", 0, 0),
            Sin => ("sin_f32", 0, 0),
            Cos => ("cos_f32", 0, 0),
            Tan => ("tan_f32", 0, 0),
            Tanh => ("tanh_f32", 0, 0),
            Sigmoid => ("sigmoid_f32", 0, 0),
            Relu => ("relu_f32", 0, 0),
            Reciprocal => ("reciprocal_f32", 0, 0),
            Floor => ("floor_f32", 0, 0),
            Ceil => ("ceil_f32", 0, 0),
            Round => ("round_f32", 0, 0),
            Trunc => ("trunc_f32", 0, 0),
            Erf => ("erf_f32", 0, 0),
            Softplus => ("softplus_f32", 0, 0),
            PowScalar(p) => ("pow_scalar_f32", (p as f32).to_bits(), 0),
            RPowScalar(p) => ("rpow_scalar_f32", (p as f32).to_bits(), 0),
            Clamp(lo, hi) => ("clamp_f32", nan_bits(lo), nan_bits(hi)),
            LogicalNot => unreachable_float_logical_not()?,
        };
        let n = l.numel();
        let out = GpuStorage::new(op.name(), DType::F32, n)?;
        let mut params = vec![u32_of(op.name(), n)?, l.shape.len() as u32, u32_of(op.name(), l.offset)?, 0, s0, s1];
        push_dims(&mut params, op.name(), &l.shape)?;
        push_dims(&mut params, op.name(), &l.strides)?;
        push_dims(&mut params, op.name(), &l.strides)?;
        dispatch(context()?, "elementwise", entry, &params, &[(1, self.raw()), (3, out.raw())], grid_1d(n)?)?;
        Ok(out)
    }

    /// `la` and `lb` are already broadcast to the output shape.
    pub fn binary(&self, op: BinaryOp, la: &Layout, other: &GpuStorage, lb: &Layout) -> Result<GpuStorage> {
        use BinaryOp::*;
        if self.dtype != other.dtype {
            return Err(unsupported(&format!("{} on {} and {}", op.name(), self.dtype, other.dtype)));
        }
        if self.dtype != DType::F32 {
            return self.binary_words(op, la, other, lb);
        }
        let (entry, out_dtype) = match op {
            Add => ("add_f32", DType::F32),
            Sub => ("sub_f32", DType::F32),
            Mul => ("mul_f32", DType::F32),
            Div => ("div_f32", DType::F32),
            Pow => ("pow_f32", DType::F32),
            Atan2 => ("atan2_f32", DType::F32),
            Maximum => ("maximum_f32", DType::F32),
            Minimum => ("minimum_f32", DType::F32),
            FloorDivide => ("floor_divide_f32", DType::F32),
            Remainder => ("remainder_f32", DType::F32),
            Eq => ("eq_f32", DType::Bool),
            Ne => ("ne_f32", DType::Bool),
            Lt => ("lt_f32", DType::Bool),
            Le => ("le_f32", DType::Bool),
            Gt => ("gt_f32", DType::Bool),
            Ge => ("ge_f32", DType::Bool),
            _ => return Err(unsupported(op.name())),
        };
        let n = la.numel();
        let out = GpuStorage::new(op.name(), out_dtype, n)?;
        let mut params = vec![u32_of(op.name(), n)?, la.shape.len() as u32, u32_of(op.name(), la.offset)?, u32_of(op.name(), lb.offset)?, 0, 0];
        push_dims(&mut params, op.name(), &la.shape)?;
        push_dims(&mut params, op.name(), &la.strides)?;
        push_dims(&mut params, op.name(), &lb.strides)?;
        let out_binding = if out_dtype == DType::Bool { 4 } else { 3 };
        dispatch(context()?, "elementwise", entry, &params, &[(1, self.raw()), (2, other.raw()), (out_binding, out.raw())], grid_1d(n)?)?;
        Ok(out)
    }

    /// int64 (as i32) and bool operands: `shaders/elementwise_int.wgsl`.
    fn binary_words(&self, op: BinaryOp, la: &Layout, other: &GpuStorage, lb: &Layout) -> Result<GpuStorage> {
        use BinaryOp::*;
        let boolean = self.dtype == DType::Bool;
        let (entry, out_dtype) = match op {
            Add if !boolean => ("add_i32", self.dtype),
            Sub if !boolean => ("sub_i32", self.dtype),
            Mul if !boolean => ("mul_i32", self.dtype),
            Maximum if !boolean => ("maximum_i32", self.dtype),
            Minimum if !boolean => ("minimum_i32", self.dtype),
            FloorDivide if !boolean => ("floor_divide_i32", self.dtype),
            Remainder if !boolean => ("remainder_i32", self.dtype),
            BitAnd => ("bit_and_i32", self.dtype),
            BitOr => ("bit_or_i32", self.dtype),
            BitXor => ("bit_xor_i32", self.dtype),
            Eq => ("eq_i32", DType::Bool),
            Ne => ("ne_i32", DType::Bool),
            Lt => ("lt_i32", DType::Bool),
            Le => ("le_i32", DType::Bool),
            Gt => ("gt_i32", DType::Bool),
            Ge => ("ge_i32", DType::Bool),
            LogicalAnd => ("logical_and_i32", DType::Bool),
            LogicalOr => ("logical_or_i32", DType::Bool),
            LogicalXor => ("logical_xor_i32", DType::Bool),
            _ => return Err(unsupported(&format!("{} on {}", op.name(), self.dtype))),
        };
        let n = la.numel();
        let out = GpuStorage::new(op.name(), out_dtype, n)?;
        let mut params = vec![u32_of(op.name(), n)?, la.shape.len() as u32, u32_of(op.name(), la.offset)?, u32_of(op.name(), lb.offset)?];
        push_dims(&mut params, op.name(), &la.shape)?;
        push_dims(&mut params, op.name(), &la.strides)?;
        push_dims(&mut params, op.name(), &lb.strides)?;
        dispatch(context()?, "elementwise_int", entry, &params, &[(1, self.raw()), (2, other.raw()), (3, out.raw())], grid_1d(n)?)?;
        Ok(out)
    }

    /// `cond ? a : b` word by word (any dtype); all layouts broadcast to the output.
    pub fn where_(&self, lc: &Layout, a: &GpuStorage, la: &Layout, b: &GpuStorage, lb: &Layout) -> Result<GpuStorage> {
        if a.dtype != b.dtype {
            return Err(unsupported("where between dtypes"));
        }
        let n = lc.numel();
        let out = GpuStorage::new("where", a.dtype, n)?;
        let u = |v: usize| u32_of("where", v);
        let mut params = vec![u(n)?, lc.shape.len() as u32, u(lc.offset)?, u(la.offset)?, u(lb.offset)?];
        for part in [&lc.shape, &lc.strides, &la.strides, &lb.strides] {
            push_dims(&mut params, "where", part)?;
        }
        dispatch(context()?, "elementwise_int", "where_u32", &params, &[(4, self.raw()), (1, a.raw()), (2, b.raw()), (3, out.raw())], grid_1d(n)?)?;
        Ok(out)
    }

    /// gather (`by_element`: the index has the output's shape) or
    /// index_select (`idx` picks positions along `dim`), `out_shape` given.
    pub fn take(&self, l: &Layout, dim: usize, idx: &[i64], out_shape: &[usize], by_element: bool) -> Result<GpuStorage> {
        let name = if by_element { "gather" } else { "index_select" };
        let n: usize = out_shape.iter().product();
        let out = GpuStorage::new(name, self.dtype, n)?;
        if n == 0 {
            return Ok(out);
        }
        let words: Vec<u8> = idx.iter().flat_map(|&i| (i as i32).to_le_bytes()).collect();
        let ctx = context()?;
        let idx_buf = dispatch::buffer_with(ctx, &words, wgpu::BufferUsages::STORAGE);
        let mut params = vec![u32_of(name, n)?, l.shape.len() as u32, dim as u32, u32_of(name, l.offset)?];
        push_dims(&mut params, name, out_shape)?;
        push_dims(&mut params, name, &l.strides)?;
        let entry = if by_element { "gather_u32" } else { "index_select_u32" };
        dispatch(ctx, "index", entry, &params, &[(1, self.raw()), (2, &idx_buf), (3, out.raw())], grid_1d(n)?)?;
        ctx.record(vec![idx_buf], |_| {})?;
        Ok(out)
    }

    /// Applies `pairs` (destination element, source element), in order, to
    /// this contiguous storage: added (or or-ed for bools) when
    /// `accumulate`, else the last write wins.
    pub fn scatter_pairs(&self, name: &'static str, pairs: &[(usize, usize)], src: &GpuStorage, accumulate: bool) -> Result<()> {
        if src.dtype != self.dtype {
            return Err(Error::DType { op: name, msg: format!("{name}(): Expected self.dtype to be equal to src.dtype ({} vs {})", self.dtype, src.dtype) });
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
            (DType::F64, true) => return Err(f64_refused(name)),
        };
        let ctx = context()?;
        let bytes = |v: &[u32]| v.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>();
        let off_buf = dispatch::buffer_with(ctx, &bytes(&offsets), wgpu::BufferUsages::STORAGE);
        let pos_buf = dispatch::buffer_with(ctx, &bytes(&positions), wgpu::BufferUsages::STORAGE);
        dispatch(ctx, "index", entry, &[u32_of(name, n)?], &[(1, src.raw()), (3, self.raw()), (4, &off_buf), (5, &pos_buf)], grid_1d(n)?)?;
        ctx.record(vec![off_buf, pos_buf], |_| {})
    }

    /// Reduces over `dims` (sorted, unique); the result is contiguous over
    /// the kept dims.
    pub fn reduce(&self, op: ReduceOp, l: &Layout, dims: &[usize]) -> Result<GpuStorage> {
        if self.dtype == DType::Bool && matches!(op, ReduceOp::Amax | ReduceOp::Amin) {
            // any/all: exact through 0.0/1.0 floats
            let f = self.cast(l, DType::F32)?;
            let r = f.reduce(op, &Layout::contiguous(l.shape.clone()), dims)?;
            let n = r.len;
            return r.cast(&Layout::contiguous(vec![n]), DType::Bool);
        }
        let int_sum = op == ReduceOp::Sum && matches!(self.dtype, DType::I64 | DType::Bool);
        if self.dtype != DType::F32 && !int_sum {
            return Err(unsupported(&format!("{} on {}", op.name(), self.dtype)));
        }
        let name = op.name();
        let (mut keep, mut red) = (Layout::contiguous(vec![]), Layout::contiguous(vec![]));
        for (d, (&size, &stride)) in l.shape.iter().zip(l.strides.iter()).enumerate() {
            let part = if dims.contains(&d) { &mut red } else { &mut keep };
            part.shape.push(size);
            part.strides.push(stride);
        }
        let n_out = keep.numel();
        let r = red.numel();
        if r == 0 {
            return match op {
                ReduceOp::Amax | ReduceOp::Amin => Err(Error::Runtime(format!("{name}(): Expected reduction dim to have non-zero size"))),
                ReduceOp::Sum => GpuStorage::full(if int_sum { DType::I64 } else { DType::F32 }, n_out, 0.0),
                ReduceOp::Prod => GpuStorage::full(DType::F32, n_out, 1.0),
                ReduceOp::Mean => GpuStorage::full(DType::F32, n_out, f64::NAN),
            };
        }
        let entry = match op {
            ReduceOp::Sum if int_sum => "sum_i32",
            ReduceOp::Sum | ReduceOp::Mean => "sum_f32",
            ReduceOp::Prod => "prod_f32",
            ReduceOp::Amax => "amax_f32",
            ReduceOp::Amin => "amin_f32",
        };
        let mean_count = if op == ReduceOp::Mean { u32_of(name, r)? } else { 0 };
        reduce_pass(self, l.offset, &keep, &red, entry, mean_count, name)
    }

    /// softmax / log_softmax along `dim`; the output is contiguous.
    pub fn softmax(&self, l: &Layout, dim: usize, log: bool) -> Result<GpuStorage> {
        let name = if log { "log_softmax" } else { "softmax" };
        if self.dtype != DType::F32 {
            return Err(unsupported(&format!("{name} on {}", self.dtype)));
        }
        let n = l.numel();
        let out = GpuStorage::new(name, DType::F32, n)?;
        let d = l.shape[dim];
        if n == 0 {
            return Ok(out);
        }
        let inner: usize = l.shape[dim + 1..].iter().product();
        let (mut keep_shape, mut keep_strides) = (vec![], vec![]);
        for (k, (&size, &stride)) in l.shape.iter().zip(l.strides.iter()).enumerate() {
            if k != dim {
                keep_shape.push(size);
                keep_strides.push(stride);
            }
        }
        let rows = n / d;
        let mut params = vec![u32_of(name, rows)?, u32_of(name, d)?, u32_of(name, inner)?, keep_shape.len() as u32, u32_of(name, l.offset)?, u32_of(name, l.strides[dim])?];
        push_dims(&mut params, name, &keep_shape)?;
        push_dims(&mut params, name, &keep_strides)?;
        dispatch(context()?, "softmax", if log { "log_softmax_f32" } else { "softmax_f32" }, &params, &[(1, self.raw()), (2, out.raw())], fold(rows)?)?;
        Ok(out)
    }

    /// A `shaders/window.wgsl` kernel over `planes` planes of the sweep.
    fn window(&self, entry: &'static str, offset: usize, planes: usize, s: &Sweep2d, n_out: usize, extra: &[(u32, &wgpu::Buffer)], outs: &[(u32, &wgpu::Buffer)]) -> Result<()> {
        let name = entry.trim_end_matches("_f32");
        if self.dtype != DType::F32 {
            return Err(unsupported(&format!("{name} on {}", self.dtype)));
        }
        let u = |v: usize| u32_of(name, v);
        let params = [u(n_out)?, u(planes)?, u(s.in_hw[0])?, u(s.in_hw[1])?, u(s.kernel[0])?, u(s.kernel[1])?, u(s.stride[0])?, u(s.stride[1])?, u(s.padding[0])?, u(s.padding[1])?, u(s.dilation[0])?, u(s.dilation[1])?, u(s.out_hw[0])?, u(s.out_hw[1])?, u(offset)?];
        let mut bindings = vec![(1, self.raw())];
        bindings.extend_from_slice(extra);
        bindings.extend_from_slice(outs);
        dispatch(context()?, "window", entry, &params, &bindings, grid_1d(n_out)?)
    }

    /// `[planes, H, W]` from `offset` -> `[planes, kh*kw, OH*OW]`.
    pub fn im2col(&self, offset: usize, planes: usize, s: &Sweep2d) -> Result<GpuStorage> {
        let n = planes * s.taps() * s.positions();
        let out = GpuStorage::new("im2col", self.dtype, n)?;
        self.window("im2col_f32", offset, planes, s, n, &[], &[(2, out.raw())])?;
        Ok(out)
    }

    /// `[planes, kh*kw, OH*OW]` from `offset` -> `[planes, H, W]`, overlaps summed.
    pub fn col2im(&self, offset: usize, planes: usize, s: &Sweep2d) -> Result<GpuStorage> {
        let n = planes * s.in_hw[0] * s.in_hw[1];
        let out = GpuStorage::new("col2im", self.dtype, n)?;
        self.window("col2im_f32", offset, planes, s, n, &[], &[(2, out.raw())])?;
        Ok(out)
    }

    /// Window maxima and their int64 indices within each H*W plane.
    pub fn max_pool(&self, offset: usize, planes: usize, s: &Sweep2d) -> Result<(GpuStorage, GpuStorage)> {
        let n = planes * s.positions();
        let values = GpuStorage::new("max_pool2d", self.dtype, n)?;
        let indices = GpuStorage::new("max_pool2d", DType::I64, n)?;
        self.window("max_pool_f32", offset, planes, s, n, &[], &[(2, values.raw()), (3, indices.raw())])?;
        Ok((values, indices))
    }

    /// This gradient (`[planes, OH*OW]` from `offset`) summed into the inputs
    /// the forward's `indices` (from `idx_offset`) took.
    pub fn max_pool_backward(&self, offset: usize, indices: &GpuStorage, idx_offset: usize, planes: usize, s: &Sweep2d) -> Result<GpuStorage> {
        if idx_offset != 0 {
            return Err(unsupported("max_pool2d backward with offset indices"));
        }
        let n = planes * s.in_hw[0] * s.in_hw[1];
        let out = GpuStorage::new("max_pool2d_backward", self.dtype, n)?;
        self.window("max_pool_backward_f32", offset, planes, s, n, &[(4, indices.raw())], &[(2, out.raw())])?;
        Ok(out)
    }

    /// `[bs, m, k] @ [bs, k, n]` through both layouts' strides.
    pub fn bmm(&self, la: &Layout, other: &GpuStorage, lb: &Layout) -> Result<GpuStorage> {
        if self.dtype != DType::F32 || other.dtype != DType::F32 {
            return Err(unsupported(&format!("matmul on {} and {}", self.dtype, other.dtype)));
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
        if tiles_x > dispatch::MAX_GROUPS || tiles_y > dispatch::MAX_GROUPS {
            return Err(Error::Device(format!("matmul: a {m}x{n} output is past the GPU grid limit")));
        }
        let ctx = context()?;
        let mut batch0 = 0;
        while batch0 < bs {
            let batches = (bs - batch0).min(dispatch::MAX_GROUPS as usize);
            let params = [u(bs)?, u(m)?, u(n)?, u(k)?, u(la.offset)?, u(la.strides[0])?, u(la.strides[1])?, u(la.strides[2])?, u(lb.offset)?, u(lb.strides[0])?, u(lb.strides[1])?, u(lb.strides[2])?, u(batch0)?];
            dispatch(ctx, "matmul", "bmm_f32", &params, &[(1, self.raw()), (2, other.raw()), (3, out.raw())], [tiles_x, tiles_y, batches as u32])?;
            batch0 += batches;
        }
        Ok(out)
    }
}

/// Elements one workgroup reduces: longer reductions go through partial
/// results (on lavapipe a single workgroup looping over ~6M elements came
/// back wrong; on real GPUs it would also leave the device idle).
const REDUCE_CHUNK: usize = 256 * 64;

/// One pass: each (output, chunk) pair becomes one value; when there is more
/// than one chunk, the partials are reduced again (same op, in order).
fn reduce_pass(x: &GpuStorage, offset: usize, keep: &Layout, red: &Layout, entry: &'static str, mean_count: u32, name: &'static str) -> Result<GpuStorage> {
    let (n_out, r) = (keep.numel(), red.numel());
    let chunks = r.div_ceil(REDUCE_CHUNK);
    let chunk_len = if chunks == 1 { r } else { REDUCE_CHUNK };
    let dtype = if entry == "sum_i32" { DType::I64 } else { DType::F32 };
    let out = GpuStorage::new(name, dtype, n_out * chunks)?;
    let last = chunks == 1;
    let mut params = vec![u32_of(name, n_out)?, u32_of(name, r)?, keep.shape.len() as u32, red.shape.len() as u32, u32_of(name, offset)?, u32_of(name, chunk_len)?, u32_of(name, chunks)?, if last { mean_count } else { 0 }];
    for part in [&keep.shape, &keep.strides, &red.shape, &red.strides] {
        push_dims(&mut params, name, part)?;
    }
    dispatch(context()?, "reduce", entry, &params, &[(1, x.raw()), (2, out.raw())], fold(n_out * chunks)?)?;
    if last {
        return Ok(out);
    }
    // the partials are [n_out, chunks], contiguous
    let keep2 = Layout { shape: vec![n_out].into(), strides: vec![chunks].into(), offset: 0 };
    let red2 = Layout::contiguous(vec![chunks]);
    reduce_pass(&out, 0, &keep2, &red2, entry, mean_count, name)
}

/// logical_not of a float tensor: PyTorch compares with zero first; the
/// tensor layer does so before reaching the kernel.
fn unreachable_float_logical_not() -> Result<(&'static str, u32, u32)> {
    Err(unsupported("logical_not on float32"))
}

fn push_dims(params: &mut Vec<u32>, op: &str, dims: &[usize]) -> Result<()> {
    for &d in dims {
        params.push(u32_of(op, d)?);
    }
    Ok(())
}

fn copy_strided(src: &GpuStorage, sl: &Layout, dst: &GpuStorage, dl: &Layout) -> Result<()> {
    let n = sl.numel();
    let mut params = vec![u32_of("copy", n)?, sl.shape.len() as u32, u32_of("copy", sl.offset)?, u32_of("copy", dl.offset)?];
    push_dims(&mut params, "copy", &sl.shape)?;
    push_dims(&mut params, "copy", &sl.strides)?;
    push_dims(&mut params, "copy", &dl.strides)?;
    dispatch(context()?, "copy", "copy_strided", &params, &[(1, src.raw()), (2, dst.raw())], grid_1d(n)?)
}
