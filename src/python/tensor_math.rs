//! Arithmetic methods and operators of `Tensor`.

use super::args::{operand, operand_like, scalar_f64};
use super::tensor::{PyTensor, DETACH_NUMEL};
use crate::op::{BinaryOp, UnaryOp};
use crate::tensor::Tensor;
use pyo3::prelude::*;

/// Runs `f` with the interpreter released when the work is large.
pub fn run<T: Send>(
    py: Python<'_>,
    numel: usize,
    f: impl FnOnce() -> crate::error::Result<T> + Send,
) -> PyResult<T> {
    if numel >= DETACH_NUMEL {
        Ok(py.detach(f)?)
    } else {
        Ok(f()?)
    }
}

fn not_implemented(py: Python<'_>) -> Py<PyAny> {
    py.NotImplemented()
}

/// `a op b` where `b` is a tensor or Python number; NotImplemented otherwise.
pub fn binary_obj(
    py: Python<'_>,
    a: &Tensor,
    other: &Bound<'_, PyAny>,
    op: BinaryOp,
    reflected: bool,
) -> PyResult<Py<PyAny>> {
    let Some(b) = operand_like(other, a)? else {
        return Ok(not_implemented(py));
    };
    // PyTorch computes `2 + x` and `2 * x` as `x + 2`, `x * 2` (the same
    // values: the ops commute); its graph lists the tensor first
    let commutes = matches!(op, BinaryOp::Add | BinaryOp::Mul);
    let (x, y) = if reflected && !commutes {
        (b, a.clone())
    } else {
        (a.clone(), b)
    };
    let n = x.numel().max(y.numel());
    let out = if reflected && op == BinaryOp::Div && y.dtype().is_float() {
        // PyTorch computes `k / x` as reciprocal(x) * k
        run(py, n, || y.unary(UnaryOp::Reciprocal)?.mul(&x))?
    } else {
        run(py, n, || x.binary(op, &y))?
    };
    if reflected && op == BinaryOp::Sub {
        // rsub(Tensor, Scalar): the number is no input
        crate::graph::rename(&out, "RsubBackward1");
        crate::graph::hide_inputs(&out, 0b01);
    }
    Ok(Py::new(py, PyTensor::wrap(out))?.into_any())
}

