"""Layers added for issue 14 side by side with PyTorch: CTC loss (values,
gradients, reductions, zero_infinity, unbatched and concatenated targets,
refusals), 3-d transposed convolution, 3-d max pooling with indices and
unpooling, adaptive and fractional max pooling, 3-d padding, lazy modules
(seeded draws at the first call), SyncBatchNorm and
AdaptiveLogSoftmaxWithLoss."""

CTC = """
T.manual_seed({seed})
lp = T.randn({shape}, dtype=T.{dtype}).log_softmax(2).detach().requires_grad_()
targets = T.randint({low}, {classes}, ({batch}, {s}))
il = T.randint({steps} // 2 + 1, {steps} + 1, ({batch},))
tl = T.randint(0, {s} + 1, ({batch},))
outs = []
for red in ("none", "mean", "sum"):
    loss = F.ctc_loss(lp, targets, il, tl, blank={blank}, reduction=red, zero_infinity={zi})
    g, = T.autograd.grad(loss.sum(), lp)
    outs += [loss, g]
rec(*outs)
"""

CTC_CASES = [
    dict(seed=0, shape="6, 3, 5", dtype="float32", low=1, classes=5, batch=3, s=3, steps=6, blank=0, zi=False),
    dict(seed=1, shape="12, 4, 7", dtype="float64", low=0, classes=7, batch=4, s=5, steps=12, blank=3, zi=True),
    dict(seed=2, shape="3, 2, 4", dtype="float32", low=0, classes=4, batch=2, s=2, steps=3, blank=0, zi=False),
    dict(seed=3, shape="20, 5, 3", dtype="float32", low=1, classes=3, batch=5, s=6, steps=20, blank=0, zi=True),
]

