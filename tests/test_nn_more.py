"""The recurrent layers, attention, 1-d and transposed convolution,
interpolation, the extra activations and losses, against NumPy versions of
their documented formulas, and their gradients against central finite
differences in float64."""

import math

import numpy as np
import pytest
from test_nn_layers import check_grads

import autorust as torch
import autorust.nn as nn
import autorust.nn.functional as F

rng = np.random.default_rng(5)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def params(module):
    return {k: v.detach().numpy().astype(np.float64) for k, v in module.named_parameters()}


def test_lstm_follows_the_documented_gates():
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=1).double()
    p = params(lstm)
    x = rng.normal(size=(5, 2, 3))
    out, (h_n, c_n) = lstm(torch.tensor(x))
    h, c = np.zeros((2, 4)), np.zeros((2, 4))
    for t in range(5):
        g = x[t] @ p["weight_ih_l0"].T + p["bias_ih_l0"] + h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
        i, f, gg, o = np.split(g, 4, axis=1)  # PyTorch's gate order: i, f, g, o
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(gg)
        h = sigmoid(o) * np.tanh(c)
        np.testing.assert_allclose(out[t].detach().numpy(), h, rtol=1e-12)
    np.testing.assert_allclose(h_n[0].detach().numpy(), h, rtol=1e-12)
    np.testing.assert_allclose(c_n[0].detach().numpy(), c, rtol=1e-12)
    assert [n for n, _ in lstm.named_parameters()] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    bound = 1 / math.sqrt(4)
    assert all(float(v.abs().max()) <= bound for v in lstm.parameters())


def test_gru_and_rnn_follow_the_documented_formulas():
    torch.manual_seed(1)
    gru = nn.GRU(3, 2, batch_first=True).double()
    p = params(gru)
    x = rng.normal(size=(1, 4, 3))
    out, h_n = gru(torch.tensor(x))
    h = np.zeros((1, 2))
    for t in range(4):
        gi = x[:, t] @ p["weight_ih_l0"].T + p["bias_ih_l0"]
        gh = h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
        r = sigmoid(gi[:, :2] + gh[:, :2])
        z = sigmoid(gi[:, 2:4] + gh[:, 2:4])
        n = np.tanh(gi[:, 4:] + r * gh[:, 4:])
        h = (1 - z) * n + z * h
        np.testing.assert_allclose(out[:, t].detach().numpy(), h, rtol=1e-12)
    rnn = nn.RNN(3, 2, nonlinearity="relu", bidirectional=True).double()
    p = params(rnn)
    y, h_n = rnn(torch.tensor(x[0][:, None, :]))
    h = np.zeros((1, 2))
    back = []
    for t in reversed(range(4)):
        h = np.maximum(
            x[0][t : t + 1] @ p["weight_ih_l0_reverse"].T + p["bias_ih_l0_reverse"] + h @ p["weight_hh_l0_reverse"].T + p["bias_hh_l0_reverse"], 0
        )
        back.append(h)
    np.testing.assert_allclose(y[:, 0, 2:].detach().numpy(), np.concatenate(back[::-1]), rtol=1e-12)
    assert tuple(y.shape) == (4, 1, 4) and tuple(h_n.shape) == (2, 1, 2)


def test_recurrent_gradients_match_finite_differences():
    from autorust.nn.modules.rnn import _rnn_cell

    for mode, gates in (("LSTM", 4), ("GRU", 3), ("RNN_TANH", 1)):
        w_ih, w_hh = rng.normal(size=(gates * 3, 2)), rng.normal(size=(gates * 3, 3))
        b_ih, b_hh, h0 = rng.normal(size=gates * 3), rng.normal(size=gates * 3), rng.normal(size=(2, 3))

        def step(x, wi, wh, bi, h, mode=mode, b_hh=b_hh):
            h2, c2 = _rnn_cell(mode, x, h, h * 0.5, wi, wh, bi, torch.tensor(b_hh))
            return h2 * 2 + (c2 if c2 is not None else 0)

        check_grads(step, rng.normal(size=(2, 2)), w_ih, w_hh, b_ih, h0)
    torch.manual_seed(3)
    gru = nn.GRU(2, 2, num_layers=2).double()
    check_grads(lambda x: gru(x)[0], rng.normal(size=(3, 1, 2)))


