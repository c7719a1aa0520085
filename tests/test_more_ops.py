"""The Python-composed ops (_ops_pointwise, _ops_linalg, _ops_shape,
_ops_order) against NumPy, their gradients against central finite
differences in float64, and their edge cases as PyTorch documents them."""

import math

import numpy as np
import pytest
from test_ops import finite_difference

import autorust as torch

rng = np.random.default_rng(11)


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


POINTWISE = [
    # name, fn, numpy reference, domain (low, high)
    ("log2", lambda x: torch.log2(x), np.log2, (0.2, 5)),
    ("log10", lambda x: x.log10(), np.log10, (0.2, 5)),
    ("exp2", lambda x: torch.exp2(x), np.exp2, (-3, 3)),
    ("sinh", lambda x: x.sinh(), np.sinh, (-3, 3)),
    ("cosh", lambda x: torch.cosh(x), np.cosh, (-3, 3)),
    ("asin", lambda x: x.asin(), np.arcsin, (-0.9, 0.9)),
    ("acos", lambda x: torch.acos(x), np.arccos, (-0.9, 0.9)),
    ("atan", lambda x: x.atan(), np.arctan, (-4, 4)),
    ("arctan", lambda x: torch.arctan(x), np.arctan, (-4, 4)),
    ("asinh", lambda x: x.asinh(), np.arcsinh, (-4, 4)),
    ("acosh", lambda x: x.acosh(), np.arccosh, (1.2, 5)),
    ("atanh", lambda x: torch.atanh(x), np.arctanh, (-0.9, 0.9)),
    ("deg2rad", lambda x: x.deg2rad(), np.deg2rad, (-200, 200)),
    ("rad2deg", lambda x: torch.rad2deg(x), np.rad2deg, (-4, 4)),
    ("frac", lambda x: x.frac(), lambda a: a - np.trunc(a), (-4, 4)),
    ("logit", lambda x: x.logit(), lambda a: np.log(a / (1 - a)), (0.1, 0.9)),
    ("sinc", lambda x: torch.sinc(x), np.sinc, (-3, 3)),
    ("fmod", lambda x: torch.fmod(x, 1.3), lambda a: np.fmod(a, 1.3), (-4, 4)),
    ("hypot", lambda x: torch.hypot(x, x * 0.5 + 1), lambda a: np.hypot(a, a * 0.5 + 1), (-3, 3)),
    ("logaddexp", lambda x: torch.logaddexp(x, 2 - x), lambda a: np.logaddexp(a, 2 - a), (-3, 3)),
    ("logaddexp2", lambda x: torch.logaddexp2(x, 2 - x), lambda a: np.logaddexp2(a, 2 - a), (-3, 3)),
    ("xlogy", lambda x: torch.xlogy(x, x * x + 1), lambda a: a * np.log(a * a + 1), (-3, 3)),
    ("copysign", lambda x: torch.copysign(x, x - 0.3), lambda a: np.copysign(a, a - 0.3), (-3, 3)),
    ("addcmul", lambda x: torch.addcmul(x, x, x + 1, value=0.5), lambda a: a + 0.5 * a * (a + 1), (-3, 3)),
    ("addcdiv", lambda x: x.addcdiv(x, x * x + 1, value=2), lambda a: a + 2 * a / (a * a + 1), (-3, 3)),
    ("nansum", lambda x: torch.nansum(x, 1), lambda a: np.nansum(a, 1), (-3, 3)),
    ("nanmean", lambda x: x.nanmean(0), lambda a: np.nanmean(a, 0), (-3, 3)),
]


@pytest.mark.parametrize("name,fn,ref,domain", POINTWISE, ids=[p[0] for p in POINTWISE])
def test_pointwise_values_and_gradients(name, fn, ref, domain):
    a = rng.uniform(*domain, size=(3, 4))
    x = t64(a, grad=True)
    out = fn(x)
    np.testing.assert_allclose(out.detach().numpy(), ref(a), rtol=1e-10, atol=1e-12)
    w = rng.normal(size=tuple(out.shape))
    (out * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(fn, [a], 0, w), rtol=1e-5, atol=1e-6)


