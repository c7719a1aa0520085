//! CPU kernels of the fused activations (`crate::activation`): each element
//! function is PyTorch's CPU kernel's formula, written as a `simd::Kernel`
//! so the element loop vectorises (float32 exp/erf/tanh/log1p/expm1 come
//! from fastmath through the `Float` trait).

use super::simd::{Kernel, Kernel2};
use super::{map2_strided_kernel, map_strided_kernel};
use crate::activation::Activation;
use crate::backend::cpu::float::Float;
use crate::layout::Layout;

const GELU_TANH_BETA: f64 = 0.797_884_560_802_865_4; // sqrt(2 / pi)
const GELU_TANH_KAPPA: f64 = 0.044715;

/// The activation with its parameters as the element type.
#[derive(Clone, Copy)]
struct Act<F> {
    a: F,
    b: F,
    c: F,
}

// One kernel type per activation, so each loop is its own monomorphic,
// vectorisable body (a match per element would not be).
macro_rules! kernels {
    ($($name:ident: |$s:ident, $x:ident| $fwd:expr, |$s2:ident, $g:ident, $x2:ident| $bwd:expr;)*) => {
        $(
            struct $name<F>(Act<F>);
            impl<F: Float> Kernel<F, F> for $name<F> {
                #[inline(always)]
                fn apply(&self, $x: F) -> F {
                    let $s = &self.0;
                    $fwd
                }
            }
            impl<F: Float> Kernel2<F, F, F> for $name<F> {
                #[inline(always)]
                fn apply2(&self, $g: F, $x2: F) -> F {
                    let $s2 = &self.0;
                    $bwd
                }
            }
        )*
    };
}

#[inline(always)]
fn c<F: Float>(v: f64) -> F {
    F::from_f64(v)
}

kernels! {
    GeluK: |_s, x| x.gelu(), |_s, g, x| x.gelu_backward(g);
    GeluTanhK: |_s, x| {
            let inner = c::<F>(GELU_TANH_BETA) * (x + c::<F>(GELU_TANH_KAPPA) * x * x * x);
            c::<F>(0.5) * x * (F::one() + inner.tanh())
        },
        |_s, g, x| {
            let x_sq = x * x;
            let inner = c::<F>(GELU_TANH_BETA) * (x + c::<F>(GELU_TANH_KAPPA) * x_sq * x);
            let t = inner.tanh();
            let left_derivative = c::<F>(0.5) * (F::one() + t);
            let right_derivative = c::<F>(0.5) * x * (F::one() - t * t)
                * (c::<F>(GELU_TANH_BETA) * (F::one() + c::<F>(3.0 * GELU_TANH_KAPPA) * x_sq));
            g * (left_derivative + right_derivative)
        };
    LeakyReluK: |s, x| if x > F::zero() { x } else { x * s.a },
        |s, g, x| if x > F::zero() { g } else { g * s.a };
    // a = alpha * scale, b = scale, c = input_scale
    EluK: |s, x| if x > F::zero() { x * s.b } else { (x * s.c).exp_m1() * s.a },
        // PyTorch's test is x <= 0: a NaN input takes the linear piece's g * scale
        |s, g, x| if x <= F::zero() { g * s.c * s.a * (x * s.c).exp() } else { g * s.b };
    // PyTorch's x * min(max(x + 3, 0), 6) / 6 (-0 below -3, x*6/6 above 3)
    HardswishK: |_s, x| {
            let r = x + c(3.0);
            let r = if r > F::zero() { r } else { F::zero() };
            let r = if r < c(6.0) { r } else { c(6.0) };
            x * r / c(6.0)
        },
        // the outer pieces own the joins (0 at -3, g at 3); a NaN input
        // fails both tests and passes g, as PyTorch's
        |_s, g, x| {
            if x <= c(-3.0) {
                F::zero()
            } else if x < c(3.0) {
                g * (x / c(3.0) + c(0.5))
            } else {
                g
            }
        };
    // min(max(x + 3, 0), 6) / 6 with NaN passed through, as PyTorch's
    HardsigmoidK: |_s, x| {
            let r = x + c(3.0);
            let r = if r < F::zero() { F::zero() } else { r };
            let r = if r > c(6.0) { c(6.0) } else { r };
            r / c(6.0)
        },
        |_s, g, x| {
            if x > c(-3.0) && x < c(3.0) {
                g * c(crate::activation::HARDSIGMOID_SLOPE)
            } else {
                F::zero()
            }
        };
    // a = beta, b = threshold
    SoftplusK: |s, x| if x * s.a > s.b { x } else { (x * s.a).exp().ln_1p() / s.a },
        |s, g, x| {
            let z = (x * s.a).exp();
            if x * s.a > s.b { g } else { g * z / (z + F::one()) }
        };
    LogSigmoidK: |_s, x| {
            let m = if x < F::zero() { x } else { F::zero() };
            m - (-x.abs()).exp().ln_1p()
        },
        |_s, g, x| {
            let z = (-x.abs()).exp();
            let (max_deriv, sign) = if x < F::zero() { (F::one(), F::one()) } else { (F::zero(), -F::one()) };
            g * (max_deriv - sign * (z / (F::one() + z)))
        };
    MishK: |_s, x| x * x.exp().ln_1p().tanh(),
        |_s, g, x| {
            let sigmoid = F::one() / (F::one() + (-x).exp());
            let t = x.exp().ln_1p().tanh();
            g * (t + x * sigmoid * (F::one() - t * t))
        };
    // a = lambda: zero inside [-lambda, lambda] (a constant: gradient 0,
    // not g * 0), a NaN input fails every test and keeps the outer piece
    SoftshrinkK: |s, x| {
            if x >= -s.a && x <= s.a {
                F::zero()
            } else if x > s.a {
                x - s.a
            } else {
                x + s.a
            }
        },
        |s, g, x| if x >= -s.a && x <= s.a { F::zero() } else { g };
    HardshrinkK: |s, x| if x >= -s.a && x <= s.a { F::zero() } else { x },
        |s, g, x| if x >= -s.a && x <= s.a { F::zero() } else { g };
    SiluK: |_s, x| x * x.sigmoid(),
        |_s, g, x| {
            let s = x.sigmoid();
            g * s * (F::one() + x * (F::one() - s))
        };
}

