"""nn layers and functions against independent references: NumPy
implementations of the documented formulas for values, central finite
differences in float64 for gradients."""

import math

import numpy as np
import pytest

import autorust as torch
import autorust.nn as nn
import autorust.nn.functional as F


def numeric_grad(fn, arrays, i, eps=1e-6):
    """Central differences of sum(fn(*arrays) * probe) w.r.t. arrays[i]."""
    base = [a.copy() for a in arrays]
    out = np.asarray(fn(*[torch.tensor(a) for a in base]).detach().numpy(), dtype=np.float64)
    probe = np.random.default_rng(1).normal(size=out.shape)
    g = np.zeros_like(base[i])
    it = np.nditer(base[i], flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        plus = [a.copy() for a in base]
        minus = [a.copy() for a in base]
        plus[i][idx] += eps
        minus[i][idx] -= eps
        fp = np.asarray(fn(*[torch.tensor(a) for a in plus]).detach().numpy())
        fm = np.asarray(fn(*[torch.tensor(a) for a in minus]).detach().numpy())
        g[idx] = ((fp - fm) * probe).sum() / (2 * eps)
    return probe, g


def check_grads(fn, *arrays, which=None, atol=1e-6, rtol=1e-5):
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    which = range(len(arrays)) if which is None else which
    for i in which:
        probe, expected = numeric_grad(fn, arrays, i)
        ts = [torch.tensor(a, requires_grad=(j == i)) for j, a in enumerate(arrays)]
        out = fn(*ts)
        out.backward(torch.tensor(probe))
        np.testing.assert_allclose(ts[i].grad.numpy(), expected, atol=atol, rtol=rtol, err_msg=f"input {i}")


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# ---- reference implementations (NumPy, straight from the definitions) ----


def np_conv2d(x, w, b, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for oc in range(o):
        gi = oc // og
        for i in range(oh):
            for j in range(ow):
                patch = xp[
                    :,
                    gi * cg : (gi + 1) * cg,
                    i * stride[0] : i * stride[0] + dilation[0] * (kh - 1) + 1 : dilation[0],
                    j * stride[1] : j * stride[1] + dilation[1] * (kw - 1) + 1 : dilation[1],
                ]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    if b is not None:
        out += b[None, :, None, None]
    return out


def np_pool(x, k, s, p, reduce):
    n, c, h, w = x.shape
    fill = -np.inf if reduce == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * s : i * s + k, j * s : j * s + k]
            out[:, :, i, j] = win.max(axis=(2, 3)) if reduce == "max" else win.mean(axis=(2, 3))
    return out


CONV_CASES = [
    dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 1), groups=1),
    dict(stride=(1, 1), padding=(1, 1), dilation=(2, 1), groups=1),
    dict(stride=(2, 2), padding=(1, 1), dilation=(1, 1), groups=2),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_forward_matches_numpy(case):
    x, w, b = rnd(2, 4, 7, 6), rnd(6, 4 // case["groups"], 3, 2, seed=1), rnd(6, seed=2)
    got = F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **case).numpy()
    np.testing.assert_allclose(got, np_conv2d(x, w, b, **case), rtol=1e-10, atol=1e-10)
    got32 = F.conv2d(torch.tensor(x).float(), torch.tensor(w).float(), torch.tensor(b).float(), **case).numpy()
    np.testing.assert_allclose(got32, np_conv2d(x, w, b, **case), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_gradients_match_finite_differences(case):
    x, w, b = rnd(2, 4, 5, 5), rnd(4, 4 // case["groups"], 3, 2, seed=1), rnd(4, seed=2)
    check_grads(lambda x, w, b: F.conv2d(x, w, b, **case), x, w, b)


def test_conv2d_double_backward_matches_finite_differences():
    x, w = rnd(1, 2, 5, 5), rnd(3, 2, 3, 3, seed=1)

    def grad_norm(x, w):
        if not x.requires_grad:  # the finite-difference evaluations
            x = x.detach().requires_grad_()
        out = F.conv2d(x, w, padding=1)
        (gx,) = torch.autograd.grad((out * out).sum(), x, create_graph=True)
        return (gx * gx).sum()

    check_grads(grad_norm, x, w)


def test_conv2d_1x1_and_unbatched():
    x, w = rnd(3, 4, 4), rnd(5, 3, 1, 1, seed=1)
    got = F.conv2d(torch.tensor(x), torch.tensor(w)).numpy()
    np.testing.assert_allclose(got, np_conv2d(x[None], w, None, (1, 1), (0, 0), (1, 1), 1)[0], rtol=1e-10)
    check_grads(lambda x, w: F.conv2d(x, w), x[None], w)


def test_conv2d_same_padding_and_module_padding_modes():
    x, w = rnd(1, 2, 6, 5), rnd(3, 2, 4, 3, seed=1)
    out = F.conv2d(torch.tensor(x), torch.tensor(w), padding="same")
    assert tuple(out.shape) == (1, 3, 6, 5)
    conv = nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect").double()
    xr = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")
    expected = np_conv2d(xr, conv.weight.detach().numpy(), conv.bias.detach().numpy(), (1, 1), (0, 0), (1, 1), 1)
    np.testing.assert_allclose(conv(torch.tensor(x)).detach().numpy(), expected, rtol=1e-10)


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0)])
def test_pooling_matches_numpy(k, s, p):
    x = rnd(2, 3, 7, 6)
    np.testing.assert_allclose(F.max_pool2d(torch.tensor(x), k, s, p).numpy(), np_pool(x, k, s, p, "max"))
    np.testing.assert_allclose(F.avg_pool2d(torch.tensor(x), k, s, p).numpy(), np_pool(x, k, s, p, "avg"), rtol=1e-12)


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1)])
def test_pooling_gradients_match_finite_differences(k, s, p):
    x = rnd(1, 2, 6, 5)
    check_grads(lambda x: F.max_pool2d(x, k, s, p), x)
    check_grads(lambda x: F.avg_pool2d(x, k, s, p), x)
    check_grads(lambda x: F.avg_pool2d(x, k, s, p, ceil_mode=True, count_include_pad=False), x)