def test_pointwise_edge_cases():
    nan, inf = float("nan"), float("inf")
    assert torch.logaddexp(torch.tensor(-inf), torch.tensor(-inf)).item() == -inf
    assert torch.logaddexp(torch.tensor(inf), torch.tensor(inf)).item() == inf
    assert torch.xlogy(torch.tensor([0.0, 0.0, 2.0]), torch.tensor([0.0, nan, 1.0])).tolist()[0] == 0.0
    assert math.isnan(torch.xlogy(torch.tensor(0.0), torch.tensor(nan)).item())
    assert torch.signbit(torch.tensor([-0.0, 0.0, -1.0, 2.0])).tolist() == [True, False, True, False]
    assert torch.copysign(torch.tensor([1.0, 2.0]), torch.tensor([-0.0, 0.0])).tolist() == [-1.0, 2.0]
    assert torch.heaviside(torch.tensor([-1.0, 0.0, 3.0]), torch.tensor(0.5)).tolist() == [0.0, 0.5, 1.0]
    assert torch.fmod(torch.tensor([-7, 7]), 3).tolist() == [-1, 1]  # the dividend's sign, integers stay integers
    assert torch.fmod(torch.tensor([-7, 7]), 3).dtype == torch.int64
    assert torch.sinc(torch.tensor(0.0)).item() == 1.0
    assert torch.log2(torch.tensor([1, 8])).tolist() == [0.0, 3.0]  # integers promote to float
    assert math.isnan(torch.asin(torch.tensor(2.0)).item())
    assert torch.float_power(torch.tensor([2.0]), 3).dtype == torch.float64
    x = torch.tensor([1.0, 2.0])
    assert x.log2_() is x and x.tolist() == [0.0, 1.0]
    s, m = torch.std_mean(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert abs(s.item() - np.std([1, 2, 3, 4], ddof=1)) < 1e-6 and m.item() == 2.5


LINALG = [
    ("addmm", lambda x: torch.addmm(x[:, :2], x, x.t()[:, :2], beta=0.5, alpha=2), lambda a: 0.5 * a[:, :2] + 2 * a @ a.T[:, :2]),
    ("addmv", lambda x: torch.addmv(x[:, 0], x, x[0], alpha=3), lambda a: a[:, 0] + 3 * a @ a[0]),
    ("addr", lambda x: torch.addr(x[:, :3], x[:, 0], x[0, :3]), lambda a: a[:, :3] + np.outer(a[:, 0], a[0, :3])),
    ("baddbmm", lambda x: torch.baddbmm(x[None, :, :3], x[None], x.t()[None, :, :3]), lambda a: a[None, :, :3] + a[None] @ a.T[None, :, :3]),
    (
        "addbmm",
        lambda x: torch.addbmm(x[:, :3], torch.stack([x, 2 * x]), torch.stack([x.t(), x.t()])[:, :, :3]),
        lambda a: a[:, :3] + 3 * (a @ a.T)[:, :3],
    ),
    ("trace", lambda x: x[:, :3].trace(), lambda a: np.trace(a[:, :3])),
    ("diagonal", lambda x: x.diagonal(1), lambda a: np.diagonal(a, 1)),
    ("diagonal_dims", lambda x: x.reshape(3, 2, 2).diagonal(0, 1, 2), lambda a: np.diagonal(a.reshape(3, 2, 2), 0, 1, 2)),
    ("diag_embed", lambda x: torch.diag_embed(x, offset=1), lambda a: np.stack([np.diag(r, 1) for r in a])),
    ("kron", lambda x: torch.kron(x[:2, :2], x[1:, 2:]), lambda a: np.kron(a[:2, :2], a[1:, 2:])),
    ("cross", lambda x: torch.cross(x[:, :3], x[:, 1:], dim=1), lambda a: np.cross(a[:, :3], a[:, 1:])),
    ("tensordot", lambda x: torch.tensordot(x, x.reshape(4, 3), dims=([1], [0])), lambda a: np.tensordot(a, a.reshape(4, 3), axes=([1], [0]))),
    (
        "tensordot_int",
        lambda x: torch.tensordot(x.reshape(3, 2, 2), x.reshape(2, 2, 3), 2),
        lambda a: np.tensordot(a.reshape(3, 2, 2), a.reshape(2, 2, 3), 2),
    ),
    ("einsum_mm", lambda x: torch.einsum("ij,kj->ik", x, x), lambda a: np.einsum("ij,kj->ik", a, a)),
    ("einsum_trace", lambda x: torch.einsum("ii", x[:, :3]), lambda a: np.einsum("ii", a[:, :3])),
    ("einsum_diag", lambda x: torch.einsum("ii->i", x[:, :3]), lambda a: np.einsum("ii->i", a[:, :3])),
    (
        "einsum_batch",
        lambda x: torch.einsum("bij,bjk->bik", x.reshape(3, 2, 2), x.reshape(3, 2, 2)),
        lambda a: np.einsum("bij,bjk->bik", a.reshape(3, 2, 2), a.reshape(3, 2, 2)),
    ),
    ("einsum_ellipsis", lambda x: torch.einsum("...j,j->...", x, x[0]), lambda a: np.einsum("...j,j->...", a, a[0])),
    ("einsum_implicit", lambda x: torch.einsum("ji,jk", x, x), lambda a: np.einsum("ji,jk", a, a)),
    ("einsum_three", lambda x: torch.einsum("ij,jk,kl->il", x, x.t(), x), lambda a: np.einsum("ij,jk,kl->il", a, a.T, a)),
    ("einsum_outer_sum", lambda x: torch.einsum("i,j->", x[0], x[1]), lambda a: np.einsum("i,j->", a[0], a[1])),
    ("cdist", lambda x: torch.cdist(x, x[:2] + 0.1), lambda a: np.sqrt(((a[:, None] - (a[:2] + 0.1)[None]) ** 2).sum(-1))),
    ("cdist_p1", lambda x: torch.cdist(x, x[1:] * 2, p=1), lambda a: np.abs(a[:, None] - (a[1:] * 2)[None]).sum(-1)),
    ("block_diag", lambda x: torch.block_diag(x[:2, :2], x[2], x[0, 0]), None),
]


@pytest.mark.parametrize("name,fn,ref", LINALG, ids=[p[0] for p in LINALG])
def test_linalg_values_and_gradients(name, fn, ref):
    a = rng.normal(size=(3, 4))
    x = t64(a, grad=True)
    out = fn(x)
    if ref is not None:
        np.testing.assert_allclose(out.detach().numpy(), ref(a), rtol=1e-10, atol=1e-12)
    w = rng.normal(size=tuple(out.shape))
    (out * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(fn, [a], 0, w), rtol=1e-5, atol=1e-6)


def test_block_diag_layout_and_cdist_zero_distance_gradient():
    a, b = torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0], [4.0]])
    assert torch.block_diag(a, b, torch.tensor(5.0)).tolist() == [[1, 2, 0, 0], [0, 0, 3, 0], [0, 0, 4, 0], [0, 0, 0, 5]]
    x = torch.tensor([[1.0, 2.0], [1.0, 2.0]], requires_grad=True)
    torch.cdist(x, x.detach()).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    with pytest.raises(RuntimeError, match="must have length 3"):
        torch.cross(torch.ones(2, 3), torch.ones(2, 4), dim=1)
    with pytest.raises(RuntimeError, match="subscripts"):
        torch.einsum("ijk,jk", torch.ones(2, 2), torch.ones(2, 2))


