"""Optimizers, schedulers and autograd helpers added after the optim issue,
side by side with real PyTorch when it is installed (never in CI): the
same training loop gives the same weights and the same learning-rate (and
momentum) sequence."""

import numpy as np
import pytest

T = pytest.importorskip("torch")
import autorust as A  # noqa: E402


def run(lib, name, kw, steps=6):
    lib.manual_seed(0)
    w = lib.nn.Parameter(lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32)))
    opt = getattr(lib.optim, name)([w], **kw)
    x = lib.tensor(np.arange(12.0).reshape(4, 3).astype(np.float32) / 10)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((w @ x).sin() ** 2).sum() + (w ** 4).sum()
        loss.backward()
        opt.step()
    return w.detach().numpy()


OPTIMIZERS = [("Adadelta", {}), ("Adadelta", dict(lr=0.5, weight_decay=0.1, maximize=True)), ("Adamax", {}), ("Adamax", dict(weight_decay=0.01)),
              ("NAdam", {}), ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)), ("RAdam", {}), ("RAdam", dict(weight_decay=0.1)),
              ("Rprop", {}), ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2)))]


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_optimizer_matches_pytorch(name, kw):
    steps = 12 if name == "RAdam" else 6  # RAdam's rectified branch starts at step 6
    np.testing.assert_allclose(run(A, name, kw, steps), run(T, name, kw, steps), rtol=1e-5, atol=1e-6)


def lr_sequence(lib, make, steps=14):
    w = lib.nn.Parameter(lib.zeros(2))
    opt = lib.optim.SGD([w], lr=0.1, momentum=0.9)
    s = make(lib, opt)
    out = []
    for _ in range(steps):
        opt.step()
        s.step()
        out.append((round(opt.param_groups[0]["lr"], 10), round(opt.param_groups[0].get("momentum", 0), 10)))
    return out


def S(lib):
    return lib.optim.lr_scheduler


SCHEDULERS = {
    "MultiplicativeLR": lambda L, o: S(L).MultiplicativeLR(o, lambda e: 0.9),
    "ConstantLR": lambda L, o: S(L).ConstantLR(o, factor=0.5, total_iters=3),
    "LinearLR": lambda L, o: S(L).LinearLR(o, start_factor=0.2, end_factor=0.8, total_iters=5),
    "PolynomialLR": lambda L, o: S(L).PolynomialLR(o, total_iters=6, power=2.0),
    "CosineAnnealingWarmRestarts": lambda L, o: S(L).CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01),
    "CyclicLR": lambda L, o: S(L).CyclicLR(o, 0.01, 0.1, step_size_up=3),
    "CyclicLR_triangular2": lambda L, o: S(L).CyclicLR(o, 0.01, 0.1, step_size_up=2, step_size_down=3, mode="triangular2"),
    "CyclicLR_exp_range": lambda L, o: S(L).CyclicLR(o, 0.01, 0.1, step_size_up=2, mode="exp_range", gamma=0.9, cycle_momentum=False),
    "SequentialLR": lambda L, o: S(L).SequentialLR(o, [S(L).ConstantLR(o, factor=0.1, total_iters=2), S(L).ExponentialLR(o, gamma=0.9)], milestones=[2]),
    "SequentialLR_three": lambda L, o: S(L).SequentialLR(o, [S(L).LinearLR(o, 0.1, total_iters=3), S(L).StepLR(o, 2, 0.5), S(L).CosineAnnealingLR(o, 5)], milestones=[3, 7]),
    "ChainedScheduler": lambda L, o: S(L).ChainedScheduler([S(L).ConstantLR(o, factor=0.1, total_iters=2), S(L).ExponentialLR(o, gamma=0.9)]),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_matches_pytorch(name):
    assert lr_sequence(A, SCHEDULERS[name]) == lr_sequence(T, SCHEDULERS[name])


def test_autograd_helpers_match_pytorch():
    results, messages = {}, {}
    for lib in (A, T):
        f = lambda a: (a ** 3).sum() + a.prod()  # noqa: E731
        x, v = lib.tensor([1.0, 2.0, 0.5]), lib.tensor([1.0, -1.0, 2.0])
        F = lib.autograd.functional
        results[lib] = (F.jvp(lambda a: a.sin() * a, x, v)[1].tolist(), F.hvp(f, x, v)[1].tolist(), F.vhp(f, x, v)[1].tolist())
        y = lib.autograd.Variable(lib.tensor([1.0, 0.0]), requires_grad=True)
        with lib.autograd.detect_anomaly():
            with pytest.raises(RuntimeError) as e:
                (y.sqrt() * 0).sum().backward()
        messages[lib] = str(e.value).splitlines()[0]
    np.testing.assert_allclose(np.array(results[A]), np.array(results[T]), rtol=1e-6)
    assert messages[A] == messages[T]


# ---- linalg, side by side ----

