"""Modules, optimizers, schedulers, data loading, checkpoints, the nn parts
of the seed tutorials, and convergence on the demo data."""

import io
import math
from collections import OrderedDict

import numpy as np
import pytest

import autorust as torch
import autorust.nn as nn
import autorust.nn.functional as F
from autorust.utils.data import DataLoader, TensorDataset, random_split

# ---- Module ----


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.block = nn.Sequential(nn.ReLU(), nn.Linear(3, 2))
        self.register_buffer("scale", torch.tensor(2.0))
        self.register_buffer("cache", torch.zeros(1), persistent=False)

    def forward(self, x):
        return self.block(self.fc1(x)) * self.scale


def test_module_registration_and_traversal():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc1.bias", "block.1.weight", "block.1.bias"]
    assert [n for n, _ in net.named_buffers()] == ["scale", "cache"]
    # own parameters and buffers first, then each child's (PyTorch's order)
    assert list(net.state_dict().keys()) == ["scale", "fc1.weight", "fc1.bias", "block.1.weight", "block.1.bias"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "block", "block.0", "block.1"]
    assert [type(m).__name__ for m in net.children()] == ["Linear", "Sequential"]
    assert isinstance(net.fc1.weight, nn.Parameter) and net.fc1.weight.requires_grad
    assert net.get_submodule("block.1") is net.block[1]
    net.extra = nn.Parameter(torch.ones(2))
    assert "extra" in dict(net.named_parameters())
    del net.extra
    assert "extra" not in dict(net.named_parameters())
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        net.nope
    with pytest.raises(TypeError, match="cannot assign"):
        net.fc1.weight = torch.ones(3, 4)


def test_module_repr_matches_pytorchs_layout():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 2))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (3): Flatten(start_dim=1, end_dim=-1)\n"
        "  (4): Linear(in_features=16, out_features=2, bias=True)\n"
        ")"
    )
    assert repr(nn.ModuleList([nn.Tanh(), nn.Tanh(), nn.ReLU()])) == "ModuleList(\n  (0-1): 2 x Tanh()\n  (2): ReLU()\n)"
    assert repr(nn.Parameter(torch.tensor([1.0, 2.0]))) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"


def test_train_eval_zero_grad_requires_grad_and_apply():
    net = Net()
    net.eval()
    assert not net.training and not net.block[1].training
    net.train()
    assert net.block.training
    net(torch.ones(2, 4)).sum().backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad()
    assert net.fc1.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Net"]
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_to_dtype_keeps_parameter_objects():
    net = Net()
    w = net.fc1.weight
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    net.to(torch.float64)
    assert net.fc1.weight is w and w.dtype == torch.float64 and net.scale.dtype == torch.float64
    out = net(torch.ones(1, 4, dtype=torch.float64))
    out.sum().backward()
    opt.step()
    with pytest.raises(RuntimeError, match="wgpu|GPU|gpu"):
        net.to("cuda")


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(torch.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy()[None] + 1, rtol=1e-6)
    assert calls == [torch.Size([1, 2])]
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(lin(torch.ones(1, 2)).detach().numpy(), F.linear(torch.ones(1, 2), lin.weight, lin.bias).detach().numpy())


def test_load_state_dict_reports_missing_and_unexpected_keys_like_pytorch():
    net = Net()
    sd = net.state_dict()
    other = Net()
    assert repr(other.load_state_dict(sd)) == "<All keys matched successfully>"
    np.testing.assert_array_equal(other.fc1.weight.detach().numpy(), net.fc1.weight.detach().numpy())
    bad = OrderedDict(sd)
    del bad["fc1.bias"]
    bad["fc1.extra"] = torch.ones(1)
    with pytest.raises(RuntimeError) as e:
        other.load_state_dict(bad)
    assert str(e.value) == (
        'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "fc1.bias". \n\tUnexpected key(s) in state_dict: "fc1.extra". '
    )
    res = other.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["fc1.extra"]
    bad = OrderedDict(sd)
    bad["fc1.weight"] = torch.ones(2, 2)
    with pytest.raises(
        RuntimeError,
        match=r"size mismatch for fc1.weight: copying a param with shape autorust.Size\(\[2, 2\]\) from checkpoint, the shape in current model is autorust.Size\(\[3, 4\]\)",
    ):
        other.load_state_dict(bad)


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[:2], nn.Sequential)
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear"] and list(seq._modules) == ["0", "1"]
    seq2 = nn.Sequential(OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert isinstance(seq2.enc, nn.Linear)
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.Linear(1, 1))
    assert len(list(ml.parameters())) == 8 and len(ml[1:]) == 3
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.ReLU()
    assert list(md.keys()) == ["a", "b"] and "a" in md
    with pytest.raises(IndexError):
        seq[5]


