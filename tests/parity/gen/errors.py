"""Misuse (the `errors` family): calls a PyTorch program gets wrong, with
random shapes, dims, dtypes and arguments, many of which PyTorch refuses.
The program observes the exception's type and message (or, where PyTorch
accepts the call, the result): autorust must refuse the same calls with
the same words."""

from .core import Rejected


def _shape(r, rank=None, lo=1, hi=4):
    rank = r.choice([1, 2, 2, 3]) if rank is None else rank
    return tuple(r.randint(lo, hi) for _ in range(rank))


def _dims(shape):
    return ", ".join(str(d) for d in shape)


def _t(shape, dtype=None, grad=False):
    kw = (f", dtype=T.{dtype}" if dtype else "") + (", requires_grad=True" if grad else "")
    if not shape:
        return f"T.randn((){kw})" if dtype in (None, "float32", "float64") else f"T.ones((){kw})"
    fill = "T.randn" if dtype in (None, "float32", "float64") else "T.ones"
    return f"{fill}({_dims(shape)}{kw})"


def broadcast(r):
    a, b = _shape(r), _shape(r)
    op = r.choice(["+", "-", "*", "/", "**", "==", "<", "&", "@"])
    if op == "&":
        return f"{_t(a, 'int64')} & {_t(b, 'int64')}"
    return f"{_t(a)} {op} {_t(b)}"


def matmul(r):
    fn = r.choice(["T.mm", "T.bmm", "T.matmul", "T.mv", "T.dot", "T.addmm", "F.linear", "T.outer", "T.baddbmm", "T.inner", "T.tensordot", "T.kron"])
    a, b = _shape(r, r.choice([1, 2, 3])), _shape(r, r.choice([1, 2, 3]))
    if fn == "T.addmm":
        return f"T.addmm({_t(_shape(r, 2))}, {_t(a)}, {_t(b)})"
    if fn == "T.baddbmm":
        return f"T.baddbmm({_t(_shape(r, 3))}, {_t(a)}, {_t(b)})"
    if fn == "T.tensordot":
        return f"T.tensordot({_t(a)}, {_t(b)}, dims={r.choice([1, 2, 0])})"
    return f"{fn}({_t(a)}, {_t(b)})"


def dims(r):
    s = _shape(r, r.choice([0, 1, 2, 3]))
    d = r.choice([-4, -3, -2, -1, 0, 1, 2, 3, 4])
    fn = r.choice(
        [
            "sum({d})",
            "mean({d})",
            "softmax({d})",
            "log_softmax({d})",
            "cumsum({d})",
            "argmax({d})",
            "max({d})",
            "unsqueeze({d})",
            "squeeze({d})",
            "transpose({d}, 0)",
            "flip({d})",
            "select({d}, 0)",
            "narrow({d}, 0, 1)",
            "movedim({d}, 0)",
            "std({d})",
            "norm(dim={d})",
            "var({d})",
            "prod({d})",
            "logsumexp({d})",
            "sort({d})",
            "topk(2, {d})",
            "roll(1, {d})",
            "unbind({d})",
            "amax({d})",
            "cummax({d})",
            "diff(dim={d})",
            "chunk(2, {d})",
            "split(1, {d})",
            "median({d})",
            "kthvalue(1, {d})",
        ]
    )
    return f"{_t(s)}.{fn.format(d=d)}"


