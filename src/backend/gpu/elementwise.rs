//! Elementwise kernels on the GPU: float32 unary/binary ops and comparisons
//! (`shaders/elementwise.wgsl`), int64-as-i32 and bool ops and `where`
//! (`shaders/elementwise_int.wgsl`).

use super::dispatch::{dispatch, grid_1d};
use super::{context, push_dims, u32_of, unsupported, GpuStorage};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::op::{BinaryOp, UnaryOp};

impl GpuStorage {
    pub fn unary(&self, op: UnaryOp, l: &Layout) -> Result<GpuStorage> {
        use UnaryOp::*;
        if self.dtype != DType::F32 {
            let int = self.dtype == DType::I64;
            let entry = match op {
                LogicalNot => "logical_not_i32",
                Neg if int => "neg_i32",
                Abs if int => "abs_i32",
                Sign if int => "sign_i32",
                Relu if int => "relu_i32",
                Floor | Ceil | Round | Trunc if int => return self.to_contiguous(l),
                PowScalar(p) if int => {
                    if p < 0.0 {
                        return Err(Error::DType {
                            op: "pow",
                            msg: "Integers to negative integer powers are not allowed.".into(),
                        });
                    }
                    return self.with_scalar(BinaryOp::Pow, l, p);
                }
                Clamp(lo, hi) if int => {
                    let mut r = self.to_contiguous(l)?;
                    let lc = Layout::contiguous(l.shape.clone());
                    if let Some(lo) = lo {
                        r = r.with_scalar(BinaryOp::Maximum, &lc, lo.ceil())?;
                    }
                    if let Some(hi) = hi {
                        r = r.with_scalar(BinaryOp::Minimum, &lc, hi.floor())?;
                    }
                    return Ok(r);
                }
                _ => return Err(unsupported(&format!("{} on {}", op.name(), self.dtype))),
            };
            let n = l.numel();
            let out_dtype = if op == LogicalNot {
                DType::Bool
            } else {
                self.dtype
            };
            let out = GpuStorage::new(op.name(), out_dtype, n)?;
            let mut params = vec![
                u32_of(op.name(), n)?,
                l.shape.len() as u32,
                u32_of(op.name(), l.offset)?,
                0,
            ];
            push_dims(&mut params, op.name(), &l.shape)?;
            push_dims(&mut params, op.name(), &l.strides)?;
            push_dims(&mut params, op.name(), &l.strides)?;
            dispatch(
                context()?,
                "elementwise_int",
                entry,
                &params,
                &[(1, self.raw()), (3, out.raw())],
                grid_1d(n)?,
            )?;
            return Ok(out);
        }
        let nan_bits = |v: Option<f64>| v.map(|v| (v as f32).to_bits()).unwrap_or(0x7fc0_0001);
        let (entry, s0, s1) = match op {
            Neg => ("neg_f32", 0, 0),
            Abs => ("abs_f32", 0, 0),
            Sign => ("sign_f32", 0, 0),
            Exp => ("exp_f32", 0, 0),
            Log => ("log_f32", 0, 0),
            Log1p => ("log1p_f32", 0, 0),
            Expm1 => ("expm1_f32", 0, 0),
            Sqrt => ("sqrt_f32", 0, 0),
            Rsqrt => ("rsqrt_f32", 0, 0),
            Sin => ("sin_f32", 0, 0),
            Cos => ("cos_f32", 0, 0),
            Tan => ("tan_f32", 0, 0),
            Tanh => ("tanh_f32", 0, 0),
            Sigmoid => ("sigmoid_f32", 0, 0),
            Relu => ("relu_f32", 0, 0),
            Reciprocal => ("reciprocal_f32", 0, 0),
            Floor => ("floor_f32", 0, 0),
            Ceil => ("ceil_f32", 0, 0),
            Round => ("round_f32", 0, 0),
            Trunc => ("trunc_f32", 0, 0),
            Erf => ("erf_f32", 0, 0),
            Softplus => ("softplus_f32", 0, 0),
            PowScalar(p) => ("pow_scalar_f32", (p as f32).to_bits(), 0),
            RPowScalar(p) => ("rpow_scalar_f32", (p as f32).to_bits(), 0),
            Clamp(lo, hi) => ("clamp_f32", nan_bits(lo), nan_bits(hi)),
            // float logical_not compares with zero in the tensor layer first
            LogicalNot => return Err(unsupported("logical_not on float32")),
            // composed of the ops above in the tensor layer (activation::forward_ops)
            Act(a) => return Err(unsupported(a.name())),
        };
        let n = l.numel();
        let out = GpuStorage::new(op.name(), DType::F32, n)?;
        let mut params = vec![
            u32_of(op.name(), n)?,
            l.shape.len() as u32,
            u32_of(op.name(), l.offset)?,
            0,
            s0,
            s1,
        ];
        push_dims(&mut params, op.name(), &l.shape)?;
        push_dims(&mut params, op.name(), &l.strides)?;
        push_dims(&mut params, op.name(), &l.strides)?;
        dispatch(
            context()?,
            "elementwise",
            entry,
            &params,
            &[(1, self.raw()), (3, out.raw())],
            grid_1d(n)?,
        )?;
        Ok(out)
    }