def test_max_pool_indices_ties_and_nan_follow_pytorch():
    x = torch.tensor([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 2.0, 2.0], [float("nan"), 5.0, 3.0, 3.0], [4.0, float("nan"), 3.0, 3.0]]]])
    v, i = F.max_pool2d(x, 2, return_indices=True)
    # ties: the first in scan order; NaN: the last NaN in the window
    assert i.tolist() == [[[[0, 3], [13, 10]]]]
    assert math.isnan(v[0, 0, 1, 0].item())


def test_adaptive_avg_pool_and_unfold_fold_are_adjoint():
    x = rnd(1, 2, 5, 7)
    got = F.adaptive_avg_pool2d(torch.tensor(x), (2, 3)).numpy()
    assert got.shape == (1, 2, 2, 3)
    np.testing.assert_allclose(got[0, 0, 0, 0], x[0, 0, 0:3, 0:3].mean())
    u = rnd(1, 2 * 4, 12)
    # <unfold(x), u> == <x, fold(u)>
    a = (F.unfold(torch.tensor(x), 2, padding=1, stride=2).numpy() * u).sum()
    b = (x * F.fold(torch.tensor(u), (5, 7), 2, padding=1, stride=2).numpy()).sum()
    assert abs(a - b) < 1e-10


def np_batch_norm(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1, -1] + [1] * (x.ndim - 2)
    mean, var = x.mean(axes), x.var(axes)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * w.reshape(shape) + b.reshape(shape), mean, var


def test_batch_norm_training_and_eval_match_the_formula():
    x = rnd(8, 3, 4, 2)
    m = nn.BatchNorm2d(3).double()
    with torch.no_grad():
        m.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        m.bias.copy_(torch.tensor([0.0, -1.0, 3.0]))
    y = m(torch.tensor(x))
    expected, mean, var = np_batch_norm(x, np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0]))
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-9, atol=1e-9)
    count = x.size / 3
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), 0.9 + 0.1 * var * count / (count - 1), rtol=1e-12)
    assert int(m.num_batches_tracked) == 1
    m.eval()
    rm, rv = m.running_mean.numpy(), m.running_var.numpy()
    ye = m(torch.tensor(x)).detach().numpy()
    shape = (1, 3, 1, 1)
    np.testing.assert_allclose(
        ye,
        (x - rm.reshape(shape)) / np.sqrt(rv.reshape(shape) + 1e-5) * np.array([1.0, 2.0, 0.5]).reshape(shape)
        + np.array([0.0, -1.0, 3.0]).reshape(shape),
        rtol=1e-9,
    )