# ---- optimizers against NumPy implementations of the documented rules ----


def run_optimizer(make, steps=6, dtype=torch.float64):
    torch.manual_seed(0)
    model = nn.Linear(3, 2).to(dtype)
    opt = make(model.parameters())
    x, y = torch.randn(8, 3, dtype=dtype), torch.randn(8, 2, dtype=dtype)
    params0 = [p.detach().numpy().copy() for p in model.parameters()]
    grads = []
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        grads.append([p.grad.numpy().copy() for p in model.parameters()])
        opt.step()
    return params0, grads, [p.detach().numpy() for p in model.parameters()]


def reference(params0, grads, update):
    params = [p.copy() for p in params0]
    states = [dict() for _ in params]
    for t, gs in enumerate(grads, 1):
        for i, g in enumerate(gs):
            # the gradients were recorded along the autorust run; replaying
            # them checks the update rule itself
            params[i] = update(params[i], g, states[i], t)
    return params


def sgd_ref(lr, momentum=0.0, dampening=0.0, wd=0.0, nesterov=False, maximize=False):
    def update(p, g, s, t):
        g = -g if maximize else g
        g = g + wd * p
        if momentum:
            s["buf"] = g.copy() if "buf" not in s else momentum * s["buf"] + (1 - dampening) * g
            g = g + momentum * s["buf"] if nesterov else s["buf"]
        return p - lr * g

    return update


def adam_ref(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, amsgrad=False, decoupled=False):
    def update(p, g, s, t):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        v = s["v"]
        if amsgrad:
            s["vmax"] = np.maximum(s.get("vmax", 0), v)
            v = s["vmax"]
        mhat = s["m"] / (1 - b1**t)
        return p - lr * mhat / (np.sqrt(v / (1 - b2**t)) + eps)

    return update


def rmsprop_ref(lr, alpha=0.99, eps=1e-8, wd=0.0, momentum=0.0, centered=False):
    def update(p, g, s, t):
        g = g + wd * p
        s["sq"] = alpha * s.get("sq", 0) + (1 - alpha) * g * g
        avg = s["sq"]
        if centered:
            s["ga"] = alpha * s.get("ga", 0) + (1 - alpha) * g
            avg = avg - s["ga"] ** 2
        avg = np.sqrt(avg) + eps
        if momentum:
            s["buf"] = momentum * s.get("buf", 0) + g / avg
            return p - lr * s["buf"]
        return p - lr * g / avg

    return update


def adagrad_ref(lr, lr_decay=0.0, wd=0.0, eps=1e-10, init=0.0):
    def update(p, g, s, t):
        g = g + wd * p
        s["sum"] = s.get("sum", init) + g * g
        return p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s["sum"]) + eps)

    return update


OPTIMIZERS = [
    (lambda ps: torch.optim.SGD(ps, lr=0.1), sgd_ref(0.1)),
    (lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01), sgd_ref(0.1, 0.9, 0.2, 0.01)),
    (lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True), sgd_ref(0.1, 0.9, nesterov=True)),
    (lambda ps: torch.optim.SGD(ps, lr=0.1, maximize=True), sgd_ref(0.1, maximize=True)),
    (lambda ps: torch.optim.Adam(ps, lr=0.05), adam_ref(0.05)),
    (lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True), adam_ref(0.05, 0.8, 0.9, wd=0.1, amsgrad=True)),
    (lambda ps: torch.optim.AdamW(ps, lr=0.05), adam_ref(0.05, wd=0.01, decoupled=True)),
    (lambda ps: torch.optim.RMSprop(ps, lr=0.01), rmsprop_ref(0.01)),
    (
        lambda ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
        rmsprop_ref(0.01, wd=0.1, momentum=0.5, centered=True),
    ),
    (
        lambda ps: torch.optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5),
        adagrad_ref(0.1, 0.01, 0.1, init=0.5),
    ),
]


