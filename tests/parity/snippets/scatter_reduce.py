"""``scatter_reduce``/``index_reduce``, ``adaptive_max_pool*(return_indices)``
and the legacy ``Tensor.new`` side by side with PyTorch: every reduction
with and without self, 2-d scatters along each dim, ties in max and min,
gradients for self and src."""

REDUCE = """
T.manual_seed(0)
self_ = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
src = T.tensor([[0.5, 3.0, 3.0, -1.0], [2.0, 5.0, 2.0, 7.0]], requires_grad=True)
idx = T.tensor([[0, 2, 2, 1], [1, 1, 0, 1]])
r = self_.scatter_reduce({dim}, idx if {dim} == 1 else idx[:, :3].clamp(max=1), src if {dim} == 1 else src[:, :3], reduce="{reduce}", include_self={include})
g_self, g_src = T.autograd.grad((r * T.arange(1.0, 7.0).reshape(2, 3)).sum(), [self_, src])
rec(r, g_self, g_src)
"""

PROGRAMS = {
    "index_reduce": """
x = T.ones(3, 2, requires_grad=True)
s = T.tensor([[2., 3.], [4., 5.], [6., 7.]], requires_grad=True)
outs = []
for reduce in ("prod", "mean", "amax", "amin"):
    r = x.index_reduce(0, T.tensor([0, 2, 0]), s, reduce)
    outs += [r, T.autograd.grad(r.sum(), [x, s])]
outs.append(x.detach().index_reduce(0, T.tensor([0, 2, 0]), s.detach(), "amax", include_self=False))
rec(*outs)
""",
    "an unknown reduction": "T.zeros(3).scatter_reduce(0, T.tensor([0]), T.ones(1), reduce='max')",
    "adaptive max pooling with indices": """
T.manual_seed(1)
x = T.randn(1, 2, 5, 7, requires_grad=True)
o, i = F.adaptive_max_pool2d(x, (2, 3), return_indices=True)
o.sum().backward()
o1, i1 = nn.AdaptiveMaxPool1d(3, return_indices=True)(T.randn(1, 2, 7))
ties = F.adaptive_max_pool2d(T.ones(1, 1, 4, 4, requires_grad=True), 2, return_indices=True)
rec(o, i, x.grad, o1, i1, ties[1])
""",
    "Tensor.new": "t = T.tensor([1., 2.])\nR = (t.new(2, 3).shape, t.new([1, 2]), t.new().shape, t.new((2,)).shape)\nrec(R)",
}


def programs():
    out = []
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include in (True, False):
            for dim in (0, 1):
                out.append(
                    (f"scatter reduce {reduce} include_self={include} dim={dim}", [REDUCE.format(reduce=reduce, include=include, dim=dim).strip()])
                )
    out += [(f"scatter reduce {name}", [code.strip()]) for name, code in PROGRAMS.items()]
    return out


DIRTY = {
    "a Function that marks its input dirty": """
class MulInPlace(T.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.mark_dirty(x)
        ctx.k = k
        x.mul_(k)
        return x
    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None
a = T.tensor([1.0, 2.0], requires_grad=True)
b = a * 1
v0 = b._version
c = MulInPlace.apply(b, 3.0)
rec(c is b, b.grad_fn.name(), b._version > v0, b, repr(b))
(b * b).sum().backward()
rec(a.grad)
x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
MulInPlace.apply(y[1:], 10.0)
rec(y, repr(y))
y.sum().backward()
rec(x.grad)
""",
    "a dirty leaf": """
class MulInPlace(T.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x)
        return x.mul_(2)
    @staticmethod
    def backward(ctx, g):
        return g * 2
MulInPlace.apply(T.tensor([1.0, 2.0], requires_grad=True))
""",
}


def dirty_programs():
    return [(f"custom function {name}", [code.strip()]) for name, code in DIRTY.items()]
