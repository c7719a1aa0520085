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

/// Up to this many output rows, and from this depth, a product whose right
/// operand is column-major is written through a column-major scratch (see
/// `Product::wants_column_major_dst`).
const FEW_ROWS: usize = 64;
const MIN_DEPTH: usize = 64;

/// The longest slice of the depth one gemm call sums (see `Product::run`).
const MAX_DEPTH: usize = 512;

/// One strided matrix: its address (kept as an integer so that blocks of
/// a product can move into pool tasks) and its element strides.
#[derive(Clone, Copy)]
struct Mat {
    addr: usize,
    rs: isize,
    cs: isize,
}

impl Mat {
    /// The block starting at (`row`, `col`), for elements of `size` bytes.
    fn at(self, row: usize, col: usize, size: usize) -> Mat {
        let offset = (row as isize * self.rs + col as isize * self.cs) * size as isize;
        Mat {
            addr: (self.addr as isize + offset) as usize,
            ..self
        }
    }
}

/// `dst (m x n) = a (m x k) @ b (k x n)`, or `+=` with `accumulate`.
#[derive(Clone, Copy)]
struct Product {
    m: usize,
    n: usize,
    k: usize,
    dst: Mat,
    a: Mat,
    b: Mat,
    accumulate: bool,
}

impl Product {
    /// Whether gemm runs this product faster into a column-major scratch
    /// than into its row-major `dst`. gemm computes in the frame where dst
    /// is column-major, so for a row-major dst it computes
    /// `dst^T = b^T @ a^T`; when b is column-major and a row-major, with few
    /// rows in a, that ran at a seventh of gemm's speed: `x @ w.t()` (every
    /// `nn.Linear`) with 32 rows, 1024 inputs and 256 outputs took 0.58 ms
    /// against 0.13 ms into a column-major dst. The scratch costs two
    /// passes over m x n elements, against m x n x k multiply-adds.
    fn wants_column_major_dst(&self) -> bool {
        let column_major_b = self.b.rs == 1 && self.b.cs != 1;
        let row_major_a = self.a.cs == 1 && self.a.rs != 1;
        self.dst.cs == 1
            && self.dst.rs > 0
            && column_major_b
            && row_major_a
            && self.m > 0
            && self.m <= FEW_ROWS
            && self.m < self.n
            && self.k >= MIN_DEPTH
    }

    /// Runs `body` on this product, or, where gemm is faster so
    /// (`wants_column_major_dst`), on it redirected into a column-major
    /// scratch that is then transposed into `dst`. Decided on the whole
    /// product, before `body` splits it by thread, so that the thread
    /// count never changes which way it runs.
    /// # Safety
    /// As for `run`.
    unsafe fn run_oriented<T: Element>(self, body: impl FnOnce(Product)) {
        if !self.wants_column_major_dst() {
            return body(self);
        }
        let (m, n, rs) = (self.m, self.n, self.dst.rs as usize);
        // dst is read and written through its pointer only: where it is a
        // fresh output it is still uninitialised (no reference to it)
        let dst = self.dst.addr as *mut T;
        let mut scratch = vec![T::zero(); m * n];
        // Safety (both copies): dst covers m rows of n elements, `rs`
        // apart (the caller's promise), and is initialised where it is
        // accumulated into.
        if self.accumulate {
            // Safety: see above (the copy in).
            for_transposed_blocks(m, n, |i, j| unsafe {
                scratch[i + j * m] = *dst.add(i * rs + j)
            });
        }
        let column_major = Mat {
            addr: scratch.as_mut_ptr() as usize,
            rs: 1,
            cs: m as isize,
        };
        body(Product {
            dst: column_major,
            ..self
        });
        // Safety: see above (the copy out).
        for_transposed_blocks(m, n, |i, j| unsafe {
            dst.add(i * rs + j).write(scratch[i + j * m])
        });
    }

    /// Rows `start..start + count` of the product.
    fn rows(self, start: usize, count: usize, size: usize) -> Product {
        Product {
            m: count,
            dst: self.dst.at(start, 0, size),
            a: self.a.at(start, 0, size),
            ..self
        }
    }

    /// Columns `start..start + count` of the product.
    fn cols(self, start: usize, count: usize, size: usize) -> Product {
        Product {
            n: count,
            dst: self.dst.at(0, start, size),
            b: self.b.at(0, start, size),
            ..self
        }
    }

