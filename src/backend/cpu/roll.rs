//! `roll` of a contiguous input: the output is filled by runs (`runs`),
//! each output element's source found by rolling its coordinates back; a
//! run ends where the innermost rolled dim wraps around, so rolling a
//! [1000, 1000] matrix along dim 1 is two copies per row, spread over the
//! pool, with no zeroed output first.

use super::runs::filled_by_runs;
use super::{CpuStorage, IntoStorage};
use crate::dtype::Element;

/// The contiguous `shape` elements of `x` from `offset`, each dim `d`
/// rolled by `shifts[d]` (in `0..shape[d]`).
pub fn rolled(x: &CpuStorage, offset: usize, shape: &[usize], shifts: &[usize]) -> CpuStorage {
    fn go<T: Element>(x: &[T], shape: &[usize], shifts: &[usize]) -> Vec<T> {
        let len = crate::shape::numel(shape);
        let x = &x[..len];
        let Some(last) = shifts.iter().rposition(|&s| s != 0) else {
            return filled_by_runs(len, |pos| &x[pos..]);
        };
        // the dims after the innermost rolled one stay whole in every run
        let inner: usize = shape[last + 1..].iter().product();
        let (n, s) = (shape[last], shifts[last]);
        filled_by_runs(len, |pos| {
            let (q, r) = (pos / inner, pos % inner);
            let mut rest = q;
            let (mut from, mut scale) = (0, 1);
            for d in (0..=last).rev() {
                let c = rest % shape[d];
                rest /= shape[d];
                from += (c + shape[d] - shifts[d]) % shape[d] * scale;
                scale *= shape[d];
            }
            // along the innermost rolled dim, the run goes on to where its
            // source wraps: the dim's end, or the shift
            let c = q % n;
            let end = if c >= s { n } else { s };
            let start = from * inner + r;
            &x[start..start + (end - c) * inner - r]
        })
    }
    crate::with_cpu!(x, b => go(&b.as_slice()[offset..], shape, shifts).into_storage())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolls_match_coordinate_arithmetic() {
        let shape = [3, 4, 5];
        let x: Vec<f64> = (0..60).map(|v| v as f64).collect();
        for shifts in [
            [0, 0, 0],
            [1, 0, 0],
            [0, 3, 0],
            [0, 0, 2],
            [2, 1, 4],
            [1, 3, 0],
        ] {
            let CpuStorage::F64(out) = rolled(&x.clone().into_storage(), 0, &shape, &shifts) else {
                panic!("dtype changed");
            };
            for (pos, &v) in out.as_slice().iter().enumerate() {
                let c = [pos / 20, pos / 5 % 4, pos % 5];
                let from: Vec<usize> = (0..3)
                    .map(|d| (c[d] + shape[d] - shifts[d]) % shape[d])
                    .collect();
                assert_eq!(
                    v,
                    (from[0] * 20 + from[1] * 5 + from[2]) as f64,
                    "{shifts:?} at {pos}"
                );
            }
        }
    }
}
