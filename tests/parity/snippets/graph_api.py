"""The graph-node API side by side with PyTorch: `grad_fn` pre- and
post-hooks (order, replacement, removal, the checks on what a hook
returns), `metadata`, saved tensors by name, `_version`, `output_nr`,
`_is_view`, the random-state round trip, saved-tensor hooks and
activation checkpointing."""

_SETUP = """
x = T.tensor([1., 2., 3.], requires_grad=True)
w = T.tensor([4., 5., 6.], requires_grad=True)
y = x * w
z = y.sin().sum()
log = []
"""

PROGRAMS = {
    "prehook and hook see the gradients": _SETUP
    + """
y.grad_fn.register_prehook(lambda go: log.append(('pre', list(go))))
y.grad_fn.register_hook(lambda gi, go: log.append(('post', list(gi), list(go))))
z.backward()
rec(log, x.grad, w.grad)
""",
    "hooks replace the gradients": _SETUP
    + """
y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
y.grad_fn.register_hook(lambda gi, go: (gi[0] + 1, None))
z.backward()
rec(x.grad, w.grad)
""",
    "removed hooks do not run": _SETUP
    + """
h1 = y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
h2 = y.grad_fn.register_hook(lambda gi, go: log.append('post'))
h1.remove(); h2.remove()
z.backward()
rec(x.grad, w.grad, log)
""",
    "accumulator hooks run in backward, not in autograd.grad": _SETUP
    + """
acc = y.grad_fn.next_functions[0][0]
acc.register_prehook(lambda go: (go[0] * 0 + 7,))
acc.register_hook(lambda gi, go: log.append((gi, list(go))))
gx, = T.autograd.grad(z, [x], retain_graph=True)
rec(gx, log)
z.backward()
rec(x.grad, log)
""",
    "tensor hook, retain_grad, prehook, hook in order": """
a = T.tensor([1., 2.], requires_grad=True)
b = a * 3
order = []
b.register_hook(lambda g: order.append('tensor'))
b.grad_fn.register_prehook(lambda g: order.append('pre'))
b.grad_fn.register_hook(lambda gi, go: order.append('post'))
b.retain_grad()
b.sum().backward()
rec(order, b.grad, a.grad)
""",
    "prehook returning too many values": """
a = T.tensor([1., 2.], requires_grad=True)
c = a * 2
def too_many(go): return (go[0], go[0])
c.grad_fn.register_prehook(too_many)
c.sum().backward()
""",
    "hook returning too few values": """
a = T.tensor([1., 2.], requires_grad=True)
w = T.tensor([1., 2.], requires_grad=True)
c = a * w
def too_few(gi, go): return (gi[0],)
c.grad_fn.register_hook(too_few)
c.sum().backward()
""",
    "hook changing a size": """
a = T.tensor([1., 2.], requires_grad=True)
c = a * 2
def resize(gi, go): return (T.ones(3),)
c.grad_fn.register_hook(resize)
c.sum().backward()
""",
    "tensor hook changing a size": """
a = T.tensor([1., 2.], requires_grad=True)
c = a * 2
def resize(g): return T.ones(3)
c.register_hook(resize)
c.sum().backward()
""",
    "prehook returning a tensor": """
a = T.tensor([1., 2.], requires_grad=True)
c = a * 2
c.grad_fn.register_prehook(lambda go: go[0])
c.sum().backward()
""",
    "hooks on a second-order graph": """
a = T.tensor([0.5, 1.5], requires_grad=True)
y = a.pow(3)
seen = []
y.grad_fn.register_hook(lambda gi, go: seen.append(len(gi)))
g, = T.autograd.grad(y.sum(), a, create_graph=True)
g.sum().backward()
rec(g, a.grad, seen)
""",
    "metadata is kept": """
a = T.tensor([1., 2.], requires_grad=True)
f = (a * 2).grad_fn
f.metadata['k'] = 1
f.metadata['j'] = [2]
rec(sorted(f.metadata.items()))
""",
    "saved tensors by name": """
a = T.tensor([0.5, 2.], requires_grad=True)
b = T.tensor([3., 4.], requires_grad=True)
e = a.exp(); s = a.sin(); q = a * b; d = a / b; p = a.pow(2); sm = T.softmax(a, 0)
mm = T.ones(2, 3, requires_grad=True) @ T.full((3, 2), 2., requires_grad=True)
rec(e.grad_fn._saved_result, s.grad_fn._saved_self, q.grad_fn._saved_self, q.grad_fn._saved_other,
    d.grad_fn._saved_self, d.grad_fn._saved_other, p.grad_fn._saved_exponent, p.grad_fn._saved_self,
    sm.grad_fn._saved_result, mm.grad_fn._saved_self, mm.grad_fn._saved_mat2,
    e.grad_fn._saved_result.equal(e), e.grad_fn._saved_result is e, s.grad_fn._saved_self.equal(a))
""",
    "saved names a node keeps empty": """
p = nn.Parameter(T.randn(3))
z = p * T.ones(3)
d = p / T.full((3,), 2.)
rec(z.grad_fn._saved_self, z.grad_fn._saved_other, d.grad_fn._saved_self, d.grad_fn._saved_other, z.grad_fn._saved_other is not None)
w = T.randn(3, requires_grad=True)
rec((p * w).grad_fn._saved_self is p, (p * w).grad_fn._saved_other is w)
""",
    "a saved tensor after backward": """
a = T.tensor([0.5, 2.], requires_grad=True)
s = a.sin()
s.sum().backward()
s.grad_fn._saved_self
""",
    "a saved name the node does not have": """
a = T.tensor([0.5, 2.], requires_grad=True)
rec(hasattr(a.sin().grad_fn, '_saved_result'), hasattr(a.exp().grad_fn, '_saved_self'))
a.sin().grad_fn._saved_other
""",
    "versions, views, output numbers": """
v = T.zeros(3)
rec(v._version)
v.add_(1); rec(v._version)
v[0] = 2; rec(v._version)
u = v[1:]
u.mul_(2)
rec(v._version, u._version, u._is_view(), v._is_view(), u._base.equal(v))
t1, t2, t3 = T.randn(6, requires_grad=True).split(2)
rec(t1.output_nr, t2.output_nr, t3.output_nr, (t1 * 1).output_nr, T.zeros(1).output_nr)
""",
    "a view's base is its base's object": """
v = T.zeros(3)
u = v[1:]
w = T.ones(3, requires_grad=True)
x = w[:2]
rec(u._base is v, x._base is w)
""",
    "grad with is_grads_batched": """
x = T.tensor([1., 2., 3.], requires_grad=True)
w = T.tensor([[1., 2.], [3., 4.]], requires_grad=True)
y = x ** 2
z = w @ x[:2]
g, = T.autograd.grad(y, x, T.eye(3), is_grads_batched=True, retain_graph=True)
rec(g, T.autograd.grad(z, [w, x], T.eye(2), is_grads_batched=True, allow_unused=True))
""",
    "anomaly state": """
rec(T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled())
with T.autograd.detect_anomaly(check_nan=False):
    rec(T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled())
rec(T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled())
""",
    "random state round trip": """
s = T.get_rng_state()
a = T.randn(5); b = T.rand(3)
T.set_rng_state(s)
rec(T.randn(5).equal(a), T.rand(3).equal(b))
g = T.Generator().manual_seed(3)
gs = g.get_state()
c = T.randn(4, generator=g)
g.set_state(gs)
rec(T.randn(4, generator=g).equal(c))
""",
}

