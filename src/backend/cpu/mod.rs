//! CPU backend: typed buffers and rayon kernels. Every kernel takes input
//! layouts as they are (strided, broadcast) and writes a fresh contiguous
//! output, so callers never copy before calling.

pub mod activation;
pub mod attention;
pub mod avg_pool;
pub mod batch_norm;
pub mod buffer;
pub mod cascade_sum;
pub mod conv;
mod conv_shifted;
pub mod elementwise;
pub mod expm1_log1p;
pub mod fastmath;
pub mod float;
pub mod gaussian;
pub mod index;
mod index_rows;
pub mod lanes;
pub mod lstm;
pub mod matmul;
pub mod norm;
pub mod operand;
pub mod optim;
pub mod pair_loss;
pub mod reduce;
pub mod roll;
mod row_blocks;
mod runs;
pub mod select;
pub mod simd;
pub mod softmax;
pub mod special;
pub mod special_unary;
pub mod strided;
mod transpose;
pub mod window;

use crate::dtype::{DType, Element};
use crate::layout::{walk, Layout};
use buffer::Buffer;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Below this many elements a kernel runs on the calling thread: entering the
/// rayon pool from a thread outside it costs ~10 us. Measured on the 2-core
/// dev machine (benchmarks/threshold.py): `x * y` runs at ~0.06 ns/elem
/// serially in cache and `exp` at ~0.21 ns/elem, so two threads only win
/// from ~256K elements (at 64K, parallel mul took 10 us against 4 us serial).
/// Re-checked since the main thread joined the pool (python/mod.rs): a 64K
/// `exp` on two threads then took anywhere from 7 to 19 us against 19 us
/// serial, as the other worker was awake or not, so the threshold stays.
pub const PAR_THRESHOLD: usize = 1 << 18;
/// Elements per parallel task; fixed so that results never depend on the
/// number of threads.
pub const CHUNK: usize = 1 << 14;

pub enum CpuStorage {
    F32(Buffer<f32>),
    F64(Buffer<f64>),
    I64(Buffer<i64>),
    Bool(Buffer<bool>),
}

/// Runs `$body` with `$buf` bound to the typed buffer of any variant.
#[macro_export]
macro_rules! with_cpu {
    ($s:expr, $buf:ident => $body:expr) => {
        match $s {
            $crate::backend::cpu::CpuStorage::F32($buf) => $body,
            $crate::backend::cpu::CpuStorage::F64($buf) => $body,
            $crate::backend::cpu::CpuStorage::I64($buf) => $body,
            $crate::backend::cpu::CpuStorage::Bool($buf) => $body,
        }
    };
}

/// Builds a storage from a Vec of any element type.
pub trait IntoStorage {
    fn into_storage(self) -> CpuStorage;
}
impl IntoStorage for Vec<f32> {
    fn into_storage(self) -> CpuStorage {
        CpuStorage::F32(Buffer::from_vec(self))
    }
}
impl IntoStorage for Vec<f64> {
    fn into_storage(self) -> CpuStorage {
        CpuStorage::F64(Buffer::from_vec(self))
    }
}
impl IntoStorage for Vec<i64> {
    fn into_storage(self) -> CpuStorage {
        CpuStorage::I64(Buffer::from_vec(self))
    }
}
impl IntoStorage for Vec<bool> {
    fn into_storage(self) -> CpuStorage {
        CpuStorage::Bool(Buffer::from_vec(self))
    }
}

/// `n` copies of `v`.
fn filled<T: Copy + Send + Sync>(n: usize, v: T) -> Vec<T> {
    if n < PAR_THRESHOLD {
        return vec![v; n];
    }
    let mut out = Vec::with_capacity(n);
    fill_spare(&mut out, n, v);
    out
}

/// A fresh vector of `len` elements, handed to `f(offset, chunk)` in chunks
/// of `chunk` elements (in parallel from the threshold, at least 1/16 of
/// the threshold per task) to be written; not zeroed first (a one-thread
/// memset of a 4 MB output was a quarter of some kernels' time).
///
/// # Safety
/// `f` must write every element of the chunk it is given.
pub(super) unsafe fn fresh_by_chunks<T: Copy + Send>(
    len: usize,
    chunk: usize,
    f: impl Fn(usize, &mut [MaybeUninit<T>]) + Sync,
) -> Vec<T> {
    let chunk = chunk.max(1);
    let mut out: Vec<T> = Vec::with_capacity(len);
    let dst = &mut out.spare_capacity_mut()[..len];
    if len >= PAR_THRESHOLD {
        dst.par_chunks_mut(chunk)
            .with_min_len((PAR_THRESHOLD / 16 / chunk).max(1))
            .enumerate()
            .for_each(|(i, o)| f(i * chunk, o));
    } else {
        dst.chunks_mut(chunk)
            .enumerate()
            .for_each(|(i, o)| f(i * chunk, o));
    }
    // Safety: the chunks cover all `len` slots and (the caller's promise)
    // `f` wrote each of them.
    unsafe { out.set_len(len) };
    out
}

