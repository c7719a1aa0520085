"""The wgpu device against the CPU: transfers, elementwise ops, reductions,
matmul and gradients give the CPU's results within float32 tolerance.

CI installs Mesa's lavapipe (a Vulkan device on the CPU) and sets
AUTORUST_REQUIRE_GPU=1, which turns a missing adapter into a failure. On a
machine without a Vulkan driver these tests skip, saying how to enable them.
"""

import os

import numpy as np
import pytest
from gpu_guard import require_wgpu
from test_parity_hunt import DIVISIONS, _division_operands, assert_same_bits

import autorust as torch

require_wgpu(torch)

GPU = "wgpu"


def close(gpu_t, cpu_t, rtol=1e-5, atol=1e-5):
    assert gpu_t.is_cuda and not cpu_t.is_cuda
    assert tuple(gpu_t.shape) == tuple(cpu_t.shape)
    assert gpu_t.dtype == cpu_t.dtype
    np.testing.assert_allclose(gpu_t.detach().cpu().numpy(), cpu_t.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True)


def test_device_names_and_aliases():
    assert torch.wgpu.is_available() and torch.wgpu.device_count() == 1
    # cuda.is_available() is for hardware GPUs: lavapipe (type "cpu") answers
    # False, so "cuda if available else cpu" scripts take PyTorch's CPU path here
    assert torch.cuda.is_available() == (torch.wgpu.get_device_type() != "cpu")
    # torch.accelerator, as the tutorials pick their device, answers alike
    assert torch.accelerator.is_available() == torch.cuda.is_available()
    assert torch.accelerator.device_count() == torch.cuda.device_count()
    assert torch.accelerator.current_accelerator() == torch.device("cuda")
    assert torch.accelerator.current_accelerator(check_available=True) == (torch.device("cuda") if torch.cuda.is_available() else None)
    assert torch.accelerator.current_device_index() == 0
    with pytest.raises(RuntimeError, match="one accelerator"):
        torch.accelerator.set_device_index(1)
    assert "Vulkan" in torch.wgpu.get_device_name() or os.environ.get("AUTORUST_WGPU_BACKEND")
    named = [
        ("wgpu", "wgpu"),
        ("wgpu:0", "wgpu"),
        ("gpu", "wgpu"),
        ("cuda", "cuda"),
        ("cuda:0", "cuda"),
        (torch.device("cuda", 0), "cuda"),
        (0, "cuda"),
    ]
    for name, shown in named:
        t = torch.ones(2, device=name)
        # one device under both names; it reports the family last named
        assert t.is_cuda and t.device == torch.device("wgpu", 0) == torch.device("cuda", 0)
        assert repr(t.device) == f"device(type='{shown}', index=0)" and t.device.type == shown
    assert repr(torch.tensor([1.0, 2.0]).cuda()) == "tensor([1., 2.], device='cuda:0')"
    assert str(torch.ones(1).cuda().device) == "cuda:0" and torch.get_default_device() == torch.device("cpu")
    assert repr(torch.ones(1).to("wgpu")) == "tensor([1.], device='wgpu:0')"
    with pytest.raises(RuntimeError, match="does not exist"):
        torch.ones(1).cuda(1)
    with pytest.raises(RuntimeError, match="does not exist"):
        torch.ones(1, device="cuda:1")


def test_round_trips_keep_values_and_dtypes():
    for t in (torch.randn(3, 4), torch.arange(-5, 7), torch.tensor([True, False, True]), torch.randn(4, 3).t()[1:]):
        g = t.to("cuda")
        assert g.dtype == t.dtype and g.tolist() == t.tolist()
        assert torch.equal(g.cpu(), t)
    assert torch.ones(0, 3, device=GPU).cpu().shape == (0, 3)


def test_refusals_are_clear_errors():
    with pytest.raises(RuntimeError, match="float64"):
        torch.ones(2, dtype=torch.float64).cuda()
    with pytest.raises(RuntimeError, match="32-bit"):
        torch.tensor([2**40]).cuda()
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        torch.ones(2).cuda() + torch.ones(2)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        torch.ones(2, 2).cuda() @ torch.ones(2, 2)
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        torch.ones(2).cuda().numpy()
    with pytest.raises(RuntimeError, match="matmul on int64 and int64 is not implemented on the wgpu device"):
        torch.ones(2, 3, dtype=torch.int64).cuda() @ torch.ones(3, 2, dtype=torch.int64).cuda()
    with pytest.raises(RuntimeError, match="float64"):
        torch.zeros(3, dtype=torch.float64, device="cuda")


UNARY = [
    "neg",
    "abs",
    "sign",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sigmoid",
    "relu",
    "reciprocal",
    "floor",
    "ceil",
    "round",
    "trunc",
    "erf",
]


@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_cpu(name):
    torch.manual_seed(0)
    x = torch.randn(37, 11) * 3
    if name in ("log", "sqrt", "rsqrt"):
        x = x.abs() + 0.1
    if name == "log1p":
        x = x.abs()
    for view in (x, x.t(), x[::2, 3:]):
        close(getattr(view.cuda(), name)(), getattr(view, name)(), rtol=2e-5, atol=2e-6)


def test_scalar_unaries_match_cpu():
    x = torch.linspace(-3, 3, 101)
    close(x.cuda() ** 2, x**2)
    close(x.cuda() ** 3, x**3)
    close(2 ** x.cuda(), 2**x)
    close(x.cuda().clamp(-1, 0.5), x.clamp(-1, 0.5))
    close(x.cuda().clamp(min=0.2), x.clamp(min=0.2))
    close(x.cuda().clamp(max=-0.2), x.clamp(max=-0.2))
    close(torch.nn.functional.softplus(x.cuda()), torch.nn.functional.softplus(x))


