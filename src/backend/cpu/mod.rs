//! CPU backend: typed buffers and rayon kernels. Every kernel takes input
//! layouts as they are (strided, broadcast) and writes a fresh contiguous
//! output, so callers never copy before calling.

pub mod buffer;
pub mod elementwise;
pub mod index;
pub mod matmul;
pub mod reduce;
pub mod softmax;
pub mod special;

use crate::dtype::{DType, Element};
use crate::layout::{walk, Layout};
use buffer::Buffer;
use rayon::prelude::*;

/// Below this many elements a kernel runs on the calling thread: entering the
/// rayon pool from Python costs ~10 us, more than the work itself.
pub const PAR_THRESHOLD: usize = 1 << 16;
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
            DType::F32 => vec![value as f32; n].into_storage(),
            DType::F64 => vec![value; n].into_storage(),
            DType::I64 => vec![value as i64; n].into_storage(),
            DType::Bool => vec![value != 0.0; n].into_storage(),
        }
    }
    /// Like `full`, but a size the allocator refuses is an error, not an abort.
    pub fn try_full(dtype: DType, n: usize, value: f64) -> crate::error::Result<CpuStorage> {
        fn alloc<T: Copy>(n: usize, v: T) -> crate::error::Result<Vec<T>> {
            let mut out = Vec::new();
            out.try_reserve_exact(n).map_err(|_| crate::error::Error::OutOfMemory {
                op: "empty",
                bytes: n as u128 * std::mem::size_of::<T>() as u128,
            })?;
            out.resize(n, v);
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
    pub fn get_i64(&self, offset: usize) -> i64 {
        with_cpu!(self, b => b.as_slice()[offset].to_i64())
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

/// `out[i] = f(src[layout offset i])` in row-major order; contiguous inputs
/// take a slice loop that the compiler vectorises, large ones run on rayon.
pub fn map_strided<S: Copy + Sync, D: Copy + Send + Default>(
    src: &[S],
    l: &Layout,
    f: impl Fn(S) -> D + Sync + Send,
) -> Vec<D> {
    let n = l.numel();
    if let Some(r) = l.contiguous_range() {
        let s = &src[r];
        if n >= PAR_THRESHOLD {
            let mut out = vec![D::default(); n];
            out.par_chunks_mut(CHUNK).zip(s.par_chunks(CHUNK)).for_each(|(o, i)| {
                for (o, &i) in o.iter_mut().zip(i) {
                    *o = f(i);
                }
            });
            return out;
        }
        return s.iter().map(|&x| f(x)).collect();
    }
    let mut out = Vec::with_capacity(n);
    walk(&l.shape, &[&l.strides], &[l.offset], |[o]| out.push(f(src[o])));
    out
}

/// `out[i] = f(a[i], b[i])` over two layouts of the same (broadcast) shape.
pub fn map2_strided<A: Copy + Sync, B: Copy + Sync, D: Copy + Send + Default>(
    a: &[A],
    la: &Layout,
    b: &[B],
    lb: &Layout,
    f: impl Fn(A, B) -> D + Sync + Send,
) -> Vec<D> {
    let n = la.numel();
    if let (Some(ra), Some(rb)) = (la.contiguous_range(), lb.contiguous_range()) {
        let (sa, sb) = (&a[ra], &b[rb]);
        if n >= PAR_THRESHOLD {
            let mut out = vec![D::default(); n];
            out.par_chunks_mut(CHUNK)
                .zip(sa.par_chunks(CHUNK).zip(sb.par_chunks(CHUNK)))
                .for_each(|(o, (x, y))| {
                    for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                        *o = f(x, y);
                    }
                });
            return out;
        }
        return sa.iter().zip(sb).map(|(&x, &y)| f(x, y)).collect();
    }
    // One side a single broadcast element: the other side's fast path still holds.
    if lb.strides.iter().all(|&s| s == 0) {
        let y = b[lb.offset];
        return map_strided(a, la, |x| f(x, y));
    }
    if la.strides.iter().all(|&s| s == 0) {
        let x = a[la.offset];
        return map_strided(b, lb, |y| f(x, y));
    }
    let mut out = Vec::with_capacity(n);
    walk(&la.shape, &[&la.strides, &lb.strides], &[la.offset, lb.offset], |[i, j]| {
        out.push(f(a[i], b[j]))
    });
    out
}