@pytest.mark.parametrize("make,update", OPTIMIZERS)
def test_optimizer_updates_follow_the_documented_rules(make, update):
    params0, grads, final = run_optimizer(make)
    for got, want in zip(final, reference(params0, grads, update)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make,update", OPTIMIZERS[:7])
def test_optimizer_updates_in_float32(make, update):
    params0, grads, final = run_optimizer(make, dtype=torch.float32)
    for got, want in zip(final, reference([p.astype(np.float64) for p in params0], [[g.astype(np.float64) for g in gs] for gs in grads], update)):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_optimizer_api():
    w = nn.Parameter(torch.ones(2))
    b = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    (w.sum() + b.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert set(sd["state"]) == {0, 1} and "momentum_buffer" in sd["state"][0]
    opt2 = torch.optim.SGD([{"params": [w]}, {"params": [b]}], lr=0.3, momentum=0.9)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.5
    np.testing.assert_array_equal(opt2.state[w]["momentum_buffer"].numpy(), opt.state[w]["momentum_buffer"].numpy())
    assert opt2.state[w]["momentum_buffer"] is not opt.state[w]["momentum_buffer"]
    opt.zero_grad()
    assert w.grad is None
    opt.add_param_group({"params": nn.Parameter(torch.ones(1)), "lr": 1.0})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="empty parameter list"):
        torch.optim.Adam([])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        torch.optim.SGD([w], lr=-1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        torch.optim.SGD([w * 2], lr=0.1)
    loss = opt.step(lambda: (w * w).sum())
    assert float(loss) == pytest.approx(float((w * w).sum()))


# ---- schedulers ----


def lrs(make, steps=10, momentum=0.9):
    opt = torch.optim.SGD([nn.Parameter(torch.ones(1))], lr=0.1, momentum=momentum)
    sched = make(opt)
    out = []
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_schedulers_follow_their_formulas():
    approx = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12)  # noqa: E731
    L = torch.optim.lr_scheduler
    approx(lrs(lambda o: L.StepLR(o, 3, 0.5)), [0.1 * 0.5 ** (e // 3) for e in range(1, 11)])
    approx(lrs(lambda o: L.MultiStepLR(o, [2, 5], 0.1)), [0.1 * 0.1 ** ((e >= 2) + (e >= 5)) for e in range(1, 11)])
    approx(lrs(lambda o: L.ExponentialLR(o, 0.9)), [0.1 * 0.9**e for e in range(1, 11)])
    approx(lrs(lambda o: L.CosineAnnealingLR(o, 10, 0.01)), [0.01 + 0.09 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(1, 11)])
    approx(lrs(lambda o: L.LambdaLR(o, lambda e: 1 / (e + 1))), [0.1 / (e + 1) for e in range(1, 11)])
    one = lrs(lambda o: L.OneCycleLR(o, max_lr=1.0, total_steps=11), steps=10)
    # warm-up over the first 30% of the steps (phase end 2.3), cosine
    # annealing to max_lr / 25 / 1e4 at the last step
    up = lambda t: 1.0 + (0.04 - 1.0) / 2 * (math.cos(math.pi * t / 2.3) + 1)  # noqa: E731
    down = lambda t: 4e-6 + (1.0 - 4e-6) / 2 * (math.cos(math.pi * (t - 2.3) / (10 - 2.3)) + 1)  # noqa: E731
    approx(one, [up(t) if t <= 2.3 else down(t) for t in range(1, 11)])
    opt = torch.optim.SGD([nn.Parameter(torch.ones(1))], lr=1.0)
    plateau = L.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    seen = []
    for metric in [5, 4, 4, 4, 4, 3]:
        plateau.step(metric)
        seen.append(opt.param_groups[0]["lr"])
    assert seen == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]


# ---- data ----


def test_dataloader_batches_shuffles_and_collates():
    ds = TensorDataset(torch.arange(10.0), torch.arange(10))
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a = [b[1].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True, generator=g1)]
    b = [b[1].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True, generator=g2)]
    assert a == b and sorted(sum(a, [])) == list(range(10)) and sum(a, []) != list(range(10))
    collated = torch.utils.data.default_collate([{"x": np.ones(2), "y": 1}, {"x": np.zeros(2), "y": 2}])
    assert collated["x"].dtype == torch.float64 and collated["y"].tolist() == [1, 2]
    parts = random_split(range(10), [0.3, 0.7], generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7] and sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)


# ---- save / load ----


def test_save_load_round_trips(tmp_path):
    net = Net()
    opt = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 4)).sum().backward()
    opt.step()
    path = tmp_path / "ckpt.pt"
    torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "epoch": 3, "name": "x", "t": (1.5, None)}, path)
    ck = torch.load(path)
    assert ck["epoch"] == 3 and ck["t"] == (1.5, None) and list(ck["model"]) == list(net.state_dict())
    other = Net()
    other.load_state_dict(ck["model"])
    opt2 = torch.optim.Adam(other.parameters())
    opt2.load_state_dict(ck["opt"])
    for p, q in zip(net.parameters(), other.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    assert float(opt2.state[other.fc1.weight]["step"]) == 1.0
    buf = io.BytesIO()
    p = nn.Parameter(torch.tensor([[1, 2]], dtype=torch.int64), requires_grad=False)
    torch.save([p, torch.tensor(True), torch.float32], buf)
    buf.seek(0)
    back = torch.load(buf)
    assert isinstance(back[0], nn.Parameter) and back[0].dtype == torch.int64 and back[2] is torch.float32


def test_load_rejects_bad_files(tmp_path):
    path = tmp_path / "ckpt.pt"
    torch.save({"w": torch.ones(100)}, path)
    data = path.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[:-50])
    with pytest.raises(RuntimeError, match="truncated or corrupted"):
        torch.load(tmp_path / "cut.pt")
    flipped = bytearray(data)
    flipped[-20] ^= 0xFF
    (tmp_path / "flip.pt").write_bytes(bytes(flipped))
    with pytest.raises(RuntimeError, match="checksum"):
        torch.load(tmp_path / "flip.pt")
    (tmp_path / "junk.pt").write_bytes(b"hello world, not a checkpoint")
    with pytest.raises(RuntimeError, match="not a valid autorust checkpoint"):
        torch.load(tmp_path / "junk.pt")
    (tmp_path / "zip.pt").write_bytes(b"PK\x03\x04rest")
    with pytest.raises(RuntimeError, match="does not unpickle"):
        torch.load(tmp_path / "zip.pt")
    with pytest.raises(TypeError, match="cannot save an object of type Net"):
        torch.save(Net(), tmp_path / "model.pt")


