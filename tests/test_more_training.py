"""The optimizers written with tensor ops (Adadelta, Adamax, NAdam, RAdam,
Rprop), the extra LR schedulers, the autograd helpers (jvp/hvp/vhp,
Variable, detect_anomaly), sampling and the legacy constructors, against
their documented formulas in NumPy."""

import math

import numpy as np
import pytest

import autorust as torch


def one_step(name, grad, p0, **kw):
    w = torch.nn.Parameter(torch.tensor(p0, dtype=torch.float64))
    opt = getattr(torch.optim, name)([w], **kw)
    w.grad = torch.tensor(grad, dtype=torch.float64)
    opt.step()
    return w.detach().numpy(), opt


P0, G = np.array([0.5, -1.0, 2.0]), np.array([0.3, -0.2, 0.0])


def test_first_steps_follow_the_formulas():
    w, _ = one_step("Adadelta", G, P0, lr=1.0, rho=0.9, eps=1e-6)
    sq = 0.1 * G * G
    delta = np.sqrt(1e-6) / np.sqrt(sq + 1e-6) * G
    np.testing.assert_allclose(w, P0 - delta, rtol=1e-12)
    w, _ = one_step("Adamax", G, P0, lr=0.01)
    m, u = 0.1 * G, np.maximum(0, np.abs(G) + 1e-8)
    np.testing.assert_allclose(w, P0 - 0.01 / 0.1 * m / u, rtol=1e-12)
    w, opt = one_step("NAdam", G, P0, lr=0.01)
    mu = 0.9 * (1 - 0.5 * 0.96**0.004)
    mu_next = 0.9 * (1 - 0.5 * 0.96**0.008)
    m, v = 0.1 * G, 0.001 * G * G
    denom = np.sqrt(v / 0.001) + 1e-8
    # mu_product is a float32 state tensor, as in PyTorch
    np.testing.assert_allclose(w, P0 - 0.01 * (1 - mu) / (1 - mu) * G / denom - 0.01 * mu_next / (1 - mu * mu_next) * m / denom, rtol=1e-7)
    assert set(opt.state[opt.param_groups[0]["params"][0]]) == {"step", "mu_product", "exp_avg", "exp_avg_sq"}
    w, _ = one_step("RAdam", G, P0, lr=0.01)  # rho_t <= 5 at step 1: plain bias-corrected momentum
    np.testing.assert_allclose(w, P0 - 0.01 * G, rtol=1e-12)
    w, _ = one_step("Rprop", G, P0, lr=0.05)
    np.testing.assert_allclose(w, P0 - 0.05 * np.sign(G), rtol=1e-12)


def test_rprop_adapts_its_step_sizes():
    w = torch.nn.Parameter(torch.tensor([1.0, 1.0], dtype=torch.float64))
    opt = torch.optim.Rprop([w], lr=0.1, etas=(0.5, 1.2), step_sizes=(1e-3, 1.0))
    for g in ([1.0, 1.0], [1.0, -1.0], [1.0, 1.0]):
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    # first coordinate: same sign three times (0.1, 0.12, 0.144); second:
    # sign flip skips its update (step 0.05), then restarts from 0.05
    np.testing.assert_allclose(w.detach().numpy(), [1 - 0.1 - 0.12 - 0.144, 1 - 0.1 - 0.05], rtol=1e-12)


def lrs(make, steps=8):
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([w], lr=1.0, momentum=0.9)
    s = make(opt)
    out = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        s.step()
        out.append(opt.param_groups[0]["lr"])
    return np.array(out)


def test_schedulers_follow_their_closed_forms():
    S = torch.optim.lr_scheduler
    e = np.arange(9)
    np.testing.assert_allclose(lrs(lambda o: S.LinearLR(o, 0.25, 1.0, total_iters=4)), 0.25 + 0.75 * np.minimum(e, 4) / 4)
    np.testing.assert_allclose(lrs(lambda o: S.ConstantLR(o, 0.5, total_iters=3)), np.where(e < 3, 0.5, 1.0))
    np.testing.assert_allclose(lrs(lambda o: S.PolynomialLR(o, total_iters=5, power=2)), (1 - np.minimum(e, 5) / 5) ** 2, atol=1e-12)
    np.testing.assert_allclose(lrs(lambda o: S.MultiplicativeLR(o, lambda k: 0.5)), 0.5**e)
    t_cur = np.array([0, 1, 0, 1, 2, 3, 0, 1, 2])  # T_0 = 2, T_mult = 2: periods 2, 4, 8
    t_i = np.array([2, 2, 4, 4, 4, 4, 8, 8, 8])
    np.testing.assert_allclose(lrs(lambda o: S.CosineAnnealingWarmRestarts(o, 2, 2)), (1 + np.cos(np.pi * t_cur / t_i)) / 2, atol=1e-12)
    tri = lrs(lambda o: S.CyclicLR(o, 0.1, 0.5, step_size_up=2), 8)
    np.testing.assert_allclose(tri, [0.1, 0.3, 0.5, 0.3, 0.1, 0.3, 0.5, 0.3, 0.1], atol=1e-12)
    seq = lrs(lambda o: S.SequentialLR(o, [S.ConstantLR(o, 0.1, total_iters=10), S.ExponentialLR(o, 0.5)], milestones=[3]))
    np.testing.assert_allclose(seq, [0.1, 0.1, 0.1, 1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125])


