//! Batch normalisation over [N, C, S] contiguous data (S the product of the
//! spatial dims), per channel: the statistics of a channel's N blocks of S
//! elements accumulate in f64 lanes (`lanes`, through the multiversioned entry points in `simd`), each channel on its own
//! rayon task (a fixed order, so results do not depend on the thread
//! count); the elementwise passes run per (n, c) block, in PyTorch's
//! order: y = (x - mean) * invstd * w + b.

use super::norm::Affine;
use super::simd::{self, multiversion};
use crate::backend::cpu::float::Float;
use rayon::prelude::*;
use std::mem::MaybeUninit;

#[derive(Clone, Copy)]
pub struct ChannelShape {
    pub n: usize,
    pub c: usize,
    pub s: usize,
}

impl ChannelShape {
    fn numel(&self) -> usize {
        self.n * self.c * self.s
    }
    /// The blocks of channel `ch`: (start, end) of each sample's S elements.
    fn blocks(&self, ch: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.n).map(move |i| {
            let at = (i * self.c + ch) * self.s;
            (at, at + self.s)
        })
    }
}

fn per_channel<R: Send>(sh: &ChannelShape, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    if sh.numel() >= super::PAR_THRESHOLD {
        (0..sh.c).into_par_iter().map(f).collect()
    } else {
        (0..sh.c).map(f).collect()
    }
}

/// Each channel's mean and biased variance (two passes, in f64).
pub fn stats<F: Float>(x: &[F], sh: &ChannelShape) -> (Vec<f64>, Vec<f64>) {
    let count = (sh.n * sh.s) as f64;
    if sh.s == 1 {
        let mean: Vec<f64> = by_column(sh, |cols, acc| {
            in_row_groups(x, sh, &cols, |group| match group {
                [row] => add_row(acc, row),
                four => add_rows(acc, four),
            })
        })
        .into_iter()
        .map(|v| v / count)
        .collect();
        let var = by_column(sh, |cols, acc| {
            let mean = &mean[cols.clone()];
            in_row_groups(x, sh, &cols, |group| match group {
                [row] => add_sq_dev_row(acc, row, mean),
                four => add_sq_dev_rows(acc, four, mean),
            })
        })
        .into_iter()
        .map(|v| v / count)
        .collect();
        return (mean, var);
    }
    per_channel(sh, |ch| {
        let mean = sh
            .blocks(ch)
            .map(|(a, b)| simd::sum_f64(&x[a..b]))
            .sum::<f64>()
            / count;
        let var = sh
            .blocks(ch)
            .map(|(a, b)| simd::sum_sq_dev_f64(&x[a..b], mean))
            .sum::<f64>()
            / count;
        (mean, var)
    })
    .into_iter()
    .unzip()
}

/// y = (x - mean[c]) * invstd[c] * w[c] + b[c].
pub fn normalize<F: Float>(
    x: &[F],
    sh: &ChannelShape,
    mean: &[F],
    invstd: &[F],
    affine: Affine<'_, F>,
) -> Vec<F> {
    if sh.s == 1 {
        // per channel arrays, and one pass per [C] row
        let w: Vec<F> = (0..sh.c)
            .map(|ch| affine.weight.map_or(F::one(), |w| w[ch]))
            .collect();
        let b: Vec<F> = (0..sh.c)
            .map(|ch| affine.bias.map_or(F::zero(), |b| b[ch]))
            .collect();
        // Safety: normalize_row writes every element of its row of y.
        return unsafe {
            fresh_by_blocks(sh.c, x, x, |_, yr, xr, _| {
                normalize_row(yr, xr, mean, invstd, &w, &b)
            })
        };
    }
    // Safety: normalize_block writes every element of its block of y.
    unsafe {
        fresh_by_blocks(sh.s, x, x, |i, yb, xb, _| {
            let ch = i % sh.c;
            let w = affine.weight.map_or(F::one(), |w| w[ch]);
            let b = affine.bias.map_or(F::zero(), |b| b[ch]);
            normalize_block(yb, xb, mean[ch], invstd[ch], w, b)
        })
    }
}

multiversion! {
    pub fn normalize_block<F>(y: &mut [MaybeUninit<F>], x: &[F], mean: F, invstd: F, w: F, b: F) where [F: Float] {
        for (o, &v) in y.iter_mut().zip(x) {
            o.write((v - mean) * invstd * w + b);
        }
    }
}

/// The gradients of a batch norm: the input's (if wanted), the weight's and
/// the bias's (per channel).
pub struct BatchNormGrads<F> {
    pub input: Option<Vec<F>>,
    pub weight: Vec<F>,
    pub bias: Vec<F>,
}