SHAPE = [
    ("roll", lambda x: x.roll(1, 0), lambda a: np.roll(a, 1, 0)),
    ("roll_flat", lambda x: torch.roll(x, -3), lambda a: np.roll(a, -3)),
    ("roll_multi", lambda x: x.roll((1, -2), (0, 1)), lambda a: np.roll(a, (1, -2), (0, 1))),
    ("repeat_interleave", lambda x: x.repeat_interleave(2, dim=0), lambda a: np.repeat(a, 2, 0)),
    ("repeat_interleave_tensor", lambda x: x.repeat_interleave(torch.tensor([1, 0, 3]), dim=0), lambda a: np.repeat(a, [1, 0, 3], 0)),
    ("repeat_interleave_flat", lambda x: torch.repeat_interleave(x, 2), lambda a: np.repeat(a, 2)),
    ("diff", lambda x: x.diff(), lambda a: np.diff(a)),
    ("diff_n2_dim0", lambda x: torch.diff(x, n=2, dim=0), lambda a: np.diff(a, 2, 0)),
    ("diff_prepend", lambda x: x.diff(dim=1, prepend=x[:, :1] * 0), lambda a: np.diff(a, 1, 1, prepend=0)),
    ("rot90", lambda x: x.rot90(), lambda a: np.rot90(a)),
    ("rot90_k3", lambda x: torch.rot90(x, 3, (1, 0)), lambda a: np.rot90(a, 3, (1, 0))),
    ("fliplr", lambda x: x.fliplr(), np.fliplr),
    ("flipud", lambda x: torch.flipud(x), np.flipud),
    ("broadcast_to", lambda x: x[0].broadcast_to((2, 4)), lambda a: np.broadcast_to(a[0], (2, 4))),
    ("take", lambda x: x.take(torch.tensor([[0, 11], [5, 5]])), lambda a: np.take(a, [[0, 11], [5, 5]])),
    (
        "take_along_dim",
        lambda x: torch.take_along_dim(x, torch.tensor([[0], [3], [1]]), 1),
        lambda a: np.take_along_axis(a, np.array([[0], [3], [1]]), 1),
    ),
    ("take_along_dim_flat", lambda x: x.take_along_dim(torch.tensor([2, 7])), lambda a: a.reshape(-1)[[2, 7]]),
    ("index_put_acc", lambda x: x.index_put((torch.tensor([0, 0, 2]), torch.tensor([1, 1, 3])), x[0, :3] * 2, accumulate=True), None),
    ("index_copy", lambda x: x.index_copy(1, torch.tensor([3, 0]), x[:, :2] * 3), None),
    ("masked_scatter", lambda x: x.masked_scatter(x > 0, x.reshape(-1) * 10), None),
    ("cartesian_prod", lambda x: torch.cartesian_prod(x[0, :2], x[1, :3]), lambda a: np.array([[p, q] for p in a[0, :2] for q in a[1, :3]])),
    (
        "meshgrid_xy",
        lambda x: torch.stack(torch.meshgrid(x[0, :2], x[1, :3], indexing="xy")),
        lambda a: np.stack(np.meshgrid(a[0, :2], a[1, :3], indexing="xy")),
    ),
    (
        "meshgrid_ij",
        lambda x: torch.stack(torch.meshgrid(x[0, :2], x[1, :3], indexing="ij")),
        lambda a: np.stack(np.meshgrid(a[0, :2], a[1, :3], indexing="ij")),
    ),
    ("dstack", lambda x: torch.dstack([x, x * 2]), lambda a: np.dstack([a, a * 2])),
    ("column_stack", lambda x: torch.column_stack([x[0], x[1]]), lambda a: np.column_stack([a[0], a[1]])),
    ("atleast_3d", lambda x: torch.atleast_3d(x[0]), lambda a: np.atleast_3d(a[0])),
]