def test_norm_layer_gradients_match_finite_differences():
    x, w, b = rnd(4, 3, 2), rnd(3, seed=1), rnd(3, seed=2)
    check_grads(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), x, w, b)
    x2, w2, b2 = rnd(2, 3, 4), rnd(3, 4, seed=1), rnd(3, 4, seed=2)
    check_grads(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), x2, w2, b2)
    check_grads(lambda x: F.group_norm(x, 2, None, None), rnd(2, 4, 3))


def test_layer_norm_matches_the_formula():
    x = rnd(2, 5, 4)
    m = nn.LayerNorm(4).double()
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(m(torch.tensor(x)).detach().numpy(), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-9, atol=1e-12)


def test_linear_and_embedding_gradients():
    check_grads(lambda x, w, b: F.linear(x, w, b), rnd(3, 4), rnd(2, 4, seed=1), rnd(2, seed=2))
    check_grads(lambda x, w: F.linear(x, w), rnd(2, 3, 4), rnd(5, 4, seed=1))
    w = rnd(5, 3)
    idx = torch.tensor([[0, 2], [2, 4]])
    check_grads(lambda w: F.embedding(idx, w), w)
    wt = torch.tensor(w, requires_grad=True)
    F.embedding(idx, wt, padding_idx=2).sum().backward()
    assert wt.grad.numpy()[2].tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(wt.grad.numpy()[[0, 4]], np.ones((2, 3)))


def test_dropout_scales_kept_elements_and_is_identity_in_eval():
    torch.manual_seed(3)
    x = torch.ones(10000)
    y = F.dropout(x, 0.3)
    kept = y != 0
    assert abs(float(kept.float().mean()) - 0.7) < 0.02
    np.testing.assert_allclose(y[kept].numpy(), 1 / 0.7, rtol=1e-6)
    d = nn.Dropout(0.3).eval()
    assert d(x) is x


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches_numpy(mode):
    x = rnd(1, 2, 4, 5)
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    got = F.pad(torch.tensor(x), (2, 1, 1, 3), mode=mode).numpy()
    np.testing.assert_allclose(got, np.pad(x, ((0, 0), (0, 0), (1, 3), (2, 1)), mode=np_mode))
    check_grads(lambda x: F.pad(x, (2, 1, 1, 3), mode=mode), x)