fn binary_t(
    py: Python<'_>,
    a: &Tensor,
    other: &Bound<'_, PyAny>,
    op: BinaryOp,
) -> PyResult<PyTensor> {
    let b = operand_like(other, a)?.ok_or_else(|| {
        super::errors::type_error(format!(
            "{}(): argument 'other' must be Tensor or Number, not {}",
            op.name(),
            other
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let n = a.numel().max(b.numel());
    Ok(PyTensor::wrap(run(py, n, || a.binary(op, &b))?))
}

fn unary_t(py: Python<'_>, a: &Tensor, op: UnaryOp) -> PyResult<PyTensor> {
    Ok(PyTensor::wrap(run(py, a.numel(), || a.unary(op))?))
}

/// `x ** p`: a Python-number exponent is the scalar-exponent primitive.
pub fn pow_obj(
    py: Python<'_>,
    a: &Tensor,
    exponent: &Bound<'_, PyAny>,
) -> PyResult<Option<PyTensor>> {
    if super::args::as_tensor(exponent).is_none() {
        if let Ok(p) = exponent.extract::<f64>() {
            let is_int_exp = exponent.is_instance_of::<pyo3::types::PyInt>();
            if a.dtype() == crate::dtype::DType::Bool && is_int_exp {
                // bool ** int is int64 (bool ** bool stays bool), as PyTorch promotes
                let as_int = a.to_dtype(crate::dtype::DType::I64)?;
                let r = run(py, a.numel(), || as_int.pow_scalar(p))?;
                let keep_bool = exponent.is_instance_of::<pyo3::types::PyBool>();
                return Ok(Some(PyTensor::wrap(if keep_bool {
                    r.to_dtype(crate::dtype::DType::Bool)?
                } else {
                    r
                })));
            }
            if !a.dtype().is_float() && !is_int_exp {
                let af = a.to_dtype(crate::dtype::default_float())?;
                return Ok(Some(PyTensor::wrap(run(py, a.numel(), || {
                    af.pow_scalar(p)
                })?)));
            }
            return Ok(Some(PyTensor::wrap(run(py, a.numel(), || {
                a.pow_scalar(p)
            })?)));
        }
    }
    let Some(b) = operand(exponent)? else {
        return Ok(None);
    };
    let n = a.numel().max(b.numel());
    Ok(Some(PyTensor::wrap(run(py, n, || {
        a.binary(BinaryOp::Pow, &b)
    })?)))
}

/// In place: `self = f(self)` with the graph updated as PyTorch does.
pub fn inplace(
    t: &Tensor,
    op: &'static str,
    others: &[&Tensor],
    f: impl FnOnce(&Tensor) -> crate::error::Result<Tensor>,
) -> PyResult<()> {
    let src = t.inplace_source_for(others)?;
    let r = f(&src)?;
    if r.dtype().category() > t.dtype().category() {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "result type {} can't be cast to the desired output type {}",
            r.dtype().scalar_name(),
            t.dtype().scalar_name()
        )));
    }
    Ok(t.inplace_update(&r, op)?)
}

/// `t op= alpha * other`: straight into `t`'s elements when nothing is
/// recorded and the layouts allow (`Tensor::binary_inplace_direct`), else
/// the general in-place path.
fn inplace_binary(
    t: &Tensor,
    name: &'static str,
    op: BinaryOp,
    other: &Tensor,
    alpha: f64,
) -> PyResult<()> {
    if t.binary_inplace_direct(op, other, alpha)? {
        return Ok(());
    }
    inplace(t, name, &[other], |s| s.binary_alpha(op, other, alpha))
}

macro_rules! binary_dunders {
    ($($name:ident, $rname:ident => $op:expr;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $name(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    binary_obj(py, &self.t, other, $op, false)
                }
                fn $rname(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    binary_obj(py, &self.t, other, $op, true)
                }
            )*
        }
    };
}

binary_dunders! {
    __add__, __radd__ => BinaryOp::Add;
    __sub__, __rsub__ => BinaryOp::Sub;
    __mul__, __rmul__ => BinaryOp::Mul;
    __truediv__, __rtruediv__ => BinaryOp::Div;
    __floordiv__, __rfloordiv__ => BinaryOp::FloorDivide;
    __mod__, __rmod__ => BinaryOp::Remainder;
    __and__, __rand__ => BinaryOp::BitAnd;
    __or__, __ror__ => BinaryOp::BitOr;
    __xor__, __rxor__ => BinaryOp::BitXor;
}

macro_rules! binary_methods {
    ($($name:ident => $op:expr;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $name(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
                    binary_t(py, &self.t, other, $op)
                }
            )*
        }
    };
}

binary_methods! {
    mul => BinaryOp::Mul;
    multiply => BinaryOp::Mul;
    true_divide => BinaryOp::Div;
    floor_divide => BinaryOp::FloorDivide;
    remainder => BinaryOp::Remainder;
    // the value of `fmod` (python/autorust/_ops_pointwise.py records its node)
    _fmod => BinaryOp::Fmod;
    atan2 => BinaryOp::Atan2;
    maximum => BinaryOp::Maximum;
    minimum => BinaryOp::Minimum;
    eq => BinaryOp::Eq;
    ne => BinaryOp::Ne;
    lt => BinaryOp::Lt;
    le => BinaryOp::Le;
    gt => BinaryOp::Gt;
    ge => BinaryOp::Ge;
    greater => BinaryOp::Gt;
    less => BinaryOp::Lt;
    logical_and => BinaryOp::LogicalAnd;
    logical_or => BinaryOp::LogicalOr;
    logical_xor => BinaryOp::LogicalXor;
    bitwise_and => BinaryOp::BitAnd;
    bitwise_or => BinaryOp::BitOr;
    bitwise_xor => BinaryOp::BitXor;
}