fn params<F: Float>(act: Activation) -> Act<F> {
    use Activation::*;
    let (a, b, c) = match act {
        LeakyRelu(slope) => (slope, 0.0, 0.0),
        Elu {
            alpha,
            scale,
            input_scale,
            ..
        } => (alpha * scale, scale, input_scale),
        Softplus { beta, threshold } => (beta, threshold, 0.0),
        Softshrink(lambda) | Hardshrink(lambda) => (lambda, 0.0, 0.0),
        _ => (0.0, 0.0, 0.0),
    };
    Act {
        a: F::from_f64(a),
        b: F::from_f64(b),
        c: F::from_f64(c),
    }
}

/// Runs `$body` with `$k` bound to the activation's kernel.
macro_rules! with_kernel {
    ($act:expr, $k:ident => $body:expr) => {{
        let p = params::<F>($act);
        match $act {
            Activation::Gelu => {
                let $k = GeluK(p);
                $body
            }
            Activation::GeluTanh => {
                let $k = GeluTanhK(p);
                $body
            }
            Activation::LeakyRelu(_) => {
                let $k = LeakyReluK(p);
                $body
            }
            Activation::Elu { .. } => {
                let $k = EluK(p);
                $body
            }
            Activation::Hardswish => {
                let $k = HardswishK(p);
                $body
            }
            Activation::Hardsigmoid => {
                let $k = HardsigmoidK(p);
                $body
            }
            Activation::Softplus { .. } => {
                let $k = SoftplusK(p);
                $body
            }
            Activation::LogSigmoid => {
                let $k = LogSigmoidK(p);
                $body
            }
            Activation::Mish => {
                let $k = MishK(p);
                $body
            }
            Activation::Silu => {
                let $k = SiluK(p);
                $body
            }
            Activation::Softshrink(_) => {
                let $k = SoftshrinkK(p);
                $body
            }
            Activation::Hardshrink(_) => {
                let $k = HardshrinkK(p);
                $body
            }
        }
    }};
}

pub fn forward<F: Float>(act: Activation, x: &[F], l: &Layout) -> Vec<F> {
    with_kernel!(act, k => map_strided_kernel(x, l, &k))
}

/// `g * act'(x)`, g and x of the same shape.
pub fn backward<F: Float>(act: Activation, g: &[F], lg: &Layout, x: &[F], lx: &Layout) -> Vec<F> {
    with_kernel!(act, k => map2_strided_kernel(g, lg, x, lx, &k))
}
