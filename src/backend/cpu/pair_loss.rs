//! Huber and smooth-L1 losses per element, and their input gradients, and
//! binary cross-entropy with logits per element, each one pass over the operands (their compositions take eight to ten passes
//! and allocate as many temporaries). The element formulas are PyTorch's
//! CPU kernels', operation for operation, so the values are its floats.

use super::simd::multiversion;
use crate::backend::cpu::float::Float;
use std::mem::MaybeUninit;

/// Which loss, with its threshold.
#[derive(Clone, Copy, Debug)]
pub enum PairLoss {
    /// 0.5 z^2 below delta, delta (z - 0.5 delta) from it (z = |x - y|)
    Huber { delta: f64 },
    /// 0.5 z^2 / beta below beta, z - 0.5 beta from it (beta > 0)
    SmoothL1 { beta: f64 },
}

/// Elements per rayon task.
const CHUNK: usize = 1 << 15;

/// out[i] = f(i-th chunk of out, its offset): chunks in parallel when long.
/// Every kernel given to it writes its whole chunk (they zip the chunk with
/// inputs at least as long), so the output is not zeroed first.
fn fill<F: Float>(n: usize, f: impl Fn(&mut [MaybeUninit<F>], usize) + Sync) -> Vec<F> {
    // Safety: as above, `f` writes every element of its chunk.
    unsafe { super::fresh_by_chunks(n, CHUNK, |at, o| f(o, at)) }
}

/// The loss of each element pair.
pub fn errors<F: Float>(loss: PairLoss, x: &[F], y: &[F]) -> Vec<F> {
    fill(x.len(), |o, at| {
        let (x, y) = (&x[at..at + o.len()], &y[at..at + o.len()]);
        match loss {
            PairLoss::Huber { delta } => huber_errors(o, x, y, F::from_f64(delta)),
            PairLoss::SmoothL1 { beta } => smooth_l1_errors(o, x, y, F::from_f64(beta)),
        }
    })
}

/// The input's gradient for the output gradient `g` (one value, a reduced
/// loss, or one per element), scaled by `norm` (1 / numel for a mean).
pub fn gradient<F: Float>(loss: PairLoss, x: &[F], y: &[F], g: &[F], norm: f64) -> Vec<F> {
    fill(x.len(), |o, at| {
        let (x, y) = (&x[at..at + o.len()], &y[at..at + o.len()]);
        let g = if g.len() == 1 {
            g
        } else {
            &g[at..at + o.len()]
        };
        match loss {
            PairLoss::Huber { delta } => {
                huber_gradient(o, x, y, g, F::from_f64(norm), F::from_f64(delta))
            }
            PairLoss::SmoothL1 { beta } => {
                smooth_l1_gradient(o, x, y, g, F::from_f64(norm), F::from_f64(beta))
            }
        }
    })
}

/// binary_cross_entropy_with_logits per element, (1 - t) * x + softplus(-x),
/// rounded step by step as the composition of those ops rounds (its
/// backward is PyTorch's formula, written in ops by nn.functional).
pub fn bce_with_logits_errors<F: Float>(x: &[F], t: &[F]) -> Vec<F> {
    fill(x.len(), |o, at| {
        bce_with_logits_chunk(o, &x[at..at + o.len()], &t[at..at + o.len()])
    })
}

multiversion! {
    pub fn bce_with_logits_chunk<F>(o: &mut [MaybeUninit<F>], x: &[F], t: &[F]) where [F: Float] {
        for ((o, &a), &b) in o.iter_mut().zip(x).zip(t) {
            o.write((F::one() - b) * a + super::elementwise::softplus(-a));
        }
    }
}

/// The i-th gradient value: the one value of a reduced loss's gradient, or
/// the i-th of an unreduced one's.
#[inline(always)]
fn at<F: Float>(g: &[F], i: usize) -> F {
    if g.len() == 1 {
        g[0]
    } else {
        g[i]
    }
}

multiversion! {
    pub fn huber_errors<F>(o: &mut [MaybeUninit<F>], x: &[F], y: &[F], delta: F) where [F: Float] {
        let half = F::from_f64(0.5);
        for ((o, &a), &b) in o.iter_mut().zip(x).zip(y) {
            let z = (a - b).abs();
            o.write(if z < delta { half * z * z } else { delta * (z - half * delta) });
        }
    }
}

multiversion! {
    pub fn smooth_l1_errors<F>(o: &mut [MaybeUninit<F>], x: &[F], y: &[F], beta: F) where [F: Float] {
        let half = F::from_f64(0.5);
        for ((o, &a), &b) in o.iter_mut().zip(x).zip(y) {
            let z = (a - b).abs();
            o.write(if z < beta { half * z * z / beta } else { z - half * beta });
        }
    }
}

multiversion! {
    pub fn huber_gradient<F>(o: &mut [MaybeUninit<F>], x: &[F], y: &[F], g: &[F], norm: F, delta: F) where [F: Float] {
        for (i, ((o, &a), &b)) in o.iter_mut().zip(x).zip(y).enumerate() {
            let d = a - b;
            let gi = at(g, i);
            o.write(if d <= -delta {
                -norm * gi * delta
            } else if d >= delta {
                norm * gi * delta
            } else {
                norm * d * gi
            });
        }
    }
}

multiversion! {
    pub fn smooth_l1_gradient<F>(o: &mut [MaybeUninit<F>], x: &[F], y: &[F], g: &[F], norm: F, beta: F) where [F: Float] {
        for (i, ((o, &a), &b)) in o.iter_mut().zip(x).zip(y).enumerate() {
            let d = a - b;
            let gi = at(g, i);
            o.write(if d < -beta {
                -norm * gi
            } else if d > beta {
                norm * gi
            } else {
                norm * d * gi / beta
            });
        }
    }
}
