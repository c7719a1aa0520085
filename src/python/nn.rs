//! Bindings for `nn` and `optim`: sliding windows (conv/pool building blocks)
//! and the fused optimizer updates (one call per parameter group). Argument
//! normalisation (ints vs pairs, defaults) happens in Python; these take
//! resolved (height, width) pairs.

use super::functions::tensor_list;
use super::tensor::PyTensor;
use super::tensor_math::run;
use crate::backend::cpu::avg_pool::AvgDivisor;
use crate::op::OptimUpdate;
use crate::tensor::Tensor;
use crate::tensor::Window2d;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

type Pair = (usize, usize);

fn window(kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Window2d {
    Window2d {
        kernel: [kernel.0, kernel.1],
        stride: [stride.0, stride.1],
        padding: [padding.0, padding.1],
        dilation: [dilation.0, dilation.1],
    }
}

/// `F.linear`: `input @ weight^T + bias` in one GEMM.
#[pyfunction]
#[pyo3(signature = (input, weight, bias=None))]
pub fn linear(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    weight: PyRef<'_, PyTensor>,
    bias: Option<PyRef<'_, PyTensor>>,
) -> PyResult<PyTensor> {
    let (x, w, b) = (input.t.clone(), weight.t.clone(), bias.map(|b| b.t.clone()));
    let work = x.numel() * w.shape().first().copied().unwrap_or(1);
    Ok(PyTensor::wrap(run(py, work, || x.linear(&w, b.as_ref()))?))
}

/// `F.unfold` on a 4-D input: `[N, C, H, W] -> [N, C*kh*kw, L]`.
#[pyfunction]
pub fn im2col(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    kernel_size: Pair,
    dilation: Pair,
    padding: Pair,
    stride: Pair,
) -> PyResult<PyTensor> {
    let x = input.t.clone();
    let win = window(kernel_size, stride, padding, dilation);
    Ok(PyTensor::wrap(run(
        py,
        x.numel() * kernel_size.0 * kernel_size.1,
        || x.unfold2d(&win),
    )?))
}

/// `F.fold`: `[N, C*kh*kw, L] -> [N, C, H, W]`.
#[pyfunction]
pub fn col2im(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    output_size: Pair,
    kernel_size: Pair,
    dilation: Pair,
    padding: Pair,
    stride: Pair,
) -> PyResult<PyTensor> {
    let x = input.t.clone();
    let win = window(kernel_size, stride, padding, dilation);
    Ok(PyTensor::wrap(run(py, x.numel(), || {
        x.fold2d([output_size.0, output_size.1], &win)
    })?))
}

/// `F.conv2d` on a 4-D input with resolved stride/padding/dilation pairs.
#[pyfunction]
#[pyo3(signature = (input, weight, bias, stride, padding, dilation, groups))]
pub fn conv2d(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    weight: PyRef<'_, PyTensor>,
    bias: Option<PyRef<'_, PyTensor>>,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: usize,
) -> PyResult<PyTensor> {
    let (x, w, b) = (input.t.clone(), weight.t.clone(), bias.map(|b| b.t.clone()));
    let win = window((1, 1), stride, padding, dilation);
    Ok(PyTensor::wrap(run(py, x.numel() * w.numel(), || {
        x.conv2d(&w, b.as_ref(), &win, groups)
    })?))
}

/// `F.max_pool2d` on a 4-D input: (values, int64 indices into each H*W plane).
#[pyfunction]
pub fn max_pool2d(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
) -> PyResult<(PyTensor, PyTensor)> {
    let x = input.t.clone();
    let win = window(kernel_size, stride, padding, dilation);
    let (v, i) = run(py, x.numel(), || x.max_pool2d(&win, ceil_mode))?;
    Ok((PyTensor::wrap(v), PyTensor::wrap(i)))
}

/// `F.avg_pool2d` on a 4-D input.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn avg_pool2d(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<i64>,
) -> PyResult<PyTensor> {
    let x = input.t.clone();
    let win = window(kernel_size, stride, padding, (1, 1));
    let divisor = AvgDivisor {
        count_include_pad,
        divisor_override,
    };
    Ok(PyTensor::wrap(run(py, x.numel(), || {
        x.avg_pool2d(&win, ceil_mode, divisor)
    })?))
}

