//! `Rule`: what a node keeps to compute its inputs' gradients (the saved
//! tensors and the op's parameters), one variant per kind of derivative;
//! `FusedBackward` for native fused ops, `CustomBackward` for Python-side
//! nodes.

use super::*;

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
