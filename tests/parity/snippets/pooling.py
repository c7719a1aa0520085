"""Average pooling side by side with PyTorch: the divisor modes (padding
counted or not, ceil mode, divisor_override), unbatched and empty-batch
inputs, gradients of first and second order with their nodes, global
adaptive pooling (a mean in PyTorch), a mean's create_graph gradient, and
the errors in PyTorch's words."""

X = "T.manual_seed(0)\nx = T.randn(2, 3, 7, 9, dtype=T.float64, requires_grad=True)\n"

CALLS = {
    "plain": "F.avg_pool2d(x, 2)",
    "padded": "F.avg_pool2d(x, 3, 2, 1)",
    "padding not counted": "F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)",
    "ceil mode": "F.avg_pool2d(x, (2, 3), (2, 2), (1, 1), ceil_mode=True)",
    "ceil mode, padding not counted": "F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)",
    "divisor_override": "F.avg_pool2d(x, 2, 1, divisor_override=3)",
    "negative divisor_override": "F.avg_pool2d(x, (4, 4), 3, 2, ceil_mode=True, divisor_override=-2)",
    "module": "T.nn.AvgPool2d((2, 3), (1, 2), ceil_mode=True, count_include_pad=False)(x)",
    "float32": "F.avg_pool2d(x.float(), 3, 2, 1)",
    "unbatched": "F.avg_pool2d(x[0], 2)",
    "adaptive global": "F.adaptive_avg_pool2d(x, 1)",
    "adaptive global module": "T.nn.AdaptiveAvgPool2d((1, 1))(x)",
    "adaptive divisible": "F.adaptive_avg_pool2d(x[:, :, :6], (3, 3))",
    "avg_pool1d": "F.avg_pool1d(x[0], 3, 2, 1)",
    "adaptive divisible unbatched": "F.adaptive_avg_pool2d(x[0, :, :6], (2, 3))",
    "adaptive divisible, a None size": "F.adaptive_avg_pool2d(x[:, :, :6], (None, 3))",
    "adaptive divisible module": "T.nn.AdaptiveAvgPool2d((3, 1))(x[:, :, :6])",
    "adaptive uneven": "F.adaptive_avg_pool2d(x, (3, 4))",
    "adaptive divisible float32": "F.adaptive_avg_pool2d(x.float()[:, :, :6], 2)",
}

SECOND_ORDER = """
y = {call}
w = T.linspace(-1, 1, y.numel(), dtype=y.dtype).reshape(y.shape)
g, = T.autograd.grad((y * y * w).sum(), x, create_graph=True)
gg, = T.autograd.grad((g * g).sum(), x)
R = (y, g, gg)
"""

PROGRAMS = {f"avg_pool {name}": X + f"R = {call}" for name, call in CALLS.items()}
PROGRAMS.update({f"avg_pool second order {name}": X + SECOND_ORDER.format(call=call) for name, call in CALLS.items() if "module" not in name})
PROGRAMS.update(
    {
        "avg_pool empty batch": "x = T.zeros(0, 2, 4, 4, requires_grad=True)\ny = F.avg_pool2d(x, 2)\ny.sum().backward()\nR = (y, x.grad)",
        "avg_pool gradient of the incoming gradient": X
        + (
            "y = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)\n"
            "v = T.ones_like(y, requires_grad=True)\n"
            "g, = T.autograd.grad(y, x, v, create_graph=True)\n"
            "gv, = T.autograd.grad((g * g).sum(), v)\n"
            "R = (g, gv)"
        ),
        "mean create_graph": X
        + "g, = T.autograd.grad(x.mean((1, 2)).pow(2).sum(), x, create_graph=True)\ngg, = T.autograd.grad(g.sum(), x)\nR = (g, gg)",
        "mean create_graph all": X + "g, = T.autograd.grad(x.mean().pow(2), x, create_graph=True)\nR = (g, T.autograd.grad(g.sum(), x)[0])",
        "adaptive nodes": X
        + "y = F.adaptive_avg_pool2d(x[:, :, :6], (3, 3))\nR = (y.grad_fn.name(), y.grad_fn._saved_self.shape, y.grad_fn.next_functions[0][0].name())",
        "avg_pool 2-d input": "R = F.avg_pool2d(T.ones(4, 4), 2)",
        "avg_pool zero channels": "R = F.avg_pool2d(T.ones(1, 0, 4, 4), 2)",
        "avg_pool zero divisor": "R = F.avg_pool2d(T.ones(1, 1, 4, 4), 2, divisor_override=0)",
        "avg_pool padding too large": "R = F.avg_pool2d(T.ones(1, 1, 4, 4), 2, padding=2)",
        "avg_pool output too small": "R = F.avg_pool2d(T.ones(1, 1, 1, 1), 3)",
        "avg_pool zero stride": "R = F.avg_pool2d(T.ones(1, 1, 4, 4), 2, stride=0)",
    }
)


def programs():
    return [(f"pooling {name}", [code.strip(), "rec(R)"]) for name, code in PROGRAMS.items()]