macro_rules! unary_methods {
    ($($name:ident, $iname:ident => $op:expr;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $name(&self, py: Python<'_>) -> PyResult<PyTensor> {
                    unary_t(py, &self.t, $op)
                }
                fn $iname(slf: PyRef<'_, Self>) -> PyResult<PyRef<'_, Self>> {
                    inplace(&slf.t, stringify!($iname), &[], |s| s.unary($op))?;
                    Ok(slf)
                }
            )*
        }
    };
}

unary_methods! {
    neg, neg_ => UnaryOp::Neg;
    negative, negative_ => UnaryOp::Neg;
    abs, abs_ => UnaryOp::Abs;
    sign, sign_ => UnaryOp::Sign;
    exp, exp_ => UnaryOp::Exp;
    log, log_ => UnaryOp::Log;
    log1p, log1p_ => UnaryOp::Log1p;
    expm1, expm1_ => UnaryOp::Expm1;
    sqrt, sqrt_ => UnaryOp::Sqrt;
    rsqrt, rsqrt_ => UnaryOp::Rsqrt;
    sin, sin_ => UnaryOp::Sin;
    cos, cos_ => UnaryOp::Cos;
    tan, tan_ => UnaryOp::Tan;
    tanh, tanh_ => UnaryOp::Tanh;
    sigmoid, sigmoid_ => UnaryOp::Sigmoid;
    relu, relu_ => UnaryOp::Relu;
    reciprocal, reciprocal_ => UnaryOp::Reciprocal;
    floor, floor_ => UnaryOp::Floor;
    ceil, ceil_ => UnaryOp::Ceil;
    trunc, trunc_ => UnaryOp::Trunc;
    erf, erf_ => UnaryOp::Erf;
    square, square_ => UnaryOp::PowScalar(2.0);
    logical_not, logical_not_ => UnaryOp::LogicalNot;
}