BINARY = ["add", "sub", "mul", "div", "pow", "atan2", "maximum", "minimum", "floor_divide", "remainder", "eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcast_and_strided_match_cpu(name):
    torch.manual_seed(1)
    a = torch.randn(5, 1, 7) * 2
    b = torch.randn(6, 1).expand(6, 7).t()[:, :4].t().reshape(4, 7)[None, :, :].expand(5, 4, 7)
    if name == "pow":
        a = a.abs() + 0.5
    if name in ("eq", "ne", "le", "ge"):
        b = torch.where(torch.rand(5, 4, 7) > 0.5, a.expand(5, 4, 7), b)
    close(getattr(a.cuda(), name)(b.cuda()), getattr(a, name)(b), rtol=3e-5, atol=3e-6)


def test_python_scalars_mix_with_gpu_tensors():
    x = torch.randn(4, 5)
    close(x.cuda() * 2 + 1, x * 2 + 1)
    close(3 - x.cuda(), 3 - x)
    close(x.cuda() / torch.tensor(4.0), x / 4)


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "prod"])
def test_reductions_match_cpu(op):
    torch.manual_seed(2)
    x = torch.randn(6, 9, 5) * (0.5 if op == "prod" else 1.0)
    for dims in ((), (0,), (1,), (2,), (0, 2), (1, 2)):
        for view in (x, x.transpose(0, 2)):
            if op == "prod":
                if len(dims) > 1:
                    continue
                args = (dims[0],) if dims else ()
            else:
                args = (dims,) if dims else ()
            close(getattr(view.cuda(), op)(*args), getattr(view, op)(*args), rtol=1e-4, atol=1e-5)
    close(x.cuda().sum((0, 2), keepdim=True), x.sum((0, 2), keepdim=True), rtol=1e-5, atol=1e-5)


def test_reductions_are_deterministic_and_fold_large_grids():
    torch.manual_seed(3)
    x = torch.randn(300_000).cuda()
    first = x.sum().cpu()
    for _ in range(3):
        assert torch.equal(x.sum().cpu(), first)
    np.testing.assert_allclose(first.item(), x.cpu().double().sum().item(), rtol=1e-5)
    # 70,000 outputs: one workgroup each, past the 65,535 per-dimension limit
    y = torch.randn(70_000, 3)
    close(y.cuda().sum(1), y.sum(1))
    close(y.cuda().amax(1), y.amax(1))


def test_large_elementwise_dispatch_folds_into_2d():
    n = 256 * 65_535 + 777
    x = torch.ones(n, device=GPU) * 2
    assert x.sum().item() == pytest.approx(2.0 * n, rel=1e-6)
    tail = x.cpu().numpy()[-300:]
    assert (tail == 2.0).all()


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 5, 2), (64, 64, 64), (65, 130, 67), (2, 100, 3)])
def test_matmul_matches_cpu(shape):
    m, k, n = shape
    torch.manual_seed(4)
    a, b = torch.randn(m, k), torch.randn(k, n)
    close(a.cuda() @ b.cuda(), a @ b, rtol=1e-4, atol=1e-4)
    close(b.t().cuda().t() @ a.t().cuda().t() if m == n else a.cuda() @ b.cuda(), b.t().t() @ a.t().t() if m == n else a @ b, rtol=1e-4, atol=1e-4)


def test_batched_and_transposed_matmul_match_cpu():
    torch.manual_seed(5)
    a, b = torch.randn(7, 33, 20), torch.randn(7, 41, 20)
    close(a.cuda() @ b.cuda().transpose(1, 2), a @ b.transpose(1, 2), rtol=1e-4, atol=1e-4)
    v = torch.randn(20)
    close(a.cuda() @ v.cuda(), a @ v, rtol=1e-4, atol=1e-4)


def test_gradients_match_cpu():
    torch.manual_seed(6)
    w_cpu = torch.randn(8, 5, requires_grad=True)
    x = torch.randn(16, 8)

    def run(w, x):
        h = (x @ w).tanh()
        return ((h * h).sum(1) / 3 + h.exp().mean()).sum()

    run(w_cpu, x).backward()
    w_gpu = w_cpu.detach().cuda().requires_grad_()
    loss = run(w_gpu, x.cuda())
    assert loss.is_cuda
    loss.backward()
    assert w_gpu.grad.is_cuda
    close(w_gpu.grad, w_cpu.grad, rtol=1e-4, atol=1e-5)


def test_gradient_flows_back_across_devices():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x.to("cuda:0") ** 2).sum()
    y.backward()
    assert not x.grad.is_cuda and x.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]


def test_seed_000_walkthrough_on_cuda0():
    # ../shared/seeds: x = ones(2, 2, requires_grad), y = x + 2, z = y*y*3,
    # out = z.mean(); PyTorch prints out = 27 and x.grad = 4.5 everywhere
    x = torch.ones(2, 2, requires_grad=True, device="cuda:0")
    y = x + 2
    z = y * y * 3
    out = z.mean()
    assert out.item() == 27.0
    out.backward()
    assert x.grad.is_cuda and x.grad.tolist() == [[4.5, 4.5], [4.5, 4.5]]


def test_ops_are_batched_into_few_submissions():
    x = torch.randn(32, 32).cuda()
    torch.wgpu.synchronize()
    before = torch.wgpu.stats()
    y = x
    for _ in range(20):
        y = (y @ x).tanh() + 1
    mid = torch.wgpu.stats()
    assert mid["dispatches"] - before["dispatches"] >= 60
    assert mid["submissions"] - before["submissions"] <= 1
    y.cpu()
    assert torch.wgpu.stats()["submissions"] - before["submissions"] <= 2


def test_pool_reuses_buffers_and_memory_is_released():
    torch.wgpu.synchronize()
    base = torch.wgpu.memory_allocated()
    for _ in range(50):
        t = torch.ones(1000, device=GPU) * 3
    del t
    assert torch.wgpu.memory_allocated() == base
    s = torch.wgpu.stats()
    assert s["pool_hits"] > s["pool_misses"]
    torch.wgpu.empty_cache()
    assert torch.wgpu.stats()["bytes_cached"] == 0


def test_module_to_cuda_keeps_parameters_and_matches_cpu():
    torch.manual_seed(7)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    ref = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    ref.load_state_dict(net.state_dict())
    w = net[0].weight
    net.to("cuda")
    assert net[0].weight is w and w.is_cuda and isinstance(w, torch.nn.Parameter)
    x = torch.randn(10, 6)
    out, expect = net(x.cuda()), ref(x)
    close(out, expect, rtol=1e-4, atol=1e-5)
    ((out - 1) ** 2).mean().backward()
    ((expect - 1) ** 2).mean().backward()
    for p, q in zip(net.parameters(), ref.parameters()):
        close(p.grad, q.grad, rtol=1e-4, atol=1e-5)
    net.cpu()
    assert not net[0].weight.is_cuda and net[0].weight is w


OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
]


@pytest.mark.parametrize("name,kw", OPTIMIZERS)
def test_fused_optimizer_steps_match_cpu(name, kw):
    torch.manual_seed(8)
    start = torch.randn(40, 7)
    grads = [torch.randn(40, 7) for _ in range(4)]
    results = []
    for dev in ("cpu", GPU):
        p = torch.nn.Parameter(start.clone().to(dev))
        opt = getattr(torch.optim, name)([p], **kw)
        for g in grads:
            p.grad = g.to(dev)
            opt.step()
        results.append(p.detach())
    assert results[1].is_cuda
    close(results[1], results[0], rtol=1e-5, atol=1e-6)


def test_mlp_trains_on_the_gpu_like_on_the_cpu():
    torch.manual_seed(9)
    x, y = torch.randn(64, 10), torch.randn(64, 1)
    losses = {}
    for dev in ("cpu", GPU):
        torch.manual_seed(10)
        net = torch.nn.Sequential(torch.nn.Linear(10, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1)).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=0.01)
        xs, ys = x.to(dev), y.to(dev)
        losses[dev] = []
        for _ in range(20):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(xs), ys)
            loss.backward()
            opt.step()
            losses[dev].append(loss.item())
    np.testing.assert_allclose(losses[GPU], losses["cpu"], rtol=1e-4)
    assert losses[GPU][-1] < 0.7 * losses[GPU][0]


@pytest.mark.parametrize("log", [False, True])
def test_softmax_family_matches_cpu(log):
    torch.manual_seed(11)
    x = torch.randn(4, 300, 5) * 4
    for dim in (0, 1, 2, -1):
        for view in (x, x.transpose(0, 2)):
            fn = "log_softmax" if log else "softmax"
            close(getattr(view.cuda(), fn)(dim), getattr(view, fn)(dim), rtol=1e-5, atol=1e-6)
    # gradients through the composite backward on the GPU
    w = torch.randn(6, 9, requires_grad=True)
    wg = w.detach().cuda().requires_grad_()
    fn = torch.log_softmax if log else torch.softmax
    (fn(w, 1) * torch.arange(9.0)).sum().backward()
    (fn(wg, 1) * torch.arange(9.0).cuda()).sum().backward()
    close(wg.grad, w.grad, rtol=1e-4, atol=1e-6)


INT_BINARY = [
    "add",
    "sub",
    "mul",
    "maximum",
    "minimum",
    "floor_divide",
    "remainder",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
]


@pytest.mark.parametrize("name", INT_BINARY)
def test_int64_ops_match_cpu(name):
    a = torch.arange(-12, 12).reshape(4, 6)
    b = torch.tensor([[3], [-5], [7], [2]])
    expect = getattr(a, name)(b)
    got = getattr(a.cuda(), name)(b.cuda())
    assert got.is_cuda and got.dtype == expect.dtype and got.tolist() == expect.tolist()


def test_bool_ops_where_and_any_all():
    a = torch.tensor([[True, False, True], [False, False, True]])
    b = torch.tensor([True, False, False])
    for name in ("logical_and", "logical_or", "logical_xor", "eq", "ne"):
        assert getattr(a.cuda(), name)(b.cuda()).tolist() == getattr(a, name)(b).tolist()
    assert (~a.cuda()).tolist() == (~a).tolist()
    assert a.cuda().any().item() and not a.cuda().all().item()
    assert a.cuda().any(1).tolist() == a.any(1).tolist() and a.cuda().all(0).tolist() == a.all(0).tolist()
    x, y = torch.randn(2, 3), torch.randn(3)
    close(torch.where(a.cuda(), x.cuda(), y.cuda()), torch.where(a, x, y))
    close(torch.where(a.cuda(), x.cuda(), 0.0), torch.where(a, x, 0.0))
    i = torch.arange(6).reshape(2, 3)
    assert torch.where(a.cuda(), i.cuda(), -1).tolist() == torch.where(a, i, -1).tolist()


def test_gather_and_index_select_match_cpu():
    torch.manual_seed(12)
    x = torch.randn(5, 7)
    idx = torch.randint(0, 7, (5, 3))
    close(x.cuda().gather(1, idx.cuda()), x.gather(1, idx))
    close(x.t().cuda().gather(0, idx.t().cuda()), x.t().gather(0, idx.t()))
    rows = torch.tensor([4, 0, 0, 2])
    close(x.cuda().index_select(0, rows.cuda()), x.index_select(0, rows))
    close(x.cuda()[rows.cuda()], x[rows])


@pytest.mark.parametrize("kw", [{}, {"ignore_index": 2}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.1}])
def test_cross_entropy_and_its_gradient_match_cpu(kw):
    torch.manual_seed(13)
    x = torch.randn(12, 6, requires_grad=True)
    y = torch.randint(0, 6, (12,))
    w = torch.rand(6)
    for weight in (None, w):
        x.grad = None
        xg = x.detach().cuda().requires_grad_()
        loss = torch.nn.functional.cross_entropy(x, y, weight=weight, **kw)
        lg = torch.nn.functional.cross_entropy(xg, y.cuda(), weight=None if weight is None else weight.cuda(), **kw)
        close(lg, loss, rtol=1e-5, atol=1e-6)
        loss.sum().backward()
        lg.sum().backward()
        close(xg.grad, x.grad, rtol=1e-4, atol=1e-6)
    # a bad target is caught by a device-side check and raised at the next
    # synchronisation (as CUDA's device-side asserts), not by a readback per call
    bad = torch.nn.functional.cross_entropy(x.detach().cuda(), torch.tensor([6] * 12).cuda())
    with pytest.raises(RuntimeError, match="a target is out of bounds"):
        bad.item()
    assert np.isfinite(torch.nn.functional.cross_entropy(x.detach().cuda(), y.cuda()).item())  # the device goes on