def test_multihead_attention_is_scaled_dot_product_attention_per_head():
    torch.manual_seed(4)
    mha = nn.MultiheadAttention(4, 2).double()
    p = params(mha)
    x = rng.normal(size=(3, 1, 4))  # [L, N, E]
    out, weights = mha(torch.tensor(x), torch.tensor(x), torch.tensor(x))
    q, k, v = np.split(x[:, 0] @ p["in_proj_weight"].T + p["in_proj_bias"], 3, axis=1)
    heads = []
    attn = []
    for hd in range(2):
        s = slice(2 * hd, 2 * hd + 2)
        sc = q[:, s] @ k[:, s].T / math.sqrt(2)
        a = np.exp(sc - sc.max(1, keepdims=True))
        a /= a.sum(1, keepdims=True)
        attn.append(a)
        heads.append(a @ v[:, s])
    expected = np.concatenate(heads, 1) @ p["out_proj.weight"].T + p["out_proj.bias"]
    np.testing.assert_allclose(out[:, 0].detach().numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(weights[0].detach().numpy(), np.mean(attn, 0), rtol=1e-10)
    y = F.scaled_dot_product_attention(torch.tensor(q[None]), torch.tensor(k[None]), torch.tensor(v[None]), is_causal=True)
    sc = q @ k.T / math.sqrt(q.shape[1])
    sc[np.triu_indices(3, 1)] = -np.inf
    a = np.exp(sc - sc.max(1, keepdims=True))
    np.testing.assert_allclose(y[0].numpy(), (a / a.sum(1, keepdims=True)) @ v, rtol=1e-10)


def test_conv1d_and_transposed_convolution():
    x = rng.normal(size=(2, 3, 9))
    w = rng.normal(size=(4, 3, 3))
    b = rng.normal(size=4)
    out = F.conv1d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=2, padding=1).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    expected = np.stack([np.einsum("nck,ock->no", xp[:, :, i : i + 3], w) for i in range(0, 9, 2)], -1) + b[:, None]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    # conv_transpose2d is conv2d's adjoint: <conv(x), y> == <x, conv_t(y)>
    xs = rng.normal(size=(1, 2, 6, 5))
    ws = rng.normal(size=(3, 2, 3, 2))
    ys = rng.normal(size=tuple(F.conv2d(torch.tensor(xs), torch.tensor(ws), stride=2, padding=1).shape))
    lhs = (F.conv2d(torch.tensor(xs), torch.tensor(ws), stride=2, padding=1).numpy() * ys).sum()
    back = F.conv_transpose2d(torch.tensor(ys), torch.tensor(ws), stride=2, padding=1, output_padding=1)
    assert tuple(back.shape) == xs.shape
    np.testing.assert_allclose(lhs, (xs * back.numpy()).sum(), rtol=1e-10)
    check_grads(lambda a, k: F.conv_transpose2d(a, k, stride=2, padding=1), ys, ws)
    check_grads(lambda a, k: F.conv1d(a, k, padding=2, dilation=2), x[:1], w)


def test_interpolate_matches_the_formulas():
    x = rng.normal(size=(1, 1, 3, 4))
    near = F.interpolate(torch.tensor(x), scale_factor=2).numpy()
    np.testing.assert_array_equal(near, x.repeat(2, 2).repeat(2, 3))
    out = F.interpolate(torch.tensor(x), size=(5, 7), mode="bilinear", align_corners=True).numpy()[0, 0]
    ys, xs = np.linspace(0, 2, 5), np.linspace(0, 3, 7)
    expected = np.empty((5, 7))
    for i, yy in enumerate(ys):
        for j, xx in enumerate(xs):
            y0, x0 = min(int(yy), 1), min(int(xx), 2)
            fy, fx = yy - y0, xx - x0
            g = x[0, 0]
            expected[i, j] = (
                g[y0, x0] * (1 - fy) * (1 - fx) + g[y0 + 1, x0] * fy * (1 - fx) + g[y0, x0 + 1] * (1 - fy) * fx + g[y0 + 1, x0 + 1] * fy * fx
            )
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    check_grads(lambda a: F.interpolate(a, scale_factor=2, mode="bilinear"), x)


ACTIVATIONS = [
    (F.selu, lambda a: 1.0507009873554805 * np.where(a > 0, a, 1.6732632423543772 * np.expm1(a))),
    (lambda t: F.celu(t, 0.7), lambda a: np.where(a > 0, a, 0.7 * np.expm1(a / 0.7))),
    (F.softsign, lambda a: a / (1 + np.abs(a))),
    (F.hardswish, lambda a: a * np.clip(a + 3, 0, 6) / 6),
    (F.hardsigmoid, lambda a: np.clip(a / 6 + 0.5, 0, 1)),
    (F.mish, lambda a: a * np.tanh(np.log1p(np.exp(a)))),
    (F.tanhshrink, lambda a: a - np.tanh(a)),
    (lambda t: F.glu(t, 1), lambda a: a[:, :2] * sigmoid(a[:, 2:])),
    (lambda t: F.softmin(t, 1), lambda a: np.exp(-a) / np.exp(-a).sum(1, keepdims=True)),
]


