//! Elementwise kernels: unary maps, broadcasting binary maps, `where`.
//! Inputs arrive already cast to the compute dtype (see tensor/arith.rs).

use super::simd::Kernel;
use super::{map2_strided, map_strided, map_strided_kernel, CpuStorage, IntoStorage};
use crate::backend::cpu::float::Float;
use crate::error::{dtype_err, not_implemented_err, Result};
use crate::layout::Layout;
use crate::op::{BinaryOp, UnaryOp};

// The element functions too large to pass as closures (see simd::Kernel).
struct ErfKernel;
struct Expm1Kernel;
struct Log1pKernel;
/// x^p outside pow's special exponents; is_int/is_odd describe p.
struct PowKernel {
    p: f64,
    is_int: bool,
    is_odd: bool,
}

impl<F: Float> Kernel<F, F> for ErfKernel {
    #[inline(always)]
    fn apply(&self, x: F) -> F {
        x.erf()
    }
}
impl<F: Float> Kernel<F, F> for Expm1Kernel {
    #[inline(always)]
    fn apply(&self, x: F) -> F {
        x.exp_m1()
    }
}
impl<F: Float> Kernel<F, F> for Log1pKernel {
    #[inline(always)]
    fn apply(&self, x: F) -> F {
        x.ln_1p()
    }
}
/// log(1 + e^x) as max(x, 0) + log1p(e^-|x|): no overflow for large |x|.
struct SoftplusKernel;
impl<F: Float> Kernel<F, F> for SoftplusKernel {
    #[inline(always)]
    fn apply(&self, v: F) -> F {
        softplus(v)
    }
}

/// log(1 + e^v) in the stable form max(v, 0) + log1p(e^-|v|) (shared by
/// the fused kernels that contain it, so they round as the op does).
#[inline(always)]
pub(crate) fn softplus<F: Float>(v: F) -> F {
    let m = if v > F::zero() { v } else { F::zero() };
    m + (-v.abs()).exp().ln_1p()
}
impl<F: Float> Kernel<F, F> for PowKernel {
    #[inline(always)]
    fn apply(&self, x: F) -> F {
        x.pow_scalar(self.p, self.is_int, self.is_odd)
    }
}

/// PyTorch's sign of a float: (0 < v) - (v < 0), so +0 for either zero and for NaN.
#[inline(always)]
fn sign_of<F: Float>(v: F, one: F, zero: F) -> F {
    if v > zero {
        one
    } else if v < zero {
        -one
    } else {
        zero
    }
}