@pytest.mark.parametrize(
    "kw", [dict(), dict(stride=2, padding=1), dict(padding=2, dilation=2), dict(groups=2, padding=1), dict(stride=(2, 1), padding=(0, 1))]
)
def test_conv2d_and_its_gradients_match_cpu(kw):
    torch.manual_seed(14)
    x = torch.randn(3, 4, 9, 8, requires_grad=True)
    w = torch.randn(6, 4 // kw.get("groups", 1), 3, 3, requires_grad=True)
    b = torch.randn(6, requires_grad=True)
    xg, wg, bg = (t.detach().cuda().requires_grad_() for t in (x, w, b))
    out = torch.nn.functional.conv2d(x, w, b, **kw)
    og = torch.nn.functional.conv2d(xg, wg, bg, **kw)
    close(og, out, rtol=1e-4, atol=1e-4)
    assert og.grad_fn.name() == "ConvolutionBackward0"
    gout = torch.randn(*out.shape)
    out.backward(gout)
    og.backward(gout.cuda())
    for a, c in ((xg, x), (wg, w), (bg, b)):
        close(a.grad, c.grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=3, stride=2, ceil_mode=True),
        dict(kernel_size=2, stride=1, dilation=2),
    ],
)
def test_pooling_and_gradients_match_cpu(kw):
    torch.manual_seed(15)
    x = torch.randn(2, 3, 9, 7, requires_grad=True)
    x.data[0, 0, :2, :2] = 1.0  # ties: the first tap wins on both devices
    xg = x.detach().cuda().requires_grad_()
    out, idx = torch.nn.functional.max_pool2d(x, return_indices=True, **kw)
    og, ig = torch.nn.functional.max_pool2d(xg, return_indices=True, **kw)
    close(og, out)
    assert ig.is_cuda and ig.tolist() == idx.tolist()
    gout = torch.randn(*out.shape)
    out.backward(gout)
    og.backward(gout.cuda())
    close(xg.grad, x.grad)
    avg = dict(kernel_size=kw["kernel_size"], stride=kw.get("stride"), padding=kw.get("padding", 0))
    x.grad, xg.grad = None, None
    torch.nn.functional.avg_pool2d(x, **avg).sum().backward()
    torch.nn.functional.avg_pool2d(xg, **avg).sum().backward()
    close(xg.grad, x.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), divisor_override=-3),
    ],
)
def test_avg_pool_divisor_modes_match_cpu(kw):
    torch.manual_seed(17)
    x = torch.randn(2, 3, 9, 7, requires_grad=True)
    xg = x.detach().cuda().requires_grad_()
    out, og = torch.nn.functional.avg_pool2d(x, **kw), torch.nn.functional.avg_pool2d(xg, **kw)
    assert og.is_cuda and og.grad_fn.name() == "AvgPool2DBackward0"
    close(og, out, rtol=1e-5, atol=1e-6)
    gout = torch.randn(*out.shape)
    out.backward(gout)
    og.backward(gout.cuda())
    close(xg.grad, x.grad, rtol=1e-5, atol=1e-6)


def test_argmax_max_and_cat_on_the_gpu():
    torch.manual_seed(16)
    x = torch.randn(5, 8)
    assert x.cuda().argmax(1).is_cuda and x.cuda().argmax(1).tolist() == x.argmax(1).tolist()
    assert x.cuda().argmax().item() == x.argmax().item()
    v, i = x.cuda().max(0)
    close(v, x.max(0).values)
    assert i.tolist() == x.max(0).indices.tolist()
    y = torch.randn(5, 3)
    close(torch.cat([x.cuda(), y.cuda()], 1), torch.cat([x, y], 1))
    close(torch.stack([x.cuda(), x.cuda() * 2]), torch.stack([x, x * 2]))
    pred = x.cuda().argmax(1)
    assert (pred == pred).sum().item() == 5


def test_small_cnn_trains_on_the_gpu_like_on_the_cpu():
    torch.manual_seed(17)
    x, y = torch.randn(16, 1, 12, 12), torch.randint(0, 4, (16,))
    losses = {}
    for dev in ("cpu", GPU):
        torch.manual_seed(18)
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(4 * 6 * 6, 4),
        ).to(dev)
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        losses[dev] = []
        for _ in range(8):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x.to(dev)), y.to(dev))
            loss.backward()
            opt.step()
            losses[dev].append(loss.item())
    np.testing.assert_allclose(losses[GPU], losses["cpu"], rtol=2e-4, atol=1e-5)


def test_the_demo_trains_on_the_gpu_with_the_cpus_numbers():
    import io

    from autorust import demo

    runs = {}
    for dev in ("cpu", "cuda"):
        history, net = demo.train("cnn", epochs=1, train_size=256, test_size=128, device=dev, progress=False, out=io.StringIO())
        runs[dev] = history
        assert next(net.parameters()).is_cuda == (dev == "cuda")
    np.testing.assert_allclose(runs["cuda"]["loss"], runs["cpu"]["loss"], rtol=1e-4)
    assert runs["cuda"]["test_acc"] == runs["cpu"]["test_acc"]
    # auto leaves a software device (lavapipe) out; a hardware GPU is picked
    expected = "cpu" if torch.wgpu.get_device_type() == "cpu" else "cuda"
    assert demo.pick_device("auto") == expected


def test_scatter_index_add_and_indexing_gradients_match_cpu():
    torch.manual_seed(19)
    x = torch.randn(6, 5, requires_grad=True)
    xg = x.detach().cuda().requires_grad_()
    idx = torch.tensor([[0, 1, 1], [4, 4, 4], [2, 0, 3], [1, 1, 0], [3, 3, 3], [0, 0, 0]])
    rows = torch.tensor([5, 0, 5, 2])
    g = torch.randn(6, 3)
    (x.gather(1, idx) * g).sum().backward()
    (xg.gather(1, idx.cuda()) * g.cuda()).sum().backward()
    close(xg.grad, x.grad, rtol=1e-5, atol=1e-6)
    x.grad, xg.grad = None, None
    (x[rows] ** 2).sum().backward()
    (xg[rows.cuda()] ** 2).sum().backward()
    close(xg.grad, x.grad, rtol=1e-5, atol=1e-6)
    # out of place and in place scatters on the device
    src = torch.randn(6, 3)
    base = torch.zeros(6, 5)
    close(base.cuda().scatter_add(1, idx.cuda(), src.cuda()), base.scatter_add(1, idx, src))
    close(base.cuda().scatter(1, idx.cuda(), src.cuda()), base.scatter(1, idx, src))
    close(base.cuda().index_add(0, rows.cuda(), torch.ones(4, 5).cuda()), base.index_add(0, rows, torch.ones(4, 5)))
    emb_cpu = torch.nn.Embedding(7, 3)
    emb = torch.nn.Embedding(7, 3).cuda()
    emb.load_state_dict(emb_cpu.state_dict())
    tokens = torch.tensor([[1, 2, 1], [6, 1, 0]])
    (emb_cpu(tokens) ** 2).sum().backward()
    (emb(tokens.cuda()) ** 2).sum().backward()
    close(emb.weight.grad, emb_cpu.weight.grad, rtol=1e-5, atol=1e-6)


