//! The inner loops of gather and scatter over one row of the index (its
//! last dim): the row's indices are checked against the indexed dim's size
//! in one vectorised pass first, and the row's reach against the slice
//! (one comparison), so the element loop runs without a bounds check per
//! element (which, with the range check, was two compares and branches
//! around every load or store).

use super::simd::multiversion;
use crate::dtype::Element;
use std::mem::MaybeUninit;

/// Where a row of the index reads or writes: element `j` with index value
/// `i` is at `base + i * step + j * along` of the data.
#[derive(Clone, Copy)]
pub struct RowPlace {
    pub base: usize,
    pub step: usize,
    pub along: usize,
    /// The size of the indexed dim: valid index values are `0..size`.
    pub size: usize,
}

impl RowPlace {
    /// The data this row reaches (`base` up to its farthest element), or
    /// None when an index is outside `0..size` or the reach passes `len`.
    fn reach(&self, ix: &[i64], len: usize) -> Option<std::ops::Range<usize>> {
        if ix.is_empty() {
            return Some(self.base..self.base);
        }
        if self.size == 0 || !all_below(ix, self.size as u64) {
            return None;
        }
        let last = self
            .base
            .checked_add((self.size - 1).checked_mul(self.step)?)?
            .checked_add((ix.len() - 1).checked_mul(self.along)?)?;
        (last < len).then_some(self.base..last + 1)
    }
}

multiversion! {
    pub fn all_below<>(ix: &[i64], size: u64) -> bool where [] {
        // a fold, not `all`: `all` stops early and so runs element by
        // element; the unsigned compare also refuses negatives
        ix.iter().fold(true, |ok, &i| ok & ((i as u64) < size))
    }
}

/// dst[j] = x[place of (ix[j], j)], every element of dst written; false
/// (dst not written) when an index is out of range.
pub fn gather_row<T: Element>(
    dst: &mut [MaybeUninit<T>],
    x: &[T],
    ix: &[i64],
    at: RowPlace,
) -> bool {
    if dst.len() != ix.len() {
        return false;
    }
    let Some(reach) = at.reach(ix, x.len()) else {
        return false;
    };
    gather_checked(dst, &x[reach], ix, at.step, at.along);
    true
}

/// Deliberately not multiversioned: with AVX-512 LLVM turns this loop
/// into gather instructions, which ran 1.2-1.5 times slower than the
/// scalar loads (1000 x 1000 along either dim).
pub fn gather_checked<T: Element>(
    dst: &mut [MaybeUninit<T>],
    x: &[T],
    ix: &[i64],
    step: usize,
    along: usize,
) {
    for (j, (o, &i)) in dst.iter_mut().zip(ix).enumerate() {
        // Safety: `reach` checked every i against the dim's size and the
        // farthest position (size - 1, len - 1) against x's length.
        o.write(unsafe { *x.get_unchecked(i as usize * step + j * along) });
    }
}

/// dst[place of (ix[j], j)] = put(that, src[j * src_step]) in j order;
/// false (nothing written) when an index is out of range or `src` is too
/// short for the row.
pub fn scatter_row<T: Element>(
    dst: &mut [T],
    ix: &[i64],
    at: RowPlace,
    src: &[T],
    src_step: usize,
    put: &(impl Fn(T, T) -> T + Sync),
) -> bool {
    let Some(reach) = at.reach(ix, dst.len()) else {
        return false;
    };
    let src_reach = ix.len().saturating_sub(1).saturating_mul(src_step);
    if !ix.is_empty() && src_reach >= src.len() {
        return false;
    }
    scatter_checked(&mut dst[reach], ix, at.step, at.along, src, src_step, put);
    true
}

multiversion! {
    pub fn scatter_checked<T, P>(dst: &mut [T], ix: &[i64], step: usize, along: usize, src: &[T], src_step: usize, put: &P) where [T: Element, P: Fn(T, T) -> T] {
        for (j, &i) in ix.iter().enumerate() {
            // Safety: `scatter_row` checked every i against the dim's size,
            // the farthest destination against dst's length and the
            // farthest source element against src's.
            unsafe {
                let o = dst.get_unchecked_mut(i as usize * step + j * along);
                *o = put(*o, *src.get_unchecked(j * src_step));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gathered(x: &[f32], ix: &[i64], at: RowPlace) -> Option<Vec<f32>> {
        let mut out = Vec::with_capacity(ix.len());
        let ok = gather_row(&mut out.spare_capacity_mut()[..ix.len()], x, ix, at);
        // Safety: gather_row wrote every slot when it returned true
        ok.then(|| unsafe {
            out.set_len(ix.len());
            out
        })
    }

    #[test]
    fn rows_refuse_out_of_range_indices_and_short_data() {
        let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
        // a [3, 4] x read along dim 1 (step 1) at row 1 (base 4)
        let at = RowPlace {
            base: 4,
            step: 1,
            along: 0,
            size: 4,
        };
        assert_eq!(gathered(&x, &[3, 0, 2], at), Some(vec![7.0, 4.0, 6.0]));
        for bad in [[4, 0, 0], [0, -1, 0]] {
            assert_eq!(gathered(&x, &bad, at), None);
        }
        // the reach passes the data: row 2 of a dim of 5
        assert_eq!(
            gathered(
                &x,
                &[0, 0, 0],
                RowPlace {
                    base: 8,
                    size: 5,
                    ..at
                }
            ),
            None
        );
        // along dim 0 (step 4), each element in its own column
        let at0 = RowPlace {
            base: 0,
            step: 4,
            along: 1,
            size: 3,
        };
        assert_eq!(gathered(&x, &[2, 0, 1], at0), Some(vec![8.0, 1.0, 6.0]));

        let mut dst = vec![0.0f32; 12];
        let add = |a: f32, b: f32| a + b;
        assert!(scatter_row(
            &mut dst,
            &[1, 1, 3],
            at,
            &[1.0, 2.0, 3.0],
            1,
            &add
        ));
        assert_eq!(&dst[4..8], &[0.0, 3.0, 0.0, 3.0]);
        assert!(!scatter_row(&mut dst, &[0, 5, 0], at, &[1.0; 3], 1, &add));
        assert!(!scatter_row(&mut dst, &[0, 0, 0], at, &[1.0; 3], 2, &add));
        assert_eq!(dst.iter().sum::<f32>(), 6.0, "a refused row writes nothing");
    }
}