/// Backward for the output gradient `g`. `training`: the statistics were
/// the batch's own (their dependence on x enters the input's gradient);
/// else they were constants (running statistics).
#[allow(clippy::too_many_arguments)]
pub fn backward<F: Float>(
    g: &[F],
    x: &[F],
    sh: &ChannelShape,
    mean: &[F],
    invstd: &[F],
    weight: Option<&[F]>,
    training: bool,
    need_input: bool,
) -> BatchNormGrads<F> {
    let count = (sh.n * sh.s) as f64;
    // per channel: sum(g) and sum(g (x - mean))
    let sums: Vec<(f64, f64)> = if sh.s == 1 {
        // both sums in one pass over g and x: [sum(g), sum(g x)] per channel
        let both = by_columns(sh, 2, |cols, acc| {
            let (plain, with_x) = acc.split_at_mut(cols.len());
            let x_rows: Vec<&[F]> = rows(x, sh, &cols).collect();
            let g_rows: Vec<&[F]> = rows(g, sh, &cols).collect();
            let groups = g_rows
                .chunks_exact(ROW_GROUP)
                .zip(x_rows.chunks_exact(ROW_GROUP));
            for (gs, xs) in groups {
                add_sums_and_products(plain, with_x, gs, xs);
            }
            let done = sh.n - sh.n % ROW_GROUP;
            for (gr, xr) in g_rows[done..].iter().zip(&x_rows[done..]) {
                add_sum_and_product_row(plain, with_x, gr, xr);
            }
        });
        (0..sh.c)
            .map(|ch| {
                let (plain, with_x) = (both[0][ch], both[1][ch]);
                (plain, with_x - mean[ch].to_f64() * plain)
            })
            .collect()
    } else {
        per_channel_sums(g, x, sh, mean)
    };
    let input = need_input.then(|| {
        let coef = |ch: usize| {
            let w = weight.map_or(1.0, |w| w[ch].to_f64());
            let is = invstd[ch].to_f64();
            let (sum_g, dotp) = sums[ch];
            // dx = (g - mean(g) - (x - mean) * dotp * invstd^2 / count) * invstd * w
            // with the batch's statistics; g * invstd * w with constants
            let (k, shift) = if training {
                (dotp * is * is / count, sum_g / count)
            } else {
                (0.0, 0.0)
            };
            [is * w, k, shift, mean[ch].to_f64()].map(F::from_f64)
        };
        if sh.s == 1 {
            // one array per coefficient, so the row loop vectorises
            let per: Vec<[F; 4]> = (0..sh.c).map(coef).collect();
            let coefs: [Vec<F>; 4] = std::array::from_fn(|j| per.iter().map(|c| c[j]).collect());
            // Safety: backward_row writes every element of its row of dx.
            return unsafe {
                fresh_by_blocks(sh.c, g, x, |_, dr, gr, xr| backward_row(dr, gr, xr, &coefs))
            };
        }
        // Safety: backward_block writes every element of its block of dx.
        unsafe {
            fresh_by_blocks(sh.s, g, x, |i, db, gb, xb| {
                backward_block(db, gb, xb, coef(i % sh.c))
            })
        }
    });
    BatchNormGrads {
        input,
        weight: sums
            .iter()
            .zip(invstd)
            .map(|(&(_, dotp), &is)| F::from_f64(dotp * is.to_f64()))
            .collect(),
        bias: sums.iter().map(|&(sum_g, _)| F::from_f64(sum_g)).collect(),
    }
}

/// Per channel sum(g) and sum(g (x - mean)) over its blocks.
fn per_channel_sums<F: Float>(g: &[F], x: &[F], sh: &ChannelShape, mean: &[F]) -> Vec<(f64, f64)> {
    per_channel(sh, |ch| {
        let (mut with_x, mut plain) = (0.0, 0.0);
        for (a, b) in sh.blocks(ch) {
            let (gx, gs) = simd::scaled_sums_f64(&g[a..b], &x[a..b]);
            with_x += gx;
            plain += gs;
        }
        (plain, with_x - mean[ch].to_f64() * plain)
    })
}

multiversion! {
    pub fn backward_block<F>(dx: &mut [MaybeUninit<F>], g: &[F], x: &[F], coef: [F; 4]) where [F: Float] {
        let [scale, k, shift, mean] = coef;
        for ((o, &gv), &xv) in dx.iter_mut().zip(g).zip(x) {
            o.write((gv - shift - (xv - mean) * k) * scale);
        }
    }
}

// ---- [N, C] inputs (S = 1): a channel is a column, so each pass walks the
// rows, vectorised across the channels; column ranges run in parallel and
// every channel still accumulates its rows in order ----

/// Columns per task: rows of this many f64 accumulators stay in L1.
const COLUMNS_PER_TASK: usize = 256;

