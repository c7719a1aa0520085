//! Elementwise maps over non-contiguous layouts (views: transposes,
//! permutes, slices, expands), in the output's row-major order. The layout is
//! first simplified (size-1 dims dropped, adjacent dims that are contiguous
//! with each other merged); then a broadcast value is a fill, rows whose
//! elements are adjacent run the vectorised slice loop, and a transposed
//! inner pair is walked in square tiles so that both the reads and the writes
//! stay within cache lines. Large outputs split over rayon.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::{CHUNK, PAR_THRESHOLD};
use crate::layout::Layout;

/// Tile side for the transposed walk: 32 x 32 f32 reads touch 32 lines of
/// 128 bytes, well inside L1.
const TILE: usize = 32;

/// (shape, strides) of `l` with size-1 dims dropped and mergeable dims merged.
fn simplified(l: &Layout) -> (Vec<usize>, Vec<usize>) {
    let mut shape: Vec<usize> = Vec::with_capacity(l.shape.len());
    let mut strides: Vec<usize> = Vec::with_capacity(l.shape.len());
    for (&d, &s) in l.shape.iter().zip(&l.strides) {
        if d == 1 {
            continue;
        }
        if let (Some(&pd), Some(&ps)) = (shape.last(), strides.last()) {
            // the previous dim steps exactly over this one: one dim of pd * d
            if ps == s * d {
                let k = shape.len() - 1;
                shape[k] = pd * d;
                strides[k] = s;
                continue;
            }
        }
        shape.push(d);
        strides.push(s);
    }
    (shape, strides)
}

/// The storage offset of the row-major position `index` of the dims
/// `shape`/`strides`, from `base`.
fn offset_of(mut index: usize, shape: &[usize], strides: &[usize], base: usize) -> usize {
    let mut o = base;
    for d in (0..shape.len()).rev() {
        o += (index % shape[d]) * strides[d];
        index /= shape[d];
    }
    o
}

/// `dst[i] = f(src[offset of element i of l])` for every element of `l`
/// (`dst.len() == l.numel()`); `row` maps a run of adjacent elements (the
/// caller's vectorised slice loop).
pub fn map_into<S, D, F, R>(src: &[S], l: &Layout, dst: &mut [MaybeUninit<D>], f: &F, row: &R)
where
    S: Copy + Sync,
    D: Copy + Send + Sync,
    F: Fn(S) -> D + Sync,
    R: Fn(&[S], &mut [MaybeUninit<D>]) + Sync,
{
    let n = dst.len();
    if n == 0 {
        return;
    }
    let (shape, strides) = simplified(l);
    let nd = shape.len();
    if nd == 0 || strides.iter().all(|&s| s == 0) {
        let v = f(src[l.offset]);
        fill(dst, v);
        return;
    }
    let (inner, inner_stride) = (shape[nd - 1], strides[nd - 1]);
    if nd >= 2 && inner_stride > strides[nd - 2] && strides[nd - 2] > 0 {
        return tiled(src, l.offset, &shape, &strides, dst, f);
    }
    // rows of the inner dim, split over rayon by whole rows
    let rows_per_task = (CHUNK / inner).max(1);
    let task = |(t, chunk): (usize, &mut [MaybeUninit<D>])| {
        for (k, out) in chunk.chunks_mut(inner).enumerate() {
            let r = t * rows_per_task + k;
            let base = offset_of(r, &shape[..nd - 1], &strides[..nd - 1], l.offset);
            match inner_stride {
                1 => row(&src[base..base + inner], out),
                0 => fill(out, f(src[base])),
                s => {
                    for (j, o) in out.iter_mut().enumerate() {
                        o.write(f(src[base + j * s]));
                    }
                }
            }
        }
    };
    if n >= PAR_THRESHOLD {
        dst.par_chunks_mut(rows_per_task * inner)
            .enumerate()
            .for_each(task);
    } else {
        dst.chunks_mut(rows_per_task * inner)
            .enumerate()
            .for_each(task);
    }
}