fn float_unary<F: Float>(op: UnaryOp, x: &[F], l: &Layout) -> Vec<F> {
    use UnaryOp::*;
    let one = F::one();
    let zero = F::zero();
    match op {
        Neg => map_strided(x, l, |v| -v),
        Abs => map_strided(x, l, |v| v.abs()),
        // PyTorch's (0 < v) - (v < 0): +0 for both zeros and for NaN
        Sign => map_strided(x, l, move |v| sign_of(v, one, zero)),
        Exp => map_strided(x, l, |v| v.exp()),
        Log => map_strided(x, l, |v| v.ln()),
        Log1p => map_strided_kernel(x, l, &Log1pKernel),
        Expm1 => map_strided_kernel(x, l, &Expm1Kernel),
        Sqrt => map_strided(x, l, |v| v.sqrt()),
        Rsqrt => map_strided(x, l, move |v| one / v.sqrt()),
        Sin => fix_large_trig(map_strided(x, l, |v| v.sin()), x, l, f64::sin),
        Cos => fix_large_trig(map_strided(x, l, |v| v.cos()), x, l, f64::cos),
        Tan => map_strided(x, l, |v| v.tan()),
        Tanh => map_strided(x, l, |v| v.tanh()),
        Sigmoid => map_strided(x, l, |v| v.sigmoid()),
        Relu => map_strided(x, l, move |v| if v > zero || v.is_nan() { v } else { zero }),
        Reciprocal => map_strided(x, l, move |v| one / v),
        Floor => map_strided(x, l, |v| v.floor()),
        Ceil => map_strided(x, l, |v| v.ceil()),
        Round => map_strided(x, l, |v| v.round_half_even()),
        Trunc => map_strided(x, l, |v| v.trunc()),
        Erf => map_strided_kernel(x, l, &ErfKernel),
        Softplus => map_strided_kernel(x, l, &SoftplusKernel),
        LogicalNot => unreachable!("logical_not returns bool; handled by the caller"),
        Act(a) => super::activation::forward(a, x, l),
        // x ** p rounded as PyTorch's CPU kernel: the exponents it special-cases
        // are the same products and roots (x*x*x for 3, 1/(x*x) for -2); every
        // other one is the correctly rounded power (PyTorch's vectorised pow is
        // exact to the last bit where libm's float32 powf and repeated products
        // are not). One loop per case, so each vectorises.
        PowScalar(0.0) => map_strided(x, l, move |_| one),
        PowScalar(1.0) => map_strided(x, l, |v| v),
        PowScalar(2.0) => map_strided(x, l, |v| v * v),
        PowScalar(3.0) => map_strided(x, l, |v| v * v * v),
        PowScalar(0.5) => map_strided(x, l, |v| v.sqrt()),
        PowScalar(-0.5) => map_strided(x, l, move |v| one / v.sqrt()),
        PowScalar(-1.0) => map_strided(x, l, move |v| one / v),
        PowScalar(-2.0) => map_strided(x, l, move |v| one / (v * v)),
        PowScalar(p) => {
            let is_int = p.fract() == 0.0;
            let is_odd = is_int && (p % 2.0).abs() == 1.0;
            map_strided_kernel(x, l, &PowKernel { p, is_int, is_odd })
        }
        RPowScalar(b) => {
            let bf = F::from_f64(b);
            map_strided(x, l, move |v| bf.powf(v))
        }
        Clamp(lo, hi) => {
            // a NaN bound makes every result NaN, as PyTorch's
            let nan_bound = lo.is_some_and(f64::is_nan) || hi.is_some_and(f64::is_nan);
            let (lo, hi) = (lo.map(F::from_f64), hi.map(F::from_f64));
            map_strided(x, l, move |v| {
                if v.is_nan() || nan_bound {
                    return if nan_bound { F::from_f64(f64::NAN) } else { v };
                }
                let mut r = v;
                if let Some(lo) = lo {
                    if r < lo {
                        r = lo
                    }
                }
                if let Some(hi) = hi {
                    if r > hi {
                        r = hi
                    }
                }
                r
            })
        }
    }
}

/// The f32 fast trig reduces arguments with a three-part pi/2 in f32, good
/// to |x| <= `TRIG_F32_LIMIT`; elements past it are redone in f64 libm.
fn fix_large_trig<F: Float>(mut out: Vec<F>, x: &[F], l: &Layout, f: fn(f64) -> f64) -> Vec<F> {
    if F::DTYPE != crate::dtype::DType::F32 {
        return out;
    }
    let limit = super::fastmath::TRIG_F32_LIMIT as f64;
    let mut i = 0;
    l.for_each_offset(|o| {
        let v = x[o].to_f64();
        if v.abs() > limit {
            out[i] = F::from_f64(f(v));
        }
        i += 1;
    });
    out
}

fn int_unary(op: UnaryOp, x: &[i64], l: &Layout) -> Result<Vec<i64>> {
    use UnaryOp::*;
    Ok(match op {
        Neg => map_strided(x, l, |v| v.wrapping_neg()),
        Abs => map_strided(x, l, |v| v.wrapping_abs()),
        Sign => map_strided(x, l, |v| v.signum()),
        Relu => map_strided(x, l, |v| v.max(0)),
        Floor | Ceil | Round | Trunc => map_strided(x, l, |v| v),
        PowScalar(p) => {
            if p < 0.0 {
                return dtype_err(
                    "pow",
                    "Integers to negative integer powers are not allowed.",
                );
            }
            let p = p as u32;
            map_strided(x, l, move |v| v.wrapping_pow(p))
        }
        Clamp(lo, hi) => map_strided(x, l, move |v| {
            let mut r = v;
            if let Some(lo) = lo {
                r = r.max(lo.ceil() as i64)
            }
            if let Some(hi) = hi {
                r = r.min(hi.floor() as i64)
            }
            r
        }),
        _ => {
            return dtype_err(
                op.name(),
                format!("{} is not implemented for integer tensors", op.name()),
            )
        }
    })
}

