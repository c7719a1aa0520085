//! Batched matrix multiply. Float types go to the `gemm` crate, which takes
//! arbitrary strides (so transposed views need no copy) and selects AVX-512
//! kernels at run time; int64 uses a plain loop.

use super::{CpuStorage, IntoStorage};
use crate::dtype::Element;
use crate::error::{dtype_err, Result};
use crate::layout::Layout;
use gemm::Parallelism;

/// Work (m*n*k) from which one GEMM is left to gemm's own rayon
/// parallelism (it shares packed blocks between threads). Below it, the
/// split by hand (one serial GEMM per thread, see SPLIT_FLOPS) measured
/// faster on the 2-core AVX2 machine: 2048x256x1024 took 5.9 ms split
/// against 12.0 ms in gemm's parallel mode, 32x1024x256 0.11 ms against
/// 0.30; at 1024^3 both take ~12 ms. (The threshold was 40M when only
/// 128x784x256 and 384^3 had been measured.)
const PAR_FLOPS: usize = 1 << 30;

/// Below PAR_FLOPS but above this, the work is split by hand into one
/// single-threaded GEMM per thread (batches, or column blocks of one
/// product): that costs one pool entry instead of gemm's internal syncs.
const SPLIT_FLOPS: usize = 4 << 20;

/// Raw operand pointers for the GEMM calls (moved into pool tasks as
/// addresses, each task writing its own disjoint block of `dst`).
#[derive(Clone, Copy)]
struct Operands {
    dst: usize,
    a: usize,
    b: usize,
}

/// One `m x n x k` product at the given element strides.
/// # Safety
/// The pointers must cover the strided extents described.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_one<T: Element>(
    m: usize,
    n: usize,
    k: usize,
    ops: Operands,
    dst_rs: usize,
    la: &Layout,
    lb: &Layout,
    par: Parallelism,
) {
    gemm::gemm(
        m,
        n,
        k,
        ops.dst as *mut T,
        1,
        dst_rs as isize,
        false,
        ops.a as *const T,
        la.strides[2] as isize,
        la.strides[1] as isize,
        ops.b as *const T,
        lb.strides[2] as isize,
        lb.strides[1] as isize,
        T::zero(),
        T::one(),
        false,
        false,
        false,
        par,
    );
}

/// `bias`: a length-n row added to every output row afterwards (one pass
/// over a block still in cache; gemm's accumulate-into-dst path measured
/// slower than this).
fn gemm_batched<T: Element + std::ops::Add<Output = T>>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    bias: Option<&[T]>,
) -> Vec<T> {
    let mut out = gemm_product(a, la, b, lb);
    if let Some(row) = bias {
        for out_row in out.chunks_exact_mut(row.len().max(1)) {
            for (o, &b) in out_row.iter_mut().zip(row) {
                *o = *o + b;
            }
        }
    }
    out
}

