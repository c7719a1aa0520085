"""The layers, activations and losses added after the nn issue, side by side
with real PyTorch when it is installed (never in CI): the same seed gives
the same initial parameters, and the outputs, parameter gradients and input
gradients agree; the module reprs are identical."""

import numpy as np
import pytest

T = pytest.importorskip("torch")
import autorust as A  # noqa: E402

CASES = []
def check(build, inputs, name, train=False, atol=1e-5):
    outs = []
    for lib in (A, T):
        lib.manual_seed(0)
        m = build(lib)
        m.train(train)
        ins = [lib.tensor(a, requires_grad=a.dtype.kind == 'f') for a in inputs]
        o = m(*ins)
        first = o[0] if isinstance(o, tuple) else o
        if isinstance(o, tuple) and isinstance(o[1], tuple): extra = o[1]
        elif isinstance(o, tuple): extra = (o[1],) if o[1] is not None else ()
        else: extra = ()
        tot = first.sum() + sum((e.sum() for e in extra), 0.0)
        tot.backward()
        grads = [p.grad.numpy() for p in m.parameters()] + [i.grad.numpy() for i in ins if i.grad is not None]
        outs.append((first.detach().numpy(), [e.detach().numpy() for e in extra], grads, repr(m)))
    (a, ae, ag, ar), (b, be, bg, br) = outs
    ok = np.allclose(a, b, atol=atol, rtol=1e-4) and all(np.allclose(x, y, atol=atol, rtol=1e-4) for x, y in zip(ae, be)) and len(ag) == len(bg) and all(np.allclose(x, y, atol=atol, rtol=1e-4) for x, y in zip(ag, bg))
    assert ar == br, f"{name}: repr {ar!r} vs {br!r}"
    assert ok, f"{name}: outputs or gradients differ"


def both(build, inputs, name):
    CASES.append((name, build, inputs))
rng = np.random.default_rng(0)
x3 = rng.normal(size=(5, 2, 3)).astype(np.float32)
both(lambda L: L.nn.RNN(3, 4), [x3], "RNN")
both(lambda L: L.nn.RNN(3, 4, num_layers=2, nonlinearity='relu', bidirectional=True), [x3], "RNN relu 2-layer bi")
both(lambda L: L.nn.LSTM(3, 4, batch_first=True), [x3], "LSTM batch_first")
both(lambda L: L.nn.LSTM(3, 4, num_layers=2, bidirectional=True), [x3], "LSTM 2-layer bi")
both(lambda L: L.nn.GRU(3, 4, num_layers=2), [x3], "GRU 2-layer")
both(lambda L: L.nn.GRU(3, 4), [x3[:, 0]], "GRU unbatched")
both(lambda L: L.nn.LSTMCell(3, 4), [x3[0]], "LSTMCell")
both(lambda L: L.nn.GRUCell(3, 4), [x3[0]], "GRUCell")
both(lambda L: L.nn.RNNCell(3, 4), [x3[0]], "RNNCell")
def mha(L, **kw):
    m = L.nn.MultiheadAttention(6, 2, **kw)
    class W(L.nn.Module):
        def __init__(s):
            super().__init__(); s.m = m
        def forward(s, x): return s.m(x, x, x)
    return W()
e = rng.normal(size=(4, 2, 6)).astype(np.float32)
both(lambda L: mha(L), [e], "MHA")
both(lambda L: mha(L, batch_first=True), [e], "MHA batch_first")
x1 = rng.normal(size=(2, 3, 10)).astype(np.float32)
both(lambda L: L.nn.Conv1d(3, 4, 3, padding=1, stride=2), [x1], "Conv1d")
both(lambda L: L.nn.Conv1d(3, 6, 2, groups=3, dilation=2, bias=False), [x1], "Conv1d groups")
both(lambda L: L.nn.Conv1d(3, 4, 3, padding='same', padding_mode='reflect'), [x1], "Conv1d same reflect")
x2 = rng.normal(size=(2, 3, 5, 4)).astype(np.float32)
both(lambda L: L.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), [x2], "ConvTranspose2d")
both(lambda L: L.nn.ConvTranspose2d(3, 6, 2, groups=3), [x2], "ConvTranspose2d groups")
both(lambda L: L.nn.MaxPool1d(3, stride=2, padding=1), [x1], "MaxPool1d")
both(lambda L: L.nn.AvgPool1d(2), [x1], "AvgPool1d")
both(lambda L: L.nn.AdaptiveAvgPool1d(4), [x1], "AdaptiveAvgPool1d")
both(lambda L: L.nn.AdaptiveMaxPool2d((2, 3)), [x2], "AdaptiveMaxPool2d")
both(lambda L: L.nn.Upsample(scale_factor=2, mode='nearest'), [x2], "Upsample nearest")
both(lambda L: L.nn.Upsample(size=(7, 9), mode='bilinear', align_corners=False), [x2], "Upsample bilinear")
both(lambda L: L.nn.Upsample(scale_factor=1.5, mode='bilinear', align_corners=True), [x2], "Upsample bilinear ac")
both(lambda L: L.nn.PixelShuffle(2), [rng.normal(size=(1, 8, 2, 3)).astype(np.float32)], "PixelShuffle")
for name in "SELU CELU Softsign Hardsigmoid Hardswish Mish Tanhshrink Softshrink Hardshrink Softmin PReLU GLU".split():
    kw = {"Softmin": (1,), "GLU": (1,)}.get(name, ())
    both(lambda L, name=name, kw=kw: getattr(L.nn, name)(*kw), [rng.normal(size=(3, 4)).astype(np.float32)], name)