pub fn unary(op: UnaryOp, x: &CpuStorage, l: &Layout) -> Result<CpuStorage> {
    if op == UnaryOp::LogicalNot {
        fn not<T: crate::dtype::Element>(x: &[T], l: &Layout) -> Vec<bool> {
            map_strided(x, l, |v| v == T::zero())
        }
        return Ok(crate::with_cpu!(x, b => not(b.as_slice(), l)).into_storage());
    }
    Ok(match x {
        CpuStorage::F32(b) => float_unary(op, b.as_slice(), l).into_storage(),
        CpuStorage::F64(b) => float_unary(op, b.as_slice(), l).into_storage(),
        CpuStorage::I64(b) => int_unary(op, b.as_slice(), l)?.into_storage(),
        CpuStorage::Bool(b) => match op {
            UnaryOp::Abs
            | UnaryOp::Relu
            | UnaryOp::Floor
            | UnaryOp::Ceil
            | UnaryOp::Round
            | UnaryOp::Trunc
            | UnaryOp::Sign => map_strided(b.as_slice(), l, |v| v).into_storage(),
            _ => {
                return not_implemented_err(format!(
                    "{}: not implemented for 'Bool' tensors",
                    op.name()
                ))
            }
        },
    })
}

fn float_binary<F: Float>(
    op: BinaryOp,
    a: &[F],
    la: &Layout,
    b: &[F],
    lb: &Layout,
) -> Result<CpuStorage>
where
    Vec<F>: IntoStorage,
{
    use BinaryOp::*;
    Ok(match op {
        Add => map2_strided(a, la, b, lb, |x, y| x + y).into_storage(),
        Sub => map2_strided(a, la, b, lb, |x, y| x - y).into_storage(),
        Mul => map2_strided(a, la, b, lb, |x, y| x * y).into_storage(),
        Div => map2_strided(a, la, b, lb, |x, y| x / y).into_storage(),
        Pow => map2_strided(a, la, b, lb, |x, y| x.powf(y)).into_storage(),
        Atan2 => map2_strided(a, la, b, lb, |x, y| x.atan2(y)).into_storage(),
        Maximum => map2_strided(a, la, b, lb, |x, y| x.max_nan(y)).into_storage(),
        Minimum => map2_strided(a, la, b, lb, |x, y| x.min_nan(y)).into_storage(),
        FloorDivide => map2_strided(a, la, b, lb, floor_divide).into_storage(),
        Remainder => map2_strided(a, la, b, lb, remainder).into_storage(),
        Fmod => map2_strided(a, la, b, lb, fmod).into_storage(),
        Eq => map2_strided(a, la, b, lb, |x, y| x == y).into_storage(),
        Ne => map2_strided(a, la, b, lb, |x, y| x != y).into_storage(),
        Lt => map2_strided(a, la, b, lb, |x, y| x < y).into_storage(),
        Le => map2_strided(a, la, b, lb, |x, y| x <= y).into_storage(),
        Gt => map2_strided(a, la, b, lb, |x, y| x > y).into_storage(),
        Ge => map2_strided(a, la, b, lb, |x, y| x >= y).into_storage(),
        LogicalAnd => {
            map2_strided(a, la, b, lb, |x, y| x != F::zero() && y != F::zero()).into_storage()
        }
        LogicalOr => {
            map2_strided(a, la, b, lb, |x, y| x != F::zero() || y != F::zero()).into_storage()
        }
        LogicalXor => {
            map2_strided(a, la, b, lb, |x, y| (x != F::zero()) != (y != F::zero())).into_storage()
        }
        BitAnd | BitOr | BitXor => {
            return not_implemented_err(format!(
                "\"{}_cpu\" not implemented for 'Float'",
                op.name()
            ))
        }
    })
}

/// Python's modulo (the divisor's sign) from the exact fmod, as PyTorch's
/// kernel: `x - floor(x / y) * y` rounds the quotient first, which is off by
/// whole multiples of y once the quotient passes 2^24 (float32).
/// C's fmod (the dividend's sign), exact. float32 operands whose quotient
/// is below 2^29 in magnitude take x - trunc(x / y) * y in float64, exact
/// there and several times faster than libm's fmodf: the float64 quotient
/// is within 2^-24 of the true one, and a non-whole quotient of two float32
/// numbers lies further than that from every whole number, so its trunc is
/// right; trunc * y has at most 29 + 24 bits, and the difference, the exact
/// remainder, is a float32 number. A zero takes x's sign. The rest (float64,
/// huge quotients, zero or infinite operands, NaN) use Rust's `%`, C's fmod.
#[inline(always)]
fn fmod<F: Float>(x: F, y: F) -> F {
    if F::DTYPE == crate::dtype::DType::F32 {
        let (xd, yd) = (x.to_f64(), y.to_f64());
        let q = xd / yd;
        if q.abs() < 536_870_912.0 && yd.is_finite() {
            let r = xd - q.trunc() * yd;
            return F::from_f64(if r == 0.0 { 0.0f64.copysign(xd) } else { r });
        }
    }
    c_fmod(x, y)
}