    /// Runs it as gemm calls over slices of the depth `k` of at most
    /// MAX_DEPTH (accumulating after the first). gemm blocks the depth
    /// itself, but in slices that depend on the product's shape (512 for a
    /// product of at most 64 x 64, else even slices of at most 512): a
    /// split over threads could then give one block other roundings than
    /// its neighbours, and the result depended on the thread count (a
    /// 64 x 784 x 256 product on three threads). The slices here are
    /// gemm's own for every larger product, so its sums are unchanged.
    /// # Safety
    /// The addresses must cover the strided extents described.
    unsafe fn run<T: Element>(self, par: Parallelism) {
        if self.m == 0 || self.n == 0 {
            return;
        }
        let slice = self.k.div_ceil(self.k.div_ceil(MAX_DEPTH).max(1)).max(1);
        let size = std::mem::size_of::<T>();
        let mut start = 0;
        loop {
            let depth = slice.min(self.k - start);
            let part = Product {
                k: depth,
                a: self.a.at(0, start, size),
                b: self.b.at(start, 0, size),
                accumulate: self.accumulate || start > 0,
                ..self
            };
            part.run_once::<T>(par);
            start += depth;
            if start >= self.k {
                return;
            }
        }
    }

    /// One gemm call.
    /// # Safety
    /// As for `run`.
    unsafe fn run_once<T: Element>(self, par: Parallelism) {
        let Product { dst, a, b, .. } = self;
        gemm::gemm(
            self.m,
            self.n,
            self.k,
            dst.addr as *mut T,
            dst.cs,
            dst.rs,
            self.accumulate,
            a.addr as *const T,
            a.cs,
            a.rs,
            b.addr as *const T,
            b.cs,
            b.rs,
            if self.accumulate { T::one() } else { T::zero() },
            T::one(),
            false,
            false,
            false,
            par,
        );
    }

    /// Runs it on the calling thread below SPLIT_FLOPS, else as one serial
    /// gemm per thread over a block of its rows or columns (the longer
    /// side). Each block sums over the full `k`, so the result does not
    /// depend on the thread count.
    /// # Safety
    /// As for `run`; the blocks write disjoint parts of `dst`.
    unsafe fn run_split<T: Element>(self) {
        if self.m * self.n * self.k < SPLIT_FLOPS || rayon::current_num_threads() == 1 {
            return self.run::<T>(Parallelism::None);
        }
        self.run_blocks::<T>()
    }