def np_log_softmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def test_losses_match_their_formulas():
    z, t = rnd(4, 3), np.array([0, 2, 1, 2])
    w = np.array([1.0, 2.0, 0.5])
    lp = np_log_softmax(z)
    Z, T, W = torch.tensor(z), torch.tensor(t), torch.tensor(w)
    assert abs(nn.CrossEntropyLoss()(Z, T).item() - (-lp[range(4), t].mean())) < 1e-12
    assert abs(nn.CrossEntropyLoss(weight=W)(Z, T).item() - (-(lp[range(4), t] * w[t]).sum() / w[t].sum())) < 1e-12
    assert abs(nn.CrossEntropyLoss(ignore_index=2)(Z, T).item() - (-lp[[0, 2], t[[0, 2]]].mean())) < 1e-12
    ls = 0.2
    smooth = -(1 - ls) * lp[range(4), t] - ls / 3 * lp.sum(1)
    assert abs(nn.CrossEntropyLoss(label_smoothing=ls)(Z, T).item() - smooth.mean()) < 1e-12
    probs = np.abs(rnd(4, 3, seed=3))
    probs /= probs.sum(1, keepdims=True)
    assert abs(nn.CrossEntropyLoss()(Z, torch.tensor(probs)).item() - (-(lp * probs).sum(1).mean())) < 1e-12
    assert abs(nn.NLLLoss(reduction="sum")(torch.tensor(lp), T).item() - (-lp[range(4), t].sum())) < 1e-12
    a, b = rnd(5), rnd(5, seed=1)
    A, B = torch.tensor(a), torch.tensor(b)
    assert abs(nn.MSELoss()(A, B).item() - ((a - b) ** 2).mean()) < 1e-12
    assert abs(nn.L1Loss(reduction="sum")(A, B).item() - np.abs(a - b).sum()) < 1e-12
    d = np.abs(a - b)
    assert abs(nn.SmoothL1Loss(beta=0.5)(A, B).item() - np.where(d < 0.5, 0.5 * d**2 / 0.5, d - 0.25).mean()) < 1e-12
    assert abs(nn.HuberLoss(delta=0.5)(A, B).item() - np.where(d < 0.5, 0.5 * d**2, 0.5 * (d - 0.25)).mean()) < 1e-12
    p, y = 1 / (1 + np.exp(-a)), (b > 0).astype(float)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert abs(nn.BCELoss()(torch.tensor(p), torch.tensor(y)).item() - bce.mean()) < 1e-12
    pw = np.array([2.0] * 5)
    bcel = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    assert abs(nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw))(A, torch.tensor(y)).item() - bcel.mean()) < 1e-12
    q = np.abs(b) / np.abs(b).sum()
    kl = (q * (np.log(q) - a)).sum() / 1
    assert abs(nn.KLDivLoss(reduction="sum")(A, torch.tensor(q)).item() - kl) < 1e-12
    assert abs(nn.KLDivLoss(reduction="batchmean")(torch.tensor(a.reshape(1, 5)), torch.tensor(q.reshape(1, 5))).item() - kl) < 1e-12


def test_loss_gradients_match_finite_differences():
    t = torch.tensor([0, 2, 1])
    check_grads(lambda z: F.cross_entropy(z, t, weight=torch.tensor([1.0, 2.0, 0.5]), label_smoothing=0.1), rnd(3, 3))
    check_grads(lambda z: F.cross_entropy(z, t), rnd(3, 3))
    check_grads(lambda z: F.cross_entropy(z, torch.tensor([[0, 1], [2, 2]])), rnd(2, 3, 2))
    check_grads(lambda z: F.nll_loss(z, t), rnd(3, 3))
    y = torch.tensor([1.0, 0.0, 1.0])
    # (the loss has the target's dtype, as PyTorch's: a float64 target keeps the check in float64)
    check_grads(lambda z: F.binary_cross_entropy_with_logits(z, y.double(), pos_weight=torch.tensor([1.0, 2.0, 3.0])), rnd(3))
    check_grads(lambda p: F.binary_cross_entropy(p, y), np.array([0.2, 0.6, 0.9]))
    check_grads(lambda a, b: F.smooth_l1_loss(a, b) + F.huber_loss(a, b, delta=0.7) + F.l1_loss(a, b) + F.mse_loss(a, b), rnd(4) * 2, rnd(4, seed=1))
    check_grads(lambda a: F.kl_div(a, torch.tensor([0.2, 0.0, 0.8]), reduction="batchmean"), rnd(3))


def test_activation_modules_match_numpy():
    x = rnd(7)
    X = torch.tensor(x)
    cases = [
        (nn.ReLU(), np.maximum(x, 0)),
        (nn.LeakyReLU(0.2), np.where(x > 0, x, 0.2 * x)),
        (nn.Sigmoid(), 1 / (1 + np.exp(-x))),
        (nn.Tanh(), np.tanh(x)),
        (nn.SiLU(), x / (1 + np.exp(-x))),
        (nn.GELU(), 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
        (nn.GELU("tanh"), 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))),
        (nn.Softmax(dim=0), np.exp(x) / np.exp(x).sum()),
        (nn.LogSoftmax(dim=0), x - np.log(np.exp(x).sum())),
        (nn.ELU(), np.where(x > 0, x, np.expm1(x))),
        (nn.Identity(), x),
    ]
    for module, expected in cases:
        np.testing.assert_allclose(module(X).numpy(), expected, rtol=1e-10, atol=1e-12, err_msg=repr(module))


