//! A serial 2-D transpose in square tiles, for the layout changes inside
//! kernels (a sample's channels-first planes to channels-last rows and
//! back). Element-by-element strided copies cost a loop per short run and
//! scatter their stores; an 8 x 8 tile is read as eight contiguous rows and
//! written as eight contiguous rows, which the compiler turns into vector
//! loads, shuffles and stores.

const TILE: usize = 8;

/// `dst[j * dst_stride + i] = src[i * src_stride + j]` for `i < rows`,
/// `j < cols`.
pub fn transpose_into<F: Copy>(
    src: &[F],
    src_stride: usize,
    rows: usize,
    cols: usize,
    dst: &mut [F],
    dst_stride: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        src.len() >= (rows - 1) * src_stride + cols,
        "transpose: source too short"
    );
    assert!(
        dst.len() >= (cols - 1) * dst_stride + rows,
        "transpose: destination too short"
    );
    #[cfg(target_arch = "x86_64")]
    if std::mem::size_of::<F>() == 4 {
        // Safety: F is a 4-byte Copy type, moved as plain bits (the SSE
        // loads, shuffles and stores never change them); the asserts above
        // bound every element of the rows x cols block read and written.
        unsafe {
            sse::transpose_4byte(
                src.as_ptr().cast::<f32>(),
                src_stride,
                rows,
                cols,
                dst.as_mut_ptr().cast::<f32>(),
                dst_stride,
            )
        };
        return;
    }
    let (full_rows, full_cols) = (rows / TILE * TILE, cols / TILE * TILE);
    for i0 in (0..full_rows).step_by(TILE) {
        for j0 in (0..full_cols).step_by(TILE) {
            tile(src, src_stride, i0, j0, dst, dst_stride);
        }
        for i in i0..i0 + TILE {
            for j in full_cols..cols {
                dst[j * dst_stride + i] = src[i * src_stride + j];
            }
        }
    }
    for i in full_rows..rows {
        for j in 0..cols {
            dst[j * dst_stride + i] = src[i * src_stride + j];
        }
    }
}

/// One full tile at (`i0`, `j0`), through a block on the stack.
#[inline(always)]
fn tile<F: Copy>(
    src: &[F],
    src_stride: usize,
    i0: usize,
    j0: usize,
    dst: &mut [F],
    dst_stride: usize,
) {
    let first = src[i0 * src_stride + j0];
    let mut block = [[first; TILE]; TILE];
    for (i, row) in block.iter_mut().enumerate() {
        row.copy_from_slice(&src[(i0 + i) * src_stride + j0..][..TILE]);
    }
    for j in 0..TILE {
        let out = &mut dst[(j0 + j) * dst_stride + i0..][..TILE];
        for (i, o) in out.iter_mut().enumerate() {
            *o = block[i][j];
        }
    }
}

/// 4-byte elements (float32 and friends) in 4 x 4 blocks of SSE registers:
/// the compiler does not vectorise the scalar tile without AVX enabled.
#[cfg(target_arch = "x86_64")]
mod sse {
    use std::arch::x86_64::{
        _mm_loadu_ps, _mm_movehl_ps, _mm_movelh_ps, _mm_storeu_ps, _mm_unpackhi_ps, _mm_unpacklo_ps,
    };

    /// As `transpose_into`, on raw pointers.
    ///
    /// Safety: `src` holds `rows` rows of `cols` elements at `src_stride`,
    /// `dst` `cols` rows of `rows` elements at `dst_stride`.
    pub(super) unsafe fn transpose_4byte(
        src: *const f32,
        src_stride: usize,
        rows: usize,
        cols: usize,
        dst: *mut f32,
        dst_stride: usize,
    ) {
        let (full_rows, full_cols) = (rows / 4 * 4, cols / 4 * 4);
        for i0 in (0..full_rows).step_by(4) {
            for j0 in (0..full_cols).step_by(4) {
                // Safety: the block (i0.., j0..) lies inside both extents.
                unsafe {
                    block(
                        src.add(i0 * src_stride + j0),
                        src_stride,
                        dst.add(j0 * dst_stride + i0),
                        dst_stride,
                    )
                };
            }
            for i in i0..i0 + 4 {
                for j in full_cols..cols {
                    // Safety: (i, j) is inside both extents.
                    unsafe { *dst.add(j * dst_stride + i) = *src.add(i * src_stride + j) };
                }
            }
        }
        for i in full_rows..rows {
            for j in 0..cols {
                // Safety: (i, j) is inside both extents.
                unsafe { *dst.add(j * dst_stride + i) = *src.add(i * src_stride + j) };
            }
        }
    }

    /// One 4 x 4 block: four row loads, eight shuffles, four row stores.
    ///
    /// Safety: four rows of four elements at `src` (stride `ss`) and at
    /// `dst` (stride `ds`).
    #[inline(always)]
    unsafe fn block(src: *const f32, ss: usize, dst: *mut f32, ds: usize) {
        // Safety: the caller's rows; SSE is part of x86_64's baseline.
        unsafe {
            let (r0, r1) = (_mm_loadu_ps(src), _mm_loadu_ps(src.add(ss)));
            let (r2, r3) = (_mm_loadu_ps(src.add(2 * ss)), _mm_loadu_ps(src.add(3 * ss)));
            let low01 = _mm_unpacklo_ps(r0, r1); // a0 b0 a1 b1
            let low23 = _mm_unpacklo_ps(r2, r3); // c0 d0 c1 d1
            let high01 = _mm_unpackhi_ps(r0, r1); // a2 b2 a3 b3
            let high23 = _mm_unpackhi_ps(r2, r3); // c2 d2 c3 d3
            _mm_storeu_ps(dst, _mm_movelh_ps(low01, low23));
            _mm_storeu_ps(dst.add(ds), _mm_movehl_ps(low23, low01));
            _mm_storeu_ps(dst.add(2 * ds), _mm_movelh_ps(high01, high23));
            _mm_storeu_ps(dst.add(3 * ds), _mm_movehl_ps(high23, high01));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::transpose_into;

    /// Every element moved, nothing outside the block written; 4-byte
    /// types take the SSE path, others the tiles.
    fn check<T: Copy + PartialEq + std::fmt::Debug + TryFrom<usize>>(
        rows: usize,
        cols: usize,
        ss: usize,
        ds: usize,
    ) where
        <T as TryFrom<usize>>::Error: std::fmt::Debug,
    {
        let value = |v: usize| T::try_from(v).unwrap(); // cannot fail: test values are below 2^16, which every T here holds
        let src: Vec<T> = (0..rows * ss).map(|v| value(v + 1)).collect();
        let mut dst = vec![value(0); cols * ds];
        transpose_into(&src, ss, rows, cols, &mut dst, ds);
        for j in 0..cols {
            for i in 0..ds {
                let want = if i < rows { src[i * ss + j] } else { value(0) };
                assert_eq!(dst[j * ds + i], want, "{rows}x{cols} at ({i}, {j})");
            }
        }
    }

    #[test]
    fn matches_the_definition_on_ragged_shapes_and_strides() {
        for (rows, cols) in [(1, 1), (3, 5), (4, 4), (8, 8), (9, 17), (16, 7), (33, 24)] {
            let (ss, ds) = (cols + 3, rows + 2);
            check::<i64>(rows, cols, ss, ds);
            check::<u32>(rows, cols, ss, ds);
        }
    }
}
