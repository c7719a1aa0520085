//! Scaled dot-product attention, forward and backward, one (batch, head)
//! pair at a time on rayon: per pair two GEMMs forward (scores, then the
//! weighted values) with the masked, scaled softmax between them, and the
//! score matrix is never kept: forward saves each row's log-sum-exp and
//! backward recomputes the probabilities from it (what PyTorch's CPU flash
//! attention saves). A row whose every score is masked gives zeros (its
//! log-sum-exp is -inf), as PyTorch's kernel does.

use super::matmul::gemm_serial;
use super::simd::multiversion;
use crate::backend::cpu::float::Float;
use rayon::prelude::*;

/// The sizes of one call: `pairs` (batch, head) pairs of `l` queries and
/// `s` keys of width `e`, values of width `ev`.
#[derive(Clone, Copy)]
pub struct AttentionShape {
    pub pairs: usize,
    pub heads: usize,
    pub l: usize,
    pub s: usize,
    pub e: usize,
    pub ev: usize,
    pub scale: f64,
    /// Query i attends keys 0..=i only (top-left aligned, as PyTorch).
    pub causal: bool,
}

/// An additive mask of [mask_batches, mask_heads, l, s] contiguous
/// elements: pair (b, h) reads block (b % mask_batches, h % mask_heads)
/// (each count is 1 or the full count: broadcast or not).
pub struct Mask<'a, F> {
    pub data: &'a [F],
    pub batches: usize,
    pub heads: usize,
}

impl<F> Mask<'_, F> {
    fn block(&self, pair: usize, heads: usize, l: usize, s: usize) -> &[F] {
        let (b, h) = (pair / heads, pair % heads);
        let at = ((b % self.batches) * self.heads + h % self.heads) * l * s;
        &self.data[at..at + l * s]
    }
}

/// `dst` (m x n, row stride `dst_rs`) = or += `a` (m x k) times `b` (k x n),
/// each operand at the given (row, column) strides.
#[allow(clippy::too_many_arguments)]
fn product<F: Float>(
    (m, n, k): (usize, usize, usize),
    dst: &mut [F],
    dst_rs: usize,
    accumulate: bool,
    a: &[F],
    (a_rs, a_cs): (usize, usize),
    b: &[F],
    (b_rs, b_cs): (usize, usize),
) {
    if m == 0 || n == 0 {
        return;
    }
    let last = |rs: usize, cs: usize, r: usize, c: usize| (r - 1) * rs + (c - 1) * cs;
    assert!(
        last(dst_rs, 1, m, n) < dst.len()
            && (k == 0 || (last(a_rs, a_cs, m, k) < a.len() && last(b_rs, b_cs, k, n) < b.len())),
        "attention: GEMM operands out of bounds"
    );
    // Safety: the extents were checked against the slices just above.
    unsafe {
        gemm_serial(
            m,
            n,
            k,
            (dst.as_mut_ptr(), dst_rs as isize, 1),
            accumulate,
            a.as_ptr(),
            a_rs as isize,
            a_cs as isize,
            b.as_ptr(),
            b_rs as isize,
            b_cs as isize,
        );
    }
}

// The scaled, masked scores of one pair turned into probabilities in
// place, from each row's log-sum-exp (`lse`, written when `fresh`, read
// otherwise). Rows with every score masked become zeros.
multiversion! {
    pub fn probabilities<F>(p: &mut [F], lse: &mut [F], mask: Option<&[F]>, sh: &AttentionShape, fresh: bool) where [F: Float] {
        let scale = F::from_f64(sh.scale);
        let neg_inf = F::from_f64(f64::NEG_INFINITY);
        for (i, row) in p.chunks_mut(sh.s.max(1)).enumerate().take(sh.l) {
            match mask {
                Some(m) => {
                    for (v, &mv) in row.iter_mut().zip(&m[i * sh.s..(i + 1) * sh.s]) {
                        *v = *v * scale + mv;
                    }
                }
                None => {
                    for v in row.iter_mut() {
                        *v = *v * scale;
                    }
                }
            }
            if sh.causal {
                for v in row.iter_mut().skip(i + 1) {
                    *v = neg_inf;
                }
            }
            if fresh {
                let max = super::lanes::max(row);
                lse[i] = if max == neg_inf {
                    neg_inf
                } else {
                    F::from_f64(max.to_f64() + super::lanes::sum_exp_f64(row, max).ln())
                };
            }
            let m = lse[i];
            if m == neg_inf {
                row.iter_mut().for_each(|v| *v = F::zero());
            } else {
                super::lanes::exp_shifted_in_place(row, m);
            }
        }
    }
}