def views(r):
    s = _shape(r)
    n = 1
    for d in s:
        n *= d
    new = r.choice([(n + 1,), (-1, -1), (n, 2), (0,), (-1,), (2, -1), (-2, n), (3, -1)])
    fn = r.choice(["view", "reshape", "expand", "permute", "repeat", "tile", "broadcast_to", "unflatten"])
    if fn == "view" and len(s) >= 2 and r.random() < 0.4:
        return f"{_t(s)}.t().view({_dims(new)})" if len(s) == 2 else f"{_t(s)}.transpose(0, 1).view(-1)"
    if fn == "permute":
        perm = r.choice([(0,), (0, 0), (1, 0), (0, 1, 2), (2, 0, 1), (0, 1, 3)])
        return f"{_t(s)}.permute({_dims(perm)})"
    if fn == "unflatten":
        return f"{_t(s)}.unflatten(0, ({_dims(new)}))"
    if fn in ("expand", "broadcast_to"):
        shape = r.choice([(2,) + s, s[:-1] + (s[-1] + 1,), (1,), (-1,) * len(s), (3,) * len(s), tuple(reversed(s))])
        return f"{_t(s)}.expand({_dims(shape)})" if fn == "expand" else f"T.broadcast_to({_t(s)}, ({_dims(shape)},))"
    if fn in ("repeat", "tile"):
        reps = r.choice([(2,), (1, 2), (0, 1), (-1, 2), (2, 1, 1, 1)])
        return f"{_t(s)}.{fn}({_dims(reps)})"
    return f"{_t(s)}.{fn}({_dims(new)})"


def joins(r):
    a = _shape(r)
    b = tuple(d if r.random() < 0.6 else d + 1 for d in a) if r.random() < 0.8 else _shape(r)
    d = r.choice([0, 1, -1, 2, 3])
    fn = r.choice(["T.cat", "T.stack", "T.hstack", "T.vstack", "T.concat", "T.dstack", "T.column_stack"])
    args = f"[{_t(a)}, {_t(b)}]" if r.random() < 0.9 else "[]"
    if fn in ("T.cat", "T.stack", "T.concat"):
        return f"{fn}({args}, {d})"
    return f"{fn}({args})"


def indexing(r):
    s = _shape(r)
    n = s[0]
    form = r.choice(["int", "slice", "tensor", "bool", "gather", "index_select", "scatter", "take", "index_put", "masked_fill", "too_many"])
    x = _t(s)
    if form == "int":
        return f"{x}[{r.choice([n, -n - 1, n + 2])}]"
    if form == "slice":
        return f"{x}[::{r.choice([0, -1])}]"
    if form == "tensor":
        return f"{x}[T.tensor([0, {r.choice([n, -n - 1, 5])}])]"
    if form == "bool":
        return f"{x}[T.tensor([True] * {n + r.choice([1, 2])})]"
    if form == "gather":
        idx = _shape(r, len(s) + r.choice([0, 0, 1]))
        return f"{x}.gather({r.choice([0, -1, len(s)])}, T.zeros({_dims(idx)}, dtype=T.long) + {r.choice([0, 1, 5])})"
    if form == "index_select":
        return f"{x}.index_select(0, T.tensor({r.choice(['[0, 7]', '[[0]]', '[0.5]', '[-1]'])}))"
    if form == "scatter":
        return f"T.zeros({_dims(s)}).scatter(0, T.tensor({r.choice(['[[5]]', '[[0]]', '[0]', '[[0.0]]'])}), 1.0)"
    if form == "take":
        return f"T.take({x}, T.tensor([{r.choice([0, 100, -100])}]))"
    if form == "index_put":
        return f"{x}.index_put_((T.tensor([{n}]),), T.tensor(1.0))"
    if form == "masked_fill":
        return f"{x}.masked_fill(T.tensor([1, 0]), 0.0)"
    return f"{x}[{', '.join(['0'] * (len(s) + 1))}]"


def dtypes(r):
    form = r.choice(
        [
            "int_inplace",
            "mean_int",
            "bool_sub",
            "bool_neg",
            "float_bitwise",
            "int_sqrt_inplace",
            "mixed_mm",
            "int_grad",
            "cross_device",
            "type_promote_inplace",
            "long_softmax",
            "where_mismatch",
            "int_div_inplace",
            "pow_neg_int",
        ]
    )
    return {
        "int_inplace": "T.tensor([1, 2]).add_(1.5)",
        "mean_int": "T.tensor([1, 2, 3]).mean()",
        "bool_sub": "T.tensor([True, False]) - T.tensor([False, True])",
        "bool_neg": "-T.tensor([True, False])",
        "float_bitwise": "T.tensor([1.0]) & T.tensor([1.0])",
        "int_sqrt_inplace": "T.tensor([4, 9]).sqrt_()",
        "mixed_mm": "T.mm(T.ones(2, 2), T.ones(2, 2, dtype=T.float64))",
        "int_grad": "T.tensor([1, 2], requires_grad=True)",
        "cross_device": "T.ones(2).to('meta') + T.ones(2)",
        "type_promote_inplace": "T.ones(2, dtype=T.float32).mul_(T.ones(2, dtype=T.float64))",
        "long_softmax": "T.tensor([1, 2]).softmax(0)",
        "where_mismatch": "T.where(T.tensor([1, 0]), T.ones(2), T.zeros(2))",
        "int_div_inplace": "T.tensor([3, 4]).div_(2)",
        "pow_neg_int": "T.tensor([2, 3]) ** -1",
    }[form]