/// Rust's `%` (LLVM's `frem`) out of line: inline, the compiler may compute
/// it for every element of a vectorised loop and select afterwards, which
/// would call libm's fmodf for each one and undo `fmod`'s fast path.
#[inline(never)]
fn c_fmod<F: Float>(x: F, y: F) -> F {
    x % y
}

fn remainder<F: Float>(x: F, y: F) -> F {
    let m = fmod(x, y);
    if m != F::zero() && ((y < F::zero()) != (m < F::zero())) {
        m + y
    } else {
        m
    }
}

/// Python's floor division of floats (PyTorch's `div_floor_floating`): the
/// exact quotient of `x - fmod(x, y)`, one down where the remainder's sign
/// differs from the divisor's, rounded to the nearest whole; a zero keeps
/// the sign of `x / y`. `floor(x / y)` misses where `x / y` rounds up to a
/// whole number.
fn floor_divide<F: Float>(x: F, y: F) -> F {
    if y == F::zero() {
        return x / y;
    }
    let m = fmod(x, y);
    let mut div = (x - m) / y;
    if m != F::zero() && ((y < F::zero()) != (m < F::zero())) {
        div = div - F::one();
    }
    if div == F::zero() {
        // +-0 with the sign of the true quotient (|x / y| < 1 here: finite)
        return F::zero() * (x / y);
    }
    let floor = div.floor();
    if div - floor > F::from_f64(0.5) {
        floor + F::one()
    } else {
        floor
    }
}

fn int_binary(op: BinaryOp, a: &[i64], la: &Layout, b: &[i64], lb: &Layout) -> Result<CpuStorage> {
    use BinaryOp::*;
    let has_zero = || {
        let mut z = false;
        lb.for_each_offset(|o| z |= b[o] == 0);
        z
    };
    Ok(match op {
        Add => map2_strided(a, la, b, lb, |x, y| x.wrapping_add(y)).into_storage(),
        Sub => map2_strided(a, la, b, lb, |x, y| x.wrapping_sub(y)).into_storage(),
        Mul => map2_strided(a, la, b, lb, |x, y| x.wrapping_mul(y)).into_storage(),
        // A negative exponent tensor (PyTorch refuses only a scalar one) gives
        // 1 / x^-y truncated toward zero: 1 for x == 1, +-1 for x == -1, else
        // 0 (0 ** -1 included), as PyTorch and the GPU's ipow.
        Pow => map2_strided(a, la, b, lb, |x, y| match (x, y) {
            (1, _) => 1,
            (-1, _) if y < 0 => 1 - 2 * (y & 1),
            (_, _) if y < 0 => 0,
            _ => x.wrapping_pow(y.min(u32::MAX as i64) as u32),
        })
        .into_storage(),
        Maximum => map2_strided(a, la, b, lb, |x, y| x.max(y)).into_storage(),
        Minimum => map2_strided(a, la, b, lb, |x, y| x.min(y)).into_storage(),
        FloorDivide => {
            if has_zero() {
                return Err(crate::error::Error::Runtime("ZeroDivisionError".into()));
            }
            map2_strided(a, la, b, lb, |x, y| {
                x.wrapping_div_euclid(y)
                    - if y < 0 && x.wrapping_rem_euclid(y) != 0 {
                        1
                    } else {
                        0
                    }
            })
            .into_storage()
        }
        Remainder => {
            if has_zero() {
                return Err(crate::error::Error::Runtime("ZeroDivisionError".into()));
            }
            map2_strided(a, la, b, lb, |x, y| {
                let r = x.wrapping_rem(y);
                if r != 0 && ((r < 0) != (y < 0)) {
                    r + y
                } else {
                    r
                }
            })
            .into_storage()
        }
        Fmod => {
            if has_zero() {
                return Err(crate::error::Error::Runtime("ZeroDivisionError".into()));
            }
            // C's %: the dividend's sign (i64::MIN % -1 is 0, not an overflow)
            map2_strided(a, la, b, lb, |x, y| x.wrapping_rem(y)).into_storage()
        }
        Eq => map2_strided(a, la, b, lb, |x, y| x == y).into_storage(),
        Ne => map2_strided(a, la, b, lb, |x, y| x != y).into_storage(),
        Lt => map2_strided(a, la, b, lb, |x, y| x < y).into_storage(),
        Le => map2_strided(a, la, b, lb, |x, y| x <= y).into_storage(),
        Gt => map2_strided(a, la, b, lb, |x, y| x > y).into_storage(),
        Ge => map2_strided(a, la, b, lb, |x, y| x >= y).into_storage(),
        LogicalAnd => map2_strided(a, la, b, lb, |x, y| x != 0 && y != 0).into_storage(),
        LogicalOr => map2_strided(a, la, b, lb, |x, y| x != 0 || y != 0).into_storage(),
        LogicalXor => map2_strided(a, la, b, lb, |x, y| (x != 0) != (y != 0)).into_storage(),
        BitAnd => map2_strided(a, la, b, lb, |x, y| x & y).into_storage(),
        BitOr => map2_strided(a, la, b, lb, |x, y| x | y).into_storage(),
        BitXor => map2_strided(a, la, b, lb, |x, y| x ^ y).into_storage(),
        Div | Atan2 => unreachable!("true division computes in float; see BinaryOp::needs_float"),
    })
}