@pytest.mark.parametrize("name,fn,ref", SHAPE, ids=[p[0] for p in SHAPE])
def test_shape_ops_values_and_gradients(name, fn, ref):
    a = rng.normal(size=(3, 4))
    x = t64(a, grad=True)
    out = fn(x)
    if ref is not None:
        np.testing.assert_allclose(out.detach().numpy(), ref(a), rtol=1e-12)
    w = rng.normal(size=tuple(out.shape))
    (out * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(fn, [a], 0, w), rtol=1e-5, atol=1e-6)


def test_indexing_writes_follow_pytorch():
    x = torch.zeros(3, 4)
    x.index_put_((torch.tensor([0, 0, 2]), torch.tensor([1, 1, 3])), torch.tensor([1.0, 2.0, 5.0]), accumulate=True)
    assert x[0, 1].item() == 3.0 and x[2, 3].item() == 5.0 and x.sum().item() == 8.0
    y = torch.zeros(2, 3)
    y.index_put_((torch.tensor([1]),), torch.tensor(7.0))
    assert y.tolist() == [[0, 0, 0], [7, 7, 7]]
    m = torch.zeros(2, 3).masked_scatter(torch.tensor([[True, False, True], [False, True, False]]), torch.arange(6.0))
    assert m.tolist() == [[0, 0, 1], [0, 2, 0]]
    d = torch.zeros(3, 3)
    assert d.fill_diagonal_(2.0) is d and d.diagonal().tolist() == [2, 2, 2] and d.sum().item() == 6
    tall = torch.zeros(7, 3).fill_diagonal_(1.0, wrap=True)
    expected = np.zeros((7, 3))
    np.fill_diagonal(expected, 1.0, wrap=True)
    assert tall.tolist() == expected.tolist()
    z = torch.arange(6.0).reshape(2, 3)
    assert z.triu_(1) is z and z.tolist() == [[0, 1, 2], [0, 0, 5]]
    assert torch.tensor([True, False, False]).diff().tolist() == [True, False]
    assert torch.repeat_interleave(torch.tensor([2, 0, 1])).tolist() == [0, 0, 2]


ORDER_INPUT = np.array([[1.0, 3.0, 3.0, 1.0, 2.0], [5.0, 5.0, 4.0, 4.0, 0.0], [2.5, -1.0, 0.0, 7.0, 7.0]])


def test_order_statistics_against_numpy():
    x = torch.tensor(ORDER_INPUT)
    a = ORDER_INPUT
    lower_median = np.sort(a, 1)[:, (a.shape[1] - 1) // 2]
    m = x.median(1)
    np.testing.assert_array_equal(m.values.numpy(), lower_median)
    np.testing.assert_array_equal(a[np.arange(3), m.indices.numpy()], lower_median)
    assert x.median().item() == np.sort(a.reshape(-1))[(a.size - 1) // 2]
    k = x.kthvalue(2, 1)
    np.testing.assert_array_equal(k.values.numpy(), np.sort(a, 1)[:, 1])
    np.testing.assert_array_equal(a[np.arange(3), k.indices.numpy()], np.sort(a, 1)[:, 1])
    md = x.mode(1)
    assert md.values.tolist() == [1.0, 4.0, 7.0] and md.indices.tolist() == [3, 3, 4]  # smallest value, last index
    for q in (0.0, 0.3, 0.5, 1.0):
        np.testing.assert_allclose(x.quantile(q, dim=1).numpy(), np.quantile(a, q, axis=1), rtol=1e-12)
    for method in ("lower", "higher", "nearest", "midpoint"):
        np.testing.assert_allclose(torch.quantile(x, 0.4, interpolation=method).numpy(), np.quantile(a, 0.4, method=method), rtol=1e-12)
    qs = x.quantile(torch.tensor([0.25, 0.75], dtype=torch.float64), dim=0, keepdim=True)
    assert tuple(qs.shape) == (2, 1, 5)
    np.testing.assert_allclose(qs.numpy()[:, 0], np.quantile(a, [0.25, 0.75], axis=0), rtol=1e-12)
    assert x.msort().tolist() == np.sort(a, 0).tolist()
    mn, mx = torch.aminmax(x, dim=1)
    assert mn.tolist() == a.min(1).tolist() and mx.tolist() == a.max(1).tolist()


def test_order_statistics_with_nan_and_gradients():
    nan = float("nan")
    x = torch.tensor([[1.0, nan, 0.0], [2.0, 3.0, 1.0]])
    m = x.median(1)
    assert math.isnan(m.values[0].item()) and m.indices[0].item() == 1 and m.values[1].item() == 2.0
    assert x.nanmedian().item() == 1.0
    assert math.isnan(x.quantile(0.5, dim=1)[0].item()) and x.nanquantile(0.5, dim=1)[0].item() == 0.5
    # gradients flow to the selected elements
    y = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], requires_grad=True)
    (y.median(1).values.sum() + y.quantile(0.25) * 4).backward()
    a = y.detach().numpy().reshape(-1)
    expected = np.zeros(a.size)
    expected[[2, 5]] = 1.0  # the row medians 2.0 and 4.0
    pos = 0.25 * (a.size - 1)  # the quantile interpolates between sorted[lo] and sorted[lo + 1]
    lo, frac = int(pos), pos - int(pos)
    order = np.argsort(a, kind="stable")
    expected[order[lo]] += 4 * (1 - frac)
    expected[order[lo + 1]] += 4 * frac
    np.testing.assert_allclose(y.grad.numpy().reshape(-1), expected, rtol=1e-6)