/// `F.adaptive_avg_pool2d` on a 3-D or 4-D input whose last two dims
/// `output_size` divides (the Python side takes the other cases).
#[pyfunction]
pub fn adaptive_avg_pool2d_even(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    output_size: (usize, usize),
) -> PyResult<PyTensor> {
    let x = input.t.clone();
    Ok(PyTensor::wrap(run(py, x.numel(), || {
        x.adaptive_avg_pool2d_even([output_size.0, output_size.1])
    })?))
}

/// One optimizer step over a parameter group in a single native call:
/// `params[i]` is updated with `grads[i]`, its state buffers `states[i]`
/// (None: no state) and `update(i)`. The per-parameter Python loop this
/// replaces cost ~2.5 us per parameter, a tenth of a small MLP's step.
fn step_group(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    states: Option<&Bound<'_, PyAny>>,
    update: impl Fn(usize) -> PyResult<OptimUpdate>,
) -> PyResult<()> {
    let (params, grads) = (tensor_list(params)?, tensor_list(grads)?);
    let states: Vec<Vec<Tensor>> = match states {
        Some(s) => s
            .try_iter()?
            .map(|item| tensor_list(&item?))
            .collect::<PyResult<_>>()?,
        None => vec![vec![]; params.len()],
    };
    if grads.len() != params.len() || states.len() != params.len() {
        return Err(PyValueError::new_err(format!(
            "optimizer step: got {} parameters, {} gradients and {} state lists",
            params.len(),
            grads.len(),
            states.len()
        )));
    }
    let updates = (0..params.len())
        .map(update)
        .collect::<PyResult<Vec<_>>>()?;
    let total = params.iter().map(Tensor::numel).sum();
    run(py, total, || {
        for (((p, g), s), u) in params.iter().zip(&grads).zip(&states).zip(&updates) {
            update_param(p, g, s, u)?;
        }
        Ok(())
    })
}

/// The fused kernels write dense memory, all operands in one order: a
/// parameter that is a slice, or whose state buffers have other strides, is
/// updated through contiguous copies that are then written back.
fn update_param(
    p: &Tensor,
    g: &Tensor,
    states: &[Tensor],
    u: &OptimUpdate,
) -> crate::error::Result<()> {
    if p.optim_layouts_match(states) {
        return p.optim_update_(g, states, u);
    }
    let tmp = p.detach().clone_data()?;
    let tmp_states = states
        .iter()
        .map(|s| s.detach().clone_data())
        .collect::<crate::error::Result<Vec<_>>>()?;
    tmp.optim_update_(g, &tmp_states, u)?;
    for (s, t) in states.iter().zip(&tmp_states) {
        s.detach().copy_(t)?;
    }
    p.detach().copy_(&tmp)
}

/// A per-parameter value (SGD's "buffer just created", Adam's step count).
fn nth<T: Copy>(values: &[T], i: usize) -> PyResult<T> {
    values.get(i).copied().ok_or_else(|| {
        PyValueError::new_err("optimizer step: fewer per-parameter values than parameters")
    })
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn _sgd_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    states: Option<&Bound<'_, PyAny>>,
    firsts: Vec<bool>,
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    maximize: bool,
) -> PyResult<()> {
    let first = |i| {
        if states.is_some() {
            nth(&firsts, i)
        } else {
            Ok(false)
        }
    };
    step_group(py, params, grads, states, |i| {
        Ok(OptimUpdate::Sgd {
            lr,
            momentum,
            dampening,
            nesterov,
            weight_decay,
            maximize,
            first: first(i)?,
        })
    })
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn _adam_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    states: &Bound<'_, PyAny>,
    steps: Vec<f64>,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    decoupled: bool,
    maximize: bool,
) -> PyResult<()> {
    step_group(py, params, grads, Some(states), |i| {
        Ok(OptimUpdate::Adam {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
            amsgrad,
            decoupled,
            maximize,
            step: nth(&steps, i)?,
        })
    })
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn _rmsprop_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    states: &Bound<'_, PyAny>,
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    maximize: bool,
) -> PyResult<()> {
    step_group(py, params, grads, Some(states), |_| {
        Ok(OptimUpdate::RmsProp {
            lr,
            alpha,
            eps,
            weight_decay,
            momentum,
            centered,
            maximize,
        })
    })
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn _adagrad_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    states: &Bound<'_, PyAny>,
    steps: Vec<f64>,
    lr: f64,
    lr_decay: f64,
    weight_decay: f64,
    eps: f64,
    maximize: bool,
) -> PyResult<()> {
    step_group(py, params, grads, Some(states), |i| {
        Ok(OptimUpdate::Adagrad {
            lr,
            lr_decay,
            weight_decay,
            eps,
            maximize,
            step: nth(&steps, i)?,
        })
    })
}

