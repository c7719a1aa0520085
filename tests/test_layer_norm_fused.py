"""layer_norm on the CPU is one fused node (NativeLayerNormBackward0 over
input, weight and bias): values against NumPy in float64, gradients
against float64 finite differences, second order through the
recomputation, the composition's fallback (mixed dtypes), the saved
inputs' version checks, and results independent of the thread count."""

import numpy as np
import pytest
from test_ops import finite_difference
from thread_counts import assert_same_across_thread_counts

import autorust as torch
import autorust.nn.functional as F

rng = np.random.default_rng(3)


def reference(a, shape, w=None, b=None, eps=1e-5):
    axes = tuple(range(a.ndim - len(shape), a.ndim))
    mean = a.mean(axis=axes, keepdims=True)
    var = a.var(axis=axes, keepdims=True)
    out = (a - mean) / np.sqrt(var + eps)
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    return out


@pytest.mark.parametrize("shape, normalized", [((4, 6), (6,)), ((2, 3, 5), (5,)), ((2, 3, 5), (3, 5)), ((3, 300), (300,)), ((1, 7), (7,))])
@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
def test_values_and_gradients_against_references(shape, normalized, affine):
    a = rng.normal(size=shape) * 2 + 0.5
    w = rng.normal(size=normalized) if affine in ("both", "weight") else None
    b = rng.normal(size=normalized) if affine in ("both", "bias") else None
    x = torch.tensor(a, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True) if w is not None else None
    bt = torch.tensor(b, requires_grad=True) if b is not None else None
    out = F.layer_norm(x, normalized, wt, bt)
    assert out.grad_fn.name() == "NativeLayerNormBackward0"
    nexts = [f[0].name() if f[0] is not None else None for f in out.grad_fn.next_functions]
    assert nexts == [
        "torch::autograd::AccumulateGrad",
        "torch::autograd::AccumulateGrad" if w is not None else None,
        "torch::autograd::AccumulateGrad" if b is not None else None,
    ]
    np.testing.assert_allclose(out.detach().numpy(), reference(a, normalized, w, b), rtol=1e-10, atol=1e-12)
    g = rng.normal(size=shape)
    out.backward(torch.tensor(g))
    arrays = [a] + [v for v in (w, b) if v is not None]

    def fn(xx, *rest):
        it = iter(rest)
        ww = next(it) if w is not None else None
        bb = next(it) if b is not None else None
        return F.layer_norm(xx, normalized, ww, bb)

    np.testing.assert_allclose(x.grad.numpy(), finite_difference(fn, arrays, 0, g), rtol=1e-5, atol=1e-7)
    for i, t in enumerate([t for t in (wt, bt) if t is not None], start=1):
        np.testing.assert_allclose(t.grad.numpy(), finite_difference(fn, arrays, i, g), rtol=1e-5, atol=1e-7)


def test_float32_close_to_float64():
    a = rng.normal(size=(64, 256)).astype(np.float32)
    w, b = rng.normal(size=256).astype(np.float32), rng.normal(size=256).astype(np.float32)
    out = F.layer_norm(torch.tensor(a), (256,), torch.tensor(w), torch.tensor(b))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), reference(a.astype(np.float64), (256,), w, b), rtol=1e-5, atol=1e-5)


def test_only_the_needed_gradients_and_non_contiguous_input():
    base = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    x = base.t()  # [4, 6], not contiguous
    w = torch.randn(6, dtype=torch.float64, requires_grad=True)
    out = F.layer_norm(x, (6,), w)
    (gw,) = torch.autograd.grad(out.sum() * 1.0, [w], retain_graph=True)
    (gx,) = torch.autograd.grad((out * out).sum(), [base])
    ref = torch.nn.functional.layer_norm(x.detach().contiguous(), (6,), w.detach())
    assert torch.allclose(out.detach(), ref)
    assert gw.shape == (6,) and gx.shape == (6, 4)
    # the rows of a layer norm sum to zero: so do their weighted sums' gradients
    np.testing.assert_allclose(
        gw.numpy(),
        x.detach().sub(x.detach().mean(1, keepdim=True)).div(x.detach().var(1, unbiased=False, keepdim=True).add(1e-5).sqrt()).sum(0).numpy(),
        rtol=1e-10,
    )


def test_second_order_through_recomputation():
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(5, dtype=torch.float64, requires_grad=True)
    b = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *t: F.layer_norm(t[0], (5,), t[1], t[2]), (x, w, b))
    assert torch.autograd.gradgradcheck(lambda *t: F.layer_norm(t[0], (5,), t[1], t[2]), (x, w, b))


def test_mixed_dtypes_fall_back_to_the_composition():
    x = torch.randn(3, 4, requires_grad=True)
    w = torch.randn(4, dtype=torch.float64, requires_grad=True)
    out = F.layer_norm(x, (4,), w)
    assert out.grad_fn.name() == "NativeLayerNormBackward0"
    out.sum().backward()
    assert x.grad.shape == (3, 4) and w.grad.dtype == torch.float64


def test_weight_of_another_shape_raises_pytorchs_error():
    with pytest.raises(
        RuntimeError,
        match=r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[256\] and normalized_shape = \[16, 16\]",
    ):
        F.layer_norm(torch.randn(2, 16, 16), (16, 16), torch.randn(256))


def test_in_place_write_to_saved_input_fails_backward():
    x = torch.randn(3, 4, requires_grad=True)
    h = x * 1
    out = F.layer_norm(h, (4,))
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_empty_rows_and_module():
    out = F.layer_norm(torch.randn(0, 5, requires_grad=True), (5,))
    assert out.shape == (0, 5)
    m = torch.nn.LayerNorm(8)
    y = m(torch.randn(2, 3, 8))
    y.sum().backward()
    assert m.weight.grad.shape == (8,) and m.bias.grad.shape == (8,)


def test_results_do_not_depend_on_the_thread_count():
    assert_same_across_thread_counts(
        "import numpy as np, autorust as torch, autorust.nn.functional as F\n"
        "torch.manual_seed(0)\n"
        "x = torch.randn(600, 512, requires_grad=True); w = torch.randn(512, requires_grad=True); b = torch.randn(512, requires_grad=True)\n"
        "out = F.layer_norm(x, (512,), w, b); out.backward(torch.randn(600, 512))\n"
        "print(b''.join(v.detach().numpy().tobytes() for v in (out, x.grad, w.grad, b.grad)).hex())\n",
        counts=("1", "2"),
    )
