//! Fused optimizer updates on the GPU (`shaders/optim.wgsl`): the per-step
//! scalars are computed here in f64 and rounded to f32, as the CPU kernels
//! do, so both devices run the same float operations.

use super::dispatch::{dispatch, grid_1d};
use super::{context, u32_of, unsupported, GpuStorage};
use crate::dtype::DType;
use crate::error::Result;
use crate::op::OptimUpdate;

const MAXIMIZE: u32 = 1;
const NESTEROV: u32 = 2;
const FIRST: u32 = 4;
const DECOUPLED: u32 = 8;

fn bits(v: f64) -> u32 {
    (v as f32).to_bits()
}

/// Applies `u` to `n` elements of the parameter `p` from its offset, with
/// the gradient and state buffers at theirs.
pub fn apply(
    u: &OptimUpdate,
    p: (&GpuStorage, usize),
    g: (&GpuStorage, usize),
    states: &[(&GpuStorage, usize)],
    n: usize,
) -> Result<()> {
    if p.0.dtype != DType::F32
        || g.0.dtype != DType::F32
        || states.iter().any(|s| s.0.dtype != DType::F32)
    {
        return Err(unsupported(&format!("{} on {}", u.name(), p.0.dtype)));
    }
    let flag = |on: bool, bit: u32| if on { bit } else { 0 };
    let (entry, flags, consts): (&'static str, u32, Vec<u32>) = match *u {
        OptimUpdate::Sgd {
            lr,
            momentum,
            dampening,
            nesterov,
            weight_decay,
            maximize,
            first,
        } => {
            let flags = flag(maximize, MAXIMIZE) | flag(nesterov, NESTEROV) | flag(first, FIRST);
            let entry = if states.is_empty() {
                "sgd_f32"
            } else {
                "sgd_momentum_f32"
            };
            (
                entry,
                flags,
                vec![
                    bits(-lr),
                    bits(weight_decay),
                    bits(momentum),
                    bits(1.0 - dampening),
                ],
            )
        }
        OptimUpdate::Adam {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
            decoupled,
            maximize,
            step,
            amsgrad,
        } => {
            // AdamW scales the parameter by 1 - lr*wd first; Adam adds wd*p
            // to the gradient; the shader reads either from the last constant
            let scales = decoupled && weight_decay != 0.0;
            let last = if scales {
                bits(1.0 - lr * weight_decay)
            } else if decoupled {
                bits(0.0)
            } else {
                bits(weight_decay)
            };
            let decoupled = scales;
            let consts = vec![
                bits(-(lr / (1.0 - beta1.powf(step)))),
                bits((1.0 - beta2.powf(step)).sqrt()),
                bits(1.0 - beta1),
                bits(beta2),
                bits(1.0 - beta2),
                bits(eps),
                last,
            ];
            (
                if amsgrad {
                    "adam_amsgrad_f32"
                } else {
                    "adam_f32"
                },
                flag(maximize, MAXIMIZE) | flag(decoupled, DECOUPLED),
                consts,
            )
        }
        OptimUpdate::RmsProp {
            lr,
            alpha,
            eps,
            weight_decay,
            momentum,
            centered,
            maximize,
        } => {
            let entry = match (momentum > 0.0, centered) {
                (false, false) => "rmsprop_f32",
                (true, false) => "rmsprop_momentum_f32",
                (false, true) => "rmsprop_centered_f32",
                (true, true) => "rmsprop_centered_momentum_f32",
            };
            (
                entry,
                flag(maximize, MAXIMIZE),
                vec![
                    bits(-lr),
                    bits(alpha),
                    bits(1.0 - alpha),
                    bits(eps),
                    bits(weight_decay),
                    bits(momentum),
                ],
            )
        }
        OptimUpdate::Adagrad {
            lr,
            lr_decay,
            weight_decay,
            eps,
            maximize,
            step,
        } => (
            "adagrad_f32",
            flag(maximize, MAXIMIZE),
            vec![
                bits(-(lr / (1.0 + (step - 1.0) * lr_decay))),
                bits(weight_decay),
                bits(eps),
            ],
        ),
    };
    let op = u.name();
    let mut params = vec![u32_of(op, n)?, flags];
    params.extend(consts);
    params.resize(9, 0);
    params.push(u32_of(op, p.1)?);
    params.push(u32_of(op, g.1)?);
    for k in 0..3 {
        params.push(
            states
                .get(k)
                .map(|s| u32_of(op, s.1))
                .transpose()?
                .unwrap_or(0),
        );
    }
    let mut bindings = vec![(1, g.0.raw()), (2, p.0.raw())];
    for (k, s) in states.iter().enumerate() {
        bindings.push((3 + k as u32, s.0.raw()));
    }
    dispatch(context()?, "optim", entry, &params, &bindings, grid_1d(n)?)
}
