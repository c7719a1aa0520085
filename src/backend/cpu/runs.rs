//! Filling a fresh output from runs of source elements (concatenation,
//! row selection): the output is cut into pieces of equal length, each
//! piece copied on its own task, so the copy spreads over the pool however
//! the runs fall (one long row of `cat` along dim 0 used to be one task).
//! The output is written without being zeroed first.

use rayon::prelude::*;
use std::mem::MaybeUninit;

use super::PAR_THRESHOLD;
use crate::dtype::Element;

/// Elements per task: big enough that a task outweighs its scheduling.
const PIECE: usize = 1 << 16;

/// A vector of `len` elements where output position `pos` takes its
/// elements from `run_at(pos)`: the source run that starts at `pos`'s
/// element and ends where its run (row, block) ends. Every run must be
/// non-empty and the runs must cover `len`.
pub fn filled_by_runs<'a, T, R>(len: usize, run_at: R) -> Vec<T>
where
    T: Element + 'a,
    R: Fn(usize) -> &'a [T] + Sync,
{
    let mut out: Vec<T> = Vec::with_capacity(len);
    let fill = |(k, piece): (usize, &mut [MaybeUninit<T>])| {
        let (start, end) = (k * PIECE, k * PIECE + piece.len());
        let mut pos = start;
        while pos < end {
            let run = run_at(pos);
            if run.is_empty() {
                // a caller's broken promise: still no slot left unwritten
                piece[pos - start].write(T::zero());
                pos += 1;
                continue;
            }
            let take = run.len().min(end - pos);
            piece[pos - start..pos - start + take].write_copy_of_slice(&run[..take]);
            pos += take;
        }
    };
    let spare = &mut out.spare_capacity_mut()[..len];
    if len >= PAR_THRESHOLD {
        spare.par_chunks_mut(PIECE).enumerate().for_each(fill);
    } else {
        spare.chunks_mut(PIECE).enumerate().for_each(fill);
    }
    // Safety: the pieces cover all `len` slots and each wrote its own.
    unsafe { out.set_len(len) };
    out
}