/// `dst[offset of element i of l] = src[i]` for every element of `l` (the
/// inverse of a strided read: writing into a view such as a slice), when
/// `l` runs in rows of adjacent elements that do not overlap; false, having
/// written nothing, for other layouts. Rows are copied whole, in parallel
/// for large writes (distinct rows of a non-overlapping layout are disjoint).
pub fn write_rows<T: Copy + Send + Sync>(dst: &mut [T], l: &Layout, src: &[T]) -> bool {
    let n = l.numel();
    if n == 0 || src.len() != n {
        return n == 0;
    }
    let (shape, strides) = simplified(l);
    let nd = shape.len();
    if nd == 0 || strides[nd - 1] != 1 || !non_overlapping(&shape, &strides) {
        return false;
    }
    if l.offset + offset_of(n - 1, &shape, &strides, 0) >= dst.len() {
        return false;
    }
    let inner = shape[nd - 1];
    let (outer_shape, outer_strides) = (&shape[..nd - 1], &strides[..nd - 1]);
    let base = SharedMut(dst.as_mut_ptr());
    let copy_row = |r: usize| {
        let at = offset_of(r, outer_shape, outer_strides, l.offset);
        // SAFETY: `at + inner <= dst.len()` (the last element's offset was
        // checked above and offsets grow with r within each dim), and the
        // rows of a non-overlapping layout are disjoint, so no two tasks
        // write one element.
        let row = unsafe { std::slice::from_raw_parts_mut(base.get().add(at), inner) };
        row.copy_from_slice(&src[r * inner..(r + 1) * inner]);
    };
    let rows = n / inner;
    if n >= PAR_THRESHOLD && rows > 1 {
        let per_task = (CHUNK / inner).max(1);
        (0..rows.div_ceil(per_task))
            .into_par_iter()
            .for_each(|t| (t * per_task..((t + 1) * per_task).min(rows)).for_each(copy_row));
    } else {
        (0..rows).for_each(copy_row);
    }
    true
}

/// No two elements share an offset: sorted by stride, each dim steps over
/// the whole extent of the ones below it.
fn non_overlapping(shape: &[usize], strides: &[usize]) -> bool {
    let mut dims: Vec<(usize, usize)> =
        strides.iter().copied().zip(shape.iter().copied()).collect();
    dims.sort_unstable();
    let mut extent = 1;
    for (stride, size) in dims {
        if stride < extent {
            return false;
        }
        extent += stride * (size - 1);
    }
    true
}

/// A mutable base pointer handed to rayon tasks that write disjoint parts.
#[derive(Clone, Copy)]
struct SharedMut<T>(*mut T);
// SAFETY: only used by `write_rows`, whose tasks write disjoint rows.
unsafe impl<T: Send> Send for SharedMut<T> {}
// SAFETY: as for Send.
unsafe impl<T: Send> Sync for SharedMut<T> {}
impl<T> SharedMut<T> {
    fn get(self) -> *mut T {
        self.0
    }
}

fn fill<D: Copy + Send + Sync>(dst: &mut [MaybeUninit<D>], v: D) {
    if dst.len() >= PAR_THRESHOLD {
        dst.par_chunks_mut(CHUNK).for_each(|c| {
            c.iter_mut().for_each(|o| {
                o.write(v);
            })
        });
    } else {
        dst.iter_mut().for_each(|o| {
            o.write(v);
        });
    }
}

/// The last two dims read across (a transpose): each R x C block is written
/// row by row from TILE x TILE tiles of the source.
fn tiled<S, D, F>(
    src: &[S],
    offset: usize,
    shape: &[usize],
    strides: &[usize],
    dst: &mut [MaybeUninit<D>],
    f: &F,
) where
    S: Copy + Sync,
    D: Copy + Send + Sync,
    F: Fn(S) -> D + Sync,
{
    let nd = shape.len();
    let (r, c) = (shape[nd - 2], shape[nd - 1]);
    let (sr, sc) = (strides[nd - 2], strides[nd - 1]);
    let block = r * c;
    // one task per band of TILE rows of one block
    let bands = r.div_ceil(TILE);
    let task = |(t, band): (usize, &mut [MaybeUninit<D>])| {
        let (b, i0) = (t / bands, (t % bands) * TILE);
        let base = offset_of(b, &shape[..nd - 2], &strides[..nd - 2], offset);
        let rows = band.len() / c;
        for j0 in (0..c).step_by(TILE) {
            let j1 = (j0 + TILE).min(c);
            for i in 0..rows {
                let from = base + (i0 + i) * sr;
                let out = &mut band[i * c..(i + 1) * c];
                for j in j0..j1 {
                    out[j].write(f(src[from + j * sc]));
                }
            }
        }
    };
    // bands never straddle blocks: split each block into its bands
    let chunks: Vec<&mut [MaybeUninit<D>]> = dst
        .chunks_mut(block)
        .flat_map(|blk| blk.chunks_mut(TILE * c))
        .collect();
    if dst_len(block, shape) >= PAR_THRESHOLD {
        chunks.into_par_iter().enumerate().for_each(task);
    } else {
        chunks.into_iter().enumerate().for_each(task);
    }
}