def test_nan_follows_the_cpu_rules():
    # WGSL may assume floats are never NaN (on lavapipe `x != x` is false for
    # a NaN), so the kernels test NaN on the bits; these are PyTorch's rules
    x = torch.tensor([[float("nan"), -1.0, 2.0, 0.5], [0.0, 3.0, -2.0, 1.0]])
    y = torch.tensor([1.0, float("nan"), 0.0, 0.5])
    g = x.cuda()
    for f in (
        torch.relu,
        lambda t: t.clamp(-1.5, 1.5),
        lambda t: t.clamp(min=0.0),
        lambda t: torch.maximum(t, y.to(t.device)),
        lambda t: torch.minimum(t, y.to(t.device)),
        lambda t: t != y.to(t.device),
        lambda t: t == y.to(t.device),
        lambda t: t < y.to(t.device),
        lambda t: t.bool(),
        lambda t: t.amax(dim=1),
        lambda t: t.amin(dim=0),
        lambda t: t.max(),
        lambda t: torch.softmax(t, dim=1),
        lambda t: torch.log_softmax(t, dim=0),
        lambda t: torch.nn.functional.max_pool2d(t.reshape(1, 1, 2, 4), 2),
    ):
        close(f(g), f(x))


def test_cumsum_matches_cpu_bitwise():
    # one thread per row adds in the CPU's order: bitwise the CPU's sums
    x = torch.randn(5, 300, 3).transpose(0, 1)[:, 1:]  # strided
    for d in range(3):
        g = x.cuda().cumsum(d)
        assert torch.equal(g.cpu(), x.cumsum(d))
    ints = torch.randint(-5, 5, (4, 6))
    assert torch.equal(ints.cuda().cumsum(1).cpu(), ints.cumsum(1))
    flags = torch.rand(7) > 0.5
    assert flags.cuda().cumsum(0).dtype == torch.int64 and torch.equal(flags.cuda().cumsum(0).cpu(), flags.cumsum(0))
    assert torch.equal(torch.tensor(2.5).cuda().cumsum(0).cpu(), torch.tensor(2.5))
    assert torch.ones(0, 3).cuda().cumsum(0).shape == (0, 3)
    w = torch.randn(4, 5, requires_grad=True)
    wg = w.detach().cuda().requires_grad_()
    (w.cumsum(1) * torch.arange(5.0)).sum().backward()
    (wg.cumsum(1) * torch.arange(5.0).cuda()).sum().backward()
    close(wg.grad, w.grad)


def test_adaptive_avg_pool_on_the_gpu():
    # evenly tiled windows: the native average pooling, first and second order
    x = torch.randn(2, 3, 6, 9, requires_grad=True)
    xg = x.detach().cuda().requires_grad_()
    for size in ((3, 3), (2, 1), (6, 9), (None, 3)):
        y, yg = torch.nn.functional.adaptive_avg_pool2d(x, size), torch.nn.functional.adaptive_avg_pool2d(xg, size)
        assert yg.grad_fn.name() == "AdaptiveAvgPool2DBackward0"
        close(yg, y)
        w = torch.linspace(-1, 1, y.numel()).reshape(y.shape)
        (g,) = torch.autograd.grad((y * y * w).sum(), x, create_graph=True)
        (gg_,) = torch.autograd.grad((yg * yg * w.cuda()).sum(), xg, create_graph=True)
        close(gg_, g)
        close(torch.autograd.grad((gg_ * gg_).sum(), xg)[0], torch.autograd.grad((g * g).sum(), x)[0], rtol=1e-4, atol=1e-5)


def test_cumsum_of_long_rows_runs_in_blocks():
    # rows past 4096 elements are scanned in blocks (three passes, no
    # thread walks the whole row): deterministic, within float32 rounding
    # of the exact sums, exact for integers
    torch.manual_seed(0)
    for shape, dim in (((100_003,), 0), ((3, 9000), 1), ((9000, 3), 0), ((2, 4097, 2), 1)):
        x = torch.randn(*shape)
        g = x.cuda().cumsum(dim).cpu()
        exact = np.cumsum(x.numpy().astype(np.float64), axis=dim)
        scale = np.cumsum(np.abs(x.numpy().astype(np.float64)), axis=dim)
        assert np.all(np.abs(g.numpy() - exact) <= 1e-5 * scale + 1e-6), (shape, dim)
        assert torch.equal(x.cuda().cumsum(dim).cpu(), g)  # the same sums every run
    strided = torch.randn(3, 6000).t()  # (6000, 3), dim 0 strided
    close(strided.cuda().cumsum(0), strided.cumsum(0), rtol=1e-4, atol=1e-3)
    ints = torch.randint(-1000, 1000, (2, 50_000))
    assert torch.equal(ints.cuda().cumsum(1).cpu(), ints.cumsum(1))
    flags = torch.rand(10_000) > 0.3
    assert torch.equal(flags.cuda().cumsum(0).cpu(), flags.cumsum(0))
    w = torch.randn(5000, requires_grad=True)
    wg = w.detach().cuda().requires_grad_()
    (w.cumsum(0) * torch.linspace(0, 1, 5000)).sum().backward()
    (wg.cumsum(0) * torch.linspace(0, 1, 5000).cuda()).sum().backward()
    close(wg.grad, w.grad, rtol=1e-4, atol=1e-4)