def creation(r):
    form = r.choice(
        [
            "neg_size",
            "arange_step",
            "arange_bad",
            "linspace_neg",
            "full_bad",
            "ragged",
            "eye_neg",
            "randint_bad",
            "zeros_float",
            "tensor_str",
            "empty_neg",
            "randperm_neg",
            "normal_neg_std",
            "multinomial_bad",
            "bernoulli_bad",
        ]
    )
    return {
        "neg_size": f"T.zeros({r.choice([-1, -2])}, 2)",
        "arange_step": "T.arange(0, 10, 0)",
        "arange_bad": "T.arange(10, 0, 1)",
        "linspace_neg": "T.linspace(0, 1, -1)",
        "full_bad": "T.full((2, 2), 'a')",
        "ragged": "T.tensor([[1, 2], [3]])",
        "eye_neg": "T.eye(-2)",
        "randint_bad": f"T.randint({r.choice([5, 3])}, {r.choice([5, 2])}, (2,))",
        "zeros_float": "T.zeros(2.5)",
        "tensor_str": "T.tensor('abc')",
        "empty_neg": "T.empty(2, -3)",
        "randperm_neg": "T.randperm(-1)",
        "normal_neg_std": "T.normal(T.zeros(2), -T.ones(2))",
        "multinomial_bad": r.choice(
            ["T.multinomial(T.tensor([0.5, 0.5]), 3)", "T.multinomial(T.tensor([-1.0, 2.0]), 1)", "T.multinomial(T.zeros(2), 1)"]
        ),
        "bernoulli_bad": "T.bernoulli(T.tensor([1.5, 0.5]))",
    }[form]


def nn_calls(r):
    n = r.randint(1, 3)
    form = r.choice(
        [
            "linear",
            "conv2d",
            "conv1d",
            "embedding",
            "ce_target",
            "nll_target",
            "mse_shape",
            "bce_range",
            "batchnorm",
            "layernorm",
            "maxpool",
            "pad",
            "lstm",
            "softmax_dim",
            "interpolate",
            "one_hot",
            "dropout_p",
            "groupnorm",
            "bce_shape",
            "kl_shapes",
        ]
    )
    fin = r.randint(2, 5)
    return {
        "linear": f"nn.Linear({fin}, 3)(T.randn({n}, {fin + r.choice([1, -1])}))",
        "conv2d": f"nn.Conv2d({fin}, 2, 3)(T.randn({n}, {fin + r.choice([0, 1])}, {r.choice([2, 5])}, 5))",
        "conv1d": f"nn.Conv1d(2, 2, 3)(T.randn({n}, 2, 5, 5))",
        "embedding": f"nn.Embedding(4, 2)(T.tensor([{r.choice([4, -5, 1])}]))",
        "ce_target": f"F.cross_entropy(T.randn({n}, 3), T.tensor([{r.choice([3, -2, 0])}] * {n + r.choice([0, 1])}))",
        "nll_target": f"F.nll_loss(T.randn({n}, 3), T.tensor([{r.choice([3, 1])}] * {n}).float())",
        "mse_shape": f"F.mse_loss(T.randn({n}, 2), T.randn({n}, {r.choice([2, 3])}))",
        "bce_range": "F.binary_cross_entropy(T.tensor([0.5, 1.5]), T.tensor([0.0, 1.0]))",
        "batchnorm": f"nn.BatchNorm1d(3)(T.randn({r.choice([1, 2])}, {r.choice([3, 4])}))",
        "layernorm": f"nn.LayerNorm({r.choice([3, 4])})(T.randn(2, 5))",
        "maxpool": f"F.max_pool2d(T.randn(1, 1, 2, 2), {r.choice([3, 0])})",
        "pad": f"F.pad(T.randn(1, 2, 3), ({r.choice([1, 4])}, 1), mode='{r.choice(['reflect', 'circular', 'replicate'])}')",
        "lstm": f"nn.LSTM(3, 2)(T.randn(4, 2, {r.choice([3, 4])}))",
        "softmax_dim": f"F.softmax(T.randn(2, 3), dim={r.choice([2, -3])})",
        "interpolate": f"F.interpolate(T.randn(1, 1, 4), scale_factor=2, mode='{r.choice(['bilinear', 'nearest', 'linear'])}')",
        "one_hot": f"F.one_hot(T.tensor([{r.choice([3, -1])}]), 3)",
        "dropout_p": f"F.dropout(T.ones(2), p={r.choice([-0.1, 1.5])})",
        "groupnorm": f"nn.GroupNorm({r.choice([2, 3])}, 4)(T.randn(2, 4, 3))",
        "bce_shape": f"F.binary_cross_entropy_with_logits(T.randn(2, 3), T.rand({r.choice([2, 3])}, 2))",
        "kl_shapes": f"F.kl_div(T.randn(2, 3).log_softmax(1), T.rand(2, {r.choice([3, 4])}))",
    }[form]