rng = np.random.default_rng(0)
M = rng.normal(size=(3, 3)); SPD = M @ M.T + 3 * np.eye(3); B = rng.normal(size=(3, 2)); b = rng.normal(size=3)
LINALG = []


def cmp(name, f, *arrs, grad=True):
    LINALG.append((name, f, arrs, grad))


def check_linalg(name, f, arrs, grad):
    res = []
    for lib in (A, T):
        ts = [lib.tensor(a, dtype=lib.float64, requires_grad=grad) for a in arrs]
        out = f(lib, *ts)
        outs = out if isinstance(out, tuple) else (out,)
        vals = [o.detach().numpy() for o in outs]
        gs = []
        if grad:
            tot = sum((o * lib.tensor(np.linspace(0.5, 1.5, o.numel()).reshape(o.shape))).sum() for o in outs if o.dtype.is_floating_point)
            tot.backward()
            gs = [t.grad.numpy() for t in ts]
        res.append((vals, gs))
    (va, ga), (vb, gb) = res
    ok = all(np.allclose(x, y, atol=1e-8) for x, y in zip(va, vb)) and all(np.allclose(x, y, atol=1e-7, rtol=1e-6) for x, y in zip(ga, gb))
    assert ok, name
cmp("inv", lambda L, a: L.linalg.inv(a), M)
cmp("inverse", lambda L, a: L.inverse(a), M)
cmp("det", lambda L, a: L.linalg.det(a), M)
cmp("det batched", lambda L, a: L.det(a.reshape(1, 3, 3).expand(2, 3, 3) * L.tensor([[[1.0]], [[2.0]]], dtype=L.float64)), M)
cmp("slogdet", lambda L, a: L.linalg.slogdet(a).logabsdet, M)
cmp("logdet", lambda L, a: L.logdet(a), SPD)
cmp("solve", lambda L, a, bb: L.linalg.solve(a, bb), M, B)
cmp("solve vec", lambda L, a, bb: L.linalg.solve(a, bb), M, b)
cmp("solve right", lambda L, a, bb: L.linalg.solve(a, bb, left=False), M, B.T)
cmp("cholesky", lambda L, a: L.linalg.cholesky(a), SPD)
cmp("cholesky upper", lambda L, a: L.linalg.cholesky(a, upper=True), SPD)
cmp("eigh", lambda L, a: L.linalg.eigh(a)[0] * 1 + L.linalg.eigh(a)[1].abs().sum(0), SPD)
cmp("eigvalsh", lambda L, a: L.linalg.eigvalsh(a), SPD)
cmp("svdvals", lambda L, a: L.linalg.svdvals(a), M)
cmp("matrix_norm fro", lambda L, a: L.linalg.matrix_norm(a), M)
cmp("matrix_norm nuc", lambda L, a: L.linalg.matrix_norm(a, 'nuc'), M)
cmp("matrix_norm 2", lambda L, a: L.linalg.matrix_norm(a, 2), M)
cmp("matrix_norm 1", lambda L, a: L.linalg.matrix_norm(a, 1), M)
cmp("matrix_norm -inf", lambda L, a: L.linalg.matrix_norm(a, float('-inf')), M)
cmp("norm vec", lambda L, a: L.linalg.norm(a[0]), M)
cmp("norm matrix", lambda L, a: L.linalg.norm(a), M)
cmp("norm ord3 dim", lambda L, a: L.linalg.norm(a, 3, dim=1), M)
cmp("vector_norm inf", lambda L, a: L.linalg.vector_norm(a, float('inf'), dim=0), M)
cmp("vector_norm 0.5", lambda L, a: L.linalg.vector_norm(a, 0.5), M)
cmp("matrix_power 3", lambda L, a: L.linalg.matrix_power(a, 3), M)
cmp("matrix_power -2", lambda L, a: L.matrix_power(a, -2), M)
cmp("svd fwd", lambda L, a: L.linalg.svd(a)[1], M, grad=False)
cmp("pinv fwd", lambda L, a: L.linalg.pinv(a), B, grad=False)
cmp("qr R abs", lambda L, a: L.linalg.qr(a)[1].abs(), M, grad=False)
cmp("vdot", lambda L, a: L.vdot(a[0], a[1]), M)
cmp("inner", lambda L, a: L.inner(a, a), M)
cmp("ger", lambda L, a: L.ger(a[0], a[1]), M)
cmp("dist", lambda L, a: L.dist(a[0], a[1], 3), M)
cmp("renorm", lambda L, a: L.renorm(a, 2, 0, 1.0), M)
cmp("old svd V", lambda L, a: L.svd(a)[2].abs(), M, grad=False)


@pytest.mark.parametrize("name,f,arrs,grad", LINALG, ids=[c[0] for c in LINALG])
def test_linalg_matches_pytorch(name, f, arrs, grad):
    check_linalg(name, f, arrs, grad)