def test_validation_errors_become_exceptions_and_the_device_goes_on():
    x = torch.ones(3, device="cuda") * 2
    torch._native._wgpu_selftest_validation_error()  # a bind group missing a binding
    with pytest.raises(RuntimeError, match="wgpu error: Validation Error"):
        torch.wgpu.synchronize()
    torch.wgpu.synchronize()  # raised once
    assert (torch.ones(3, device="cuda") * 3).tolist() == [3.0, 3.0, 3.0]
    assert x.tolist() == [2.0, 2.0, 2.0]  # work flushed before the error survives


DEVICE_LOSS = """
import autorust as torch
x = torch.ones(3, device="cuda") * 2
torch._native._wgpu_selftest_lose_device({poll})
for attempt in range(2):
    try:
        (torch.ones(3, device="cuda") + 1).tolist()
        print("no error")
    except RuntimeError as e:
        print("RuntimeError:", str(e).splitlines()[0])
try:
    x.tolist()
except RuntimeError as e:
    print("RuntimeError:", str(e).splitlines()[0])
print("cpu", (torch.ones(2) * 3).tolist(), "available", torch.wgpu.is_available())
"""


@pytest.mark.parametrize("poll", [True, False], ids=["callback-ran", "before-callback"])
def test_device_loss_becomes_exceptions_not_a_crash(poll):
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", DEVICE_LOSS.format(poll=poll)], capture_output=True, text=True, timeout=120, env={**os.environ, "RUST_BACKTRACE": "0"}
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 4 and all(line.startswith("RuntimeError:") for line in lines[:3]), r.stdout
    if poll:  # the lost device is named, and refused from then on
        assert all("the GPU device was lost" in line for line in lines[:3]) and lines[3] == "cpu [3.0, 3.0] available False"
    else:  # wgpu's own failure, caught before it could become a panic in Python
        assert all("wgpu" in line for line in lines[:3]) and lines[3].startswith("cpu [3.0, 3.0]")


def test_tensors_past_the_binding_limit_are_refused():
    props = torch.cuda.get_device_properties(0)
    assert props.name and props.backend in ("Vulkan", "Metal", "Dx12")
    limit = props.max_storage_buffer_binding_size  # 128 MiB on lavapipe
    n = limit // 4 + 1024  # made on the device: nothing this size is allocated
    with pytest.raises(RuntimeError, match="exceeds this GPU's largest storage buffer binding"):
        torch.zeros(n, device="cuda")
    with pytest.raises(RuntimeError, match="exceeds this GPU's largest storage buffer binding"):
        torch.ones(n // 2 + 1, 2, device="cuda")
    if limit <= 256 * 2**20:  # a host tensor that size is cheap here: its upload is refused too
        with pytest.raises(RuntimeError, match="exceeds this GPU's largest storage buffer binding"):
            torch.zeros(n).cuda()


def test_arg_reductions_run_on_the_device():
    torch.manual_seed(4)
    x = torch.randint(-3, 4, (5, 40000)).float().t()  # ties everywhere; 40000 > one chunk
    x[7, 2] = float("nan")
    x[9, 2] = float("nan")
    xs = [x, torch.randint(-5, 5, (6, 300)), torch.randn(3, 4, 5)]
    before = torch.wgpu.stats()["submissions"]
    outs = []
    for t in xs:
        g = t.cuda()
        outs.append((g.argmax(), g.argmin(0), g.argmax(-1, keepdim=True), g.max(0), g.min(dim=1, keepdim=True)))
    assert torch.wgpu.stats()["submissions"] == before  # nothing read back
    for t, (a, b, c, mx, mn) in zip(xs, outs):
        assert a.is_cuda and torch.equal(a.cpu(), t.argmax())
        assert torch.equal(b.cpu(), t.argmin(0)) and torch.equal(c.cpu(), t.argmax(-1, keepdim=True))
        assert torch.equal(mx.indices.cpu(), t.max(0).indices) and torch.equal(mn.indices.cpu(), t.min(dim=1, keepdim=True).indices)
        close(mx.values, t.max(0).values, 0, 0)
        close(mn.values, t.min(dim=1, keepdim=True).values, 0, 0)
    # the gradient of max(dim) goes to the chosen elements, as on the CPU
    w = torch.randn(4, 6, requires_grad=True)
    wg = w.detach().cuda().requires_grad_()
    w.max(1).values.sum().backward()
    wg.max(1).values.sum().backward()
    close(wg.grad, w.grad)


def test_an_mlp_training_step_is_one_submission():
    torch.manual_seed(9)
    model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 5)).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(16, 20).cuda(), torch.randint(0, 5, (16,)).cuda()
    losses = []
    for step in range(3):
        before = torch.wgpu.stats()["submissions"]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())  # the one readback; the target check rides along
        assert torch.wgpu.stats()["submissions"] - before == 1
    assert losses[2] < losses[0]


def test_long_chains_cross_batches_with_their_parameters():
    # more dispatches than one batch (and its parameter buffer) holds: the
    # batch is submitted mid-chain and every op still reads its own parameters
    x = torch.zeros(5, device="cuda")
    before = torch.wgpu.stats()["submissions"]
    for k in range(2500):
        x = x + (k % 7)
    assert x.tolist() == [float(sum(k % 7 for k in range(2500)))] * 5
    assert torch.wgpu.stats()["submissions"] - before >= 2


