//! Batch normalisation over [N, C, S] contiguous data (S the product of the
//! spatial dims), per channel: the statistics of a channel's N blocks of S
//! elements accumulate in f64 lanes (`lanes`), each channel on its own
//! rayon task (a fixed order, so results do not depend on the thread
//! count); the elementwise passes run per (n, c) block, in PyTorch's
//! order: y = (x - mean) * invstd * w + b.

use super::lanes;
use super::norm::Affine;
use super::simd::multiversion;
use crate::dtype::Float;
use rayon::prelude::*;

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
            rows(x, sh, &cols).for_each(|row| add_row(acc, row))
        })
        .into_iter()
        .map(|v| v / count)
        .collect();
        let var = by_column(sh, |cols, acc| {
            rows(x, sh, &cols).for_each(|row| add_sq_dev_row(acc, row, &mean[cols.clone()]))
        })
        .into_iter()
        .map(|v| v / count)
        .collect();
        return (mean, var);
    }
    per_channel(sh, |ch| {
        let mean = sh
            .blocks(ch)
            .map(|(a, b)| lanes::sum_f64(&x[a..b]))
            .sum::<f64>()
            / count;
        let var = sh
            .blocks(ch)
            .map(|(a, b)| lanes::sum_sq_dev_f64(&x[a..b], mean))
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
    let mut y = vec![F::zero(); x.len()];
    if sh.s == 1 {
        // per channel arrays, and one pass per [C] row
        let w: Vec<F> = (0..sh.c)
            .map(|ch| affine.weight.map_or(F::one(), |w| w[ch]))
            .collect();
        let b: Vec<F> = (0..sh.c)
            .map(|ch| affine.bias.map_or(F::zero(), |b| b[ch]))
            .collect();
        for_rows(&mut y, x, x, sh, |yr, xr, _| {
            normalize_row(yr, xr, mean, invstd, &w, &b)
        });
        return y;
    }
    let block = |(i, (yb, xb)): (usize, (&mut [F], &[F]))| {
        let ch = i % sh.c;
        let w = affine.weight.map_or(F::one(), |w| w[ch]);
        let b = affine.bias.map_or(F::zero(), |b| b[ch]);
        normalize_block(yb, xb, mean[ch], invstd[ch], w, b)
    };
    let s = sh.s.max(1);
    if x.len() >= super::PAR_THRESHOLD {
        y.par_chunks_mut(s)
            .zip(x.par_chunks(s))
            .enumerate()
            .for_each(block);
    } else {
        y.chunks_mut(s).zip(x.chunks(s)).enumerate().for_each(block);
    }
    y
}

multiversion! {
    pub fn normalize_block<F>(y: &mut [F], x: &[F], mean: F, invstd: F, w: F, b: F) where [F: Float] {
        for (o, &v) in y.iter_mut().zip(x) {
            *o = (v - mean) * invstd * w + b;
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
            rows(g, sh, &cols)
                .zip(rows(x, sh, &cols))
                .for_each(|(gr, xr)| add_sum_and_product_row(plain, with_x, gr, xr))
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
        let mut dx = vec![F::zero(); x.len()];
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
        let s = sh.s.max(1);
        if s == 1 {
            // one array per coefficient, so the row loop vectorises
            let per: Vec<[F; 4]> = (0..sh.c).map(coef).collect();
            let coefs: [Vec<F>; 4] = std::array::from_fn(|j| per.iter().map(|c| c[j]).collect());
            for_rows(&mut dx, g, x, sh, |dr, gr, xr| {
                backward_row(dr, gr, xr, &coefs)
            });
        } else if x.len() >= super::PAR_THRESHOLD {
            dx.par_chunks_mut(s)
                .zip(g.par_chunks(s).zip(x.par_chunks(s)))
                .enumerate()
                .for_each(|(i, (db, (gb, xb)))| backward_block(db, gb, xb, coef(i % sh.c)));
        } else {
            dx.chunks_mut(s)
                .zip(g.chunks(s).zip(x.chunks(s)))
                .enumerate()
                .for_each(|(i, (db, (gb, xb)))| backward_block(db, gb, xb, coef(i % sh.c)));
        }
        dx
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
            let (gx, gs) = lanes::scaled_sums_f64(&g[a..b], None, &x[a..b]);
            with_x += gx;
            plain += gs;
        }
        (plain, with_x - mean[ch].to_f64() * plain)
    })
}

multiversion! {
    pub fn backward_block<F>(dx: &mut [F], g: &[F], x: &[F], coef: [F; 4]) where [F: Float] {
        let [scale, k, shift, mean] = coef;
        for ((o, &gv), &xv) in dx.iter_mut().zip(g).zip(x) {
            *o = (gv - shift - (xv - mean) * k) * scale;
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

/// out[i] = f(out[i], a[i], b[i]) row by row (rows of C), rows in parallel.
fn for_rows<F: Float>(
    out: &mut [F],
    a: &[F],
    b: &[F],
    sh: &ChannelShape,
    f: impl Fn(&mut [F], &[F], &[F]) + Sync,
) {
    let c = sh.c.max(1);
    if out.len() >= super::PAR_THRESHOLD {
        out.par_chunks_mut(c)
            .zip(a.par_chunks(c).zip(b.par_chunks(c)))
            .with_min_len((super::PAR_THRESHOLD / 16 / c).max(1))
            .for_each(|(o, (ar, br))| f(o, ar, br));
    } else {
        out.chunks_mut(c)
            .zip(a.chunks(c).zip(b.chunks(c)))
            .for_each(|(o, (ar, br))| f(o, ar, br));
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
    pub fn normalize_row<F>(y: &mut [F], x: &[F], mean: &[F], invstd: &[F], w: &[F], b: &[F]) where [F: Float] {
        let channels = mean.iter().zip(invstd).zip(w.iter().zip(b));
        for ((o, &v), ((&m, &is), (&wc, &bc))) in y.iter_mut().zip(x).zip(channels) {
            *o = (v - m) * is * wc + bc;
        }
    }
}

multiversion! {
    pub fn backward_row<F>(dx: &mut [F], g: &[F], x: &[F], coefs: &[Vec<F>; 4]) where [F: Float] {
        let [scale, k, shift, mean] = coefs;
        let channels = scale.iter().zip(k).zip(shift.iter().zip(mean));
        for (((o, &gv), &xv), ((&sc, &kc), (&sh, &m))) in dx.iter_mut().zip(g).zip(x).zip(channels) {
            *o = (gv - sh - (xv - m) * kc) * sc;
        }
    }
}
