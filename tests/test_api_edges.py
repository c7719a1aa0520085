"""Corners of the tensor API found by sweeping it beside PyTorch 2.15
(expected values printed by PyTorch): BLAS-backed products ignore their
matrices when alpha is 0, a NaN clamp bound, float-to-int64 conversion of
NaN and infinities, refused dtypes, as_strided and torch.gradient."""

import math
import warnings

import pytest

import autorust as torch

NAN = math.nan


def test_blas_products_ignore_the_matrices_when_alpha_is_zero():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    nm = torch.tensor([[NAN, 1.0], [2.0, NAN]])
    assert torch.addmm(a, nm, a, alpha=0).tolist() == a.tolist()
    assert torch.addmm(a, a, nm, alpha=0, beta=2).tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert torch.addmv(torch.tensor([1.0, 2.0]), nm, torch.tensor([1.0, 2.0]), alpha=0).tolist() == [1.0, 2.0]
    assert torch.addbmm(a, nm[None], a[None], alpha=0).tolist() == a.tolist()
    # baddbmm and addr are not BLAS calls in PyTorch: the NaN propagates there
    assert math.isnan(torch.baddbmm(a[None], nm[None], a[None], alpha=0)[0, 0, 0].item())
    x, m = a.clone().requires_grad_(), nm.clone().requires_grad_()
    torch.addmm(x, m, a, alpha=0).sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]] and m.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_clamp_with_a_nan_bound_is_nan():
    y = torch.clamp(torch.tensor([1.0, 2.0]), min=NAN)
    assert all(math.isnan(v) for v in y.tolist())
    y = torch.clamp(torch.tensor([1.0, 2.0]), max=NAN)
    assert all(math.isnan(v) for v in y.tolist())


def test_float_to_int64_of_nan_and_infinities_is_int64_min():
    # x86's conversion, as PyTorch's CPU kernels
    got = torch.tensor([NAN, math.inf, -math.inf, 1e30, 2.7, -2.7]).to(torch.int64).tolist()
    assert got == [-(2**63)] * 4 + [2, -2]


def test_refused_dtypes_and_ranges():
    with pytest.raises(NotImplementedError, match="std and var only support floating point and complex dtypes"):
        torch.tensor([1, 2]).std()
    with pytest.raises(NotImplementedError, match="std and var only support floating point and complex dtypes"):
        torch.tensor([1, 2]).var(0)
    with pytest.raises(NotImplementedError, match="var_mean only support floating point and complex dtypes"):
        torch.var_mean(torch.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="std_mean only support floating point and complex dtypes"):
        torch.std_mean(torch.tensor([True]))
    with pytest.raises(RuntimeError, match=r"torch.histc: range of \[1, inf\] is not finite"):
        torch.histc(torch.tensor([1.0, math.inf]))
    with pytest.raises(NotImplementedError, match="\"histogram_cpu\" not implemented for 'Long'"):
        torch.histc(torch.tensor([1, 2]))


def test_variance_without_degrees_of_freedom_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert math.isnan(torch.tensor([1.0]).var().item()) and math.isnan(torch.tensor([1.0]).std().item())
    messages = [str(w.message) for w in caught]
    assert any(m.startswith("var(): degrees of freedom is <= 0") for m in messages)
    assert any(m.startswith("std(): degrees of freedom is <= 0") for m in messages)


def test_as_strided():
    x = torch.arange(12.0).requires_grad_()
    y = x.as_strided((3, 3), (2, 1), 1)
    assert y.tolist() == [[1.0, 2.0, 3.0], [3.0, 4.0, 5.0], [5.0, 6.0, 7.0]]
    assert y.grad_fn.name() == "AsStridedBackward0"
    (y * torch.arange(9.0).reshape(3, 3)).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 5.0, 4.0, 11.0, 7.0, 8.0, 0.0, 0.0, 0.0, 0.0]  # overlaps summed
    z = torch.as_strided(torch.arange(6.0).reshape(2, 3), (2, 2), (1, 2))
    assert z.tolist() == [[0.0, 2.0], [1.0, 3.0]] and z.stride() == (1, 2)
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 16"):
        torch.arange(4.0).as_strided((5,), (1,))
    with pytest.raises(RuntimeError, match="mismatch in length of strides and shape"):
        torch.arange(4.0).as_strided((2,), (1, 1))
    with pytest.raises(RuntimeError, match="Negative strides are not supported"):
        torch.arange(4.0).as_strided((2,), (-1,))


