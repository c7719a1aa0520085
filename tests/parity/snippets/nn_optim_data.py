"""nn, optim and data side by side with PyTorch: each snippet starts from
seed 0 (so layers start from the same weights), sets `R`, and the program
observes `R` and its repr."""

SNIPPETS = r"""
R = T.nn.Linear(3, 2).weight
R = T.nn.Linear(3, 2)
R = T.nn.Linear(4, 3, bias=False).state_dict()
R = T.nn.Conv2d(2, 4, 3).bias
R = T.nn.Conv2d(2, 4, 3, stride=2, padding=1, bias=False)
R = T.nn.Conv2d(4, 4, (3, 5), groups=2, dilation=2, padding='same')
R = T.nn.Embedding(5, 3, padding_idx=1).weight
R = T.nn.Sequential(T.nn.Linear(10, 10), T.nn.BatchNorm1d(10), T.nn.ReLU(), T.nn.Dropout(0.2), T.nn.Linear(10, 1))
R = T.nn.ModuleList([T.nn.Linear(2, 2) for _ in range(3)] + [T.nn.ReLU()])
R = T.nn.ModuleDict({'a': T.nn.Tanh(), 'b': T.nn.Sigmoid()})
R = T.nn.Sequential(T.nn.Conv2d(1, 8, 3), T.nn.MaxPool2d(2), T.nn.AvgPool2d(2, 1), T.nn.Flatten(), T.nn.LayerNorm(8), T.nn.GELU(), T.nn.SiLU(), T.nn.LeakyReLU(), T.nn.Softmax(dim=1), T.nn.LogSoftmax(1), T.nn.Identity(), T.nn.BatchNorm2d(3))
R = [T.nn.MSELoss(), T.nn.L1Loss(reduction='sum'), T.nn.CrossEntropyLoss(), T.nn.NLLLoss(), T.nn.BCELoss(), T.nn.BCEWithLogitsLoss(), T.nn.KLDivLoss(), T.nn.HuberLoss(), T.nn.SmoothL1Loss()]
m = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.ReLU(), T.nn.Linear(4, 2)); R = [n for n, _ in m.named_parameters()]
m = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.Sequential(T.nn.ReLU(), T.nn.Linear(4, 2))); R = [n for n, _ in m.named_modules()]
m = T.nn.BatchNorm1d(3); R = list(m.state_dict().keys()), [n for n, _ in m.named_buffers()]
m = T.nn.Linear(2, 2); R = m.load_state_dict({'weight': T.zeros(2, 2), 'bias': T.ones(2)}), m.weight, m.bias
m = T.nn.Linear(2, 2); R = m.load_state_dict({'weight': T.zeros(2, 2), 'extra': T.ones(2)})
m = T.nn.Linear(2, 2); R = m.load_state_dict({'weight': T.zeros(2, 2), 'extra': T.ones(2)}, strict=False)
m = T.nn.Linear(2, 2); R = m.load_state_dict({'weight': T.zeros(3, 2), 'bias': T.ones(2)})
m = T.nn.Sequential(T.nn.Linear(2, 2)); R = m.load_state_dict({'0.weight': T.zeros(2, 2)})
m = T.nn.Linear(2, 2); m.weight = T.zeros(2, 2)
m = T.nn.Linear(2, 2); m.foo = T.nn.Parameter(T.ones(1)); R = [n for n, _ in m.named_parameters()]
m = T.nn.Linear(2, 2); R = m.nothing
m = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.Linear(3, 1)); R = m[0], m[-1], len(m), m[1:]
m = T.nn.Sequential(T.nn.Linear(2, 3)); m.append(T.nn.ReLU()); R = m
m = T.nn.Linear(2, 2).double(); R = m.weight.dtype, m(T.ones(1, 2, dtype=T.float64))
m = T.nn.Linear(2, 2); p = m.weight; m.to(T.float64); R = p is m.weight, p.dtype
m = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.Dropout()); m.eval(); R = m.training, m[1].training
m = T.nn.Linear(2, 2); m.requires_grad_(False); R = [p.requires_grad for p in m.parameters()]
m = T.nn.Linear(2, 2); m(T.ones(1, 2)).sum().backward(); m.zero_grad(); R = m.weight.grad
m = T.nn.Linear(2, 2); m(T.ones(1, 2)).sum().backward(); m.zero_grad(set_to_none=False); R = m.weight.grad
m = T.nn.Linear(3, 1); seen = []; h = m.register_forward_hook(lambda mod, i, o: o * 2); R = m(T.ones(1, 3)); h.remove(); R = (R, m(T.ones(1, 3)))
m = T.nn.Linear(3, 1); m.register_forward_pre_hook(lambda mod, i: (i[0] * 0,)); R = m(T.ones(1, 3))
m = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.Linear(2, 2)); m.apply(lambda x: T.nn.init.zeros_(x.bias) if isinstance(x, T.nn.Linear) else None); R = m[1].bias
R = T.nn.Parameter(T.ones(2))
R = T.nn.Parameter(T.ones(2), requires_grad=False)
R = T.nn.Parameter(T.ones(2)) * 2
R = isinstance(T.nn.Parameter(T.ones(2)), T.Tensor)
R = T.nn.init.calculate_gain('relu'), T.nn.init.calculate_gain('leaky_relu', 0.2), T.nn.init.calculate_gain('tanh')
w = T.empty(3, 5); R = T.nn.init.xavier_uniform_(w)
w = T.empty(3, 5); R = T.nn.init.xavier_normal_(w)
w = T.empty(3, 5); R = T.nn.init.kaiming_uniform_(w, mode='fan_out', nonlinearity='relu')
w = T.empty(3, 5); R = T.nn.init.kaiming_normal_(w)
w = T.empty(3, 5); R = T.nn.init.uniform_(w, -2, 2), T.nn.init.normal_(w, 1, 3)
w = T.empty(3, 5); R = T.nn.init.constant_(w, 0.5), T.nn.init.ones_(T.empty(2)), T.nn.init.zeros_(T.empty(2))
R = T.nn.init.xavier_uniform_(T.empty(3))
x = T.randn(2, 3, 7, 7, requires_grad=True); w = T.randn(4, 3, 3, 3); y = T.nn.functional.conv2d(x, w, T.ones(4), stride=2, padding=1); y.sum().backward(); R = y.shape, y.grad_fn.name(), x.grad.sum()
x = T.randn(2, 4, 6, 6, requires_grad=True); w = T.randn(6, 2, 3, 3, requires_grad=True); y = T.nn.functional.conv2d(x, w, groups=2, dilation=2); (y * y).sum().backward(); R = y.shape, w.grad.abs().sum().round()
R = T.nn.functional.conv2d(T.ones(1, 3, 5, 5), T.ones(2, 4, 3, 3))
R = T.nn.functional.conv2d(T.ones(1, 4, 5, 5), T.ones(2, 4, 3, 3), padding='same').shape
x = T.arange(32.).reshape(1, 2, 4, 4); R = T.nn.functional.max_pool2d(x, 2, return_indices=True)
x = T.randn(1, 2, 5, 5); R = T.nn.functional.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
x = T.randn(1, 1, 6, 6); R = T.nn.functional.max_pool2d(x, 2, dilation=2)
x = T.randn(1, 2, 5, 5, requires_grad=True); y = T.nn.functional.max_pool2d(x, 2); y.sum().backward(); R = y.grad_fn.name(), x.grad
x = T.zeros(1, 1, 4, 4, requires_grad=True); T.nn.functional.max_pool2d(x, 2).sum().backward(); R = x.grad
x = T.arange(25.).reshape(1, 1, 5, 5); R = T.nn.functional.avg_pool2d(x, 2)
x = T.arange(25.).reshape(1, 1, 5, 5); R = T.nn.functional.avg_pool2d(x, 3, stride=2, padding=1)
x = T.arange(25.).reshape(1, 1, 5, 5); R = T.nn.functional.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
x = T.arange(25.).reshape(1, 1, 5, 5); R = T.nn.functional.avg_pool2d(x, 2, ceil_mode=True)
x = T.arange(25.).reshape(1, 1, 5, 5); R = T.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True)
x = T.randn(1, 2, 4, 4, requires_grad=True); y = T.nn.functional.avg_pool2d(x, 2); y.sum().backward(); R = y.grad_fn.name(), x.grad
x = T.arange(16.).reshape(1, 1, 4, 4); R = T.nn.functional.adaptive_avg_pool2d(x, 2), T.nn.functional.adaptive_avg_pool2d(x, 3)
x = T.arange(18.).reshape(1, 2, 3, 3); R = T.nn.functional.unfold(x, 2), T.nn.functional.fold(T.nn.functional.unfold(x, 2), (3, 3), 2)
x = T.arange(6.).reshape(1, 2, 3); R = T.nn.functional.pad(x, (1, 2)), T.nn.functional.pad(x, (1, 1, 1, 0), value=-1.)
x = T.arange(6.).reshape(1, 2, 3); R = T.nn.functional.pad(x, (-1, 1))
x = T.arange(6.).reshape(1, 2, 3); R = T.nn.functional.pad(x, (2, 1), mode='reflect'), T.nn.functional.pad(x, (2, 1), mode='replicate'), T.nn.functional.pad(x, (2, 1), mode='circular')
x = T.arange(6.).reshape(1, 2, 3).requires_grad_(); y = T.nn.functional.pad(x, (1, 1)); y.sum().backward(); R = y.grad_fn.name(), x.grad
x = T.tensor([[1., 2., 3.], [4., 5., 9.]], requires_grad=True); y = T.nn.functional.layer_norm(x, (3,)); y[0, 0].backward(); R = y, x.grad
x = T.tensor([[1., 2.], [4., 5.], [0., -1.]], requires_grad=True); y = T.nn.functional.batch_norm(x, None, None, training=True); (y * T.tensor([[1., 2.], [3., -1.], [0.5, 2.]])).sum().backward(); R = y, x.grad
m = T.nn.BatchNorm1d(2); x = T.tensor([[1., 2.], [4., 5.], [0., -1.]]); y = m(x); R = y, m.running_mean, m.running_var, m.num_batches_tracked
m = T.nn.BatchNorm1d(2); x = T.tensor([[1., 2.], [4., 5.], [0., -1.]]); m(x); m.eval(); R = m(x)
m = T.nn.BatchNorm1d(2, momentum=None); m(T.tensor([[1., 2.], [4., 5.]])); m(T.tensor([[0., 2.], [4., 8.]])); R = m.running_mean, m.running_var
m = T.nn.BatchNorm2d(2); x = T.arange(16.).reshape(2, 2, 2, 2); R = m(x), m.running_var
m = T.nn.BatchNorm1d(2); R = m(T.ones(1, 2))
m = T.nn.BatchNorm1d(2); R = m(T.ones(1, 2, 3, 4))
m = T.nn.LayerNorm([2, 2]); R = m(T.arange(8.).reshape(2, 2, 2))
m = T.nn.LayerNorm(3); R = m(T.ones(2, 4))
m = T.nn.GroupNorm(2, 4); R = m(T.arange(16.).reshape(2, 4, 2))
m = T.nn.Embedding(4, 2); R = m(T.tensor([[0, 3], [1, 1]]))
m = T.nn.Embedding(4, 2, padding_idx=0); y = m(T.tensor([0, 2, 0])); y.sum().backward(); R = m.weight.grad
m = T.nn.Embedding(4, 2); R = m(T.tensor([4]))
m = T.nn.Embedding(4, 2); R = m(T.tensor([1.]))
R = T.nn.Embedding.from_pretrained(T.eye(3))(T.tensor([2]))
R = T.nn.functional.one_hot(T.tensor([0, 2, 1])), T.nn.functional.one_hot(T.tensor([1]), 4)
R = T.nn.functional.one_hot(T.tensor([3]), 2)
R = T.nn.functional.dropout(T.ones(3), 0.5, training=False), T.nn.functional.dropout(T.ones(3), 0.0)
R = T.nn.functional.dropout(T.ones(3), 1.5)
R = T.nn.Dropout(p=1.0)(T.ones(4))
R = T.nn.functional.kl_div(T.tensor([-1., -2.]), T.tensor([0.3, 0.7]), reduction='batchmean'), T.nn.functional.kl_div(T.tensor([-1., -2.]), T.tensor([0., 0.7]), reduction='sum')
R = T.nn.functional.kl_div(T.tensor([-1., -2.]), T.tensor([-0.3, -0.7]), reduction='sum', log_target=True)
x = T.tensor([[1., 2., 0.5], [0., 1., 3.]], requires_grad=True); l = T.nn.CrossEntropyLoss(weight=T.tensor([1., 2., 0.5]), label_smoothing=0.1)(x, T.tensor([0, 2])); l.backward(); R = l, x.grad
x = T.tensor([[1., 2., 0.5], [0., 1., 3.]], requires_grad=True); l = T.nn.CrossEntropyLoss(ignore_index=2)(x, T.tensor([0, 2])); l.backward(); R = l, x.grad
x = T.tensor([[1., 2., 0.5], [0., 1., 3.]], requires_grad=True); l = T.nn.CrossEntropyLoss()(x, T.tensor([[0.2, 0.3, 0.5], [1., 0., 0.]])); l.backward(); R = l, x.grad
x = T.tensor([[1., 2., 0.5], [0., 1., 3.]]); R = T.nn.CrossEntropyLoss(reduction='none')(x, T.tensor([1, 0]))
x = T.randn(2, 3, 4); R = T.nn.CrossEntropyLoss()(x, T.tensor([[0, 1, 2, 1], [2, 2, 0, 1]]))
R = T.nn.NLLLoss(weight=T.tensor([1., 3.]))(T.tensor([[-1., -2.], [-0.5, -3.]]), T.tensor([1, 0]))
R = T.nn.BCEWithLogitsLoss(pos_weight=T.tensor([2., 0.5]))(T.tensor([[0.5, -1.]]), T.tensor([[1., 0.]]))
R = T.nn.BCELoss(weight=T.tensor([1., 2.]))(T.tensor([0.3, 0.9]), T.tensor([0., 1.]))
R = T.nn.HuberLoss(delta=0.5)(T.tensor([0., 2.]), T.tensor([0.2, 0.]))
R = T.nn.SmoothL1Loss(beta=0.5, reduction='sum')(T.tensor([0., 2.]), T.tensor([0.2, 0.]))
R = T.nn.KLDivLoss(reduction='batchmean', log_target=False)(T.tensor([[-1., -2.]]), T.tensor([[0.4, 0.6]]))
m = T.nn.Linear(2, 2); m(T.ones(3, 2)).pow(2).sum().backward(); R = T.nn.utils.clip_grad_norm_(m.parameters(), 0.5), m.weight.grad
m = T.nn.Linear(2, 2); m(T.ones(3, 2)).pow(2).sum().backward(); R = T.nn.utils.clip_grad_norm_(m.parameters(), 1.0, norm_type=float('inf')), m.bias.grad
m = T.nn.Linear(2, 2); m(T.ones(3, 2)).pow(2).sum().backward(); T.nn.utils.clip_grad_value_(m.parameters(), 0.1); R = m.weight.grad
m = T.nn.Linear(2, 2); R = T.nn.utils.parameters_to_vector(m.parameters())
""".strip().splitlines()

