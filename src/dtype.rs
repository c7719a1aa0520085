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
