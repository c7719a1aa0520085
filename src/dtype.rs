//! Element types, PyTorch's type promotion, and the element traits that the
//! generic CPU kernels are written against.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    I64,
    F32,
    F64,
}

/// Promotion category, lowest to highest (PyTorch: bool < integral < floating).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Bool,
    Integral,
    Floating,
}

impl DType {
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I64 => "int64",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }
    /// PyTorch's scalar type name in error messages (`Float`, `Long`).
    pub fn scalar_name(self) -> &'static str {
        match self {
            DType::F32 => "Float",
            DType::F64 => "Double",
            DType::I64 => "Long",
            DType::Bool => "Bool",
        }
    }
    /// The C++ type name some of PyTorch's messages use (`long int`).
    pub fn cpp_name(self) -> &'static str {
        match self {
            DType::F32 => "float",
            DType::F64 => "double",
            DType::I64 => "long int",
            DType::Bool => "bool",
        }
    }
    /// The legacy type name used in autograd error messages (`FloatTensor`).
    pub fn legacy_name(self) -> &'static str {
        match self {
            DType::Bool => "BoolTensor",
            DType::I64 => "LongTensor",
            DType::F32 => "FloatTensor",
            DType::F64 => "DoubleTensor",
        }
    }
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::I64 | DType::F64 => 8,
            DType::F32 => 4,
        }
    }
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
    pub fn category(self) -> Category {
        match self {
            DType::Bool => Category::Bool,
            DType::I64 => Category::Integral,
            DType::F32 | DType::F64 => Category::Floating,
        }
    }
    pub fn from_name(name: &str) -> Option<DType> {
        Some(match name {
            "bool" => DType::Bool,
            "int64" | "long" => DType::I64,
            "float32" | "float" => DType::F32,
            "float64" | "double" => DType::F64,
            _ => return None,
        })
    }
    /// The float type an op on this dtype computes in when it must produce floats
    /// (`exp` of an int64 tensor is float32, as in PyTorch).
    pub fn to_float(self) -> DType {
        if self.is_float() {
            self
        } else {
            default_float()
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

static DEFAULT_FLOAT_IS_F64: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// `torch.get_default_dtype()`: the float dtype Python floats and integer
/// math promote to (float32 unless `set_default_dtype` changed it).
pub fn default_float() -> DType {
    if DEFAULT_FLOAT_IS_F64.load(std::sync::atomic::Ordering::Relaxed) {
        DType::F64
    } else {
        DType::F32
    }
}

pub fn set_default_float(d: DType) {
    DEFAULT_FLOAT_IS_F64.store(d == DType::F64, std::sync::atomic::Ordering::Relaxed);
}

/// `torch.promote_types`: the smallest dtype both values fit in. Our dtypes are
/// totally ordered by that relation, so it is the max.
pub fn promote_types(a: DType, b: DType) -> DType {
    a.max(b)
}

/// How an operand takes part in `result_type`: PyTorch ranks tensors with
/// dimensions above zero-dim tensors above Python numbers, and a lower rank only
/// wins when its category is higher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperandKind {
    Dimensioned,
    ZeroDim,
    /// A Python number; its dtype is what the number would default to.
    Wrapped,
}

fn combine_categories(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
    match (higher, lower) {
        (None, l) => l,
        (Some(h), None) => Some(h),
        (Some(h), Some(l)) => {
            if h.is_float() {
                Some(h)
            } else if h == DType::Bool || l.is_float() {
                Some(promote_types(h, l))
            } else {
                Some(h)
            }
        }
    }
}

/// `torch.result_type` over a list of operands.
pub fn result_type(operands: &[(DType, OperandKind)]) -> DType {
    let mut dim = None;
    let mut zero = None;
    let mut wrapped = None;
    for &(dt, kind) in operands {
        // A Python float is held as f64 for precision but promotes like the
        // default dtype (float32 unless changed), as PyTorch's wrapped numbers do.
        let dt = if kind == OperandKind::Wrapped && dt.is_float() {
            default_float()
        } else {
            dt
        };
        let slot = match kind {
            OperandKind::Dimensioned => &mut dim,
            OperandKind::ZeroDim => &mut zero,
            OperandKind::Wrapped => &mut wrapped,
        };
        *slot = Some(match *slot {
            None => dt,
            Some(prev) => promote_types(prev, dt),
        });
    }
    combine_categories(dim, combine_categories(zero, wrapped)).unwrap_or_else(default_float)
}

/// An element a CPU storage can hold. The conversions go through f64/i64 so
/// casting kernels need one generic body.
pub trait Element: Copy + Send + Sync + PartialOrd + Default + 'static {
    const DTYPE: DType;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn to_i64(self) -> i64;
    fn from_i64(v: i64) -> Self;
    fn zero() -> Self;
    fn one() -> Self;
}

macro_rules! impl_element_num {
    ($t:ty, $dt:expr, $from_f64:expr) => {
        impl Element for $t {
            const DTYPE: DType = $dt;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                $from_f64(v)
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline]
            fn zero() -> Self {
                0 as $t
            }
            #[inline]
            fn one() -> Self {
                1 as $t
            }
        }
    };
}
impl_element_num!(f32, DType::F32, |v: f64| v as f32);
impl_element_num!(f64, DType::F64, |v: f64| v);
impl_element_num!(i64, DType::I64, i64_of_f64);

/// A float converted to int64 as PyTorch's CPU kernels do it on x86
/// (cvttsd2si): truncated, and NaN, the infinities and anything out of
/// range become i64::MIN (Rust's `as` would saturate and map NaN to 0).
#[inline]
fn i64_of_f64(v: f64) -> i64 {
    // 2^63: the first float past i64::MAX
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if (-LIMIT..LIMIT).contains(&v) {
        v as i64
    } else {
        i64::MIN
    }
}

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    #[inline]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    fn zero() -> Self {
        false
    }
    fn one() -> Self {
        true
    }
}

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
use crate::backend::cpu::{expm1_log1p, fastmath, gaussian};
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
    crate::backend::cpu::special::erf,
    gaussian::gelu_f64,
    gaussian::gelu_backward_f64,
    |v: f64, p: f64, _: bool, _: bool| v.powf(p),
    f64::atan2,
    f64::exp,
    f64::NEG_INFINITY
);

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn promotion_follows_pytorch() {
        use OperandKind::*;
        // int tensor + python float -> float32
        assert_eq!(
            result_type(&[(DType::I64, Dimensioned), (DType::F64, Wrapped)]),
            DType::F32
        );
        // float64 tensor + python float stays float64
        assert_eq!(
            result_type(&[(DType::F64, Dimensioned), (DType::F64, Wrapped)]),
            DType::F64
        );
        // float32 tensor + python float stays float32
        assert_eq!(
            result_type(&[(DType::F32, Dimensioned), (DType::F32, Wrapped)]),
            DType::F32
        );
        // float32 tensor + float64 zero-dim tensor stays float32
        assert_eq!(
            result_type(&[(DType::F32, Dimensioned), (DType::F64, ZeroDim)]),
            DType::F32
        );
        // float32 op float64 -> float64
        assert_eq!(
            result_type(&[(DType::F32, Dimensioned), (DType::F64, Dimensioned)]),
            DType::F64
        );
        // bool tensor + python int -> int64
        assert_eq!(
            result_type(&[(DType::Bool, Dimensioned), (DType::I64, Wrapped)]),
            DType::I64
        );
        // int zero-dim + float zero-dim
        assert_eq!(
            result_type(&[(DType::I64, ZeroDim), (DType::F64, ZeroDim)]),
            DType::F64
        );
    }
}
