"""Fused kernels agree with the composite formulas they replace, and
reductions are bitwise deterministic whatever the thread count."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from thread_counts import assert_same_across_thread_counts

import autorust as torch
import autorust.nn.functional as F

rng = np.random.default_rng(7)


def _composite_ce(x, t, weight=None, ignore_index=-100, reduction="mean"):
    logp = x.log_softmax(1)
    return F.nll_loss(logp, t, weight=weight, ignore_index=ignore_index, reduction=reduction)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_fused_cross_entropy_matches_composite(reduction, weighted, ignore):
    a = rng.normal(size=(6, 5))
    t = torch.tensor([0, 4, 2, 2, 1, 3])
    if ignore:
        t[2] = -100
    w = torch.tensor(rng.uniform(0.5, 2.0, size=5)) if weighted else None
    x1 = torch.tensor(a, requires_grad=True)
    x2 = torch.tensor(a, requires_grad=True)
    l1 = F.cross_entropy(x1, t, weight=w, reduction=reduction)
    l2 = _composite_ce(x2, t, weight=w, reduction=reduction)
    np.testing.assert_allclose(l1.detach().numpy(), l2.detach().numpy(), rtol=1e-12)
    g = torch.tensor(rng.normal(size=tuple(l1.shape)))
    l1.backward(g)
    l2.backward(g)
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert l1.grad_fn.name() == "NllLossBackward0"


def test_fused_cross_entropy_second_order():
    a = rng.normal(size=(4, 3))
    t = torch.tensor([0, 2, 1, 1])
    x1 = torch.tensor(a, requires_grad=True)
    x2 = torch.tensor(a, requires_grad=True)
    (g1,) = torch.autograd.grad(F.cross_entropy(x1, t), x1, create_graph=True)
    (g2,) = torch.autograd.grad(_composite_ce(x2, t), x2, create_graph=True)
    (g1 * g1).sum().backward()
    (g2 * g2).sum().backward()
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_fused_cross_entropy_float32_matches_float64():
    a = rng.normal(size=(64, 100)).astype(np.float32)
    t = torch.tensor(rng.integers(0, 100, size=64))
    x32 = torch.tensor(a, requires_grad=True)
    x64 = torch.tensor(a.astype(np.float64), requires_grad=True)
    F.cross_entropy(x32, t).backward()
    F.cross_entropy(x64, t).backward()
    np.testing.assert_allclose(x32.grad.numpy(), x64.grad.numpy(), rtol=1e-5, atol=1e-8)


UNARY = ["exp", "log", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "reciprocal", "log1p", "expm1", "erf", "square"]


@pytest.mark.parametrize("name", UNARY)
def test_fused_unary_backward_matches_recorded_rule(name):
    a = rng.uniform(0.2, 1.2, size=(5,))
    x1 = torch.tensor(a, requires_grad=True)
    x2 = torch.tensor(a, requires_grad=True)
    (g1,) = torch.autograd.grad(getattr(x1, name)().sum(), x1)  # fused kernel
    (g2,) = torch.autograd.grad(getattr(x2, name)().sum(), x2, create_graph=True)  # tensor-op rule
    np.testing.assert_allclose(g1.numpy(), g2.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("log", [False, True])
def test_fused_softmax_backward_matches_recorded_rule(log):
    a = rng.normal(size=(3, 7))
    w = torch.tensor(rng.normal(size=(3, 7)))
    outs = []
    for create in (False, True):
        x = torch.tensor(a, requires_grad=True)
        y = x.log_softmax(-1) if log else x.softmax(-1)
        (g,) = torch.autograd.grad((y * w).sum(), x, create_graph=create)
        outs.append(g.detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12, atol=1e-14)


def _softmax_reference(x, g, dim, log):
    z = x - x.max(axis=dim, keepdims=True)
    e = np.exp(z)
    y = e / e.sum(axis=dim, keepdims=True)
    if log:
        y = np.log(y)
        return y, g - np.exp(y) * g.sum(axis=dim, keepdims=True)
    return y, y * (g - (g * y).sum(axis=dim, keepdims=True))


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape", [(3, 300, 700), (5, 6, 7)])  # split over threads and column chunks; small
def test_softmax_over_every_dim_forward_and_fused_backward_match_numpy(shape, log):
    r = np.random.default_rng(3)
    a = r.normal(size=shape).astype(np.float32) * 3
    ga = r.normal(size=shape).astype(np.float32)
    for dim in range(len(shape)):
        x = torch.tensor(a, requires_grad=True)
        y = x.log_softmax(dim) if log else x.softmax(dim)
        y.backward(torch.tensor(ga))
        want_y, want_g = _softmax_reference(a.astype(np.float64), ga.astype(np.float64), dim, log)
        np.testing.assert_allclose(y.detach().numpy(), want_y, rtol=2e-6, atol=1e-6 if log else 1e-9)
        # g - e^y sum(g) cancels: float32 gets it to a few ulp of the terms
        np.testing.assert_allclose(x.grad.numpy(), want_g, rtol=1e-5, atol=5e-6)
        # the recorded rule (double backward's path) gives the same gradient
        x2 = torch.tensor(a, requires_grad=True)
        y2 = x2.log_softmax(dim) if log else x2.softmax(dim)
        (g2,) = torch.autograd.grad(y2, x2, torch.tensor(ga), create_graph=True)
        np.testing.assert_allclose(g2.detach().numpy(), x.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("log", [False, True])
def test_softmax_over_a_leading_dim_keeps_masked_tiny_and_nan_columns(log):
    # over dim 0 the exponentials go 16 columns at a time (FMA chunks where
    # the whole chunk is in range): masked (-inf) entries give 0, spreads of
    # ~100 give float32 subnormals, an all -inf column NaN, as PyTorch
    r = np.random.default_rng(5)
    a = r.normal(size=(7, 45)).astype(np.float32)
    a[2, :20] = -np.inf
    a[:, 21] = -np.inf
    a[0, 30:40] = 95.0
    a[3, 41] = np.nan
    with np.errstate(invalid="ignore", over="ignore"):
        z = a.astype(np.float64) - a.max(axis=0, keepdims=True)
        want = z - np.log(np.exp(z).sum(axis=0, keepdims=True)) if log else np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)
    x = torch.tensor(a)
    y = (x.log_softmax(0) if log else x.softmax(0)).numpy()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(want))
    assert np.isnan(y[:, 21]).all() and np.isnan(y[:, 41]).all()
    if log:
        np.testing.assert_allclose(y, want, rtol=2e-6, atol=1e-5)
    else:
        np.testing.assert_allclose(y, want.astype(np.float32), rtol=2e-6, atol=1e-44)
        assert (y[1:, 30:40] > 0).all() and (y[1:, 30:40] < 1e-38).all()  # subnormals, not flushed
        assert (y[2, :20] == 0).all()


def test_softmax_over_a_strided_dim_is_bitwise_deterministic_across_thread_counts():
    script = textwrap.dedent(
        """
        import numpy as np, autorust as torch
        a = np.random.default_rng(0).normal(size=(3, 400, 900)).astype(np.float32)
        x = torch.tensor(a, requires_grad=True)
        outs = []
        for dim in (0, 1):
            for log in (False, True):
                y = x.log_softmax(dim) if log else x.softmax(dim)
                y.backward(torch.ones_like(y) * y.detach())
                outs += [y.detach(), x.grad]
                x.grad = None
        print(b"".join(v.numpy().tobytes() for v in outs).hex())
        """
    )
    assert_same_across_thread_counts(script)


def test_reductions_are_bitwise_deterministic_across_thread_counts():
    script = textwrap.dedent(
        """
        import numpy as np, autorust as torch
        x = torch.from_numpy(np.random.default_rng(0).normal(size=3_000_003).astype(np.float32))
        m = torch.from_numpy(np.random.default_rng(1).normal(size=(2000, 700)).astype(np.float32))
        vals = [x.sum(), x.mean(), m.sum(0), m.sum(1), m.softmax(1).sum(), m.logsumexp(1)]
        print(b"".join(v.numpy().tobytes() for v in vals).hex())
        """
    )
    assert_same_across_thread_counts(script)


def test_set_num_threads_decides_how_long_sums_split():
    # PyTorch splits a float sum of 32,768+ elements across its threads (so
    # its last bits depend on the count); autorust splits as PyTorch would
    # on get_num_threads() threads, whatever its own pool's size (the
    # `bitwise` parity family checks the sums against PyTorch's)
    x = torch.from_numpy(np.random.default_rng(0).normal(size=100_000).astype(np.float32))
    before = torch.get_num_threads()
    try:
        sums = {}
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            assert torch.get_num_threads() == n
            sums[n] = x.sum().item()
        assert len(set(sums.values())) > 1  # the split shows in the last bits
        torch.set_num_threads(2)
        assert x.sum().item() == sums[2]
    finally:
        torch.set_num_threads(before)
    with pytest.raises(RuntimeError, match="positive integer"):
        torch.set_num_threads(0)
    with pytest.raises(RuntimeError, match="expects an int, but got float"):
        torch.set_num_threads(1.5)


def test_same_reduction_twice_is_bitwise_equal():
    x = torch.randn(1_000_000)
    assert x.sum().item() == x.sum().item()


def test_simd_and_scalar_kernels_agree():
    script = textwrap.dedent(
        """
        import numpy as np, autorust as torch
        x = torch.from_numpy(np.random.default_rng(0).uniform(-30, 30, size=100_000).astype(np.float32))
        out = [x.exp(), x.sin(), x.cos(), x.tanh(), x.sigmoid(), x.abs().log(), x.softmax(0)]
        print(b"".join(v.numpy().tobytes() for v in out).hex())
        """
    )
    plain = subprocess.run(
        [sys.executable, "-c", script], env=dict(os.environ, AUTORUST_NO_SIMD="1"), capture_output=True, text=True, check=True
    ).stdout
    fast = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    a = np.frombuffer(bytes.fromhex(plain.strip()), dtype=np.float32)
    b = np.frombuffer(bytes.fromhex(fast.strip()), dtype=np.float32)
    # FMA contraction may move the last bit; values must agree to ~1 ulp.
    np.testing.assert_allclose(a, b, rtol=3e-7, atol=1e-30)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_float32_sigmoid_and_tanh_within_three_ulp(name):
    # both run in float32 arithmetic (vectorised at full width): each value
    # is within 3 ulp of the float64 result rounded to float32, over the
    # whole range, the subnormal tail of sigmoid and the signed zeros included
    xs = np.concatenate(
        [
            np.linspace(-120, 120, 400_001, dtype=np.float32),
            np.linspace(-1, 1, 200_001, dtype=np.float32),
            np.array([0.0, -0.0, 1e-30, -1e-30, 0.625, -0.625, np.inf, -np.inf], dtype=np.float32),
        ]
    )
    got = getattr(torch.tensor(xs), name)().numpy().astype(np.float64)
    x64 = xs.astype(np.float64)
    want = 1 / (1 + np.exp(-x64)) if name == "sigmoid" else np.tanh(x64)
    spacing = np.spacing(np.abs(want.astype(np.float32))).astype(np.float64)
    ulps = np.abs(got - want) / np.maximum(spacing, np.float64(np.finfo(np.float32).smallest_subnormal))
    normal = np.abs(want) >= np.finfo(np.float32).tiny
    assert ulps[normal].max() <= 3, (ulps[normal].max(), xs[normal][ulps[normal].argmax()])
    assert np.abs(got - want)[~normal].max() <= 1e-44  # subnormals: a few of their coarse steps
    assert np.array_equal(np.signbit(got[xs == 0]), np.signbit(xs[xs == 0]) & (name == "tanh"))
    nan = getattr(torch.tensor([float("nan")]), name)().numpy()
    assert np.isnan(nan).all()


def test_float32_exp_near_overflow_is_finite_and_subnormals_round():
    # e^88.4 is 2.46e38, below float32's largest value: 2^128 must not be
    # formed on the way; e^-100 is a subnormal, rounded once
    xs = np.array([88.0, 88.4, 88.5, 88.7, 88.72, 88.73, 89.0, -87.5, -100.0, -104.0, -200.0], dtype=np.float32)
    got = torch.tensor(xs).exp().numpy()
    want = np.exp(xs[:5].astype(np.float64)).astype(np.float32)
    np.testing.assert_allclose(got[:5], want, rtol=3e-7)
    assert np.isinf(got[5:7]).all()  # e^88.73 is past float32's largest value
    assert np.abs(got[7:].astype(np.float64) - np.exp(xs[7:].astype(np.float64))).max() <= 3e-45
    assert got[-1] == 0.0


@pytest.mark.parametrize("name", ["expm1", "log1p"])
def test_float32_expm1_and_log1p_within_one_ulp_and_almost_always_correctly_rounded(name):
    # a float32 result that feeds float64 math shows its last bit: PyTorch's
    # kernels round as the exact value would but for about 1 in 150, and
    # autorust's must not round differently much more often
    rng = np.random.default_rng(0)
    if name == "expm1":
        xs = np.concatenate([rng.standard_normal(300_000), rng.uniform(-90, 88.7, 300_000), rng.uniform(-1e-3, 1e-3, 100_000)])
        ref = np.expm1
    else:
        xs = np.concatenate([rng.standard_normal(300_000), rng.uniform(-1, 5, 300_000), np.exp(rng.uniform(-30, 80, 300_000))])
        ref = np.log1p
    xs = xs.astype(np.float32)
    xs = xs[(name == "expm1") | (xs > -1)]
    got = getattr(torch.tensor(xs), name)().numpy()
    want = ref(xs.astype(np.float64)).astype(np.float32)
    ulps = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32).astype(np.int64))
    assert ulps.max() <= 1, xs[ulps.argmax()]
    assert (ulps > 0).mean() < 0.01
    special = np.array([np.nan, np.inf, -np.inf, -1.0, -2.0, 0.0, -0.0, 100.0, -100.0], dtype=np.float32)
    out = getattr(torch.tensor(special), name)().numpy()
    with np.errstate(all="ignore"):
        expect = ref(special.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(out, expect)
    assert np.array_equal(np.signbit(out[5:7]), [False, True])


def test_float32_gelu_within_seven_ulp_across_the_range_and_the_negative_tail():
    import math

    xs = np.linspace(-13, 8, 400_001, dtype=np.float32)
    x = torch.tensor(xs, requires_grad=True)
    y = torch.nn.functional.gelu(x)
    y.backward(torch.ones_like(y))
    x64 = xs.astype(np.float64)
    # the cdf from erfc: 0.5 (1 + erf) cancels in the tail
    cdf = 0.5 * np.array([math.erfc(-v / math.sqrt(2)) for v in x64])
    want = x64 * cdf
    normal = np.abs(want) >= np.finfo(np.float32).tiny
    spacing = np.spacing(np.abs(want.astype(np.float32))).astype(np.float64)
    ulps = np.abs(y.detach().numpy().astype(np.float64) - want) / spacing
    assert ulps[normal].max() <= 7, xs[normal][ulps[normal].argmax()]
    want_grad = cdf + x64 * np.exp(-0.5 * x64 * x64) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=1e-6, atol=2e-7)


def _pair_loss_reference(kind, d, t):
    z = np.abs(d)
    if kind == "huber":
        return np.where(z < t, 0.5 * z * z, t * (z - 0.5 * t))
    return np.where(z < t, 0.5 * z * z / t, z - 0.5 * t)


@pytest.mark.parametrize("kind", ["huber", "smooth_l1"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pair_loss_kernels_match_reference_and_formula(kind, reduction, dtype):
    # huber_loss / smooth_l1_loss: one-pass kernels for the value and (with
    # create_graph off) the gradients; under create_graph the gradients come
    # from PyTorch's formula in ops: both must agree, the edges included
    fn = F.huber_loss if kind == "huber" else F.smooth_l1_loss
    t = 0.5
    kw = {"delta": t} if kind == "huber" else {"beta": t}
    a = rng.normal(size=(300, 1000))
    b = rng.normal(size=(300, 1000))
    b[0, :20] = a[0, :20] + t
    b[1, :20] = a[1, :20] - t
    b[2, :20] = a[2, :20]
    a, b = a.astype(dtype), b.astype(dtype)
    g = rng.normal(size=a.shape).astype(dtype)
    grads = []
    for create_graph in (False, True):
        x = torch.tensor(a, requires_grad=True)
        y = torch.tensor(b, requires_grad=True)
        loss = fn(x, y, reduction=reduction, **kw)
        err = _pair_loss_reference(kind, a.astype(np.float64) - b.astype(np.float64), t)
        want = {"mean": err.mean(), "sum": err.sum(), "none": err}[reduction]
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(loss.detach().numpy(), want, rtol=tol, atol=tol)
        assert loss.grad_fn.name() == ("HuberLossBackward0" if kind == "huber" else "SmoothL1LossBackward0")
        grads.append(torch.autograd.grad(loss, [x, y], torch.tensor(g) if reduction == "none" else None, create_graph=create_graph))
    for fast, composed in zip(*grads):
        np.testing.assert_array_equal(np.abs(fast.numpy()), np.abs(composed.detach().numpy()))
    # the target's gradient is the same backward with the operands swapped
    np.testing.assert_array_equal(np.abs(grads[0][0].numpy()), np.abs(grads[0][1].numpy()))


def test_smooth_l1_second_order_is_pytorchs_formula():
    # d/dx of smooth_l1's gradient: norm * grad / beta strictly inside, 0 outside
    x = torch.tensor([0.1, -0.2, 3.0, -4.0], dtype=torch.float64, requires_grad=True)
    y = torch.zeros(4, dtype=torch.float64)
    (gx,) = torch.autograd.grad(F.smooth_l1_loss(x, y, beta=0.5), x, create_graph=True)
    (h,) = torch.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(h.numpy(), [0.5, 0.5, 0.0, 0.0])
    assert torch.autograd.gradcheck(lambda t: F.smooth_l1_loss(t, y, beta=0.5), (x,))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bce_with_logits_kernel_rounds_as_the_composition(dtype):
    # the one-pass forward must give the composition's bits: (1 - t) * x + softplus(-x)
    x = rng.normal(size=(3, 70_000)) * 8
    x[0, :6] = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e30]
    t = rng.uniform(size=x.shape)
    xt, tt = torch.tensor(x, dtype=dtype), torch.tensor(t, dtype=dtype)
    fast = torch._native._bce_with_logits(xt, tt)
    composed = (1 - tt) * xt + (-xt)._softplus()
    np.testing.assert_array_equal(fast.numpy(), composed.numpy())
    for reduction in ("mean", "sum", "none"):
        loss = F.binary_cross_entropy_with_logits(xt, tt, reduction=reduction)
        expected = {"mean": composed.mean(), "sum": composed.sum(), "none": composed}[reduction]
        np.testing.assert_array_equal(loss.numpy(), expected.numpy())
    # operands the kernel does not take fall back to the composition
    assert torch._native._bce_with_logits(xt, tt.double() if dtype == torch.float32 else tt.float()) is None
    assert torch._native._bce_with_logits(xt, tt[:, :5]) is None


# sums split into pieces per thread write their own runs of one output
@pytest.mark.parametrize("shape,dims", [((2, 300_000), (0,)), ((7, 50_001), (0,)), ((3, 40_000, 2), (0, 2)), ((40, 3000), (1,))])
def test_split_sums_fill_every_output(shape, dims):
    a = rng.normal(size=shape)
    for dtype in (np.float32, np.float64):
        got = torch.tensor(a.astype(dtype)).sum(dim=dims).numpy()
        tol = 1e-4 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, a.astype(dtype).astype(np.float64).sum(axis=dims), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_max_and_min_over_leading_dims_take_the_first_best_and_the_first_nan(dtype):
    # the column-wise scan (every dim but the last) runs vectorised, in
    # parallel bands; ties go to the first index, a NaN wins from its first
    # occurrence, as in PyTorch (and NumPy's argmax)
    r = np.random.default_rng(7)
    a = r.integers(-3, 4, size=(40, 37, 300)).astype(dtype)  # many ties
    if dtype != np.int64:
        a[5, 3, 7] = a[9, 3, 7] = np.nan
        a[:, 0, 100:117] = np.nan
    x = torch.tensor(a)
    for dim in (0, 1):
        for best, np_arg in (("max", np.argmax), ("min", np.argmin)):
            values, indices = getattr(x, best)(dim)
            want_i = np_arg(a, axis=dim)
            np.testing.assert_array_equal(indices.numpy(), want_i)
            np.testing.assert_array_equal(values.numpy(), np.take_along_axis(a, np.expand_dims(want_i, dim), dim).squeeze(dim))


@pytest.mark.parametrize("mask_shape", [(64, 1), (1, 48), (64, 48), (1, 1)])
@pytest.mark.parametrize("sides", ["tensors", "scalar other", "row broadcast", "transposed"])
def test_where_with_broadcast_masks_matches_numpy(mask_shape, sides):
    # row-wise where (a [N, 1] or [1, T] mask against [N, T]) against np.where
    rng = np.random.default_rng(0)
    cond = rng.random(mask_shape) > 0.5
    a = rng.standard_normal((64, 48)).astype(np.float32)
    b = rng.standard_normal((64, 48)).astype(np.float32)
    ta, tb = torch.tensor(a), torch.tensor(b)
    if sides == "scalar other":
        got, want = torch.where(torch.tensor(cond), ta, 0.5), np.where(cond, a, np.float32(0.5))
    elif sides == "row broadcast":
        got, want = torch.where(torch.tensor(cond), ta, tb[:1]), np.where(cond, a, b[:1])
    elif sides == "transposed":
        at = np.ascontiguousarray(a.T)
        got, want = torch.where(torch.tensor(cond), torch.tensor(at).t(), tb), np.where(cond, at.T, b)
    else:
        got, want = torch.where(torch.tensor(cond), ta, tb), np.where(cond, a, b)
    np.testing.assert_array_equal(got.numpy(), want)
    # and through masked_fill, as attention masks use it
    np.testing.assert_array_equal(ta.masked_fill(torch.tensor(cond), -1.0).numpy(), np.where(cond, np.float32(-1), a))


def test_self_product_gradient_is_one_pass_with_the_same_bits():
    import autorust as torch

    x = torch.randn(1000, requires_grad=True)
    (x * x).sum().backward()
    assert torch.equal(x.grad, 2 * x.detach())  # g x + g x == 2 g x exactly
    # a view of x is another node: its hook still sees its own gradient
    x.grad = None
    seen = []
    y = x.view_as(x)
    y.register_hook(lambda g: seen.append(g.sum().item()))
    (x * y).sum().backward()
    assert torch.equal(x.grad, 2 * x.detach()) and len(seen) == 1
    # under create_graph the node keeps its two edges (PyTorch's graph)
    x.grad = None
    (g,) = torch.autograd.grad((x * x).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "AddBackward0"
    assert [type(f).__name__ for f, _ in g.grad_fn.next_functions] == ["MulBackward0", "MulBackward0"]