@pytest.mark.parametrize("fn,ref", ACTIVATIONS)
def test_activations(fn, ref):
    a = rng.normal(size=(3, 4)) * 2
    np.testing.assert_allclose(fn(torch.tensor(a)).numpy(), ref(a), rtol=1e-12, atol=1e-14)
    check_grads(fn, a + 0.05)


def test_losses_match_their_formulas():
    x1, x2 = rng.normal(size=6), rng.normal(size=6)
    y = np.array([1, -1, 1, 1, -1, -1.0])
    t = lambda a: torch.tensor(a)  # noqa: E731
    np.testing.assert_allclose(F.margin_ranking_loss(t(x1), t(x2), t(y), margin=0.2).item(), np.maximum(0, -y * (x1 - x2) + 0.2).mean())
    np.testing.assert_allclose(F.hinge_embedding_loss(t(x1), t(y)).item(), np.where(y == 1, x1, np.maximum(0, 1 - x1)).mean())
    np.testing.assert_allclose(F.soft_margin_loss(t(x1), t(y)).item(), np.log1p(np.exp(-y * x1)).mean())
    np.testing.assert_allclose(F.poisson_nll_loss(t(x1), t(np.abs(x2))).item(), (np.exp(x1) - np.abs(x2) * x1).mean())
    var = np.abs(x2) + 0.5
    np.testing.assert_allclose(F.gaussian_nll_loss(t(x1), t(x2), t(var)).item(), (0.5 * (np.log(var) + (x1 - x2) ** 2 / var)).mean())
    a, p, n = rng.normal(size=(3, 3, 4))
    d = lambda u, v: np.linalg.norm(u - v + 1e-6, axis=-1)  # noqa: E731
    np.testing.assert_allclose(F.triplet_margin_loss(t(a), t(p), t(n)).item(), np.maximum(d(a, p) - d(a, n) + 1, 0).mean())
    logits = rng.normal(size=(3, 4))
    target = np.array([0, 3, 1])
    picked = logits[np.arange(3), target][:, None]
    terms = np.maximum(0, 1 - picked + logits)
    terms[np.arange(3), target] = 0
    np.testing.assert_allclose(F.multi_margin_loss(t(logits), torch.tensor(target)).item(), (terms.sum(1) / 4).mean())
    check_grads(lambda u, v: F.cosine_embedding_loss(u, v, torch.tensor([1.0, -1.0, 1.0]), margin=-0.5), a, p)
    check_grads(lambda u: F.multilabel_soft_margin_loss(u, torch.tensor((logits > 0).astype(float))), logits)


def test_module_containers_and_padding_layers():
    pl = nn.ParameterList([nn.Parameter(torch.ones(2)), torch.zeros(3)])
    assert len(pl) == 2 and [n for n, _ in pl.named_parameters()] == ["0", "1"] and isinstance(pl[1], nn.Parameter)
    pd = nn.ParameterDict({"a": nn.Parameter(torch.ones(1))})
    pd["b"] = torch.zeros(2)
    assert sorted(pd.keys()) == ["a", "b"] and len(list(pd.parameters())) == 2
    x = torch.arange(6.0).reshape(1, 2, 3)
    assert nn.ZeroPad1d(1)(x).tolist() == [[[0, 0, 1, 2, 0], [0, 3, 4, 5, 0]]]
    assert nn.ReflectionPad1d((2, 0))(x).tolist() == [[[2, 1, 0, 1, 2], [5, 4, 3, 4, 5]]]
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert nn.PixelShuffle(2)(torch.arange(8.0).reshape(1, 4, 1, 2)).tolist() == [[[[0, 2, 1, 3], [4, 6, 5, 7]]]]


