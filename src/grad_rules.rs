//! The one table of derivative rules. Each rule is written in ordinary tensor
//! ops, so it runs on any device and, under `create_graph`, records its own
//! graph (higher-order gradients). Broadcasting and dtype casts are undone by
//! the scheduler, not here: a rule returns gradients in the op's output shape.

use crate::error::FREED_GRAPH;
use crate::error::{Error, Result};
use crate::graph::NodeId;
use crate::op::{BinaryOp, ReduceOp, UnaryOp};
use crate::shape::Shape;
use crate::tensor::prod_backward::unsqueeze_dims;
use crate::tensor::{Tensor, TensorInner};
use std::sync::Weak;

pub use crate::saved::Saved;

#[derive(Clone)]
pub enum Rule {
    /// Saved tensors were freed by an earlier backward.
    Freed,
    /// Gradient passes through unchanged (clone, contiguous, dtype casts, expand:
    /// the scheduler sums/casts to the input's shape and dtype).
    Identity,
    /// `to(device)`: the gradient goes back to the source device.
    ToDevice(crate::storage::Device),
    AccumulateGrad(Weak<TensorInner>),
    Neg,
    /// Ops needing nothing: floor/ceil/round/sign give zero gradient (to
    /// every input: `div` with a rounding mode has two).
    Zero,
    /// PyTorch defines no derivative (`x // y`, heaviside): backward
    /// through it raises, naming the aten op.
    NotImplemented(&'static str),
    /// PyTorch's backward kernel refuses these operands (mixed dtypes it
    /// cannot mix): backward through it raises this message.
    Refused(&'static str),
    UnaryX(UnaryOp, Saved),
    UnaryOut(UnaryOp, Saved),
    Add {
        alpha: f64,
    },
    Sub {
        alpha: f64,
    },
    Mul(Option<Saved>, Option<Saved>),
    Div(Saved, Option<Saved>),
    Pow(Saved, Saved, Saved),
    Atan2(Saved, Saved),
    MaxMin {
        a: Saved,
        b: Saved,
        max: bool,
    },
    Remainder(Saved, Saved),
    Where(Tensor),
    /// Sum/mean over `dims` of an input with `in_shape`.
    Reduce {
        op: ReduceOp,
        in_shape: Shape,
        dims: Vec<usize>,
        keepdim: bool,
    },
    Prod {
        x: Saved,
        out: Saved,
        dims: Vec<usize>,
        keepdim: bool,
    },
    /// amax/amin and full max/min: gradient split evenly among ties.
    Extremum {
        x: Saved,
        out: Saved,
        dims: Vec<usize>,
        keepdim: bool,
        /// max()/min() over everything (PyTorch's evenly_distribute_backward:
        /// a NaN result's gradient goes to the NaN elements, and is filled
        /// in rather than multiplied by a mask); else amax/amin's product
        fill: bool,
    },
    /// max/min along a dim: gradient goes to the returned indices.
    IndexedExtremum {
        in_shape: Shape,
        dim: usize,
        indices: Tensor,
        keepdim: bool,
    },
    Cumsum {
        dim: usize,
    },
    Cumprod {
        dim: usize,
        x: Saved,
        out: Saved,
    },
    Softmax {
        out: Saved,
        dim: usize,
    },
    LogSoftmax {
        out: Saved,
        dim: usize,
    },
    Matmul(Saved, Saved),
    /// A strided view (diagonal, unfold, as_strided) of an input of
    /// `in_shape`: the gradient goes to the input elements at `positions`
    /// (row-major positions in the input, shaped as the view), summed where
    /// the view repeats an element (overlapping windows).
    StridedView {
        in_shape: Shape,
        positions: Tensor,
    },
    /// `addmm(bias, mat1, mat2)` = `bias + mat1 @ mat2` (nn.Linear's node).
    Addmm(Saved, Saved),
    Reshape {
        in_shape: Shape,
    },
    Permute {
        dims: Vec<usize>,
    },
    Slice {
        in_shape: Shape,
        dim: usize,
        start: usize,
        step: usize,
    },
    Select {
        in_shape: Shape,
        dim: usize,
        index: usize,
    },
    IndexSelect {
        in_shape: Shape,
        dim: usize,
        index: Tensor,
    },
    Gather {
        in_shape: Shape,
        dim: usize,
        /// Saved (not copied): an in-place write to the index before the
        /// backward is refused, as PyTorch refuses it.
        index: Saved,
    },
    Scatter {
        dim: usize,
        /// Saved, as Gather's.
        index: Saved,
        add: bool,
        /// src's shape: its gradient (gathered at `index`) must fit it.
        src_shape: Shape,
    },
    /// `self.index_add(dim, index, src)` with a 1-d `index`: the gradient
    /// passes to self and is selected along `dim` for src.
    IndexAdd {
        dim: usize,
        index: Tensor,
    },
    /// `roll` by `shifts` along `dims` (none: the flattened tensor).
    Roll {
        shifts: Vec<i64>,
        dims: Vec<usize>,
    },
    /// `flip` of `dims`: the gradient flipped back.
    Flip {
        dims: Vec<i64>,
    },
    Cat {
        dim: usize,
        sizes: Vec<usize>,
    },
    /// `out = self` with the elements at flat positions `positions` replaced
    /// (or increased) by `values`.
    Put {
        positions: Tensor,
        accumulate: bool,
    },
    /// Convolution: input, weight (the bias gradient is `g` summed).
    Conv2d(Saved, Saved, crate::tensor::ConvCtx),
    /// Max-pooling: the gradient goes to each window's argmax. The input is
    /// saved as PyTorch's node saves it: under create_graph the gradient
    /// stays connected to it (`zero_link`).
    MaxPool2d {
        input: Saved,
        indices: Tensor,
        in_shape: Shape,
        sweep: crate::backend::cpu::window::Sweep2d,
    },
    /// Average pooling and its gradient: each is the other's adjoint.
    AvgPool2d(
        crate::backend::cpu::window::Sweep2d,
        crate::backend::cpu::avg_pool::AvgDivisor,
        crate::tensor::avg_pool::AvgPoolOp,
        Saved,
    ),
    AvgPool2dBackward(
        crate::backend::cpu::window::Sweep2d,
        crate::backend::cpu::avg_pool::AvgDivisor,
        crate::tensor::avg_pool::AvgPoolOp,
    ),
    /// `F.unfold` / `F.fold`: each is the other's adjoint.
    Im2Col(crate::backend::cpu::window::Sweep2d),
    Col2Im(crate::backend::cpu::window::Sweep2d),
    /// A user-defined backward (`autograd.Function`, and ops whose backward
    /// is a formula in Python): gradient of the output in, one gradient per
    /// input out. `saves`: it holds saved tensors, which a backward without
    /// retain_graph frees (a second backward then raises, as PyTorch's).
    Custom {
        f: CustomBackward,
        saves: bool,
    },
    /// A fused kernel's backward (one node for a whole LSTM layer, ...).
    Fused(std::sync::Arc<dyn FusedBackward>),
    /// A composite op shown as one node: its inner graph (see `composite`).
    Composite(std::sync::Arc<crate::composite::CompositeGraph>),
    /// PyTorch's CopySlices: an in-place op `op` on a view of a base, at the
    /// base's flat `positions` (shaped as the view). Its edges are the base
    /// and `op`'s inputs after the first (the view): the base's gradient
    /// keeps its elements outside the view, and inside gets `op`'s gradient
    /// for the view, computed by `op`'s own rule from the gradient there.
    /// `op` is shared (an Arc): the scheduler clones rules while it holds
    /// the arena's lock, and a NodeRef's own clone takes that lock.
    CopySlices {
        positions: Tensor,
        op: std::sync::Arc<crate::graph::NodeRef>,
    },
    /// A first-order gradient kept connected to the tensors its formula read
    /// (PyTorch's `*_backward` kernels): the gradient passes to the first
    /// edge, the others get zeros (their derivative there is zero).
    ZeroLink(Vec<(Shape, crate::dtype::DType, crate::storage::Device)>),
}

/// The backward of a fused native op (one node for a whole LSTM layer, a
/// layer norm, ...). Its gradients come from the op's native kernel, or,
/// under create_graph (grad mode on), from the op recomputed in recorded
/// ops from the same inputs, so that they are differentiable again.
pub trait FusedBackward: Send + Sync {
    /// PyTorch's name of the node.
    fn name(&self) -> &'static str;

    /// The node PyTorch's backward kernel records under create_graph
    /// (`NativeLayerNormBackwardBackward0`, ...), if PyTorch has one: the
    /// recomputed gradients are shown as it (`named_gradient`).
    fn double_backward_name(&self) -> Option<&'static str> {
        None
    }

    /// The saved inputs in the order of the node's edges (None: an
    /// optional input that was not given).
    fn saved_inputs(&self) -> Vec<Option<&Saved>>;

    /// The op in differentiable ops over its inputs.
    fn composed(&self, inputs: &[Option<Tensor>]) -> Result<Tensor>;

    /// The native kernel's gradients, one per input (None where `needs`
    /// is false); `unpack` reads other saved tensors.
    fn native(
        &self,
        inputs: &[Option<Tensor>],
        g: &Tensor,
        needs: &[bool],
        unpack: &dyn Fn(&Saved) -> Result<Tensor>,
    ) -> Result<Vec<Option<Tensor>>>;

    /// One gradient per input, reading the saved tensors through `unpack`
    /// (which checks their versions).
    fn backward(
        &self,
        g: &Tensor,
        needs: &[bool],
        unpack: &dyn Fn(&Saved) -> Result<Tensor>,
    ) -> Result<Vec<Option<Tensor>>> {
        let inputs: Vec<Option<Tensor>> = self
            .saved_inputs()
            .into_iter()
            .map(|s| s.map(unpack).transpose())
            .collect::<Result<_>>()?;
        if crate::grad_mode::is_grad_enabled() {
            let refs: Vec<Option<&Tensor>> = inputs.iter().map(Option::as_ref).collect();
            let grads =
                crate::composite::gradients_by_recomputation(self.name(), &refs, g, needs, |a| {
                    self.composed(a)
                })?;
            return match (self.double_backward_name(), refs.first().copied().flatten()) {
                (Some(name), Some(input)) => grads
                    .into_iter()
                    .map(|t| t.map(|t| named_gradient(t, input, name)).transpose())
                    .collect(),
                _ => Ok(grads),
            };
        }
        self.native(&inputs, g, needs, unpack)
    }
}

pub type CustomBackward =
    std::sync::Arc<dyn Fn(&Tensor) -> Result<Vec<Option<Tensor>>> + Send + Sync>;

impl Rule {
    /// After an in-place op wrote its result into `target`: the output this
    /// rule saved is `target` itself from now on (PyTorch saves the tensor
    /// it wrote), so a later in-place write to it fails the backward's
    /// version check, as in PyTorch, instead of going unnoticed.
    pub fn rebind_saved_output(&mut self, target: &Tensor) {
        use Rule::*;
        let slot = match self {
            UnaryOut(_, s)
            | Pow(_, _, s)
            | Softmax { out: s, .. }
            | LogSoftmax { out: s, .. }
            | Prod { out: s, .. }
            | Cumprod { out: s, .. }
            | Extremum { out: s, .. } => s,
            _ => return,
        };
        if slot.is_output() {
            *slot = Saved::output(target);
        }
    }

