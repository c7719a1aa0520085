"""The op table of test_ops.py (every differentiable op, its functional
forms and losses, matmul shapes) and the nn layer table, run on every device:
float32 results and gradients on the GPU equal the CPU's within float32
tolerance. (test_ops.py checks the CPU itself against NumPy and finite
differences in float64.)

Skips without a wgpu adapter unless AUTORUST_REQUIRE_GPU is set (CI), like
test_gpu.py.
"""

import numpy as np
import pytest
from gpu_guard import require_wgpu
from test_ops import BINARY_CASES, FUNCTIONAL, MATMUL_SHAPES, UNARY, _data

import autorust as ar

require_wgpu(ar)

DEVICES = ["wgpu", "cuda:0"]


def _leaf(a, device, noncontig):
    """A float32 leaf with a's values on `device`, optionally a transposed view."""
    if noncontig and a.ndim >= 2:
        t = ar.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2)), dtype=ar.float32, device=device).transpose(-1, -2)
    else:
        t = ar.tensor(a, dtype=ar.float32, device=device)
    return t.requires_grad_(True)


def same_on_devices(fn, arrays, device, noncontig=False, rtol=2e-5, atol=2e-6):
    """fn's output and the gradients of a weighted sum of it agree on the CPU
    and on `device`."""
    results = {}
    for dev in ("cpu", device):
        leaves = [_leaf(a, dev, noncontig) for a in arrays]
        out = fn(*leaves)
        assert out.device.type == ar.device(dev).type, f"output on {out.device}, inputs on {dev}"
        w = np.linspace(-1.0, 1.5, out.numel()).reshape(tuple(out.shape))
        (out * ar.tensor(w, dtype=ar.float32, device=dev)).sum().backward()
        results[dev] = (out.detach().cpu().numpy(), [leaf.grad.cpu().numpy() for leaf in leaves])
    (cpu_out, cpu_grads), (dev_out, dev_grads) = results["cpu"], results[device]
    assert cpu_out.shape == dev_out.shape
    np.testing.assert_allclose(dev_out, cpu_out, rtol=rtol, atol=atol)
    for k, (g_dev, g_cpu) in enumerate(zip(dev_grads, cpu_grads)):
        np.testing.assert_allclose(g_dev, g_cpu, rtol=rtol, atol=atol, err_msg=f"gradient of input {k}")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("noncontig", [False, True], ids=["contig", "transposed"])
