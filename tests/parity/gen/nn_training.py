"""Small models trained for a few steps (the `nn` family): a random stack
of layers for one kind of input (features, images, 1-d signals, token
sequences), a loss, an optimizer (sometimes with a scheduler, gradient
clipping, train/eval switches), then two or three training steps. The
program observes the losses, the gradients and the parameters after each
step, and the model's output in eval mode. Every program starts from seed
0, so PyTorch's initialisation, `randn` and dropout draws must be matched
exactly."""

from .core import Rejected

ACTIVATIONS = [
    "nn.ReLU()",
    "nn.Tanh()",
    "nn.GELU()",
    "nn.SiLU()",
    "nn.LeakyReLU(0.1)",
    "nn.ELU()",
    "nn.Sigmoid()",
    "nn.Softplus()",
    "nn.Hardswish()",
    "nn.Mish()",
    "nn.GELU(approximate='tanh')",
    "nn.ReLU6()",
    "nn.SELU()",
    "nn.PReLU()",
    "nn.Hardtanh()",
]

OPTIMIZERS = [
    "T.optim.SGD(model.parameters(), lr=0.1)",
    "T.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)",
    "T.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)",
    "T.optim.Adam(model.parameters(), lr=0.01)",
    "T.optim.Adam(model.parameters(), lr=0.01, amsgrad=True, weight_decay=1e-2)",
    "T.optim.AdamW(model.parameters(), lr=0.01)",
    "T.optim.RMSprop(model.parameters(), lr=0.01)",
    "T.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.5, centered=True)",
    "T.optim.Adagrad(model.parameters(), lr=0.1)",
    "T.optim.Adamax(model.parameters(), lr=0.01)",
    "T.optim.NAdam(model.parameters(), lr=0.01)",
    "T.optim.RAdam(model.parameters(), lr=0.01)",
    "T.optim.Adadelta(model.parameters(), lr=1.0)",
]

SCHEDULERS = [
    "T.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)",
    "T.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)",
    "T.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)",
    "T.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)",
]


def _features(b, r, width):
    layers = []
    for _ in range(r.randint(1, 3)):
        nxt = r.choice([3, 4, 6, 8])
        extra = r.random()
        # no bias before batch norm (as models are written): its gradient
        # is zero up to rounding, which Adam would amplify into noise
        bias = ", bias=False" if extra < 0.2 else r.choice(["", "", ", bias=False"])
        layers.append(f"nn.Linear({width}, {nxt}{bias})")
        width = nxt
        if extra < 0.2:
            layers.append(f"nn.BatchNorm1d({width})")
        elif extra < 0.35:
            layers.append(f"nn.LayerNorm({width})")
        layers.append(r.choice(ACTIVATIONS))
        if r.random() < 0.25:
            layers.append(f"nn.Dropout({r.choice([0.1, 0.5])})")
    return layers, width


def model_features(b, r):
    n, f = r.randint(2, 6), r.randint(2, 5)
    b.add(f"x = T.randn({n}, {f})")
    layers, width = _features(b, r, f)
    return layers, width, n