fn gemm_product<T: Element>(a: &[T], la: &Layout, b: &[T], lb: &Layout) -> Vec<T> {
    let (bs, m, k) = (la.shape[0], la.shape[1], la.shape[2]);
    let n = lb.shape[2];
    if m * n == 0 || k == 0 {
        return vec![T::zero(); bs * m * n];
    }
    // Every element is written by exactly one GEMM call below (which does
    // not read dst), so the buffer starts uninitialised: zeroing it first
    // cost ~10 us per 200K-element output. Its length is set once written.
    let mut out: Vec<T> = Vec::with_capacity(bs * m * n);
    let one = m * n * k;
    let threads = rayon::current_num_threads();
    let batch_ops = |batch: usize, dst: usize| Operands {
        dst: dst + batch * m * n * std::mem::size_of::<T>(),
        a: a.as_ptr() as usize + (la.offset + batch * la.strides[0]) * std::mem::size_of::<T>(),
        b: b.as_ptr() as usize + (lb.offset + batch * lb.strides[0]) * std::mem::size_of::<T>(),
    };
    let dst = out.as_mut_ptr() as usize;
    // Safety (all calls below): offsets/strides come from layouts validated
    // against the storages' lengths; each call writes its own m x n block
    // (or its own column range of it) inside `out`.
    if one >= PAR_FLOPS || threads == 1 || one * bs < SPLIT_FLOPS {
        let par = if one >= PAR_FLOPS && threads > 1 {
            Parallelism::Rayon(threads)
        } else {
            Parallelism::None
        };
        for batch in 0..bs {
            unsafe { gemm_one::<T>(m, n, k, batch_ops(batch, dst), n, la, lb, par) };
        }
    } else if bs >= threads {
        use rayon::prelude::*;
        (0..bs).into_par_iter().for_each(|batch| unsafe {
            gemm_one::<T>(m, n, k, batch_ops(batch, dst), n, la, lb, Parallelism::None)
        });
    } else {
        // few products: split each one's rows or columns (the longer side)
        // into one block per thread
        use rayon::prelude::*;
        let split_rows = m > n;
        let len = if split_rows { m } else { n };
        let block = len.div_ceil(threads).next_multiple_of(16).min(len);
        let size = std::mem::size_of::<T>();
        for batch in 0..bs {
            let base = batch_ops(batch, dst);
            (0..len.div_ceil(block)).into_par_iter().for_each(|j| {
                let start = j * block;
                let width = block.min(len - start);
                let (ops, rows, cols) = if split_rows {
                    (
                        Operands {
                            dst: base.dst + start * n * size,
                            a: base.a + start * la.strides[1] * size,
                            b: base.b,
                        },
                        width,
                        n,
                    )
                } else {
                    (
                        Operands {
                            dst: base.dst + start * size,
                            a: base.a,
                            b: base.b + start * lb.strides[2] * size,
                        },
                        m,
                        width,
                    )
                };
                unsafe { gemm_one::<T>(rows, cols, k, ops, n, la, lb, Parallelism::None) };
            });
        }
    }
    // Safety: the calls above wrote all bs*m*n elements (see the comment at the top).
    unsafe { out.set_len(bs * m * n) };
    out
}

fn int_batched(a: &[i64], la: &Layout, b: &[i64], lb: &Layout) -> Vec<i64> {
    let (bs, m, k) = (la.shape[0], la.shape[1], la.shape[2]);
    let n = lb.shape[2];
    let mut out = vec![0i64; bs * m * n];
    for batch in 0..bs {
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0i64;
                for p in 0..k {
                    let x = a
                        [la.offset + batch * la.strides[0] + i * la.strides[1] + p * la.strides[2]];
                    let y = b
                        [lb.offset + batch * lb.strides[0] + p * lb.strides[1] + j * lb.strides[2]];
                    acc = acc.wrapping_add(x.wrapping_mul(y));
                }
                out[(batch * m + i) * n + j] = acc;
            }
        }
    }
    out
}

/// `[B, m, k] @ [B, k, n] -> [B, m, n]` (contiguous). Shapes were checked by the caller.
pub fn bmm(a: &CpuStorage, la: &Layout, b: &CpuStorage, lb: &Layout) -> Result<CpuStorage> {
    bmm_bias(a, la, b, lb, None)
}

/// `bmm` plus a bias row (contiguous `n` elements of the same dtype) added to each output row.
pub fn bmm_bias(
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
    bias: Option<(&CpuStorage, usize)>,
) -> Result<CpuStorage> {
    let n = lb.shape[2];
    Ok(match (a, b, bias) {
        (CpuStorage::F32(x), CpuStorage::F32(y), None) => {
            gemm_batched(x.as_slice(), la, y.as_slice(), lb, None).into_storage()
        }
        (CpuStorage::F64(x), CpuStorage::F64(y), None) => {
            gemm_batched(x.as_slice(), la, y.as_slice(), lb, None).into_storage()
        }
        (CpuStorage::F32(x), CpuStorage::F32(y), Some((CpuStorage::F32(c), o))) => gemm_batched(
            x.as_slice(),
            la,
            y.as_slice(),
            lb,
            Some(&c.as_slice()[o..o + n]),
        )
        .into_storage(),
        (CpuStorage::F64(x), CpuStorage::F64(y), Some((CpuStorage::F64(c), o))) => gemm_batched(
            x.as_slice(),
            la,
            y.as_slice(),
            lb,
            Some(&c.as_slice()[o..o + n]),
        )
        .into_storage(),
        (_, _, Some(_)) => {
            return dtype_err(
                "linear",
                "linear: bias must have the input's floating dtype",
            )
        }
        (CpuStorage::I64(x), CpuStorage::I64(y), None) => {
            int_batched(x.as_slice(), la, y.as_slice(), lb).into_storage()
        }
        _ => {
            return dtype_err(
                "matmul",
                format!(
                    "expected m1 and m2 to have the same dtype, but got: {} != {}",
                    a.dtype(),
                    b.dtype()
                ),
            )
        }
    })
}