#[pymethods]
impl PyTensor {
    fn __neg__(&self, py: Python<'_>) -> PyResult<PyTensor> {
        unary_t(py, &self.t, UnaryOp::Neg)
    }
    fn __pos__(&self) -> PyTensor {
        PyTensor::wrap(self.t.clone())
    }
    fn __abs__(&self, py: Python<'_>) -> PyResult<PyTensor> {
        unary_t(py, &self.t, UnaryOp::Abs)
    }
    fn __invert__(&self, py: Python<'_>) -> PyResult<PyTensor> {
        if self.t.dtype() == crate::DType::Bool {
            return unary_t(py, &self.t, UnaryOp::LogicalNot);
        }
        if self.t.dtype() != crate::DType::I64 {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "bitwise_not is only supported for integer and boolean tensors",
            ));
        }
        // ~x == -x - 1 for two's complement integers
        Ok(PyTensor::wrap(self.t.neg()?.add_scalar(-1.0)?))
    }
    fn bitwise_not(&self, py: Python<'_>) -> PyResult<PyTensor> {
        self.__invert__(py)
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary_obj(py, &self.t, other, BinaryOp::Eq, false)
    }
    fn __ne__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary_obj(py, &self.t, other, BinaryOp::Ne, false)
    }
    fn __lt__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary_obj(py, &self.t, other, BinaryOp::Lt, false)
    }
    fn __le__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary_obj(py, &self.t, other, BinaryOp::Le, false)
    }
    fn __gt__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary_obj(py, &self.t, other, BinaryOp::Gt, false)
    }
    fn __ge__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary_obj(py, &self.t, other, BinaryOp::Ge, false)
    }
    fn __pow__(
        &self,
        py: Python<'_>,
        exponent: &Bound<'_, PyAny>,
        _modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        match pow_obj(py, &self.t, exponent)? {
            Some(t) => Ok(Py::new(py, t)?.into_any()),
            None => Ok(py.NotImplemented()),
        }
    }
    fn __rpow__(
        &self,
        py: Python<'_>,
        base: &Bound<'_, PyAny>,
        _modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        // an integer base with an integer tensor stays integer (`2 ** k`), as PyTorch
        let int_power = !self.t.dtype().is_float() && base.is_instance_of::<pyo3::types::PyInt>();
        if let (false, Ok(b)) = (int_power, base.extract::<f64>()) {
            let t = if self.t.dtype().is_float() {
                self.t.clone()
            } else {
                self.t.to_dtype(crate::dtype::default_float())?
            };
            return Ok(Py::new(py, PyTensor::wrap(t.rpow_scalar(b)?))?.into_any());
        }
        binary_obj(py, &self.t, base, BinaryOp::Pow, true)
    }
    fn pow(&self, py: Python<'_>, exponent: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        pow_obj(py, &self.t, exponent)?.ok_or_else(|| {
            super::errors::type_error("pow(): exponent must be a Tensor or a number")
        })
    }
    fn pow_<'py>(
        slf: PyRef<'py, Self>,
        exponent: &Bound<'py, PyAny>,
    ) -> PyResult<PyRef<'py, Self>> {
        let py = slf.py();
        let exp_tensor = super::args::as_tensor(exponent);
        if exp_tensor.is_none() && scalar_f64(exponent).is_err() {
            return Err(super::errors::type_error(
                "pow_(): exponent must be a Tensor or a number",
            ));
        }
        let others: Vec<&Tensor> = exp_tensor.iter().collect();
        inplace(&slf.t, "pow_", &others, |s| {
            pow_obj(py, s, exponent)
                .map_err(|e| crate::error::Error::Runtime(e.to_string()))?
                .map(|p| p.t)
                .ok_or_else(|| {
                    crate::error::Error::Runtime(
                        "pow_(): exponent must be a Tensor or a number".into(),
                    )
                })
        })?;
        Ok(slf)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn add(&self, other: &Bound<'_, PyAny>, alpha: Option<f64>) -> PyResult<PyTensor> {
        let b = operand(other)?.ok_or_else(|| {
            super::errors::type_error("add(): argument 'other' must be Tensor or Number")
        })?;
        Ok(PyTensor::wrap(self.t.binary_alpha(
            BinaryOp::Add,
            &b,
            alpha.unwrap_or(1.0),
        )?))
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn sub(&self, other: &Bound<'_, PyAny>, alpha: Option<f64>) -> PyResult<PyTensor> {
        let b = operand(other)?.ok_or_else(|| {
            super::errors::type_error("sub(): argument 'other' must be Tensor or Number")
        })?;
        Ok(PyTensor::wrap(self.t.binary_alpha(
            BinaryOp::Sub,
            &b,
            alpha.unwrap_or(1.0),
        )?))
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn subtract(&self, other: &Bound<'_, PyAny>, alpha: Option<f64>) -> PyResult<PyTensor> {
        self.sub(other, alpha)
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    fn div(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        rounding_mode: Option<&str>,
    ) -> PyResult<PyTensor> {
        let floor = match rounding_mode {
            None => return binary_t(py, &self.t, other, BinaryOp::Div),
            Some("floor") => true,
            Some("trunc") => false,
            Some(m) => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{m}'"
            )))
            }
        };
        let b = operand_like(other, &self.t)?.ok_or_else(|| {
            super::errors::type_error(format!(
                "div(): argument 'other' must be Tensor or Number, not {}",
                other
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
        let n = self.t.numel().max(b.numel());
        Ok(PyTensor::wrap(run(py, n, || {
            self.t.div_rounded(&b, floor)
        })?))
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    fn divide(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        rounding_mode: Option<&str>,
    ) -> PyResult<PyTensor> {
        self.div(py, other, rounding_mode)
    }
    /// `decimals` given at all (even 0) is PyTorch's other overload
    /// (RoundBackward1); without it, the plain round (RoundBackward0).
    #[pyo3(signature = (*, decimals=None))]
    fn round(&self, py: Python<'_>, decimals: Option<i64>) -> PyResult<PyTensor> {
        match decimals {
            None => unary_t(py, &self.t, UnaryOp::Round),
            Some(d) => Ok(PyTensor::wrap(self.t.round_decimals(d)?)),
        }
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clamp(
        &self,
        min: Option<&Bound<'_, PyAny>>,
        max: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(clamp_impl(&self.t, min, max)?))
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clip(
        &self,
        min: Option<&Bound<'_, PyAny>>,
        max: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        self.clamp(min, max)
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clamp_<'py>(
        slf: PyRef<'py, Self>,
        min: Option<&Bound<'py, PyAny>>,
        max: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyRef<'py, Self>> {
        let bounds: Vec<Tensor> = [min, max]
            .into_iter()
            .flatten()
            .filter_map(super::args::as_tensor)
            .collect();
        let src = slf
            .t
            .inplace_source_for(&bounds.iter().collect::<Vec<_>>())?;
        let r = clamp_impl(&src, min, max)?;
        slf.t.inplace_update(&r, "clamp_")?;
        Ok(slf)
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clip_<'py>(
        slf: PyRef<'py, Self>,
        min: Option<&Bound<'py, PyAny>>,
        max: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyRef<'py, Self>> {
        PyTensor::clamp_(slf, min, max)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn add_<'py>(
        slf: PyRef<'py, Self>,
        other: &Bound<'py, PyAny>,
        alpha: Option<f64>,
    ) -> PyResult<PyRef<'py, Self>> {
        let b = operand(other)?.ok_or_else(|| {
            super::errors::type_error("add_(): argument 'other' must be Tensor or Number")
        })?;
        inplace_binary(&slf.t, "add_", BinaryOp::Add, &b, alpha.unwrap_or(1.0))?;
        Ok(slf)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn sub_<'py>(
        slf: PyRef<'py, Self>,
        other: &Bound<'py, PyAny>,
        alpha: Option<f64>,
    ) -> PyResult<PyRef<'py, Self>> {
        let b = operand(other)?.ok_or_else(|| {
            super::errors::type_error("sub_(): argument 'other' must be Tensor or Number")
        })?;
        inplace_binary(&slf.t, "sub_", BinaryOp::Sub, &b, alpha.unwrap_or(1.0))?;
        Ok(slf)
    }
    fn mul_<'py>(slf: PyRef<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<PyRef<'py, Self>> {
        let b = operand(other)?.ok_or_else(|| {
            super::errors::type_error("mul_(): argument 'other' must be Tensor or Number")
        })?;
        inplace_binary(&slf.t, "mul_", BinaryOp::Mul, &b, 1.0)?;
        Ok(slf)
    }
    fn div_<'py>(slf: PyRef<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<PyRef<'py, Self>> {
        let b = operand(other)?.ok_or_else(|| {
            super::errors::type_error("div_(): argument 'other' must be Tensor or Number")
        })?;
        inplace_binary(&slf.t, "div_", BinaryOp::Div, &b, 1.0)?;
        Ok(slf)
    }
    fn __iadd__(&self, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let b = operand(other)?
            .ok_or_else(|| super::errors::type_error("unsupported operand for +="))?;
        inplace_binary(&self.t, "add_", BinaryOp::Add, &b, 1.0)
    }
    fn __isub__(&self, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let b = operand(other)?
            .ok_or_else(|| super::errors::type_error("unsupported operand for -="))?;
        inplace_binary(&self.t, "sub_", BinaryOp::Sub, &b, 1.0)
    }
    fn __imul__(&self, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let b = operand(other)?
            .ok_or_else(|| super::errors::type_error("unsupported operand for *="))?;
        inplace_binary(&self.t, "mul_", BinaryOp::Mul, &b, 1.0)
    }
    fn __itruediv__(&self, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let b = operand(other)?
            .ok_or_else(|| super::errors::type_error("unsupported operand for /="))?;
        inplace_binary(&self.t, "div_", BinaryOp::Div, &b, 1.0)
    }
    fn zero_(slf: PyRef<'_, Self>) -> PyResult<PyRef<'_, Self>> {
        slf.t.zero_()?;
        Ok(slf)
    }
    fn fill_<'py>(slf: PyRef<'py, Self>, value: &Bound<'py, PyAny>) -> PyResult<PyRef<'py, Self>> {
        match super::args::as_tensor(value) {
            // a tensor value stays in the graph (its gradient is the sum)
            Some(v) => slf.t.fill_tensor_(&v)?,
            None => slf.t.fill_(scalar_f64(value)?)?,
        }
        Ok(slf)
    }
    #[pyo3(signature = (src, non_blocking=false))]
    fn copy_<'py>(
        slf: PyRef<'py, Self>,
        src: &Bound<'py, PyAny>,
        non_blocking: bool,
    ) -> PyResult<PyRef<'py, Self>> {
        let _ = non_blocking;
        let s = operand(src)?
            .ok_or_else(|| super::errors::type_error("copy_(): argument 'src' must be Tensor"))?;
        slf.t.copy_(&s)?;
        Ok(slf)
    }
    fn matmul(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        let (a, b) = (self.t.clone(), other.t.clone());
        Ok(PyTensor::wrap(run(py, a.numel() + b.numel(), || {
            a.matmul(&b)
        })?))
    }
    fn __matmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Some(b) = super::args::as_tensor(other) else {
            return Ok(py.NotImplemented());
        };
        let a = self.t.clone();
        Ok(Py::new(
            py,
            PyTensor::wrap(run(py, a.numel() + b.numel(), || a.matmul(&b))?),
        )?
        .into_any())
    }
    fn __rmatmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Some(b) = super::args::as_tensor(other) else {
            return Ok(py.NotImplemented());
        };
        Ok(Py::new(py, PyTensor::wrap(b.matmul(&self.t)?))?.into_any())
    }
    fn mm(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        let (a, b) = (self.t.clone(), other.t.clone());
        Ok(PyTensor::wrap(run(py, a.numel() + b.numel(), || a.mm(&b))?))
    }
    fn bmm(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        let (a, b) = (self.t.clone(), other.t.clone());
        Ok(PyTensor::wrap(run(py, a.numel() + b.numel(), || {
            a.bmm(&b)
        })?))
    }
    fn mv(&self, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.mv(&other.t)?))
    }
    fn dot(&self, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.dot(&other.t)?))
    }
    fn outer(&self, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::wrap(self.t.outer(&other.t)?))
    }
    #[pyo3(name = "where")]
    fn where_method(
        &self,
        condition: PyRef<'_, PyTensor>,
        other: &Bound<'_, PyAny>,
    ) -> PyResult<PyTensor> {
        let b = operand(other)?.ok_or_else(|| {
            super::errors::type_error("where(): argument 'other' must be Tensor or Number")
        })?;
        Ok(PyTensor::wrap(condition.t.where_(&self.t, &b)?))
    }
}

