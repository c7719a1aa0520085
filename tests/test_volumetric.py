"""3-d convolution and pooling (conv3d, max_pool3d, avg_pool3d,
adaptive_avg_pool3d and their modules) against direct NumPy loops over
the windows, gradients against float64 central differences, and node
names and shapes as PyTorch 2.15 printed them."""

import itertools

import numpy as np
import pytest

import autorust as torch
import autorust.nn.functional as F
from autorust import nn

RNG = np.random.default_rng(7)
X = RNG.uniform(-2, 2, size=(2, 4, 5, 6, 7))


def conv3d_reference(x, w, b, stride, padding, dilation, groups):
    n, _, *size = x.shape
    co, cg, *k = w.shape
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    out = [(size[i] + 2 * padding[i] - dilation[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(3)]
    y = np.zeros((n, co, *out))
    per = co // groups
    for o in range(co):
        g = o // per
        for od, oh, ow in itertools.product(*map(range, out)):
            window = xp[
                :,
                g * cg : (g + 1) * cg,
                od * stride[0] : od * stride[0] + dilation[0] * (k[0] - 1) + 1 : dilation[0],
                oh * stride[1] : oh * stride[1] + dilation[1] * (k[1] - 1) + 1 : dilation[1],
                ow * stride[2] : ow * stride[2] + dilation[2] * (k[2] - 1) + 1 : dilation[2],
            ]
            y[:, o, od, oh, ow] = (window * w[o]).sum(axis=(1, 2, 3, 4)) + (b[o] if b is not None else 0)
    return y


def pool_reference(x, k, s, p, ceil_mode, reduce, count_include_pad=True):
    n, c, *size = x.shape
    out = []
    for i in range(3):
        span = size[i] + 2 * p[i] - (k[i] - 1) - 1
        o = (span + (s[i] - 1 if ceil_mode else 0)) // s[i] + 1
        if ceil_mode and (o - 1) * s[i] >= size[i] + p[i]:
            o -= 1
        out.append(o)
    y = np.zeros((n, c, *out))
    for idx in itertools.product(*map(range, out)):
        lo = [idx[i] * s[i] - p[i] for i in range(3)]
        hi = [min(lo[i] + k[i], size[i] + p[i]) for i in range(3)]
        clo, chi = [max(v, 0) for v in lo], [min(hi[i], size[i]) for i in range(3)]
        window = x[:, :, clo[0] : chi[0], clo[1] : chi[1], clo[2] : chi[2]]
        if reduce == "max":
            y[(slice(None), slice(None)) + idx] = window.max(axis=(2, 3, 4))
        else:
            count = np.prod([hi[i] - lo[i] for i in range(3)]) if count_include_pad else np.prod([chi[i] - clo[i] for i in range(3)])
            y[(slice(None), slice(None)) + idx] = window.sum(axis=(2, 3, 4)) / count
    return y


@pytest.mark.parametrize(
    "stride,padding,dilation,groups",
    [((1, 1, 1), (0, 0, 0), (1, 1, 1), 1), ((2, 1, 2), (1, 2, 0), (2, 1, 1), 2), ((1, 2, 1), (2, 1, 1), (1, 1, 2), 4)],
)
def test_conv3d_matches_the_direct_sum(stride, padding, dilation, groups):
    w = RNG.uniform(-1, 1, size=(4, 4 // groups, 2, 3, 2))
    b = RNG.uniform(-1, 1, size=4)
    y = F.conv3d(torch.tensor(X), torch.tensor(w), torch.tensor(b), stride, padding, dilation, groups)
    assert y.grad_fn is None
    np.testing.assert_allclose(y.numpy(), conv3d_reference(X, w, b, stride, padding, dilation, groups), rtol=1e-12, atol=1e-12)


def test_conv3d_gradients_and_nodes():
    x = torch.tensor(X[:, :, :3, :4, :4], requires_grad=True)
    w = torch.tensor(RNG.uniform(-1, 1, size=(2, 4, 2, 2, 3)), requires_grad=True)
    b = torch.tensor(RNG.uniform(-1, 1, size=2), requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1), (x, w, b))
    assert F.conv3d(x, w, b).grad_fn.name() == "ConvolutionBackward0"
    assert F.conv3d(x[0], w, b, padding="same").shape == (2, 3, 4, 4)  # unbatched
    assert F.conv3d(x[0], w, b).grad_fn.name() == "SqueezeBackward1"


@pytest.mark.parametrize(
    "k,s,p,ceil_mode", [((2, 2, 2), (2, 2, 2), (0, 0, 0), False), ((3, 2, 3), (2, 1, 2), (1, 1, 1), True), ((2, 2, 2), (2, 2, 2), (0, 0, 0), True)]
)
def test_max_and_avg_pool3d_match_the_windows(k, s, p, ceil_mode):
    x = torch.tensor(X)
    np.testing.assert_allclose(F.max_pool3d(x, k, s, p, ceil_mode=ceil_mode).numpy(), pool_reference(X, k, s, p, ceil_mode, "max"))
    for include in (True, False):
        got = F.avg_pool3d(x, k, s, p, ceil_mode=ceil_mode, count_include_pad=include).numpy()
        np.testing.assert_allclose(got, pool_reference(X, k, s, p, ceil_mode, "avg", include), rtol=1e-12)
    assert F.avg_pool3d(x, 2, divisor_override=3).numpy() == pytest.approx(pool_reference(X, (2,) * 3, (2,) * 3, (0,) * 3, False, "avg") * 8 / 3)


def test_pool3d_gradients_and_names():
    x = torch.tensor(X[:1, :2, :4, :4, :5], requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: F.avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert torch.autograd.gradcheck(lambda x: F.adaptive_avg_pool3d(x, (3, 2, 4)), (x,))
    y = F.max_pool3d(x, 2)
    assert y.grad_fn.name() == "MaxPool3DWithIndicesBackward0"
    y.sum().backward()
    assert x.grad.sum().item() == y.numel()  # each window's gradient to its one maximum
    assert F.avg_pool3d(x, 2).grad_fn.name() == "AvgPool3DBackward0"
    assert F.adaptive_avg_pool3d(x, 2).grad_fn.name() == "AdaptiveAvgPool3DBackward0"


def test_adaptive_avg_pool3d_windows():
    x = torch.tensor(X)
    got = F.adaptive_avg_pool3d(x, (2, 4, 3)).numpy()
    want = np.zeros((2, 4, 2, 4, 3))
    for i, j, k in itertools.product(range(2), range(4), range(3)):
        lo = [(i * 5) // 2, (j * 6) // 4, (k * 7) // 3]
        hi = [-(-(i + 1) * 5 // 2), -(-(j + 1) * 6 // 4), -(-(k + 1) * 7 // 3)]
        want[:, :, i, j, k] = X[:, :, lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]].mean(axis=(2, 3, 4))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert F.adaptive_avg_pool3d(x, (None, 2, 5)).shape == (2, 4, 5, 2, 5)


def test_modules():
    torch.manual_seed(0)
    conv = nn.Conv3d(4, 2, 3, padding=1, padding_mode="replicate")
    assert conv.weight.shape == (2, 4, 3, 3, 3) and conv.bias.shape == (2,)
    # PyTorch 2.15's draws after manual_seed(0), and its output
    assert conv.weight.flatten()[:3].tolist() == [-0.0007204196299426258, 0.051619309931993484, -0.07919755578041077]
    y = conv(torch.tensor(X).float())
    assert y.shape == (2, 2, 5, 6, 7)
    assert y.flatten()[:4].tolist() == pytest.approx([-0.16063714027404785, 0.08360106498003006, -0.5138323903083801, -0.992813766002655], rel=1e-6)
    assert nn.MaxPool3d(2, ceil_mode=True)(torch.tensor(X)).shape == (2, 4, 3, 3, 4)
    assert nn.AvgPool3d(2, 1, 1)(torch.tensor(X)).shape == (2, 4, 6, 7, 8)
    assert nn.AdaptiveAvgPool3d(2)(torch.tensor(X)).shape == (2, 4, 2, 2, 2)
    # indices: flat positions in each [D, H, W] volume (checked against the windows in test_nn_missing_layers.py)
    out, idx = nn.MaxPool3d(2, return_indices=True)(torch.tensor(X))
    assert idx.dtype == torch.int64 and idx.shape == out.shape