@pytest.mark.parametrize("name,fn,ref,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_table(name, fn, ref, domain, noncontig, device):
    same_on_devices(fn, [_data((3, 4), domain)], device, noncontig)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("noncontig", [False, True], ids=["contig", "transposed"])
@pytest.mark.parametrize("op,shapes", BINARY_CASES, ids=[f"{o[0]}-{a}x{b}" for o, (a, b) in BINARY_CASES])
def test_binary_table(op, shapes, noncontig, device):
    name, fn, ref, domain = op
    same_on_devices(fn, [_data(shapes[0], domain), _data(shapes[1], domain)], device, noncontig)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul_table(sa, sb, device):
    same_on_devices(lambda p, q: p @ q, [_data(sa, "any"), _data(sb, "any")], device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name,fn,domain", FUNCTIONAL, ids=[f[0] for f in FUNCTIONAL])
def test_functional_table(name, fn, domain, device):
    same_on_devices(fn, [_data((3, 4), domain)], device)


# ---------------------------------------------------------------- nn layers
# (name, module factory, input shapes, input kind): the module is built twice
# from the same seed, once per device; outputs, input gradients, parameter
# gradients and buffers (running statistics) must agree.

nn, F = ar.nn, ar.nn.functional


class Lambda(nn.Module):
    """A functional form or a loss as a module (targets built on the input's device)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


def _target_like(x, values):
    return ar.tensor(values, device=x.device)


NN_TABLE = [
    ("Linear", lambda: nn.Linear(4, 3), [(5, 4)]),
    ("Linear_3d", lambda: nn.Linear(4, 2, bias=False), [(2, 3, 4)]),
    ("Conv2d", lambda: nn.Conv2d(2, 3, 3), [(2, 2, 6, 5)]),
    ("Conv2d_stride_pad", lambda: nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=1), [(2, 2, 7, 6)]),
    ("Conv2d_groups_dilation", lambda: nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2), [(1, 4, 6, 6)]),
    ("Conv2d_unbatched", lambda: nn.Conv2d(1, 2, 2, bias=False), [(1, 4, 4)]),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), [(2, 3, 6, 6)]),
    ("MaxPool2d_overlap", lambda: nn.MaxPool2d(3, stride=2, padding=1), [(1, 2, 7, 7)]),
    ("MaxPool2d_ceil", lambda: nn.MaxPool2d(2, ceil_mode=True), [(1, 2, 5, 5)]),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), [(2, 3, 6, 6)]),
    ("AvgPool2d_pad", lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), [(1, 2, 7, 7)]),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), [(1, 2, 6, 7)]),
    ("Flatten", lambda: nn.Flatten(), [(2, 3, 2, 2)]),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(4), [(6, 4)]),
    ("BatchNorm1d_eval", lambda: nn.BatchNorm1d(4).eval(), [(6, 4)]),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3), [(2, 3, 4, 4)]),
    ("LayerNorm", lambda: nn.LayerNorm(4), [(3, 5, 4)]),
    ("LayerNorm_2d", lambda: nn.LayerNorm([5, 4], elementwise_affine=False), [(3, 5, 4)]),
    ("Dropout_eval", lambda: nn.Dropout(0.5).eval(), [(3, 4)]),
    ("ReLU", lambda: nn.ReLU(), [(3, 4)]),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), [(3, 4)]),
    ("GELU", lambda: nn.GELU(), [(3, 4)]),
    ("GELU_tanh", lambda: nn.GELU(approximate="tanh"), [(3, 4)]),
    ("SiLU", lambda: nn.SiLU(), [(3, 4)]),
    ("Sigmoid", lambda: nn.Sigmoid(), [(3, 4)]),
    ("Tanh", lambda: nn.Tanh(), [(3, 4)]),
    ("Softmax", lambda: nn.Softmax(dim=1), [(3, 4)]),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=0), [(3, 4)]),
    ("Identity", lambda: nn.Identity(), [(3, 4)]),
    ("Sequential_mlp", lambda: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.LogSoftmax(dim=1)), [(5, 4)]),
    (
        "Sequential_cnn",
        lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3)),
        [(2, 1, 4, 4)],
    ),
    ("pad_constant", lambda: Lambda(lambda x: F.pad(x, (1, 2, 0, 1), value=0.5)), [(2, 3, 4)]),
    ("pad_reflect", lambda: Lambda(lambda x: F.pad(x, (2, 1), mode="reflect")), [(2, 3, 4)]),
    ("pad_replicate", lambda: Lambda(lambda x: F.pad(x, (1, 2, 2, 0), mode="replicate")), [(1, 2, 3, 4)]),
    ("pad_circular", lambda: Lambda(lambda x: F.pad(x, (1, 1), mode="circular")), [(2, 3, 4)]),
    ("MSELoss", lambda: Lambda(lambda x, y: nn.MSELoss()(x, y)), [(3, 4), (3, 4)]),
    ("L1Loss_sum", lambda: Lambda(lambda x, y: nn.L1Loss(reduction="sum")(x, y)), [(3, 4), (3, 4)]),
    ("SmoothL1Loss", lambda: Lambda(lambda x, y: nn.SmoothL1Loss(beta=0.5)(x, y)), [(3, 4), (3, 4)]),
    ("HuberLoss_none", lambda: Lambda(lambda x, y: nn.HuberLoss(reduction="none", delta=0.7)(x, y)), [(3, 4), (3, 4)]),
    ("CrossEntropyLoss", lambda: Lambda(lambda x: nn.CrossEntropyLoss()(x, _target_like(x, [0, 3, 1]))), [(3, 4)]),
    (
        "CrossEntropyLoss_weight_ignore_smooth",
        lambda: Lambda(
            lambda x: nn.CrossEntropyLoss(weight=ar.tensor([1.0, 2.0, 0.5, 1.5], device=x.device), ignore_index=1, label_smoothing=0.1)(
                x, _target_like(x, [0, 3, 1])
            )
        ),
        [(3, 4)],
    ),
    ("CrossEntropyLoss_probs", lambda: Lambda(lambda x, p: nn.CrossEntropyLoss()(x, p.softmax(1))), [(3, 4), (3, 4)]),
    ("CrossEntropyLoss_4d", lambda: Lambda(lambda x: nn.CrossEntropyLoss()(x, _target_like(x, [[[0, 2], [1, 1]]]))), [(1, 3, 2, 2)]),
    ("NLLLoss", lambda: Lambda(lambda x: nn.NLLLoss(reduction="sum")(x.log_softmax(1), _target_like(x, [2, 0, 1]))), [(3, 4)]),
    ("BCELoss", lambda: Lambda(lambda x, y: nn.BCELoss()(x.sigmoid(), y.sigmoid())), [(3, 4), (3, 4)]),
    (
        "BCEWithLogitsLoss_pos_weight",
        lambda: Lambda(lambda x, y: nn.BCEWithLogitsLoss(pos_weight=ar.tensor([1.0, 2.0, 0.5, 3.0], device=x.device))(x, y.sigmoid())),
        [(3, 4), (3, 4)],
    ),
    ("KLDivLoss", lambda: Lambda(lambda x, y: nn.KLDivLoss(reduction="batchmean")(x.log_softmax(1), y.softmax(1))), [(3, 4), (3, 4)]),
    ("one_hot_embedding", lambda: Lambda(lambda x: F.embedding(_target_like(x, [[0, 2], [1, 0]]), x)), [(3, 4)]),
    ("LSTM", lambda: Lambda(lambda x, _m=nn.LSTM(4, 3, num_layers=2, bidirectional=True): _m.to(x.device)(x)[0]), [(5, 2, 4)]),
    ("GRU_batch_first", lambda: Lambda(lambda x, _m=nn.GRU(4, 3, batch_first=True): _m.to(x.device)(x)[1]), [(2, 5, 4)]),
    ("MultiheadAttention", lambda: Lambda(lambda x, _m=nn.MultiheadAttention(4, 2): _m.to(x.device)(x, x, x)[0]), [(3, 2, 4)]),
    ("Conv1d", lambda: nn.Conv1d(3, 4, 3, padding=1, stride=2), [(2, 3, 9)]),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), [(1, 2, 4, 3)]),
    ("Upsample_bilinear", lambda: nn.Upsample(scale_factor=2, mode="bilinear"), [(1, 2, 3, 3)]),
    ("MaxPool1d", lambda: nn.MaxPool1d(3, 2, 1), [(2, 3, 9)]),
    ("Mish", lambda: nn.Mish(), [(3, 4)]),
    ("PReLU", lambda: nn.PReLU(3), [(2, 3, 4)]),
    ("TripletMarginLoss", lambda: Lambda(lambda a, p, n: nn.TripletMarginLoss()(a, p, n)), [(3, 4), (3, 4), (3, 4)]),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name,make,shapes", NN_TABLE, ids=[c[0] for c in NN_TABLE])
def test_nn_table(name, make, shapes, device):
    arrays = [_data(s, "any") for s in shapes]
    results = {}
    for dev in ("cpu", device):
        ar.manual_seed(3)
        module = make().to(dev)
        leaves = [_leaf(a, dev, False) for a in arrays]
        out = module(*leaves)
        assert out.device.type == ar.device(dev).type
        w = np.linspace(-1.0, 1.5, out.numel()).reshape(tuple(out.shape))
        (out * ar.tensor(w, dtype=ar.float32, device=dev)).sum().backward()
        grads = [leaf.grad.cpu().numpy() for leaf in leaves]
        grads += [p.grad.cpu().numpy() for p in module.parameters()]
        grads += [b.cpu().numpy() for b in module.buffers()]
        results[dev] = (out.detach().cpu().numpy(), grads)
    (cpu_out, cpu_grads), (dev_out, dev_grads) = results["cpu"], results[device]
    np.testing.assert_allclose(dev_out, cpu_out, rtol=2e-5, atol=2e-6)
    assert len(dev_grads) == len(cpu_grads)
    for k, (g_dev, g_cpu) in enumerate(zip(dev_grads, cpu_grads)):
        np.testing.assert_allclose(g_dev, g_cpu, rtol=2e-5, atol=5e-6, err_msg=f"gradient/buffer {k}")


def test_embedding_module_on_devices():
    idx = [[1, 4, 4], [0, 2, 1]]
    results = {}
    for dev in ("cpu", "cuda"):
        ar.manual_seed(5)
        emb = nn.Embedding(5, 3, padding_idx=2).to(dev)
        out = emb(ar.tensor(idx, device=dev))
        (out * ar.arange(18.0, device=dev).reshape(2, 3, 3)).sum().backward()
        results[dev] = (out.detach().cpu().numpy(), emb.weight.grad.cpu().numpy())
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=1e-6)
    np.testing.assert_allclose(results["cuda"][1], results["cpu"][1], rtol=1e-6)


# ------------------------------------------------------- tensor methods
# In-place ops, indexing assignment, sorting, creation on a device and other
# methods, on a GPU tensor and on the same CPU tensor (results compared on
# the host; random fills compare their shapes or bounds).

F = ar.nn.functional
t = ar

TENSOR_API = {
    "add_": lambda x: x.add_(1.5),
    "mul_": lambda x: x.mul_(x),
    "sub_": lambda x: x.sub_(x * 2, alpha=0.5),
    "div_": lambda x: x.div_(2),
    "clamp_": lambda x: x.clamp_(-0.5, 0.5),
    "zero_": lambda x: x.zero_(),
    "fill_": lambda x: x.fill_(3),
    "copy_": lambda x: x.copy_(x.flip(0)),
    "masked_fill_": lambda x: x.masked_fill_(x > 0, 0.0),
    "setitem_mask": lambda x: x.__setitem__(x > 0, 1.0) or x,
    "setitem_slice": lambda x: x.__setitem__((slice(1, 3), 2), 7.0) or x,
    "setitem_tensor": lambda x: x.__setitem__(0, x[1] * 2) or x,
    "setitem_idx": lambda x: x.__setitem__(([0, 2], [1, 3]), 5.0) or x,
    "index_put_acc": lambda x: x.index_put_((t.tensor([0, 0, 1], device=x.device),), t.ones(3, 5, device=x.device), accumulate=True),
    "relu_": lambda x: F.relu(x, inplace=True),
    "exp_": lambda x: x.exp_(),
    "pow_": lambda x: x.pow_(2),
    "abs_": lambda x: x.abs_(),
    "addcmul_": lambda x: x.addcmul_(x, x, value=0.5),
    "addcdiv_": lambda x: x.addcdiv_(x, x.abs() + 1, value=0.5),
    "lerp_": lambda x: x.lerp_(t.zeros_like(x), 0.3),
    "sqrt_": lambda x: x.abs().sqrt_(),
    "uniform_": lambda x: (x.uniform_(-1, 1), x.abs().max() <= 1)[1],
    "normal_": lambda x: x.normal_().shape,
    "t_": lambda x: x.t_(),
    "unsqueeze_": lambda x: x.unsqueeze_(0),
    "squeeze": lambda x: x[None].squeeze(0),
    "scatter_": lambda x: x.scatter_(1, t.tensor([[0], [1], [2], [3]], device=x.device), 9.0),
    "index_fill_": lambda x: x.index_fill_(1, t.tensor([0, 2], device=x.device), -1.0),
    "index_add_": lambda x: x.index_add_(0, t.tensor([0, 0], device=x.device), t.ones(2, 5, device=x.device)),
    "masked_scatter_": lambda x: x.masked_scatter_(x > 0, t.arange(20.0, device=x.device)),
    "where": lambda x: t.where(x > 0, x, 0.0),
    "topk": lambda x: x.topk(2, dim=1).values,
    "sort": lambda x: x.sort(dim=1).values,
    "argsort": lambda x: x.argsort(dim=0),
    "argmax": lambda x: x.argmax(),
    "argmin_dim": lambda x: x.argmin(1),
    "max_dim": lambda x: x.max(1).indices,
    "median": lambda x: x.median(),
    "norm_p1": lambda x: x.norm(p=1),
    "cumprod": lambda x: x.cumprod(1),
    "tril": lambda x: x.tril(),
    "triu": lambda x: x.triu(1),
    "diag": lambda x: x[:4, :4].diag(),
    "trace": lambda x: x[:4, :4].trace(),
    "einsum": lambda x: t.einsum("ij,kj->ik", x, x),
    "outer": lambda x: t.outer(x[0], x[1]),
    "dot": lambda x: x[0].dot(x[1]),
    "mv": lambda x: x.mv(x[0]),
    "clone": lambda x: x.clone(),
    "item": lambda x: x.sum().item(),
    "tolist": lambda x: x.tolist(),
    "allclose": lambda x: t.allclose(x, x),
    "isnan": lambda x: t.isnan(x).any(),
    "eq_all": lambda x: (x == x).all(),
    "nonzero": lambda x: (x > 0).nonzero(),
    "unique": lambda x: t.tensor([3, 1, 3], device=x.device).unique(),
    "std_mean": lambda x: x.std(),
    "logsumexp": lambda x: x.logsumexp(1),
    "round_dec": lambda x: x.round(decimals=1),
    "sign": lambda x: x.sign(),
    "chunk": lambda x: x.chunk(2, 1)[1],
    "split": lambda x: x.split([2, 3], 1)[1],
    "roll": lambda x: x.roll(1, 0),
    "repeat_interleave": lambda x: x.repeat_interleave(2, dim=0),
    "expand_as": lambda x: x[0].expand_as(x).contiguous(),
    "view_as": lambda x: x.view(20).view_as(x),
    "masked_select": lambda x: x.masked_select(x > 0),
    "to_int": lambda x: (x * 3).long(),
    "to_bool": lambda x: x.bool(),
    "int_div": lambda x: (x * 10).long() // 3,
    "float_mod": lambda x: x % 0.7,
    "int_pow": lambda x: (x * 3).long() ** 2,
    "bmm": lambda x: t.bmm(x[None], x.t()[None]),
    "addmm": lambda x: t.addmm(x[:, :4], x, x.t()[:, :4]),
    "softmax_neg": lambda x: x.softmax(-1),
    "cross_entropy": lambda x: F.cross_entropy(x, t.tensor([0, 1, 2, 3], device=x.device)),
    "mse": lambda x: F.mse_loss(x, t.zeros_like(x)),
    "normalize": lambda x: F.normalize(x, dim=1),
    "cosine": lambda x: F.cosine_similarity(x, x.flip(0)),
    "dropout_eval": lambda x: F.dropout(x, 0.5, training=False),
    "one_hot": lambda x: F.one_hot(t.tensor([0, 2], device=x.device), 3),
    "arange_dev": lambda x: t.arange(5, device=x.device) * 2,
    "linspace_dev": lambda x: t.linspace(0, 1, 5, device=x.device),
    "eye_dev": lambda x: t.eye(3, device=x.device),
    "zeros_like": lambda x: t.zeros_like(x) + 1,
    "full_like": lambda x: t.full_like(x, 2.0),
    "rand_like": lambda x: t.rand_like(x).shape,
    "randn_dev": lambda x: t.randn(3, device=x.device).shape,
    "stack": lambda x: t.stack([x, x]),
    "cat_dim1": lambda x: t.cat([x, x], 1),
    "hstack": lambda x: t.hstack([x, x]),
    "minimum": lambda x: t.minimum(x, x.flip(0)),
    "sum_int": lambda x: (x > 0).sum(),
    "mean_dims": lambda x: x.mean((0, 1)),
    "var_dims": lambda x: x.var(1, keepdim=True),
    "prod": lambda x: x.prod(1),
    "clamp_tensor": lambda x: x.clamp(min=x.flip(0)),
    "amax2": lambda x: x.amax((0, 1)),
    "any": lambda x: (x > 2).any(1),
    "all": lambda x: (x > -5).all(),
    "detach_": lambda x: x.detach().numpy() if x.device.type == "cpu" else x.detach().cpu().numpy(),
    "float_from_int": lambda x: (x > 0).float().mean(),
}


def _host(r):
    if isinstance(r, ar.Tensor):
        assert r.device.type in ("cpu", "cuda", "wgpu")
        return r.detach().cpu().numpy()
    return r


@pytest.mark.parametrize("name", sorted(TENSOR_API))
def test_tensor_api_on_devices(name):
    results = []
    for dev in ("cpu", "cuda"):
        ar.manual_seed(0)
        x = ar.randn(4, 5).to(dev)
        r = TENSOR_API[name](x)
        if isinstance(r, ar.Tensor) and dev == "cuda":
            assert r.is_cuda, f"{name}: the result left the GPU"
        results.append(_host(r))
    np.testing.assert_allclose(np.asarray(results[1], dtype=float), np.asarray(results[0], dtype=float), rtol=1e-4, atol=1e-5, equal_nan=True)
