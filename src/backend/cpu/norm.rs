//! Layer normalisation over rows of `d` contiguous elements, forward and
//! backward each one pass per row (PyTorch's `native_layer_norm` and its
//! backward kernel). Row statistics accumulate in f64 lanes (`lanes`);
//! the elementwise parts run in the element type, in PyTorch's order:
//! y = (x - mean) * rstd * w + b. Rows go to rayon in fixed blocks, and
//! the weight and bias gradients are summed per block and then across
//! blocks in block order, so results do not depend on the thread count.

use super::lanes;
use super::simd::multiversion;
use crate::backend::cpu::float::Float;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Rows per parallel block (fixed: the blocks' partial sums are what the
/// weight gradient adds, in this order).
const BLOCK_ROWS: usize = 32;

/// The affine parameters of the normalised rows.
#[derive(Clone, Copy)]
pub struct Affine<'a, F> {
    pub weight: Option<&'a [F]>,
    pub bias: Option<&'a [F]>,
}

/// Normalises each row of `x` into `y`; returns each row's mean and
/// 1 / sqrt(var + eps) (biased variance), which backward reads.
pub fn layer_norm<F: Float>(
    x: &[F],
    d: usize,
    affine: Affine<'_, F>,
    eps: f64,
) -> (Vec<F>, Vec<F>, Vec<F>) {
    let rows = x.len().checked_div(d).unwrap_or(0);
    let mut mean = vec![F::zero(); rows];
    let mut rstd = vec![F::zero(); rows];
    if rows == 0 {
        return (vec![F::zero(); x.len()], mean, rstd);
    }
    // not zeroed first: forward_block writes every element of its rows
    let mut y: Vec<F> = Vec::with_capacity(x.len());
    let dst = &mut y.spare_capacity_mut()[..x.len()];
    let step = BLOCK_ROWS * d;
    type Block<'a, F> = (
        (&'a [F], &'a mut [MaybeUninit<F>]),
        (&'a mut [F], &'a mut [F]),
    );
    let block = |((xb, yb), (mb, rb)): Block<'_, F>| forward_block(xb, yb, mb, rb, d, affine, eps);
    if x.len() >= super::PAR_THRESHOLD {
        x.par_chunks(step)
            .zip(dst.par_chunks_mut(step))
            .zip(
                mean.par_chunks_mut(BLOCK_ROWS)
                    .zip(rstd.par_chunks_mut(BLOCK_ROWS)),
            )
            .for_each(block);
    } else {
        x.chunks(step)
            .zip(dst.chunks_mut(step))
            .zip(mean.chunks_mut(BLOCK_ROWS).zip(rstd.chunks_mut(BLOCK_ROWS)))
            .for_each(block);
    }
    // Safety: every row of y was written (rows * d = x.len()).
    unsafe { y.set_len(x.len()) };
    (y, mean, rstd)
}

multiversion! {
    pub fn forward_block<F>(x: &[F], y: &mut [MaybeUninit<F>], mean: &mut [F], rstd: &mut [F], d: usize, affine: Affine<'_, F>, eps: f64) where [F: Float] {
        for (((xr, yr), m), r) in x.chunks(d).zip(y.chunks_mut(d)).zip(mean.iter_mut()).zip(rstd.iter_mut()) {
            let mu = lanes::sum_f64(xr) / d as f64;
            let var = lanes::sum_sq_dev_f64(xr, mu) / d as f64;
            *m = F::from_f64(mu);
            *r = F::from_f64(1.0 / (var + eps).sqrt());
            let (mf, rf) = (*m, *r);
            match (affine.weight, affine.bias) {
                (Some(w), Some(b)) => {
                    for (((o, &v), &wv), &bv) in yr.iter_mut().zip(xr).zip(w).zip(b) {
                        o.write((v - mf) * rf * wv + bv);
                    }
                }
                (Some(w), None) => {
                    for ((o, &v), &wv) in yr.iter_mut().zip(xr).zip(w) {
                        o.write((v - mf) * rf * wv);
                    }
                }
                (None, Some(b)) => {
                    for ((o, &v), &bv) in yr.iter_mut().zip(xr).zip(b) {
                        o.write((v - mf) * rf + bv);
                    }
                }
                (None, None) => {
                    for (o, &v) in yr.iter_mut().zip(xr) {
                        o.write((v - mf) * rf);
                    }
                }
            }
        }
    }
}

/// The gradients of a layer norm for the output gradient `g`: the input's
/// (if `need_input`), and the weight's and bias's (if `need_affine`; the
/// weight's only where there is a weight).
pub struct LayerNormGrads<F> {
    pub input: Option<Vec<F>>,
    pub weight: Option<Vec<F>>,
    pub bias: Option<Vec<F>>,
}

