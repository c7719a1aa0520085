"""Layers, activations and losses side by side with PyTorch: from seed 0
(so the parameters start equal) a module in eval mode runs on fixed
inputs, then the sum of its outputs is differentiated; the program
observes the outputs, the parameter and input gradients and the module's
repr."""

import numpy as np

rng = np.random.default_rng(0)
CASES = []


def _literal(a):
    """A numpy array as source text (float32 values are exact in float64)."""
    dtype = "np.float32" if a.dtype.kind == "f" else "np.int64"
    return f"np.array({np.asarray(a).tolist()!r}, dtype={dtype})"


def both(build, inputs, name, prelude=""):
    """A case: `build` is an expression of the module (with `T`), run on
    `inputs` (numpy arrays); `prelude` defines what the expression needs."""
    CASES.append((name, prelude, build, [_literal(np.asarray(a)) for a in inputs]))


CHECK = """
m.train(False)
ins = [T.tensor(a, requires_grad=a.dtype.kind == 'f') for a in [{inputs}]]
o = m(*ins)
first = o[0] if isinstance(o, tuple) else o
if isinstance(o, tuple) and isinstance(o[1], tuple):
    extra = o[1]
elif isinstance(o, tuple):
    extra = (o[1],) if o[1] is not None else ()
else:
    extra = ()
rec(first, list(extra), repr(m))
"""

BACKWARD = """
tot = first.sum() + sum((e.sum() for e in extra), 0.0)
tot.backward()
rec([p.grad for p in m.parameters()], [i.grad for i in ins if i.grad is not None])
"""


def programs():
    out = []
    for name, prelude, build, inputs in CASES:
        steps = ([prelude.strip()] if prelude else []) + [f"m = {build}", CHECK.format(inputs=", ".join(inputs)).strip(), BACKWARD.strip()]
        out.append((f"layer {name}", steps))
    return out


x3 = rng.normal(size=(5, 2, 3)).astype(np.float32)
both("T.nn.RNN(3, 4)", [x3], "RNN")
both("T.nn.RNN(3, 4, num_layers=2, nonlinearity='relu', bidirectional=True)", [x3], "RNN relu 2-layer bi")
both("T.nn.LSTM(3, 4, batch_first=True)", [x3], "LSTM batch_first")
both("T.nn.LSTM(3, 4, num_layers=2, bidirectional=True)", [x3], "LSTM 2-layer bi")
both("T.nn.GRU(3, 4, num_layers=2)", [x3], "GRU 2-layer")
both("T.nn.GRU(3, 4)", [x3[:, 0]], "GRU unbatched")
both("T.nn.LSTMCell(3, 4)", [x3[0]], "LSTMCell")
both("T.nn.GRUCell(3, 4)", [x3[0]], "GRUCell")
both("T.nn.RNNCell(3, 4)", [x3[0]], "RNNCell")
MHA = """
def mha(**kw):
    inner = T.nn.MultiheadAttention(6, 2, **kw)
    class W(T.nn.Module):
        def __init__(s):
            super().__init__(); s.m = inner
        def forward(s, x): return s.m(x, x, x)
    return W()
"""
e = rng.normal(size=(4, 2, 6)).astype(np.float32)
both("mha()", [e], "MHA", MHA)
both("mha(batch_first=True)", [e], "MHA batch_first", MHA)
x1 = rng.normal(size=(2, 3, 10)).astype(np.float32)
both("T.nn.Conv1d(3, 4, 3, padding=1, stride=2)", [x1], "Conv1d")
both("T.nn.Conv1d(3, 6, 2, groups=3, dilation=2, bias=False)", [x1], "Conv1d groups")
both("T.nn.Conv1d(3, 4, 3, padding='same', padding_mode='reflect')", [x1], "Conv1d same reflect")
x2 = rng.normal(size=(2, 3, 5, 4)).astype(np.float32)
both("T.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)", [x2], "ConvTranspose2d")
both("T.nn.ConvTranspose2d(3, 6, 2, groups=3)", [x2], "ConvTranspose2d groups")
both("T.nn.MaxPool1d(3, stride=2, padding=1)", [x1], "MaxPool1d")
both("T.nn.AvgPool1d(2)", [x1], "AvgPool1d")
both("T.nn.AdaptiveAvgPool1d(4)", [x1], "AdaptiveAvgPool1d")
both("T.nn.AdaptiveMaxPool2d((2, 3))", [x2], "AdaptiveMaxPool2d")
both("T.nn.Upsample(scale_factor=2, mode='nearest')", [x2], "Upsample nearest")
both("T.nn.Upsample(size=(7, 9), mode='bilinear', align_corners=False)", [x2], "Upsample bilinear")
both("T.nn.Upsample(scale_factor=1.5, mode='bilinear', align_corners=True)", [x2], "Upsample bilinear ac")
both("T.nn.PixelShuffle(2)", [rng.normal(size=(1, 8, 2, 3)).astype(np.float32)], "PixelShuffle")
for name in "SELU CELU Softsign Hardsigmoid Hardswish Mish Tanhshrink Softshrink Hardshrink Softmin PReLU GLU".split():
    args = "1" if name in ("Softmin", "GLU") else ""
    both(f"T.nn.{name}({args})", [rng.normal(size=(3, 4)).astype(np.float32)], name)
