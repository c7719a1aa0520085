//! Elementwise arithmetic: unary maps, broadcasting binary ops with PyTorch's
//! type promotion, scalar shorthands, `where`.

use super::{needs_grad, record, Tensor};
use crate::dtype::{result_type, DType};
use crate::error::{dtype_err, not_implemented_err, Result};
use crate::grad_rules::{binary_name, unary_name, unary_saves_output, Rule, Saved};
use crate::op::{BinaryOp, UnaryOp};
use crate::shape::broadcast_shapes;
use crate::storage::Storage;

impl Tensor {
    /// This tensor in `dtype`, without a copy when it already is.
    pub(crate) fn cast_nograd(&self, dtype: DType) -> Result<Tensor> {
        if self.dtype() == dtype {
            return Ok(self.clone());
        }
        let s = self.to_contiguous_storage(dtype)?;
        Ok(Tensor::contiguous_from(s, self.shape()))
    }

    pub fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        let dt = self.dtype();
        if dt == DType::Bool && op == UnaryOp::Neg {
            return not_implemented_err("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        }
        let compute = if op.needs_float() { dt.to_float() } else { dt };
        let src = self.cast_nograd(compute)?;
        let out = match op {
            // no fused kernel off the CPU: the same formula in basic ops
            UnaryOp::Act(a) if src.device() != crate::storage::Device::Cpu => {
                crate::tensor::activation_ops::forward_ops(a, &src)?
            }
            _ => src.unary_keeping_layout(op)?,
        };
        if op != UnaryOp::LogicalNot {
            record(&out, unary_name(op), &[self], || match op {
                UnaryOp::Neg => Rule::Neg,
                UnaryOp::Sign
                | UnaryOp::Floor
                | UnaryOp::Ceil
                | UnaryOp::Round
                | UnaryOp::Trunc => Rule::Zero,
                _ if unary_saves_output(op) => Rule::UnaryOut(op, Saved::output(&out)),
                _ => Rule::UnaryX(op, Saved::input(self)),
            });
        }
        Ok(out)
    }

    /// `op` of every element, unrecorded. A transposed or permuted input (a
    /// dense permutation) is mapped in storage order and the result keeps
    /// its strides, as PyTorch's elementwise ops do: one linear pass instead
    /// of a strided walk.
    fn unary_keeping_layout(&self, op: UnaryOp) -> Result<Tensor> {
        let l = self.layout();
        if !l.is_contiguous() && l.is_dense_permutation() {
            let n = l.numel();
            let flat = crate::layout::Layout {
                shape: smallvec::smallvec![n],
                strides: smallvec::smallvec![1],
                offset: l.offset,
            };
            let storage = self.with_storage(|s, _| s.unary(op, &flat))?;
            let strided = crate::layout::Layout {
                shape: l.shape.clone(),
                strides: l.strides.clone(),
                offset: 0,
            };
            return Ok(Tensor::from_storage(storage, strided));
        }
        Ok(Tensor::contiguous_from(
            self.with_storage(|s, l| s.unary(op, l))?,
            self.shape(),
        ))
    }

    /// The gradient of `op` for this incoming gradient in one pass, unrecorded.
    pub(crate) fn unary_backward_fused(&self, op: UnaryOp, saved: &Tensor) -> Option<Tensor> {
        let g = self.cast_nograd(saved.dtype()).ok()?;
        let (vg, vs) = (g.view_guard(), saved.view_guard());
        let (sg, ss) = (
            vg.storage.data.read_recursive(),
            vs.storage.data.read_recursive(),
        );
        let (lg, ls) = (&vg.layout, &vs.layout);
        // both the same permutation (a transposed input's gradient): one
        // linear pass, the result in that layout (as the forward's)
        if lg.strides == ls.strides && !ls.is_contiguous() && ls.is_dense_permutation() {
            let n = ls.numel();
            let flat = |o: usize| crate::layout::Layout {
                shape: smallvec::smallvec![n],
                strides: smallvec::smallvec![1],
                offset: o,
            };
            let storage = sg.unary_backward(op, &flat(lg.offset), &ss, &flat(ls.offset))?;
            let strided = crate::layout::Layout {
                shape: ls.shape.clone(),
                strides: ls.strides.clone(),
                offset: 0,
            };
            return Some(Tensor::from_storage(storage, strided));
        }
        let storage = sg.unary_backward(op, lg, &ss, ls)?;
        Some(Tensor::contiguous_from(storage, saved.shape()))
    }

    /// The dtype `op` computes in: PyTorch's promotion of the two operands
    /// (wrapped numbers and 0-d tensors weigh less), float for float-valued ops.
    pub(crate) fn binary_compute_dtype(&self, op: BinaryOp, other: &Tensor) -> DType {
        let common = result_type(&[self.promotion_operand(), other.promotion_operand()]);
        if op.needs_float() {
            common.to_float()
        } else {
            common
        }
    }

    /// The operands `binary_alpha` computes with: both cast to the promoted
    /// dtype, `other` scaled by `alpha`; and that dtype.
    pub(crate) fn binary_operands(
        &self,
        op: BinaryOp,
        other: &Tensor,
        alpha: f64,
    ) -> Result<(Tensor, Tensor, DType)> {
        let compute = self.binary_compute_dtype(op, other);
        let (da, db) = (self.dtype(), other.dtype());
        let a = if da == compute {
            self.clone()
        } else {
            self.cast_nograd(compute)?
        };
        if alpha.fract() != 0.0 && !compute.is_float() {
            return dtype_err(
                op.name(),
                "For integral input tensors, argument alpha must not be a floating point number.",
            );
        }
        let b = if alpha != 1.0 {
            // alpha as a plain 0-d tensor of the compute dtype: were it a
            // wrapped number like `other` may be (`x.add_(0.5, alpha=2)`),
            // the product of two wrapped numbers would take the default
            // dtype, and a float64 `x` would then meet a float32 operand.
            let _g = crate::grad_mode::GradModeGuard::new(false);
            let o = other.cast_nograd(compute)?;
            o.mul(&Tensor::full_on(&[], alpha, compute, o.device())?)?
        } else if db == compute {
            other.clone()
        } else {
            other.cast_nograd(compute)?
        };
        Ok((a, b, compute))
    }

    /// Broadcasting binary op; comparisons return bool.
    pub fn binary(&self, op: BinaryOp, other: &Tensor) -> Result<Tensor> {
        self.binary_alpha(op, other, 1.0)
    }

    /// `self op (alpha * other)` for add/sub (PyTorch's `alpha=`).
    pub fn binary_alpha(&self, op: BinaryOp, other: &Tensor, alpha: f64) -> Result<Tensor> {
        if let Some(out) = self.scaled_add_fused(op, other, alpha)? {
            return self.record_binary(op, other, alpha, out);
        }
        let (a, b, compute) = self.binary_operands(op, other, alpha)?;
        let (storage, out_shape) = {
            let (va, vb) = (a.view_guard(), b.view_guard());
            let (xa, xb) = (
                va.storage.data.read_recursive(),
                vb.storage.data.read_recursive(),
            );
            if va.layout.shape == vb.layout.shape {
                (
                    xa.binary(op, &va.layout, &xb, &vb.layout)?,
                    va.layout.shape.clone(),
                )
            } else {
                let out_shape = broadcast_shapes(op.name(), &va.layout.shape, &vb.layout.shape)?;
                let la = va.layout.expand(op.name(), &out_shape)?;
                let lb = vb.layout.expand(op.name(), &out_shape)?;
                (xa.binary(op, &la, &xb, &lb)?, out_shape)
            }
        };
        let out = Tensor::contiguous_from(storage, out_shape);
        if op.is_comparison() || op.is_bitwise() || !compute.is_float() {
            return Ok(out);
        }
        self.record_binary(op, other, alpha, out)
    }

    /// `self ± alpha * other` in one rounding, as PyTorch's CPU kernel (a
    /// fused multiply-add; the product rounded first differs in the last bit
    /// for about a fifth of float32 elements). None where the general path
    /// applies: alpha 1, not add/sub, integers, or a GPU/meta operand.
    fn scaled_add_fused(&self, op: BinaryOp, other: &Tensor, alpha: f64) -> Result<Option<Tensor>> {
        if alpha == 1.0 || !matches!(op, BinaryOp::Add | BinaryOp::Sub) {
            return Ok(None);
        }
        let compute = self.binary_compute_dtype(op, other);
        if !compute.is_float() {
            return Ok(None);
        }
        let (a, b, _) = self.binary_operands(op, other, 1.0)?;
        let (va, vb) = (a.view_guard(), b.view_guard());
        let (xa, xb) = (
            va.storage.data.read_recursive(),
            vb.storage.data.read_recursive(),
        );
        let (Storage::Cpu(ca), Storage::Cpu(cb)) = (&*xa, &*xb) else {
            return Ok(None);
        };
        let out_shape = broadcast_shapes(op.name(), &va.layout.shape, &vb.layout.shape)?;
        let la = va.layout.expand(op.name(), &out_shape)?;
        let lb = vb.layout.expand(op.name(), &out_shape)?;
        crate::storage::guard_alloc(op.name(), la.numel(), compute)?;
        let scale = if op == BinaryOp::Sub { -alpha } else { alpha };
        let Some(c) = crate::backend::cpu::elementwise::scaled_add(ca, &la, cb, &lb, scale) else {
            return Ok(None);
        };
        Ok(Some(Tensor::contiguous_from(Storage::Cpu(c), out_shape)))
    }

    /// The graph node of a float binary op's result.
    fn record_binary(
        &self,
        op: BinaryOp,
        other: &Tensor,
        alpha: f64,
        out: Tensor,
    ) -> Result<Tensor> {
        let (x, y) = (self, other);
        // PyTorch's Scalar overloads (`x % 0.5`, `x // 2`, `2 % x`) take the
        // number as no input at all, and `remainder(number, tensor)` has no
        // derivative
        let number_first = x.0.wrapped_number && !y.0.wrapped_number;
        let scalar_overload = matches!(op, BinaryOp::Remainder | BinaryOp::FloorDivide)
            && (y.0.wrapped_number || number_first);
        // (fmod's node is recorded by its Python function; the bare kernel
        // has no derivative of its own)
        let not_implemented = matches!(op, BinaryOp::FloorDivide | BinaryOp::Fmod)
            || (op == BinaryOp::Remainder && number_first);
        let name = match op {
            _ if not_implemented => "NotImplemented",
            BinaryOp::Remainder if y.0.wrapped_number => "RemainderBackward0",
            BinaryOp::Remainder => "RemainderBackward1",
            _ => binary_name(op),
        };
        record(&out, name, &[x, y], || match op {
            _ if not_implemented => Rule::NotImplemented(op.name()),
            BinaryOp::Add => Rule::Add { alpha },
            BinaryOp::Sub => Rule::Sub { alpha },
            BinaryOp::Mul => {
                // `other` is saved first, as PyTorch's node saves (the
                // order saved-tensor pack hooks see)
                let other = x.needs_derivative().then(|| Saved::input(y));
                Rule::Mul(y.needs_derivative().then(|| Saved::input(x)), other)
            }
            BinaryOp::Div => Rule::Div(
                Saved::input(y),
                y.needs_derivative().then(|| Saved::input(x)),
            ),
            BinaryOp::Pow => Rule::Pow(Saved::input(x), Saved::input(y), Saved::output(&out)),
            BinaryOp::Atan2 => Rule::Atan2(Saved::input(x), Saved::input(y)),
            BinaryOp::Maximum => Rule::MaxMin {
                a: Saved::input(x),
                b: Saved::input(y),
                max: true,
            },
            BinaryOp::Minimum => Rule::MaxMin {
                a: Saved::input(x),
                b: Saved::input(y),
                max: false,
            },
            BinaryOp::Remainder => Rule::Remainder(Saved::input(x), Saved::input(y)),
            _ => Rule::Zero,
        });
        if scalar_overload {
            crate::graph::hide_inputs(&out, if number_first { 0b01 } else { 0b10 });
        }
        Ok(out)
    }

    /// `round(decimals=d)`: as PyTorch, `round(x * 10^d) / 10^d` (for d < 0,
    /// `round(x / 10^-d) * 10^-d`), one node (RoundBackward1, zero gradient).
    pub fn round_decimals(&self, decimals: i64) -> Result<Tensor> {
        let out = {
            let _off = crate::grad_mode::GradModeGuard::new(false);
            if decimals >= 0 {
                let f = 10f64.powi(decimals as i32);
                self.mul_scalar(f)?
                    .unary(crate::op::UnaryOp::Round)?
                    .div_scalar(f)?
            } else {
                let f = 10f64.powi((-decimals) as i32);
                self.div_scalar(f)?
                    .unary(crate::op::UnaryOp::Round)?
                    .mul_scalar(f)?
            }
        };
        if out.dtype().is_float() {
            record(&out, "RoundBackward1", &[self], || Rule::Zero);
        }
        Ok(out)
    }

    /// `div(other, rounding_mode=...)`: the floor or truncation of the
    /// quotient, recorded as PyTorch's DivBackward2 (zero gradient to both
    /// inputs; `x // y` itself has no derivative in PyTorch).
    pub fn div_rounded(&self, other: &Tensor, floor: bool) -> Result<Tensor> {
        let out = {
            let _off = crate::grad_mode::GradModeGuard::new(false);
            if floor {
                self.binary(BinaryOp::FloorDivide, other)?
            } else {
                let q = self
                    .binary(BinaryOp::Div, other)?
                    .unary(crate::op::UnaryOp::Trunc)?;
                // integer operands: the truncated quotient stays integer
                let int = !self.dtype().is_float() && !other.dtype().is_float();
                if int {
                    q.to_dtype(crate::dtype::DType::I64)?
                } else {
                    q
                }
            }
        };
        if out.dtype().is_float() {
            record(&out, "DivBackward2", &[self, other], || Rule::Zero);
        }
        Ok(out)
    }

    pub fn add(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Add, o)
    }
    pub fn sub(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Sub, o)
    }
    pub fn mul(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Mul, o)
    }
    pub fn div(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Div, o)
    }
    pub fn neg(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Neg)
    }
    pub fn square(&self) -> Result<Tensor> {
        self.unary(UnaryOp::PowScalar(2.0))
    }
    fn scalar_like(&self, v: f64) -> Tensor {
        let dt = if self.dtype().is_float() || v.fract() != 0.0 || !v.is_finite() {
            DType::F64
        } else {
            DType::I64
        };
        Tensor::wrapped_scalar(v, dt)
    }
    pub fn add_scalar(&self, v: f64) -> Result<Tensor> {
        self.add(&self.scalar_like(v))
    }
    pub fn mul_scalar(&self, v: f64) -> Result<Tensor> {
        self.mul(&self.scalar_like(v))
    }
    pub fn div_scalar(&self, v: f64) -> Result<Tensor> {
        self.div(&self.scalar_like(v))
    }
    /// `v - self`
    pub fn rsub_scalar(&self, v: f64) -> Result<Tensor> {
        self.scalar_like(v).sub(self)
    }
    pub fn pow_scalar(&self, p: f64) -> Result<Tensor> {
        let dt = self.dtype();
        if !dt.is_float() && (p.fract() != 0.0) {
            return self
                .cast_nograd(crate::dtype::default_float())?
                .pow_scalar(p);
        }
        self.unary(UnaryOp::PowScalar(p))
    }
    pub fn rpow_scalar(&self, base: f64) -> Result<Tensor> {
        self.unary(UnaryOp::RPowScalar(base))
    }
    fn cmp_scalar(&self, op: BinaryOp, v: f64) -> Result<Tensor> {
        self.binary(
            op,
            &Tensor::wrapped_scalar(
                v,
                if self.dtype().is_float() {
                    self.dtype()
                } else {
                    DType::F64
                },
            ),
        )
    }
    pub fn gt_scalar(&self, v: f64) -> Result<Tensor> {
        self.cmp_scalar(BinaryOp::Gt, v)
    }
    pub fn ge_scalar(&self, v: f64) -> Result<Tensor> {
        self.cmp_scalar(BinaryOp::Ge, v)
    }
    pub fn le_scalar(&self, v: f64) -> Result<Tensor> {
        self.cmp_scalar(BinaryOp::Le, v)
    }
    pub fn lt_scalar(&self, v: f64) -> Result<Tensor> {
        self.cmp_scalar(BinaryOp::Lt, v)
    }
    pub fn eq_scalar(&self, v: f64) -> Result<Tensor> {
        self.cmp_scalar(BinaryOp::Eq, v)
    }

    /// `where(self, a, b)`: self is the bool condition.
    pub fn where_(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        let dt = result_type(&[a.promotion_operand(), b.promotion_operand()]);
        let shape = broadcast_shapes(
            "where",
            &broadcast_shapes("where", &self.shape(), &a.shape())?,
            &b.shape(),
        )?;
        let (ca, cb) = (a.cast_nograd(dt)?, b.cast_nograd(dt)?);
        let storage = {
            let (vc, va, vb) = (self.view_guard(), ca.view_guard(), cb.view_guard());
            let lc = vc.layout.expand("where", &shape)?;
            let la = va.layout.expand("where", &shape)?;
            let lb = vb.layout.expand("where", &shape)?;
            let (sc, sa, sb) = (
                vc.storage.data.read_recursive(),
                va.storage.data.read_recursive(),
                vb.storage.data.read_recursive(),
            );
            sc.where_(&lc, &sa, &la, &sb, &lb)?
        };
        let out = Tensor::contiguous_from(storage, shape);
        if dt.is_float() && needs_grad(&[a, b]) {
            let cond = self.clone();
            record(&out, "WhereBackward0", &[self, a, b], || Rule::Where(cond));
        }
        Ok(out)
    }

    /// A copy in `dtype` (recorded: gradients flow back cast to the source dtype).
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if self.dtype() == dtype {
            return Ok(self.clone());
        }
        crate::storage::guard_alloc("to", self.numel(), dtype)?;
        let out = Tensor::contiguous_from(self.to_contiguous_storage(dtype)?, self.shape());
        if dtype.is_float() {
            record(&out, "ToCopyBackward0", &[self], || Rule::Identity);
        }
        Ok(out)
    }

    /// A copy on `device` that stays in the graph (`to("wgpu")`, `.cpu()`).
    pub fn to_device(&self, device: crate::storage::Device) -> Result<Tensor> {
        let from = self.device();
        if from == device {
            return Ok(self.clone());
        }
        let out = Tensor::contiguous_from(
            self.with_storage(|s, l| s.to_device(l, device))?,
            self.shape(),
        );
        record(&out, "ToCopyBackward0", &[self], || Rule::ToDevice(from));
        Ok(out)
    }

    /// A contiguous copy that stays in the graph (`clone()`).
    pub fn clone_tensor(&self) -> Result<Tensor> {
        crate::storage::guard_alloc("clone", self.numel(), self.dtype())?;
        let out = Tensor::contiguous_from(self.to_contiguous_storage(self.dtype())?, self.shape());
        record(&out, "CloneBackward0", &[self], || Rule::Identity);
        Ok(out)
    }

    /// A contiguous copy of the data, outside the graph.
    pub fn clone_data(&self) -> Result<Tensor> {
        crate::storage::guard_alloc("clone", self.numel(), self.dtype())?;
        Ok(Tensor::contiguous_from(
            self.to_contiguous_storage(self.dtype())?,
            self.shape(),
        ))
    }

    /// Self if it is contiguous from offset 0 of its storage, else a copy (unrecorded).
    pub(crate) fn contiguous_data(&self) -> Result<Tensor> {
        let v = self.view_guard();
        if v.layout.is_contiguous() && v.layout.offset == 0 {
            return Ok(self.clone());
        }
        drop(v);
        self.clone_data()
    }

    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        self.clone_tensor()
    }
}