    /// `op(self, value)` for an integer tensor and a scalar (broadcast from a
    /// one-element buffer).
    fn with_scalar(&self, op: BinaryOp, l: &Layout, value: f64) -> Result<GpuStorage> {
        let v = GpuStorage::full(self.dtype, 1, value)?;
        let lv = Layout {
            shape: l.shape.clone(),
            strides: vec![0; l.shape.len()].into(),
            offset: 0,
        };
        self.binary_words(op, l, &v, &lv)
    }

    /// `la` and `lb` are already broadcast to the output shape.
    pub fn binary(
        &self,
        op: BinaryOp,
        la: &Layout,
        other: &GpuStorage,
        lb: &Layout,
    ) -> Result<GpuStorage> {
        use BinaryOp::*;
        if self.dtype != other.dtype {
            return Err(unsupported(&format!(
                "{} on {} and {}",
                op.name(),
                self.dtype,
                other.dtype
            )));
        }
        if self.dtype != DType::F32 {
            return self.binary_words(op, la, other, lb);
        }
        let (entry, out_dtype) = match op {
            Add => ("add_f32", DType::F32),
            Sub => ("sub_f32", DType::F32),
            Mul => ("mul_f32", DType::F32),
            Div => ("div_f32", DType::F32),
            Pow => ("pow_f32", DType::F32),
            Atan2 => ("atan2_f32", DType::F32),
            Maximum => ("maximum_f32", DType::F32),
            Minimum => ("minimum_f32", DType::F32),
            FloorDivide => ("floor_divide_f32", DType::F32),
            Remainder => ("remainder_f32", DType::F32),
            Fmod => ("fmod_f32", DType::F32),
            Eq => ("eq_f32", DType::Bool),
            Ne => ("ne_f32", DType::Bool),
            Lt => ("lt_f32", DType::Bool),
            Le => ("le_f32", DType::Bool),
            Gt => ("gt_f32", DType::Bool),
            Ge => ("ge_f32", DType::Bool),
            _ => return Err(unsupported(op.name())),
        };
        let n = la.numel();
        let out = GpuStorage::new(op.name(), out_dtype, n)?;
        let mut params = vec![
            u32_of(op.name(), n)?,
            la.shape.len() as u32,
            u32_of(op.name(), la.offset)?,
            u32_of(op.name(), lb.offset)?,
            0,
            0,
        ];
        push_dims(&mut params, op.name(), &la.shape)?;
        push_dims(&mut params, op.name(), &la.strides)?;
        push_dims(&mut params, op.name(), &lb.strides)?;
        let out_binding = if out_dtype == DType::Bool { 4 } else { 3 };
        dispatch(
            context()?,
            "elementwise",
            entry,
            &params,
            &[(1, self.raw()), (2, other.raw()), (out_binding, out.raw())],
            grid_1d(n)?,
        )?;
        Ok(out)
    }

