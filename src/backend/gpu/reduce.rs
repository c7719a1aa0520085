//! Reductions, cumsum and the softmax family on the GPU (`shaders/reduce.wgsl`,
//! `shaders/scan.wgsl`, `shaders/softmax.wgsl`): fixed-order trees, bitwise repeatable.

use super::dispatch::{dispatch, fold, grid_1d};
use super::{context, push_dims, u32_of, unsupported, GpuStorage};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::op::{ArgReduceOp, ReduceOp};

/// Rows up to this long are scanned by one thread each, in the CPU's order
/// (bitwise its sums); longer ones in blocks (`shaders/scan.wgsl`).
pub const SCAN_BLOCKED_FROM: usize = 4096;
/// The smallest block of a blocked scan.
const SCAN_MIN_BLOCK: usize = 256;

impl GpuStorage {
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
        let int_extremum =
            matches!(op, ReduceOp::Amax | ReduceOp::Amin) && self.dtype == DType::I64;
        if self.dtype != DType::F32 && !int_sum && !int_extremum {
            return Err(unsupported(&format!("{} on {}", op.name(), self.dtype)));
        }
        let name = op.name();
        let (mut keep, mut red) = (Layout::contiguous(vec![]), Layout::contiguous(vec![]));
        for (d, (&size, &stride)) in l.shape.iter().zip(l.strides.iter()).enumerate() {
            let part = if dims.contains(&d) {
                &mut red
            } else {
                &mut keep
            };
            part.shape.push(size);
            part.strides.push(stride);
        }
        let n_out = keep.numel();
        let r = red.numel();
        if r == 0 {
            return match op {
                ReduceOp::Amax | ReduceOp::Amin => Err(Error::Runtime(format!(
                    "{name}(): Expected reduction dim to have non-zero size"
                ))),
                ReduceOp::Sum => {
                    GpuStorage::full(if int_sum { DType::I64 } else { DType::F32 }, n_out, 0.0)
                }
                ReduceOp::Prod => GpuStorage::full(DType::F32, n_out, 1.0),
                ReduceOp::Mean => GpuStorage::full(DType::F32, n_out, f64::NAN),
            };
        }
        let entry = match op {
            ReduceOp::Sum if int_sum => "sum_i32",
            ReduceOp::Amax if int_extremum => "amax_i32",
            ReduceOp::Amin if int_extremum => "amin_i32",
            ReduceOp::Sum | ReduceOp::Mean => "sum_f32",
            ReduceOp::Prod => "prod_f32",
            ReduceOp::Amax => "amax_f32",
            ReduceOp::Amin => "amin_f32",
        };
        let mean_count = if op == ReduceOp::Mean {
            u32_of(name, r)?
        } else {
            0
        };
        reduce_pass(self, l.offset, &keep, &red, entry, mean_count, name)
    }

    /// argmax/argmin along `dim`: (values, int64 indices), contiguous over
    /// the other dims, on the device (no readback).
    pub fn arg_reduce(
        &self,
        op: ArgReduceOp,
        l: &Layout,
        dim: usize,
    ) -> Result<(GpuStorage, GpuStorage)> {
        let name = if op == ArgReduceOp::ArgMax {
            "argmax"
        } else {
            "argmin"
        };
        let entry = match (op, self.dtype) {
            (ArgReduceOp::ArgMax, DType::F32) => "argmax_f32",
            (ArgReduceOp::ArgMin, DType::F32) => "argmin_f32",
            (ArgReduceOp::ArgMax, DType::I64 | DType::Bool) => "argmax_i32",
            (ArgReduceOp::ArgMin, DType::I64 | DType::Bool) => "argmin_i32",
            _ => return Err(unsupported(&format!("{name} on {}", self.dtype))),
        };
        let (mut keep, mut red) = (Layout::contiguous(vec![]), Layout::contiguous(vec![]));
        for (d, (&size, &stride)) in l.shape.iter().zip(l.strides.iter()).enumerate() {
            let part = if d == dim { &mut red } else { &mut keep };
            part.shape.push(size);
            part.strides.push(stride);
        }
        if red.numel() == 0 {
            return Err(Error::Runtime(format!(
                "{name}(): Expected reduction dim {dim} to have non-zero size."
            )));
        }
        arg_pass(self, None, l.offset, &keep, &red, entry, name)
    }

    /// Inclusive prefix sum along `dim` (`shaders/scan.wgsl`); the output is
    /// contiguous, int64 for integer and bool inputs (as on the CPU). Rows
    /// longer than `SCAN_BLOCKED_FROM` are scanned in blocks (three passes).
    pub fn cumsum(&self, l: &Layout, dim: usize) -> Result<GpuStorage> {
        let (entry, out_dtype) = match self.dtype {
            DType::F32 => ("cumsum_f32", DType::F32),
            DType::I64 | DType::Bool => ("cumsum_i32", DType::I64),
            DType::F64 => return Err(super::f64_refused("cumsum")),
        };
        let float = out_dtype == DType::F32;
        let n = l.numel();
        let out = GpuStorage::new("cumsum", out_dtype, n)?;
        // a 0-d tensor is one row of one element
        let len = l.shape.get(dim).copied().unwrap_or(1);
        if n == 0 {
            return Ok(out);
        }
        let inner: usize = l.shape.iter().skip(dim + 1).product();
        let rows = n / len;
        let mut params = vec![
            u32_of("cumsum", rows)?,
            u32_of("cumsum", len)?,
            u32_of("cumsum", inner)?,
            l.shape.len() as u32,
            u32_of("cumsum", l.offset)?,
        ];
        push_dims(&mut params, "cumsum", &l.shape)?;
        push_dims(&mut params, "cumsum", &l.strides)?;
        if len > SCAN_BLOCKED_FROM {
            self.cumsum_blocked(params, rows, len, float, &out)?;
            return Ok(out);
        }
        dispatch(
            context()?,
            "scan",
            entry,
            &params,
            &[(1, self.raw()), (2, out.raw())],
            grid_1d(rows)?,
        )?;
        Ok(out)
    }

    /// The three passes of a blocked scan: blocks of about sqrt(len)
    /// elements, which keeps both the walk of a block and the walk over a
    /// row's block sums short.
    fn cumsum_blocked(
        &self,
        mut params: Vec<u32>,
        rows: usize,
        len: usize,
        float: bool,
        out: &GpuStorage,
    ) -> Result<()> {
        let block = len.isqrt().max(SCAN_MIN_BLOCK);
        let blocks = len.div_ceil(block);
        params.push(u32_of("cumsum", block)?);
        params.push(u32_of("cumsum", blocks)?);
        let dtype = if float { DType::F32 } else { DType::I64 };
        let sums = GpuStorage::new("cumsum", dtype, rows * blocks)?;
        let (block_sums, offsets, walk) = if float {
            (
                "cumsum_block_sums_f32",
                "cumsum_block_offsets_f32",
                "cumsum_blocks_f32",
            )
        } else {
            (
                "cumsum_block_sums_i32",
                "cumsum_block_offsets_i32",
                "cumsum_blocks_i32",
            )
        };
        let ctx = context()?;
        let (x, o, s) = (self.raw(), out.raw(), sums.raw());
        // the block-sums pass binds `out` too: its walk (shared with the last
        // pass) names it, although it writes nothing there
        dispatch(
            ctx,
            "scan",
            block_sums,
            &params,
            &[(1, x), (2, o), (3, s)],
            grid_1d(rows * blocks)?,
        )?;
        dispatch(ctx, "scan", offsets, &params, &[(3, s)], grid_1d(rows)?)?;
        dispatch(
            ctx,
            "scan",
            walk,
            &params,
            &[(1, x), (2, o), (3, s)],
            grid_1d(rows * blocks)?,
        )?;
        Ok(())
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
        let mut params = vec![
            u32_of(name, rows)?,
            u32_of(name, d)?,
            u32_of(name, inner)?,
            keep_shape.len() as u32,
            u32_of(name, l.offset)?,
            u32_of(name, l.strides[dim])?,
        ];
        push_dims(&mut params, name, &keep_shape)?;
        push_dims(&mut params, name, &keep_strides)?;
        dispatch(
            context()?,
            "softmax",
            if log {
                "log_softmax_f32"
            } else {
                "softmax_f32"
            },
            &params,
            &[(1, self.raw()), (2, out.raw())],
            fold(rows)?,
        )?;
        Ok(out)
    }
}