both(lambda L: L.nn.Threshold(0.1, 20.0), [rng.normal(size=(3, 4)).astype(np.float32)], "Threshold")
both(lambda L: L.nn.PReLU(3), [x2], "PReLU per channel")
both(lambda L: L.nn.Bilinear(3, 4, 2), [rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 4)).astype(np.float32)], "Bilinear")
both(lambda L: L.nn.ZeroPad2d((1, 2, 0, 1)), [x2], "ZeroPad2d")
both(lambda L: L.nn.ReflectionPad1d(2), [x1], "ReflectionPad1d")
both(lambda L: L.nn.ReplicationPad2d(1), [x2], "ReplicationPad2d")
both(lambda L: L.nn.ConstantPad1d(2, 3.5), [x1], "ConstantPad1d")
both(lambda L: L.nn.CosineSimilarity(dim=1), [rng.normal(size=(3, 4)).astype(np.float32)] * 2, "CosineSimilarity")
both(lambda L: L.nn.PairwiseDistance(), [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)], "PairwiseDistance")
a, b = rng.normal(size=(6,)).astype(np.float32), rng.normal(size=(6,)).astype(np.float32)
sign = np.array([1, -1, 1, 1, -1, -1], np.float32)
def run_loss(name, inputs, consts=(), **kw):
    def build(L):
        l = getattr(L.nn, name)(**kw)
        class W(L.nn.Module):
            def forward(s, *xs): return l(*xs, *[L.tensor(c) for c in consts])
        return W()
    both(build, inputs, name + str(kw))
run_loss("MarginRankingLoss", [a, b], [sign], margin=0.3)
run_loss("HingeEmbeddingLoss", [a], [sign])
run_loss("SoftMarginLoss", [a], [sign])
run_loss("MultiLabelSoftMarginLoss", [rng.normal(size=(3, 4)).astype(np.float32)], [(rng.random((3, 4)) > 0.5).astype(np.float32)])
run_loss("CosineEmbeddingLoss", [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)], [np.array([1, -1, 1], np.float32)], margin=0.1)
run_loss("TripletMarginLoss", [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(3)], margin=0.5)
run_loss("PoissonNLLLoss", [a], [np.abs(b)])
run_loss("PoissonNLLLoss", [np.abs(a) + 0.1], [np.abs(b) * 3], log_input=False, full=True)
run_loss("GaussianNLLLoss", [a, b], [np.abs(b) + 0.5])
run_loss("MultiMarginLoss", [rng.normal(size=(3, 4)).astype(np.float32)], [np.array([0, 3, 1])])
run_loss("MultiMarginLoss", [rng.normal(size=(3, 4)).astype(np.float32)], [np.array([0, 3, 1])], p=2, margin=0.5)
def sdpa(L, causal):
    class W(L.nn.Module):
        def forward(s, q, k, v): return L.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return W()
q = rng.normal(size=(2, 3, 4)).astype(np.float32)
both(lambda L: sdpa(L, False), [q, q * 2, q + 1], "sdpa")
both(lambda L: sdpa(L, True), [q, q * 2, q + 1], "sdpa causal")

x5 = rng.normal(size=(2, 5, 8)).astype(np.float32)
both(lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 2, enable_nested_tensor=False), [x5], "TransformerEncoder")
both(lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True, activation="gelu"), [x5.transpose(1, 0, 2).copy()], "TransformerEncoderLayer norm_first gelu")
def decoder(L):
    class D(L.nn.Module):
        def __init__(s):
            super().__init__()
            s.d = L.nn.TransformerDecoder(L.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2, norm=L.nn.LayerNorm(8))
        def forward(s, t, m): return s.d(t, m, tgt_mask=L.nn.Transformer.generate_square_subsequent_mask(t.shape[0]))
    return D()
both(decoder, [x5[:, :4].transpose(1, 0, 2).copy(), x5.transpose(1, 0, 2).copy()], "TransformerDecoder causal")
both(lambda L: L.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True), [x5, x5[:, :3] * 2], "Transformer")

x4 = rng.normal(size=(2, 4, 4, 6)).astype(np.float32)
both(lambda L: L.nn.InstanceNorm2d(4, affine=True), [x4], "InstanceNorm2d affine")
both(lambda L: L.nn.InstanceNorm1d(4, track_running_stats=True), [x4[:, :, 0]], "InstanceNorm1d running stats")
both(lambda L: L.nn.RMSNorm([4, 6]), [x4], "RMSNorm")
both(lambda L: L.nn.Sequential(L.nn.PixelUnshuffle(2), L.nn.ChannelShuffle(4)), [x4], "PixelUnshuffle + ChannelShuffle")
both(lambda L: L.nn.UpsamplingBilinear2d(scale_factor=2), [x4], "UpsamplingBilinear2d")
both(lambda L: L.nn.BatchNorm3d(4), [x4[:, :, None]], "BatchNorm3d")

xl = rng.normal(size=(2, 4, 7)).astype(np.float32)
both(lambda L: L.nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2), [xl], "ConvTranspose1d")
both(lambda L: L.nn.ConvTranspose1d(4, 3, 2, bias=False), [xl[0]], "ConvTranspose1d unbatched")
both(lambda L: L.nn.Sequential(L.nn.Unfold((2, 3), padding=1, stride=2), L.nn.Fold((4, 6), (2, 3), padding=1, stride=2)), [x4], "Unfold + Fold")


@pytest.mark.parametrize("name,build,inputs", CASES, ids=[c[0] for c in CASES])
def test_same_as_pytorch(name, build, inputs):
    check(build, inputs, name)