def test_fmod_gradients_are_pytorchs_formulas():
    # self gets the incoming gradient itself, other -grad * trunc(self / other):
    # under create_graph self's gradient is no function of the inputs
    x = t64([5.5, -7.25, 3.0], grad=True)
    y = t64([2.0, 2.0, -1.5], grad=True)
    out = torch.fmod(x, y)
    assert out.grad_fn.name() == "FmodBackward1"
    np.testing.assert_array_equal(out.detach().numpy(), np.fmod([5.5, -7.25, 3.0], [2.0, 2.0, -1.5]))
    w = t64([0.5, -1.0, 2.0])
    gx, gy = torch.autograd.grad((out * w).sum(), [x, y], create_graph=True)
    assert not gx.requires_grad
    np.testing.assert_array_equal(gx.numpy(), w.numpy())
    np.testing.assert_array_equal(gy.detach().numpy(), -w.numpy() * np.trunc(np.array([5.5, -7.25, 3.0]) / [2.0, 2.0, -1.5]))
    s = torch.fmod(x, 1.5)
    assert s.grad_fn.name() == "FmodBackward0"
    (g,) = torch.autograd.grad(s.sum(), x)
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_gradients_are_pytorchs_formula(reduction):
    import autorust.nn.functional as F

    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    x, y = t64(a, grad=True), t64(b, grad=True)
    out = F.mse_loss(x, y, reduction=reduction)
    assert out.grad_fn.name() == "MseLossBackward0"
    err = (a - b) ** 2
    np.testing.assert_allclose(out.detach().numpy(), {"mean": err.mean(), "sum": err.sum(), "none": err}[reduction], rtol=1e-12)
    w = rng.normal(size=out.shape)
    gx, gy = torch.autograd.grad((out * t64(w)).sum(), [x, y], create_graph=True)
    norm = 2 / a.size if reduction == "mean" else 2.0
    np.testing.assert_allclose(gx.detach().numpy(), (a - b) * norm * w, rtol=1e-12)
    np.testing.assert_allclose(gy.detach().numpy(), -(a - b) * norm * w, rtol=1e-12)
    # the second derivative is a constant times the incoming gradient: no
    # function of the inputs (PyTorch's MseLossBackwardBackward0)
    hx, hy = torch.autograd.grad(gx.sum(), [x, y], create_graph=True)
    assert not hx.requires_grad and not hy.requires_grad
    np.testing.assert_allclose(hx.numpy(), norm * np.broadcast_to(w, a.shape), rtol=1e-12)
    # an input written in place after the forward is refused
    x2 = x * 1
    loss = F.mse_loss(x2, y)
    x2.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_huber_loss_gradients_are_pytorchs_formula(reduction):
    import autorust.nn.functional as F

    a = np.array([[-2.0, -0.5, 0.25], [0.5, 1.5, 3.0]])  # |a - b| below, at and above delta 0.5
    b = np.zeros((2, 3))
    x, y = t64(a, grad=True), t64(b, grad=True)
    out = F.huber_loss(x, y, reduction=reduction, delta=0.5)
    assert out.grad_fn.name() == "HuberLossBackward0"
    d = np.abs(a - b)
    err = np.where(d < 0.5, 0.5 * d**2, 0.5 * (d - 0.25))
    np.testing.assert_allclose(out.detach().numpy(), {"mean": err.mean(), "sum": err.sum(), "none": err}[reduction], rtol=1e-12)
    w = rng.normal(size=out.shape)
    gx, gy = torch.autograd.grad((out * t64(w)).sum(), [x, y], create_graph=True)
    norm = 1 / a.size if reduction == "mean" else 1.0
    want = np.clip(a - b, -0.5, 0.5) * norm * w  # the edges take +-delta, as PyTorch's kernel
    np.testing.assert_allclose(gx.detach().numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(gy.detach().numpy(), -want, rtol=1e-12)
    # second derivative: norm * grad strictly inside (-delta, delta), 0 elsewhere, no function of the inputs
    (hx,) = torch.autograd.grad(gx.sum(), [x], create_graph=True)
    assert not hx.requires_grad
    np.testing.assert_allclose(hx.numpy(), np.where(d < 0.5, norm * np.broadcast_to(w, a.shape), 0.0), rtol=1e-12)


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: torch.fmod(a, b),
        lambda a, b: torch.xlogy(a, b),
        lambda a, b: torch.copysign(b, a),
        lambda a, b: torch.asinh(b),
        lambda a, b: torch.logit(b),
    ],
    ids=["fmod", "xlogy", "copysign", "asinh", "logit"],
)
def test_ops_with_formula_gradients_refuse_inputs_written_in_place(op):
    # their backward reads saved inputs: one written in place since would
    # give another gradient, so the backward raises, as PyTorch's does
    x = t64([1.5, 2.5], grad=True)
    y = t64([2.0, 3.0], grad=True)
    a, b = x * 1, y * 1
    out = op(a, b)
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("reduce", ["median", "nanmedian"])
def test_full_median_shares_the_gradient_among_ties(reduce):
    # PyTorch's MedianBackward0 (evenly_distribute_backward): every element
    # equal to the median gets an equal share, not one chosen element
    nan, inf = float("nan"), float("inf")
    cases = [  # input, lower median, each element's share of the gradient
        ([0.0, -1.0, -1.0], -1.0, [0.0, 0.5, 0.5]),
        ([0.1, 0.1, 0.1, 1.0], 0.1, [1 / 3, 1 / 3, 1 / 3, 0.0]),
        ([inf, inf, inf, 1.0], inf, [1 / 3, 1 / 3, 1 / 3, 0.0]),
        ([2.0], 2.0, [1.0]),
    ]
    if reduce == "median":
        cases.append(([nan, 1.0, nan], nan, [0.5, 0.0, 0.5]))  # NaN wins: the NaNs share
    else:
        cases += [([nan, 1.0, nan], 1.0, [0.0, 1.0, 0.0]), ([nan, nan], nan, [0.5, 0.5])]
    for values, value, share in cases:
        x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        m = getattr(x, reduce)()
        assert m.grad_fn.name() == ("MedianBackward0" if reduce == "median" else "NanmedianBackward0")
        assert m.item() == value or (math.isnan(value) and math.isnan(m.item()))
        (g,) = torch.autograd.grad(m * 3, x)
        np.testing.assert_allclose(g.numpy(), np.array(share) * 3, rtol=1e-12)
        assert not np.signbit(g.numpy()).any(), "zeros of the share are +0, as PyTorch's"
    # the value is the median to the bit, its sign included
    z = torch.tensor([-0.0, -0.0, 1.0], requires_grad=True).median()
    assert z.item() == 0.0 and math.copysign(1, z.item()) == -1


