"""autorust.linalg against NumPy's values, and its gradients against central
finite differences in float64."""

import warnings

import numpy as np
import pytest
from test_ops import finite_difference

import autorust as torch

rng = np.random.default_rng(21)
M = rng.normal(size=(3, 3))
SPD = M @ M.T + 3 * np.eye(3)
B = rng.normal(size=(3, 2))

CASES = [
    # name, fn, inputs, numpy reference
    ("inv", lambda a: torch.linalg.inv(a), [M], np.linalg.inv),
    ("det", lambda a: torch.linalg.det(a), [M], np.linalg.det),
    ("det_batched", lambda a: torch.det(torch.stack([a, a * 2])), [M], lambda a: np.linalg.det(np.stack([a, a * 2]))),
    ("slogdet", lambda a: torch.linalg.slogdet(a).logabsdet, [M], lambda a: np.linalg.slogdet(a)[1]),
    ("logdet", lambda a: torch.logdet(a), [SPD], lambda a: np.log(np.linalg.det(a))),
    ("solve", lambda a, b: torch.linalg.solve(a, b), [M, B], np.linalg.solve),
    ("solve_vector", lambda a, b: torch.linalg.solve(a, b[:, 0]), [M, B], lambda a, b: np.linalg.solve(a, b[:, 0])),
    ("cholesky", lambda a: torch.linalg.cholesky((a + a.t()) / 2), [SPD], np.linalg.cholesky),
    ("eigvalsh", lambda a: torch.linalg.eigvalsh((a + a.t()) / 2), [SPD], np.linalg.eigvalsh),
    ("eigh_vectors", lambda a: torch.linalg.eigh((a + a.t()) / 2).eigenvectors.abs(), [SPD], lambda a: np.abs(np.linalg.eigh(a)[1])),
    ("svdvals", lambda a: torch.linalg.svdvals(a), [M], lambda a: np.linalg.svd(a, compute_uv=False)),
    ("matrix_norm_fro", lambda a: torch.linalg.matrix_norm(a), [M], np.linalg.norm),
    ("matrix_norm_nuc", lambda a: torch.linalg.matrix_norm(a, "nuc"), [M], lambda a: np.linalg.norm(a, "nuc")),
    ("matrix_norm_2", lambda a: torch.linalg.norm(a, 2), [M], lambda a: np.linalg.norm(a, 2)),
    ("matrix_norm_inf", lambda a: torch.linalg.matrix_norm(a, float("inf")), [M], lambda a: np.linalg.norm(a, np.inf)),
    ("vector_norm_3", lambda a: torch.linalg.vector_norm(a, 3, dim=1), [M], lambda a: np.linalg.norm(a, 3, axis=1)),
    ("matrix_power", lambda a: torch.linalg.matrix_power(a, 3), [M], lambda a: np.linalg.matrix_power(a, 3)),
    ("matrix_power_negative", lambda a: a.matrix_power(-2), [M], lambda a: np.linalg.matrix_power(a, -2)),
]


@pytest.mark.parametrize("name,fn,inputs,ref", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients(name, fn, inputs, ref):
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    out = fn(*ts)
    np.testing.assert_allclose(out.detach().numpy(), ref(*inputs), rtol=1e-10, atol=1e-12)
    w = rng.normal(size=tuple(out.shape))
    (out * torch.tensor(w)).sum().backward()
    for k, t in enumerate(ts):
        np.testing.assert_allclose(t.grad.numpy(), finite_difference(fn, inputs, k, w), rtol=1e-5, atol=1e-6)


def test_factorisations_and_errors():
    x = torch.tensor(M)
    u, s, vh = torch.linalg.svd(x)
    np.testing.assert_allclose((u * s) @ vh, M, atol=1e-12)
    q, r = torch.linalg.qr(x)
    np.testing.assert_allclose((q @ r).numpy(), M, atol=1e-12)
    np.testing.assert_allclose(torch.linalg.pinv(torch.tensor(B)).numpy(), np.linalg.pinv(B), atol=1e-12)
    U, S, V = torch.svd(x)  # the old API returns V
    np.testing.assert_allclose((U * S) @ V.t(), M, atol=1e-12)
    with pytest.raises(RuntimeError, match="singular"):
        torch.linalg.inv(torch.ones(2, 2))
    with pytest.raises(RuntimeError, match="not positive-definite"):
        torch.linalg.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(RuntimeError, match="square"):
        torch.linalg.det(torch.ones(2, 3))
    # the determinant's gradient stays finite where A is singular (the cofactors)
    z = torch.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=torch.float64, requires_grad=True)
    torch.det(z).backward()
    np.testing.assert_allclose(z.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-10)