SAVED_TENSOR_HOOKS = {
    "pack and unpack see the saved tensors": """
log = []
def pack(t): log.append(('pack', t.clone())); return t
def unpack(t): log.append(('unpack', t.clone())); return t
a = T.ones(5, requires_grad=True)
b = T.ones(5, requires_grad=True) * 2
with T.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = a * b
    e = y.exp()
(e.sum()).backward()
rec(log, a.grad)
""",
    "packed into a list by position": """
store = []
def pack(t): store.append(t.detach().clone()); return len(store) - 1
def unpack(i): return store[i]
x = T.tensor([0.3, -1.2, 2.0], requires_grad=True)
with T.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = (x.sin() * x.pow(2)).tanh().sum()
y.backward()
rec(len(store), x.grad)
""",
    "unpack changes the value used": """
x = T.tensor([1., 2., 3.], requires_grad=True)
with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 10):
    y = x.pow(2)
y.sum().backward()
rec(x.grad, y.grad_fn._saved_self)
""",
    "innermost hooks apply, outside none": """
log = []
x = T.tensor([1., 2.], requires_grad=True)
with T.autograd.graph.saved_tensors_hooks(lambda t: log.append('outer') or t, lambda t: t):
    with T.autograd.graph.saved_tensors_hooks(lambda t: log.append('inner') or t, lambda t: t):
        a = x.sin()
    b = x.cos()
c = x.exp()
rec(log)
""",
    "save_on_cpu": """
x = T.tensor([0.5, 1.5], requires_grad=True)
with T.autograd.graph.save_on_cpu():
    y = (x.exp() * x).sum()
y.backward()
rec(y, x.grad)
""",
    "unpack returning a non-tensor": """
x = T.tensor([1., 2.], requires_grad=True)
with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
    y = x.sin()
y.sum().backward()
""",
    "disabled hooks": """
with T.autograd.graph.disable_saved_tensors_hooks('no hooks here'):
    with T.autograd.graph.save_on_cpu():
        pass
""",
    "custom Function saves through the hooks": """
log = []
class Cube(T.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x ** 2 * g
x = T.tensor([1., 2.], requires_grad=True)
with T.autograd.graph.saved_tensors_hooks(lambda t: log.append('pack') or t, lambda t: log.append('unpack') or t):
    y = Cube.apply(x)
y.sum().backward()
rec(log, x.grad)
""",
    "second order through packed tensors": """
x = T.tensor([0.5, 1.5], requires_grad=True)
with T.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
    y = (x.sin() * x).sum()
g, = T.autograd.grad(y, x, create_graph=True)
g.sum().backward()
rec(g, x.grad)
""",
}