def test_full_backward_hooks_see_and_replace_gradients_as_pytorch():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    log = []
    for i, sub in enumerate(m):
        sub.register_full_backward_hook(lambda mod, gi, go, i=i: log.append((i, gi, go)))
    m.register_full_backward_hook(lambda mod, gi, go: log.append(("seq", gi, go)))
    x = torch.randn(2, 3)
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        m(x).sum().backward()
    # PyTorch's order: outermost first (its input needs no gradient), then layer by layer back
    assert [entry[0] for entry in log] == ["seq", 2, 1, 0]
    assert log[0][1] == (None,) and log[3][1] == (None,)
    w2 = m[2].weight.detach()
    np.testing.assert_allclose(log[1][2][0].numpy(), np.ones((2, 2)))
    np.testing.assert_allclose(log[1][1][0].numpy(), np.ones((2, 2)) @ w2.numpy(), rtol=1e-6)
    h = m[0](x).detach().numpy()
    np.testing.assert_allclose(log[2][1][0].numpy(), (np.ones((2, 2)) @ w2.numpy()) * (h > 0), rtol=1e-6)

    # a pre-hook replaces grad_output, a hook replaces grad_input; removal restores
    x = torch.randn(2, 3, requires_grad=True)
    lin = torch.nn.Linear(3, 1)
    lin.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
    handle = lin.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
    lin(x).sum().backward()
    w = lin.weight.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 20 * np.ones((2, 1)) @ w, rtol=1e-6)
    np.testing.assert_allclose(lin.weight.grad.numpy(), 2 * x.detach().numpy().sum(0, keepdims=True), rtol=1e-6)
    handle.remove()
    x.grad = None
    lin(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones((2, 1)) @ w, rtol=1e-6)

    # several inputs and outputs
    class Two(torch.nn.Module):
        def forward(self, a, b):
            return (a * b).sum(), a + 1

    seen = []
    two = Two()
    two.register_full_backward_hook(lambda mod, gi, go: seen.append(([g.tolist() for g in gi], [g.tolist() for g in go])))
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0], requires_grad=True)
    s, c = two(a, b)
    (s + c.sum()).backward()
    assert seen == [([[4.0, 5.0], [1.0, 2.0]], [1.0, [1.0, 1.0]])]
    # no hooks run or graph nodes are added without grad mode
    with torch.no_grad():
        assert lin(x).grad_fn is None