/// The rows of `x` ([N, C]) restricted to `cols`.
fn rows<'a, F>(
    x: &'a [F],
    sh: &ChannelShape,
    cols: &std::ops::Range<usize>,
) -> impl Iterator<Item = &'a [F]> + 'a {
    let (c, cols) = (sh.c, cols.clone());
    (0..sh.n).map(move |i| &x[i * c + cols.start..i * c + cols.end])
}

/// Rows added per pass over the accumulators: each pass loads and stores
/// the f64 accumulators once for this many rows (the pass is bound by
/// those loads and stores, not by the adds). Every channel still adds its
/// rows one at a time, in order, so the sums do not change.
const ROW_GROUP: usize = 4;

/// Calls `f` with each group of `ROW_GROUP` consecutive rows of `x`
/// (restricted to `cols`), then with each row left over as a group of one,
/// in order.
fn in_row_groups<'a, F>(
    x: &'a [F],
    sh: &ChannelShape,
    cols: &std::ops::Range<usize>,
    mut f: impl FnMut(&[&'a [F]]),
) {
    let all: Vec<&[F]> = rows(x, sh, cols).collect();
    let mut groups = all.chunks_exact(ROW_GROUP);
    groups.by_ref().for_each(&mut f);
    groups.remainder().chunks(1).for_each(f);
}

/// `sums` f64 sums per channel: `f(cols, acc)` fills the accumulators of
/// `cols`, `acc` holding `sums` runs of `cols.len()` (one per sum). Returns
/// each sum's accumulators over all channels.
fn by_columns(
    sh: &ChannelShape,
    sums: usize,
    f: impl Fn(std::ops::Range<usize>, &mut [f64]) + Sync,
) -> Vec<Vec<f64>> {
    let block = if sh.numel() >= super::PAR_THRESHOLD {
        COLUMNS_PER_TASK
    } else {
        sh.c.max(1)
    };
    // the accumulators of each column block stay together, so a task
    // touches one contiguous run
    let mut acc = vec![0.0; sh.c * sums];
    let run = |(k, a): (usize, &mut [f64])| {
        let start = k * block;
        f(start..start + a.len() / sums, a)
    };
    if block < sh.c {
        acc.par_chunks_mut(block * sums).enumerate().for_each(run);
    } else {
        acc.chunks_mut(block * sums).enumerate().for_each(run);
    }
    (0..sums)
        .map(|j| {
            acc.chunks(block * sums)
                .flat_map(|a| {
                    let width = a.len() / sums;
                    &a[j * width..(j + 1) * width]
                })
                .copied()
                .collect()
        })
        .collect()
}

/// One f64 sum per channel (`by_columns` with one sum).
fn by_column(sh: &ChannelShape, f: impl Fn(std::ops::Range<usize>, &mut [f64]) + Sync) -> Vec<f64> {
    by_columns(sh, 1, f).into_iter().next().unwrap_or_default()
}

/// A fresh vector of `a.len()` elements, written block by block: `f(i,
/// out, a, b)` gets the i-th `block` elements of the output and of `a` and
/// `b` (of equal length); blocks run in parallel above the threshold. The
/// output is not zeroed first.
///
/// # Safety
/// `f` must write every element of the output block it is given.
unsafe fn fresh_by_blocks<F: Float>(
    block: usize,
    a: &[F],
    b: &[F],
    f: impl Fn(usize, &mut [MaybeUninit<F>], &[F], &[F]) + Sync,
) -> Vec<F> {
    debug_assert_eq!(a.len(), b.len());
    let block = block.max(1);
    // Safety: `f` writes every element of its block (the caller's promise).
    unsafe {
        super::fresh_by_chunks(a.len(), block, |at, o| {
            let part = at..at + o.len();
            f(at / block, o, &a[part.clone()], &b[part])
        })
    }
}

multiversion! {
    pub fn add_row<F>(acc: &mut [f64], row: &[F]) where [F: Float] {
        for (a, &v) in acc.iter_mut().zip(row) {
            *a += v.to_f64();
        }
    }
}

multiversion! {
    pub fn add_rows<F>(acc: &mut [f64], four: &[&[F]]) where [F: Float] {
        let n = acc.len();
        let [r0, r1, r2, r3] = [0, 1, 2, 3].map(|k| &four[k][..n]);
        for j in 0..n {
            acc[j] = acc[j] + r0[j].to_f64() + r1[j].to_f64() + r2[j].to_f64() + r3[j].to_f64();
        }
    }
}

multiversion! {
    pub fn add_sq_dev_rows<F>(acc: &mut [f64], four: &[&[F]], mean: &[f64]) where [F: Float] {
        let n = acc.len();
        let mean = &mean[..n];
        let [r0, r1, r2, r3] = [0, 1, 2, 3].map(|k| &four[k][..n]);
        for j in 0..n {
            let sq = |v: F| {
                let d = v.to_f64() - mean[j];
                d * d
            };
            acc[j] = acc[j] + sq(r0[j]) + sq(r1[j]) + sq(r2[j]) + sq(r3[j]);
        }
    }
}

multiversion! {
    pub fn add_sums_and_products<F>(plain: &mut [f64], with_x: &mut [f64], g: &[&[F]], x: &[&[F]]) where [F: Float] {
        let n = plain.len();
        let with_x = &mut with_x[..n];
        let [g0, g1, g2, g3] = [0, 1, 2, 3].map(|k| &g[k][..n]);
        let [x0, x1, x2, x3] = [0, 1, 2, 3].map(|k| &x[k][..n]);
        for j in 0..n {
            let [a, b, c, d] = [g0[j], g1[j], g2[j], g3[j]].map(|v| v.to_f64());
            plain[j] = plain[j] + a + b + c + d;
            with_x[j] = with_x[j] + a * x0[j].to_f64() + b * x1[j].to_f64() + c * x2[j].to_f64() + d * x3[j].to_f64();
        }
    }
}

multiversion! {
    pub fn add_sq_dev_row<F>(acc: &mut [f64], row: &[F], mean: &[f64]) where [F: Float] {
        for ((a, &v), &m) in acc.iter_mut().zip(row).zip(mean) {
            let d = v.to_f64() - m;
            *a += d * d;
        }
    }
}

multiversion! {
    pub fn add_sum_and_product_row<F>(plain: &mut [f64], with_x: &mut [f64], g: &[F], x: &[F]) where [F: Float] {
        for (((p, w), &gv), &xv) in plain.iter_mut().zip(with_x.iter_mut()).zip(g).zip(x) {
            let gv = gv.to_f64();
            *p += gv;
            *w += gv * xv.to_f64();
        }
    }
}

multiversion! {
    pub fn normalize_row<F>(y: &mut [MaybeUninit<F>], x: &[F], mean: &[F], invstd: &[F], w: &[F], b: &[F]) where [F: Float] {
        let channels = mean.iter().zip(invstd).zip(w.iter().zip(b));
        for ((o, &v), ((&m, &is), (&wc, &bc))) in y.iter_mut().zip(x).zip(channels) {
            o.write((v - m) * is * wc + bc);
        }
    }
}

multiversion! {
    pub fn backward_row<F>(dx: &mut [MaybeUninit<F>], g: &[F], x: &[F], coefs: &[Vec<F>; 4]) where [F: Float] {
        let [scale, k, shift, mean] = coefs;
        let channels = scale.iter().zip(k).zip(shift.iter().zip(mean));
        for (((o, &gv), &xv), ((&sc, &kc), (&sh, &m))) in dx.iter_mut().zip(g).zip(x).zip(channels) {
            o.write((gv - sh - (xv - m) * kc) * sc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values with no exact f64 sums, so a changed order would show.
    fn data(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 1000) as f32 / 7.3 - 60.0
            })
            .collect()
    }

    #[test]
    fn row_groups_keep_each_channels_sums_in_row_order() {
        // more channels than one column block, rows not a multiple of the group,
        // and enough elements for the parallel path
        for (n, c) in [(7, 300), (1030, 70), (3, 5)] {
            let sh = ChannelShape { n, c, s: 1 };
            let (x, g) = (data(n * c, 1), data(n * c, 2));
            let (mean, var) = stats(&x, &sh);
            let mean32: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
            let invstd: Vec<f32> = var
                .iter()
                .map(|&v| (1.0 / (v + 1e-5).sqrt()) as f32)
                .collect();
            let grads = backward(&g, &x, &sh, &mean32, &invstd, None, true, false);
            for ch in 0..c {
                let column = |t: &[f32]| (0..n).map(|i| t[i * c + ch] as f64).collect::<Vec<_>>();
                let (xc, gc) = (column(&x), column(&g));
                let m = xc.iter().fold(0.0, |a, &v| a + v) / n as f64;
                let v = xc.iter().fold(0.0, |a, &v| a + (v - m) * (v - m)) / n as f64;
                assert_eq!((mean[ch], var[ch]), (m, v), "channel {ch} of [{n}, {c}]");
                let sum_g = gc.iter().fold(0.0, |a, &v| a + v);
                let with_x = gc.iter().zip(&xc).fold(0.0, |a, (&gv, &xv)| a + gv * xv);
                let dotp = with_x - mean32[ch] as f64 * sum_g;
                assert_eq!(grads.bias[ch], sum_g as f32);
                assert_eq!(grads.weight[ch], (dotp * invstd[ch] as f64) as f32);
            }
        }
    }
}
