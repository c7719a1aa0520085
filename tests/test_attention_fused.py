"""scaled_dot_product_attention on the CPU is one fused node, as PyTorch's
CPU flash attention (ScaledDotProductFlashAttentionForCpuBackward0 over
query, key and value; 3-D inputs unsqueezed to it and squeezed back).
Values against NumPy in float64, gradients against finite differences,
second order through the recomputation, masks, causal attention, fully
masked rows and the paths that stay composed (dropout)."""

import math

import numpy as np
import pytest
from test_ops import finite_difference

import autorust as torch
import autorust.nn.functional as F

rng = np.random.default_rng(7)


def reference(q, k, v, mask=None, causal=False, scale=None):
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        scores = scores + (np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask)
    if causal:
        L, S = scores.shape[-2:]
        scores = np.where(np.arange(S)[None, :] > np.arange(L)[:, None], -np.inf, scores)
    m = scores.max(-1, keepdims=True)
    safe = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(scores - safe)
    total = e.sum(-1, keepdims=True)
    p = np.where(total > 0, e / np.where(total > 0, total, 1.0), 0.0)
    return p @ v


CASES = [
    dict(shape=(2, 3, 4, 5), s=4, ev=5),
    dict(shape=(2, 3, 4, 5), s=6, ev=3),
    dict(shape=(1, 2, 5, 4), s=5, ev=4, causal=True),
    dict(shape=(2, 2, 3, 4), s=5, ev=4, mask="bool2d"),
    dict(shape=(2, 2, 3, 4), s=5, ev=4, mask="float4d"),
    dict(shape=(2, 2, 3, 4), s=3, ev=4, mask="bool_b1"),
    dict(shape=(2, 2, 3, 4), s=3, ev=2, scale=0.3),
]


def make(case):
    b, h, l, e = case["shape"]  # noqa: E741 (the query length, as in the shapes)
    s, ev = case["s"], case["ev"]
    q, k, v = rng.normal(size=(b, h, l, e)), rng.normal(size=(b, h, s, e)), rng.normal(size=(b, h, s, ev))
    mask = None
    kind = case.get("mask")
    if kind == "bool2d":
        mask = rng.random((l, s)) > 0.3
        mask[:, 0] = True
    elif kind == "float4d":
        mask = rng.normal(size=(b, h, l, s))
    elif kind == "bool_b1":
        mask = rng.random((b, 1, l, s)) > 0.4
        mask[..., 0] = True
    return q, k, v, mask


def as_tensor(a):
    return None if a is None else torch.tensor(a)


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_values_graph_and_gradients(case):
    q, k, v, mask = make(case)
    causal, scale = case.get("causal", False), case.get("scale")
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=as_tensor(mask), is_causal=causal, scale=scale)
    assert out.grad_fn.name() == "ScaledDotProductFlashAttentionForCpuBackward0"
    assert [f[0].name() for f in out.grad_fn.next_functions] == ["torch::autograd::AccumulateGrad"] * 3
    np.testing.assert_allclose(out.detach().numpy(), reference(q, k, v, mask, causal, scale), rtol=1e-10, atol=1e-12)
    g = rng.normal(size=out.shape)
    out.backward(torch.tensor(g))

    def fn(a, b, c):
        return F.scaled_dot_product_attention(a, b, c, attn_mask=as_tensor(mask), is_causal=causal, scale=scale)

    for i, t in enumerate((tq, tk, tv)):
        np.testing.assert_allclose(t.grad.numpy(), finite_difference(fn, [q, k, v], i, g), rtol=1e-5, atol=1e-8)


def test_three_dimensional_inputs_are_unsqueezed_and_squeezed_as_pytorch():
    q = torch.randn(2, 3, 4, requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q, is_causal=True)
    assert out.grad_fn.name() == "SqueezeBackward1"
    inner = out.grad_fn.next_functions[0][0]
    assert inner.name() == "ScaledDotProductFlashAttentionForCpuBackward0"
    assert [f[0].name() for f in inner.next_functions] == ["UnsqueezeBackward0"] * 3
    a = q.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(out.detach().numpy(), reference(a, a, a, causal=True), rtol=1e-5, atol=1e-6)


def test_fully_masked_rows_give_zeros_and_zero_gradients():
    q = torch.randn(1, 1, 3, 4, dtype=torch.float64, requires_grad=True)
    kv = torch.randn(1, 1, 3, 4, dtype=torch.float64, requires_grad=True)
    mask = torch.ones(3, 3, dtype=torch.bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, kv, kv, attn_mask=mask)
    assert out[0, 0, 1].tolist() == [0.0] * 4
    out.sum().backward()
    assert q.grad[0, 0, 1].tolist() == [0.0] * 4
    assert torch.isfinite(kv.grad).all()


def test_second_order_through_recomputation():
    q = torch.randn(1, 2, 3, 4, dtype=torch.float64, requires_grad=True)
    k = torch.randn(1, 2, 5, 4, dtype=torch.float64, requires_grad=True)
    v = torch.randn(1, 2, 5, 3, dtype=torch.float64, requires_grad=True)
    mask = torch.randn(3, 5, dtype=torch.float64)
    fn = lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (q, k, v))
    assert torch.autograd.gradgradcheck(fn, (q, k, v))
    causal = lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True)  # noqa: E731
    assert torch.autograd.gradgradcheck(causal, (q, k[:, :, :3].detach().requires_grad_(), v[:, :, :3].detach().requires_grad_()))


def test_float32_close_to_float64():
    q, k, v = (rng.normal(size=(2, 4, 16, 8)).astype(np.float32) for _ in range(3))
    out = F.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v), is_causal=True)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(
        out.numpy(), reference(q.astype(np.float64), k.astype(np.float64), v.astype(np.float64), causal=True), rtol=1e-5, atol=1e-6
    )


def test_paths_that_stay_composed_and_refusals():
    q = torch.randn(1, 2, 3, 4, requires_grad=True)
    with_dropout = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert with_dropout.grad_fn.name() != "ScaledDotProductFlashAttentionForCpuBackward0"
    mask = torch.randn(3, 3, requires_grad=True)  # a mask that needs its gradient
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    out.sum().backward()
    assert mask.grad is not None and mask.grad.shape == (3, 3)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=torch.ones(3, 3, dtype=torch.bool), is_causal=True)


def test_in_place_write_to_a_saved_input_fails_backward():
    base = torch.randn(1, 1, 3, 4, requires_grad=True)
    q = base * 1
    out = F.scaled_dot_product_attention(q, base, base)
    q.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
