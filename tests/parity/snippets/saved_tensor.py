"""`grad_fn._raw_saved_<name>.register_hooks(pack, unpack)` side by side
with PyTorch: the pack hook at registration, the unpack hook at each use
(the backward and `_saved_<name>`), and the refusals (a second pair, a
saved None, after the graph was freed, a name the node does not have)."""

PROGRAMS = {
    "hooks on one saved tensor": """
calls = []
def pack(t):
    calls.append("pack")
    return t * 1
def unpack(p):
    calls.append("unpack")
    return p
x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = x.pow(2)
y.grad_fn._raw_saved_self.register_hooks(pack, unpack)
rec(list(calls))
rec(y.grad_fn._saved_self, list(calls))
y.sum().backward()
rec(x.grad, list(calls))
""",
    "a pack hook that changes the representation": """
x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
e = x.exp()
e.grad_fn._raw_saved_result.register_hooks(lambda t: t.tolist(), lambda p: T.tensor(p))
e.sum().backward()
rec(x.grad)
""",
    "a second pair": """
x = T.tensor([0.5, -1.0], requires_grad=True)
y = x.sin()
y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
""",
    "a tensor saved under saved_tensors_hooks": """
x = T.tensor([0.5, -1.0], requires_grad=True)
with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
    y = x.sin()
y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
""",
    "a saved None": """
x = T.tensor([0.5, -1.0], requires_grad=True)
z = x * T.tensor([2.0, 3.0])
z.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
""",
    "after the graph was freed": """
x = T.tensor([0.5, -1.0], requires_grad=True)
y = x.pow(2)
raw = y.grad_fn._raw_saved_self
y.sum().backward()
raw.register_hooks(lambda t: t, lambda t: t)
""",
    "a name the node does not have": """
x = T.tensor([0.5, -1.0], requires_grad=True)
(x * 2).grad_fn._raw_saved_nope
""",
}


def programs():
    return [(f"saved tensor {name}", [code.strip()]) for name, code in PROGRAMS.items()]
