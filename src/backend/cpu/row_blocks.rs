//! A recurrence's batch rows shared out between threads: the rows of a
//! batch never meet inside an LSTM layer, so each thread can run every time
//! step for its own block of rows with no fork and join per step. Buffers
//! laid out `[steps, n, width]` are then written by several tasks at once,
//! each only in its own rows (`RowBlocks`).

use rayon::prelude::*;

/// Batch rows per block of the recurrence: each block runs every time step
/// on its own (the rows of a batch never meet inside a layer), so a step
/// needs no fork and join; fewer rows than this per block would leave the
/// per-step GEMMs too thin.
const MIN_BLOCK_ROWS: usize = 8;

/// Runs `f(rows, serial)` for blocks of the batch rows `0..n`, one per
/// thread where each gets at least MIN_BLOCK_ROWS (then `serial`: the
/// block runs its GEMMs and cells on its own thread), else one block
/// that splits each step over the pool. Returns the results in row order.
/// The blocks never change a result: each row's sums are the same in
/// any block (the GEMM's depth slices depend on the depth alone).
pub(super) fn each_row_block<R: Send>(
    n: usize,
    f: impl Fn(std::ops::Range<usize>, bool) -> R + Sync + Send,
) -> Vec<R> {
    let blocks = rayon::current_num_threads().min(n / MIN_BLOCK_ROWS);
    if blocks <= 1 {
        return vec![f(0..n, false)];
    }
    let per = n.div_ceil(blocks);
    (0..n.div_ceil(per))
        .into_par_iter()
        .map(|b| f(b * per..((b + 1) * per).min(n), true))
        .collect()
}

/// A `[steps, n, width]` buffer whose batch rows are shared out between
/// tasks: each task reads and writes only its own rows, at every step.
#[derive(Clone, Copy)]
pub(super) struct RowBlocks<F> {
    base: *mut F,
    len: usize,
    n: usize,
    width: usize,
}

// Safety: the tasks holding copies touch disjoint rows (`each_row_block`).
unsafe impl<F: Send> Send for RowBlocks<F> {}
// Safety: as for Send; shared references only hand out those disjoint rows.
unsafe impl<F: Send> Sync for RowBlocks<F> {}

impl<F> RowBlocks<F> {
    pub(super) fn new(buf: &mut [F], n: usize, width: usize) -> Self {
        Self {
            base: buf.as_mut_ptr(),
            len: buf.len(),
            n,
            width,
        }
    }

    fn range(&self, step: usize, rows: &std::ops::Range<usize>) -> (usize, usize) {
        let start = (step * self.n + rows.start) * self.width;
        let len = rows.len() * self.width;
        assert!(start + len <= self.len, "lstm: row block out of range");
        (start, len)
    }

    /// Rows `rows` of step `step`.
    /// # Safety
    /// No task may write these rows while the slice lives.
    pub(super) unsafe fn rows<'a>(&self, step: usize, rows: &std::ops::Range<usize>) -> &'a [F] {
        let (start, len) = self.range(step, rows);
        std::slice::from_raw_parts(self.base.add(start), len)
    }

    /// Rows `rows` of step `step`, to write.
    /// # Safety
    /// No other slice of these rows may live at the same time.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn rows_mut<'a>(
        &self,
        step: usize,
        rows: &std::ops::Range<usize>,
    ) -> &'a mut [F] {
        let (start, len) = self.range(step, rows);
        std::slice::from_raw_parts_mut(self.base.add(start), len)
    }
}