def test_sort_runs_on_the_device_stably_with_pytorchs_nan_order():
    torch.manual_seed(12)
    xs = [torch.randint(-3, 4, (3000, 4)).float(), torch.randint(-3, 4, (5, 37)), torch.rand(6, 9) > 0.5, torch.randn(2, 3, 5)]
    xs[0][[5, 17, 900], 1] = float("nan")
    before = torch.wgpu.stats()["submissions"]
    results = [(x.cuda().sort(0), x.cuda().sort(-1, descending=True), x.cuda().argsort(dim=0, descending=True)) for x in xs]
    assert torch.wgpu.stats()["submissions"] == before  # nothing read back
    # the device's sort is stable (as PyTorch's CUDA sort); the CPU's
    # default is std::sort's order, unstable past 16 elements, so compare
    # with the CPU's stable sort
    for x, (up, down, arg) in zip(xs, results):
        assert torch.equal(up.indices.cpu(), x.sort(0, stable=True).indices)
        assert torch.equal(down.indices.cpu(), x.sort(-1, descending=True, stable=True).indices)
        assert torch.equal(arg.cpu(), x.argsort(dim=0, descending=True, stable=True))
        close(up.values.float(), x.sort(0).values.float(), 0, 0)
        close(down.values.float(), x.sort(-1, descending=True).values.float(), 0, 0)
    t = torch.randn(4, 7)
    assert torch.equal(t.cuda().topk(3, dim=1).indices.cpu(), t.topk(3, dim=1).indices)
    w = torch.randn(3, 5, requires_grad=True)
    wg = w.detach().cuda().requires_grad_()
    weights = torch.arange(15.0).reshape(3, 5)
    (w.sort(0).values * weights).sum().backward()
    (wg.sort(0).values * weights.cuda()).sum().backward()
    close(wg.grad, w.grad)


def test_gpu_indices_feed_the_kernels_without_a_readback():
    torch.manual_seed(13)
    w = torch.randn(6, 3, requires_grad=True)
    wg = w.detach().cuda().requires_grad_()
    rows, pick = torch.tensor([[1, -1], [0, 3]]), torch.tensor([[0, 1, 2], [5, 4, 3]])
    ops = [
        lambda t, d: torch.nn.functional.embedding(rows.abs().to(d), t),
        lambda t, d: t.gather(0, pick.to(d)),
        lambda t, d: t.index_select(0, torch.tensor([2, 2, 0]).to(d)),
        lambda t, d: t[rows.to(d)],  # negative indices wrap
    ]
    before = torch.wgpu.stats()["submissions"]
    outs = [f(wg, "cuda") for f in ops]
    assert torch.wgpu.stats()["submissions"] == before
    for f, g in zip(ops, outs):
        close(g, f(w, "cpu"))
    assert outs[3].grad_fn.name() == "IndexBackward0"
    sum(o.sum() * (k + 1) for k, o in enumerate(outs)).backward()
    sum(f(w, "cpu").sum() * (k + 1) for k, f in enumerate(ops)).backward()
    close(wg.grad, w.grad)
    # out-of-range indices: a device-side check, raised at the next synchronisation
    bad = wg.index_select(0, torch.tensor([6]).cuda())
    with pytest.raises(RuntimeError, match="index out of range"):
        bad.cpu()
    with pytest.raises(RuntimeError, match="index out of bounds for dimension 0 with size 6"):
        wg.gather(0, torch.tensor([[0, 9, 0]]).cuda()).sum().item()
    assert wg[torch.tensor([-6]).cuda()].tolist() == wg[0:1].tolist()  # the device goes on


@pytest.mark.parametrize("name,op,ref", DIVISIONS, ids=[d[0] for d in DIVISIONS])
def test_float_division_family_is_exact_on_the_gpu(name, op, ref):
    # WGSL's % rounds the quotient; the shaders' exact_fmod does not
    x, y = _division_operands("float32")
    with np.errstate(all="ignore"):
        got = op(torch.tensor(x, device=GPU), torch.tensor(y, device=GPU)).cpu().numpy()
        assert_same_bits(got, ref(x, y))


def test_integer_fmod_on_the_gpu():
    x, y = torch.tensor([7, -7, 7, -7, 0], device=GPU), torch.tensor([3, 3, -3, -3, 5], device=GPU)
    assert torch.fmod(x, y).tolist() == [1, -1, 1, -1, 0]


def test_embedding_and_group_norm_honour_device():
    import autorust.nn as nn

    torch.manual_seed(0)
    on_gpu = nn.Embedding(4, 3, padding_idx=1, device=GPU)
    torch.manual_seed(0)
    on_cpu = nn.Embedding(4, 3, padding_idx=1)
    assert on_gpu.weight.is_cuda and on_gpu.weight.cpu().tolist() == on_cpu.weight.tolist()
    assert nn.EmbeddingBag(4, 3, device=GPU).weight.is_cuda
    norm = nn.GroupNorm(2, 4, device=GPU)
    assert norm.weight.is_cuda and norm.bias.is_cuda


def test_sign_and_abs_gradient_at_special_values_on_the_gpu():
    # PyTorch's sign is +0 for NaN and both zeros; abs's gradient is grad * sgn(x)
    x = torch.tensor([float("nan"), -0.0, 0.0, -2.0, float("inf")], device=GPU)
    y = x.sign().cpu()
    assert y.tolist() == [0.0, 0.0, 0.0, -1.0, 1.0]
    assert np.signbit(y.numpy()).tolist() == [False, False, False, True, False]
    t = torch.tensor([0.0, float("nan"), 3.0], device=GPU, requires_grad=True)
    t.abs().backward(torch.tensor([2.0, 2.0, float("inf")], device=GPU))
    assert t.grad.cpu().tolist() == [0.0, 0.0, float("inf")]


def test_volumetric_ops_on_the_gpu():
    import autorust.nn.functional as F

    torch.manual_seed(3)
    x, w = torch.randn(2, 3, 4, 5, 6), torch.randn(4, 3, 2, 3, 2)
    for f in (
        lambda x: F.conv3d(x, w.to(x.device), padding=1, stride=(2, 1, 1)),
        lambda x: F.max_pool3d(x, 2, ceil_mode=True),
        lambda x: F.avg_pool3d(x, 3, 2, 1, count_include_pad=False),
        lambda x: F.adaptive_avg_pool3d(x, (3, 2, 4)),
    ):
        close(f(x.cuda()), f(x), 1e-5, 1e-5)