    pub fn has_saved(&self) -> bool {
        use Rule::*;
        matches!(
            self,
            UnaryX(..)
                | UnaryOut(..)
                | Mul(..)
                | Div(..)
                | Pow(..)
                | Atan2(..)
                | MaxMin { .. }
                | Remainder(..)
                | Prod { .. }
                | Cumprod { .. }
                | Extremum { .. }
                | Softmax { .. }
                | LogSoftmax { .. }
                | Matmul(..)
                | Addmm(..)
                | Conv2d(..)
                | Fused(..)
                | CopySlices { .. }
                // PyTorch's nodes save the index tensors (and where's condition)
                | Where(..)
                | IndexedExtremum { .. }
                | IndexSelect { .. }
                | Gather { .. }
                | Scatter { .. }
                | IndexAdd { .. }
                | Put { .. }
                | MaxPool2d { .. }
                | AvgPool2d(..)
                | AvgPool2dBackward(..)
        ) || matches!(self, Composite(g) if g.saves)
            || matches!(self, Custom { saves: true, .. })
    }
}

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

fn unary_grad(op: UnaryOp, g: &Tensor, v: &Tensor) -> Result<Tensor> {
    use UnaryOp::*;
    // Not recording (no create_graph): one fused pass instead of 2-4 ops.
    if !crate::grad_mode::is_grad_enabled() && g.shape() == v.shape() {
        if let Some(t) = g.unary_backward_fused(op, v) {
            return Ok(t);
        }
    }
    // `v` is the saved input x, or the output y for unary_saves_output ops.
    Ok(match op {
        Exp => g.mul(v)?,
        Tanh => g.mul(&v.square()?.rsub_scalar(1.0)?)?,
        Sigmoid => g.mul(&v.mul(&v.rsub_scalar(1.0)?)?)?,
        Sqrt => g.div(&v.mul_scalar(2.0)?)?,
        Rsqrt => g.mul(&v.pow_scalar(3.0)?.mul_scalar(-0.5)?)?,
        Reciprocal => g.mul(&v.square()?.neg()?)?,
        // threshold_backward: where(y <= 0, 0, g) (a mask product would turn
        // an inf gradient into NaN; a NaN output passes the gradient)
        Relu => v.le_scalar(0.0)?.where_(&zero_like(g), g)?,
        Abs => g.mul(&v.unary(Sign)?)?,
        Log => g.div(v)?,
        Log1p => g.div(&v.add_scalar(1.0)?)?,
        Expm1 => g.mul(&v.add_scalar(1.0)?)?,
        Sin => g.mul(&v.unary(Cos)?)?,
        Cos => g.mul(&v.unary(Sin)?.neg()?)?,
        Tan => g.mul(&v.unary(Tan)?.square()?.add_scalar(1.0)?)?,
        Erf => g.mul(
            &v.square()?
                .neg()?
                .unary(Exp)?
                .mul_scalar(std::f64::consts::FRAC_2_SQRT_PI)?,
        )?,
        Softplus => g.mul(&v.unary(Sigmoid)?)?,
        Act(a) => crate::tensor::activation_ops::backward_ops(a, g, v)?,
        PowScalar(p) => {
            if p == 0.0 {
                // PyTorch's zeros_like: no NaN from g, no graph under create_graph
                zeros_of(g)?
            } else {
                // PyTorch's `grad * (exponent * self.pow(exponent - 1))`
                g.mul(&times_scalar(&v.pow_scalar(p - 1.0)?, p)?)?
            }
        }
        RPowScalar(b) => g.mul(&v.rpow_scalar(b)?.mul_scalar(b.ln())?)?,
        Clamp(lo, hi) => {
            // strictly inside the given bounds, as PyTorch (2.15): an input
            // sitting on a bound gets no gradient (like relu at 0)
            let above = lo.map(|lo| v.gt_scalar(lo)).transpose()?;
            let below = hi.map(|hi| v.lt_scalar(hi)).transpose()?;
            let mask = match (above, below) {
                (Some(a), Some(b)) => a.binary(BinaryOp::LogicalAnd, &b)?,
                (Some(m), None) | (None, Some(m)) => m,
                (None, None) => return Ok(g.clone()),
            };
            mask.where_(g, &zero_like(g))?
        }
        // zeros_like(grad) in PyTorch: not connected to anything
        Neg | Sign | Floor | Ceil | Round | Trunc | LogicalNot => zeros_of(g)?,
    })
}

/// Input gradients of one node, one per input (None where not needed).
pub fn apply(
    rule: &Rule,
    name: &str,
    g: &Tensor,
    needs: &[bool],
    self_id: NodeId,
) -> Result<Vec<Option<Tensor>>> {
    let un = |s: &Saved| s.unpack(name, self_id);
    let need = |i: usize| needs.get(i).copied().unwrap_or(false);
    let one = |t: Tensor| Ok(vec![Some(t)]);
    match rule {
        Rule::Freed => Err(Error::Autograd(FREED_GRAPH.into())),
        Rule::Identity | Rule::AccumulateGrad(_) => one(g.clone()),
        Rule::ToDevice(d) => one(g.to_device(*d)?),
        Rule::Zero => (0..needs.len().max(1))
            .map(|i| {
                if i == 0 || need(i) {
                    zeros_of(g).map(Some)
                } else {
                    Ok(None)
                }
            })
            .collect(),
        Rule::NotImplemented(op) => Err(Error::Runtime(format!(
            "derivative for aten::{op} is not implemented"
        ))),
        Rule::Refused(message) => Err(Error::Runtime(message.to_string())),
        Rule::Neg => one(g.neg()?),
        Rule::UnaryX(op, x) | Rule::UnaryOut(op, x) => {
            let v = un(x)?;
            let gx = unary_grad(*op, g, &v)?;
            match op {
                UnaryOp::Relu => one(zero_link(gx, &[&v], "ThresholdBackwardBackward0")?),
                UnaryOp::Tanh => one(named_gradient(gx, &v, "TanhBackwardBackward0")?),
                UnaryOp::Sigmoid => one(named_gradient(gx, &v, "SigmoidBackwardBackward0")?),
                UnaryOp::Act(a) => match (a.zero_link_name(), a.backward_not_differentiable()) {
                    (Some(name), _) => one(zero_link(gx, &[&v], name)?),
                    (None, Some(op)) => one(not_implemented_link(gx, &[&v], op)?),
                    (None, None) => match a.backward_kernel_name() {
                        Some(name) => one(named_gradient(gx, &v, name)?),
                        None => one(gx),
                    },
                },
                _ => one(gx),
            }
        }
        Rule::Add { alpha } => Ok(vec![
            Some(g.clone()),
            need(1).then(|| scaled(g, *alpha)).transpose()?,
        ]),
        Rule::Sub { alpha } => Ok(vec![
            Some(g.clone()),
            need(1).then(|| scaled(g, -*alpha)).transpose()?,
        ]),
        Rule::Mul(a, b) => {
            if let (Some(sa), Some(sb)) = (a.as_ref(), b.as_ref()) {
                if sa.holds_same_tensor(sb) {
                    if let Some(both) = self_product_gradient(g, &un(sa)?, needs) {
                        return Ok(vec![Some(both), None]);
                    }
                }
            }
            let ga = if need(0) {
                Some(g.mul(&un(b.as_ref().ok_or_else(freed)?)?)?)
            } else {
                None
            };
            let gb = if need(1) {
                Some(g.mul(&un(a.as_ref().ok_or_else(freed)?)?)?)
            } else {
                None
            };
            Ok(vec![ga, gb])
        }
        Rule::Div(b, a) => {
            let b = un(b)?;
            let ga = if need(0) { Some(g.div(&b)?) } else { None };
            let gb = if need(1) {
                let a = un(a.as_ref().ok_or_else(freed)?)?;
                // PyTorch's order: -grad * ((a / b) / b) (same rounding)
                Some(g.neg()?.mul(&a.div(&b)?.div(&b)?)?)
            } else {
                None
            };
            Ok(vec![ga, gb])
        }
        Rule::Pow(a, b, out) => {
            let (a, b) = (un(a)?, un(b)?);
            let ga = if need(0) {
                // b * a^(b-1), with 0 where b == 0 (PyTorch's convention).
                let d = b.mul(&a.binary(BinaryOp::Pow, &b.add_scalar(-1.0)?)?)?;
                // (a zero, not d * 0: d is inf or NaN there when a is 0)
                let d = b.eq_scalar(0.0)?.where_(&zero_like(&d), &d)?;
                Some(g.mul(&d)?)
            } else {
                None
            };
            let gb = if need(1) {
                let out = un(out)?;
                // out * log(a), with 0 where a == 0 and b >= 0; the log in
                // the result's dtype (a float32 base of a float64 power is
                // converted first, as PyTorch's pow_backward_exponent)
                let log_a = a.to_dtype(out.dtype())?.unary(UnaryOp::Log)?;
                let d = out.mul(&log_a)?;
                let mask = a
                    .eq_scalar(0.0)?
                    .binary(BinaryOp::LogicalAnd, &b.ge_scalar(0.0)?)?;
                Some(g.mul(&mask.where_(&zero_like(&d), &d)?)?)
            } else {
                None
            };
            Ok(vec![ga, gb])
        }
        Rule::Atan2(a, b) => {
            let (a, b) = (un(a)?, un(b)?);
            // PyTorch's formula: at (0, 0) the reciprocal is masked to 0 (no
            // gradient there; 0 * inf would be NaN), and it stays a node of
            // the graph, so a second derivative there is NaN as in PyTorch
            let recip = a.mul(&a)?.add(&b.mul(&b)?)?.unary(UnaryOp::Reciprocal)?;
            let masked = recip.eq_scalar(f64::INFINITY)?;
            let recip = masked.where_(&Tensor::wrapped_scalar(0.0, recip.dtype()), &recip)?;
            Ok(vec![
                need(0).then(|| g.mul(&b)?.mul(&recip)).transpose()?,
                need(1).then(|| g.mul(&a.neg()?)?.mul(&recip)).transpose()?,
            ])
        }
        Rule::MaxMin { a, b, max } => {
            let (a, b) = (un(a)?, un(b)?);
            // PyTorch's formula: ties split the gradient in half; the loser
            // gets none; with a NaN neither compares, and both get all of it
            let split = a.binary(BinaryOp::Eq, &b)?.where_(&g.mul_scalar(0.5)?, g)?;
            let (a_loses, b_loses) = if *max {
                (a.binary(BinaryOp::Lt, &b)?, a.binary(BinaryOp::Gt, &b)?)
            } else {
                (a.binary(BinaryOp::Gt, &b)?, a.binary(BinaryOp::Lt, &b)?)
            };
            let zero = zero_like(g);
            Ok(vec![
                need(0).then(|| a_loses.where_(&zero, &split)).transpose()?,
                need(1).then(|| b_loses.where_(&zero, &split)).transpose()?,
            ])
        }
        Rule::Remainder(a, b) => {
            let (a, b) = (un(a)?, un(b)?);
            Ok(vec![
                Some(g.clone()),
                need(1)
                    .then(|| g.mul(&a.div_rounded(&b, true)?.neg()?))
                    .transpose()?,
            ])
        }
        Rule::Where(cond) => {
            let zero = zero_like(g);
            Ok(vec![
                None,
                need(1).then(|| cond.where_(g, &zero)).transpose()?,
                need(2).then(|| cond.where_(&zero, g)).transpose()?,
            ])
        }
        Rule::Reduce {
            op,
            in_shape,
            dims,
            keepdim,
        } => {
            let g = unsqueeze_dims(g, dims, *keepdim)?;
            match op {
                ReduceOp::Mean => {
                    let count = dims.iter().map(|&d| in_shape[d]).product::<usize>() as f64;
                    if crate::grad_mode::is_grad_enabled() {
                        // create_graph: PyTorch's graph, the expanded
                        // gradient divided (DivBackward1 over ExpandBackward0)
                        let out = g.expand(in_shape)?.div_scalar(count)?;
                        crate::graph::rename(&out, "DivBackward1");
                        crate::graph::hide_inputs(&out, 0b10);
                        one(out)
                    } else {
                        // the same quotients, computed once per reduced row
                        one(g.div_scalar(count)?.expand(in_shape)?)
                    }
                }
                _ => one(g.expand(in_shape)?),
            }
        }
        Rule::Prod {
            x,
            out,
            dims,
            keepdim,
        } => one(un(x)?.prod_backward(g, &un(out)?, dims, *keepdim)?),
        Rule::Extremum {
            x,
            out,
            dims,
            keepdim,
            fill,
        } => {
            let (x, out) = (un(x)?, un(out)?);
            let g = unsqueeze_dims(g, dims, *keepdim)?;
            let out = unsqueeze_dims(&out, dims, *keepdim)?;
            if *fill {
                let is_nan = |t: &Tensor| t.binary(BinaryOp::Ne, t);
                let both_nan = is_nan(&x)?.binary(BinaryOp::LogicalAnd, &is_nan(&out)?)?;
                let mask = x
                    .binary(BinaryOp::Eq, &out)?
                    .binary(BinaryOp::LogicalOr, &both_nan)?;
                let count = mask
                    .to_dtype(g.dtype())?
                    .reduce(ReduceOp::Sum, None, false)?;
                let zeros = Tensor::zeros_on(&x.shape(), g.dtype(), g.device())?;
                return one(mask.where_(&g.div(&count)?, &zeros)?);
            }
            let mask = x.binary(BinaryOp::Eq, &out)?.to_dtype(g.dtype())?;
            let count = mask.reduce(ReduceOp::Sum, Some(dims), true)?;
            one(g.mul(&mask)?.div(&count)?)
        }
        Rule::IndexedExtremum {
            in_shape,
            dim,
            indices,
            keepdim,
        } => {
            let g = unsqueeze_dims(g, &[*dim], *keepdim)?;
            let idx = unsqueeze_dims(indices, &[*dim], *keepdim)?;
            let zeros = Tensor::zeros_on(in_shape, g.dtype(), g.device())?;
            one(zeros.scatter(*dim as i64, &idx, &g, false)?)
        }
        Rule::Cumsum { dim } => one(crate::tensor::reversed_cumsum(g, *dim)?),
        Rule::Cumprod { dim, x, out } => one(crate::tensor::cumprod_backward(
            g,
            &un(x)?,
            &un(out)?,
            *dim,
        )?),
        Rule::Softmax { out, dim } => {
            let y = un(out)?;
            if !crate::grad_mode::is_grad_enabled() {
                if let Some(t) = g.softmax_backward_fused(&y, *dim, false) {
                    return one(t);
                }
            }
            let gy = g.mul(&y)?;
            let s = gy.reduce(ReduceOp::Sum, Some(&[*dim]), true)?;
            one(named_gradient(
                gy.sub(&y.mul(&s)?)?,
                &y,
                "SoftmaxBackwardDataBackward0",
            )?)
        }
        Rule::LogSoftmax { out, dim } => {
            let y = un(out)?;
            if !crate::grad_mode::is_grad_enabled() {
                if let Some(t) = g.softmax_backward_fused(&y, *dim, true) {
                    return one(t);
                }
            }
            let s = g.reduce(ReduceOp::Sum, Some(&[*dim]), true)?;
            one(named_gradient(
                g.sub(&y.unary(UnaryOp::Exp)?.mul(&s)?)?,
                &y,
                "LogSoftmaxBackwardDataBackward0",
            )?)
        }
        Rule::Matmul(a, b) => {
            let ga = need(0).then(|| mm_grad_a(g, &un(b)?)).transpose()?;
            let gb = need(1)
                .then(|| mm_grad_b(g, &un(a)?, &un(b)?))
                .transpose()?;
            Ok(vec![ga, gb])
        }
        Rule::Addmm(m1, m2) => {
            // edges: bias (the gradient itself, summed to its shape by the
            // scheduler), mat1, mat2
            let gbias = need(0).then(|| g.clone());
            let g1 = need(1).then(|| mm_grad_a(g, &un(m2)?)).transpose()?;
            let g2 = need(2)
                .then(|| mm_grad_b(g, &un(m1)?, &un(m2)?))
                .transpose()?;
            Ok(vec![gbias, g1, g2])
        }
        Rule::Reshape { in_shape } => {
            let out = g.reshape_to(in_shape)?;
            // create_graph: the node PyTorch's formula makes (unsqueeze's
            // gradient is a squeeze, squeeze's an unsqueeze), not a view
            let inverse = match name {
                "UnsqueezeBackward0" => Some("SqueezeBackward1"),
                n if n.starts_with("SqueezeBackward") => Some("UnsqueezeBackward0"),
                _ => None,
            };
            if let Some(inverse) = inverse {
                if crate::grad_mode::is_grad_enabled() && g.shape() != out.shape() {
                    crate::graph::rename(&out, inverse);
                }
            }
            one(out)
        }
        Rule::StridedView {
            in_shape,
            positions,
        } => {
            let z = Tensor::zeros_on(in_shape, g.dtype(), g.device())?;
            one(z.put(positions, g, true)?)
        }
        Rule::Permute { dims } => {
            let mut inv = vec![0; dims.len()];
            for (i, &d) in dims.iter().enumerate() {
                inv[d] = i;
            }
            let out = g.permute_usize(&inv)?;
            // create_graph: PyTorch's formula transposes back with the op
            // the forward used (t's gradient is a t, transpose's a transpose)
            if matches!(name, "TBackward0" | "TransposeBackward0")
                && crate::grad_mode::is_grad_enabled()
            {
                crate::graph::rename(&out, name);
            }
            one(out)
        }
        Rule::Slice {
            in_shape,
            dim,
            start,
            step,
        } => {
            let len = g.shape()[*dim];
            let out =
                Tensor::zeros_filled(in_shape, g, |z| z.write_slice(g, *dim, *start, len, *step))?;
            let (dim, start, step) = (*dim, *start, *step);
            // create_graph: PyTorch's node, whose own gradient slices again
            one(view_gradient(out, g, "SliceBackwardBackward0", move |gg| {
                gg.slice_exact(dim, start, len, step)
            }))
        }
        Rule::Select {
            in_shape,
            dim,
            index,
        } => {
            let row = g.detach().unsqueeze(*dim as i64)?;
            let out =
                Tensor::zeros_filled(in_shape, &row, |z| z.write_slice(&row, *dim, *index, 1, 1))?;
            let (dim, index) = (*dim as i64, *index as i64);
            one(view_gradient(
                out,
                g,
                "SelectBackwardBackward0",
                move |gg| gg.select(dim, index),
            ))
        }
        Rule::IndexSelect {
            in_shape,
            dim,
            index,
        } => {
            if !crate::grad_mode::is_grad_enabled() {
                return one(Tensor::zeros_filled(in_shape, g, |z| {
                    z.add_at_index(*dim, index, g)
                })?);
            }
            let z = Tensor::zeros_on(in_shape, g.dtype(), g.device())?;
            one(z.index_add(*dim, index, g)?)
        }
        Rule::Gather {
            in_shape,
            dim,
            index,
        } => {
            let index = &un(index)?;
            if !crate::grad_mode::is_grad_enabled() {
                return one(Tensor::zeros_filled(in_shape, g, |z| {
                    z.scatter_at_index(*dim, index, g, true)
                })?);
            }
            let z = Tensor::zeros_on(in_shape, g.dtype(), g.device())?;
            one(z.scatter(*dim as i64, index, g, true)?)
        }
        Rule::Scatter {
            dim,
            index,
            add,
            src_shape,
        } => {
            let index = &un(index)?;
            let gs = if *add {
                g.clone()
            } else {
                g.scatter_value(*dim as i64, index, 0.0)?
            };
            // PyTorch's src gradient has the index's shape; its engine
            // refuses it when src is larger (an index smaller than src)
            let name = if *add {
                "ScatterAddBackward0"
            } else {
                "ScatterBackward0"
            };
            let gsrc = need(1)
                .then(|| {
                    crate::autograd::input_gradient(
                        name,
                        1,
                        g.gather(*dim as i64, index)?,
                        src_shape,
                    )
                })
                .transpose()?;
            Ok(vec![Some(gs), gsrc])
        }
        Rule::IndexAdd { dim, index } => Ok(vec![
            Some(g.clone()),
            need(1)
                .then(|| {
                    if g.ndim() == 0 {
                        g.reshape_to(&[1])?.index_select(0, index)
                    } else {
                        g.index_select(*dim, index)
                    }
                })
                .transpose()?,
        ]),
        Rule::Roll { shifts, dims } => {
            let back: Vec<i64> = shifts.iter().map(|s| -s).collect();
            one(g.roll(&back, dims)?)
        }
        Rule::Flip { dims } => one(g.flip(dims)?),
        Rule::Cat { dim, sizes } => {
            let mut out = Vec::with_capacity(sizes.len());
            let mut start = 0;
            for &s in sizes {
                out.push(Some(g.narrow(*dim as i64, start as i64, s as i64)?));
                start += s;
            }
            Ok(out)
        }
        Rule::Custom { f, .. } => f(g),
        Rule::Fused(f) => f.backward(g, needs, &un),
        Rule::ZeroLink(links) => {
            let mut out = vec![Some(g.clone())];
            for (i, (shape, dtype, device)) in links.iter().enumerate() {
                out.push(if need(i + 1) {
                    Some(Tensor::zeros_on(shape, *dtype, *device)?)
                } else {
                    None
                });
            }
            Ok(out)
        }
        Rule::Composite(graph) => {
            crate::composite::backward(graph, name, g, needs, crate::grad_mode::is_grad_enabled())
        }
        Rule::Conv2d(x, w, ctx) => {
            let [gx, gw, gb] =
                Tensor::conv2d_backward(&un(x)?, &un(w)?, g, ctx, [need(0), need(1), need(2)])?;
            Ok(vec![gx, gw, gb])
        }
        Rule::MaxPool2d {
            input,
            indices,
            in_shape,
            sweep,
        } => one(zero_link(
            Tensor::max_pool2d_backward(g, indices, in_shape, sweep)?,
            &[&un(input)?],
            "MaxPool2DWithIndicesBackwardBackward0",
        )?),
        Rule::AvgPool2d(sweep, d, op, x) => one(g.avg_pool2d_backward(&un(x)?, sweep, *d, *op)?),
        // the forward's input is an edge only: its gradient is zero (`g` has its shape)
        Rule::AvgPool2dBackward(sweep, d, op) => Ok(vec![
            Some(g.avg_pool2d_adjoint(sweep, *d, *op)?),
            need(1).then(|| zeros_of(g)).transpose()?,
        ]),
        Rule::Im2Col(sweep) => one(g.col2im(sweep)?),
        Rule::Col2Im(sweep) => one(g.im2col(sweep)?),
        Rule::CopySlices { positions, op } => copy_slices_backward(g, positions, op, needs),
        Rule::Put {
            positions,
            accumulate,
        } => {
            let shape = g.shape();
            let flat = g.reshape_to(&[g.numel()])?;
            let gs = if *accumulate {
                g.clone()
            } else {
                flat.index_fill(positions, 0.0)?.reshape_to(&shape)?
            };
            let gv = flat
                .index_select(0, &positions.reshape_to(&[positions.numel()])?)?
                .reshape_to(&positions.shape())?;
            Ok(vec![Some(gs), Some(gv)])
        }
    }
}

/// The gradients of a CopySlices node (see `Rule::CopySlices`).
fn copy_slices_backward(
    g: &Tensor,
    positions: &Tensor,
    op: &crate::graph::NodeRef,
    needs: &[bool],
) -> Result<Vec<Option<Tensor>>> {
    let (rule, name, view_edge) = {
        let a = crate::graph::ARENA.lock();
        let n = a
            .get(op.id())
            .ok_or_else(|| Error::Autograd(FREED_GRAPH.into()))?;
        (n.rule.clone(), n.name, n.edges.first().cloned().flatten())
    };
    let shape = g.shape();
    let flat = g.reshape_to(&[g.numel()])?;
    let at = positions.reshape_to(&[positions.numel()])?;
    let region = flat.index_select(0, &at)?.reshape_to(&positions.shape())?;
    // the view's gradient is needed when the view had history (a view of a
    // base without one gets none, and the op may not have saved for it)
    let mut op_needs = vec![view_edge.is_some()];
    op_needs.extend(needs.iter().skip(1).copied());
    let mut grads = apply(&rule, name, &region, &op_needs, op.id())?;
    // the view's gradient, as the scheduler would have shaped it for the view
    let mut view_grad = grads.first_mut().and_then(Option::take);
    if let (Some(vg), Some(e)) = (view_grad.as_mut(), view_edge) {
        if let Some(s) = &e.shape {
            if &vg.shape() != s {
                *vg = vg.sum_to(s)?;
            }
        }
        if vg.dtype() != g.dtype() {
            *vg = vg.to_dtype(g.dtype())?;
        }
    }
    let base = match view_grad {
        Some(vg) => flat.put(positions, &vg, false)?,
        None => flat.index_fill(&at, 0.0)?,
    };
    let mut out = vec![Some(base.reshape_to(&shape)?)];
    out.extend(grads.into_iter().skip(1));
    Ok(out)
}

/// Under create_graph, `grad` (a first-order gradient) recorded as a
/// function of `links` too, with zero derivative there, in a node named
/// `name`: PyTorch's backward kernels (threshold_backward, ...) read their
/// saved input, so their results stay connected to it and a second
/// backward gives it a zero gradient rather than none.
pub fn zero_link(grad: Tensor, links: &[&Tensor], name: &'static str) -> Result<Tensor> {
    if !crate::grad_mode::is_grad_enabled() || !links.iter().any(|t| t.requires_grad()) {
        return Ok(grad);
    }
    let out = grad.detach();
    let mut inputs: Vec<&Tensor> = vec![&grad];
    inputs.extend_from_slice(links);
    let meta = links
        .iter()
        .map(|t| (t.shape(), t.dtype(), t.device()))
        .collect();
    crate::tensor::record(&out, name, &inputs, || Rule::ZeroLink(meta));
    Ok(out)
}

/// `x * x` (both operands the one tensor, so one node behind both edges;
/// see `Saved::holds_same_tensor`), not recording: the two gradients g x + g x in one pass as 2 g x (the
/// same bits: doubling is exact), given to the first edge, which the
/// engine adds into the same place the second's would go. None when the
/// operands are two tensors (a view of x is another node, with its own
/// hooks), or under create_graph (where the node's two edges stay PyTorch's).
fn self_product_gradient(g: &Tensor, x: &Tensor, needs: &[bool]) -> Option<Tensor> {
    if crate::grad_mode::is_grad_enabled() || needs != [true, true] || g.shape() != x.shape() {
        return None;
    }
    g.unary_backward_fused(UnaryOp::PowScalar(2.0), x)
}

/// Under create_graph, `grad` (computed in differentiable ops) shown as
/// the node of PyTorch's backward kernel, `name`, over the saved tensor it
/// reads (`TanhBackwardBackward0` over tanh's output, ...): `zero_link`'s
/// node, whose derivatives flow through the computation of `grad` itself.
/// The gradient's values and every higher derivative are unchanged.
fn named_gradient(grad: Tensor, saved: &Tensor, name: &'static str) -> Result<Tensor> {
    zero_link(grad, &[saved], name)
}

/// Under create_graph, `grad` (a first-order gradient) recorded as the
/// result of `links` through a NotImplemented node for `op`: PyTorch has no
/// derivative of that backward kernel (hardsigmoid_backward), so a further
/// backward through it raises, as PyTorch's does.
/// Forward AD's transposition of the rule (`forward_ad::transposing`)
/// needs the gradient as the function of the cotangent it is: no link then.
pub fn not_implemented_link(grad: Tensor, links: &[&Tensor], op: &'static str) -> Result<Tensor> {
    if !crate::grad_mode::is_grad_enabled()
        || !(grad.requires_grad() || links.iter().any(|t| t.requires_grad()))
        || crate::forward_ad::transposing()
    {
        return Ok(grad);
    }
    let out = grad.detach();
    let mut inputs: Vec<&Tensor> = vec![&grad];
    inputs.extend_from_slice(links);
    crate::tensor::record(&out, "NotImplemented", &inputs, || Rule::NotImplemented(op));
    Ok(out)
}

/// A view's gradient `out` (the incoming gradient `g` placed in zeros),
/// recorded under create_graph as PyTorch's node `name` over `g` alone,
/// whose gradient is the view `take` of the next incoming gradient.
fn view_gradient(
    out: Tensor,
    g: &Tensor,
    name: &'static str,
    take: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Tensor {
    if crate::grad_mode::is_grad_enabled() {
        let take = std::sync::Arc::new(move |gg: &Tensor| Ok(vec![Some(take(gg)?)]));
        crate::tensor::record(&out, name, &[g], || Rule::Custom {
            f: take,
            saves: false,
        });
    }
    out
}

/// `t * s` recorded as PyTorch's Scalar overload, `MulBackward1` (the
/// number is no input of the node), where PyTorch's formula multiplies by
/// a Scalar.
fn times_scalar(t: &Tensor, s: f64) -> Result<Tensor> {
    let out = t.mul_scalar(s)?;
    crate::graph::rename(&out, "MulBackward1");
    crate::graph::hide_inputs(&out, 0b10);
    Ok(out)
}

/// `g @ b^T`: the gradient of the left operand of a matrix product.
fn mm_grad_a(g: &Tensor, b: &Tensor) -> Result<Tensor> {
    g.matmul(&b.mt()?)
}

/// `a^T @ g`: the gradient of the right operand, made in the operand's own
/// layout when that is a transposed view (`x @ w.t()`: `(g^T @ a)^T`), so
/// that the gradient reaching `w` is contiguous without a copy (PyTorch's
/// `mm_mat2_backward` does the same).
fn mm_grad_b(g: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if b.ndim() >= 2 && !b.is_contiguous() && b.mt()?.is_contiguous() {
        return g.mt()?.matmul(a)?.mt();
    }
    a.mt()?.matmul(g)
}

/// A 0-d zero of `g`'s dtype, for `where(mask, g, 0)`.
fn zero_like(g: &Tensor) -> Tensor {
    Tensor::wrapped_scalar(0.0, g.dtype())
}

/// `zeros_like(g)`: a zero gradient that is not a function of anything.
fn zeros_of(g: &Tensor) -> Result<Tensor> {
    Tensor::zeros_on(&g.shape(), g.dtype(), g.device())
}

fn freed() -> Error {
    Error::Autograd(FREED_GRAPH.into())
}

fn scaled(g: &Tensor, alpha: f64) -> Result<Tensor> {
    if alpha == 1.0 {
        Ok(g.clone())
    } else if alpha == -1.0 {
        g.neg()
    } else {
        g.mul_scalar(alpha)
    }
}