# ---- the nn parts of the seeds ----


def test_seed002_linear_mse_sgd_step_matches_the_by_hand_update(capsys):
    # The weights and gradients PyTorch printed in the tutorial (rounded to
    # 4 digits), then the step it printed "by hand" and "by optimizer.step()".
    linear = nn.Linear(3, 2)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[0.4176, 0.2302, 0.3942], [-0.3258, 0.0489, -0.3333]]))
        linear.bias.copy_(torch.tensor([0.4269, 0.2872]))
    optimizer = torch.optim.SGD(linear.parameters(), lr=0.01)
    linear.weight.grad = torch.tensor([[0.4404, 0.4512, 0.9893], [-0.6777, -0.2535, -0.5191]])
    linear.bias.grad = torch.tensor([0.6095, 0.6305])
    by_hand_w = linear.weight.sub(0.01 * linear.weight.grad)
    by_hand_b = linear.bias.sub(0.01 * linear.bias.grad)
    optimizer.step()
    print(linear.weight)
    print(linear.bias)
    assert capsys.readouterr().out.startswith("Parameter containing:\ntensor([[ 0.4132,  0.2257,  0.3843],\n        [-0.319")
    assert by_hand_w.grad_fn.name() == "SubBackward0"
    np.testing.assert_array_equal(linear.weight.detach().numpy(), by_hand_w.detach().numpy())
    np.testing.assert_array_equal(linear.bias.detach().numpy(), by_hand_b.detach().numpy())
    # the printed results, up to the rounding of the printed inputs
    np.testing.assert_allclose(linear.weight.detach().numpy(), [[0.4132, 0.2257, 0.3843], [-0.3191, 0.0514, -0.3281]], atol=1.5e-4)
    np.testing.assert_allclose(linear.bias.detach().numpy(), [0.4208, 0.2809], atol=1.5e-4)


def test_seed002_training_step_flow(capsys):
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    linear = nn.Linear(3, 2)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(linear.parameters(), lr=0.01)
    loss = criterion(linear(x), y)
    print("loss:", loss)
    loss.backward()
    by_hand = linear.weight.sub(0.01 * linear.weight.grad).detach().numpy()
    optimizer.step()
    np.testing.assert_array_equal(linear.weight.detach().numpy(), by_hand)
    assert capsys.readouterr().out.endswith("grad_fn=<MseLossBackward0>)\n")


def test_seed003_sequential_with_batchnorm_train_and_eval():
    input_data = torch.randn(16, 10)
    batch_norm = nn.BatchNorm1d(num_features=10)
    model = nn.Sequential(nn.Linear(10, 10), batch_norm, nn.Dropout(0.5), nn.Linear(10, 1))
    model.train()
    output_train = model(input_data)
    h = model[0](input_data).detach().numpy()
    assert abs(batch_norm.running_mean.numpy() - 0.1 * h.mean(0)).max() < 1e-6
    model.eval()
    output_eval = model(input_data)
    h2 = (h - batch_norm.running_mean.numpy()) / np.sqrt(batch_norm.running_var.numpy() + 1e-5)
    expected = h2 @ model[3].weight.detach().numpy().T + model[3].bias.detach().numpy()
    np.testing.assert_allclose(output_eval.detach().numpy(), expected, rtol=1e-4, atol=1e-5)
    assert output_train.shape == output_eval.shape == (16, 1)


# ---- convergence on the demo data ----


def test_mlp_and_cnn_reach_stated_accuracy_on_the_demo_data():
    from autorust.demo import train

    history, _ = train("mlp", epochs=3, train_size=6000, seed=0, progress=False)
    assert history["test_acc"][-1] >= 0.80, history
    assert history["loss"][-1] < history["loss"][0]
    history, _ = train("cnn", epochs=3, train_size=4000, seed=0, progress=False)
    assert history["test_acc"][-1] >= 0.90, history