fn bool_binary(
    op: BinaryOp,
    a: &[bool],
    la: &Layout,
    b: &[bool],
    lb: &Layout,
) -> Result<CpuStorage> {
    use BinaryOp::*;
    Ok(match op {
        Eq => map2_strided(a, la, b, lb, |x, y| x == y),
        Ne | LogicalXor | BitXor => map2_strided(a, la, b, lb, |x, y| x != y),
        Lt => map2_strided(a, la, b, lb, |x, y| !x & y),
        Le => map2_strided(a, la, b, lb, |x, y| x <= y),
        Gt => map2_strided(a, la, b, lb, |x, y| x & !y),
        Ge => map2_strided(a, la, b, lb, |x, y| x >= y),
        LogicalAnd | BitAnd | Mul | Minimum => map2_strided(a, la, b, lb, |x, y| x && y),
        LogicalOr | BitOr | Add | Maximum => map2_strided(a, la, b, lb, |x, y| x || y),
        Sub => return not_implemented_err("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."),
        _ => return not_implemented_err(format!("\"{}\" not implemented for 'Bool'", op.name())),
    }
    .into_storage())
}

/// `a + scale * b` with one rounding (`mul_add`), both float operands of one
/// dtype with layouts expanded to the output shape; None for other dtypes.
pub fn scaled_add(
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
    scale: f64,
) -> Option<CpuStorage> {
    match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => {
            let s = scale as f32;
            Some(
                map2_strided(x.as_slice(), la, y.as_slice(), lb, move |p, q| {
                    q.mul_add(s, p)
                })
                .into_storage(),
            )
        }
        (CpuStorage::F64(x), CpuStorage::F64(y)) => Some(
            map2_strided(x.as_slice(), la, y.as_slice(), lb, move |p, q| {
                q.mul_add(scale, p)
            })
            .into_storage(),
        ),
        _ => None,
    }
}

/// Both operands share a dtype and have layouts expanded to the output shape.
pub fn binary(
    op: BinaryOp,
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
) -> Result<CpuStorage> {
    match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => {
            float_binary(op, x.as_slice(), la, y.as_slice(), lb)
        }
        (CpuStorage::F64(x), CpuStorage::F64(y)) => {
            float_binary(op, x.as_slice(), la, y.as_slice(), lb)
        }
        (CpuStorage::I64(x), CpuStorage::I64(y)) => {
            int_binary(op, x.as_slice(), la, y.as_slice(), lb)
        }
        (CpuStorage::Bool(x), CpuStorage::Bool(y)) => {
            bool_binary(op, x.as_slice(), la, y.as_slice(), lb)
        }
        _ => dtype_err(
            op.name(),
            format!(
                "{}: operands must share a dtype ({} vs {})",
                op.name(),
                a.dtype(),
                b.dtype()
            ),
        ),
    }
}