    /// One serial gemm per thread, each over a block of the rows or
    /// columns (the longer side) and the full `k`.
    /// # Safety
    /// As for `run`.
    unsafe fn run_blocks<T: Element>(self) {
        use rayon::prelude::*;
        let threads = rayon::current_num_threads();
        let split_rows = self.m > self.n;
        let len = if split_rows { self.m } else { self.n };
        let block = len.div_ceil(threads).next_multiple_of(16).min(len);
        let size = std::mem::size_of::<T>();
        (0..len.div_ceil(block)).into_par_iter().for_each(|j| {
            let (start, width) = (j * block, block.min(len - j * block));
            let part = if split_rows {
                self.rows(start, width, size)
            } else {
                self.cols(start, width, size)
            };
            // Safety: each block writes its own rows or columns of dst.
            unsafe { part.run::<T>(Parallelism::None) };
        });
    }
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
    let size = std::mem::size_of::<T>();
    let operand = |data: &[T], l: &Layout| Mat {
        addr: data.as_ptr() as usize + l.offset * size,
        rs: l.strides[1] as isize,
        cs: l.strides[2] as isize,
    };
    let first = Product {
        m,
        n,
        k,
        dst: Mat {
            addr: out.as_mut_ptr() as usize,
            rs: n as isize,
            cs: 1,
        },
        a: operand(a, la),
        b: operand(b, lb),
        accumulate: false,
    };
    let batch = |i: usize| {
        let shift = |x: Mat, stride: usize| Mat {
            addr: x.addr + i * stride * size,
            ..x
        };
        Product {
            dst: shift(first.dst, m * n),
            a: shift(first.a, la.strides[0]),
            b: shift(first.b, lb.strides[0]),
            ..first
        }
    };
    let one = m * n * k;
    let threads = rayon::current_num_threads();
    // Safety (all calls below): offsets/strides come from layouts validated
    // against the storages' lengths; each call writes its own m x n block
    // (or its own rows or columns of it) inside `out`.
    if one >= PAR_FLOPS && threads > 1 {
        for i in 0..bs {
            // Safety: see above.
            unsafe { batch(i).run_oriented::<T>(|p| p.run::<T>(Parallelism::Rayon(threads))) };
        }
    } else if threads > 1 && bs >= threads && one * bs >= SPLIT_FLOPS {
        use rayon::prelude::*;
        (0..bs)
            .into_par_iter()
            // Safety: see above.
            .for_each(|i| unsafe { batch(i).run_oriented::<T>(|p| p.run::<T>(Parallelism::None)) });
    } else if threads == 1 || one * bs < SPLIT_FLOPS {
        for i in 0..bs {
            // Safety: see above.
            unsafe { batch(i).run_oriented::<T>(|p| p.run::<T>(Parallelism::None)) };
        }
    } else {
        // few products: each split into one block per thread
        for i in 0..bs {
            // Safety: see above.
            unsafe { batch(i).run_oriented::<T>(|p| p.run_blocks::<T>()) };
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
    let product = strided(m, n, k, dst, accumulate, (a, a_rs, a_cs), (b, b_rs, b_cs));
    product.run_oriented::<T>(|p| p.run::<T>(Parallelism::None))
}

/// `gemm_serial` spread over the pool once the product is large enough
/// (the same thresholds as `bmm`; see `Product::run_split`).
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
    let product = strided(m, n, k, dst, accumulate, (a, a_rs, a_cs), (b, b_rs, b_cs));
    product.run_oriented::<T>(|p| p.run_split::<T>())
}

/// `f(i, j)` for every `i < m`, `j < n`, in blocks of 16 columns, each
/// block row by row: between a row-major and a column-major matrix both
/// sides then stay within a few cache lines per block.
fn for_transposed_blocks(m: usize, n: usize, mut f: impl FnMut(usize, usize)) {
    const BLOCK: usize = 16;
    for j0 in (0..n).step_by(BLOCK) {
        for i in 0..m {
            for j in j0..(j0 + BLOCK).min(n) {
                f(i, j);
            }
        }
    }
}

/// The product of raw (pointer, row stride, column stride) operands.
fn strided<T>(
    m: usize,
    n: usize,
    k: usize,
    dst: (*mut T, isize, isize),
    accumulate: bool,
    a: (*const T, isize, isize),
    b: (*const T, isize, isize),
) -> Product {
    let mat = |addr: usize, rs: isize, cs: isize| Mat { addr, rs, cs };
    Product {
        m,
        n,
        k,
        dst: mat(dst.0 as usize, dst.1, dst.2),
        a: mat(a.0 as usize, a.1, a.2),
        b: mat(b.0 as usize, b.1, b.2),
        accumulate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column-major right operand with few rows goes through the
    /// scratch; accumulating must add to what dst held, at its stride.
    #[test]
    fn scratch_path_accumulates_into_a_strided_dst() {
        let (m, n, k, rs) = (5, 40, 70, 43);
        let a: Vec<f64> = (0..m * k).map(|i| ((i * 7) % 13) as f64 - 6.0).collect();
        // b stored column-major: element (p, j) at p + j * k
        let b: Vec<f64> = (0..k * n).map(|i| ((i * 5) % 11) as f64 - 5.0).collect();
        let start: Vec<f64> = (0..m * rs).map(|i| (i % 9) as f64).collect();
        let product = strided(
            m,
            n,
            k,
            (std::ptr::null_mut::<f64>(), rs as isize, 1),
            true,
            (a.as_ptr(), k as isize, 1),
            (b.as_ptr(), 1, k as isize),
        );
        assert!(product.wants_column_major_dst());
        let mut dst = start.clone();
        // Safety: every operand covers the extents described.
        unsafe {
            gemm_serial(
                m,
                n,
                k,
                (dst.as_mut_ptr(), rs as isize, 1),
                true,
                a.as_ptr(),
                k as isize,
                1,
                b.as_ptr(),
                1,
                k as isize,
            )
        };
        for i in 0..m {
            for j in 0..rs {
                let expected = if j < n {
                    start[i * rs + j] + (0..k).map(|p| a[i * k + p] * b[p + j * k]).sum::<f64>()
                } else {
                    start[i * rs + j]
                };
                assert_eq!(dst[i * rs + j], expected, "({i}, {j})");
            }
        }
    }
}