def test_counting_and_searching_against_numpy():
    v = torch.tensor([0, 2, 2, 5, 1])
    assert torch.bincount(v).tolist() == np.bincount([0, 2, 2, 5, 1]).tolist()
    assert torch.bincount(v, minlength=8).tolist() == np.bincount([0, 2, 2, 5, 1], minlength=8).tolist()
    w = torch.bincount(v, weights=torch.tensor([0.5, 1.0, 1.0, 2.0, 0.25]))
    assert w.dtype == torch.float32 and w.tolist() == [0.5, 0.25, 2.0, 0.0, 0.0, 2.0]
    with pytest.raises(RuntimeError, match="non-negative"):
        torch.bincount(torch.tensor([-1, 2]))
    h = torch.histc(torch.tensor([1.0, 2.0, 1.0, 4.0, 9.0]), bins=4, min=0, max=4)
    assert h.tolist() == [0.0, 2.0, 1.0, 1.0]  # 4.0 lands in the last bin, 9.0 outside
    assert torch.histc(torch.tensor([1.0, 2.0, 1.0]), bins=4).tolist() == [2.0, 0.0, 0.0, 1.0]
    seq = torch.tensor([1, 3, 5, 7])
    assert torch.searchsorted(seq, torch.tensor([3, 6, 9])).tolist() == [1, 3, 4]
    assert torch.searchsorted(seq, torch.tensor([3, 6, 9]), right=True).tolist() == [2, 3, 4]
    assert torch.bucketize(torch.tensor([3, 6, 9]), seq, right=True).tolist() == [2, 3, 4]
    rows = torch.searchsorted(torch.tensor([[1.0, 2.0], [0.0, 5.0]]), torch.tensor([[1.5], [5.0]]))
    assert rows.tolist() == [[1], [1]]
    u, inv, cnt = torch.unique(torch.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
    assert u.tolist() == [1, 2, 3] and inv.tolist() == [2, 0, 2, 1] and cnt.tolist() == [1, 1, 2]
    assert torch.tensor([[1, 2], [1, 2], [0, 1]]).unique(dim=0).tolist() == [[0, 1], [1, 2]]
    uc, cc = torch.tensor([1, 1, 2, 2, 3, 1]).unique_consecutive(return_counts=True)
    assert uc.tolist() == [1, 2, 3, 1] and cc.tolist() == [2, 2, 1, 1]


def test_running_reductions():
    a = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [0.5, -1.0, 2.0, 0.0, 4.0]])
    x = torch.tensor(a, requires_grad=True)
    cm = x.cummax(1)
    np.testing.assert_array_equal(cm.values.detach().numpy(), np.maximum.accumulate(a, 1))
    assert cm.indices.tolist()[0] == [0, 1, 2, 2, 4]  # ties move forward, as PyTorch
    cn = torch.cummin(x, 1)
    np.testing.assert_array_equal(cn.values.detach().numpy(), np.minimum.accumulate(a, 1))
    for fn, ref in (
        (lambda t: t.cumprod(1), lambda b: np.cumprod(b, 1)),
        (lambda t: torch.logcumsumexp(t, 1), lambda b: np.logaddexp.accumulate(b, 1)),
    ):
        out = fn(x)
        np.testing.assert_allclose(out.detach().numpy(), ref(a), rtol=1e-12)
        w = rng.normal(size=a.shape)
        x.grad = None
        (out * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), finite_difference(fn, [a], 0, w), rtol=1e-5, atol=1e-6)
    assert torch.tensor([True, False, True]).cumprod(0).tolist() == [1, 0, 0]
    assert torch.tensor([1, 2, 3]).cumprod(0).dtype == torch.int64
    assert torch.logcumsumexp(torch.tensor([-1000.0, 0.0]), 0).tolist()[1] == 0.0


