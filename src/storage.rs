//! `Storage`: the bytes behind one or more tensors, on some device. This is
//! the only place that matches on the device; the wgpu backend adds a `Gpu`
//! arm here and nowhere else.

use crate::backend::cpu::{self, CpuStorage};
#[cfg(feature = "gpu")]
use crate::backend::gpu::{self, GpuStorage};
use crate::dtype::DType;
use crate::error::Error;
use crate::error::Result;
use crate::layout::Layout;
use crate::op::{ArgReduceOp, BinaryOp, ReduceOp, UnaryOp};
use parking_lot::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
    /// The wgpu GPU (one device, index 0).
    Wgpu,
    /// PyTorch's meta device: shapes and dtypes, no data.
    Meta,
}

impl Device {
    pub fn name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Wgpu => "wgpu:0",
            Device::Meta => "meta",
        }
    }
}

pub enum Storage {
    Cpu(CpuStorage),
    #[cfg(feature = "gpu")]
    Gpu(GpuStorage),
    Meta(MetaStorage),
}

/// The storage of a meta tensor: a dtype and a length, no data. Ops on meta
/// tensors compute their results' shapes and dtypes (the dtype from the CPU
/// kernel run on one-element probes, so the rules and refusals are the
/// kernels' own); anything that needs values is refused.
#[derive(Debug, Clone, Copy)]
pub struct MetaStorage {
    pub dtype: DType,
    pub len: usize,
}

fn meta(dtype: DType, len: usize) -> Storage {
    Storage::Meta(MetaStorage { dtype, len })
}

/// A one-element CPU storage of `dtype` for a meta op's dtype probe.
fn probe(dtype: DType) -> CpuStorage {
    CpuStorage::full(dtype, 1, 1.0)
}

/// A one-element layout with `l`'s rank.
fn probe_layout(l: &Layout) -> Layout {
    Layout::contiguous(vec![1; l.ndim()])
}

/// The refusal for an op that needs the values of a meta tensor.
pub fn no_data(op: &str) -> Error {
    Error::NotImplemented(format!(
        "{op}: cannot compute on meta tensors (they hold no data)"
    ))
}

/// PyTorch's error for reading a meta tensor's values.
fn copy_out_of_meta() -> Error {
    Error::NotImplemented("Cannot copy out of meta tensor; no data!".into())
}

/// A meta operand's probe: its dtype's one-element storage (a CPU scalar
/// may meet a meta tensor, as a Python number does).
fn meta_probe(s: &Storage) -> Result<CpuStorage> {
    match s {
        Storage::Meta(m) => Ok(probe(m.dtype)),
        Storage::Cpu(c) if c.len() == 1 => {
            Ok(c.to_contiguous(&Layout::contiguous(vec![1]), c.dtype()))
        }
        other => Err(Error::Device(format!(
            "Tensor on device {} is not on the expected device meta!",
            other.device().name()
        ))),
    }
}

/// PyTorch's error for an op whose operands live on different devices.
pub fn mixed_devices(a: Device, b: Device) -> Error {
    Error::Device(format!(
        "Expected all tensors to be on the same device, but found at least two devices, {} and {}!",
        a.name(),
        b.name()
    ))
}

#[cfg(not(feature = "gpu"))]
fn no_gpu_build() -> Error {
    Error::Device("autorust was built without the wgpu backend (the `gpu` feature)".into())
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
        StorageCell {
            data: RwLock::new(s),
            version: AtomicU64::new(0),
            dtype,
        }
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
    match usize::try_from(bytes)
        .ok()
        .map(|b| probe.try_reserve_exact(b))
    {
        Some(Ok(())) => Ok(()),
        _ => Err(crate::error::Error::OutOfMemory { op, bytes }),
    }
}

/// A GPU kernel's operand: a device storage, or a scalar copied over.
#[cfg(feature = "gpu")]
enum GpuOperand<'a> {
    Borrowed(&'a GpuStorage),
    Copied(GpuStorage),
}

#[cfg(feature = "gpu")]
impl AsRef<GpuStorage> for GpuOperand<'_> {
    fn as_ref(&self) -> &GpuStorage {
        match self {
            GpuOperand::Borrowed(g) => g,
            GpuOperand::Copied(g) => g,
        }
    }
}

/// The error for operands of a CPU-only kernel: mixed devices, or an op
/// without a GPU kernel yet.
pub fn first_mismatch(op: &str, devices: &[Device]) -> Error {
    let first = devices[0];
    match devices.iter().copied().find(|d| *d != first) {
        Some(other) => mixed_devices(first, other),
        #[cfg(feature = "gpu")]
        None => gpu::unsupported(op),
        #[cfg(not(feature = "gpu"))]
        None => Error::Device(format!("{op}: unsupported device")),
    }
}

