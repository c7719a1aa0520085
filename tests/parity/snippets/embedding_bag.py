"""``nn.EmbeddingBag``/``F.embedding_bag`` side by side with PyTorch: sum,
mean and max bags from offsets or rows, padding_idx, per-sample weights,
include_last_offset, empty bags, gradients, and the refusals."""

PROGRAMS = {
    "sum with offsets": """
T.manual_seed(0)
bag = nn.EmbeddingBag(10, 3, mode="sum")
o = bag(T.tensor([1, 2, 4, 5, 4, 3, 2, 9]), T.tensor([0, 4]))
o.sum().backward()
rec(repr(bag), o, bag.weight.grad)
""",
    "mean and max with padding": """
T.manual_seed(1)
outs = []
for mode in ("mean", "max"):
    b2 = nn.EmbeddingBag(10, 3, mode=mode, padding_idx=2)
    x = b2(T.tensor([[1, 2, 4], [2, 2, 2], [5, 6, 7]]))
    (x * T.arange(9.).reshape(3, 3)).sum().backward()
    outs += [repr(b2), x, b2.weight.grad]
rec(*outs)
""",
    "per-sample weights and the last offset": """
T.manual_seed(2)
w = T.randn(6, 2, requires_grad=True)
psw = T.tensor([1.0, 2.0, 0.5, -1.0, 3.0], requires_grad=True)
r = F.embedding_bag(T.tensor([0, 1, 3, 3, 5]), w, T.tensor([0, 2, 2, 5]), mode="sum", per_sample_weights=psw, include_last_offset=True)
r.sum().backward()
rec(r, w.grad, psw.grad, F.embedding_bag(T.tensor([0, 1, 3]), w, T.tensor([0, 1, 3]), mode="mean"))
""",
    "offsets not from zero": "F.embedding_bag(T.tensor([0, 1]), T.randn(6, 2), T.tensor([1]))",
    "offsets with a 2-d input": "F.embedding_bag(T.tensor([[0, 1]]), T.randn(6, 2), T.tensor([0]))",
    "weights with a mean": "F.embedding_bag(T.tensor([0, 1]), T.randn(6, 2), T.tensor([0]), mode='mean', per_sample_weights=T.ones(2))",
    "no offsets for a 1-d input": "F.embedding_bag(T.tensor([0, 1]), T.randn(6, 2))",
}


def programs():
    return [(f"embedding bag {name}", [code.strip()]) for name, code in PROGRAMS.items()]