// dS = P (dP - rowsum(dO * O)) * scale, in place over dP (`ds`), for
// the l rows of one pair.
multiversion! {
    pub fn score_gradients<F>(ds: &mut [F], p: &[F], g: &[F], out: &[F], sh: &AttentionShape, scale: F) where [F: Float] {
        let (s, ev) = (sh.s, sh.ev);
        for r in 0..sh.l {
            let (go, o) = (&g[r * ev..(r + 1) * ev], &out[r * ev..(r + 1) * ev]);
            let mut d = F::zero();
            for (&a, &b) in go.iter().zip(o) {
                d = a.mul_add(b, d);
            }
            for (x, &pv) in ds[r * s..(r + 1) * s].iter_mut().zip(&p[r * s..(r + 1) * s]) {
                *x = pv * (*x - d) * scale;
            }
        }
    }
}

/// Forward: returns the output [pairs, l, ev] and each row's log-sum-exp
/// [pairs, l]. `q`, `k`, `v` are contiguous [pairs, l|s, e|ev].
pub fn forward<F: Float>(
    q: &[F],
    k: &[F],
    v: &[F],
    mask: Option<&Mask<'_, F>>,
    sh: &AttentionShape,
) -> (Vec<F>, Vec<F>) {
    let (l, s, e, ev) = (sh.l, sh.s, sh.e, sh.ev);
    let mut out = vec![F::zero(); sh.pairs * l * ev];
    let mut lse = vec![F::zero(); sh.pairs * l];
    let pair = |(i, (o, lse)): (usize, (&mut [F], &mut [F]))| {
        let mut p = vec![F::zero(); l * s];
        let (qi, ki, vi) = (&q[i * l * e..], &k[i * s * e..], &v[i * s * ev..]);
        product((l, s, e), &mut p, s, false, qi, (e, 1), ki, (1, e));
        let m = mask.map(|m| m.block(i, sh.heads, l, s));
        probabilities(&mut p, lse, m, sh, true);
        product((l, ev, s), o, ev, false, &p, (s, 1), vi, (ev, 1));
    };
    let work = out
        .par_chunks_mut((l * ev).max(1))
        .zip(lse.par_chunks_mut(l.max(1)))
        .enumerate();
    work.for_each(pair);
    (out, lse)
}

/// What backward reads besides the output gradient.
pub struct AttentionSaved<'a, F> {
    pub q: &'a [F],
    pub k: &'a [F],
    pub v: &'a [F],
    pub out: &'a [F],
    pub lse: &'a [F],
}

/// One (query, key) pair's index and its slices of dq, dk and dv.
type PairGrads<'a, F> = (usize, ((&'a mut [F], &'a mut [F]), &'a mut [F]));

/// Backward: the gradients of q, k and v (contiguous, as their inputs)
/// for the output gradient `g` [pairs, l, ev].
pub fn backward<F: Float>(
    g: &[F],
    saved: &AttentionSaved<'_, F>,
    mask: Option<&Mask<'_, F>>,
    sh: &AttentionShape,
) -> (Vec<F>, Vec<F>, Vec<F>) {
    let (l, s, e, ev) = (sh.l, sh.s, sh.e, sh.ev);
    let mut dq = vec![F::zero(); sh.pairs * l * e];
    let mut dk = vec![F::zero(); sh.pairs * s * e];
    let mut dv = vec![F::zero(); sh.pairs * s * ev];
    let scale = F::from_f64(sh.scale);
    let pair = |(i, ((dq, dk), dv)): PairGrads<'_, F>| {
        let (qi, ki, vi) = (
            &saved.q[i * l * e..],
            &saved.k[i * s * e..],
            &saved.v[i * s * ev..],
        );
        let (gi, oi) = (&g[i * l * ev..], &saved.out[i * l * ev..]);
        let mut lse = saved.lse[i * l..(i + 1) * l].to_vec();
        let mut p = vec![F::zero(); l * s];
        product((l, s, e), &mut p, s, false, qi, (e, 1), ki, (1, e));
        let m = mask.map(|m| m.block(i, sh.heads, l, s));
        probabilities(&mut p, &mut lse, m, sh, false);
        // dV = P^T dO
        product((s, ev, l), dv, ev, false, &p, (1, s), gi, (ev, 1));
        // dP = dO V^T, then dS = P (dP - rowsum(dO * O)) * scale
        let mut ds = vec![F::zero(); l * s];
        product((l, s, ev), &mut ds, s, false, gi, (ev, 1), vi, (1, ev));
        score_gradients(&mut ds, &p, gi, oi, sh, scale);
        // dQ = dS K, dK = dS^T Q
        product((l, e, s), dq, e, false, &ds, (s, 1), ki, (e, 1));
        product((s, e, l), dk, e, false, &ds, (1, s), qi, (e, 1));
    };
    dq.par_chunks_mut((l * e).max(1))
        .zip(dk.par_chunks_mut((s * e).max(1)))
        .zip(dv.par_chunks_mut((s * ev).max(1)))
        .enumerate()
        .for_each(pair);
    (dq, dk, dv)
}