/// Elements one workgroup reduces: longer reductions go through partial
/// results (on lavapipe a single workgroup looping over ~6M elements came
/// back wrong; on real GPUs it would also leave the device idle).
const REDUCE_CHUNK: usize = 256 * 64;

/// One pass: each (output, chunk) pair becomes one value; when there is more
/// than one chunk, the partials are reduced again (same op, in order).
fn reduce_pass(
    x: &GpuStorage,
    offset: usize,
    keep: &Layout,
    red: &Layout,
    entry: &'static str,
    mean_count: u32,
    name: &'static str,
) -> Result<GpuStorage> {
    let (n_out, r) = (keep.numel(), red.numel());
    let chunks = r.div_ceil(REDUCE_CHUNK);
    let chunk_len = if chunks == 1 { r } else { REDUCE_CHUNK };
    let dtype = if entry.ends_with("_i32") {
        DType::I64
    } else {
        DType::F32
    };
    let out = GpuStorage::new(name, dtype, n_out * chunks)?;
    let last = chunks == 1;
    let mut params = vec![
        u32_of(name, n_out)?,
        u32_of(name, r)?,
        keep.shape.len() as u32,
        red.shape.len() as u32,
        u32_of(name, offset)?,
        u32_of(name, chunk_len)?,
        u32_of(name, chunks)?,
        if last { mean_count } else { 0 },
    ];
    for part in [&keep.shape, &keep.strides, &red.shape, &red.strides] {
        push_dims(&mut params, name, part)?;
    }
    dispatch(
        context()?,
        "reduce",
        entry,
        &params,
        &[(1, x.raw()), (2, out.raw())],
        fold(n_out * chunks)?,
    )?;
    if last {
        return Ok(out);
    }
    // the partials are [n_out, chunks], contiguous
    let keep2 = Layout {
        shape: vec![n_out].into(),
        strides: vec![chunks].into(),
        offset: 0,
    };
    let red2 = Layout::contiguous(vec![chunks]);
    reduce_pass(&out, 0, &keep2, &red2, entry, mean_count, name)
}

