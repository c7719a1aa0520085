"""The native LSTM layer (one graph node per layer and direction, fused
CPU kernels): its gradients against central finite differences in float64,
its second-order gradients (create_graph) against finite differences of
the first-order ones, the version check on its saved output, and its
results across thread counts."""

import textwrap

import numpy as np
import pytest
from test_nn_layers import check_grads
from thread_counts import assert_same_across_thread_counts

import autorust as torch
from autorust import _native

rng = np.random.default_rng(11)
T, N, I, H = 4, 3, 2, 3  # noqa: E741 (PyTorch's LSTM names: steps, batch, input, hidden)


def layer_inputs(bias=True):
    arrays = [rng.normal(size=(T, N, I)), rng.normal(size=(4 * H, I)) * 0.7, rng.normal(size=(4 * H, H)) * 0.7]
    arrays += [rng.normal(size=4 * H), rng.normal(size=4 * H)] if bias else []
    return arrays + [rng.normal(size=(N, H)), rng.normal(size=(N, H))]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_layer_gradients_match_finite_differences(reverse, bias):
    def layer(x, w_ih, w_hh, *rest):
        b_ih, b_hh, h0, c0 = rest if bias else (None, None, *rest)
        return _native._lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)

    check_grads(layer, *layer_inputs(bias), atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
def test_layer_gradients_in_batch_row_blocks_match_finite_differences(reverse):
    # a batch of 21 rows runs its recurrence in blocks of rows, one per
    # thread (at least 8 rows each), forward and backward through time
    t, n, i, h = 3, 21, 2, 3
    arrays = [
        rng.normal(size=(t, n, i)),
        rng.normal(size=(4 * h, i)) * 0.7,
        rng.normal(size=(4 * h, h)) * 0.7,
        rng.normal(size=4 * h),
        rng.normal(size=4 * h),
        rng.normal(size=(n, h)),
        rng.normal(size=(n, h)),
    ]

    def layer(x, w_ih, w_hh, b_ih, b_hh, h0, c0):
        return _native._lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)

    check_grads(layer, *arrays, atol=1e-7, rtol=1e-6)


def test_layer_second_order_gradients_match_finite_differences_of_the_first():
    arrays = layer_inputs()
    probe = rng.normal(size=(T + 1, N, H))

    def first_order(wrt, arrays, create_graph):
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
        x, w_ih, w_hh, b_ih, b_hh, h0, c0 = ts
        out = _native._lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, True)
        grads = torch.autograd.grad((out * torch.tensor(probe)).sum(), [ts[0], ts[2], ts[5]], create_graph=create_graph)
        # a scalar of the first-order gradients, differentiated once more
        return sum((g * g).sum() for g in grads), ts

    value, ts = first_order(None, arrays, True)
    for i in (0, 1, 2, 3, 6):
        (got,) = torch.autograd.grad(value, ts[i], retain_graph=True)
        expected = np.zeros_like(arrays[i])
        for idx in np.ndindex(arrays[i].shape):
            up, down = [a.copy() for a in arrays], [a.copy() for a in arrays]
            up[i][idx] += 1e-6
            down[i][idx] -= 1e-6
            expected[idx] = (first_order(None, up, False)[0].item() - first_order(None, down, False)[0].item()) / 2e-6
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-6, rtol=1e-5, err_msg=f"input {i}")


def test_module_gradients_match_finite_differences():
    torch.manual_seed(2)
    lstm = torch.nn.LSTM(I, H, num_layers=2, bidirectional=True, batch_first=True).double()

    def run(x, h0, c0):
        out, (h_n, c_n) = lstm(x, (h0, c0))
        return torch.cat([out.reshape(-1), h_n.reshape(-1) * 2, c_n.reshape(-1) * 3])

    check_grads(run, rng.normal(size=(N, T, I)), rng.normal(size=(4, N, H)), rng.normal(size=(4, N, H)), atol=1e-7)


def test_graph_shows_one_node_per_layer_and_direction_with_three_outputs():
    lstm = torch.nn.LSTM(I, H, num_layers=2)
    out, (h_n, c_n) = lstm(torch.randn(T, N, I))
    top = out.grad_fn
    assert type(top).__name__ == "MkldnnRnnLayerBackward0" and out.grad_fn is top
    # PyTorch's inputs: the layer below, four weights, then hx and cx (None: no grad)
    (below, nr), *rest = top.next_functions
    assert type(below).__name__ == "MkldnnRnnLayerBackward0" and nr == 0
    assert [type(f).__name__ for f, _ in rest] == ["AccumulateGrad"] * 4 + ["NoneType"] * 2
    assert [type(f).__name__ for f, _ in below.next_functions] == ["NoneType"] + ["AccumulateGrad"] * 4 + ["NoneType"] * 2
    # PyTorch's outputs of the layer's node: 0 the output, 1 h_n, 2 c_n
    assert [(f, n) for f, n in h_n.grad_fn.next_functions] == [(below, 1), (top, 1)]
    assert [(f, n) for f, n in c_n.grad_fn.next_functions] == [(below, 2), (top, 2)]
    assert type(h_n.grad_fn).__name__ == "StackBackward0" and type(c_n.grad_fn).__name__ == "StackBackward0"


def test_writing_the_output_in_place_fails_the_backward_version_check():
    lstm = torch.nn.LSTM(I, H)
    out, _ = lstm(torch.randn(T, N, I))
    out.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_layer_checks_its_operands():
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = [torch.tensor(a, dtype=torch.float32) for a in layer_inputs()]
    with pytest.raises(RuntimeError, match=r"lstm: weight_hh has shape \[8, 3\], expected \[12, 3\]"):
        _native._lstm_layer(x, h0, c0, w_ih, w_hh[:8], b_ih, b_hh)
    with pytest.raises(RuntimeError, match="lstm: hx has shape"):
        _native._lstm_layer(x, h0[:1], c0, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(RuntimeError, match="lstm: bias is float64"):
        _native._lstm_layer(x, h0, c0, w_ih, w_hh, b_ih.double(), b_hh)
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        torch.nn.LSTM(I, H)(torch.randn(0, N, I))
    with pytest.raises(ValueError, match=r"RNN input dtype \(autorust.float64\) does not match weight dtype \(autorust.float32\)"):
        torch.nn.LSTM(I, H)(torch.randn(T, N, I, dtype=torch.float64))


def test_results_are_bitwise_equal_across_thread_counts():
    # large enough that the GEMMs and the cell passes split over the pool
    script = textwrap.dedent(
        """
        import autorust as torch
        torch.manual_seed(0)
        lstm = torch.nn.LSTM(64, 256, num_layers=2, bidirectional=True)
        x = torch.randn(6, 64, 64, requires_grad=True)
        out, (h, c) = lstm(x)
        (out.sin().sum() + h.sum() + c.sum()).backward()
        vals = [out, h, c, x.grad] + [p.grad for p in lstm.parameters()]
        print(b"".join(v.detach().numpy().tobytes() for v in vals).hex())
        """
    )
    assert_same_across_thread_counts(script)