/// Single-threaded `dst (m x n at (ptr, row stride, column stride)) = a @ b` (or `+=` with
/// `accumulate`), operands at arbitrary element strides. For kernels that
/// parallelise over their own outer loop (convolution over samples).
/// # Safety
/// The pointers must cover the strided extents described.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemm_serial<T: Element>(
    m: usize,
    n: usize,
    k: usize,
    dst: (*mut T, isize, isize),
    accumulate: bool,
    a: *const T,
    a_rs: isize,
    a_cs: isize,
    b: *const T,
    b_rs: isize,
    b_cs: isize,
) {
    if m == 0 || n == 0 {
        return;
    }
    let (dst, dst_rs, dst_cs) = dst;
    gemm::gemm(
        m,
        n,
        k,
        dst,
        dst_cs,
        dst_rs,
        accumulate,
        a,
        a_cs,
        a_rs,
        b,
        b_cs,
        b_rs,
        if accumulate { T::one() } else { T::zero() },
        T::one(),
        false,
        false,
        false,
        Parallelism::None,
    );
}

/// `gemm_serial` spread over the pool once the product is large enough
/// (the same thresholds as `bmm`): the output's columns, or its rows when
/// there are more of them, in one block per thread. Each block is one
/// serial GEMM over the full `k`, so the result does not depend on the
/// thread count.
/// # Safety
/// As for `gemm_serial`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemm_split<T: Element>(
    m: usize,
    n: usize,
    k: usize,
    dst: (*mut T, isize, isize),
    accumulate: bool,
    a: *const T,
    a_rs: isize,
    a_cs: isize,
    b: *const T,
    b_rs: isize,
    b_cs: isize,
) {
    use rayon::prelude::*;
    let threads = rayon::current_num_threads();
    if m * n * k < SPLIT_FLOPS || threads == 1 {
        return gemm_serial(m, n, k, dst, accumulate, a, a_rs, a_cs, b, b_rs, b_cs);
    }
    let split_rows = m > n;
    let len = if split_rows { m } else { n };
    let block = len.div_ceil(threads).next_multiple_of(16).min(len);
    let (d, d_rs, d_cs) = (dst.0 as usize, dst.1, dst.2);
    let (pa, pb) = (a as usize, b as usize);
    let size = std::mem::size_of::<T>() as isize;
    (0..len.div_ceil(block)).into_par_iter().for_each(|j| {
        let start = (j * block) as isize;
        let width = block.min(len - j * block);
        // Safety: each block writes its own rows/columns of dst.
        unsafe {
            if split_rows {
                gemm_serial(
                    width,
                    n,
                    k,
                    ((d as isize + start * d_rs * size) as *mut T, d_rs, d_cs),
                    accumulate,
                    (pa as isize + start * a_rs * size) as *const T,
                    a_rs,
                    a_cs,
                    pb as *const T,
                    b_rs,
                    b_cs,
                )
            } else {
                gemm_serial(
                    m,
                    width,
                    k,
                    ((d as isize + start * d_cs * size) as *mut T, d_rs, d_cs),
                    accumulate,
                    pa as *const T,
                    a_rs,
                    a_cs,
                    (pb as isize + start * b_cs * size) as *const T,
                    b_rs,
                    b_cs,
                )
            }
        }
    });
}
