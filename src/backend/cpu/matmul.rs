//! Batched matrix multiply. Float types go to the `gemm` crate, which takes
//! arbitrary strides (so transposed views need no copy) and selects AVX-512
//! kernels at run time; int64 uses a plain loop.

use super::{CpuStorage, IntoStorage};
use crate::dtype::Element;
use crate::error::{dtype_err, Result};
use crate::layout::Layout;
use gemm::Parallelism;

/// Work (m*n*k) above which one GEMM is worth spreading over rayon threads.
const PAR_FLOPS: usize = 96 * 96 * 96;

fn gemm_batched<T: Element>(a: &[T], la: &Layout, b: &[T], lb: &Layout) -> Vec<T> {
    let (bs, m, k) = (la.shape[0], la.shape[1], la.shape[2]);
    let n = lb.shape[2];
    let mut out = vec![T::zero(); bs * m * n];
    if m * n == 0 {
        return out;
    }
    if k == 0 {
        return out;
    }
    let par = if m * n * k >= PAR_FLOPS { Parallelism::Rayon(rayon::current_num_threads()) } else { Parallelism::None };
    for batch in 0..bs {
        let a_off = la.offset + batch * la.strides[0];
        let b_off = lb.offset + batch * lb.strides[0];
        let dst = out[batch * m * n..].as_mut_ptr();
        // Safety: offsets/strides come from layouts validated against the
        // storages' lengths; dst holds m*n elements for this batch.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst,
                1,
                n as isize,
                false,
                a.as_ptr().add(a_off),
                la.strides[2] as isize,
                la.strides[1] as isize,
                b.as_ptr().add(b_off),
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
    }
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
                    let x = a[la.offset + batch * la.strides[0] + i * la.strides[1] + p * la.strides[2]];
                    let y = b[lb.offset + batch * lb.strides[0] + p * lb.strides[1] + j * lb.strides[2]];
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
    Ok(match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => gemm_batched(x.as_slice(), la, y.as_slice(), lb).into_storage(),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => gemm_batched(x.as_slice(), la, y.as_slice(), lb).into_storage(),
        (CpuStorage::I64(x), CpuStorage::I64(y)) => int_batched(x.as_slice(), la, y.as_slice(), lb).into_storage(),
        _ => {
            return dtype_err(
                "matmul",
                format!("expected m1 and m2 to have the same dtype, but got: {} != {}", a.dtype(), b.dtype()),
            )
        }
    })
}