/// `dst[i] = dst[i] op alpha * src[i]` over contiguous float elements, or
/// `op alpha * src[0]` for a one-element source: in-place arithmetic
/// (`add_`, `-=`, ...) without the temporaries and copy-back of the general
/// path. The element expressions are those of `binary` and of `scaled_add`
/// (one rounding for `x ± alpha * y`), so the values are bitwise the same. `alpha` is 1 except for add and sub. Returns false,
/// having written nothing, for ops or dtypes it does not cover.
pub fn binary_inplace(
    op: BinaryOp,
    dst: &mut CpuStorage,
    dr: std::ops::Range<usize>,
    src: &CpuStorage,
    sr: std::ops::Range<usize>,
    alpha: f64,
) -> bool {
    fn run<F: Float>(d: &mut [F], s: &[F], f: impl Fn(F, F) -> F + Sync + Send) {
        use rayon::prelude::*;
        let parallel = d.len() >= super::PAR_THRESHOLD;
        match s {
            [y] if parallel => d
                .par_chunks_mut(super::CHUNK)
                .for_each(|c| super::simd::update_scalar_slice(c, *y, &f)),
            [y] => super::simd::update_scalar_slice(d, *y, &f),
            _ if parallel => d
                .par_chunks_mut(super::CHUNK)
                .zip(s.par_chunks(super::CHUNK))
                .for_each(|(c, t)| super::simd::update_slice(c, t, &f)),
            _ => super::simd::update_slice(d, s, &f),
        }
    }
    fn typed<F: Float>(op: BinaryOp, d: &mut [F], s: &[F], alpha: f64) -> bool {
        use BinaryOp::*;
        let a = F::from_f64(alpha);
        match op {
            Add if alpha == 1.0 => run(d, s, |x, y| x + y),
            Add => run(d, s, move |x, y| y.mul_add(a, x)),
            Sub if alpha == 1.0 => run(d, s, |x, y| x - y),
            Sub => run(d, s, move |x, y| (-y).mul_add(a, x)),
            Mul if alpha == 1.0 => run(d, s, |x, y| x * y),
            Div if alpha == 1.0 => run(d, s, |x, y| x / y),
            _ => return false,
        }
        true
    }
    match (dst, src) {
        (CpuStorage::F32(d), CpuStorage::F32(s)) => {
            typed(op, &mut d.as_mut_slice()[dr], &s.as_slice()[sr], alpha)
        }
        (CpuStorage::F64(d), CpuStorage::F64(s)) => {
            typed(op, &mut d.as_mut_slice()[dr], &s.as_slice()[sr], alpha)
        }
        _ => false,
    }
}