def test_gradient():
    f = torch.tensor([[1.0, 2.0, 4.0, 8.0], [10.0, 20.0, 40.0, 80.0], [3.0, 5.0, 2.0, 1.0]], dtype=torch.float64)
    g0, g1 = torch.gradient(f)
    assert g0.tolist() == [[9.0, 18.0, 36.0, 72.0], [1.0, 1.5, -1.0, -3.5], [-7.0, -15.0, -38.0, -79.0]]
    assert g1.tolist() == [[1.0, 1.5, 3.0, 4.0], [10.0, 15.0, 30.0, 40.0], [2.0, -0.5, -2.0, -1.0]]
    (h,) = torch.gradient(f, dim=1, spacing=[torch.tensor([0.0, 0.5, 2.0, 2.5], dtype=torch.float64)], edge_order=2)
    assert h[0].tolist() == pytest.approx([2.1666666666666665, 1.833333333333333, 6.333333333333334, 9.666666666666668], rel=1e-14)
    assert torch.gradient(torch.tensor([1, 4, 9, 16]))[0].tolist() == [3.0, 4.0, 6.0, 7.0]
    with pytest.raises(RuntimeError, match="expected each dimension size to be at least edge_order\\+1"):
        torch.gradient(torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="since dim argument was not given, but got a list of length 1"):
        torch.gradient(f, spacing=[1.0])


def test_ravel_and_unflatten_nodes():
    # ravel is contiguous().view(-1); unflatten is a view, strided or not
    x = torch.randn(4, 3, requires_grad=True)
    r = x.t().ravel()
    assert r.grad_fn.name() == "ViewBackward0" and r.grad_fn.next_functions[0][0].name() == "CloneBackward0"
    assert x.ravel().grad_fn.name() == "ViewBackward0"
    assert x.t().unflatten(1, (2, 2)).grad_fn.name() == "ViewBackward0"
    y = torch.tensor(0.5, requires_grad=True).expand(2)
    assert y.unflatten(-1, (1, 2)).grad_fn.name() == "ViewBackward0"
    assert x.t().unflatten(1, (2, 2)).stride() == (1, 6, 3)


def test_nuclear_norm_through_tensor_norm():
    x = torch.tensor([[3.0, 4.0], [1.0, 2.0]], requires_grad=True)
    y = x.norm("nuc")
    assert y.item() == pytest.approx(5.830952167510986)
    y.backward()
    assert x.grad.flatten().tolist() == pytest.approx([0.8575, 0.5145, -0.5145, 0.8575], abs=1e-4)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 1"):
        x.norm("nuc", dim=1)


def test_float32_variance_is_accumulated_in_double():
    # PyTorch's CPU var/std of float32 accumulate in double and round once:
    # the same floats to the bit, and no overflow of squares past 1e19
    x = torch.arange(1000, dtype=torch.float32).sin() * 3 + 1
    assert x.var().item() == 4.50007963180542 and x.std().item() == 2.1213390827178955
    assert x.reshape(10, 100).var(1)[:3].tolist() == [4.546412944793701, 4.521864891052246, 4.521370887756348]
    assert x.reshape(10, 100).std(0)[:3].tolist() == [2.2148797512054443, 1.9822195768356323, 2.3527448177337646]
    z = torch.tensor([1e30, 1e30, -1e30], requires_grad=True)
    s = z.std()
    assert s.item() == pytest.approx(1.1547005853437709e30) and s.grad_fn.name() == "StdBackward0"
    s.backward()
    assert z.grad.tolist() == pytest.approx([0.28867512941360474, 0.28867512941360474, -0.5773502588272095])
