"""The native average-pooling kernel (`src/backend/cpu/avg_pool.rs`) and its
gradient pair: values against a NumPy transcription of PyTorch's divisor
rule, gradients against finite differences (first and second order), the
graph PyTorch shows, errors, and results independent of the thread count."""

import numpy as np
import pytest
from test_nn_layers import check_grads, rnd
from thread_counts import assert_same_across_thread_counts

import autorust as torch
import autorust.nn.functional as F


def np_avg_pool(x, k, s, p, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """PyTorch's CPU rule, written out: the window [o*s - p, min(o*s - p + k, n + p))
    clipped to the input for the sum; the divisor the padded extent, the
    clipped one, or the override."""
    n, c, h, w = x.shape

    def out_len(size, kk, ss, pp):
        span = size + 2 * pp - kk
        o = (-(-span // ss) if ceil_mode else span // ss) + 1
        if ceil_mode and (o - 1) * ss >= size + pp:
            o -= 1
        return o

    oh, ow = out_len(h, k[0], s[0], p[0]), out_len(w, k[1], s[1], p[1])
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        y0 = i * s[0] - p[0]
        y1 = min(y0 + k[0], h + p[0])
        for j in range(ow):
            x0 = j * s[1] - p[1]
            x1 = min(x0 + k[1], w + p[1])
            window = x[:, :, max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
            if divisor_override:
                div = divisor_override
            elif count_include_pad:
                div = (y1 - y0) * (x1 - x0)
            else:
                div = (min(y1, h) - max(y0, 0)) * (min(x1, w) - max(x0, 0))
            out[:, :, i, j] = window.sum((2, 3)) / div
    return out


CASES = [
    dict(k=(2, 2), s=(2, 2), p=(0, 0)),
    dict(k=(3, 3), s=(2, 2), p=(1, 1)),
    dict(k=(3, 2), s=(1, 2), p=(1, 0)),
    dict(k=(3, 3), s=(2, 2), p=(1, 1), ceil_mode=True),
    dict(k=(3, 3), s=(2, 2), p=(1, 1), ceil_mode=True, count_include_pad=False),
    dict(k=(2, 3), s=(3, 2), p=(1, 1), count_include_pad=False),
    dict(k=(2, 2), s=(1, 1), p=(1, 1), divisor_override=3),
    dict(k=(4, 4), s=(3, 3), p=(2, 2), ceil_mode=True, divisor_override=-2),
]


def _call(x, case):
    extra = {key: case[key] for key in ("ceil_mode", "count_include_pad", "divisor_override") if key in case}
    return F.avg_pool2d(x, case["k"], case["s"], case["p"], **extra)


@pytest.mark.parametrize("case", CASES)
def test_values_follow_pytorchs_divisor_rule(case):
    x = rnd(2, 3, 9, 8)
    extra = {key: case[key] for key in ("ceil_mode", "count_include_pad", "divisor_override") if key in case}
    expected = np_avg_pool(x, case["k"], case["s"], case["p"], **extra)
    np.testing.assert_allclose(_call(torch.tensor(x), case).numpy(), expected, rtol=1e-12)
    got32 = _call(torch.tensor(x, dtype=torch.float32), case).numpy()
    np.testing.assert_allclose(got32, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_gradients_of_first_and_second_order(case):
    x = rnd(1, 2, 7, 6)
    check_grads(lambda x: _call(x, case), x)
    # the gradient as a function of the incoming gradient (its own node)
    xt = torch.tensor(x, requires_grad=True)
    out = _call(xt, case)
    g = torch.tensor(rnd(*out.shape, seed=3), requires_grad=True)
    (gx,) = torch.autograd.grad(out, xt, g, create_graph=True)
    assert gx.grad_fn.name() == "AvgPool2DBackwardBackward0"
    probe = torch.tensor(rnd(*x.shape, seed=4))
    (gg,) = torch.autograd.grad(gx, g, probe)
    # <gx(g), probe> is linear in g with gradient avg_pool(probe)
    np.testing.assert_allclose(gg.numpy(), _call(probe, case).numpy(), rtol=1e-12)


def test_graph_names_and_saved_input_as_in_pytorch():
    x = torch.randn(1, 1, 4, 4, requires_grad=True)
    y = F.avg_pool2d(x, 2)
    assert y.grad_fn.name() == "AvgPool2DBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"
    assert y.grad_fn._saved_self is x
    (g,) = torch.autograd.grad(y.sum() * 1, x, create_graph=True)
    names = [f and f.name() for f, _ in g.grad_fn.next_functions]
    assert g.grad_fn.name() == "AvgPool2DBackwardBackward0"
    assert names == [None, "torch::autograd::AccumulateGrad"]
    y2 = F.avg_pool2d(x, 2)
    y2.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y2.sum().backward()


def test_unbatched_and_empty_batch():
    x = rnd(3, 6, 5)
    np.testing.assert_allclose(F.avg_pool2d(torch.tensor(x), 2).numpy(), np_avg_pool(x[None], (2, 2), (2, 2), (0, 0))[0], rtol=1e-12)
    empty = torch.zeros(0, 2, 4, 4, requires_grad=True)
    out = F.avg_pool2d(empty, 2)
    assert tuple(out.shape) == (0, 2, 2, 2)
    out.sum().backward()
    assert tuple(empty.grad.shape) == (0, 2, 4, 4)


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: F.avg_pool2d(torch.ones(4, 4), 2), IndexError, "Dimension out of range"),
        (lambda: F.avg_pool2d(torch.ones(1, 0, 4, 4), 2), RuntimeError, "Expected 3D or 4D"),
        (lambda: F.avg_pool2d(torch.ones(1, 1, 4, 4), 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
        (lambda: F.avg_pool2d(torch.ones(1, 1, 4, 4), 2, padding=2), RuntimeError, "pad should be at most half"),
        (lambda: F.avg_pool2d(torch.ones(1, 1, 1, 1), 3), RuntimeError, "Output size is too small"),
        (lambda: F.avg_pool2d(torch.ones(1, 1, 4, 4), 2, stride=0), RuntimeError, "stride should not be zero"),
    ],
)
def test_errors_in_pytorchs_words(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_results_do_not_depend_on_the_thread_count():
    assert_same_across_thread_counts(
        "import autorust as torch, autorust.nn.functional as F\n"
        "torch.manual_seed(0)\n"
        "x = torch.randn(16, 32, 34, 34, requires_grad=True)\n"
        "out = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False); out.backward(torch.randn(*out.shape))\n"
        "print(b''.join(v.detach().numpy().tobytes() for v in (out, x.grad)).hex())\n",
        counts=("1", "2"),
    )


def test_second_order_gradient_of_the_input_is_zero_not_none():
    # PyTorch's AvgPool2DBackwardBackward0 gives the forward's input zeros
    x = torch.randn(1, 2, 4, 4, requires_grad=True)
    (gx,) = torch.autograd.grad(F.avg_pool2d(x, 2).pow(2).sum(), x, create_graph=True)
    (ggx,) = torch.autograd.grad(gx.sum(), x)
    expected = F.avg_pool2d(torch.ones(1, 2, 4, 4), 2).repeat_interleave(2, 2).repeat_interleave(2, 3) * 0.5
    np.testing.assert_allclose(ggx.numpy(), expected.numpy(), rtol=1e-6)


def test_unbatched_input_is_one_node_and_global_adaptive_pooling_a_mean():
    x = torch.randn(3, 6, 5, requires_grad=True)
    assert F.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert F.adaptive_avg_pool2d(x[None], 1).grad_fn.name() == "MeanBackward1"
    (g,) = torch.autograd.grad(F.adaptive_avg_pool2d(x, (1, 1)).pow(2).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "DivBackward1"  # the mean's gradient, last in the chain


def test_create_graph_gradients_of_views_and_means_show_pytorchs_nodes():
    x = torch.randn(4, 5, requires_grad=True)
    (g,) = torch.autograd.grad(x[1:3].pow(2).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "SliceBackwardBackward0"
    assert [f.name() for f, _ in g.grad_fn.next_functions] == ["MulBackward0"]
    (g,) = torch.autograd.grad(x[2].pow(2).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "SelectBackwardBackward0"
    (g,) = torch.autograd.grad(x.mean(1).pow(2).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "DivBackward1"
    (g,) = torch.autograd.grad(x.unsqueeze(0).pow(2).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "SqueezeBackward1"
    # the values are unchanged: d/dx sum((x[2])^2) = 2 x in row 2
    (g,) = torch.autograd.grad(x[2].pow(2).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    expected = np.zeros((4, 5))
    expected[2] = 2.0
    np.testing.assert_allclose(gg.numpy(), expected)