/// What backward reads: the forward's input, weight and row statistics.
pub struct LayerNormSaved<'a, F> {
    pub x: &'a [F],
    pub weight: Option<&'a [F]>,
    pub mean: &'a [F],
    pub rstd: &'a [F],
}

pub fn layer_norm_backward<F: Float>(
    g: &[F],
    saved: &LayerNormSaved<'_, F>,
    d: usize,
    need_input: bool,
    need_affine: bool,
) -> LayerNormGrads<F> {
    let n = saved.x.len();
    // not zeroed first: backward_block writes every element of its rows
    let mut dx: Vec<F> = Vec::with_capacity(if need_input { n } else { 0 });
    let dst = &mut dx.spare_capacity_mut()[..if need_input { n } else { 0 }];
    let run = |(b, dxb): (usize, &mut [MaybeUninit<F>])| -> (Vec<f64>, Vec<f64>) {
        let lo = b * BLOCK_ROWS * d;
        let hi = (lo + BLOCK_ROWS * d).min(n);
        let rows = lo / d..hi / d;
        let mut sums = if need_affine {
            (vec![0.0; d], vec![0.0; d])
        } else {
            (Vec::new(), Vec::new())
        };
        backward_block(
            &g[lo..hi],
            &saved.x[lo..hi],
            saved.weight,
            &saved.mean[rows.clone()],
            &saved.rstd[rows],
            dxb,
            &mut sums,
            d,
        );
        sums
    };
    let blocks = n.div_ceil((BLOCK_ROWS * d).max(1));
    let step = (BLOCK_ROWS * d).max(1);
    let parallel = n >= super::PAR_THRESHOLD;
    let partials: Vec<(Vec<f64>, Vec<f64>)> = match (need_input, parallel) {
        (true, true) => dst.par_chunks_mut(step).enumerate().map(run).collect(),
        (true, false) => dst.chunks_mut(step).enumerate().map(run).collect(),
        (false, true) => (0..blocks)
            .into_par_iter()
            .map(|b| run((b, &mut [][..])))
            .collect(),
        (false, false) => (0..blocks).map(|b| run((b, &mut [][..]))).collect(),
    };
    if need_input {
        // Safety: every row of dx was written (the blocks cover all n).
        unsafe { dx.set_len(n) };
    }
    let (weight, bias) = if need_affine {
        let mut dw = vec![0.0f64; d];
        let mut db = vec![0.0f64; d];
        for (pw, pb) in &partials {
            for j in 0..d {
                dw[j] += pw[j];
                db[j] += pb[j];
            }
        }
        let cast = |v: Vec<f64>| v.into_iter().map(F::from_f64).collect::<Vec<F>>();
        (saved.weight.map(|_| cast(dw)), Some(cast(db)))
    } else {
        (None, None)
    };
    LayerNormGrads {
        input: need_input.then_some(dx),
        weight,
        bias,
    }
}

multiversion! {
    pub fn backward_block<F>(g: &[F], x: &[F], w: Option<&[F]>, mean: &[F], rstd: &[F], dx: &mut [MaybeUninit<F>], sums: &mut (Vec<f64>, Vec<f64>), d: usize) where [F: Float] {
        let scale = 1.0 / d as f64;
        for (i, (gr, xr)) in g.chunks(d).zip(x.chunks(d)).enumerate() {
            let (m, r) = (mean[i], rstd[i]);
            if !dx.is_empty() {
                // PyTorch's form: dx = rstd * g * w + b * x + c, with
                // ds = sum(g w x), db = sum(g w) over the row
                let (ds, db) = lanes::scaled_sums_f64(gr, w, xr);
                let (mu, rs) = (m.to_f64(), r.to_f64());
                let b = (db * mu - ds) * rs * rs * rs * scale;
                let c = -b * mu - db * rs * scale;
                let (bf, cf) = (F::from_f64(b), F::from_f64(c));
                let dxr = &mut dx[i * d..(i + 1) * d];
                match w {
                    Some(w) => {
                        for (((o, &gv), &wv), &xv) in dxr.iter_mut().zip(gr).zip(w).zip(xr) {
                            o.write(r * gv * wv + bf * xv + cf);
                        }
                    }
                    None => {
                        for ((o, &gv), &xv) in dxr.iter_mut().zip(gr).zip(xr) {
                            o.write(r * gv + bf * xv + cf);
                        }
                    }
                }
            }
            if !sums.0.is_empty() {
                for (((sw, sb), &gv), &xv) in sums.0.iter_mut().zip(sums.1.iter_mut()).zip(gr).zip(xr) {
                    *sw += (gv * ((xv - m) * r)).to_f64();
                    *sb += gv.to_f64();
                }
            }
        }
    }
}
