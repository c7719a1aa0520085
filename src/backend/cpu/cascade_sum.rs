//! Float sums in PyTorch's order, so a loss, a mean or a bias gradient is
//! the same float PyTorch prints.
//!
//! PyTorch's CPU sum (`cascade_sum` in ATen's SumKernel.cpp) accumulates in
//! the tensor's own type. A contiguous run of elements is read as SIMD
//! vectors (32 bytes, also on AVX-512 CPUs) into four interleaved accumulators,
//! each a four-level cascade whose level 0 is flushed upward every 16
//! loads (more for runs over 2^20), so rounding error grows with the
//! logarithm of the length rather than linearly. The lanes are added last,
//! after the leftover scalars. Columns reduced across rows (`sum(0)`) use
//! the same cascade per block of columns; a full reduction over 32,768
//! elements is split across the threads and their partial sums added in
//! thread order. Each function below mirrors one of those loops; the
//! layouts they cover are those `cascade` recognises, and the Python tests
//! compare them bit for bit with recorded PyTorch sums.

use crate::backend::cpu::float::Float;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Elements below which a full reduction runs on one thread (ATen's
/// GRAIN_SIZE).
const GRAIN_SIZE: usize = 32768;

/// The thread count long sums are split across as PyTorch would split
/// them (0 = not set: PyTorch's default).
static SPLIT_THREADS: AtomicUsize = AtomicUsize::new(0);

/// How many threads PyTorch would split a long sum across: the count given
/// to `set_num_threads`, else OMP_NUM_THREADS, else the physical cores
/// (PyTorch's defaults). The pool that runs autorust's kernels is sized
/// apart (rayon's rule); this count only decides the order of additions.
pub fn split_threads() -> usize {
    match SPLIT_THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = default_threads();
            SPLIT_THREADS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// `torch.set_num_threads(n)`: long sums split as PyTorch's would on `n`
/// threads.
pub fn set_split_threads(n: usize) {
    SPLIT_THREADS.store(n.max(1), Ordering::Relaxed);
}

fn default_threads() -> usize {
    if let Some(n) = std::env::var("OMP_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return n;
    }
    physical_cores().unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Distinct (package, core) pairs of the online CPUs, from Linux's sysfs.
fn physical_cores() -> Option<usize> {
    let mut cores = std::collections::HashSet::new();
    for entry in std::fs::read_dir("/sys/devices/system/cpu").ok()? {
        let path = entry.ok()?.path();
        let name = path.file_name()?.to_str()?.to_owned();
        if !name
            .strip_prefix("cpu")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            continue;
        }
        let read = |f: &str| std::fs::read_to_string(path.join("topology").join(f)).ok();
        if let (Some(package), Some(core)) = (read("physical_package_id"), read("core_id")) {
            cores.insert((package.trim().to_owned(), core.trim().to_owned()));
        }
    }
    (!cores.is_empty()).then_some(cores.len())
}

/// A running sum: one float, or one SIMD vector of them.
pub trait Acc: Copy {
    fn empty() -> Self;
    fn plus(self, other: Self) -> Self;
}

macro_rules! scalar_acc {
    ($($t:ty),*) => {$(
        impl Acc for $t {
            #[inline(always)]
            fn empty() -> Self {
                0.0
            }
            #[inline(always)]
            fn plus(self, other: Self) -> Self {
                self + other
            }
        }
    )*};
}

scalar_acc!(f32, f64);

/// `L` floats added lane by lane, as one of ATen's `Vectorized` values.
#[derive(Clone, Copy)]
pub struct Lanes<F, const L: usize>([F; L]);

impl<F: Float, const L: usize> Lanes<F, L> {
    #[inline(always)]
    fn load(x: &[F]) -> Self {
        let mut v = [zero::<F>(); L];
        v.copy_from_slice(&x[..L]);
        Lanes(v)
    }
}

impl<F: Float, const L: usize> Acc for Lanes<F, L> {
    #[inline(always)]
    fn empty() -> Self {
        Lanes([zero::<F>(); L])
    }
    #[inline(always)]
    fn plus(self, other: Self) -> Self {
        let mut v = self.0;
        for (a, b) in v.iter_mut().zip(other.0) {
            *a = *a + b;
        }
        Lanes(v)
    }
}

/// +0 of the tensor's type (the name `zero` alone is also `Acc`'s).
#[inline(always)]
fn zero<F: Float>() -> F {
    <F as crate::dtype::Element>::zero()
}

/// ATen's `CeilLog2` (1 for sizes up to 2).
fn ceil_log2(x: usize) -> usize {
    if x <= 2 {
        1
    } else {
        (usize::BITS - (x - 1).leading_zeros()) as usize
    }
}

/// `R` interleaved cascades over `size` rows: `load(i, k)` is row i of
/// accumulator k (ATen's `multi_row_sum`).
#[inline(always)]
fn multi_row_sum<A: Acc, const R: usize>(size: usize, load: impl Fn(usize, usize) -> A) -> [A; R] {
    const LEVELS: usize = 4;
    let level_power = (ceil_log2(size) / LEVELS).max(4);
    let level_step = 1usize << level_power;
    let level_mask = level_step - 1;
    let mut acc = [[A::empty(); R]; LEVELS];
    let mut i = 0;
    while i + level_step <= size {
        for _ in 0..level_step {
            for (k, a) in acc[0].iter_mut().enumerate() {
                *a = a.plus(load(i, k));
            }
            i += 1;
        }
        for j in 1..LEVELS {
            #[allow(clippy::needless_range_loop)] // two rows of acc, one index
            for k in 0..R {
                acc[j][k] = acc[j][k].plus(acc[j - 1][k]);
                acc[j - 1][k] = A::empty();
            }
            if i & (level_mask << (j * level_power)) != 0 {
                break;
            }
        }
    }
    while i < size {
        for (k, a) in acc[0].iter_mut().enumerate() {
            *a = a.plus(load(i, k));
        }
        i += 1;
    }
    // Below one level step the upper levels were never written: they hold
    // +0, and adding +0 changes no sum (an accumulator that starts at +0
    // is never -0), so skipping them is exact.
    if size < level_step {
        return acc[0];
    }
    for j in 1..LEVELS {
        #[allow(clippy::needless_range_loop)] // two rows of acc, one index
        for k in 0..R {
            acc[0][k] = acc[0][k].plus(acc[j][k]);
        }
    }
    acc[0]
}

/// One cascade over `size` values read four at a time into four
/// accumulators, the leftovers added to the first (ATen's `row_sum`).
#[inline(always)]
fn row_sum<A: Acc>(size: usize, load: impl Fn(usize) -> A) -> A {
    let size_ilp = size / 4;
    let mut p = multi_row_sum::<A, 4>(size_ilp, |i, k| load(i * 4 + k));
    for i in size_ilp * 4..size {
        p[0] = p[0].plus(load(i));
    }
    if size_ilp > 0 {
        // (otherwise p[1..] are untouched +0s, as in multi_row_sum)
        for k in 1..4 {
            p[0] = p[0].plus(p[k]);
        }
    }
    p[0]
}

/// The sum of a contiguous run (ATen's `vectorized_inner_sum` for one
/// output; `scalar_inner_sum` when the run is shorter than a vector).
#[inline(always)]
fn inner_sum<F: Float + Acc, const L: usize>(row: &[F]) -> F {
    if row.len() < L {
        return row_sum(row.len(), |i| row[i]);
    }
    let vectors = row.len() / L;
    let v = row_sum(vectors, |i| Lanes::<F, L>::load(&row[i * L..]));
    let mut total = zero::<F>();
    for &x in &row[vectors * L..] {
        total = total + x;
    }
    for lane in v.0 {
        total = total + lane;
    }
    total
}

/// Sums of columns `range` of a contiguous `[rows, width]` block (ATen's
/// `vectorized_outer_sum`, or `scalar_outer_sum` below one vector of
/// columns).
#[inline(always)]
fn outer_sum<F: Float + Acc, const L: usize>(
    x: &[F],
    rows: usize,
    width: usize,
    range: Range<usize>,
    out: &mut [F],
) {
    let at = |i: usize, j: usize| i * width + j;
    let (first, cols) = (range.start, range.end);
    let mut j = first;
    if cols - first >= L {
        while j + 4 * L <= cols {
            let sums =
                multi_row_sum::<Lanes<F, L>, 4>(rows, |i, k| Lanes::load(&x[at(i, j + k * L)..]));
            for (k, s) in sums.iter().enumerate() {
                out[j - first + k * L..j - first + (k + 1) * L].copy_from_slice(&s.0);
            }
            j += 4 * L;
        }
        while j + L <= cols {
            let s = row_sum(rows, |i| Lanes::<F, L>::load(&x[at(i, j)..]));
            out[j - first..j - first + L].copy_from_slice(&s.0);
            j += L;
        }
    } else {
        while j + 4 <= cols {
            let sums = multi_row_sum::<F, 4>(rows, |i, k| x[at(i, j + k)]);
            out[j - first..j - first + 4].copy_from_slice(&sums);
            j += 4;
        }
    }
    while j < cols {
        out[j - first] = row_sum(rows, |i| x[at(i, j)]);
        j += 1;
    }
    // ATen adds each result to the zero-filled output
    out.iter_mut().for_each(|o| *o = zero::<F>() + *o);
}

/// A contiguous reduced block, as TensorIterator presents it to the sum
/// loop once size-1 dims are dropped: `[outer, kept, inner]` with `outer`
/// and `inner` reduced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Blocks {
    pub outer: usize,
    pub kept: usize,
    pub inner: usize,
}

/// One piece of a sum, run by one thread with the CPU's best instructions.
#[derive(Clone)]
pub enum Job {
    /// The sum of the whole slice.
    Run,
    /// Outputs `kept` (a range) of `[outer, kept, inner]` blocks, inner > 1:
    /// each adds the sums of its `outer` runs in order.
    Runs { b: Blocks, kept: Range<usize> },
    /// Columns `cols` (a range) of a `[rows, width]` block.
    Columns {
        rows: usize,
        width: usize,
        cols: Range<usize>,
    },
}

impl Job {
    /// Writes the piece's sums into `out` (one per output it covers).
    #[inline(always)]
    fn run<F: Float + Acc, const L: usize>(self, x: &[F], out: &mut [F]) {
        match self {
            Job::Run => {
                if let Some(o) = out.first_mut() {
                    *o = inner_sum::<F, L>(x);
                }
            }
            Job::Runs { b, kept } => {
                for (o, k) in out.iter_mut().zip(kept) {
                    *o = (0..b.outer).fold(zero::<F>(), |acc, i| {
                        let start = (i * b.kept + k) * b.inner;
                        acc + inner_sum::<F, L>(&x[start..start + b.inner])
                    });
                }
            }
            Job::Columns { rows, width, cols } => outer_sum::<F, L>(x, rows, width, cols, out),
        }
    }

    /// How many outputs the piece writes.
    fn outputs(&self) -> usize {
        match self {
            Job::Run => 1,
            Job::Runs { kept, .. } => kept.len(),
            Job::Columns { cols, .. } => cols.len(),
        }
    }
}

/// A piece's signature: sums of `x` as the job describes, into `out`.
pub type Kernel<F> = fn(&[F], Job, &mut [F]);

// PyTorch's sum kernel is registered without its AVX-512 build, so even
// on AVX-512 CPUs it runs the AVX2 one: 32-byte vectors, whatever the CPU
// (measured: PyTorch 2.15 on an AVX-512 EPYC sums as 8 float lanes).
crate::backend::cpu::simd::multiversion! {
    pub fn job_f32<>(x: &[f32], job: Job, out: &mut [f32]) where [] {
        job.run::<f32, 8>(x, out)
    }
}

crate::backend::cpu::simd::multiversion! {
    pub fn job_f64<>(x: &[f64], job: Job, out: &mut [f64]) where [] {
        job.run::<f64, 4>(x, out)
    }
}

/// `[begin, end)` pieces of `0..n` as `at::parallel_for(0, n, grain)`
/// hands them to `threads` threads.
fn parallel_for_ranges(n: usize, grain: usize, threads: usize) -> Vec<Range<usize>> {
    let used = threads.min(n.div_ceil(grain.max(1))).max(1);
    let chunk = n.div_ceil(used).max(1);
    (0..n)
        .step_by(chunk)
        .map(|b| b..(b + chunk).min(n))
        .collect()
}

/// The sums of `x` laid out as `b`, split across threads as ATen splits
/// them (which, for column sums, decides which columns are summed
/// together), each piece run by `kernel`.
pub fn sum_blocks<F: Float + Acc>(x: &[F], b: Blocks, threads: usize, kernel: Kernel<F>) -> Vec<F> {
    let parallel = x.len() >= GRAIN_SIZE && threads > 1;
    let one = |x: &[F]| {
        let mut s = [zero::<F>()];
        kernel(x, Job::Run, &mut s);
        s[0]
    };
    if b.kept == 1 && b.outer == 1 {
        // a full reduction: one run, or one per thread whose partial sums
        // (in a zeroed buffer of `threads` entries) are then summed
        if !parallel {
            return vec![zero::<F>() + one(x)];
        }
        let mut partials = vec![zero::<F>(); threads];
        let pieces = parallel_for_ranges(x.len(), GRAIN_SIZE, threads);
        let sums: Vec<F> = pieces.into_par_iter().map(|r| one(&x[r])).collect();
        for (p, s) in partials.iter_mut().zip(sums) {
            *p = zero::<F>() + s;
        }
        return vec![zero::<F>() + one(&partials)];
    }
    let columns = b.inner == 1;
    let outputs = b.kept;
    let pieces = if parallel {
        let mut r = parallel_for_ranges(outputs, 1, threads);
        if columns {
            // ATen rounds each thread's columns to 128 bytes
            let multiple = 128 / std::mem::size_of::<F>();
            let round = |c: usize| if c == outputs { c } else { c - c % multiple };
            r = r
                .into_iter()
                .map(|p| round(p.start)..round(p.end))
                .filter(|p| !p.is_empty())
                .collect();
        }
        r
    } else {
        vec![Range {
            start: 0,
            end: outputs,
        }]
    };
    let job = |kept: Range<usize>| {
        if columns {
            Job::Columns {
                rows: b.outer,
                width: b.kept,
                cols: kept,
            }
        } else {
            Job::Runs { b, kept }
        }
    };
    // every piece writes its own consecutive run of the one output (the
    // pieces cover 0..outputs in order): no per-piece vectors joined
    // afterwards (that copy and their zeroing were a third of a wide
    // column sum's time)
    let mut out = vec![zero::<F>(); outputs];
    let mut slots: Vec<(Job, &mut [F])> = Vec::with_capacity(pieces.len());
    let mut rest = &mut out[..];
    for p in pieces {
        let piece = job(p);
        let len = piece.outputs().min(rest.len());
        let (slot, tail) = std::mem::take(&mut rest).split_at_mut(len);
        slots.push((piece, slot));
        rest = tail;
    }
    if let [(piece, slot)] = &mut slots[..] {
        // one piece: on this thread, without a pool entry
        kernel(x, piece.clone(), slot);
    } else {
        slots
            .into_par_iter()
            .for_each(|(piece, slot)| kernel(x, piece, slot));
    }
    out
}

/// The `[outer, kept, inner]` blocks of a contiguous `shape` reduced over
/// `dims`, once size-1 dims are dropped; None when the reduced dims are not
/// a leading and/or trailing run around one kept run.
pub fn blocks(shape: &[usize], dims: &[usize]) -> Option<Blocks> {
    let sized: Vec<(usize, bool)> = shape
        .iter()
        .enumerate()
        .filter(|&(_, &s)| s != 1)
        .map(|(d, &s)| (s, dims.contains(&d)))
        .collect();
    let lead = sized.iter().take_while(|(_, r)| *r).count();
    let trail = sized.iter().rev().take_while(|(_, r)| *r).count();
    if lead == sized.len() {
        let n = sized.iter().map(|(s, _)| s).product();
        return Some(Blocks {
            outer: 1,
            kept: 1,
            inner: n,
        });
    }
    let middle = &sized[lead..sized.len() - trail];
    if middle.iter().any(|(_, r)| *r) {
        return None;
    }
    let product = |s: &[(usize, bool)]| s.iter().map(|(n, _)| n).product::<usize>();
    Some(Blocks {
        outer: product(&sized[..lead]),
        kept: product(middle),
        inner: product(&sized[sized.len() - trail..]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_recognise_leading_trailing_and_full_reductions() {
        let b = |outer, kept, inner| Some(Blocks { outer, kept, inner });
        assert_eq!(blocks(&[4, 5], &[1]), b(1, 4, 5));
        assert_eq!(blocks(&[4, 5], &[0]), b(4, 5, 1));
        assert_eq!(blocks(&[2, 3, 4, 5], &[0, 2, 3]), b(2, 3, 20));
        assert_eq!(blocks(&[2, 3, 4, 5], &[0, 1, 2, 3]), b(1, 1, 120));
        assert_eq!(blocks(&[2, 1, 4], &[0, 2]), b(1, 1, 8));
        assert_eq!(blocks(&[2, 3, 4, 5], &[0, 2]), None);
    }

    #[test]
    fn ceil_log2_is_atens() {
        assert_eq!(ceil_log2(2), 1);
        assert_eq!(ceil_log2(16), 4);
        assert_eq!(ceil_log2(17), 5);
        assert_eq!(ceil_log2(1 << 20), 20);
    }

    #[test]
    fn column_and_run_sums_add_every_element() {
        let x: Vec<f32> = (0..7 * 45).map(|i| (i % 11) as f32).collect();
        let mut cols = vec![0.0; 45];
        outer_sum::<f32, 8>(&x, 7, 45, 0..45, &mut cols);
        for (j, c) in cols.iter().enumerate() {
            assert_eq!(*c, (0..7).map(|i| x[i * 45 + j]).sum::<f32>());
        }
        assert_eq!(
            sum_blocks(
                &x,
                Blocks {
                    outer: 1,
                    kept: 1,
                    inner: x.len()
                },
                2,
                job_f32
            ),
            vec![x.iter().sum::<f32>()]
        );
    }
}
