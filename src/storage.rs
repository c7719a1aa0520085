//! `Storage`: the bytes behind one or more tensors, on some device. This is
//! the only place that matches on the device; the wgpu backend adds a `Gpu`
//! arm here and nowhere else.

use crate::backend::cpu::{self, CpuStorage};
use crate::dtype::DType;
use crate::error::Result;
use crate::layout::Layout;
use crate::op::{ArgReduceOp, BinaryOp, ReduceOp, UnaryOp};
use parking_lot::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
}

impl Device {
    pub fn name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
        }
    }
}

pub enum Storage {
    Cpu(CpuStorage),
}

/// A storage shared by a tensor and its views, with the version counter that
/// in-place writes bump (autograd checks it on saved tensors).
pub struct StorageCell {
    pub data: RwLock<Storage>,
    version: AtomicU64,
    /// A storage never changes dtype; cached so `Tensor::dtype` takes no lock.
    pub dtype: DType,
}

impl StorageCell {
    pub fn new(s: Storage) -> StorageCell {
        let dtype = s.dtype();
        StorageCell { data: RwLock::new(s), version: AtomicU64::new(0), dtype }
    }
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }
    pub fn bump_version(&self) {
        self.version.fetch_add(1, Ordering::Relaxed);
    }
}

/// Output buffers past this size are first probed with a fallible
/// reservation: Rust aborts the process when an infallible allocation
/// fails, and a Python user asking for an impossible tensor must get an
/// exception instead.
const PROBE_BYTES: u128 = 1 << 30;

/// Errors (instead of aborting later) if `numel` elements of `dtype` cannot be allocated.
pub fn guard_alloc(op: &'static str, numel: usize, dtype: DType) -> Result<()> {
    let bytes = numel as u128 * dtype.size_in_bytes() as u128;
    if bytes < PROBE_BYTES {
        return Ok(());
    }
    let mut probe: Vec<u8> = Vec::new();
    match usize::try_from(bytes).ok().map(|b| probe.try_reserve_exact(b)) {
        Some(Ok(())) => Ok(()),
        _ => Err(crate::error::Error::OutOfMemory { op, bytes }),
    }
}

