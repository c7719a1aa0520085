//! PyTorch's grad_fn names of the primitive ops, and which unary ops
//! save their output (rather than their input) for backward.

use super::*;

/// The grad_fn class name PyTorch uses for a unary op.
pub fn unary_name(op: UnaryOp) -> &'static str {
    use UnaryOp::*;
    match op {
        Neg => "NegBackward0",
        Abs => "AbsBackward0",
        Sign => "SignBackward0",
        Exp => "ExpBackward0",
        Log => "LogBackward0",
        Log1p => "Log1PBackward0",
        Expm1 => "Expm1Backward0",
        Sqrt => "SqrtBackward0",
        Rsqrt => "RsqrtBackward0",
        Sin => "SinBackward0",
        Cos => "CosBackward0",
        Tan => "TanBackward0",
        Tanh => "TanhBackward0",
        Sigmoid => "SigmoidBackward0",
        Relu => "ReluBackward0",
        Reciprocal => "ReciprocalBackward0",
        Floor => "FloorBackward0",
        Ceil => "CeilBackward0",
        Round => "RoundBackward0",
        Trunc => "TruncBackward0",
        Erf => "ErfBackward0",
        Softplus => "SoftplusBackward0",
        Act(a) => a.grad_fn_name(),
        LogicalNot => "LogicalNotBackward0",
        PowScalar(_) => "PowBackward0",
        RPowScalar(_) => "PowBackward2",
        Clamp(..) => "ClampBackward1",
    }
}

pub fn binary_name(op: BinaryOp) -> &'static str {
    use BinaryOp::*;
    match op {
        Add => "AddBackward0",
        Sub => "SubBackward0",
        Mul => "MulBackward0",
        Div => "DivBackward0",
        Pow => "PowBackward1",
        Atan2 => "Atan2Backward0",
        Maximum => "MaximumBackward0",
        Minimum => "MinimumBackward0",
        Remainder => "RemainderBackward0",
        FloorDivide => "FloorDivideBackward0",
        _ => "NotDifferentiable",
    }
}

/// Which unary rules save their output rather than their input.
pub fn unary_saves_output(op: UnaryOp) -> bool {
    use UnaryOp::*;
    matches!(
        op,
        Exp | Expm1 | Tanh | Sigmoid | Sqrt | Rsqrt | Reciprocal | Relu
    )
}
