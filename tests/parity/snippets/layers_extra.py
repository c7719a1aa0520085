"""The layers added for tutorials' scripts, side by side with PyTorch:
power-average pooling, max unpooling (with output sizes), local response
normalisation, Softmax2d, the triplet loss with a distance function and
the multi-label margin loss, with their gradients."""

PROGRAMS = {
    "lp pooling": """
T.manual_seed(0)
x = T.randn(2, 3, 6, 8, requires_grad=True)
outs = [nn.LPPool2d(p, 2)(x.abs() + 0.1) for p in (2.0, 3)]
y = T.randn(2, 3, 9, requires_grad=True)
o1 = F.lp_pool1d(y, 2, 3, stride=2)
(outs[0].sum() + outs[1].sum() + o1.sum()).backward()
rec(repr(nn.LPPool2d(2.0, 2)), outs[0], outs[1], o1, x.grad, y.grad)
""",
    "max unpooling": """
pool, unpool = nn.MaxPool2d(2, stride=2, return_indices=True), nn.MaxUnpool2d(2, stride=2)
inp = T.tensor([[[[1., 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]], requires_grad=True)
o, idx = pool(inp)
u = unpool(o, idx)
(u * T.arange(16.).reshape(1, 1, 4, 4)).sum().backward()
p1, up1 = nn.MaxPool1d(2, stride=2, return_indices=True), nn.MaxUnpool1d(2, stride=2)
v, i1 = p1(T.tensor([[[1., 2, 3, 4, 5, 6, 7, 8]]]))
rec(repr(unpool), u, unpool(o, idx, output_size=T.Size([1, 1, 5, 5])), inp.grad, up1(v, i1), up1(v, i1, output_size=[9]))
""",
    "an unpooling size out of range": """
unpool = nn.MaxUnpool2d(2, stride=2)
o, idx = nn.MaxPool2d(2, return_indices=True)(T.randn(1, 1, 4, 4))
unpool(o, idx, output_size=[8, 8])
""",
    "local response norm": """
T.manual_seed(1)
z = T.randn(2, 5, 3, 3, requires_grad=True)
lrn = nn.LocalResponseNorm(2)
lz = lrn(z)
lz.sum().backward()
rec(repr(lrn), lz, z.grad, F.local_response_norm(T.randn(2, 4, 5), 3))
""",
    "softmax2d": "T.manual_seed(2)\nR = nn.Softmax2d()(T.randn(2, 3, 2, 2))\nrec(R)",
    "softmax2d of a matrix": "nn.Softmax2d()(T.randn(2, 3))",
    "triplet loss with a distance": """
T.manual_seed(3)
a, p, n = T.randn(4, 5, requires_grad=True), T.randn(4, 5), T.randn(4, 5)
l1 = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(), swap=True)(a, p, n)
l2 = F.triplet_margin_with_distance_loss(a, p, n, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), reduction="none")
(l1 + l2.sum()).backward()
rec(l1, l2, a.grad)
""",
    "multi-label margin loss": """
x = T.tensor([[0.1, 0.2, 0.4, 0.8], [0.5, -0.1, 0.3, 0.0]], requires_grad=True)
y = T.tensor([[3, 0, -1, 1], [1, -1, 2, 0]])
l = nn.MultiLabelMarginLoss()(x, y)
l.backward()
rec(l, x.grad, F.multilabel_margin_loss(x, y, reduction="none"), F.multilabel_margin_loss(x[0], y[0]), F.multilabel_margin_loss(x, y, reduction="sum"))
""",
}


def programs():
    return [(f"layers extra {name}", [code.strip()]) for name, code in PROGRAMS.items()]
