"""``nn.utils.prune`` side by side with PyTorch (the pruning tutorial's
steps): random and L1 unstructured, Ln structured on top (a container),
the renamed parameter, mask buffer and hook, state_dict keys, removal,
global pruning across layers, random structured, custom masks, and the
refusals."""

LENET = """
class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, int(x.nelement() / x.shape[0]))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
T.manual_seed(0)
model = LeNet()
"""

PROGRAMS = {
    "one layer, step by step": LENET
    + """
module = model.conv1
prune.random_unstructured(module, name="weight", amount=0.3)
rec([n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()], module.weight_mask, module.weight)
prune.l1_unstructured(module, name="bias", amount=3)
rec(module.bias_mask, module.bias)
prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
rec(module.weight_mask, [[type(m).__name__ for m in h] for h in module._forward_pre_hooks.values() if h._tensor_name == "weight"], list(module.state_dict().keys()))
prune.remove(module, "weight")
rec([n for n, _ in module.named_parameters()], module.weight, module.weight.grad_fn is None)
""",
    "every layer, then global": LENET
    + """
for name, m in model.named_modules():
    if isinstance(m, nn.Conv2d):
        prune.l1_unstructured(m, name="weight", amount=0.2)
    elif isinstance(m, nn.Linear):
        prune.l1_unstructured(m, name="weight", amount=0.4)
rec(list(dict(model.named_buffers()).keys()), [float((m.weight == 0).sum()) for m in (model.conv1, model.fc1, model.fc3)])
other = LeNet()
params = ((other.conv1, "weight"), (other.conv2, "weight"), (other.fc1, "weight"), (other.fc2, "weight"), (other.fc3, "weight"))
prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=0.2)
rec([float((m.weight == 0).sum()) for m, _ in params], prune.is_pruned(other))
other(T.randn(2, 1, 28, 28)).sum().backward()
rec(other.fc3.weight_orig.grad)
""",
    "random structured and a custom mask": """
T.manual_seed(1)
m2 = nn.Linear(4, 3)
prune.random_structured(m2, "weight", amount=1, dim=1)
prune.custom_from_mask(m2, "bias", T.tensor([1, 0, 1]))
rec(m2.weight_mask, m2.bias)
""",
    "an amount over 1": "prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=1.5)",
    "an amount over the size": "prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=9)",
    "removing what was not pruned": "prune.remove(nn.Linear(2, 2), 'weight')",
    "structured pruning of a vector": "prune.ln_structured(nn.Linear(2, 2), 'bias', amount=1, n=2, dim=0)",
}


def programs():
    # as users import it: torch.nn.utils does not import prune itself
    head = "import importlib\nprune = importlib.import_module(T.__name__ + '.nn.utils.prune')\n"
    return [(f"prune {name}", [head + code.strip()]) for name, code in PROGRAMS.items()]