    /// int64 (as i32) and bool operands: `shaders/elementwise_int.wgsl`.
    fn binary_words(
        &self,
        op: BinaryOp,
        la: &Layout,
        other: &GpuStorage,
        lb: &Layout,
    ) -> Result<GpuStorage> {
        use BinaryOp::*;
        let boolean = self.dtype == DType::Bool;
        let (entry, out_dtype) = match op {
            Add if !boolean => ("add_i32", self.dtype),
            Sub if !boolean => ("sub_i32", self.dtype),
            Mul if !boolean => ("mul_i32", self.dtype),
            Pow if !boolean => ("pow_i32", self.dtype),
            Maximum if !boolean => ("maximum_i32", self.dtype),
            Minimum if !boolean => ("minimum_i32", self.dtype),
            FloorDivide if !boolean => ("floor_divide_i32", self.dtype),
            Remainder if !boolean => ("remainder_i32", self.dtype),
            Fmod if !boolean => ("fmod_i32", self.dtype),
            BitAnd => ("bit_and_i32", self.dtype),
            BitOr => ("bit_or_i32", self.dtype),
            BitXor => ("bit_xor_i32", self.dtype),
            Eq => ("eq_i32", DType::Bool),
            Ne => ("ne_i32", DType::Bool),
            Lt => ("lt_i32", DType::Bool),
            Le => ("le_i32", DType::Bool),
            Gt => ("gt_i32", DType::Bool),
            Ge => ("ge_i32", DType::Bool),
            LogicalAnd => ("logical_and_i32", DType::Bool),
            LogicalOr => ("logical_or_i32", DType::Bool),
            LogicalXor => ("logical_xor_i32", DType::Bool),
            _ => return Err(unsupported(&format!("{} on {}", op.name(), self.dtype))),
        };
        let n = la.numel();
        let out = GpuStorage::new(op.name(), out_dtype, n)?;
        let mut params = vec![
            u32_of(op.name(), n)?,
            la.shape.len() as u32,
            u32_of(op.name(), la.offset)?,
            u32_of(op.name(), lb.offset)?,
        ];
        push_dims(&mut params, op.name(), &la.shape)?;
        push_dims(&mut params, op.name(), &la.strides)?;
        push_dims(&mut params, op.name(), &lb.strides)?;
        dispatch(
            context()?,
            "elementwise_int",
            entry,
            &params,
            &[(1, self.raw()), (2, other.raw()), (3, out.raw())],
            grid_1d(n)?,
        )?;
        Ok(out)
    }

    /// `cond ? a : b` word by word (any dtype); all layouts broadcast to the output.
    pub fn where_(
        &self,
        lc: &Layout,
        a: &GpuStorage,
        la: &Layout,
        b: &GpuStorage,
        lb: &Layout,
    ) -> Result<GpuStorage> {
        if a.dtype != b.dtype {
            return Err(unsupported("where between dtypes"));
        }
        let n = lc.numel();
        let out = GpuStorage::new("where", a.dtype, n)?;
        let u = |v: usize| u32_of("where", v);
        let mut params = vec![
            u(n)?,
            lc.shape.len() as u32,
            u(lc.offset)?,
            u(la.offset)?,
            u(lb.offset)?,
        ];
        for part in [&lc.shape, &lc.strides, &la.strides, &lb.strides] {
            push_dims(&mut params, "where", part)?;
        }
        dispatch(
            context()?,
            "elementwise_int",
            "where_u32",
            &params,
            &[(4, self.raw()), (1, a.raw()), (2, b.raw()), (3, out.raw())],
            grid_1d(n)?,
        )?;
        Ok(out)
    }
}