def test_transformer_layers_masks_and_stacks():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    # the stack is deep copies: every layer starts from the same weights, none shared
    a, b = enc.layers
    assert a.linear1.weight is not b.linear1.weight and torch.equal(a.linear1.weight, b.linear1.weight)
    assert "(0-1): 2 x TransformerEncoderLayer(" in repr(enc)
    mask = nn.Transformer.generate_square_subsequent_mask(5)
    assert mask[0].tolist() == [0.0] + [float("-inf")] * 4 and mask[4].tolist() == [0.0] * 5
    x = torch.randn(2, 5, 8)
    y = enc(x, mask=mask, is_causal=True)
    # causal: changing the last token leaves earlier positions unchanged
    x2 = x.clone()
    x2[:, 4] += 1.0
    y2 = enc(x2, mask=mask, is_causal=True)
    np.testing.assert_allclose(y2[:, :4].detach().numpy(), y[:, :4].detach().numpy(), atol=1e-5)
    assert not np.allclose(y2[:, 4].detach().numpy(), y[:, 4].detach().numpy())
    # padded keys are ignored
    pad = torch.tensor([[False] * 5, [False, False, False, True, True]])
    x3 = x.clone()
    x3[1, 3:] = 7.0
    p1, p3 = enc(x, src_key_padding_mask=pad), enc(x3, src_key_padding_mask=pad)
    np.testing.assert_allclose(p1[1, :3].detach().numpy(), p3[1, :3].detach().numpy(), atol=1e-5)
    # post-norm output rows are layer-normalised; gradients reach every parameter
    out = enc(x)
    np.testing.assert_allclose(out.mean(-1).detach().numpy(), 0, atol=1e-5)
    out.square().sum().backward()
    assert all(p.grad is not None and bool(p.grad.isfinite().all()) for p in enc.parameters())
    # the full model: xavier-initialised matrices, seq-first shapes, d_model checked
    tr = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0)
    assert tr(torch.randn(5, 3, 8), torch.randn(4, 3, 8)).shape == (4, 3, 8)
    with pytest.raises(RuntimeError, match="d_model"):
        tr(torch.randn(5, 3, 6), torch.randn(4, 3, 6))
    dec = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True, activation="gelu")
    assert dec(torch.randn(4, 2, 8), torch.randn(5, 2, 8)).shape == (4, 2, 8)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_instance_and_rms_norm_and_channel_rearrangements_against_numpy():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2, 3, 4, 5))
    x = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    m = nn.InstanceNorm2d(3, affine=True, track_running_stats=True, dtype=torch.float64)
    y = m(x)
    mu, var = a.mean((2, 3), keepdims=True), a.var((2, 3), keepdims=True)
    np.testing.assert_allclose(y.detach().numpy(), (a - mu) / np.sqrt(var + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * a.mean((2, 3)).mean(0), rtol=1e-10)
    np.testing.assert_allclose(m.running_var.numpy(), 0.9 + 0.1 * a.var((2, 3), ddof=1).mean(0), rtol=1e-10)
    assert m.num_batches_tracked.item() == 0 and "bias=True, track_running_stats=True" in repr(m)
    m.eval()
    np.testing.assert_allclose(
        m(x).detach().numpy(), (a - m.running_mean.numpy()[:, None, None]) / np.sqrt(m.running_var.numpy()[:, None, None] + 1e-5), rtol=1e-10
    )
    check_grads(lambda t: nn.functional.instance_norm(t, eps=1e-3).square().sum(), a)
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        nn.functional.instance_norm(torch.randn(2, 3, 1, 1))
    r = nn.RMSNorm(5, dtype=torch.float64)
    np.testing.assert_allclose(r(x).detach().numpy(), a / np.sqrt((a * a).mean(-1, keepdims=True) + np.finfo(np.float64).eps), rtol=1e-10)
    check_grads(lambda t: nn.functional.rms_norm(t, (4, 5), eps=1e-6).sin().sum(), a)
    u = nn.functional.pixel_unshuffle(torch.arange(32.0).reshape(1, 2, 4, 4), 2)
    assert u.shape == (1, 8, 2, 2) and u[0, :4, 0, 0].tolist() == [0.0, 1.0, 4.0, 5.0]
    np.testing.assert_array_equal(nn.functional.pixel_shuffle(u, 2).numpy(), np.arange(32.0).reshape(1, 2, 4, 4))
    s = nn.ChannelShuffle(2)(torch.arange(6.0).reshape(1, 6, 1))
    assert s.flatten().tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert repr(nn.UpsamplingNearest2d(scale_factor=2)) == "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')"


def test_conv_transpose1d_is_conv1ds_adjoint_and_fold_inverts_unfold():
    rng = np.random.default_rng(5)
    w = torch.tensor(rng.normal(size=(4, 3, 3)))  # conv1d: [out=4, in=3, k]; transposed: [in=4, out=3, k]
    x = torch.tensor(rng.normal(size=(2, 3, 9)))
    y = torch.tensor(rng.normal(size=(2, 4, 5)))
    cx = nn.functional.conv1d(x, w, stride=2, padding=1)
    assert cx.shape == y.shape
    ty = nn.functional.conv_transpose1d(y, w, stride=2, padding=1)
    assert ty.shape == x.shape
    # <conv(x), y> == <x, conv^T(y)>
    np.testing.assert_allclose((cx * y).sum().item(), (x * ty).sum().item(), rtol=1e-10)
    check_grads(lambda t, k: nn.functional.conv_transpose1d(t, k, stride=2, padding=1, output_padding=1).square().sum(), y.numpy(), w.numpy())
    m = nn.ConvTranspose1d(4, 6, 3, groups=2, bias=False)
    assert m.weight.shape == (4, 3, 3) and m(torch.randn(2, 4, 5)).shape == (2, 6, 7)
    assert repr(m) == "ConvTranspose1d(4, 6, kernel_size=(3,), stride=(1,), groups=2, bias=False)"
    img = torch.tensor(rng.normal(size=(1, 2, 4, 6)))
    cols = nn.Unfold((2, 3), stride=(2, 3))(img)  # non-overlapping blocks: fold restores the image
    assert cols.shape == (1, 2 * 6, 4)
    np.testing.assert_allclose(nn.Fold((4, 6), (2, 3), stride=(2, 3))(cols).numpy(), img.numpy())
    ones = nn.Fold((3, 3), 2)(nn.Unfold(2)(torch.ones(1, 1, 3, 3)))  # overlaps count each pixel's blocks
    assert ones[0, 0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]


def test_nn_grad_conv_gradients_match_autograd_and_are_differentiable():
    import autorust.nn.grad as G

    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 4, 7, 6, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(6, 2, 3, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    out = F.conv2d(x, w, stride=(2, 1), padding=1, groups=2)
    go = torch.randn(*out.shape, dtype=torch.float64, generator=gen, requires_grad=True)
    gx, gw = torch.autograd.grad(out, (x, w), go)
    kw = dict(stride=(2, 1), padding=1, groups=2)
    np.testing.assert_allclose(G.conv2d_input(x.shape, w, go, **kw).detach().numpy(), gx.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(G.conv2d_weight(x, w.shape, go, **kw).detach().numpy(), gw.numpy(), rtol=1e-12, atol=1e-12)
    assert torch.autograd.gradcheck(lambda w_, g_: G.conv2d_input(x.shape, w_, g_, **kw), (w, go))
    with pytest.raises(RuntimeError, match="grad_output has shape"):
        G.conv2d_input(x.shape, w, go[:, :, :2], **kw)