/// One LSTM layer in one direction (`Tensor::lstm_layer`): `[T, N, I]` in,
/// `[T + 1, N, H]` out (every step's hidden state, then the final cell state).
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (input, hx, cx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=false))]
pub fn _lstm_layer(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    hx: PyRef<'_, PyTensor>,
    cx: PyRef<'_, PyTensor>,
    weight_ih: PyRef<'_, PyTensor>,
    weight_hh: PyRef<'_, PyTensor>,
    bias_ih: Option<PyRef<'_, PyTensor>>,
    bias_hh: Option<PyRef<'_, PyTensor>>,
    reverse: bool,
) -> PyResult<PyTensor> {
    let (x, h, c) = (input.t.clone(), hx.t.clone(), cx.t.clone());
    let (w_ih, w_hh) = (weight_ih.t.clone(), weight_hh.t.clone());
    let (b_ih, b_hh) = (bias_ih.map(|b| b.t.clone()), bias_hh.map(|b| b.t.clone()));
    let work = x.numel() * w_hh.numel();
    Ok(PyTensor::wrap(run(py, work, || {
        let w = crate::tensor::LstmWeights {
            w_ih: &w_ih,
            w_hh: &w_hh,
            b_ih: b_ih.as_ref(),
            b_hh: b_hh.as_ref(),
        };
        x.lstm_layer(&h, &c, &w, reverse)
    })?))
}

/// layer_norm over the last `k` dims as one fused node, or None where the
/// fused kernel does not apply (the caller composes it then).
#[pyfunction]
#[pyo3(signature = (input, k, weight=None, bias=None, eps=1e-5))]
pub fn _layer_norm(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    k: usize,
    weight: Option<PyRef<'_, PyTensor>>,
    bias: Option<PyRef<'_, PyTensor>>,
    eps: f64,
) -> PyResult<Option<PyTensor>> {
    let x = input.t.clone();
    let (w, b) = (weight.map(|t| t.t.clone()), bias.map(|t| t.t.clone()));
    Ok(run(py, x.numel(), || {
        x.layer_norm_fused(k, w.as_ref(), b.as_ref(), eps)
    })?
    .map(PyTensor::wrap))
}

/// scaled_dot_product_attention over 4-D tensors as one fused node, or
/// None where the fused kernel does not apply. `mask` is additive.
#[pyfunction]
#[pyo3(signature = (query, key, value, mask, causal, scale))]
pub fn _attention(
    py: Python<'_>,
    query: PyRef<'_, PyTensor>,
    key: PyRef<'_, PyTensor>,
    value: PyRef<'_, PyTensor>,
    mask: Option<PyRef<'_, PyTensor>>,
    causal: bool,
    scale: f64,
) -> PyResult<Option<PyTensor>> {
    let (q, k, v) = (query.t.clone(), key.t.clone(), value.t.clone());
    let m = mask.map(|t| t.t.clone());
    let work = q.numel() * k.shape().get(2).copied().unwrap_or(1);
    Ok(run(py, work, || {
        q.attention_fused(&k, &v, m.as_ref(), causal, scale)
    })?
    .map(PyTensor::wrap))
}

type BatchNormOut = (PyTensor, Option<(PyTensor, PyTensor)>);

/// batch_norm over dim 1 as one fused node: with the batch's statistics
/// (returned, for the running ones) when `running_mean`/`running_var` are
/// None, else with those. None where the fused kernel does not apply.
#[pyfunction]
#[pyo3(signature = (input, weight, bias, running_mean, running_var, eps))]
pub fn _batch_norm(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    weight: Option<PyRef<'_, PyTensor>>,
    bias: Option<PyRef<'_, PyTensor>>,
    running_mean: Option<PyRef<'_, PyTensor>>,
    running_var: Option<PyRef<'_, PyTensor>>,
    eps: f64,
) -> PyResult<Option<BatchNormOut>> {
    let x = input.t.clone();
    let (w, b) = (weight.map(|t| t.t.clone()), bias.map(|t| t.t.clone()));
    let stats = running_mean
        .zip(running_var)
        .map(|(m, v)| (m.t.clone(), v.t.clone()));
    let result = run(py, x.numel(), || {
        x.batch_norm_fused(
            w.as_ref(),
            b.as_ref(),
            stats.as_ref().map(|(m, v)| (m, v)),
            eps,
        )
    })?;
    Ok(result.map(|(out, batch)| {
        (
            PyTensor::wrap(out),
            batch.map(|(m, v)| (PyTensor::wrap(m), PyTensor::wrap(v))),
        )
    }))
}