both("T.nn.Threshold(0.1, 20.0)", [rng.normal(size=(3, 4)).astype(np.float32)], "Threshold")
both("T.nn.PReLU(3)", [x2], "PReLU per channel")
both("T.nn.Bilinear(3, 4, 2)", [rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 4)).astype(np.float32)], "Bilinear")
both("T.nn.ZeroPad2d((1, 2, 0, 1))", [x2], "ZeroPad2d")
both("T.nn.ReflectionPad1d(2)", [x1], "ReflectionPad1d")
both("T.nn.ReplicationPad2d(1)", [x2], "ReplicationPad2d")
both("T.nn.ConstantPad1d(2, 3.5)", [x1], "ConstantPad1d")
both("T.nn.CosineSimilarity(dim=1)", [rng.normal(size=(3, 4)).astype(np.float32)] * 2, "CosineSimilarity")
both("T.nn.PairwiseDistance()", [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)], "PairwiseDistance")
a, b = rng.normal(size=(6,)).astype(np.float32), rng.normal(size=(6,)).astype(np.float32)
sign = np.array([1, -1, 1, 1, -1, -1], np.float32)
LOSS = """
def with_targets(loss, *targets):
    class W(T.nn.Module):
        def forward(s, *xs): return loss(*xs, *[T.tensor(c) for c in targets])
    return W()
"""


def run_loss(name, inputs, consts=(), **kw):
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    targets = "".join(", " + _literal(np.asarray(c)) for c in consts)
    both(f"with_targets(T.nn.{name}({args}){targets})", inputs, name + str(kw), LOSS)


run_loss("MarginRankingLoss", [a, b], [sign], margin=0.3)
run_loss("HingeEmbeddingLoss", [a], [sign])
run_loss("SoftMarginLoss", [a], [sign])
run_loss("MultiLabelSoftMarginLoss", [rng.normal(size=(3, 4)).astype(np.float32)], [(rng.random((3, 4)) > 0.5).astype(np.float32)])
run_loss(
    "CosineEmbeddingLoss",
    [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)],
    [np.array([1, -1, 1], np.float32)],
    margin=0.1,
)
run_loss("TripletMarginLoss", [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(3)], margin=0.5)
run_loss("PoissonNLLLoss", [a], [np.abs(b)])
run_loss("PoissonNLLLoss", [np.abs(a) + 0.1], [np.abs(b) * 3], log_input=False, full=True)
run_loss("GaussianNLLLoss", [a, b], [np.abs(b) + 0.5])
run_loss("MultiMarginLoss", [rng.normal(size=(3, 4)).astype(np.float32)], [np.array([0, 3, 1])])
run_loss("MultiMarginLoss", [rng.normal(size=(3, 4)).astype(np.float32)], [np.array([0, 3, 1])], p=2, margin=0.5)
SDPA = """
def sdpa(causal):
    class W(T.nn.Module):
        def forward(s, q, k, v): return T.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return W()
"""
q = rng.normal(size=(2, 3, 4)).astype(np.float32)
both("sdpa(False)", [q, q * 2, q + 1], "sdpa", SDPA)
both("sdpa(True)", [q, q * 2, q + 1], "sdpa causal", SDPA)

