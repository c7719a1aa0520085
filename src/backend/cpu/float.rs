//! `Float`: the scalar math the CPU's float kernels need, for f32 and f64
//! (f32 through the vectorisable `fastmath` forms, f64 through libm). It
//! lives with the kernels, not with the dtype declarations, so that
//! `crate::dtype` depends on nothing.

use super::{expm1_log1p, fastmath, gaussian};
use crate::dtype::Element;

/// Floating elements: the math the float kernels need, for f32 and f64.
pub trait Float:
    Element
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Rem<Output = Self>
    + std::ops::Neg<Output = Self>
{
    fn exp(self) -> Self;
    /// exp within a couple of ulp, at full SIMD rate (softmax internals).
    fn exp_approx(self) -> Self;
    /// e^x for x in [`EXP_FMA_MIN`, 0] (NaN stays NaN), with fused
    /// multiply-adds: for multiversioned kernels only (elsewhere each FMA
    /// would be a libm call).
    fn exp_fma_nonpositive(self) -> Self;
    /// The lower end of `exp_fma_nonpositive`'s range: below it e^x is not a
    /// normal number of this type.
    const EXP_FMA_MIN: f64;
    fn ln(self) -> Self;
    fn sigmoid(self) -> Self;
    fn ln_1p(self) -> Self;
    fn exp_m1(self) -> Self;
    /// self^p for an exponent outside pow's special cases (PyTorch's
    /// rounding: the correctly rounded power); p_is_int/p_is_odd describe p.
    fn pow_scalar(self, p: f64, p_is_int: bool, p_is_odd: bool) -> Self;
    fn sqrt(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn tan(self) -> Self;
    fn tanh(self) -> Self;
    fn abs(self) -> Self;
    fn floor(self) -> Self;
    fn ceil(self) -> Self;
    fn trunc(self) -> Self;
    fn round_half_even(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn powi(self, e: i32) -> Self;
    /// self * a + b with one rounding (an FMA instruction in the SIMD builds).
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn atan2(self, o: Self) -> Self;
    fn erf(self) -> Self;
    /// GELU, x * cdf(x) of the standard normal, and its gradient for the
    /// output gradient `g` (`backend::cpu::gaussian`).
    fn gelu(self) -> Self;
    fn gelu_backward(self, g: Self) -> Self;
    fn is_nan(self) -> bool;
    fn max_nan(self, o: Self) -> Self;
    fn min_nan(self, o: Self) -> Self;
    fn infinity() -> Self;
}

// f32 transcendental functions come from backend::cpu::fastmath (vectorisable,
// within two ulp); f64 keeps libm's. The larger ones are inline(always): a
// call left in an element loop stops the loop vectorising.
macro_rules! impl_float {
    ($t:ty, $exp:path, $exp_approx:path, $ln:path, $sin:path, $cos:path, $tanh:path, $sigmoid:expr,
     $ln_1p:expr, $exp_m1:expr, $erf:expr, $gelu:path, $gelu_backward:path, $pow:expr, $atan2:path,
     $exp_fma:path, $exp_fma_min:expr) => {
        impl Float for $t {
            const EXP_FMA_MIN: f64 = $exp_fma_min;
            #[inline]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn exp_fma_nonpositive(self) -> Self {
                $exp_fma(self)
            }
            #[inline]
            fn exp_approx(self) -> Self {
                $exp_approx(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline]
            fn sigmoid(self) -> Self {
                ($sigmoid)(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                ($ln_1p)(self)
            }
            #[inline(always)]
            fn exp_m1(self) -> Self {
                ($exp_m1)(self)
            }
            #[inline(always)]
            fn pow_scalar(self, p: f64, p_is_int: bool, p_is_odd: bool) -> Self {
                ($pow)(self, p, p_is_int, p_is_odd)
            }
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }
            #[inline]
            fn sin(self) -> Self {
                $sin(self)
            }
            #[inline]
            fn cos(self) -> Self {
                $cos(self)
            }
            #[inline]
            fn tan(self) -> Self {
                <$t>::tan(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
            #[inline]
            fn ceil(self) -> Self {
                <$t>::ceil(self)
            }
            #[inline]
            fn trunc(self) -> Self {
                <$t>::trunc(self)
            }
            #[inline]
            fn round_half_even(self) -> Self {
                <$t>::round_ties_even(self)
            }
            #[inline]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
            #[inline]
            fn powi(self, e: i32) -> Self {
                <$t>::powi(self, e)
            }
            #[inline]
            fn atan2(self, o: Self) -> Self {
                $atan2(self, o)
            }
            #[inline(always)]
            fn erf(self) -> Self {
                ($erf)(self)
            }
            #[inline(always)]
            fn gelu(self) -> Self {
                $gelu(self)
            }
            #[inline(always)]
            fn gelu_backward(self, g: Self) -> Self {
                $gelu_backward(g, self)
            }
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            // PyTorch's maximum/minimum/amax propagate NaN.
            #[inline]
            fn max_nan(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else if self >= o {
                    self
                } else {
                    o
                }
            }
            #[inline]
            fn min_nan(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else if self <= o {
                    self
                } else {
                    o
                }
            }
            #[inline]
            fn infinity() -> Self {
                <$t>::INFINITY
            }
        }
    };
}
impl_float!(
    f32,
    fastmath::exp_approx,
    fastmath::exp_approx,
    fastmath::ln,
    fastmath::sin_f32,
    fastmath::cos_f32,
    fastmath::tanh,
    fastmath::sigmoid,
    expm1_log1p::log1p,
    expm1_log1p::expm1,
    gaussian::erf_f32,
    gaussian::gelu_f32,
    gaussian::gelu_backward_f32,
    fastmath::pow,
    fastmath::atan2_f32,
    fastmath::exp_normal_range,
    fastmath::EXP_NORMAL_MIN as f64
);
impl_float!(
    f64,
    f64::exp,
    f64::exp,
    f64::ln,
    f64::sin,
    f64::cos,
    f64::tanh,
    |v: f64| {
        // Two branches keep exp from overflowing for large |v|.
        if v >= 0.0 {
            1.0 / (1.0 + (-v).exp())
        } else {
            let e = v.exp();
            e / (1.0 + e)
        }
    },
    f64::ln_1p,
    f64::exp_m1,
    super::special::erf,
    gaussian::gelu_f64,
    gaussian::gelu_backward_f64,
    |v: f64, p: f64, _: bool, _: bool| v.powf(p),
    f64::atan2,
    f64::exp,
    f64::NEG_INFINITY
);