/// clamp with number or tensor bounds.
pub fn clamp_impl(
    t: &Tensor,
    min: Option<&Bound<'_, PyAny>>,
    max: Option<&Bound<'_, PyAny>>,
) -> PyResult<Tensor> {
    let min = min.filter(|m| !m.is_none());
    let max = max.filter(|m| !m.is_none());
    if min.is_none() && max.is_none() {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "torch.clamp: At least one of 'min' or 'max' must not be None",
        ));
    }
    let is_tensor = |o: Option<&Bound<'_, PyAny>>| {
        o.map(|o| super::args::as_tensor(o).is_some())
            .unwrap_or(false)
    };
    if is_tensor(min) || is_tensor(max) {
        if (min.is_some() && !is_tensor(min)) || (max.is_some() && !is_tensor(max)) {
            return Err(super::errors::type_error("clamp() received an invalid combination of arguments: min and max must both be Tensors or both be Numbers"));
        }
        let lo = min.and_then(super::args::as_tensor);
        let hi = max.and_then(super::args::as_tensor);
        // PyTorch's clamp(Tensor min, Tensor max): one node over all three,
        // ties split as maximum/minimum split them
        return Ok(crate::composite::composite(
            "ClampBackward0",
            &[Some(t), lo.as_ref(), hi.as_ref()],
            None,
            |a| {
                let mut r = a[0].clone().ok_or_else(|| {
                    crate::error::Error::Runtime("clamp: the input is missing".into())
                })?;
                if let Some(m) = &a[1] {
                    r = r.binary(BinaryOp::Maximum, m)?;
                }
                if let Some(m) = &a[2] {
                    r = r.binary(BinaryOp::Minimum, m)?;
                }
                Ok(r)
            },
        )?);
    }
    let lo = min.map(|m| m.extract::<f64>()).transpose()?;
    let hi = max.map(|m| m.extract::<f64>()).transpose()?;
    // the result's dtype is PyTorch's promotion of the tensor with the
    // bounds: a float bound makes an integer tensor float, an int bound
    // makes a bool tensor int64; bool bounds on a bool tensor have no kernel
    let any = |f: &dyn Fn(&Bound<'_, PyAny>) -> bool| min.is_some_and(f) || max.is_some_and(f);
    let float_bound = any(&|o| o.is_instance_of::<pyo3::types::PyFloat>());
    let int_bound = any(&|o| {
        o.is_instance_of::<pyo3::types::PyInt>() && !o.is_instance_of::<pyo3::types::PyBool>()
    });
    let src = if !t.dtype().is_float() && float_bound {
        t.to_dtype(crate::dtype::default_float())?
    } else if t.dtype() == crate::dtype::DType::Bool && int_bound {
        t.to_dtype(crate::dtype::DType::I64)?
    } else if t.dtype() == crate::dtype::DType::Bool {
        let kernel = match (lo, hi) {
            (Some(_), Some(_)) => "clamp_scalar_cpu",
            (Some(_), None) => "clamp_min_scalar_cpu",
            _ => "clamp_max_scalar_cpu",
        };
        return Err(pyo3::exceptions::PyNotImplementedError::new_err(format!(
            "\"{kernel}\" not implemented for 'Bool'"
        )));
    } else {
        t.clone()
    };
    Ok(src.unary(UnaryOp::Clamp(lo, hi))?)
}

