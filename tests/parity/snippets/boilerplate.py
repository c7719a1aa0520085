"""The first lines and helpers of real training scripts, side by side with
PyTorch: backend flags, autocast disabled, GradScaler (on the CPU it
scales; for "cuda" without CUDA it disables itself), the older
torch.cuda.amp and stateless spellings, the extra samplers and datasets."""

PROGRAMS = {
    "backend flags": """
T.backends.cudnn.benchmark = True
T.backends.cudnn.deterministic = True
T.backends.cuda.matmul.allow_tf32 = True
rec(T.backends.cudnn.benchmark, T.backends.cudnn.deterministic, T.backends.cuda.matmul.allow_tf32)
""",
    "grad scaler on the cpu": """
T.manual_seed(0)
model = nn.Linear(4, 2)
opt = T.optim.SGD(model.parameters(), lr=0.1)
scaler = T.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
x, y = T.randn(8, 4), T.randn(8, 2)
for step in range(3):
    opt.zero_grad()
    with T.autocast(device_type="cpu", enabled=False):
        loss = F.mse_loss(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    T.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(opt)
    scaler.update()
    rec(loss, scaler.get_scale())
model.weight.grad = T.full_like(model.weight, float("inf"))
scaler.step(opt)
scaler.update()
rec(model.weight, scaler.get_scale(), scaler.state_dict())
""",
    "grad scaler for cuda without cuda": """
s = T.amp.GradScaler("cuda")
rec(s.is_enabled(), s.get_scale(), s.scale(T.tensor(2.0)))
""",
    "samplers and datasets": """
from importlib import import_module
data = import_module(T.__name__ + ".utils.data")
T.manual_seed(0)
s = data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7], 6, replacement=True)
rec(list(s), len(s), list(data.WeightedRandomSampler([1, 2, 3], 3, replacement=False)), list(data.SubsetRandomSampler([10, 20, 30, 40])))
class Counter(data.IterableDataset):
    def __init__(self, n): self.n = n
    def __iter__(self): return iter(range(self.n))
    def __len__(self): return self.n
dl = data.DataLoader(Counter(7), batch_size=3)
rec([b for b in dl], len(dl), [b for b in data.DataLoader(Counter(7), batch_size=3, drop_last=True)], list(data.ChainDataset([Counter(2), Counter(3)])))
sd = data.StackDataset(T.arange(3), T.arange(3) * 2)
rec(sd[1], len(sd), data.get_worker_info())
""",
    "an iterable dataset refuses shuffle": """
from importlib import import_module
data = import_module(T.__name__ + ".utils.data")
class Counter(data.IterableDataset):
    def __iter__(self): return iter(range(3))
data.DataLoader(Counter(), shuffle=True)
""",
    "stateless functional_call": """
from importlib import import_module
stateless = import_module(T.__name__ + ".nn.utils.stateless")
model = nn.Linear(4, 2)
R = stateless.functional_call(model, {"weight": T.ones(2, 4), "bias": T.zeros(2)}, (T.ones(1, 4),))
rec(R)
""",
}


def programs():
    return [(f"script boilerplate {name}", [code.strip()]) for name, code in PROGRAMS.items()]


SWA = {
    "stochastic weight averaging": """
T.manual_seed(0)
swa = T.optim.swa_utils
model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
opt = T.optim.SGD(model.parameters(), lr=0.5)
swa_model = swa.AveragedModel(model)
ema_model = swa.AveragedModel(model, multi_avg_fn=swa.get_ema_multi_avg_fn(0.9))
sched = swa.SWALR(opt, swa_lr=0.05, anneal_epochs=3)
x, y = T.randn(16, 4), T.randn(16, 2)
for epoch in range(5):
    opt.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    swa_model.update_parameters(model)
    ema_model.update_parameters(model)
    sched.step()
    rec(loss, sched.get_last_lr(), swa_model.n_averaged)
swa.update_bn([(x[:8], y[:8]), (x[8:], y[8:])], swa_model)
rec(swa_model.module[0].weight, ema_model.module[3].bias, swa_model.module[1].running_mean, swa_model.module[1].running_var, swa_model(x[:2]), list(swa_model.state_dict().keys()))
""",
    "SWALR with linear annealing and two groups": """
T.manual_seed(1)
a, b = nn.Linear(2, 2), nn.Linear(2, 1)
opt = T.optim.SGD([{"params": a.parameters()}, {"params": b.parameters(), "lr": 0.2}], lr=0.1)
sched = T.optim.swa_utils.SWALR(opt, swa_lr=[0.01, 0.02], anneal_epochs=2, anneal_strategy="linear")
lrs = []
for _ in range(4):
    opt.step()
    sched.step()
    lrs.append(sched.get_last_lr())
rec(lrs)
""",
}


def swa_programs():
    return [(f"swa {name}", [code.strip()]) for name, code in SWA.items()]
