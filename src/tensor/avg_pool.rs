//! Average pooling (`F.avg_pool2d`) and its gradient as a pair of native
//! ops, each the other's rule (the gradient is linear in the incoming
//! gradient, so its own derivative is the pooling again): gradients of any
//! order, and one pass over the data each way.

use super::window::{check_pool_output, check_pool_padding, dims4, Window2d};
use super::{record, Tensor};
use crate::backend::cpu::avg_pool::AvgDivisor;
use crate::backend::cpu::window::Sweep2d;
use crate::error::{shape_err, Result};
use crate::grad_rules::Rule;
use crate::saved::Saved;
use crate::shape::Shape;

impl Tensor {
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
        self.avg_pool(&sweep, divisor)
    }

    fn avg_pool(&self, sweep: &Sweep2d, divisor: AvgDivisor) -> Result<Tensor> {
        let [n, c, _, _] = planes_hw(self)?;
        let x = self.contiguous_data()?;
        let storage = {
            let v = x.view_guard();
            let s = v.storage.data.read_recursive();
            s.avg_pool(v.layout.offset, n * c, sweep, divisor)?
        };
        let out = Tensor::contiguous_from(storage, with_hw(self, sweep.out_hw));
        record(&out, "AvgPool2DBackward0", &[self], || {
            Rule::AvgPool2d(*sweep, divisor, Saved::input(self))
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
    ) -> Result<Tensor> {
        let [n, c, _, _] = planes_hw(self)?;
        let g = self.contiguous_data()?;
        let storage = {
            let v = g.view_guard();
            let s = v.storage.data.read_recursive();
            s.avg_pool_backward(v.layout.offset, n * c, sweep, divisor)?
        };
        let out = Tensor::contiguous_from(storage, with_hw(self, sweep.in_hw));
        record(&out, "AvgPool2DBackwardBackward0", &[self, input], || {
            Rule::AvgPool2dBackward(*sweep, divisor)
        });
        Ok(out)
    }

    /// The rule of `avg_pool2d_backward` (pooling is its adjoint).
    pub(crate) fn avg_pool2d_adjoint(
        &self,
        sweep: &Sweep2d,
        divisor: AvgDivisor,
    ) -> Result<Tensor> {
        self.avg_pool(sweep, divisor)
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