def test_init_functions_follow_their_formulas():
    torch.manual_seed(0)
    w = torch.empty(200, 300)
    bound = math.sqrt(6 / (200 + 300))
    nn.init.xavier_uniform_(w)
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.95 * bound
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(float(w.std()) - math.sqrt(2 / 300)) < 0.003
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    assert float(w.abs().max()) <= 1 / math.sqrt(300)
    nn.init.normal_(w, 2.0, 0.5)
    assert abs(float(w.mean()) - 2.0) < 0.01
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError):
        nn.init.calculate_gain("foo")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(torch.empty(3))


def test_linear_init_draws_pytorchs_numbers():
    # torch.manual_seed(0); torch.nn.Linear(3, 2) prints these values
    torch.manual_seed(0)
    lin = nn.Linear(3, 2)
    np.testing.assert_allclose(lin.weight.detach().numpy(), [[-0.0043, 0.3097, -0.4752], [-0.4249, -0.2224, 0.1548]], atol=1e-4)
    np.testing.assert_allclose(lin.bias.detach().numpy(), [-0.0114, 0.4578], atol=1e-4)


def test_clip_grad_norm_and_value():
    p1, p2 = torch.zeros(3, requires_grad=True), torch.zeros(2, requires_grad=True)
    p1.grad, p2.grad = torch.tensor([3.0, 0.0, 4.0]), torch.tensor([0.0, 12.0])
    total = nn.utils.clip_grad_norm_([p1, p2], 6.5)
    assert abs(float(total) - 13.0) < 1e-6
    np.testing.assert_allclose(p1.grad.numpy(), np.array([3.0, 0.0, 4.0]) * 6.5 / (13 + 1e-6), rtol=1e-6)
    nn.utils.clip_grad_value_([p1, p2], 1.0)
    assert float(p2.grad.max()) == 1.0 and float(p1.grad.min()) == 0.0


@pytest.mark.parametrize(
    "kernel,padding,size",
    [
        ((3, 3), (1, 1), (8, 20, 18)),
        ((3, 2), (2, 0), (8, 20, 18)),
        ((1, 3), (0, 1), (8, 20, 18)),
        ((5, 5), (2, 2), (8, 20, 18)),
        # small images: several samples share one GEMM (stacked slabs), the
        # last group and the last weight-gradient block partly filled
        ((3, 3), (1, 1), (27, 5, 7)),
        ((3, 3), (2, 2), (11, 4, 3)),
        ((2, 3), (0, 1), (13, 6, 6)),
    ],
)
def test_stride_one_convolution_against_numpy_with_gradients(kernel, padding, size):
    # stride-1 convolutions run without im2col (conv_shifted.rs), their input
    # gradient as a forward convolution with the flipped weight; large enough
    # for the parallel path; all three gradients from NumPy
    (kh, kw), (ph, pw), (n, hh, ww) = kernel, padding, size
    x, w, b = rnd(n, 16, hh, ww), rnd(24, 16, kh, kw, seed=1), rnd(24, seed=2)
    oh, ow = hh + 2 * ph - kh + 1, ww + 2 * pw - kw + 1
    g = rnd(n, 24, oh, ow, seed=3)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    want = np.einsum("ncijkl,ockl->noij", win, w) + b[None, :, None, None]
    gxp = np.zeros_like(xp)
    for k in range(kh):
        for m in range(kw):
            gxp[:, :, k : k + oh, m : m + ow] += np.einsum("noij,oc->ncij", g, w[:, :, k, m])
    want_gx = gxp[:, :, ph : ph + hh, pw : pw + ww]
    want_gw = np.einsum("ncijkl,noij->ockl", win, g)
    for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 2e-4)):
        xt, wt, bt = (torch.tensor(v, dtype=dtype, requires_grad=True) for v in (x, w, b))
        out = F.conv2d(xt, wt, bt, padding=padding)
        out.backward(torch.tensor(g, dtype=dtype))
        np.testing.assert_allclose(out.detach().numpy(), want, rtol=tol, atol=tol)
        np.testing.assert_allclose(xt.grad.numpy(), want_gx, rtol=tol, atol=tol * 10)
        np.testing.assert_allclose(wt.grad.numpy(), want_gw, rtol=tol, atol=tol * 100)
        np.testing.assert_allclose(bt.grad.numpy(), g.sum(axis=(0, 2, 3)), rtol=tol, atol=tol * 100)
