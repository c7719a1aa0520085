//! The closed vocabulary of primitive ops. `name()` is the single spelling
//! used in error messages and (CamelCased + "Backward0") in grad_fn names.

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    Neg,
    Abs,
    Sign,
    Exp,
    Log,
    Log1p,
    Expm1,
    Sqrt,
    Rsqrt,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sigmoid,
    Relu,
    Reciprocal,
    Floor,
    Ceil,
    Round,
    Trunc,
    Erf,
    /// log(1 + e^x), stable for all x; its gradient is sigmoid(x).
    Softplus,
    LogicalNot,
    /// x ** p with a scalar exponent.
    PowScalar(f64),
    /// p ** x with a scalar base.
    RPowScalar(f64),
    Clamp(Option<f64>, Option<f64>),
    /// A fused activation function (`crate::activation`).
    Act(crate::activation::Activation),
}

impl UnaryOp {
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Neg => "neg",
            Abs => "abs",
            Sign => "sign",
            Exp => "exp",
            Log => "log",
            Log1p => "log1p",
            Expm1 => "expm1",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Tanh => "tanh",
            Sigmoid => "sigmoid",
            Relu => "relu",
            Reciprocal => "reciprocal",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            Trunc => "trunc",
            Erf => "erf",
            Softplus => "softplus",
            LogicalNot => "logical_not",
            PowScalar(_) => "pow",
            RPowScalar(_) => "pow",
            Clamp(..) => "clamp",
            Act(a) => a.name(),
        }
    }
    /// Ops whose result is float even for integer input (PyTorch promotes
    /// `exp(int)` to the default float dtype).
    pub fn needs_float(self) -> bool {
        use UnaryOp::*;
        !matches!(
            self,
            Neg | Abs
                | Sign
                | Relu
                | Floor
                | Ceil
                | Round
                | Trunc
                | LogicalNot
                | Clamp(..)
                | PowScalar(_)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Atan2,
    Maximum,
    Minimum,
    FloorDivide,
    Remainder,
    /// C's fmod (the dividend's sign), exact
    Fmod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
    BitAnd,
    BitOr,
    BitXor,
}

impl BinaryOp {
    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            Pow => "pow",
            Atan2 => "atan2",
            Maximum => "maximum",
            Minimum => "minimum",
            FloorDivide => "floor_divide",
            Remainder => "remainder",
            Fmod => "fmod",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
            LogicalAnd => "logical_and",
            LogicalOr => "logical_or",
            LogicalXor => "logical_xor",
            BitAnd => "bitwise_and",
            BitOr => "bitwise_or",
            BitXor => "bitwise_xor",
        }
    }
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(
            self,
            Eq | Ne | Lt | Le | Gt | Ge | LogicalAnd | LogicalOr | LogicalXor
        )
    }
    /// True division and atan2 produce floats from integer inputs.
    pub fn needs_float(self) -> bool {
        matches!(self, BinaryOp::Div | BinaryOp::Atan2)
    }
    pub fn is_bitwise(self) -> bool {
        matches!(self, BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Mean,
    Prod,
    Amax,
    Amin,
}

impl ReduceOp {
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
            ReduceOp::Prod => "prod",
            ReduceOp::Amax => "amax",
            ReduceOp::Amin => "amin",
        }
    }
}

/// `max_pool`-style index reductions along one dim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgReduceOp {
    ArgMax,
    ArgMin,
}

/// A fused optimizer update of one parameter, applied in place with its
/// gradient and state buffers (PyTorch's single-tensor update rules,
/// element by element, in the parameter's dtype).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptimUpdate {
    /// state: [momentum_buffer] when momentum != 0; `first` initialises it to the gradient.
    Sgd {
        lr: f64,
        momentum: f64,
        dampening: f64,
        nesterov: bool,
        weight_decay: f64,
        maximize: bool,
        first: bool,
    },
    /// state: [exp_avg, exp_avg_sq, (max_exp_avg_sq if amsgrad)]; `decoupled` is AdamW.
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        weight_decay: f64,
        amsgrad: bool,
        decoupled: bool,
        maximize: bool,
        step: f64,
    },
    /// state: [square_avg, (momentum_buffer if momentum > 0), (grad_avg if centered)].
    RmsProp {
        lr: f64,
        alpha: f64,
        eps: f64,
        weight_decay: f64,
        momentum: f64,
        centered: bool,
        maximize: bool,
    },
    /// state: [sum].
    Adagrad {
        lr: f64,
        lr_decay: f64,
        weight_decay: f64,
        eps: f64,
        maximize: bool,
        step: f64,
    },
}

impl OptimUpdate {
    pub fn name(&self) -> &'static str {
        match self {
            OptimUpdate::Sgd { .. } => "sgd",
            OptimUpdate::Adam {
                decoupled: false, ..
            } => "adam",
            OptimUpdate::Adam {
                decoupled: true, ..
            } => "adamw",
            OptimUpdate::RmsProp { .. } => "rmsprop",
            OptimUpdate::Adagrad { .. } => "adagrad",
        }
    }
    /// How many state buffers the update reads and writes.
    pub fn state_count(&self) -> usize {
        match *self {
            OptimUpdate::Sgd { momentum, .. } => usize::from(momentum != 0.0),
            OptimUpdate::Adam { amsgrad, .. } => 2 + usize::from(amsgrad),
            OptimUpdate::RmsProp {
                momentum, centered, ..
            } => 1 + usize::from(momentum > 0.0) + usize::from(centered),
            OptimUpdate::Adagrad { .. } => 1,
        }
    }
}