# Optimizers: a few steps of a small regression, then the parameters.
OPTIM = [
    "SGD(m.parameters(), lr=0.1)",
    "SGD(m.parameters(), lr=0.1, momentum=0.9)",
    "SGD(m.parameters(), lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)",
    "SGD(m.parameters(), lr=0.1, momentum=0.9, nesterov=True, maximize=True)",
    "Adam(m.parameters(), lr=0.01)",
    "Adam(m.parameters(), lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)",
    "AdamW(m.parameters(), lr=0.01)",
    "AdamW(m.parameters(), lr=0.01, amsgrad=True, maximize=True)",
    "RMSprop(m.parameters())",
    "RMSprop(m.parameters(), lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)",
    "Adagrad(m.parameters(), lr=0.1)",
    "Adagrad(m.parameters(), lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)",
    "SGD([{'params': m.weight}, {'params': m.bias, 'lr': 0.5}], lr=0.1)",
]
for spec in OPTIM:
    SNIPPETS.append(
        "m = T.nn.Linear(3, 2); o = T.optim." + spec + "; x = T.randn(8, 3); y = T.randn(8, 2)\n"
        "for _ in range(5):\n    o.zero_grad(); l = T.nn.functional.mse_loss(m(x), y); l.backward(); o.step()\n"
        "R = (l, m.weight, m.bias, o)"
    )