def test_vector_helpers():
    a, b = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, -5.0, 6.0])
    assert torch.vdot(a, b).item() == 12.0 and torch.inner(a, b).item() == 12.0
    assert torch.ger(a, b).tolist() == np.outer([1, 2, 3], [4, -5, 6]).tolist()
    assert abs(torch.dist(a, b).item() - np.linalg.norm([-3, 7, -3])) < 1e-6
    r = torch.renorm(torch.tensor([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0)
    np.testing.assert_allclose(r.numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)


def test_cross_without_dim_warns_once_as_pytorch():
    from autorust import _ops_linalg

    _ops_linalg._warned_cross_default_dim.clear()
    a, b = torch.tensor([0.0, 1.0, 0.0]), torch.tensor([1.0, 0.0, 0.0])
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated") as record:
        torch.cross(a, b)
    assert record[0].filename == __file__  # the caller's line, not autorust's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(a.cross(b).numpy(), [0.0, 0.0, -1.0])  # once per process
        torch.cross(a, b, dim=0)


def test_second_derivatives_of_eigh_match_finite_differences():
    # its backward is written in tensor ops of the saved outputs, so it
    # differentiates again: checked against finite differences of the first
    a = torch.tensor(np.random.default_rng(3).standard_normal((3, 3)), dtype=torch.float64, requires_grad=True)

    def fn(m):
        values, vectors = torch.linalg.eigh(m + m.mT)
        return values * 2 + vectors.abs().sum(0)

    assert torch.autograd.gradgradcheck(fn, (a,))


def test_svd_differentiates_twice_against_finite_differences():
    # singular vectors through sign-invariant functions; tall, wide, batched
    rng = np.random.default_rng(3)
    for shape in [(4, 3), (3, 5), (2, 3, 3)]:
        a = torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=True)

        def fn(m):
            u, s, vh = torch.linalg.svd(m, full_matrices=False)
            return (u**2 * 1.5).sum(-1).sum() + (vh**2).sum(-2)[..., 0].sum() + (s**3).sum()

        assert torch.autograd.gradcheck(fn, (a,))
        assert torch.autograd.gradgradcheck(fn, (a,))
        assert torch.autograd.gradgradcheck(torch.linalg.svdvals, (a,))


def test_qr_and_pinv_differentiate_twice_against_finite_differences():
    rng = np.random.default_rng(4)
    for shape in [(4, 3), (3, 5), (3, 3)]:
        a = torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=True)

        def qr_fn(m):
            q, r = torch.linalg.qr(m)
            return (q * q.abs()).sum() + (r**2).sum()

        assert torch.autograd.gradcheck(qr_fn, (a,))
        assert torch.autograd.gradgradcheck(qr_fn, (a,))
        assert torch.autograd.gradcheck(torch.linalg.pinv, (a,))
        assert torch.autograd.gradgradcheck(torch.linalg.pinv, (a,))


def test_pinv_and_matrix_rank_honour_their_tolerances():
    # diag(4, 1, 0.01): each tolerance drops a different number of values
    a = torch.tensor(np.diag([4.0, 1.0, 0.01]), dtype=torch.float64)
    assert np.allclose(torch.linalg.pinv(a).numpy(), np.diag([0.25, 1.0, 100.0]))
    assert np.allclose(torch.linalg.pinv(a, atol=0.5).numpy(), np.diag([0.25, 1.0, 0.0]))
    assert np.allclose(torch.linalg.pinv(a, rtol=0.5).numpy(), np.diag([0.25, 0.0, 0.0]))
    assert np.allclose(torch.linalg.pinv(a, hermitian=True, atol=0.5).numpy(), np.diag([0.25, 1.0, 0.0]))
    assert np.allclose(torch.pinverse(a, rcond=0.5).numpy(), np.diag([0.25, 0.0, 0.0]))
    assert [torch.linalg.matrix_rank(a, **kw).item() for kw in ({}, {"atol": 0.5}, {"rtol": 0.5}, {"hermitian": True, "atol": 2.0})] == [3, 2, 1, 1]


def test_legacy_svd_without_vectors_gives_zero_filled_factors():
    x = torch.tensor(np.random.default_rng(5).standard_normal((4, 3)), requires_grad=True)
    u, s, v = torch.svd(x, compute_uv=False)
    assert tuple(u.shape) == (4, 4) and tuple(v.shape) == (3, 3) and not u.any() and not v.any()
    assert np.allclose(s.detach().numpy(), np.linalg.svd(x.detach().numpy(), compute_uv=False))
    s.sum().backward()
    u, _, vh = np.linalg.svd(x.detach().numpy(), full_matrices=False)
    assert np.allclose(x.grad.numpy(), u @ vh)


def test_qr_refuses_the_derivatives_pytorch_refuses():
    x = torch.tensor(np.random.default_rng(6).standard_normal((4, 3)), requires_grad=True)
    _, r = torch.linalg.qr(x, mode="r")
    with pytest.raises(RuntimeError, match="mode='r'"):
        r.sum().backward()
    q, r = torch.linalg.qr(x, mode="complete")
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        (q.sum() + r.sum()).backward()


def test_matrix_exp_and_solve_triangular_differentiate_twice():
    rng = np.random.default_rng(7)
    a = torch.tensor(rng.standard_normal((3, 3)) * 0.5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(torch.linalg.matrix_exp, (a,))
    assert torch.autograd.gradgradcheck(torch.linalg.matrix_exp, (a,))
    lower = torch.tensor(np.tril(rng.standard_normal((3, 3))) + 3 * np.eye(3), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(rng.standard_normal((3, 2)), dtype=torch.float64, requires_grad=True)
    for left in (True, False):
        rhs = b if left else b.detach().mT.clone().requires_grad_()

        def solve(m, r, left=left):
            return torch.linalg.solve_triangular(m, r, upper=False, left=left)

        assert torch.autograd.gradcheck(solve, (lower, rhs))
        assert torch.autograd.gradgradcheck(solve, (lower, rhs))
    # the exponential of a rotation generator is the rotation
    theta = 0.3
    rotation = torch.linalg.matrix_exp(torch.tensor([[0.0, -theta], [theta, 0.0]], dtype=torch.float64))
    np.testing.assert_allclose(rotation.numpy(), [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]], atol=1e-15)