/// One arg-reduction pass: (value, index) per (output, chunk); with more
/// than one chunk the partials (values and their global indices) are
/// reduced again.
fn arg_pass(
    x: &GpuStorage,
    idx_in: Option<&GpuStorage>,
    offset: usize,
    keep: &Layout,
    red: &Layout,
    entry: &'static str,
    name: &'static str,
) -> Result<(GpuStorage, GpuStorage)> {
    let (n_out, r) = (keep.numel(), red.numel());
    let chunks = r.div_ceil(REDUCE_CHUNK);
    let chunk_len = if chunks == 1 { r } else { REDUCE_CHUNK };
    let values = GpuStorage::new(name, x.dtype, n_out * chunks)?;
    let indices = GpuStorage::new(name, DType::I64, n_out * chunks)?;
    let mut params = vec![
        u32_of(name, n_out)?,
        u32_of(name, r)?,
        keep.shape.len() as u32,
        red.shape.len() as u32,
        u32_of(name, offset)?,
        u32_of(name, chunk_len)?,
        u32_of(name, chunks)?,
        idx_in.is_some() as u32,
    ];
    for part in [&keep.shape, &keep.strides, &red.shape, &red.strides] {
        push_dims(&mut params, name, part)?;
    }
    // binding 4 is only read on partials, but the layout always has it: the
    // input itself stands in (read-only twice is allowed)
    let bindings = vec![
        (1, x.raw()),
        (2, values.raw()),
        (3, indices.raw()),
        (4, idx_in.unwrap_or(x).raw()),
    ];
    dispatch(
        context()?,
        "reduce",
        entry,
        &params,
        &bindings,
        fold(n_out * chunks)?,
    )?;
    if chunks == 1 {
        return Ok((values, indices));
    }
    let keep2 = Layout {
        shape: vec![n_out].into(),
        strides: vec![chunks].into(),
        offset: 0,
    };
    let red2 = Layout::contiguous(vec![chunks]);
    arg_pass(&values, Some(&indices), 0, &keep2, &red2, entry, name)
}