/// The loss named by `kind` ("huber" with delta, "smooth_l1" with beta:
/// `threshold`).
fn pair_loss_kind(
    kind: &str,
    threshold: f64,
) -> PyResult<crate::backend::cpu::pair_loss::PairLoss> {
    use crate::backend::cpu::pair_loss::PairLoss;
    match kind {
        "huber" => Ok(PairLoss::Huber { delta: threshold }),
        "smooth_l1" => Ok(PairLoss::SmoothL1 { beta: threshold }),
        _ => Err(PyValueError::new_err(format!(
            "_pair_loss: unknown loss {kind:?}"
        ))),
    }
}

/// The per-element huber or smooth-L1 loss of (input, target) in one pass,
/// unrecorded (nn.functional records the node), or None where the kernel
/// does not apply (the caller composes it then).
#[pyfunction]
pub fn _pair_loss(
    py: Python<'_>,
    kind: &str,
    input: PyRef<'_, PyTensor>,
    target: PyRef<'_, PyTensor>,
    threshold: f64,
) -> PyResult<Option<PyTensor>> {
    let loss = pair_loss_kind(kind, threshold)?;
    let (x, y) = (input.t.clone(), target.t.clone());
    Ok(run(py, x.numel(), || x.pair_loss_errors(&y, loss))?.map(PyTensor::wrap))
}

/// binary_cross_entropy_with_logits per element in one pass, unrecorded,
/// or None where the kernel does not apply.
#[pyfunction]
pub fn _bce_with_logits(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    target: PyRef<'_, PyTensor>,
) -> PyResult<Option<PyTensor>> {
    let (x, y) = (input.t.clone(), target.t.clone());
    Ok(run(py, x.numel(), || x.bce_with_logits_errors(&y))?.map(PyTensor::wrap))
}

/// The input's gradient of `_pair_loss` for the output gradient `grad`,
/// scaled by `norm`, unrecorded, or None where the kernel does not apply.
#[pyfunction]
pub fn _pair_loss_gradient(
    py: Python<'_>,
    kind: &str,
    input: PyRef<'_, PyTensor>,
    target: PyRef<'_, PyTensor>,
    grad: PyRef<'_, PyTensor>,
    norm: f64,
    threshold: f64,
) -> PyResult<Option<PyTensor>> {
    let loss = pair_loss_kind(kind, threshold)?;
    let (x, y, g) = (input.t.clone(), target.t.clone(), grad.t.clone());
    Ok(run(py, x.numel(), || x.pair_loss_gradient(&y, &g, norm, loss))?.map(PyTensor::wrap))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(linear, m)?)?;
    m.add_function(wrap_pyfunction!(_bce_with_logits, m)?)?;
    m.add_function(wrap_pyfunction!(_batch_norm, m)?)?;
    m.add_function(wrap_pyfunction!(_attention, m)?)?;
    m.add_function(wrap_pyfunction!(_layer_norm, m)?)?;
    m.add_function(wrap_pyfunction!(_lstm_layer, m)?)?;
    m.add_function(wrap_pyfunction!(im2col, m)?)?;
    m.add_function(wrap_pyfunction!(col2im, m)?)?;
    m.add_function(wrap_pyfunction!(conv2d, m)?)?;
    m.add_function(wrap_pyfunction!(max_pool2d, m)?)?;
    m.add_function(wrap_pyfunction!(avg_pool2d, m)?)?;
    m.add_function(wrap_pyfunction!(adaptive_avg_pool2d_even, m)?)?;
    m.add_function(wrap_pyfunction!(_sgd_step, m)?)?;
    m.add_function(wrap_pyfunction!(_adam_step, m)?)?;
    m.add_function(wrap_pyfunction!(_rmsprop_step, m)?)?;
    m.add_function(wrap_pyfunction!(_adagrad_step, m)?)?;
    m.add_function(wrap_pyfunction!(_pair_loss, m)?)?;
    m.add_function(wrap_pyfunction!(_pair_loss_gradient, m)?)?;
    Ok(())
}