def test_unfold_put_and_small_helpers():
    a = rng.normal(size=(3, 8))
    x = t64(a, grad=True)
    win = x.unfold(1, 3, 2)
    np.testing.assert_array_equal(win.detach().numpy(), np.lib.stride_tricks.sliding_window_view(a, 3, axis=1)[:, ::2])
    w = rng.normal(size=tuple(win.shape))
    (win * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(lambda t: t.unfold(1, 3, 2), [a], 0, w), rtol=1e-6)
    with pytest.raises(RuntimeError, match="maximum size"):
        x.unfold(1, 9, 1)
    p = torch.zeros(2, 3).put(torch.tensor([1, 4, 1]), torch.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert p.tolist() == [[0, 4, 0], [0, 2, 0]]
    assert torch.zeros(2).get_device() == -1 and torch.zeros(2, 3).ndimension() == 2
    assert torch.arange(3.0).apply_(lambda v: v * 10).tolist() == [0, 10, 20]


def test_in_place_samplers():
    torch.manual_seed(0)
    e = torch.zeros(20000).exponential_(2.0)
    assert e.min().item() >= 0 and abs(e.mean().item() - 0.5) < 0.02
    r = torch.zeros(1000).random_(3, 7)
    assert set(r.unique().tolist()) == {3.0, 4.0, 5.0, 6.0}
    assert set(torch.zeros(500, dtype=torch.int64).random_(4).unique().tolist()) == {0, 1, 2, 3}
    g = torch.zeros(20000).geometric_(0.25)
    assert g.min().item() == 1 and abs(g.mean().item() - 4.0) < 0.15
    ln = torch.zeros(20000).log_normal_(0.0, 0.5)
    assert abs(ln.log().mean().item()) < 0.02 and abs(ln.log().std().item() - 0.5) < 0.02
    c = torch.zeros(20001).cauchy_()
    assert abs(c.median().item()) < 0.05


def test_samplers_repeat_pytorchs_draws_for_a_seed():
    # printed by PyTorch 2.15 (CPU, AMD; on Intel CPUs PyTorch draws
    # bernoulli_(p) from MKL instead) after torch.manual_seed(0)
    F = torch.nn.functional

    def seeded(f):
        torch.manual_seed(0)
        return f()

    assert seeded(lambda: F.dropout(torch.ones(8), 0.5)).tolist() == [0, 0, 2, 0, 0, 0, 2, 2]
    np.testing.assert_allclose(
        seeded(lambda: torch.nn.Dropout(0.3)(torch.arange(1.0, 7.0))).numpy(), [0, 0, 4.285714149475098, 0, 7.142857551574707, 0], rtol=1e-7
    )
    assert seeded(lambda: F.dropout2d(torch.ones(2, 4, 1, 1), 0.5)).flatten().tolist() == [0, 0, 2, 0, 0, 0, 2, 2]
    np.testing.assert_allclose(
        seeded(lambda: F.alpha_dropout(torch.ones(4), 0.3, training=True)).numpy(),
        [-1.059548258781433, -1.059548258781433, 1.315044641494751, -1.059548258781433],
        rtol=1e-6,
    )
    assert seeded(lambda: torch.empty(6).bernoulli_(0.3)).tolist() == [0] * 6
    assert seeded(lambda: torch.multinomial(torch.tensor([0.2, 0.3, 0.5]), 4, replacement=True)).tolist() == [2, 2, 1, 2]
    assert seeded(lambda: torch.multinomial(torch.tensor([0.2, 0.3, 0.5, 0.1]), 2)).tolist() == [2, 1]
    np.testing.assert_allclose(
        seeded(lambda: torch.empty(3).exponential_()).numpy(), [3.508326292037964, 1.2303847074508667, 0.615044116973877], rtol=1e-7
    )
    assert seeded(lambda: torch.empty(3).geometric_(0.3)).tolist() == [1, 1, 3]
    np.testing.assert_allclose(seeded(lambda: torch.empty(2).cauchy_()).numpy(), [10.597729682922363, 0.7647672891616821], rtol=1e-6)
    # p == 1 draws nothing, as PyTorch: the next draw is the seed's first
    assert seeded(lambda: (F.dropout(torch.ones(3), 1.0), torch.rand(1))[1]).tolist() == seeded(lambda: torch.rand(1)).tolist()


def _grad_of(f, values):
    x = torch.tensor(values, requires_grad=True)
    f(x).sum().backward()
    return x.grad.tolist()


def test_clamp_family_gradients_on_the_bounds_match_pytorch():
    # PyTorch 2.15's values: an input exactly on a scalar bound gets no
    # gradient (tensor bounds split it, as maximum/minimum do)
    F = torch.nn.functional
    v = [0.0, 1.0, 0.5, -1.0, 2.0]
    assert _grad_of(lambda x: x.clamp(0, 1), v) == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert _grad_of(lambda x: x.clamp(min=0), v) == [0.0, 1.0, 1.0, 0.0, 1.0]
    assert _grad_of(lambda x: x.clamp(max=1), v) == [1.0, 0.0, 1.0, 1.0, 0.0]
    assert _grad_of(lambda x: x.clamp(torch.tensor(0.0), torch.tensor(1.0)), v) == [0.5, 0.5, 1.0, 0.0, 0.0]
    assert _grad_of(lambda x: F.hardtanh(x, 0.0, 1.0), v) == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert _grad_of(lambda x: F.relu6(x * 6), v) == [0.0, 0.0, 6.0, 0.0, 0.0]
    assert _grad_of(lambda x: F.hardsigmoid(x * 3), v) == [0.5, 0.0, 0.5, 0.0, 0.0]
    assert _grad_of(lambda x: F.hardswish(x * 3), [-1.0, 1.0, 0.0, -2.0, 2.0]) == [0.0, 3.0, 1.5, 0.0, 3.0]
    y = F.hardswish(torch.tensor([-3.0, 3.0, -1.0, 1.5, 4.0, -4.0]))
    np.testing.assert_allclose(y.numpy(), [0.0, 3.0, -1 / 3, 1.125, 4.0, 0.0], rtol=1e-6)
    # the CPU's fused backward and the recorded rule agree (double backward uses the rule)
    x = torch.tensor(v, requires_grad=True)
    (g,) = torch.autograd.grad(x.clamp(0, 1).sum(), x, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]


def test_shifts_and_integer_powers_match_pytorch():
    x = torch.tensor([5, -5, 1])
    assert (x << torch.tensor([1, 2, 63])).tolist() == [10, -20, -(2**63)]
    assert (x << 64).tolist() == [0, 0, 0] and (x << -1).tolist() == [0, 0, 0]
    assert (x >> 1).tolist() == [2, -3, 0]
    assert (x >> torch.tensor([63, 63, 64])).tolist() == [0, -1, 0] and (x >> -1).tolist() == [0, -1, 0]
    assert (3 << x.abs()).tolist() == [96, 96, 6] and (100 >> x.abs()).tolist() == [3, 3, 50]
    assert torch.bitwise_left_shift(x, 2).tolist() == [20, -20, 4] and torch.bitwise_right_shift(x, 1).dtype == torch.int64
    assert (torch.tensor([True, False]) << 1).tolist() == [2, 0]
    y = x.clone()
    y <<= 2
    y >>= 3
    assert y.tolist() == [2, -3, 0]
    with pytest.raises(NotImplementedError, match="lshift_cpu"):
        torch.tensor([1.0]) << 1
    # integer bases and exponents stay integer; a negative exponent tensor truncates
    assert (2 ** torch.tensor([3])).dtype == torch.int64 and (2 ** torch.tensor([3])).tolist() == [8]
    assert (2.0 ** torch.tensor([3])).dtype == torch.float32
    b, e = torch.tensor([2, 1, -1, 0, -2]), torch.tensor([-1, -2, -3, 2, 3])
    assert (b**e).tolist() == [0, 1, -1, 0, -8] and (2**e).tolist() == [0, 0, 0, 4, 8]
    with pytest.raises(RuntimeError, match="negative integer powers"):
        b**-1