#[pymethods]
impl PyTensor {
    /// log(1 + e^x) with gradient sigmoid(x) (the primitive under F.softplus
    /// and binary_cross_entropy_with_logits).
    fn _softplus(&self, py: Python<'_>) -> PyResult<PyTensor> {
        unary_t(py, &self.t, UnaryOp::Softplus)
    }

    /// A fused activation (`crate::activation`), for nn.functional: `kind`
    /// names it, `a`..`c` are its parameters (see `activation_of`).
    #[pyo3(signature = (kind, a=0.0, b=0.0, c=0.0))]
    fn _activation(
        &self,
        py: Python<'_>,
        kind: &str,
        a: f64,
        b: f64,
        c: f64,
    ) -> PyResult<PyTensor> {
        unary_t(py, &self.t, UnaryOp::Act(activation_of(kind, a, b, c)?))
    }
}

/// "gelu", "gelu_tanh", "leaky_relu" (slope), "elu"/"celu" (alpha, scale,
/// input_scale), "hardswish", "hardsigmoid", "softplus" (beta, threshold), "logsigmoid", "mish", "silu",
/// "softshrink" and "hardshrink" (lambda).
fn activation_of(kind: &str, a: f64, b: f64, c: f64) -> PyResult<crate::activation::Activation> {
    use crate::activation::Activation::*;
    Ok(match kind {
        "gelu" => Gelu,
        "gelu_tanh" => GeluTanh,
        "leaky_relu" => LeakyRelu(a),
        "elu" | "celu" => Elu {
            alpha: a,
            scale: b,
            input_scale: c,
            celu: kind == "celu",
        },
        "hardswish" => Hardswish,
        "hardsigmoid" => Hardsigmoid,
        "softplus" => Softplus {
            beta: a,
            threshold: b,
        },
        "logsigmoid" => LogSigmoid,
        "mish" => Mish,
        "silu" => Silu,
        "softshrink" => Softshrink(a),
        "hardshrink" => Hardshrink(a),
        _ => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown activation {kind}"
            )))
        }
    })
}