/// d(op)/dx times `g` in one pass. `v` is what the op's rule saved: the input
/// x, or the output y for ops in `grad_rules::unary_saves_output`.
fn float_unary_backward<F: Float>(
    op: UnaryOp,
    g: &[F],
    lg: &Layout,
    v: &[F],
    lv: &Layout,
) -> Option<Vec<F>> {
    use UnaryOp::*;
    let one = F::one();
    let zero = F::zero();
    let two = F::from_f64(2.0);
    Some(match op {
        Exp => map2_strided(g, lg, v, lv, |g, y| g * y),
        Tanh => map2_strided(g, lg, v, lv, move |g, y| g * (one - y * y)),
        Sigmoid => map2_strided(g, lg, v, lv, move |g, y| g * y * (one - y)),
        Sqrt => map2_strided(g, lg, v, lv, move |g, y| g / (two * y)),
        Rsqrt => {
            let h = F::from_f64(-0.5);
            map2_strided(g, lg, v, lv, move |g, y| g * h * y * y * y)
        }
        Reciprocal => map2_strided(g, lg, v, lv, |g, y| -(g * y * y)),
        // threshold_backward: zero where y <= 0, so a NaN output passes g
        Relu => map2_strided(g, lg, v, lv, move |g, y| if y <= zero { zero } else { g }),
        // g * sgn(x), a product: an inf or NaN gradient at x = 0 gives NaN, as PyTorch's
        Abs => map2_strided(g, lg, v, lv, move |g, x| g * sign_of(x, one, zero)),
        Log => map2_strided(g, lg, v, lv, |g, x| g / x),
        Log1p => map2_strided(g, lg, v, lv, move |g, x| g / (one + x)),
        // PyTorch's grad * (result + 1), from the saved output
        Expm1 => map2_strided(g, lg, v, lv, move |g, y| g * (y + one)),
        Sin => map2_strided(g, lg, v, lv, |g, x| g * x.cos()),
        Cos => map2_strided(g, lg, v, lv, |g, x| -(g * x.sin())),
        Tan => map2_strided(g, lg, v, lv, move |g, x| {
            let t = x.tan();
            g * (one + t * t)
        }),
        Softplus => map2_strided(g, lg, v, lv, |g, x| g * x.sigmoid()),
        Erf => {
            let c = F::from_f64(std::f64::consts::FRAC_2_SQRT_PI);
            map2_strided(g, lg, v, lv, move |g, x| g * c * (-(x * x)).exp())
        }
        PowScalar(p) => {
            if p == 0.0 {
                map2_strided(g, lg, v, lv, move |_, _| zero)
            } else {
                // PyTorch's order: grad * (p * x^(p-1)), the power as the forward takes it
                let pf = F::from_f64(p);
                let power = float_unary(PowScalar(p - 1.0), v, lv);
                map2_strided(
                    g,
                    lg,
                    &power,
                    &Layout::contiguous(lv.shape.clone()),
                    move |g, t| g * (pf * t),
                )
            }
        }
        RPowScalar(b) => {
            let bf = F::from_f64(b);
            let lnb = F::from_f64(b.ln());
            map2_strided(g, lg, v, lv, move |g, x| g * bf.powf(x) * lnb)
        }
        Clamp(lo, hi) => {
            // strictly inside, as the recorded rule (grad_rules.rs); plain
            // values and non-short-circuit `|`/`&`, so the loop stays
            // branch-free and vectorises (Option::map_or with `&&` left a
            // scalar loop, 10x slower than relu's)
            let (no_lo, no_hi) = (lo.is_none(), hi.is_none());
            let lo = F::from_f64(lo.unwrap_or(0.0));
            let hi = F::from_f64(hi.unwrap_or(0.0));
            map2_strided(g, lg, v, lv, move |g, x| {
                let inside = (no_lo | (x > lo)) & (no_hi | (x < hi));
                if inside {
                    g
                } else {
                    zero
                }
            })
        }
        Act(a) => super::activation::backward(a, g, lg, v, lv),
        Neg | Sign | Floor | Ceil | Round | Trunc | LogicalNot => return None,
    })
}

/// Fused gradient of a unary op (`None`: the op has no fused form).
pub fn unary_backward(
    op: UnaryOp,
    g: &CpuStorage,
    lg: &Layout,
    v: &CpuStorage,
    lv: &Layout,
) -> Option<CpuStorage> {
    match (g, v) {
        (CpuStorage::F32(g), CpuStorage::F32(v)) => {
            float_unary_backward(op, g.as_slice(), lg, v.as_slice(), lv).map(|o| o.into_storage())
        }
        (CpuStorage::F64(g), CpuStorage::F64(v)) => {
            float_unary_backward(op, g.as_slice(), lg, v.as_slice(), lv).map(|o| o.into_storage())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The float32 fast path of `fmod` against C's fmod (Rust's `%`), bit
    /// for bit, over random bit patterns (every exponent, NaN and the
    /// infinities included) and the signed-zero cases.
    #[test]
    fn float32_fmod_is_c_fmod() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            f32::from_bits((state >> 32) as u32)
        };
        let same = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for _ in 0..200_000 {
            let (x, y) = (next(), next());
            assert!(same(fmod(x, y), x % y), "fmod({x:e}, {y:e})");
            // operands of nearby sizes, where the quotient is small
            let y = x * (next().abs() % 7.0 + 0.01);
            assert!(same(fmod(x, y), x % y), "fmod({x:e}, {y:e})");
        }
        for (x, y) in [
            (-4.0f32, 2.0),
            (4.0, -2.0),
            (-0.0, 3.0),
            (5.0, f32::INFINITY),
            (1.0, 0.0),
        ] {
            assert!(same(fmod(x, y), x % y), "fmod({x}, {y})");
        }
    }
}