def test_missing_layers_on_the_gpu():
    """CTC (computed on the host, the result and gradient back on the
    device), 3-d transposed convolution, pooling with indices and their
    inverse, adaptive and fractional max pooling: the device gives the
    CPU's results."""
    import autorust.nn.functional as F

    torch.manual_seed(4)
    lp = torch.randn(6, 3, 5).log_softmax(2)
    args = (torch.randint(1, 5, (3, 3)), torch.tensor([6, 5, 4]), torch.tensor([3, 2, 1]))
    on_cpu, on_gpu = lp.clone().requires_grad_(), lp.cuda().requires_grad_()
    loss_cpu, loss_gpu = F.ctc_loss(on_cpu, *args), F.ctc_loss(on_gpu, *args)
    loss_cpu.backward()
    loss_gpu.backward()
    close(loss_gpu, loss_cpu)
    close(on_gpu.grad, on_cpu.grad)
    x, w = torch.randn(2, 4, 3, 4, 5), torch.randn(4, 2, 2, 3, 2)
    close(F.conv_transpose3d(x.cuda(), w.cuda(), stride=2, padding=1), F.conv_transpose3d(x, w, stride=2, padding=1))
    for f in (
        lambda x: F.max_pool3d(x, 2, return_indices=True),
        lambda x: F.adaptive_max_pool3d(x, (2, 3, 2), True),
        lambda x: F.fractional_max_pool3d(
            x, 2, output_size=(2, 3, 3), return_indices=True, _random_samples=torch.full((2, 4, 3), 0.3, device=x.device)
        ),
    ):
        (vg, ig), (vc, ic) = f(x.cuda()), f(x)
        close(vg, vc)
        assert ig.cpu().tolist() == ic.tolist()
    out, idx = F.max_pool3d(x, 2, return_indices=True)
    close(F.max_unpool3d(out.cuda(), idx.cuda(), 2, output_size=x.shape[2:]), F.max_unpool3d(out, idx, 2, output_size=x.shape[2:]))


def test_new_distributions_on_the_gpu():
    """Seeded draws and densities of the distributions added for issue 14
    are the CPU's on the device (the samplers run on the host, as PyTorch's
    CUDA ones synchronise)."""
    D = torch.distributions
    results = {}
    for device in ("cpu", GPU):
        torch.manual_seed(11)
        conc = torch.tensor([0.5, 2.0, 7.0], device=device)
        g = D.Gamma(conc, torch.ones(3, device=device))
        mvn = D.MultivariateNormal(torch.zeros(2, device=device), covariance_matrix=torch.tensor([[2.0, 0.3], [0.3, 1.0]], device=device))
        x = mvn.rsample((3,))
        squashed = D.TransformedDistribution(D.Normal(torch.zeros(2, device=device), torch.ones(2, device=device)), [D.transforms.TanhTransform()])
        a = squashed.rsample((2,))
        results[device] = [
            g.sample((2,)),
            g.log_prob(conc),
            D.Dirichlet(conc).sample(),
            x,
            mvn.log_prob(x),
            a,
            squashed.log_prob(a),
            D.Poisson(conc).sample(),
            D.Multinomial(5, probs=conc / conc.sum()).sample(),
        ]
    for on_gpu, on_cpu in zip(results[GPU], results["cpu"]):
        close(on_gpu, on_cpu, 1e-5, 1e-5)


def test_polynomials_conv_tbc_and_the_new_losses_on_the_gpu():
    """The orthogonal polynomials (host numerics), conv_tbc,
    linear_cross_entropy and CrossMapLRN2d give the CPU's results on the
    device, gradients included."""
    S = torch.special
    x = torch.linspace(-1.2, 1.2, 13)
    n = torch.tensor([0.0, 1.0, 3.0, 7.0, 10.0]).reshape(-1, 1)
    for name in ("chebyshev_polynomial_t", "chebyshev_polynomial_w", "hermite_polynomial_h", "laguerre_polynomial_l", "legendre_polynomial_p"):
        close(getattr(S, name)(x.cuda(), n.cuda()), getattr(S, name)(x, n), 1e-4, 1e-4)
    positive = x.abs() * 20 + 0.1
    for f in (S.bessel_y0, S.bessel_y1):
        close(f(positive.cuda()), f(positive))
    close(S.airy_ai(x.cuda() * 10), S.airy_ai(x * 10))
    torch.manual_seed(0)
    xs, w, b = torch.randn(6, 2, 3), torch.randn(3, 3, 4), torch.randn(4)
    close(torch.conv_tbc(xs.cuda(), w.cuda(), b.cuda(), 1), torch.conv_tbc(xs, w, b, 1))
    results = {}
    for device in ("cpu", GPU):
        torch.manual_seed(1)
        inp = torch.randn(5, 6).to(device).requires_grad_()
        weight = torch.linspace(-1, 1, 24).reshape(4, 6).to(device).requires_grad_()
        loss = torch.nn.functional.linear_cross_entropy(inp, weight, torch.tensor([0, 3, 1, 2, 2], device=device), label_smoothing=0.1)
        lrn = torch.nn.CrossMapLRN2d(3, 0.3, 0.75, 2.0)(inp.reshape(1, 5, 2, 3))
        (loss + lrn.sum()).backward()
        results[device] = [loss, lrn, inp.grad, weight.grad]
    for on_gpu, on_cpu in zip(results[GPU], results["cpu"]):
        close(on_gpu, on_cpu)


def test_last_distributions_on_the_gpu():
    """The last distributions' seeded draws and densities are the CPU's on
    the device (VonMises' rejection loop and Wishart's retries included)."""
    import warnings

    D = torch.distributions
    results = {}
    for device in ("cpu", GPU):
        torch.manual_seed(12)
        cb = D.ContinuousBernoulli(torch.tensor([0.2, 0.4995, 0.9], device=device))
        vm = D.VonMises(torch.tensor([0.0, 1.0], device=device), torch.tensor([0.5, 8.0], device=device))
        lkj = D.LKJCholesky(3, torch.tensor(1.5, device=device))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wish = D.Wishart(torch.tensor(4.0, device=device), covariance_matrix=torch.tensor([[2.0, 0.3], [0.3, 1.0]], device=device))
            w = wish.sample((2,))
        y = D.transforms.StickBreakingTransform()(torch.tensor([0.3, -1.0], device=device))
        s, v, c = cb.rsample((2,)), vm.sample((3,)), lkj.sample()
        results[device] = [s, cb.log_prob(s), v, vm.log_prob(v), c, lkj.log_prob(c), w, wish.log_prob(w), y]
    for on_gpu, on_cpu in zip(results[GPU], results["cpu"]):
        close(on_gpu, on_cpu, 1e-4, 1e-4)
