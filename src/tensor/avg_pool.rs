//! Average pooling (`F.avg_pool2d`, and `F.adaptive_avg_pool2d` where its
//! windows tile the input evenly) and its gradient as a pair of native ops,
//! each the other's rule (the gradient is linear in the incoming gradient,
//! so its own derivative is the pooling again): gradients of any order, and
//! one pass over the data each way.

use super::window::{check_pool_output, check_pool_padding, dims4, Window2d};
use super::{record, Tensor};
use crate::backend::cpu::avg_pool::AvgDivisor;
use crate::backend::cpu::window::Sweep2d;
use crate::error::{shape_err, Result};
use crate::grad_rules::Rule;
use crate::saved::Saved;
use crate::shape::Shape;

/// Which PyTorch op an average pooling is: the kernel is the same, the
/// graph's nodes are named after the op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvgPoolOp {
    /// `avg_pool2d`
    Window,
    /// `adaptive_avg_pool2d` over windows that tile the input evenly
    Adaptive,
}

impl AvgPoolOp {
    fn node(self) -> &'static str {
        match self {
            AvgPoolOp::Window => "AvgPool2DBackward0",
            AvgPoolOp::Adaptive => "AdaptiveAvgPool2DBackward0",
        }
    }

    fn backward_node(self) -> &'static str {
        match self {
            AvgPoolOp::Window => "AvgPool2DBackwardBackward0",
            AvgPoolOp::Adaptive => "AdaptiveAvgPool2DBackwardBackward0",
        }
    }
}

impl Tensor {
    /// `adaptive_avg_pool2d` to `out_hw` where it divides the input's last
    /// two dims: the average pooling whose windows are the tiles.
    pub fn adaptive_avg_pool2d_even(&self, out_hw: [usize; 2]) -> Result<Tensor> {
        let [_, _, h, w] = planes_hw(self)?;
        let [oh, ow] = out_hw;
        if oh == 0 || ow == 0 || h % oh != 0 || w % ow != 0 {
            return shape_err(
                "adaptive_avg_pool2d",
                format!(
                    "output size {out_hw:?} does not divide the input's {:?}",
                    [h, w]
                ),
            );
        }
        let kernel = [h / oh, w / ow];
        let win = Window2d {
            kernel,
            stride: kernel,
            padding: [0, 0],
            dilation: [1, 1],
        };
        let sweep = win.sweep("adaptive_avg_pool2d", [h, w], false)?;
        let divisor = AvgDivisor {
            count_include_pad: true,
            divisor_override: None,
        };
        self.avg_pool(&sweep, divisor, AvgPoolOp::Adaptive)
    }

    /// `[N, C, H, W]` -> `[N, C, OH, OW]` window means (or `[C, H, W]`
    /// unbatched: one node either way, as in PyTorch).
    pub fn avg_pool2d(
        &self,
        win: &Window2d,
        ceil_mode: bool,
        divisor: AvgDivisor,
    ) -> Result<Tensor> {
        let [_, c, h, w] = planes_hw(self)?;
        if divisor.divisor_override == Some(0) {
            return shape_err("avg_pool2d", "divisor must be not zero");
        }
        check_pool_padding("avg_pool2d", win)?;
        check_pool_output("avg_pool2d", win, [c, h, w], ceil_mode)?;
        let sweep = win.sweep("avg_pool2d", [h, w], ceil_mode)?;
        self.avg_pool(&sweep, divisor, AvgPoolOp::Window)
    }

    fn avg_pool(&self, sweep: &Sweep2d, divisor: AvgDivisor, op: AvgPoolOp) -> Result<Tensor> {
        let [n, c, _, _] = planes_hw(self)?;
        let x = self.contiguous_data()?;
        let storage = {
            let v = x.view_guard();
            let s = v.storage.data.read_recursive();
            s.avg_pool(v.layout.offset, n * c, sweep, divisor)?
        };
        let out = Tensor::contiguous_from(storage, with_hw(self, sweep.out_hw));
        record(&out, op.node(), &[self], || {
            Rule::AvgPool2d(*sweep, divisor, op, Saved::input(self))
        });
        Ok(out)
    }

    /// The gradient of `avg_pool2d`: `[N, C, OH, OW]` -> `[N, C, H, W]`.
    /// `input` (the forward's) is only an edge of the recorded node, as in
    /// PyTorch's AvgPool2DBackwardBackward0; its gradient is zero.
    pub(crate) fn avg_pool2d_backward(
        &self,
        input: &Tensor,
        sweep: &Sweep2d,
        divisor: AvgDivisor,
        op: AvgPoolOp,
    ) -> Result<Tensor> {
        let [n, c, _, _] = planes_hw(self)?;
        let g = self.contiguous_data()?;
        let storage = {
            let v = g.view_guard();
            let s = v.storage.data.read_recursive();
            s.avg_pool_backward(v.layout.offset, n * c, sweep, divisor)?
        };
        let out = Tensor::contiguous_from(storage, with_hw(self, sweep.in_hw));
        record(&out, op.backward_node(), &[self, input], || {
            Rule::AvgPool2dBackward(*sweep, divisor, op)
        });
        Ok(out)
    }

    /// The rule of `avg_pool2d_backward` (pooling is its adjoint).
    pub(crate) fn avg_pool2d_adjoint(
        &self,
        sweep: &Sweep2d,
        divisor: AvgDivisor,
        op: AvgPoolOp,
    ) -> Result<Tensor> {
        self.avg_pool(sweep, divisor, op)
    }
}

/// `[N, C, H, W]` as is, `[C, H, W]` as `[1, C, H, W]`.
fn planes_hw(t: &Tensor) -> Result<[usize; 4]> {
    let s = t.shape();
    if s.len() == 3 {
        return Ok([1, s[0], s[1], s[2]]);
    }
    dims4("avg_pool2d", t)
}

/// `t`'s shape with its last two dims replaced by `hw`.
fn with_hw(t: &Tensor, hw: [usize; 2]) -> Shape {
    let mut s = t.shape();
    let r = s.len();
    s[r - 2] = hw[0];
    s[r - 1] = hw[1];
    s
}
