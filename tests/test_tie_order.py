"""Where equal elements end up in sort, topk, kthvalue, quantile and mode:
the values are the same whatever the order of ties, but the indices (and
so which element gets the gradient) are the order PyTorch's CPU
algorithms leave them in (std::sort, std::nth_element, std::partial_sort,
PyTorch's quickselect; `_stl_order.py`). Expected indices printed by
PyTorch 2.15."""

import math

import pytest

import autorust as torch

ROW = [2.0, 0.0, 1.0, 0.0, 2.0, 1.0, 1.0, 0.0, 2.0, 2.0, 0.0, 1.0, 0.0, 1.0, 2.0, 0.0, 1.0, 1.0, 0.0, 2.0, 0.0]


def test_sort_past_16_elements_is_std_sorts_order():
    x = torch.tensor(ROW)
    assert x.sort().indices.tolist() == [10, 20, 18, 15, 12, 7, 3, 1, 6, 5, 11, 13, 16, 17, 2, 8, 9, 0, 4, 14, 19]
    assert x.sort(descending=True).indices.tolist() == [19, 4, 8, 9, 0, 14, 2, 5, 6, 11, 17, 13, 16, 10, 20, 18, 15, 12, 7, 3, 1]
    assert x.argsort().tolist() == x.sort().indices.tolist()
    # stable=True keeps the given order of ties
    assert x.sort(stable=True).indices.tolist() == [1, 3, 7, 10, 12, 15, 18, 20, 2, 5, 6, 11, 13, 16, 17, 0, 4, 8, 9, 14, 19]
    # along a leading dim too, and the gradient follows the indices
    w = torch.tensor(ROW).reshape(21, 1).requires_grad_()
    (w.sort(0).values.reshape(-1) * torch.arange(21.0)).sum().backward()
    assert w.grad.reshape(-1).tolist()[10] == 0.0 and w.grad.reshape(-1).tolist()[19] == 20.0


def test_topk_is_nth_element_then_sort():
    x = torch.tensor(ROW)
    assert x.topk(5).indices.tolist() == [14, 9, 8, 0, 4]
    assert x.topk(5, largest=False).indices.tolist() == [15, 7, 12, 10, 18]
    small = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    assert small.topk(3).indices.tolist() == [3, 5, 0]
    assert small.topk(2, largest=False).indices.tolist() == [1, 4]
    # k * 64 <= n: std::partial_sort (a heap)
    assert torch.tensor([float(i % 3) for i in range(200)]).topk(2).indices.tolist() == [5, 2]


def test_kthvalue_is_pytorchs_quickselect():
    x = torch.tensor(ROW)
    assert [x.kthvalue(k).indices.item() for k in (1, 5, 10, 21)] == [12, 10, 2, 0]
    assert torch.tensor([0.0, 0.0, 0.0]).kthvalue(2).indices.item() == 0
    assert torch.zeros(2, 0, 1).kthvalue(1, -1).values.shape == (2, 0)


def test_quantile_reads_where_nth_element_leaves_the_ranks():
    x = torch.tensor(ROW, requires_grad=True)
    torch.quantile(x, 0.3).backward()
    got = [(i, g) for i, g in enumerate(x.grad.tolist()) if g]
    assert [i for i, _ in got] == [3, 20]
    assert [g for _, g in got] == pytest.approx([2.384185791015625e-07, 0.9999997615814209], rel=1e-6)


def test_quantile_ranks_are_float64_of_the_rounded_q():
    # q rounded to float32 (0.30000001), its rank of 20 in float64 is just above 6
    assert torch.quantile(torch.arange(21.0), 0.3, interpolation="higher").item() == 7.0
    assert torch.quantile(torch.arange(19.0), 0.9).item() == 16.19999885559082


def test_mode_with_nan_does_not_crash():
    m = torch.tensor([math.nan, math.nan, 1.0]).mode()
    assert math.isnan(m.values.item()) and m.indices.item() == 0
    assert torch.tensor([1.0, math.nan, 1.0, math.nan]).mode().indices.item() == 0