PROGRAMS = {
    "ctc concatenated targets and tuples": """
T.manual_seed(5)
lp = T.randn(7, 3, 6).log_softmax(2).detach().requires_grad_()
loss = nn.CTCLoss(blank=5)(lp, T.tensor([1, 2, 2, 3, 0, 4]), (7, 6, 5), (3, 1, 2))
loss.backward()
one = F.ctc_loss(lp[:, 0], T.tensor([1, 2, 2]), (7,), (3,), reduction="none")
rec(loss, lp.grad, one, repr(nn.CTCLoss()), [type(loss.grad_fn).__name__, type(loss.grad_fn.next_functions[0][0]).__name__])
""",
    "ctc input length past T": "F.ctc_loss(T.randn(4, 2, 3).log_softmax(2), T.tensor([[1], [2]]), T.tensor([5, 4]), T.tensor([1, 1]))",
    "ctc targets too short": "F.ctc_loss(T.randn(4, 2, 3).log_softmax(2), T.tensor([[1], [2]]), T.tensor([4, 4]), T.tensor([2, 1]))",
    "ctc blank outside": "F.ctc_loss(T.randn(4, 2, 3).log_softmax(2), T.tensor([[1], [2]]), T.tensor([4, 4]), T.tensor([1, 1]), blank=3)",
    "ctc second derivative": """
lp = T.randn(4, 1, 3).log_softmax(2).detach().requires_grad_()
g, = T.autograd.grad(F.ctc_loss(lp, T.tensor([[1, 2]]), T.tensor([4]), T.tensor([2])), lp, create_graph=True)
g.sum().backward()
""",
    "conv_transpose3d module": """
T.manual_seed(6)
m = nn.ConvTranspose3d(2, 4, (2, 3, 1), stride=2, padding=(1, 0, 0), output_padding=1, groups=2)
x = T.randn(2, 2, 3, 4, 5, requires_grad=True)
y = m(x)
y.pow(2).sum().backward()
rec(repr(m), y, x.grad, m.weight.grad, m.bias.grad, m(x[0]), m(x, output_size=[5, 9, 10]).shape, type(y.grad_fn).__name__)
""",
    "conv_transpose3d dilated": """
T.manual_seed(7)
x = T.randn(1, 3, 4, 3, 5, dtype=T.float64, requires_grad=True)
w = T.randn(3, 2, 2, 2, 3, dtype=T.float64, requires_grad=True)
y = F.conv_transpose3d(x, w, None, (1, 2, 3), (1, 0, 1), (0, 1, 2), 1, (2, 1, 1))
gx, gw = T.autograd.grad((y * y).sum(), [x, w])
rec(y, gx, gw)
""",
    "max_pool3d indices and unpooling": """
T.manual_seed(8)
x = T.randn(2, 3, 5, 6, 7).round().requires_grad_()
out, idx = F.max_pool3d(x, 3, 2, 1, return_indices=True)
g, = T.autograd.grad((out * T.arange(float(out.numel())).reshape(out.shape)).sum(), x)
back = F.max_unpool3d(out, idx, 3, 2, 1, output_size=(5, 6, 7))
m = nn.MaxPool3d((2, 3, 1), (1, 2, 1), (1, 1, 0), return_indices=True, ceil_mode=True)
rec(out, idx, g, back, type(out.grad_fn).__name__, type(back.grad_fn).__name__, m(x[0]), repr(nn.MaxUnpool3d(2, 1)))
""",
    "adaptive_max_pool3d": """
T.manual_seed(9)
x = T.randn(2, 2, 5, 7, 4, requires_grad=True)
out, idx = F.adaptive_max_pool3d(x, (2, 3, None), return_indices=True)
out.sum().backward()
m = nn.AdaptiveMaxPool3d(3)
rec(out, idx, x.grad, m(x[0]), repr(m), type(out.grad_fn).__name__)
""",
    "fractional_max_pool2d": """
T.manual_seed(10)
x = T.randn(2, 3, 11, 13, requires_grad=True)
m = nn.FractionalMaxPool2d((2, 3), output_ratio=(0.5, 0.6), return_indices=True)
out, idx = m(x)
out.sum().backward()
out2 = F.fractional_max_pool2d(x[0].double(), 3, output_size=4, _random_samples=T.rand(1, 3, 2, dtype=T.float64))
rec(out, idx, x.grad, out2, type(out.grad_fn).__name__, repr(m))
""",
    "fractional_max_pool3d": """
T.manual_seed(11)
x = T.randn(1, 2, 7, 8, 9, requires_grad=True)
out, idx = F.fractional_max_pool3d(x, 2, output_size=(3, 4, 5), return_indices=True)
(out * out).sum().backward()
rec(out, idx, x.grad, nn.FractionalMaxPool3d((2, 1, 3), output_ratio=0.5)(x), type(out.grad_fn).__name__)
""",
    "fractional pool too large": "F.fractional_max_pool2d(T.randn(1, 1, 4, 4), 3, output_size=4)",
    "3-d padding layers": """
T.manual_seed(12)
x = T.randn(2, 3, 4, 5, 6, requires_grad=True)
outs = []
for m in (nn.ReflectionPad3d((1, 2, 0, 3, 2, 1)), nn.ReplicationPad3d(2), nn.ZeroPad3d(1), nn.ConstantPad3d((1, 0, 2, 0, 0, 1), 2.5)):
    y = m(x)
    g, = T.autograd.grad((y * y).sum(), x)
    outs += [repr(m), y, g]
rec(*outs)
""",
    # (circular padding's values and gradients match; its node is IndexSelectBackward0
    # here, CopySlices in PyTorch, whose pad copies slices into an empty tensor)
    "circular 3-d padding": """
T.manual_seed(12)
x = T.randn(2, 3, 4, 5, 6, requires_grad=True)
y = nn.CircularPad3d((1, 2, 0, 3, 2, 1))(x)
g, = T.autograd.grad((y * y).sum(), x)
rec(y.detach(), g)
""",
    "lazy linear": """
T.manual_seed(13)
net = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2, bias=False))
before = [repr(net), [repr(v) for v in net.state_dict().values()]]
opt = T.optim.SGD(net.parameters(), lr=0.1)
x = T.randn(3, 5)
y = net(x)
y.sum().backward()
opt.step()
rec(before, repr(net), y, net[0].weight, net[2].weight, net(x))
""",
    "lazy convolutions and norms": """
T.manual_seed(14)
outs = []
for m, shape in ((nn.LazyConv1d(4, 3), (2, 3, 9)), (nn.LazyConv2d(4, 3, stride=2), (2, 3, 6, 7)), (nn.LazyConvTranspose2d(4, 3, groups=2), (2, 4, 5, 6)),
                 (nn.LazyConv3d(2, 2, padding=1), (1, 2, 4, 5, 6)), (nn.LazyBatchNorm2d(momentum=0.3), (2, 3, 4, 4)), (nn.LazyInstanceNorm1d(), (2, 3, 5))):
    first = repr(m)
    y = m(T.randn(*shape) * 2 + 1)
    outs += [first, repr(m), y, sorted(m.state_dict().keys())]
rec(*outs)
""",
    "lazy load_state_dict": """
T.manual_seed(15)
full = nn.Linear(5, 4)
lazy = nn.LazyLinear(4)
lazy.load_state_dict(full.state_dict())
rec(repr(lazy), lazy.weight, lazy(T.ones(1, 5)), repr(lazy))
""",
    "sync batch norm": """
T.manual_seed(16)
m = nn.SyncBatchNorm(3, momentum=None)
x = T.randn(4, 3, 2, 2, 2, requires_grad=True)
y = m(x)
y.pow(2).sum().backward()
net = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(2))))
rec(repr(m), y, x.grad, m.running_mean, m.running_var, m.num_batches_tracked, repr(net), type(y.grad_fn).__name__)
""",
    "adaptive log softmax": """
T.manual_seed(17)
asm = nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0, head_bias=True)
x = T.randn(7, 16, requires_grad=True)
t = T.tensor([0, 3, 4, 9, 10, 19, 2])
o = asm(x, t)
o.loss.backward()
one = asm(x[0], t[0])
rec(repr(asm), o.output, o.loss, x.grad, asm.head.weight.grad, asm.log_prob(x), asm.predict(x), one.output, one.loss, type(o.loss.grad_fn).__name__)
""",
    "clip with a total norm": """
T.manual_seed(18)
m = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
m(T.randn(5, 4)).pow(2).sum().backward()
total = nn.utils.get_total_norm([p.grad for p in m.parameters()], 3.0)
nn.utils.clip_grads_with_norm_(m.parameters(), 0.5, total)
rec(total, [p.grad for p in m.parameters()], nn.utils.clip_grad_norm_(m.parameters(), 0.1, float("inf")))
""",
    "conv and linear batch-norm fusion": """
T.manual_seed(19)
conv, bn = nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4)
bn(conv(T.randn(2, 3, 5, 5)) * 3 + 1)
conv.eval()
bn.eval()
fused = nn.utils.fuse_conv_bn_eval(conv, bn)
lin, bn1 = nn.Linear(3, 4), nn.BatchNorm1d(4)
bn1(lin(T.randn(6, 3)) * 2)
lin.eval()
bn1.eval()
lf = nn.utils.fuse_linear_bn_eval(lin, bn1)
x, xl = T.randn(1, 3, 5, 5), T.randn(2, 3)
rec(fused(x), bn(conv(x)), fused.weight, fused.bias, lf(xl), bn1(lin(xl)))
""",
    "with-indices forms and cell base": """
T.manual_seed(20)
x = T.randn(2, 3, 9, 8)
cell = nn.GRUCell(3, 4)
rec(F.adaptive_max_pool2d_with_indices(x, 3), F.max_pool1d_with_indices(x[0], 2), F.adaptive_max_pool1d_with_indices(x[0], 4),
    F.fractional_max_pool2d_with_indices(x, 2, output_size=3), isinstance(cell, nn.RNNCellBase), cell(T.randn(2, 3)), T.native_channel_shuffle(x, 3))
""",
    "adaptive log softmax target outside": "nn.AdaptiveLogSoftmaxWithLoss(4, 10, [5])(T.randn(2, 4), T.tensor([1, 12]))",
}


def programs():
    out = [(f"layers missing ctc {i}", [CTC.format(**case).strip()]) for i, case in enumerate(CTC_CASES)]
    out += [(f"layers missing {name}", [code.strip()]) for name, code in PROGRAMS.items()]
    return out