impl Storage {
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
        }
    }
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
        }
    }
    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn full(device: Device, dtype: DType, n: usize, value: f64) -> Storage {
        match device {
            Device::Cpu => Storage::Cpu(CpuStorage::full(dtype, n, value)),
        }
    }
    pub fn cpu(&self) -> &CpuStorage {
        match self {
            Storage::Cpu(s) => s,
        }
    }
    pub fn cpu_mut(&mut self) -> &mut CpuStorage {
        match self {
            Storage::Cpu(s) => s,
        }
    }
    pub fn to_contiguous(&self, l: &Layout, dtype: DType) -> Storage {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.to_contiguous(l, dtype)),
        }
    }
    pub fn unary(&self, op: UnaryOp, l: &Layout) -> Result<Storage> {
        guard_alloc(op.name(), l.numel(), DType::F64)?;
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::elementwise::unary(op, s, l)?)),
        }
    }
    pub fn unary_backward(&self, op: UnaryOp, lg: &Layout, v: &Storage, lv: &Layout) -> Option<Storage> {
        match (self, v) {
            (Storage::Cpu(g), Storage::Cpu(v)) => cpu::elementwise::unary_backward(op, g, lg, v, lv).map(Storage::Cpu),
        }
    }
    pub fn binary(&self, op: BinaryOp, la: &Layout, other: &Storage, lb: &Layout) -> Result<Storage> {
        guard_alloc(op.name(), la.numel(), DType::F64)?;
        match (self, other) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(cpu::elementwise::binary(op, a, la, b, lb)?)),
        }
    }
    pub fn where_(&self, lc: &Layout, a: &Storage, la: &Layout, b: &Storage, lb: &Layout) -> Result<Storage> {
        guard_alloc("where", lc.numel(), DType::F64)?;
        match (self, a, b) {
            (Storage::Cpu(c), Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(cpu::elementwise::where_(c, lc, a, la, b, lb)?)),
        }
    }
    pub fn reduce(&self, op: ReduceOp, l: &Layout, dims: &[usize]) -> Result<Storage> {
        guard_alloc(op.name(), l.numel(), self.dtype())?;
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::reduce::reduce(op, s, l, dims)?)),
        }
    }
    pub fn arg_reduce(&self, op: ArgReduceOp, l: &Layout, dim: usize) -> Result<Vec<i64>> {
        match self {
            Storage::Cpu(s) => cpu::reduce::arg_reduce(op, s, l, dim),
        }
    }
    pub fn cumsum(&self, l: &Layout, dim: usize) -> Result<Storage> {
        guard_alloc("cumsum", l.numel(), DType::F64)?;
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::reduce::cumsum(s, l, dim))),
        }
    }
    pub fn softmax(&self, l: &Layout, dim: usize, log: bool) -> Result<Storage> {
        guard_alloc("softmax", l.numel(), self.dtype())?;
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::softmax::softmax(s, l, dim, log)?)),
        }
    }
    pub fn softmax_backward(&self, lg: &Layout, y: &Storage, ly: &Layout, log: bool) -> Option<Storage> {
        match (self, y) {
            (Storage::Cpu(g), Storage::Cpu(y)) => cpu::softmax::softmax_backward(g, lg, y, ly, log).map(Storage::Cpu),
        }
    }
    /// Sliding windows over `[planes, H, W]` contiguous data from `offset`.
    pub fn im2col(&self, offset: usize, planes: usize, s: &cpu::window::Sweep2d) -> Result<Storage> {
        match self {
            Storage::Cpu(c) => Ok(Storage::Cpu(cpu::window::im2col(c, offset, planes, s)?)),
        }
    }
    pub fn col2im(&self, offset: usize, planes: usize, s: &cpu::window::Sweep2d) -> Result<Storage> {
        match self {
            Storage::Cpu(c) => Ok(Storage::Cpu(cpu::window::col2im(c, offset, planes, s)?)),
        }
    }
    pub fn max_pool(&self, offset: usize, planes: usize, s: &cpu::window::Sweep2d) -> Result<(Storage, Storage)> {
        match self {
            Storage::Cpu(c) => {
                let (v, i) = cpu::window::max_pool(c, offset, planes, s)?;
                Ok((Storage::Cpu(v), Storage::Cpu(i)))
            }
        }
    }
    pub fn max_pool_backward(&self, offset: usize, idx: &[i64], planes: usize, hw: usize, l: usize) -> Result<Storage> {
        match self {
            Storage::Cpu(c) => Ok(Storage::Cpu(cpu::window::max_pool_backward(c, offset, idx, planes, hw, l)?)),
        }
    }
    /// Convolution and its two gradients over contiguous (storage, offset) operands.
    pub fn conv2d(x: (&Storage, usize), w: (&Storage, usize), b: Option<(&Storage, usize)>, cs: &cpu::conv::ConvShape) -> Result<Storage> {
        Ok(Storage::Cpu(cpu::conv::forward((x.0.cpu(), x.1), (w.0.cpu(), w.1), b.map(|(s, o)| (s.cpu(), o)), cs)?))
    }
    pub fn conv2d_input_grad(g: (&Storage, usize), w: (&Storage, usize), cs: &cpu::conv::ConvShape) -> Result<Storage> {
        Ok(Storage::Cpu(cpu::conv::input_grad((g.0.cpu(), g.1), (w.0.cpu(), w.1), cs)?))
    }
    pub fn conv2d_weight_grad(g: (&Storage, usize), x: (&Storage, usize), cs: &cpu::conv::ConvShape) -> Result<Storage> {
        Ok(Storage::Cpu(cpu::conv::weight_grad((g.0.cpu(), g.1), (x.0.cpu(), x.1), cs)?))
    }
    /// A fused optimizer update over `n` contiguous elements of each (storage, offset).
    pub fn optim_update(u: &crate::op::OptimUpdate, p: (&mut Storage, usize), g: (&Storage, usize), states: Vec<(&mut Storage, usize)>, n: usize) -> Result<()> {
        let states = states.into_iter().map(|(s, o)| (s.cpu_mut(), o)).collect();
        cpu::optim::apply(u, (p.0.cpu_mut(), p.1), (g.0.cpu(), g.1), states, n)
    }
    pub fn bmm(&self, la: &Layout, other: &Storage, lb: &Layout) -> Result<Storage> {
        guard_alloc("matmul", la.shape[0] * la.shape[1] * lb.shape[2], self.dtype())?;
        match (self, other) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(cpu::matmul::bmm(a, la, b, lb)?)),
        }
    }
    /// `bmm` with a contiguous bias row (storage, offset) added to every output row.
    pub fn bmm_bias(&self, la: &Layout, other: &Storage, lb: &Layout, bias: (&Storage, usize)) -> Result<Storage> {
        guard_alloc("linear", la.shape[0] * la.shape[1] * lb.shape[2], self.dtype())?;
        match (self, other, bias.0) {
            (Storage::Cpu(a), Storage::Cpu(b), Storage::Cpu(c)) => Ok(Storage::Cpu(cpu::matmul::bmm_bias(a, la, b, lb, Some((c, bias.1)))?)),
        }
    }
    pub fn index_select(&self, l: &Layout, dim: usize, idx: &[i64]) -> Result<Storage> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::index::index_select(s, l, dim, idx))),
        }
    }
    pub fn gather(&self, l: &Layout, dim: usize, idx: &[i64], idx_shape: &[usize]) -> Result<Storage> {
        guard_alloc("gather", idx.len(), self.dtype())?;
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::index::gather(s, l, dim, idx, idx_shape))),
        }
    }
    #[allow(clippy::too_many_arguments)]
    pub fn scatter(&mut self, shape: &[usize], dim: usize, idx: &[i64], idx_shape: &[usize], src: &Storage, src_shape: &[usize], accumulate: bool) -> Result<()> {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => cpu::index::scatter(d, shape, dim, idx, idx_shape, s, src_shape, accumulate),
        }
    }
    pub fn index_add(&mut self, shape: &[usize], dim: usize, idx: &[i64], src: &Storage) -> Result<()> {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => cpu::index::index_add(d, shape, dim, idx, s),
        }
    }
    pub fn cat(parts: &[(&Storage, &Layout)], dim: usize, out_shape: &[usize]) -> Result<Storage> {
        guard_alloc("cat", crate::shape::numel(out_shape), DType::F64)?;
        let cpu_parts: Vec<(&CpuStorage, &Layout)> = parts.iter().map(|(s, l)| (s.cpu(), *l)).collect();
        Ok(Storage::Cpu(cpu::index::cat(&cpu_parts, dim, out_shape)?))
    }
    pub fn nonzero(&self, l: &Layout) -> (Vec<i64>, usize) {
        match self {
            Storage::Cpu(s) => cpu::index::nonzero(s, l),
        }
    }
    pub fn copy_from(&mut self, dst: &Layout, src: &Storage, src_layout: &Layout) {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => d.copy_from(dst, s, src_layout),
        }
    }
    /// The elements `l` selects as i64 (index arguments).
    pub fn to_i64_vec(&self, l: &Layout) -> Vec<i64> {
        match self.to_contiguous(l, DType::I64) {
            Storage::Cpu(CpuStorage::I64(b)) => b.as_slice().to_vec(),
            _ => vec![],
        }
    }
    pub fn to_f64_vec(&self, l: &Layout) -> Vec<f64> {
        match self.to_contiguous(l, DType::F64) {
            Storage::Cpu(CpuStorage::F64(b)) => b.as_slice().to_vec(),
            _ => vec![],
        }
    }
}
