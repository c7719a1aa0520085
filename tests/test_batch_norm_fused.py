"""batch_norm on the CPU is one fused node (NativeBatchNormBackward0 over
input, weight and bias), with the batch's statistics in training and the
running ones in evaluation: values against NumPy in float64, gradients
against finite differences, second order through the recomputation, the
running statistics, the composition's fallback and thread-count
independence."""

import numpy as np
import pytest
from test_ops import finite_difference
from thread_counts import assert_same_across_thread_counts

import autorust as torch
import autorust.nn.functional as F

rng = np.random.default_rng(11)


def reference(a, w, b, mean=None, var=None, eps=1e-5):
    axes = (0,) + tuple(range(2, a.ndim))
    view = (1, -1) + (1,) * (a.ndim - 2)
    if mean is None:
        mean, var = a.mean(axis=axes), a.var(axis=axes)
    out = (a - mean.reshape(view)) / np.sqrt(var.reshape(view) + eps)
    if w is not None:
        out = out * w.reshape(view)
    if b is not None:
        out = out + b.reshape(view)
    return out


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 6, 6), (2, 2, 40), (3, 2, 2, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_values_and_gradients_against_references(shape, training, affine):
    a = rng.normal(size=shape) * 1.5 + 0.3
    c = shape[1]
    w, b = (rng.normal(size=c), rng.normal(size=c)) if affine else (None, None)
    rm, rv = rng.normal(size=c), rng.uniform(0.5, 2.0, size=c)
    x = torch.tensor(a, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True) if affine else None
    bt = torch.tensor(b, requires_grad=True) if affine else None
    running = (torch.tensor(rm), torch.tensor(rv))
    out = F.batch_norm(x, *running, wt, bt, training=training)
    assert out.grad_fn.name() == "NativeBatchNormBackward0"
    np.testing.assert_allclose(out.detach().numpy(), reference(a, w, b, None if training else rm, None if training else rv), rtol=1e-10, atol=1e-12)
    if training:
        count = a.size // c
        axes = (0,) + tuple(range(2, a.ndim))
        np.testing.assert_allclose(running[0].numpy(), 0.9 * rm + 0.1 * a.mean(axis=axes), rtol=1e-12)
        np.testing.assert_allclose(running[1].numpy(), 0.9 * rv + 0.1 * a.var(axis=axes) * count / (count - 1), rtol=1e-12)
    g = rng.normal(size=shape)
    out.backward(torch.tensor(g))
    arrays = [a] + ([w, b] if affine else [])

    def fn(xx, *wb):
        ww, bb = wb if affine else (None, None)
        return F.batch_norm(xx, torch.tensor(rm), torch.tensor(rv), ww, bb, training=training)

    np.testing.assert_allclose(x.grad.numpy(), finite_difference(fn, arrays, 0, g), rtol=1e-5, atol=1e-7)
    if affine:
        np.testing.assert_allclose(wt.grad.numpy(), finite_difference(fn, arrays, 1, g), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(bt.grad.numpy(), finite_difference(fn, arrays, 2, g), rtol=1e-5, atol=1e-7)


def test_second_order_through_recomputation():
    x = torch.randn(2, 3, 32, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    for training in (True, False):
        rm, rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
        fn = lambda *t: F.batch_norm(t[0], rm, rv, t[1], t[2], training=training, momentum=0.0)  # noqa: E731
        assert torch.autograd.gradcheck(fn, (x, w, b))
        assert torch.autograd.gradgradcheck(fn, (x, w, b))


def test_float32_module_and_mixed_dtype_fallback():
    m = torch.nn.BatchNorm2d(4)
    x = torch.randn(8, 4, 6, 6, requires_grad=True)
    y = m(x)
    y.square().sum().backward()
    a = x.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(y.detach().numpy(), reference(a, None, None), rtol=1e-4, atol=1e-5)
    assert m.weight.grad.shape == (4,) and m.running_mean.abs().sum().item() > 0
    m.eval()
    z = m(x)
    assert z.grad_fn.name() == "NativeBatchNormBackward0"
    # a float64 input with float32 parameters takes the composition
    out = F.batch_norm(torch.randn(4, 3, dtype=torch.float64, requires_grad=True), None, None, torch.ones(3, requires_grad=True), None, training=True)
    assert out.grad_fn.name() == "NativeBatchNormBackward0"
    out.sum().backward()


def test_in_place_write_to_saved_input_fails_backward():
    x = torch.randn(4, 3, 32, requires_grad=True)
    h = x * 1
    out = F.batch_norm(h, None, None, training=True)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_results_do_not_depend_on_the_thread_count():
    assert_same_across_thread_counts(
        "import numpy as np, autorust as torch, autorust.nn.functional as F\n"
        "torch.manual_seed(0)\n"
        "x = torch.randn(32, 16, 24, 24, requires_grad=True); w = torch.randn(16, requires_grad=True); b = torch.randn(16, requires_grad=True)\n"
        "out = F.batch_norm(x, None, None, w, b, training=True); out.backward(torch.randn(32, 16, 24, 24))\n"
        "print(b''.join(v.detach().numpy().tobytes() for v in (out, x.grad, w.grad, b.grad)).hex())\n",
        counts=("1", "2"),
    )


def _reference_input_grad(a, w, g, eps=1e-5):
    """The training-mode input gradient of batch norm on [N, C], in NumPy."""
    mean, var = a.mean(0), a.var(0)
    invstd = 1 / np.sqrt(var + eps)
    xhat = (a - mean) * invstd
    return w * invstd * (g - g.mean(0) - xhat * (g * xhat).mean(0))


@pytest.mark.parametrize("shape", [(700, 500), (5, 3)])
def test_two_dim_input_takes_the_column_path(shape):
    # [N, C] inputs (BatchNorm1d) have one element per (sample, channel):
    # the kernel walks rows across all channels, column ranges in parallel
    # when large; values and all three gradients against NumPy
    a = rng.normal(size=shape) * 2 + 1
    c = shape[1]
    w, b, g = rng.normal(size=c), rng.normal(size=c), rng.normal(size=shape)
    x, wt, bt = (torch.tensor(v, requires_grad=True) for v in (a, w, b))
    out = F.batch_norm(x, None, None, wt, bt, training=True)
    out.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), reference(a, w, b), rtol=1e-10, atol=1e-12)
    xhat = (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5)
    np.testing.assert_allclose(x.grad.numpy(), _reference_input_grad(a, w, g), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(wt.grad.numpy(), (g * xhat).sum(0), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(bt.grad.numpy(), g.sum(0), rtol=1e-10, atol=1e-10)
    # evaluation mode: the running statistics, as constants
    rm, rv = rng.normal(size=c), rng.uniform(0.5, 2.0, size=c)
    x.grad = None
    out = F.batch_norm(x, torch.tensor(rm), torch.tensor(rv), wt, None, training=False)
    out.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), reference(a, w, None, rm, rv), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g * w / np.sqrt(rv + 1e-5), rtol=1e-10, atol=1e-12)


def test_two_dim_float32_and_thread_counts():
    a = (rng.normal(size=(600, 700)) * 3 + 2).astype(np.float32)
    out = F.batch_norm(torch.tensor(a), None, None, training=True)
    np.testing.assert_allclose(out.numpy(), reference(a.astype(np.float64), None, None), rtol=1e-4, atol=1e-5)
    assert_same_across_thread_counts(
        "import autorust as torch, autorust.nn.functional as F\n"
        "torch.manual_seed(0)\n"
        "x = torch.randn(600, 700, requires_grad=True); w = torch.randn(700, requires_grad=True)\n"
        "out = F.batch_norm(x, None, None, w, None, training=True); out.backward(torch.randn(600, 700))\n"
        "print(b''.join(v.detach().numpy().tobytes() for v in (out, x.grad, w.grad)).hex())\n",
        counts=("1", "2"),
    )