def model_image(b, r):
    n, c, h = r.randint(1, 4), r.randint(1, 3), r.choice([5, 6, 8])
    b.add(f"x = T.randn({n}, {c}, {h}, {h})")
    layers = []
    ch = c
    size = h
    for _ in range(r.randint(1, 2)):
        out, k = r.choice([2, 3, 4]), r.choice([1, 3])
        pad = r.choice([0, k // 2])
        stride = r.choice([1, 1, 2])
        # (one weight per channel before batch norm has no effect at all)
        norm = r.random() < 0.4 and ch * k > 1
        layers.append(f"nn.Conv2d({ch}, {out}, {k}, stride={stride}, padding={pad}{', bias=False' if norm else ''})")
        ch, size = out, (size + 2 * pad - k) // stride + 1
        if norm:
            layers.append(f"nn.BatchNorm2d({ch})")
        layers.append(r.choice(ACTIVATIONS[:6]))
        if size >= 4 and r.random() < 0.5:
            layers.append(r.choice(["nn.MaxPool2d(2)", "nn.AvgPool2d(2)"]))
            size //= 2
    if r.random() < 0.5:
        layers.append("nn.AdaptiveAvgPool2d(1)")
        size = 1
    if r.random() < 0.2:
        layers.append(f"nn.Dropout2d({r.choice([0.2, 0.5])})")
    layers.append("nn.Flatten()")
    width = ch * size * size
    out = r.choice([2, 3, 4])
    layers.append(f"nn.Linear({width}, {out})")
    return layers, out, n


def model_signal(b, r):
    n, c, length = r.randint(1, 4), r.randint(1, 3), r.choice([6, 8, 10])
    b.add(f"x = T.randn({n}, {c}, {length})")
    out, k = r.choice([2, 4]), r.choice([2, 3])
    layers = [f"nn.Conv1d({c}, {out}, {k}, padding={r.choice([0, 1])})", r.choice(ACTIVATIONS[:6])]
    if r.random() < 0.5:
        layers.append(r.choice(["nn.MaxPool1d(2)", "nn.AvgPool1d(2)"]))
    if r.random() < 0.3:
        layers.append(f"nn.BatchNorm1d({out})")
    layers += ["nn.AdaptiveAvgPool1d(1)", "nn.Flatten()", f"nn.Linear({out}, 3)"]
    return layers, 3, n


SEQUENCE_MODEL = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding({vocab}, {dim}{padding})
        self.rnn = {rnn}
        self.head = nn.Linear({hidden}, {out})

    def forward(self, tokens):
        h = self.emb(tokens)
        h = self.rnn(h)
        h = h[0] if isinstance(h, tuple) else h
        return self.head(h{pool})
"""


def model_sequence(b, r):
    n, length, vocab, dim = r.randint(1, 3), r.randint(2, 5), r.randint(5, 9), r.choice([4, 6])
    b.add(f"x = T.randint(0, {vocab}, ({n}, {length}))")
    kind = r.choice(["RNN", "LSTM", "GRU", "encoder"])
    hidden = r.choice([3, 5])
    bidir = r.random() < 0.3
    if kind == "encoder":
        rnn = f"nn.TransformerEncoderLayer({dim}, 2, {r.choice([8, 12])}, dropout=0.0, batch_first=True{r.choice(['', ', norm_first=True'])})"
        hidden = dim
    else:
        layers = r.choice([1, 1, 2])
        rnn = f"nn.{kind}({dim}, {hidden}, num_layers={layers}, batch_first=True{', bidirectional=True' if bidir else ''})"
        hidden = hidden * (2 if bidir else 1)
    out = r.choice([2, 3])
    pool = r.choice(["[:, -1]", ".mean(1)"])
    padding = r.choice(["", "", ", padding_idx=0"])
    b.add(SEQUENCE_MODEL.format(vocab=vocab, dim=dim, padding=padding, rnn=rnn, hidden=hidden, out=out, pool=pool).strip())
    return None, out, n


LOSSES = {
    "classes": [
        "nn.CrossEntropyLoss()",
        "nn.CrossEntropyLoss(label_smoothing=0.1)",
        "nn.CrossEntropyLoss(reduction='sum')",
        "lambda o, t: F.nll_loss(F.log_softmax(o, 1), t)",
        "nn.MultiMarginLoss()",
    ],
    "values": ["nn.MSELoss()", "nn.L1Loss()", "nn.SmoothL1Loss()", "nn.HuberLoss(delta=0.5)", "nn.MSELoss(reduction='sum')"],
    "binary": ["nn.BCEWithLogitsLoss()", "lambda o, t: F.binary_cross_entropy(o.sigmoid(), t)"],
    "distribution": ["lambda o, t: F.kl_div(F.log_softmax(o, 1), t, reduction='batchmean')"],
}


# targets per kind of loss: class indices, values, 0/1 labels, distributions
TARGETS = {
    "classes": "y = T.randint(0, {out}, ({n},))",
    "values": "y = T.randn({n}, {out})",
    "binary": "y = (T.rand({n}, {out}) > 0.5).float()",
    "distribution": "y = T.rand({n}, {out}).softmax(1)",
}


def reject_rounding_noise(b):
    """Adaptive optimizers divide a gradient by its running magnitude, so a
    gradient that is zero up to rounding (a bias whose effect a later
    normalisation removes) becomes a full step of either sign: such a
    program compares rounding noise, not PyTorch's semantics."""
    grads = [p.grad.detach().abs() for p in b.value("model").parameters() if p.grad is not None]
    if not grads:
        return
    top = max(float(a.max()) for a in grads)
    for a in grads:
        if bool(((a < 1e-4 * a.max()) & (a != 0)).any()) or 0 < float(a.max()) < 1e-5 * top:
            raise Rejected("a gradient at rounding level")


def program_nn(b):
    r = b.r
    build = r.choice([model_features, model_features, model_image, model_signal, model_sequence])
    layers, out, n = build(b, r)
    if layers is not None:
        if not layers[-1].startswith("nn.Linear"):
            # a head, so the outputs are not all positive (after a ReLU)
            width, out = out, r.choice([2, 3])
            layers.append(f"nn.Linear({width}, {out})")
        b.add("model = nn.Sequential(\n    " + ",\n    ".join(layers) + ",\n)")
    else:
        b.add("model = Net()")
    if n < 3 and any(k in "\n".join(b.steps) for k in ("BatchNorm1d", "BatchNorm2d")):
        # batch norm over one or two samples is degenerate (two samples
        # normalise to exactly -1 and 1): the layers before it get gradients
        # at rounding level
        raise Rejected("batch norm over a tiny batch")
    kind = r.choice(sorted(LOSSES))
    b.add(TARGETS[kind].format(n=n, out=out))
    b.add(f"loss_fn = {r.choice(LOSSES[kind])}")
    b.add(f"opt = {r.choice(OPTIMIZERS)}")
    sched = r.random() < 0.25
    if sched:
        b.add(f"sched = {r.choice(SCHEDULERS)}")
    clip = r.choice(["", "", "", "T.nn.utils.clip_grad_norm_(model.parameters(), 0.5)", "T.nn.utils.clip_grad_value_(model.parameters(), 0.1)"])
    for step in range(r.choice([2, 2, 3])):
        body = ["opt.zero_grad()", "out = model(x)", "loss = loss_fn(out, y)", "loss.backward()"]
        if clip:
            body.append(f"norm = {clip}; rec(norm)")
        body.append("opt.step()")
        if sched:
            body.append("sched.step(); rec(sched.get_last_lr())")
        b.add_last("; ".join(body[:4]) + "; rec(loss, out)")
        if "SGD" not in b.value("opt").__class__.__name__:
            reject_rounding_noise(b)
        b.add_last("; ".join(body[4:]) + "; rec([p.grad for p in model.parameters()])")
    b.add("rec(list(model.named_parameters()))")
    b.add("rec([k for k in model.state_dict()], [v for k, v in model.state_dict().items() if 'running' in k or 'num_batches' in k])")
    b.add_last("model.eval()\nwith T.no_grad():\n    rec(model(x))")