CHECKPOINT_PROGRAMS = {
    f"checkpoint {variant}": """
T.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 3))
x = T.randn(5, 4, requires_grad=True)
ck = __import__(T.__name__ + '.utils.checkpoint', fromlist=['checkpoint'])
T.manual_seed(1)
out = ck.checkpoint(net, x, use_reentrant={reentrant})
loss = (out ** 2).sum()
loss.backward()
ck_grads = [p.grad.clone() for p in net.parameters()] + [x.grad.clone()]
net.zero_grad(); x.grad = None
T.manual_seed(1)
plain = net(x)
(plain ** 2).sum().backward()
plain_grads = [p.grad.clone() for p in net.parameters()] + [x.grad.clone()]
rec(out, plain, ck_grads, plain_grads, out.grad_fn is not None, [a.equal(b) for a, b in zip(ck_grads, plain_grads)])
""".format(reentrant=variant == "reentrant")
    for variant in ("reentrant", "non-reentrant")
}

CHECKPOINT_PROGRAMS["checkpoint_sequential"] = """
T.manual_seed(0)
net = nn.Sequential(*[m for _ in range(4) for m in (nn.Linear(6, 6), nn.ReLU())])
x = T.randn(3, 6, requires_grad=True)
ck = __import__(T.__name__ + '.utils.checkpoint', fromlist=['checkpoint'])
out = ck.checkpoint_sequential(net, 2, x, use_reentrant=False)
out.sum().backward()
rec(out, x.grad, [p.grad for p in net.parameters()])
"""

CHECKPOINT_PROGRAMS["checkpoint with no input needing grad"] = """
T.manual_seed(0)
lin = nn.Linear(3, 2)
x = T.randn(2, 3)
ck = __import__(T.__name__ + '.utils.checkpoint', fromlist=['checkpoint'])
r = ck.checkpoint(lin, x, use_reentrant=True)
n = ck.checkpoint(lin, x, use_reentrant=False)
n.sum().backward()
rec(r, r.requires_grad, n.requires_grad, lin.weight.grad)
"""

CHECKPOINT_PROGRAMS["checkpoint tuple output and kwargs"] = """
T.manual_seed(0)
a = T.randn(3, requires_grad=True); b = T.randn(3, requires_grad=True)
def f(u, v, scale=1.0): return u * v * scale, (u + v).sin(), 7
ck = __import__(T.__name__ + '.utils.checkpoint', fromlist=['checkpoint'])
p, q, k = ck.checkpoint(f, a, b, use_reentrant=False, scale=2.0)
(p.sum() + q.sum()).backward()
rec(p, q, k, a.grad, b.grad)
ck.checkpoint(f, a, b, use_reentrant=True, scale=2.0)
"""

CHECKPOINT_PROGRAMS["checkpoint second order"] = """
a = T.tensor([0.5, 1.5], requires_grad=True)
ck = __import__(T.__name__ + '.utils.checkpoint', fromlist=['checkpoint'])
y = ck.checkpoint(lambda t: t.pow(3).sin(), a, use_reentrant=False)
g, = T.autograd.grad(y.sum(), a, create_graph=True)
g.sum().backward()
rec(y, g, a.grad)
"""


def programs():
    """(name, steps) of every case."""
    out = [(f"graph api {name}", [code.strip()]) for name, code in PROGRAMS.items()]
    out += [(f"saved tensor hooks {name}", [code.strip()]) for name, code in SAVED_TENSOR_HOOKS.items()]
    out += [(name, [code.strip()]) for name, code in CHECKPOINT_PROGRAMS.items()]
    return out