SCHEDULERS = [
    "StepLR(o, step_size=2, gamma=0.5)",
    "MultiStepLR(o, milestones=[1, 3, 3], gamma=0.5)",
    "ExponentialLR(o, gamma=0.9)",
    "CosineAnnealingLR(o, T_max=4, eta_min=0.01)",
    "LambdaLR(o, lambda e: 1 / (e + 1))",
    "OneCycleLR(o, max_lr=1.0, total_steps=10)",
    "OneCycleLR(T.optim.Adam(m.parameters()), max_lr=[0.5], epochs=2, steps_per_epoch=5, anneal_strategy='linear', three_phase=True)",
]
for spec in SCHEDULERS:
    SNIPPETS.append(
        "m = T.nn.Linear(1, 1); o = T.optim.SGD(m.parameters(), lr=0.1, momentum=0.9); s = T.optim.lr_scheduler." + spec + "\n"
        "lrs = []\nfor _ in range(9):\n    s.optimizer.step(); s.step(); lrs.append(s.get_last_lr()[0]); lrs.append(s.optimizer.param_groups[0].get('momentum', s.optimizer.param_groups[0].get('betas')))\n"
        "R = lrs"
    )
SNIPPETS += [
    "m = T.nn.Linear(1, 1); o = T.optim.SGD(m.parameters(), lr=1.0); s = T.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1, factor=0.5)\nlrs = []\nfor v in [5, 4, 4, 4, 4, 3, 3, 3]:\n    s.step(v); lrs.append(o.param_groups[0]['lr'])\nR = lrs",
    "m = T.nn.Linear(2, 1); o = T.optim.Adam(m.parameters()); m(T.ones(1, 2)).sum().backward(); o.step(); R = o.state_dict()",
    "m = T.nn.Linear(2, 1); o = T.optim.SGD(m.parameters(), lr=0.1, momentum=0.9); m(T.ones(1, 2)).sum().backward(); o.step(); sd = o.state_dict(); o2 = T.optim.SGD(m.parameters(), lr=0.5); o2.load_state_dict(sd); R = o2",
    "R = T.optim.SGD([], lr=0.1)",
    "R = T.optim.SGD(T.ones(2), lr=0.1)",
    "R = T.optim.Adam([T.nn.Parameter(T.ones(1))], lr=-1)",
    "R = T.optim.SGD([T.nn.Parameter(T.ones(1))], lr=0.1, nesterov=True)",
    "p = T.nn.Parameter(T.ones(1)); R = T.optim.SGD([{'params': [p]}, {'params': [p]}], lr=0.1)",
    "ds = T.utils.data.TensorDataset(T.arange(10.), T.arange(10)); R = len(ds), ds[3], list(T.utils.data.DataLoader(ds, batch_size=4))",
    "ds = T.utils.data.TensorDataset(T.arange(10.)); R = list(T.utils.data.DataLoader(ds, batch_size=4, drop_last=True)), len(T.utils.data.DataLoader(ds, batch_size=3))",
    "ds = T.utils.data.TensorDataset(T.arange(10)); g = T.Generator(); g.manual_seed(3); R = list(T.utils.data.DataLoader(ds, batch_size=4, shuffle=True, generator=g))",
    "ds = T.utils.data.TensorDataset(T.arange(10)); R = list(T.utils.data.DataLoader(ds, batch_size=5, shuffle=True)), list(T.utils.data.DataLoader(ds, batch_size=5, shuffle=True))",
    "R = [list(s) for s in T.utils.data.random_split(range(10), [3, 7], generator=T.Generator().manual_seed(42))]",
    "R = [len(s) for s in T.utils.data.random_split(range(10), [0.25, 0.75])]",
    "R = T.utils.data.default_collate([(1, 2.0, np.ones(2)), (3, 4.0, np.zeros(2))])",
    "R = T.utils.data.default_collate([{'a': T.ones(2), 'b': True}, {'a': T.zeros(2), 'b': False}])",
    "R = list(T.utils.data.DataLoader([np.ones(2), np.zeros(2)], batch_size=None))",
    "R = T.utils.data.DataLoader(range(3), sampler=[0], shuffle=True)",
    "R = T.randperm(6, generator=T.Generator().manual_seed(1)), T.rand(2, generator=T.Generator()), T.randn(2)",
]