fn dst_len(block: usize, shape: &[usize]) -> usize {
    block * shape[..shape.len() - 2].iter().product::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::walk;

    fn write_check(shape: &[usize], strides: &[usize], offset: usize) -> bool {
        let l = Layout {
            shape: shape.into(),
            strides: strides.into(),
            offset,
        };
        let mut dst = vec![-1.0f64; l.storage_extent().max(1) + 3];
        let src: Vec<f64> = (0..l.numel()).map(|i| i as f64).collect();
        let mut want = dst.clone();
        let mut i = 0;
        walk(&l.shape, &[&l.strides], &[l.offset], |[o]| {
            want[o] = src[i];
            i += 1;
        });
        let wrote = write_rows(&mut dst, &l, &src);
        if wrote {
            assert_eq!(
                dst, want,
                "shape {shape:?} strides {strides:?} offset {offset}"
            );
        } else {
            assert!(
                dst.iter().all(|&v| v == -1.0),
                "a refused write left no trace"
            );
        }
        wrote
    }

    #[test]
    fn write_rows_fills_row_views_and_refuses_overlaps() {
        assert!(write_check(&[4, 6], &[8, 1], 1)); // a column slice
        assert!(write_check(&[3, 2, 5], &[20, 7, 1], 2)); // gaps at two levels
        assert!(write_check(&[700, 1000], &[1002, 1], 1)); // large: parallel rows
        assert!(!write_check(&[2, 3, 4], &[1, 8, 2], 0)); // permuted, inner stride 2
        assert!(!write_check(&[4, 6], &[0, 1], 0)); // an expanded view overlaps
        assert!(!write_check(&[4, 6], &[3, 1], 0)); // rows overlap
        assert!(!write_check(&[4, 6], &[1, 4], 0)); // inner dim not adjacent
    }

    fn check(shape: &[usize], strides: &[usize], offset: usize) {
        let l = Layout {
            shape: shape.into(),
            strides: strides.into(),
            offset,
        };
        let src: Vec<f64> = (0..l.storage_extent().max(1)).map(|i| i as f64).collect();
        let mut want = Vec::new();
        walk(&l.shape, &[&l.strides], &[l.offset], |[o]| {
            want.push(src[o] * 2.0)
        });
        let mut got: Vec<MaybeUninit<f64>> = vec![MaybeUninit::uninit(); l.numel()];
        let f = |x: f64| x * 2.0;
        map_into(
            &src,
            &l,
            &mut got,
            &f,
            &|s: &[f64], o: &mut [MaybeUninit<f64>]| {
                for (d, &x) in o.iter_mut().zip(s) {
                    d.write(f(x));
                }
            },
        );
        // Safety: map_into wrote every slot.
        let got: Vec<f64> = got
            .into_iter()
            .map(|v| unsafe { v.assume_init() })
            .collect();
        assert_eq!(
            got, want,
            "shape {shape:?} strides {strides:?} offset {offset}"
        );
    }

    #[test]
    fn strided_maps_match_the_row_major_walk() {
        check(&[70, 45], &[1, 70], 0); // a transpose, tiles with ragged edges
        check(&[3, 70, 45], &[3150, 1, 70], 5); // batched transposes
        check(&[600, 600], &[1, 600], 0); // large: rayon bands
        check(&[4, 1, 5], &[0, 7, 1], 2); // expanded outer dim
        check(&[600, 700], &[0, 1], 0); // rows broadcast
        check(&[600, 700], &[1, 0], 0); // columns broadcast
        check(&[5, 6], &[0, 0], 3); // one value
        check(&[8, 9, 10], &[180, 10, 2], 1); // every other element
        check(&[2, 3, 4], &[12, 4, 1], 0); // contiguous
        check(&[0, 3], &[3, 1], 0); // empty
        check(&[1, 1], &[5, 9], 4); // one element
        check(&[513, 517], &[1, 1024], 0); // a transposed slice, tiled
    }
}