/// Makes the empty `out` (with room for `n`) `n` copies of `v`, written
/// over the pool above the threshold (one thread's `resize` of 4 MB of
/// zeros took 3 times PyTorch's `zeros`).
fn fill_spare<T: Copy + Send + Sync>(out: &mut Vec<T>, n: usize, v: T) {
    let dst = &mut out.spare_capacity_mut()[..n];
    let fill = |part: &mut [std::mem::MaybeUninit<T>]| simd::fill_uninit(part, v);
    if n >= PAR_THRESHOLD {
        dst.par_chunks_mut(PAR_THRESHOLD / 4).for_each(fill);
    } else {
        fill(dst);
    }
    // Safety: the chunks cover all `n` slots and each wrote every slot
    // (`out` was empty: nothing is dropped unwritten).
    unsafe { out.set_len(n) };
}

impl CpuStorage {
    pub fn dtype(&self) -> DType {
        match self {
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F64(_) => DType::F64,
            CpuStorage::I64(_) => DType::I64,
            CpuStorage::Bool(_) => DType::Bool,
        }
    }
    pub fn len(&self) -> usize {
        with_cpu!(self, b => b.len())
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn full(dtype: DType, n: usize, value: f64) -> CpuStorage {
        match dtype {
            DType::F32 => filled(n, value as f32).into_storage(),
            DType::F64 => filled(n, value).into_storage(),
            DType::I64 => filled(n, value as i64).into_storage(),
            DType::Bool => filled(n, value != 0.0).into_storage(),
        }
    }
    /// Like `full`, but a size the allocator refuses is an error, not an abort.
    pub fn try_full(dtype: DType, n: usize, value: f64) -> crate::error::Result<CpuStorage> {
        fn alloc<T: Copy + Send + Sync>(n: usize, v: T) -> crate::error::Result<Vec<T>> {
            let mut out = Vec::new();
            out.try_reserve_exact(n)
                .map_err(|_| crate::error::Error::OutOfMemory {
                    op: "empty",
                    bytes: n as u128 * std::mem::size_of::<T>() as u128,
                })?;
            fill_spare(&mut out, n, v);
            Ok(out)
        }
        Ok(match dtype {
            DType::F32 => alloc(n, value as f32)?.into_storage(),
            DType::F64 => alloc(n, value)?.into_storage(),
            DType::I64 => alloc(n, value as i64)?.into_storage(),
            DType::Bool => alloc(n, value != 0.0)?.into_storage(),
        })
    }
    pub fn data_ptr(&self) -> usize {
        with_cpu!(self, b => b.as_ptr() as usize)
    }
    /// One element as f64 (for `item()` and printing).
    pub fn get_f64(&self, offset: usize) -> f64 {
        with_cpu!(self, b => b.as_slice()[offset].to_f64())
    }
    /// A contiguous copy of the elements `layout` selects, cast to `dtype`.
    pub fn to_contiguous(&self, layout: &Layout, dtype: DType) -> CpuStorage {
        fn go<S: Element, D: Element>(src: &[S], l: &Layout) -> Vec<D>
        where
            Vec<D>: IntoStorage,
        {
            map_strided(src, l, |x| D::from_f64_or_i64(x))
        }
        macro_rules! to {
            ($d:ty) => {
                with_cpu!(self, b => go::<_, $d>(b.as_slice(), layout).into_storage())
            };
        }
        match dtype {
            DType::F32 => to!(f32),
            DType::F64 => to!(f64),
            DType::I64 => to!(i64),
            DType::Bool => to!(bool),
        }
    }
    /// Writes `src` (already broadcast to `dst`'s shape) into the elements of
    /// `self` that `dst` selects, converting dtype.
    pub fn copy_from(&mut self, dst: &Layout, src: &CpuStorage, src_layout: &Layout) {
        if self.dtype() == src.dtype() && self.copy_same_dtype_fast(dst, src, src_layout) {
            return;
        }
        let converted = src.to_contiguous(src_layout, self.dtype());
        fn put<T: Element>(dst_buf: &mut [T], dst: &Layout, src: &[T]) {
            let mut i = 0;
            dst.for_each_offset(|o| {
                dst_buf[o] = src[i];
                i += 1;
            });
        }
        match (self, &converted) {
            (CpuStorage::F32(d), CpuStorage::F32(s)) => put(d.as_mut_slice(), dst, s.as_slice()),
            (CpuStorage::F64(d), CpuStorage::F64(s)) => put(d.as_mut_slice(), dst, s.as_slice()),
            (CpuStorage::I64(d), CpuStorage::I64(s)) => put(d.as_mut_slice(), dst, s.as_slice()),
            (CpuStorage::Bool(d), CpuStorage::Bool(s)) => put(d.as_mut_slice(), dst, s.as_slice()),
            // why: `converted` was cast to self's dtype just above.
            _ => unreachable!("copy_from: dtype was converted above"),
        }
    }

    /// `copy_from`'s common cases without the intermediate contiguous copy
    /// or the per-element offset walk: contiguous into contiguous (`copy_`,
    /// every in-place op's write-back) is a memcpy, and a broadcast single
    /// element (`fill_`, `zero_`) is a fill. They made `zero_` on 200K
    /// floats 157 us and `add_` 46 us where PyTorch takes 4 and 8. Returns
    /// false, having done nothing, for the other layouts.
    fn copy_same_dtype_fast(
        &mut self,
        dst: &Layout,
        src: &CpuStorage,
        src_layout: &Layout,
    ) -> bool {
        fn go<T: Element>(d: &mut [T], dst: &Layout, s: &[T], sl: &Layout) -> bool {
            let n = dst.numel();
            if n > 0
                && sl
                    .strides
                    .iter()
                    .zip(&sl.shape)
                    .all(|(&st, &len)| st == 0 || len == 1)
            {
                let value = s[sl.offset];
                match dst.contiguous_range() {
                    Some(r) => d[r].fill(value),
                    None => dst.for_each_offset(|o| d[o] = value),
                }
                return true;
            }
            match (dst.contiguous_range(), sl.contiguous_range()) {
                (Some(rd), Some(rs)) => {
                    d[rd].copy_from_slice(&s[rs]);
                    true
                }
                // into a view in rows (a slice's gradient, `x[:, 1:] = y`)
                (None, Some(rs)) => strided::write_rows(d, dst, &s[rs]),
                _ if rows_to_rows(d, dst, s, sl) => true,
                (None, None) if n >= PAR_THRESHOLD => {
                    strided::write_rows(d, dst, &map_strided(s, sl, |v| v))
                }
                _ => false,
            }
        }
        /// Same-shape copy with both sides contiguous along the last dim
        /// (row slices: `roll`'s blocks, a narrowed gradient): a memcpy per
        /// row instead of an element walk. Short rows are left to the walk.
        fn rows_to_rows<T: Element>(d: &mut [T], dst: &Layout, s: &[T], sl: &Layout) -> bool {
            let nd = dst.shape.len();
            if nd < 2
                || dst.shape != sl.shape
                || dst.strides[nd - 1] != 1
                || sl.strides[nd - 1] != 1
            {
                return false;
            }
            let row = dst.shape[nd - 1];
            if row < 16 {
                return false;
            }
            walk(
                &dst.shape[..nd - 1],
                &[&dst.strides[..nd - 1], &sl.strides[..nd - 1]],
                &[dst.offset, sl.offset],
                |[od, os]| d[od..od + row].copy_from_slice(&s[os..os + row]),
            );
            true
        }
        match (self, src) {
            (CpuStorage::F32(d), CpuStorage::F32(s)) => {
                go(d.as_mut_slice(), dst, s.as_slice(), src_layout)
            }
            (CpuStorage::F64(d), CpuStorage::F64(s)) => {
                go(d.as_mut_slice(), dst, s.as_slice(), src_layout)
            }
            (CpuStorage::I64(d), CpuStorage::I64(s)) => {
                go(d.as_mut_slice(), dst, s.as_slice(), src_layout)
            }
            (CpuStorage::Bool(d), CpuStorage::Bool(s)) => {
                go(d.as_mut_slice(), dst, s.as_slice(), src_layout)
            }
            _ => false,
        }
    }
}

/// Conversion between element types with PyTorch's cast semantics (float to
/// int truncates, anything to bool is "!= 0").
pub trait CastFrom {
    fn from_f64_or_i64<S: Element>(x: S) -> Self;
}
impl<D: Element> CastFrom for D {
    #[inline]
    fn from_f64_or_i64<S: Element>(x: S) -> Self {
        if S::DTYPE == DType::I64 && D::DTYPE == DType::I64 {
            D::from_i64(x.to_i64())
        } else if D::DTYPE == DType::Bool {
            D::from_f64(if x.to_f64() != 0.0 { 1.0 } else { 0.0 })
        } else if S::DTYPE == DType::I64 {
            D::from_i64(x.to_i64())
        } else {
            D::from_f64(x.to_f64())
        }
    }
}

/// `out[i] = f(src[layout offset i])` in row-major order (see
/// `map_strided_kernel`), for closures small enough to inline.
pub fn map_strided<S: Copy + Sync, D: Copy + Send + Sync, F: Fn(S) -> D + Sync + Send>(
    src: &[S],
    l: &Layout,
    f: F,
) -> Vec<D> {
    map_strided_kernel(src, l, &simd::FnKernel(f))
}

/// `out[i] = k(src[layout offset i])` in row-major order; contiguous inputs
/// run the CPU-dispatched slice loop (vectorised), large ones on rayon.
pub fn map_strided_kernel<S: Copy + Sync, D: Copy + Send + Sync, K: simd::Kernel<S, D>>(
    src: &[S],
    l: &Layout,
    k: &K,
) -> Vec<D> {
    let n = l.numel();
    let mut out: Vec<D> = Vec::with_capacity(n);
    if let Some(r) = l.contiguous_range() {
        let s = &src[r];
        let dst = &mut out.spare_capacity_mut()[..n];
        if n >= PAR_THRESHOLD {
            dst.par_chunks_mut(CHUNK)
                .zip(s.par_chunks(CHUNK))
                .for_each(|(o, i)| simd::map_kernel_slice(i, o, k));
        } else {
            simd::map_kernel_slice(s, dst, k);
        }
        // Safety: map_kernel_slice wrote all n slots.
        unsafe { out.set_len(n) };
        return out;
    }
    let dst = &mut out.spare_capacity_mut()[..n];
    strided::map_into(src, l, dst, &|x| k.apply(x), &|s: &[S],
                                                      o: &mut [MaybeUninit<
        D,
    >]| {
        simd::map_kernel_slice(s, o, k)
    });
    // Safety: map_into wrote all n slots.
    unsafe { out.set_len(n) };
    out
}

/// From this many elements a two-operand map over strided operands copies
/// them contiguous first.
const STRIDED_COPY_MIN: usize = 4096;

/// `out[i] = f(a[i], b[i])` over two layouts of the same (broadcast) shape
/// (see `map2_strided_kernel`), for closures small enough to inline.
pub fn map2_strided<
    A: Copy + Sync + Send,
    B: Copy + Sync + Send,
    D: Copy + Send + Sync,
    F: Fn(A, B) -> D + Sync + Send,
>(
    a: &[A],
    la: &Layout,
    b: &[B],
    lb: &Layout,
    f: F,
) -> Vec<D> {
    map2_strided_kernel(a, la, b, lb, &simd::FnKernel(f))
}

/// `out[i] = k(a[i], b[i])` over two layouts of the same (broadcast) shape.
pub fn map2_strided_kernel<
    A: Copy + Sync + Send,
    B: Copy + Sync + Send,
    D: Copy + Send + Sync,
    K: simd::Kernel2<A, B, D>,
>(
    a: &[A],
    la: &Layout,
    b: &[B],
    lb: &Layout,
    k: &K,
) -> Vec<D> {
    // small closures over the kernel: they inline, and `apply2` is
    // inline(always), so the slice loops below still vectorise
    let f = |x: A, y: B| k.apply2(x, y);
    let n = la.numel();
    if let (Some(ra), Some(rb)) = (la.contiguous_range(), lb.contiguous_range()) {
        let (sa, sb) = (&a[ra], &b[rb]);
        let mut out: Vec<D> = Vec::with_capacity(n);
        let dst = &mut out.spare_capacity_mut()[..n];
        if n >= PAR_THRESHOLD {
            dst.par_chunks_mut(CHUNK)
                .zip(sa.par_chunks(CHUNK).zip(sb.par_chunks(CHUNK)))
                .for_each(|(o, (x, y))| simd::map2_kernel_slice(x, y, o, k));
        } else {
            simd::map2_kernel_slice(sa, sb, dst, k);
        }
        // Safety: map2_kernel_slice wrote all n slots.
        unsafe { out.set_len(n) };
        return out;
    }
    // One side a single broadcast element: the other side's fast path still holds.
    if n > 0 && lb.strides.iter().all(|&s| s == 0) {
        let y = b[lb.offset];
        if let Some(ra) = la.contiguous_range() {
            let sa = &a[ra];
            let mut out: Vec<D> = Vec::with_capacity(n);
            let dst = &mut out.spare_capacity_mut()[..n];
            if n >= PAR_THRESHOLD {
                dst.par_chunks_mut(CHUNK)
                    .zip(sa.par_chunks(CHUNK))
                    .for_each(|(o, x)| simd::map_scalar_slice(x, y, o, &f));
            } else {
                simd::map_scalar_slice(sa, y, dst, &f);
            }
            // Safety: map_scalar_slice wrote all n slots.
            unsafe { out.set_len(n) };
            return out;
        }
        return map_strided(a, la, |x| f(x, y));
    }
    if n > 0 && la.strides.iter().all(|&s| s == 0) {
        let x = a[la.offset];
        return map_strided(b, lb, |y| f(x, y));
    }
    if let Some(out) = map2_rows(a, la, b, lb, &f) {
        return out;
    }
    if n >= STRIDED_COPY_MIN {
        // transposed or permuted operands: contiguous copies (tiled, see
        // strided.rs), then the vectorised loop beats a strided walk
        let (ca, cb) = (map_strided(a, la, |v| v), map_strided(b, lb, |v| v));
        let l = Layout::contiguous(la.shape.clone());
        return map2_strided_kernel(&ca, &l, &cb, &l, k);
    }
    let mut out = Vec::with_capacity(n);
    walk(
        &la.shape,
        &[&la.strides, &lb.strides],
        &[la.offset, lb.offset],
        |[i, j]| out.push(f(a[i], b[j])),
    );
    out
}

/// Broadcast layouts whose last dim is contiguous or broadcast in each
/// operand (bias adds, row scalings): each output row is one vectorised call.
fn map2_rows<
    A: Copy + Sync + Send,
    B: Copy + Sync + Send,
    D: Copy + Send,
    F: Fn(A, B) -> D + Sync + Send,
>(
    a: &[A],
    la: &Layout,
    b: &[B],
    lb: &Layout,
    f: &F,
) -> Option<Vec<D>> {
    let nd = la.ndim();
    if nd < 2 {
        return None;
    }
    let inner = la.shape[nd - 1];
    let (sa, sb) = (la.strides[nd - 1], lb.strides[nd - 1]);
    if inner < 16 || sa > 1 || sb > 1 {
        return None;
    }
    let n = la.numel();
    let mut starts: Vec<[usize; 2]> = Vec::with_capacity(n / inner);
    walk(
        &la.shape[..nd - 1],
        &[&la.strides[..nd - 1], &lb.strides[..nd - 1]],
        &[la.offset, lb.offset],
        |o| starts.push(o),
    );
    let mut out: Vec<D> = Vec::with_capacity(n);
    let row = |(dst, &[ia, ib]): (&mut [std::mem::MaybeUninit<D>], &[usize; 2])| match (sa, sb) {
        (1, 1) => simd::map2_slice(&a[ia..ia + inner], &b[ib..ib + inner], dst, f),
        (1, 0) => simd::map_scalar_slice(&a[ia..ia + inner], b[ib], dst, f),
        (0, 1) => {
            let x = a[ia];
            simd::map_slice(&b[ib..ib + inner], dst, &|y| f(x, y))
        }
        _ => {
            let v = f(a[ia], b[ib]);
            for d in dst.iter_mut() {
                d.write(v);
            }
        }
    };
    let dst = &mut out.spare_capacity_mut()[..n];
    if n >= PAR_THRESHOLD {
        dst.par_chunks_mut(inner)
            .zip(starts.par_iter())
            .for_each(row);
    } else {
        dst.chunks_mut(inner).zip(starts.iter()).for_each(row);
    }
    // Safety: every row of `inner` slots was written.
    unsafe { out.set_len(n) };
    Some(out)
}
