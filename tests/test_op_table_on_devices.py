"""The op table of test_ops.py (every differentiable op, its functional
forms and losses, matmul shapes) and the nn layer table, run on every device:
float32 results and gradients on the GPU equal the CPU's within float32
tolerance. (test_ops.py checks the CPU itself against NumPy and finite
differences in float64.)

Skips without a wgpu adapter unless AUTORUST_REQUIRE_GPU is set (CI), like
test_gpu.py.
"""

import os

import numpy as np
import pytest

import autorust as ar
from test_ops import BINARY_CASES, FUNCTIONAL, MATMUL_SHAPES, UNARY, _data

if not ar.wgpu.is_available():
    if os.environ.get("AUTORUST_REQUIRE_GPU"):
        raise RuntimeError("AUTORUST_REQUIRE_GPU is set but no wgpu adapter is available (install mesa-vulkan-drivers libvulkan1)")
    pytest.skip("no wgpu adapter: install a Vulkan driver (apt-get install mesa-vulkan-drivers libvulkan1) to run the GPU tests", allow_module_level=True)

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
    ("Sequential_cnn", lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3)), [(2, 1, 4, 4)]),
    ("pad_constant", lambda: Lambda(lambda x: F.pad(x, (1, 2, 0, 1), value=0.5)), [(2, 3, 4)]),
    ("pad_reflect", lambda: Lambda(lambda x: F.pad(x, (2, 1), mode="reflect")), [(2, 3, 4)]),
    ("pad_replicate", lambda: Lambda(lambda x: F.pad(x, (1, 2, 2, 0), mode="replicate")), [(1, 2, 3, 4)]),
    ("pad_circular", lambda: Lambda(lambda x: F.pad(x, (1, 1), mode="circular")), [(2, 3, 4)]),
    ("MSELoss", lambda: Lambda(lambda x, y: nn.MSELoss()(x, y)), [(3, 4), (3, 4)]),
    ("L1Loss_sum", lambda: Lambda(lambda x, y: nn.L1Loss(reduction="sum")(x, y)), [(3, 4), (3, 4)]),
    ("SmoothL1Loss", lambda: Lambda(lambda x, y: nn.SmoothL1Loss(beta=0.5)(x, y)), [(3, 4), (3, 4)]),
    ("HuberLoss_none", lambda: Lambda(lambda x, y: nn.HuberLoss(reduction="none", delta=0.7)(x, y)), [(3, 4), (3, 4)]),
    ("CrossEntropyLoss", lambda: Lambda(lambda x: nn.CrossEntropyLoss()(x, _target_like(x, [0, 3, 1]))), [(3, 4)]),
    ("CrossEntropyLoss_weight_ignore_smooth", lambda: Lambda(lambda x: nn.CrossEntropyLoss(weight=ar.tensor([1.0, 2.0, 0.5, 1.5], device=x.device), ignore_index=1, label_smoothing=0.1)(x, _target_like(x, [0, 3, 1]))), [(3, 4)]),
    ("CrossEntropyLoss_probs", lambda: Lambda(lambda x, p: nn.CrossEntropyLoss()(x, p.softmax(1))), [(3, 4), (3, 4)]),
    ("CrossEntropyLoss_4d", lambda: Lambda(lambda x: nn.CrossEntropyLoss()(x, _target_like(x, [[[0, 2], [1, 1]]]))), [(1, 3, 2, 2)]),
    ("NLLLoss", lambda: Lambda(lambda x: nn.NLLLoss(reduction="sum")(x.log_softmax(1), _target_like(x, [2, 0, 1]))), [(3, 4)]),
    ("BCELoss", lambda: Lambda(lambda x, y: nn.BCELoss()(x.sigmoid(), y.sigmoid())), [(3, 4), (3, 4)]),
    ("BCEWithLogitsLoss_pos_weight", lambda: Lambda(lambda x, y: nn.BCEWithLogitsLoss(pos_weight=ar.tensor([1.0, 2.0, 0.5, 3.0], device=x.device))(x, y.sigmoid())), [(3, 4), (3, 4)]),
    ("KLDivLoss", lambda: Lambda(lambda x, y: nn.KLDivLoss(reduction="batchmean")(x.log_softmax(1), y.softmax(1))), [(3, 4), (3, 4)]),
    ("one_hot_embedding", lambda: Lambda(lambda x: F.embedding(_target_like(x, [[0, 2], [1, 0]]), x)), [(3, 4)]),
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

