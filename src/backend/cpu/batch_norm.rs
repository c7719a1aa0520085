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
    let sums: Vec<(f64, f64)> = per_channel(sh, |ch| {
        let (mut with_x, mut plain) = (0.0, 0.0);
        for (a, b) in sh.blocks(ch) {
            let (gx, gs) = lanes::scaled_sums_f64(&g[a..b], None, &x[a..b]);
            with_x += gx;
            plain += gs;
        }
        (plain, with_x - mean[ch].to_f64() * plain)
    });
    let input = need_input.then(|| {
        let mut dx = vec![F::zero(); x.len()];
        let block = |(i, (db, (gb, xb))): (usize, (&mut [F], (&[F], &[F])))| {
            let ch = i % sh.c;
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
            let coef = [is * w, k, shift, mean[ch].to_f64()].map(F::from_f64);
            backward_block(db, gb, xb, coef)
        };
        let s = sh.s.max(1);
        if x.len() >= super::PAR_THRESHOLD {
            dx.par_chunks_mut(s)
                .zip(g.par_chunks(s).zip(x.par_chunks(s)))
                .enumerate()
                .for_each(block);
        } else {
            dx.chunks_mut(s)
                .zip(g.chunks(s).zip(x.chunks(s)))
                .enumerate()
                .for_each(block);
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

multiversion! {
    pub fn backward_block<F>(dx: &mut [F], g: &[F], x: &[F], coef: [F; 4]) where [F: Float] {
        let [scale, k, shift, mean] = coef;
        for ((o, &gv), &xv) in dx.iter_mut().zip(g).zip(x) {
            *o = (gv - shift - (xv - mean) * k) * scale;
        }
    }
}