impl Storage {
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => Device::Wgpu,
            Storage::Meta(_) => Device::Meta,
        }
    }
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => s.dtype(),
            Storage::Meta(m) => m.dtype,
        }
    }
    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.len(),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => s.len(),
            Storage::Meta(m) => m.len,
        }
    }
    fn is_meta(&self) -> bool {
        matches!(self, Storage::Meta(_))
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn full(device: Device, dtype: DType, n: usize, value: f64) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuStorage::full(dtype, n, value))),
            #[cfg(feature = "gpu")]
            Device::Wgpu => Ok(Storage::Gpu(GpuStorage::full(dtype, n, value)?)),
            #[cfg(not(feature = "gpu"))]
            Device::Wgpu => Err(no_gpu_build()),
            Device::Meta => Ok(meta(dtype, n)),
        }
    }
    /// This storage as an operand of a GPU kernel: a one-element CPU tensor
    /// (a Python number) is copied over, as PyTorch allows; anything else
    /// on the CPU is the mixed-device error.
    #[cfg(feature = "gpu")]
    fn gpu_operand(&self) -> Result<GpuOperand<'_>> {
        match self {
            Storage::Gpu(g) => Ok(GpuOperand::Borrowed(g)),
            Storage::Cpu(c) if c.len() == 1 => Ok(GpuOperand::Copied(GpuStorage::upload(c)?)),
            other => Err(mixed_devices(Device::Wgpu, other.device())),
        }
    }
    pub fn cpu(&self) -> Result<&CpuStorage> {
        self.cpu_for("this op")
    }
    /// The CPU storage for a CPU-only kernel; on the GPU, the error names `op`.
    pub fn cpu_for(&self, op: &str) -> Result<&CpuStorage> {
        match self {
            Storage::Cpu(s) => Ok(s),
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => Err(gpu::unsupported(op)),
            Storage::Meta(_) => Err(no_data(op)),
        }
    }
    pub fn cpu_mut_for(&mut self, op: &str) -> Result<&mut CpuStorage> {
        match self {
            Storage::Cpu(s) => Ok(s),
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => Err(gpu::unsupported(op)),
            Storage::Meta(_) => Err(no_data(op)),
        }
    }
    /// A contiguous copy of the elements `l` selects, in `dtype`, on the same device.
    pub fn to_contiguous(&self, l: &Layout, dtype: DType) -> Result<Storage> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(s.to_contiguous(l, dtype))),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Ok(Storage::Gpu(s.cast(l, dtype)?)),
            Storage::Meta(_) => Ok(meta(dtype, l.numel())),
        }
    }
    /// The elements `l` selects, copied to `device` (contiguous).
    pub fn to_device(&self, l: &Layout, device: Device) -> Result<Storage> {
        match (self, device) {
            (Storage::Cpu(s), Device::Cpu) => Ok(Storage::Cpu(s.to_contiguous(l, s.dtype()))),
            #[cfg(feature = "gpu")]
            (Storage::Cpu(s), Device::Wgpu) => {
                let c = if l.is_contiguous() && l.offset == 0 && l.numel() == s.len() {
                    None
                } else {
                    Some(s.to_contiguous(l, s.dtype()))
                };
                Ok(Storage::Gpu(GpuStorage::upload(c.as_ref().unwrap_or(s))?))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(s), Device::Cpu) => Ok(Storage::Cpu(s.to_contiguous(l)?.download()?)),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(s), Device::Wgpu) => Ok(Storage::Gpu(s.to_contiguous(l)?)),
            #[cfg(not(feature = "gpu"))]
            (_, Device::Wgpu) => Err(no_gpu_build()),
            (s, Device::Meta) => Ok(meta(s.dtype(), l.numel())),
            (Storage::Meta(_), _) => Err(copy_out_of_meta()),
        }
    }
    /// The elements `l` selects as a contiguous CPU storage (downloads from the GPU).
    fn host(&self, l: &Layout, dtype: DType) -> Result<CpuStorage> {
        match self {
            Storage::Cpu(c) => Ok(c.to_contiguous(l, dtype)),
            // downloaded in its own dtype, converted on the CPU (the GPU has no f64)
            #[cfg(feature = "gpu")]
            Storage::Gpu(g) => {
                let c = g.to_contiguous(l)?.download()?;
                let n = c.len();
                Ok(c.to_contiguous(&Layout::contiguous(vec![n]), dtype))
            }
            Storage::Meta(_) => Err(copy_out_of_meta()),
        }
    }
    pub fn unary(&self, op: UnaryOp, l: &Layout) -> Result<Storage> {
        guard_alloc(op.name(), l.numel(), DType::F64)?;
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::elementwise::unary(op, s, l)?)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Ok(Storage::Gpu(s.unary(op, l)?)),
            Storage::Meta(m) => Ok(meta(
                cpu::elementwise::unary(op, &probe(m.dtype), &probe_layout(l))?.dtype(),
                l.numel(),
            )),
        }
    }
    /// A fused gradient kernel where the backend has one (None: the rule
    /// composes it from tensor ops instead).
    pub fn unary_backward(
        &self,
        op: UnaryOp,
        lg: &Layout,
        v: &Storage,
        lv: &Layout,
    ) -> Option<Storage> {
        match (self, v) {
            (Storage::Cpu(g), Storage::Cpu(v)) => {
                cpu::elementwise::unary_backward(op, g, lg, v, lv).map(Storage::Cpu)
            }
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
    pub fn binary(
        &self,
        op: BinaryOp,
        la: &Layout,
        other: &Storage,
        lb: &Layout,
    ) -> Result<Storage> {
        guard_alloc(op.name(), la.numel(), DType::F64)?;
        if self.is_meta() || other.is_meta() {
            let (pa, pb) = (meta_probe(self)?, meta_probe(other)?);
            let d = cpu::elementwise::binary(op, &pa, &probe_layout(la), &pb, &probe_layout(lb))?
                .dtype();
            return Ok(meta(d, la.numel()));
        }
        match (self, other) {
            (Storage::Cpu(a), Storage::Cpu(b)) => {
                Ok(Storage::Cpu(cpu::elementwise::binary(op, a, la, b, lb)?))
            }
            // a one-element CPU tensor (a Python number, a 0-dim tensor) may
            // meet a GPU tensor, as in PyTorch: it is copied over
            #[cfg(feature = "gpu")]
            _ => Ok(Storage::Gpu(self.gpu_operand()?.as_ref().binary(
                op,
                la,
                other.gpu_operand()?.as_ref(),
                lb,
            )?)),
            // without the GPU backend every non-meta storage is on the CPU
            #[cfg(not(feature = "gpu"))]
            _ => unreachable!("meta storages returned above"),
        }
    }
    pub fn where_(
        &self,
        lc: &Layout,
        a: &Storage,
        la: &Layout,
        b: &Storage,
        lb: &Layout,
    ) -> Result<Storage> {
        guard_alloc("where", lc.numel(), DType::F64)?;
        if [self, a, b].iter().any(|s| s.is_meta()) {
            let (pc, px, py) = (meta_probe(self)?, meta_probe(a)?, meta_probe(b)?);
            let one = probe_layout(lc);
            return Ok(meta(
                cpu::select::where_(&pc, &one, &px, &one, &py, &one)?.dtype(),
                lc.numel(),
            ));
        }
        #[cfg(feature = "gpu")]
        if [self, a, b].iter().any(|s| s.device() == Device::Wgpu) {
            let (c, x, y) = (self.gpu_operand()?, a.gpu_operand()?, b.gpu_operand()?);
            return Ok(Storage::Gpu(c.as_ref().where_(
                lc,
                x.as_ref(),
                la,
                y.as_ref(),
                lb,
            )?));
        }
        #[allow(irrefutable_let_patterns)]
        let (Storage::Cpu(c), Storage::Cpu(x), Storage::Cpu(y)) = (self, a, b) else {
            return Err(first_mismatch(
                "where",
                &[self.device(), a.device(), b.device()],
            ));
        };
        Ok(Storage::Cpu(cpu::select::where_(c, lc, x, la, y, lb)?))
    }
    pub fn reduce(&self, op: ReduceOp, l: &Layout, dims: &[usize]) -> Result<Storage> {
        guard_alloc(op.name(), l.numel(), self.dtype())?;
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::reduce::reduce(op, s, l, dims)?)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Ok(Storage::Gpu(s.reduce(op, l, dims)?)),
            Storage::Meta(m) => {
                let d = cpu::reduce::reduce(op, &probe(m.dtype), &probe_layout(l), dims)?.dtype();
                let kept: usize = l
                    .shape
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !dims.contains(i))
                    .map(|(_, &n)| n)
                    .product();
                Ok(meta(d, kept))
            }
        }
    }
    /// Indices on the host. GPU data is read back first (argmax mostly feeds
    /// accuracy counts and .item(), which read back anyway).
    pub fn arg_reduce(&self, op: ArgReduceOp, l: &Layout, dim: usize) -> Result<Vec<i64>> {
        match self {
            Storage::Cpu(s) => cpu::reduce::arg_reduce(op, s, l, dim),
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => cpu::reduce::arg_reduce(
                op,
                &self.host(l, self.dtype())?,
                &Layout::contiguous(l.shape.clone()),
                dim,
            ),
            Storage::Meta(_) => Err(no_data("argmax/argmin")),
        }
    }
    /// (values, indices) of an arg-reduction computed where the data lives,
    /// for devices that can (the GPU); None means "use `arg_reduce`".
    pub fn arg_reduce_on_device(
        &self,
        op: ArgReduceOp,
        l: &Layout,
        dim: usize,
    ) -> Result<Option<(Storage, Storage)>> {
        match self {
            Storage::Cpu(_) => Ok(None),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => {
                let (v, i) = s.arg_reduce(op, l, dim)?;
                Ok(Some((Storage::Gpu(v), Storage::Gpu(i))))
            }
            Storage::Meta(m) => {
                let n = l.numel() / l.shape.get(dim).copied().unwrap_or(1).max(1);
                Ok(Some((meta(m.dtype, n), meta(DType::I64, n))))
            }
        }
    }
    /// (values, indices) sorted along `dim`, laid out with `dim` last, for
    /// devices that sort where the data lives (the GPU); None: sort on the host.
    pub fn sort_on_device(
        &self,
        l: &Layout,
        dim: usize,
        descending: bool,
    ) -> Result<Option<(Storage, Storage)>> {
        match self {
            Storage::Cpu(_) => Ok(None),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => {
                let (v, i) = s.sort(l, dim, descending)?;
                Ok(Some((Storage::Gpu(v), Storage::Gpu(i))))
            }
            Storage::Meta(m) => Ok(Some((
                meta(m.dtype, l.numel()),
                meta(DType::I64, l.numel()),
            ))),
        }
    }
    /// The suffix sum along `dim` (cumsum's gradient) in one pass, where
    /// there is a kernel for it (None: flip, cumsum, flip).
    pub fn cumsum_reverse(&self, l: &Layout, dim: usize) -> Option<Storage> {
        match self {
            Storage::Cpu(s) => Some(Storage::Cpu(cpu::reduce::cumsum(s, l, dim, true))),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
    pub fn cumsum(&self, l: &Layout, dim: usize) -> Result<Storage> {
        guard_alloc("cumsum", l.numel(), DType::F64)?;
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::reduce::cumsum(s, l, dim, false))),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Ok(Storage::Gpu(s.cumsum(l, dim)?)),
            Storage::Meta(m) => Ok(meta(
                cpu::reduce::cumsum(&probe(m.dtype), &probe_layout(l), dim, false).dtype(),
                l.numel(),
            )),
        }
    }
    /// The prefix product along `dim`, where there is a kernel for it
    /// (None: the caller composes it).
    pub fn cumprod(&self, l: &Layout, dim: usize) -> Result<Option<Storage>> {
        guard_alloc("cumprod", l.numel(), DType::F64)?;
        match self {
            Storage::Cpu(s) => Ok(Some(Storage::Cpu(cpu::reduce::cumprod(s, l, dim)))),
            Storage::Meta(m) => Ok(Some(meta(m.dtype, l.numel()))),
            #[allow(unreachable_patterns)]
            _ => Ok(None),
        }
    }
    pub fn softmax(&self, l: &Layout, dim: usize, log: bool) -> Result<Storage> {
        guard_alloc("softmax", l.numel(), self.dtype())?;
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::softmax::softmax(s, l, dim, log)?)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Ok(Storage::Gpu(s.softmax(l, dim, log)?)),
            Storage::Meta(m) => Ok(meta(m.dtype, l.numel())),
        }
    }
    pub fn softmax_backward(
        &self,
        lg: &Layout,
        y: &Storage,
        ly: &Layout,
        dim: usize,
        log: bool,
    ) -> Option<Storage> {
        match (self, y) {
            (Storage::Cpu(g), Storage::Cpu(y)) => {
                cpu::softmax::softmax_backward(g, lg, y, ly, dim, log).map(Storage::Cpu)
            }
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
    /// Sliding windows over `[planes, H, W]` contiguous data from `offset`.
    pub fn im2col(
        &self,
        offset: usize,
        planes: usize,
        s: &cpu::window::Sweep2d,
    ) -> Result<Storage> {
        match self {
            Storage::Cpu(c) => Ok(Storage::Cpu(cpu::window::im2col(c, offset, planes, s)?)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(g) => Ok(Storage::Gpu(g.im2col(offset, planes, s)?)),
            Storage::Meta(m) => Ok(meta(m.dtype, planes * s.taps() * s.positions())),
        }
    }
    pub fn col2im(
        &self,
        offset: usize,
        planes: usize,
        s: &cpu::window::Sweep2d,
    ) -> Result<Storage> {
        match self {
            Storage::Cpu(c) => Ok(Storage::Cpu(cpu::window::col2im(c, offset, planes, s)?)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(g) => Ok(Storage::Gpu(g.col2im(offset, planes, s)?)),
            Storage::Meta(m) => Ok(meta(m.dtype, planes * s.in_hw[0] * s.in_hw[1])),
        }
    }
    pub fn max_pool(
        &self,
        offset: usize,
        planes: usize,
        s: &cpu::window::Sweep2d,
    ) -> Result<(Storage, Storage)> {
        match self {
            Storage::Cpu(c) => {
                let (v, i) = cpu::window::max_pool(c, offset, planes, s)?;
                Ok((Storage::Cpu(v), Storage::Cpu(i)))
            }
            #[cfg(feature = "gpu")]
            Storage::Gpu(g) => {
                let (v, i) = g.max_pool(offset, planes, s)?;
                Ok((Storage::Gpu(v), Storage::Gpu(i)))
            }
            Storage::Meta(m) => Ok((
                meta(m.dtype, planes * s.positions()),
                meta(DType::I64, planes * s.positions()),
            )),
        }
    }
    /// Window means of `[planes, H, W]` (contiguous from `offset`).
    pub fn avg_pool(
        &self,
        offset: usize,
        planes: usize,
        s: &cpu::window::Sweep2d,
        d: cpu::avg_pool::AvgDivisor,
    ) -> Result<Storage> {
        match self {
            Storage::Cpu(c) => Ok(Storage::Cpu(cpu::avg_pool::avg_pool(
                c, offset, planes, s, d,
            )?)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(g) => Ok(Storage::Gpu(g.avg_pool(offset, planes, s, d)?)),
            Storage::Meta(m) => Ok(meta(m.dtype, planes * s.positions())),
        }
    }
    /// Average pooling's gradient: `[planes, OH*OW]` (from `offset`) spread
    /// over `[planes, H, W]`.
    pub fn avg_pool_backward(
        &self,
        offset: usize,
        planes: usize,
        s: &cpu::window::Sweep2d,
        d: cpu::avg_pool::AvgDivisor,
    ) -> Result<Storage> {
        match self {
            Storage::Cpu(c) => Ok(Storage::Cpu(cpu::avg_pool::avg_pool_backward(
                c, offset, planes, s, d,
            )?)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(g) => Ok(Storage::Gpu(g.avg_pool_backward(offset, planes, s, d)?)),
            Storage::Meta(m) => Ok(meta(m.dtype, planes * s.in_hw[0] * s.in_hw[1])),
        }
    }
    /// This gradient (`[planes, OH*OW]` from `offset`) summed into the
    /// inputs the forward's `indices` (storage, offset) took.
    pub fn max_pool_backward(
        &self,
        offset: usize,
        indices: (&Storage, usize),
        planes: usize,
        s: &cpu::window::Sweep2d,
    ) -> Result<Storage> {
        match (self, indices.0) {
            (Storage::Cpu(g), Storage::Cpu(CpuStorage::I64(idx))) => {
                let l = s.positions();
                let idx = &idx.as_slice()[indices.1..indices.1 + planes * l];
                Ok(Storage::Cpu(cpu::window::max_pool_backward(
                    g,
                    offset,
                    idx,
                    planes,
                    s.in_hw[0] * s.in_hw[1],
                    l,
                )?))
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(g), Storage::Gpu(idx)) => Ok(Storage::Gpu(
                g.max_pool_backward(offset, idx, indices.1, planes, s)?,
            )),
            (Storage::Meta(m), Storage::Meta(_)) => {
                Ok(meta(m.dtype, planes * s.in_hw[0] * s.in_hw[1]))
            }
            (g, i) => Err(first_mismatch(
                "max_pool2d backward",
                &[g.device(), i.device()],
            )),
        }
    }
    /// Convolution and its two gradients over contiguous (storage, offset) operands.
    pub fn conv2d(
        x: (&Storage, usize),
        w: (&Storage, usize),
        b: Option<(&Storage, usize)>,
        cs: &cpu::conv::ConvShape,
    ) -> Result<Storage> {
        if let Storage::Meta(m) = x.0 {
            return Ok(meta(m.dtype, cs.n * cs.o * cs.sweep.positions()));
        }
        let bias = match b {
            Some((s, o)) => Some((s.cpu_for("conv2d")?, o)),
            None => None,
        };
        Ok(Storage::Cpu(cpu::conv::forward(
            (x.0.cpu_for("conv2d")?, x.1),
            (w.0.cpu_for("conv2d")?, w.1),
            bias,
            cs,
        )?))
    }
    pub fn conv2d_input_grad(
        g: (&Storage, usize),
        w: (&Storage, usize),
        cs: &cpu::conv::ConvShape,
    ) -> Result<Storage> {
        if let Storage::Meta(m) = g.0 {
            return Ok(meta(
                m.dtype,
                cs.n * cs.c * cs.sweep.in_hw[0] * cs.sweep.in_hw[1],
            ));
        }
        Ok(Storage::Cpu(cpu::conv::input_grad(
            (g.0.cpu_for("conv2d backward")?, g.1),
            (w.0.cpu_for("conv2d backward")?, w.1),
            cs,
        )?))
    }
    pub fn conv2d_weight_grad(
        g: (&Storage, usize),
        x: (&Storage, usize),
        cs: &cpu::conv::ConvShape,
    ) -> Result<Storage> {
        if let Storage::Meta(m) = g.0 {
            return Ok(meta(m.dtype, cs.o * (cs.c / cs.groups) * cs.sweep.taps()));
        }
        Ok(Storage::Cpu(cpu::conv::weight_grad(
            (g.0.cpu_for("conv2d backward")?, g.1),
            (x.0.cpu_for("conv2d backward")?, x.1),
            cs,
        )?))
    }
    /// A fused optimizer update over `n` contiguous elements of each (storage, offset).
    pub fn optim_update(
        u: &crate::op::OptimUpdate,
        p: (&mut Storage, usize),
        g: (&Storage, usize),
        states: Vec<(&mut Storage, usize)>,
        n: usize,
    ) -> Result<()> {
        if p.0.is_meta() {
            return Ok(()); // nothing to update on the meta device
        }
        #[cfg(feature = "gpu")]
        if let Storage::Gpu(pg) = &*p.0 {
            let gg = match g.0 {
                Storage::Gpu(s) => s,
                other => return Err(mixed_devices(Device::Wgpu, other.device())),
            };
            let mut sg = vec![];
            for (s, o) in &states {
                match &**s {
                    Storage::Gpu(s) => sg.push((s, *o)),
                    other => return Err(mixed_devices(Device::Wgpu, other.device())),
                }
            }
            return gpu::optim::apply(u, (pg, p.1), (gg, g.1), &sg, n);
        }
        let states = states
            .into_iter()
            .map(|(s, o)| s.cpu_mut_for("optimizer step").map(|s| (s, o)))
            .collect::<Result<_>>()?;
        cpu::optim::apply(
            u,
            (p.0.cpu_mut_for("optimizer step")?, p.1),
            (g.0.cpu_for("optimizer step")?, g.1),
            states,
            n,
        )
    }
    pub fn bmm(&self, la: &Layout, other: &Storage, lb: &Layout) -> Result<Storage> {
        guard_alloc(
            "matmul",
            la.shape[0] * la.shape[1] * lb.shape[2],
            self.dtype(),
        )?;
        match (self, other) {
            (Storage::Meta(m), Storage::Meta(_)) => {
                Ok(meta(m.dtype, la.shape[0] * la.shape[1] * lb.shape[2]))
            }
            (Storage::Cpu(a), Storage::Cpu(b)) => Ok(Storage::Cpu(cpu::matmul::bmm(a, la, b, lb)?)),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(a), Storage::Gpu(b)) => Ok(Storage::Gpu(a.bmm(la, b, lb)?)),
            #[allow(unreachable_patterns)]
            _ => Err(mixed_devices(self.device(), other.device())),
        }
    }
    /// `bmm` with a contiguous bias row (storage, offset) added to every output row.
    pub fn bmm_bias(
        &self,
        la: &Layout,
        other: &Storage,
        lb: &Layout,
        bias: (&Storage, usize),
    ) -> Result<Storage> {
        guard_alloc(
            "linear",
            la.shape[0] * la.shape[1] * lb.shape[2],
            self.dtype(),
        )?;
        if let (Storage::Meta(m), Storage::Meta(_), Storage::Meta(_)) = (self, other, bias.0) {
            return Ok(meta(m.dtype, la.shape[0] * la.shape[1] * lb.shape[2]));
        }
        #[allow(irrefutable_let_patterns)]
        let (Storage::Cpu(a), Storage::Cpu(b), Storage::Cpu(c)) = (self, other, bias.0) else {
            return Err(first_mismatch(
                "linear",
                &[self.device(), other.device(), bias.0.device()],
            ));
        };
        Ok(Storage::Cpu(cpu::matmul::bmm_bias(
            a,
            la,
            b,
            lb,
            Some((c, bias.1)),
        )?))
    }
    pub fn index_select(&self, l: &Layout, dim: usize, idx: &[i64]) -> Result<Storage> {
        match self {
            Storage::Cpu(s) => Ok(Storage::Cpu(cpu::index::index_select(s, l, dim, idx))),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => {
                let mut shape = l.shape.to_vec();
                shape[dim] = idx.len();
                Ok(Storage::Gpu(s.take(l, dim, idx, &shape, false)?))
            }
            Storage::Meta(m) => Ok(meta(m.dtype, l.numel() / l.shape[dim].max(1) * idx.len())),
        }
    }
    /// gather (`by_element`) or index_select with the index storage on the
    /// same device as this one (the GPU): None when that is not the case.
    /// `idx` holds the contiguous indices from element 0.
    pub fn take_with_device_index(
        &self,
        l: &Layout,
        dim: usize,
        idx: &Storage,
        out_shape: &[usize],
        by_element: bool,
    ) -> Result<Option<Storage>> {
        match (self, idx) {
            #[cfg(feature = "gpu")]
            (Storage::Gpu(s), Storage::Gpu(i)) => Ok(Some(Storage::Gpu(
                s.take_device(l, dim, i, out_shape, by_element)?,
            ))),
            (Storage::Meta(m), Storage::Meta(_)) => {
                Ok(Some(meta(m.dtype, crate::shape::numel(out_shape))))
            }
            _ => Ok(None),
        }
    }
    pub fn gather(
        &self,
        l: &Layout,
        dim: usize,
        idx: &[i64],
        idx_shape: &[usize],
    ) -> Result<Option<Storage>> {
        guard_alloc("gather", idx.len(), self.dtype())?;
        // the CPU kernel checks the indices as it goes (None: one was out
        // of range); the other storages take indices checked by the caller
        Ok(match self {
            Storage::Cpu(s) => cpu::index::gather(s, l, dim, idx, idx_shape).map(Storage::Cpu),
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Some(Storage::Gpu(s.take(l, dim, idx, idx_shape, true)?)),
            Storage::Meta(m) => Some(meta(m.dtype, idx.len())),
        })
    }
    #[allow(clippy::too_many_arguments)]
    pub fn scatter(
        &mut self,
        shape: &[usize],
        dim: usize,
        idx: &[i64],
        idx_shape: &[usize],
        src: &Storage,
        src_shape: &[usize],
        accumulate: bool,
    ) -> Result<()> {
        if self.is_meta() {
            return Ok(());
        }
        #[cfg(feature = "gpu")]
        if let Storage::Gpu(dst) = &*self {
            // (destination, source) element pairs in the CPU kernel's order
            let (ds, ss) = (
                crate::shape::contiguous_strides(shape),
                crate::shape::contiguous_strides(src_shape),
            );
            let mut pairs = Vec::with_capacity(idx.len());
            cpu::index::for_each_coord(idx_shape, |flat, coord| {
                let (mut d_off, mut s_off) = (0, 0);
                for (d, &c) in coord.iter().enumerate() {
                    d_off += (if d == dim { idx[flat] as usize } else { c }) * ds[d];
                    s_off += c * ss[d];
                }
                pairs.push((d_off, s_off));
            });
            return dst.scatter_pairs("scatter", &pairs, src.gpu_operand()?.as_ref(), accumulate);
        }
        let src = src.cpu_for("scatter")?;
        cpu::index::scatter(
            self.cpu_mut_for("scatter")?,
            shape,
            dim,
            idx,
            idx_shape,
            src,
            src_shape,
            accumulate,
        )
    }
    pub fn index_add(
        &mut self,
        shape: &[usize],
        dim: usize,
        idx: &[i64],
        src: &Storage,
    ) -> Result<()> {
        if self.is_meta() {
            return Ok(());
        }
        #[cfg(feature = "gpu")]
        if let Storage::Gpu(dst) = &*self {
            let outer: usize = shape[..dim].iter().product();
            let (n, inner) = (shape[dim], shape[dim + 1..].iter().product::<usize>());
            let mut pairs = Vec::with_capacity(outer * idx.len() * inner);
            for o in 0..outer {
                for (i, &t) in idx.iter().enumerate() {
                    let (d, s) = ((o * n + t as usize) * inner, (o * idx.len() + i) * inner);
                    pairs.extend((0..inner).map(|j| (d + j, s + j)));
                }
            }
            return dst.scatter_pairs("index_add", &pairs, src.gpu_operand()?.as_ref(), true);
        }
        let src = src.cpu_for("index_add")?;
        cpu::index::index_add(self.cpu_mut_for("index_add")?, shape, dim, idx, src)
    }
    pub fn cat(parts: &[(&Storage, &Layout)], dim: usize, out_shape: &[usize]) -> Result<Storage> {
        guard_alloc("cat", crate::shape::numel(out_shape), DType::F64)?;
        if let Some((first, _)) = parts.iter().find(|(s, _)| s.is_meta()) {
            if let Some((other, _)) = parts.iter().find(|(s, _)| !s.is_meta()) {
                return Err(mixed_devices(Device::Meta, other.device()));
            }
            return Ok(meta(first.dtype(), crate::shape::numel(out_shape)));
        }
        #[cfg(feature = "gpu")]
        if parts.iter().any(|(s, _)| s.device() == Device::Wgpu) {
            let gpu_parts = parts
                .iter()
                .map(|(s, l)| s.gpu_operand().map(|g| (g, *l)))
                .collect::<Result<Vec<_>>>()?;
            let refs: Vec<(&GpuStorage, &Layout)> =
                gpu_parts.iter().map(|(g, l)| (g.as_ref(), *l)).collect();
            return Ok(Storage::Gpu(GpuStorage::cat(&refs, dim, out_shape)?));
        }
        let cpu_parts: Vec<(&CpuStorage, &Layout)> = parts
            .iter()
            .map(|(s, l)| s.cpu().map(|s| (s, *l)))
            .collect::<Result<_>>()?;
        Ok(Storage::Cpu(cpu::index::cat(&cpu_parts, dim, out_shape)?))
    }
    /// Coordinates of the nonzero elements, on the host (the count decides
    /// the output's size, so the GPU synchronises here, as CUDA does).
    pub fn nonzero(&self, l: &Layout) -> Result<(Vec<i64>, usize)> {
        match self {
            Storage::Cpu(s) => Ok(cpu::index::nonzero(s, l)),
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => {
                let host = self.host(l, self.dtype())?;
                Ok(cpu::index::nonzero(
                    &host,
                    &Layout::contiguous(l.shape.clone()),
                ))
            }
            Storage::Meta(_) => Err(no_data("nonzero")),
        }
    }
    pub fn copy_from(&mut self, dst: &Layout, src: &Storage, src_layout: &Layout) -> Result<()> {
        match (self, src) {
            (Storage::Cpu(d), Storage::Cpu(s)) => {
                d.copy_from(dst, s, src_layout);
                Ok(())
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(d), Storage::Gpu(s)) => d.copy_from(dst, s, src_layout),
            // a copy into a meta tensor has nothing to write
            (Storage::Meta(_), _) => Ok(()),
            (_, Storage::Meta(_)) => Err(copy_out_of_meta()),
            #[allow(unreachable_patterns)]
            (d, s) => Err(mixed_devices(d.device(), s.device())),
        }
    }
    /// The elements `l` selects as i64 (index arguments).
    pub fn to_i64_vec(&self, l: &Layout) -> Result<Vec<i64>> {
        match self.host(l, DType::I64)? {
            CpuStorage::I64(b) => Ok(b.as_slice().to_vec()),
            _ => Ok(vec![]),
        }
    }
    pub fn to_f64_vec(&self, l: &Layout) -> Result<Vec<f64>> {
        match self.host(l, DType::F64)? {
            CpuStorage::F64(b) => Ok(b.as_slice().to_vec()),
            _ => Ok(vec![]),
        }
    }
}

/// A device-side check that every element of the bool storage `ok`
/// (contiguous from element 0) holds (`backend::gpu::asserts`).
pub fn device_check(ok: &Storage, message: &str) -> Result<()> {
    match ok {
        #[cfg(feature = "gpu")]
        Storage::Gpu(g) => gpu::asserts::assert_all(g, message),
        _ => Err(Error::Device("a device check needs a GPU tensor".into())),
    }
}
