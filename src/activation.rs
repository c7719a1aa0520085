//! The activation functions that run as one primitive op (`UnaryOp::Act`):
//! one pass forward, one fused pass backward on the CPU, where a composition
//! of basic ops would take five to ten passes and save their intermediates.
//! The element formulas are PyTorch's CPU kernels' (`cpu/activation.rs` in
//! the backend); here are their names and parameters, a declaration that
//! depends on nothing, so that `op` and the backends can name an activation.
//! The same formulas as tensor ops (the backward as a differentiable
//! function of (grad, x) for create_graph, and the forward for devices
//! without a fused kernel) are in `tensor/activation_ops.rs`.

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// x * Phi(x), Phi by erf
    Gelu,
    /// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    GeluTanh,
    LeakyRelu(f64),
    /// scale * x above 0, scale * alpha * (exp(input_scale * x) - 1) below
    /// (elu, selu; celu has input_scale 1/alpha and its own node name)
    Elu {
        alpha: f64,
        scale: f64,
        input_scale: f64,
        celu: bool,
    },
    Hardswish,
    /// min(max(x + 3, 0), 6) / 6; gradient g / 6 strictly between -3 and 3
    Hardsigmoid,
    /// log(1 + exp(beta x)) / beta, linear above `threshold` (in beta x)
    Softplus {
        beta: f64,
        threshold: f64,
    },
    LogSigmoid,
    /// x * tanh(softplus(x))
    Mish,
    /// x * sigmoid(x)
    Silu,
    /// 0 on [-lambda, lambda], x -+ lambda outside (NaN stays NaN)
    Softshrink(f64),
    /// 0 on [-lambda, lambda], x outside
    Hardshrink(f64),
}

impl Activation {
    pub fn name(self) -> &'static str {
        use Activation::*;
        match self {
            Gelu | GeluTanh => "gelu",
            LeakyRelu(_) => "leaky_relu",
            Elu { celu: true, .. } => "celu",
            Elu { .. } => "elu",
            Hardswish => "hardswish",
            Hardsigmoid => "hardsigmoid",
            Softplus { .. } => "softplus",
            LogSigmoid => "log_sigmoid",
            Mish => "mish",
            Silu => "silu",
            Softshrink(_) => "softshrink",
            Hardshrink(_) => "hardshrink",
        }
    }

    /// PyTorch's node name (selu is elu there too).
    pub fn grad_fn_name(self) -> &'static str {
        use Activation::*;
        match self {
            Gelu | GeluTanh => "GeluBackward0",
            LeakyRelu(_) => "LeakyReluBackward0",
            Elu { celu: true, .. } => "CeluBackward0",
            Elu { .. } => "EluBackward0",
            Hardswish => "HardswishBackward0",
            Hardsigmoid => "HardsigmoidBackward0",
            Softplus { .. } => "SoftplusBackward0",
            LogSigmoid => "LogSigmoidBackward0",
            Mish => "MishBackward0",
            Silu => "SiluBackward0",
            Softshrink(_) => "SoftshrinkBackward0",
            Hardshrink(_) => "HardshrinkBackward0",
        }
    }

    /// PyTorch's backward kernel of a piecewise-linear activation has a zero
    /// derivative in x but stays connected to it (`grad_rules::zero_link`).
    pub fn zero_link_name(self) -> Option<&'static str> {
        match self {
            Activation::LeakyRelu(_) => Some("LeakyReluBackwardBackward0"),
            Activation::Softshrink(_) => Some("SoftshrinkBackwardBackward0"),
            Activation::Hardshrink(_) => Some("HardshrinkBackwardBackward0"),
            _ => None,
        }
    }

    /// The node PyTorch's backward kernel of this activation records under
    /// create_graph (`grad_rules::named_gradient`); None where PyTorch's
    /// gradient is a formula in ordinary ops (silu, mish).
    pub fn backward_kernel_name(self) -> Option<&'static str> {
        use Activation::*;
        match self {
            Gelu | GeluTanh => Some("GeluBackwardBackward0"),
            Elu { .. } => Some("EluBackwardBackward0"),
            Hardswish => Some("HardswishBackwardBackward0"),
            Softplus { .. } => Some("SoftplusBackwardBackward0"),
            LogSigmoid => Some("LogSigmoidBackwardBackward0"),
            LeakyRelu(_) | Hardsigmoid | Mish | Silu | Softshrink(_) | Hardshrink(_) => None,
        }
    }

    /// PyTorch has no derivative of this activation's backward kernel: a
    /// backward through the first-order gradient raises
    /// (`grad_rules::not_implemented_link`).
    pub fn backward_not_differentiable(self) -> Option<&'static str> {
        match self {
            Activation::Hardsigmoid => Some("hardsigmoid_backward"),
            _ => None,
        }
    }
}

/// PyTorch's hardsigmoid backward multiplies by the float literal
/// `1.0f / 6.0f` in every dtype: float64 gradients carry float32's 1/6.
pub const HARDSIGMOID_SLOPE: f64 = (1.0f32 / 6.0f32) as f64;