# A whole training loop: the same losses step by step. conv2 has no bias,
# as before a batch norm in practice: a bias there gets only rounding noise
# as its gradient, which Adam scales into full steps, so the running mean
# would record the CPU's rounding (PyTorch's own AVX2 and AVX-512 kernels
# differ there by 5e-5).
TRAINING_SCRIPT = r"""
nn, F = T.nn, T.nn.functional
T.manual_seed(1)

class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.avg_pool2d(F.relu(self.bn(self.conv2(x))), 2)
        x = F.relu(self.fc1(T.flatten(x, 1)))
        return F.log_softmax(self.fc2(x), dim=1)

model = Net()
data, target = T.randn(64, 1, 8, 8), T.randint(0, 10, (64,))
loader = T.utils.data.DataLoader(T.utils.data.TensorDataset(data, target), batch_size=16, shuffle=True)
opt = T.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
sched = T.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
losses = []
for epoch in range(4):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = F.nll_loss(model(xb), yb)
        loss.backward()
        T.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(round(loss.item(), 4))
    sched.step()
model.eval()
with T.no_grad():
    acc = (model(data).argmax(1) == target).float().mean().item()
R = (losses, round(acc, 4), model.bn.num_batches_tracked.item(), sched.get_last_lr())
RM = model.bn.running_mean.tolist()
"""