def test_autograd_functional_products():
    f = lambda a: (a**3).sum()  # noqa: E731  H = diag(6a)
    x, v = torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([1.0, -1.0], dtype=torch.float64)
    value, hv = torch.autograd.functional.hvp(f, x, v)
    assert value.item() == 9.0 and hv.tolist() == [6.0, -12.0]
    _, jv = torch.autograd.functional.jvp(lambda a: a.sin(), x, v)
    np.testing.assert_allclose(jv.numpy(), np.cos([1.0, 2.0]) * [1, -1], rtol=1e-12)
    _, vh = torch.autograd.functional.vhp(lambda a: a.prod(), torch.tensor([2.0, 3.0], dtype=torch.float64), v)
    assert vh.tolist() == [-1.0, 1.0]  # H = [[0, 1], [1, 0]]


def test_variable_and_anomaly_detection():
    x = torch.autograd.Variable(torch.tensor([1.0, 0.0]), requires_grad=True)
    assert isinstance(x, torch.Tensor) and x.requires_grad
    (x * 2).sum().backward()  # fine with or without anomaly detection
    with torch.autograd.detect_anomaly():
        assert torch.autograd.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output."):
            (x.sqrt() * 0).sum().backward()
    assert not torch.autograd.is_anomaly_enabled()
    x.grad = None
    (x.sqrt() * 0).sum().backward()  # off: NaN gradients pass silently, as in PyTorch
    assert math.isnan(x.grad[1].item())


def test_sampling_and_legacy_constructors():
    torch.manual_seed(0)
    n = torch.normal(torch.full((20000,), 2.0), torch.full((20000,), 0.5))
    assert abs(n.mean().item() - 2.0) < 0.02 and abs(n.std().item() - 0.5) < 0.02
    assert torch.normal(1.0, 0.0, size=(3,)).tolist() == [1.0, 1.0, 1.0]
    b = torch.bernoulli(torch.full((20000,), 0.3))
    assert set(b.unique().tolist()) <= {0.0, 1.0} and abs(b.mean().item() - 0.3) < 0.02
    m = torch.multinomial(torch.tensor([0.0, 1.0, 3.0]), 20000, replacement=True)
    counts = np.bincount(m.numpy(), minlength=3) / 20000
    assert counts[0] == 0 and abs(counts[2] - 0.75) < 0.02
    no_rep = torch.multinomial(torch.tensor([1.0, 1.0, 1.0, 0.0]), 3)
    assert sorted(no_rep.tolist()) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        torch.multinomial(torch.tensor([1.0, 1.0]), 3)
    pois = torch.poisson(torch.full((3000,), 4.0))
    assert abs(pois.mean().item() - 4.0) < 0.15
    torch.manual_seed(7)
    first = torch.multinomial(torch.ones(10), 4).tolist()
    torch.manual_seed(7)
    assert torch.multinomial(torch.ones(10), 4).tolist() == first  # seeded
    assert torch.FloatTensor([1, 2]).dtype == torch.float32 and torch.LongTensor([1.0]).dtype == torch.int64
    assert tuple(torch.FloatTensor(2, 3).shape) == (2, 3) and torch.DoubleTensor([1]).dtype == torch.float64
    assert torch.finfo(torch.float32).eps == np.finfo(np.float32).eps and torch.finfo().bits == 32
    assert torch.iinfo(torch.int64).max == 2**63 - 1


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_reaches_the_quadratic_minimum(line_search):
    rng = np.random.default_rng(1)
    m = rng.standard_normal((6, 6))
    a = m @ m.T + 6 * np.eye(6)
    b = rng.standard_normal(6)
    x = torch.nn.Parameter(torch.zeros(6, dtype=torch.float64))
    A, B = torch.tensor(a), torch.tensor(b)
    opt = torch.optim.LBFGS([x], max_iter=50, tolerance_change=1e-15, line_search_fn=line_search)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (A @ x)) - B @ x
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(a, b), rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="per-parameter options"):
        torch.optim.LBFGS([{"params": [x]}, {"params": [torch.nn.Parameter(torch.zeros(1))]}])
    with pytest.raises(RuntimeError, match="only 'strong_wolfe'"):
        torch.optim.LBFGS([x], line_search_fn="armijo").step(closure)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_differentiable_optimizers_raise_instead_of_stepping_outside_autograd(name):
    p = torch.nn.Parameter(torch.ones(2))
    cls = getattr(torch.optim, name)
    kwargs = {"lr": 0.1}
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        cls([p], differentiable=True, **kwargs)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        cls([{"params": [p], "differentiable": True}], **kwargs)
    cls([p], differentiable=False, **kwargs)  # the default stays accepted
