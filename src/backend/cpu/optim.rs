//! Fused optimizer updates: one pass over a parameter, its gradient and its
//! state buffers. Each formula follows PyTorch's single-tensor update in the
//! same order of float operations (scalars rounded to the parameter's dtype
//! first, as ATen does), so results match PyTorch's step for step.

use super::{CpuStorage, CHUNK, PAR_THRESHOLD};
use crate::dtype::Float;
use crate::error::{dtype_err, Result};
use crate::op::OptimUpdate;
use rayon::prelude::*;

/// Most state buffers any update uses.
const MAX_STATE: usize = 3;

/// PyTorch's `lerp`: two forms, chosen by the weight, for accuracy near both ends.
#[inline(always)]
fn lerp<F: Float>(start: F, end: F, w: F) -> F {
    if w.to_f64() < 0.5 {
        start + w * (end - start)
    } else {
        end - (end - start) * (F::one() - w)
    }
}

/// The per-element update: parameter, gradient, state values.
fn element_rule<F: Float>(u: &OptimUpdate) -> impl Fn(&mut F, F, &mut [F; MAX_STATE]) + Sync {
    let f = F::from_f64;
    let u = *u;
    // Per-step scalars, computed once in f64 as PyTorch does in Python.
    let (step_size, bias_correction2_sqrt, clr) = match u {
        OptimUpdate::Adam { lr, beta1, beta2, step, .. } => (lr / (1.0 - beta1.powf(step)), (1.0 - beta2.powf(step)).sqrt(), 0.0),
        OptimUpdate::Adagrad { lr, lr_decay, step, .. } => (0.0, 0.0, lr / (1.0 + (step - 1.0) * lr_decay)),
        _ => (0.0, 0.0, 0.0),
    };
    move |p: &mut F, g: F, s: &mut [F; MAX_STATE]| match u {
        OptimUpdate::Sgd { lr, momentum, dampening, nesterov, weight_decay, maximize, first } => {
            let mut d = if maximize { -g } else { g };
            if weight_decay != 0.0 {
                d = d + f(weight_decay) * *p;
            }
            if momentum != 0.0 {
                s[0] = if first { d } else { s[0] * f(momentum) + f(1.0 - dampening) * d };
                d = if nesterov { d + f(momentum) * s[0] } else { s[0] };
            }
            *p = *p + f(-lr) * d;
        }
        OptimUpdate::Adam { lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled, maximize, .. } => {
            let mut d = if maximize { -g } else { g };
            if weight_decay != 0.0 {
                if decoupled {
                    *p = *p * f(1.0 - lr * weight_decay);
                } else {
                    d = d + f(weight_decay) * *p;
                }
            }
            s[0] = lerp(s[0], d, f(1.0 - beta1));
            s[1] = s[1] * f(beta2) + f(1.0 - beta2) * d * d;
            let second = if amsgrad {
                s[2] = s[2].max_nan(s[1]);
                s[2]
            } else {
                s[1]
            };
            let denom = second.sqrt() / f(bias_correction2_sqrt) + f(eps);
            *p = *p + f(-step_size) * s[0] / denom;
        }
        OptimUpdate::RmsProp { lr, alpha, eps, weight_decay, momentum, centered, maximize } => {
            let mut d = if maximize { -g } else { g };
            if weight_decay != 0.0 {
                d = d + f(weight_decay) * *p;
            }
            s[0] = s[0] * f(alpha) + f(1.0 - alpha) * d * d;
            let grad_avg_slot = 1 + usize::from(momentum > 0.0);
            let avg = if centered {
                s[grad_avg_slot] = lerp(s[grad_avg_slot], d, f(1.0 - alpha));
                (s[0] + f(-1.0) * s[grad_avg_slot] * s[grad_avg_slot]).sqrt()
            } else {
                s[0].sqrt()
            } + f(eps);
            if momentum > 0.0 {
                s[1] = s[1] * f(momentum) + d / avg;
                *p = *p + f(-lr) * s[1];
            } else {
                *p = *p + f(-lr) * d / avg;
            }
        }
        OptimUpdate::Adagrad { weight_decay, eps, maximize, .. } => {
            let mut d = if maximize { -g } else { g };
            if weight_decay != 0.0 {
                d = d + f(weight_decay) * *p;
            }
            s[0] = s[0] + d * d;
            let std = s[0].sqrt() + f(eps);
            *p = *p + f(-clr) * d / std;
        }
    }
}