def tensor_methods(r):
    s = _shape(r)
    x = _t(s)
    form = r.choice(
        [
            "item",
            "numpy_grad",
            "tolist_ok",
            "bool_multi",
            "int_multi",
            "len_0d",
            "iter_0d",
            "split_zero",
            "chunk_zero",
            "unfold_bad",
            "clamp_none",
            "topk_big",
            "diag_3d",
            "t_3d",
            "inverse_nonsquare",
            "cholesky_bad",
            "kthvalue_big",
            "repeat_less",
            "float_of_multi",
            "index_0d",
            "set_shape",
        ]
    )
    return {
        "item": f"{x}.item()",
        "numpy_grad": f"{_t(s, grad=True)}.numpy()",
        "tolist_ok": f"{x}.tolist()",
        "bool_multi": f"bool({x})",
        "int_multi": f"int({x})",
        "len_0d": "len(T.tensor(1.0))",
        "iter_0d": "list(T.tensor(1.0))",
        "split_zero": f"{x}.split(0)",
        "chunk_zero": f"{x}.chunk(0)",
        "unfold_bad": f"{x}.unfold(0, {s[0] + 1}, 1)",
        "clamp_none": f"{x}.clamp()",
        "topk_big": f"{x}.topk({s[-1] + 1})",
        "diag_3d": "T.randn(2, 2, 2).diag()",
        "t_3d": "T.randn(2, 2, 2).t()",
        "inverse_nonsquare": "T.linalg.inv(T.randn(2, 3))",
        "cholesky_bad": "T.linalg.cholesky(-T.eye(2))",
        "kthvalue_big": f"{x}.kthvalue({s[-1] + 1})",
        "repeat_less": "T.randn(2, 3).repeat(2)",
        "float_of_multi": f"float({x})",
        "index_0d": "T.tensor(1.0)[0]",
        "set_shape": f"{x}.shape = (1,)",
    }[form]


KINDS = [broadcast, matmul, dims, views, joins, indexing, dtypes, creation, nn_calls, tensor_methods]
WEIGHTS = [10, 10, 14, 12, 8, 12, 5, 5, 10, 8]


def program_errors(b):
    r = b.r
    for _ in range(r.choice([1, 1, 2])):
        kind = r.choices(KINDS, WEIGHTS)[0]
        expr = kind(r)
        if "=" in expr.split("(")[0] and " = " in expr:
            b.add_last(expr)
        else:
            b.add_last(f"rec({expr})")
    if len(b.steps) == 0:
        raise Rejected("empty")