x5 = rng.normal(size=(2, 5, 8)).astype(np.float32)
both(
    "T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 2, enable_nested_tensor=False)",
    [x5],
    "TransformerEncoder",
)
both(
    "T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True, activation='gelu')",
    [x5.transpose(1, 0, 2).copy()],
    "TransformerEncoderLayer norm_first gelu",
)
DECODER = """
class D(T.nn.Module):
    def __init__(s):
        super().__init__()
        s.d = T.nn.TransformerDecoder(T.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2, norm=T.nn.LayerNorm(8))
    def forward(s, t, m): return s.d(t, m, tgt_mask=T.nn.Transformer.generate_square_subsequent_mask(t.shape[0]))
"""
both("D()", [x5[:, :4].transpose(1, 0, 2).copy(), x5.transpose(1, 0, 2).copy()], "TransformerDecoder causal", DECODER)
both("T.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)", [x5, x5[:, :3] * 2], "Transformer")

x4 = rng.normal(size=(2, 4, 4, 6)).astype(np.float32)
both("T.nn.InstanceNorm2d(4, affine=True)", [x4], "InstanceNorm2d affine")
both("T.nn.InstanceNorm1d(4, track_running_stats=True)", [x4[:, :, 0]], "InstanceNorm1d running stats")
both("T.nn.RMSNorm([4, 6])", [x4], "RMSNorm")
both("T.nn.Sequential(T.nn.PixelUnshuffle(2), T.nn.ChannelShuffle(4))", [x4], "PixelUnshuffle + ChannelShuffle")
both("T.nn.UpsamplingBilinear2d(scale_factor=2)", [x4], "UpsamplingBilinear2d")
both("T.nn.BatchNorm3d(4)", [x4[:, :, None]], "BatchNorm3d")

xl = rng.normal(size=(2, 4, 7)).astype(np.float32)
both("T.nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2)", [xl], "ConvTranspose1d")
both("T.nn.ConvTranspose1d(4, 3, 2, bias=False)", [xl[0]], "ConvTranspose1d unbatched")
both("T.nn.Sequential(T.nn.Unfold((2, 3), padding=1, stride=2), T.nn.Fold((4, 6), (2, 3), padding=1, stride=2))", [x4], "Unfold + Fold")

MHA_CALL = """
def mha_call(build, self_attention=True, **call):
    class W(T.nn.Module):
        def __init__(s):
            super().__init__(); s.m = build()
        def forward(s, q, kv=None):
            kv = q if kv is None else kv
            return s.m(q, q if self_attention else kv, kv, **call)
    return W()
"""
xq, xkv = rng.normal(size=(3, 2, 6)).astype(np.float32), rng.normal(size=(5, 2, 6)).astype(np.float32)
both("mha_call(lambda: T.nn.MultiheadAttention(6, 2), need_weights=False)", [xq], "MHA need_weights=False", MHA_CALL)
both(
    "mha_call(lambda: T.nn.MultiheadAttention(6, 3), self_attention=False, average_attn_weights=False)",
    [xq, xkv],
    "MHA cross, per-head weights",
    MHA_CALL,
)
both(
    "mha_call(lambda: T.nn.MultiheadAttention(6, 2, kdim=4, vdim=5), self_attention=False)",
    [xq, rng.normal(size=(5, 2, 4)).astype(np.float32)],
    "MHA kdim vdim",
    MHA_CALL.replace("q if self_attention else kv, kv", "kv, kv[..., :5] if kv.shape[-1] >= 5 else T.cat([kv, kv[..., :1]], -1)"),
)
both("mha_call(lambda: T.nn.MultiheadAttention(6, 2, add_bias_kv=True, add_zero_attn=True))", [xq], "MHA bias_kv zero_attn", MHA_CALL)
both(
    "mha_call(lambda: T.nn.MultiheadAttention(6, 2, batch_first=True), key_padding_mask=T.tensor([[False, False, True], [False, True, True]]))",
    [xq.transpose(1, 0, 2).copy()],
    "MHA key_padding_mask",
    MHA_CALL,
)
both(
    "mha_call(lambda: T.nn.MultiheadAttention(6, 2), attn_mask=T.ones(3, 3, dtype=T.bool).triu(1), need_weights=False)",
    [xq],
    "MHA bool attn_mask sdpa",
    MHA_CALL,
)
both(
    "mha_call(lambda: T.nn.MultiheadAttention(6, 2), attn_mask=T.nn.Transformer.generate_square_subsequent_mask(3), is_causal=True, need_weights=False)",
    [xq],
    "MHA causal hint",
    MHA_CALL,
)
both("mha_call(lambda: T.nn.MultiheadAttention(6, 2, bias=False))", [xq[:, 0]], "MHA unbatched no bias", MHA_CALL)