fn apply_typed<F: Float>(u: &OptimUpdate, p: &mut [F], g: &[F], states: Vec<&mut [F]>) {
    let rule = element_rule::<F>(u);
    let k = states.len();
    let run = |(pc, gc, mut sc): (&mut [F], &[F], Vec<&mut [F]>)| {
        let mut s = [F::zero(); MAX_STATE];
        for i in 0..pc.len() {
            for j in 0..k {
                s[j] = sc[j][i];
            }
            rule(&mut pc[i], gc[i], &mut s);
            for j in 0..k {
                sc[j][i] = s[j];
            }
        }
    };
    let n = p.len();
    let mut state_chunks: Vec<std::slice::ChunksMut<'_, F>> = states.into_iter().map(|s| s.chunks_mut(CHUNK)).collect();
    // why: every state has the parameter's length (checked by the caller), so
    // each yields exactly as many chunks as the parameter.
    let tasks: Vec<_> = p
        .chunks_mut(CHUNK)
        .zip(g.chunks(CHUNK))
        .map(|(pc, gc)| (pc, gc, state_chunks.iter_mut().filter_map(|c| c.next()).collect::<Vec<_>>()))
        .collect();
    if n >= PAR_THRESHOLD {
        tasks.into_par_iter().for_each(run);
    } else {
        tasks.into_iter().for_each(run);
    }
}

/// A typed view of a float storage's elements `[offset, offset + n)`.
pub trait FloatSlices: Float {
    fn slice(s: &CpuStorage, offset: usize, n: usize) -> Option<&[Self]>;
    fn slice_mut(s: &mut CpuStorage, offset: usize, n: usize) -> Option<&mut [Self]>;
}
macro_rules! float_slices {
    ($t:ty, $v:ident) => {
        impl FloatSlices for $t {
            fn slice(s: &CpuStorage, offset: usize, n: usize) -> Option<&[Self]> {
                match s {
                    CpuStorage::$v(b) => b.as_slice().get(offset..offset + n),
                    _ => None,
                }
            }
            fn slice_mut(s: &mut CpuStorage, offset: usize, n: usize) -> Option<&mut [Self]> {
                match s {
                    CpuStorage::$v(b) => b.as_mut_slice().get_mut(offset..offset + n),
                    _ => None,
                }
            }
        }
    };
}
float_slices!(f32, F32);
float_slices!(f64, F64);

fn apply_as<F: FloatSlices>(u: &OptimUpdate, p: (&mut CpuStorage, usize), g: (&CpuStorage, usize), states: Vec<(&mut CpuStorage, usize)>, n: usize) -> Result<()> {
    let mismatch = || dtype_err(u.name(), format!("{}: parameter, gradient and state must share one floating dtype", u.name()));
    let Some(ps) = F::slice_mut(p.0, p.1, n) else { return mismatch() };
    let Some(gs) = F::slice(g.0, g.1, n) else { return mismatch() };
    let mut ss = Vec::with_capacity(states.len());
    for (s, off) in states {
        let Some(x) = F::slice_mut(s, off, n) else { return mismatch() };
        ss.push(x);
    }
    apply_typed(u, ps, gs, ss);
    Ok(())
}

/// Applies `u` to `n` contiguous elements of the parameter from its offset.
pub fn apply(u: &OptimUpdate, p: (&mut CpuStorage, usize), g: (&CpuStorage, usize), states: Vec<(&mut CpuStorage, usize)>, n: usize) -> Result<()> {
    match p.0.dtype() {
        crate::dtype::DType::F32 => apply_as::<f32>(u, p, g, states, n),
        crate::dtype::DType::F64 => apply_as::<f64>(u, p, g, states, n),
        other => dtype_err(u.name(), format!("{}: parameters must be floating point, got {other}", u.name())),
    }
}
