"""Layers that were missing from ``torch.nn`` (issue 14): CTC loss, 3-d
transposed convolution, 3-d max pooling with indices and its unpooling,
adaptive and fractional max pooling, 3-d padding, lazy modules,
SyncBatchNorm and AdaptiveLogSoftmaxWithLoss, each against an independent
reference (brute force, NumPy windows, adjoint identities, finite
differences). Their PyTorch results are in the parity gold (snippets
family, ``layers_missing``)."""

import itertools
import math
import warnings

import numpy as np
import pytest

import autorust as torch
import autorust.nn.functional as F
from autorust import nn

# ---- CTC ----


def ctc_brute_force(lp, target, blank):
    """-log of the summed probability of every length-T path that collapses
    to ``target`` (repeats merged, then blanks removed); lp is [T, C]."""
    steps, classes = lp.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        if [c for c in merged if c != blank] == list(target):
            total += math.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -math.log(total) if total > 0 else math.inf


@pytest.mark.parametrize("blank", [0, 2])
def test_ctc_loss_is_the_sum_over_alignments(blank):
    torch.manual_seed(0)
    lp = torch.randn(5, 3, 4, dtype=torch.float64).log_softmax(2)
    # (with blank 0, the zeros past each target's length are padding)
    targets = torch.tensor([[1, 3, 1], [3, 3, 0], [1, 0, 0]])
    input_lengths, target_lengths = torch.tensor([5, 4, 3]), torch.tensor([3, 2, 1])
    got = F.ctc_loss(lp, targets, input_lengths, target_lengths, blank=blank, reduction="none")
    a = lp.numpy()
    for b in range(3):
        il, tl = int(input_lengths[b]), int(target_lengths[b])
        want = ctc_brute_force(a[:il, b], targets[b, :tl].tolist(), blank)
        assert got[b].item() == pytest.approx(want, rel=1e-12) if math.isfinite(want) else math.isinf(got[b].item())


def test_ctc_loss_gradient_through_log_softmax_matches_finite_differences():
    torch.manual_seed(1)
    logits = torch.randn(6, 2, 5, dtype=torch.float64, requires_grad=True)
    targets, il, tl = torch.tensor([[1, 2, 2], [4, 1, 0]]), torch.tensor([6, 5]), torch.tensor([3, 2])

    def loss(x):
        return F.ctc_loss(x.log_softmax(2), targets, il, tl, reduction="sum")

    assert torch.autograd.gradcheck(loss, (logits,))
    # the gradient past an input length is zero, as PyTorch's
    (g,) = torch.autograd.grad(loss(logits), logits)
    assert g[5, 1].abs().sum().item() == 0


def test_ctc_loss_reductions_and_graph():
    torch.manual_seed(2)
    lp = torch.randn(6, 3, 5).log_softmax(2).detach().requires_grad_()
    targets, il, tl = torch.randint(1, 5, (3, 3)), torch.tensor([6, 5, 4]), torch.tensor([3, 0, 1])
    none = F.ctc_loss(lp, targets, il, tl, reduction="none")
    mean = F.ctc_loss(lp, targets, il, tl)
    # mean: each loss over its target length (at least 1), then the batch mean
    assert mean.item() == pytest.approx((none / torch.tensor([3.0, 1.0, 1.0])).mean().item(), rel=1e-6)
    assert F.ctc_loss(lp, targets, il, tl, reduction="sum").item() == pytest.approx(none.sum().item(), rel=1e-6)
    assert type(none.grad_fn).__name__ == "CtcLossBackward0"
    assert [type(n).__name__ for n in (mean.grad_fn, mean.grad_fn.next_functions[0][0])] == ["MeanBackward0", "DivBackward0"]
    # concatenated targets and tuple lengths give the same losses
    flat = torch.cat([targets[b, : int(tl[b])] for b in range(3)])
    again = F.ctc_loss(lp, flat, (6, 5, 4), (3, 0, 1), reduction="none")
    np.testing.assert_array_equal(again.detach().numpy(), none.detach().numpy())
    # unbatched
    one = F.ctc_loss(lp[:, 0], targets[0], torch.tensor(6), torch.tensor(3), reduction="none")
    assert one.dim() == 0 and one.item() == pytest.approx(none[0].item())


def test_ctc_loss_impossible_alignments_and_zero_infinity():
    lp = torch.randn(3, 1, 4).log_softmax(2).detach().requires_grad_()
    targets = torch.tensor([[1, 1, 1]])  # needs 5 steps (blanks between the repeats)
    loss = F.ctc_loss(lp, targets, torch.tensor([3]), torch.tensor([3]), reduction="sum")
    assert math.isinf(loss.item())
    (g,) = torch.autograd.grad(loss, lp)
    assert bool(g.isnan().all())  # PyTorch's gradient of an infinite loss
    zeroed = F.ctc_loss(lp, targets, torch.tensor([3]), torch.tensor([3]), reduction="sum", zero_infinity=True)
    (g,) = torch.autograd.grad(zeroed, lp)
    assert zeroed.item() == 0 and g.abs().sum().item() == 0
    assert type(zeroed.grad_fn.next_functions[0][0]).__name__ == "WhereBackward0"


def test_ctc_loss_refusals():
    lp = torch.randn(6, 2, 5).log_softmax(2)
    targets, il, tl = torch.tensor([[1, 2], [3, 4]]), torch.tensor([6, 6]), torch.tensor([2, 2])
    cases = [
        (dict(input_lengths=torch.tensor([7, 6])), RuntimeError, "input_lengths to have value at most 6"),
        (dict(target_lengths=torch.tensor([3, 2])), RuntimeError, "size at least 3 at dimension 1"),
        (dict(target_lengths=torch.tensor([2, -1])), RuntimeError, "at least 0"),
        (dict(input_lengths=torch.tensor([6])), RuntimeError, "input_lengths must be of size batch_size"),
        (dict(blank=5), RuntimeError, "blank must be in label range"),
        (dict(targets=torch.tensor([[1, 9], [3, 4]])), RuntimeError, "out of range"),
        (dict(input_lengths=[6, 6]), TypeError, "both be tensors"),
        (dict(log_probs=lp.long()), NotImplementedError, "not implemented for 'Long'"),
        (dict(reduction="avg"), ValueError, "avg is not a valid value for reduction"),
    ]
    for change, kind, message in cases:
        args = dict(log_probs=lp, targets=targets, input_lengths=il, target_lengths=tl)
        args.update(change)
        with pytest.raises(kind, match=message):
            F.ctc_loss(**args)


def test_ctc_loss_has_no_second_derivative():
    lp = torch.randn(4, 1, 3).log_softmax(2).detach().requires_grad_()
    loss = F.ctc_loss(lp, torch.tensor([[1, 2]]), torch.tensor([4]), torch.tensor([2]))
    (g,) = torch.autograd.grad(loss, lp, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not implemented"):
        g.sum().backward()


def test_ctc_loss_module():
    m = nn.CTCLoss(blank=1, reduction="sum", zero_infinity=True)
    assert repr(m) == "CTCLoss()" and (m.blank, m.reduction, m.zero_infinity) == (1, "sum", True)
    lp = torch.randn(5, 2, 4).log_softmax(2)
    args = (torch.tensor([[2, 3], [0, 0]]), torch.tensor([5, 5]), torch.tensor([2, 1]))
    assert m(lp, *args).item() == F.ctc_loss(lp, *args, blank=1, reduction="sum", zero_infinity=True).item()


# ---- 3-d transposed convolution ----


@pytest.mark.parametrize("stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 1, 2), ((2, 1, 3), (1, 0, 1), (1, 2, 1), 1)])
def test_conv_transpose3d_is_the_adjoint_of_conv3d(stride, padding, dilation, groups):
    torch.manual_seed(3)
    x = torch.randn(2, 6, 7, 8, 6, dtype=torch.float64)
    w = torch.randn(4, 6 // groups, 2, 3, 2, dtype=torch.float64)  # conv3d's [out, in / groups, k]
    y = F.conv3d(x, w, None, stride, padding, dilation, groups)
    v = torch.randn(*y.shape, dtype=torch.float64)
    # <conv3d(x), v> = <x, conv3d^T(v)>: conv_transpose3d with the same weight
    back = F.conv_transpose3d(v, w, None, stride, padding, 0, groups, dilation)
    out_padding = tuple(int(a - b) for a, b in zip(x.shape[2:], back.shape[2:]))
    back = F.conv_transpose3d(v, w, None, stride, padding, out_padding, groups, dilation)
    assert tuple(back.shape) == tuple(x.shape)
    assert (y * v).sum().item() == pytest.approx((x * back).sum().item(), rel=1e-10)


def test_conv_transpose3d_gradients_and_module():
    torch.manual_seed(4)
    x = torch.randn(1, 2, 3, 3, 2, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 3, 2, 1, 2, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b, 2, (1, 0, 0), 1), (x, w, b))
    y = F.conv_transpose3d(x, w, b, 2)
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"
    m = nn.ConvTranspose3d(2, 4, (2, 3, 1), stride=2, padding=(1, 0, 0), output_padding=1, groups=2)
    assert repr(m) == "ConvTranspose3d(2, 4, kernel_size=(2, 3, 1), stride=(2, 2, 2), padding=(1, 0, 0), output_padding=(1, 1, 1), groups=2)"
    assert tuple(m.weight.shape) == (2, 2, 2, 3, 1)
    assert tuple(m(torch.randn(1, 2, 3, 3, 3)).shape) == (1, 4, 5, 8, 6)
    assert tuple(m(torch.randn(2, 3, 3, 3)).shape) == (4, 5, 8, 6)  # unbatched
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose3d(torch.randn(1, 2, 3, 3, 3), torch.randn(2, 2, 2, 2, 2), output_padding=1)


# ---- 3-d max pooling with indices, unpooling, adaptive and fractional ----


def window_argmax(x, starts, sizes, in_shape):
    """Flat index of the first maximum of x's window (row-major scan)."""
    block = x[tuple(slice(s, s + k) for s, k in zip(starts, sizes))]
    local = np.unravel_index(int(np.argmax(block)), block.shape)
    return int(np.ravel_multi_index(tuple(s + c for s, c in zip(starts, local)), in_shape))


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), ((2, 3, 1), (1, 2, 1), (1, 1, 0))])
def test_max_pool3d_indices_point_at_the_window_maxima(k, s, p):
    torch.manual_seed(5)
    x = torch.randn(2, 3, 5, 6, 7, dtype=torch.float64, requires_grad=True)
    out, idx = F.max_pool3d(x, k, s, p, return_indices=True)
    k3, s3, p3 = [(v,) * 3 if isinstance(v, int) else v for v in (k, s, p)]
    padded = np.pad(x.detach().numpy(), [(0, 0), (0, 0)] + [(q, q) for q in p3], constant_values=-np.inf)
    for n, c in [(0, 0), (1, 2)]:
        for o in itertools.product(*(range(d) for d in out.shape[2:])):
            starts = [oi * si for oi, si in zip(o, s3)]
            flat_padded = window_argmax(padded[n, c], starts, k3, padded.shape[2:])
            coords = np.unravel_index(flat_padded, padded.shape[2:])
            want = int(np.ravel_multi_index(tuple(ci - q for ci, q in zip(coords, p3)), x.shape[2:]))
            assert int(idx[(n, c) + o]) == want
            assert out[(n, c) + o].item() == x.detach().numpy()[n, c].reshape(-1)[want]
    assert type(out.grad_fn).__name__ == "MaxPool3DWithIndicesBackward0"
    # the gradient goes to the picked elements only
    (g,) = torch.autograd.grad(out.sum(), x)
    counts = np.zeros(x.numel() // 6 * 6)
    flat = idx.reshape(6, -1).numpy() + (np.arange(6) * (x.numel() // 6))[:, None]
    np.add.at(counts, flat.reshape(-1), 1)
    np.testing.assert_array_equal(g.numpy().reshape(-1), counts)
    # unpooling puts each value back at its index
    back = F.max_unpool3d(out, idx, k, s, p, output_size=x.shape[2:])
    assert type(back.grad_fn).__name__ == "MaxUnpool3DBackward0"
    picked = np.zeros(x.numel())
    picked[flat.reshape(-1)] = out.detach().numpy().reshape(-1)
    np.testing.assert_array_equal(back.detach().numpy().reshape(-1), picked)


def test_adaptive_max_pool3d_windows():
    torch.manual_seed(6)
    x = torch.randn(2, 2, 5, 7, 4, dtype=torch.float64)
    out, idx = F.adaptive_max_pool3d(x, (2, 3, None), return_indices=True)
    assert tuple(out.shape) == (2, 2, 2, 3, 4)
    a = x.numpy()
    for o in itertools.product(range(2), range(3), range(4)):
        bounds = [(i * n // m, -(-(i + 1) * n // m)) for i, n, m in zip(o, (5, 7, 4), (2, 3, 4))]
        want = window_argmax(a[1, 1], [b[0] for b in bounds], [b[1] - b[0] for b in bounds], (5, 7, 4))
        assert int(idx[(1, 1) + o]) == want
    m = nn.AdaptiveMaxPool3d(2)
    assert repr(m) == "AdaptiveMaxPool3d(output_size=2)"
    assert type(m(x.requires_grad_()).grad_fn).__name__ == "AdaptiveMaxPool3DBackward0"


def fractional_starts(u, size, out, pool):
    alpha = np.float64(size - pool) / np.float64(out - 1)
    return [int((i + u) * alpha) - int(u * alpha) for i in range(out - 1)] + [size - pool]


def test_fractional_max_pool2d_windows_follow_the_samples():
    torch.manual_seed(7)
    x = torch.randn(2, 3, 11, 13, dtype=torch.float64, requires_grad=True)
    samples = torch.rand(2, 3, 2, dtype=torch.float64)
    out, idx = F.fractional_max_pool2d(x, (2, 3), output_size=(5, 6), return_indices=True, _random_samples=samples)
    a, u = x.detach().numpy(), samples.numpy()
    for n, c in itertools.product(range(2), range(3)):
        rows = fractional_starts(u[n, c, 1], 11, 5, 2)  # the samples are (w, h)
        cols = fractional_starts(u[n, c, 0], 13, 6, 3)
        for i, j in itertools.product(range(5), range(6)):
            want = window_argmax(a[n, c], [rows[i], cols[j]], [2, 3], (11, 13))
            assert int(idx[n, c, i, j]) == want
    assert type(out.grad_fn).__name__ == "FractionalMaxPool2DBackward0"
    # without samples, torch.rand draws them: a seed repeats the windows
    torch.manual_seed(8)
    first = nn.FractionalMaxPool2d(3, output_ratio=0.5)(x)
    torch.manual_seed(8)
    np.testing.assert_array_equal(nn.FractionalMaxPool2d(3, output_ratio=0.5)(x).detach().numpy(), first.detach().numpy())
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)
    with pytest.raises(RuntimeError, match="pool height 3 too large relative to input height 4"):
        F.fractional_max_pool2d(torch.randn(1, 1, 4, 4), 3, output_size=4)


def test_fractional_max_pool3d_shapes_and_gradient():
    torch.manual_seed(9)
    x = torch.randn(1, 2, 7, 8, 9, dtype=torch.float64, requires_grad=True)
    out, idx = F.fractional_max_pool3d(x, 2, output_size=(3, 4, 5), return_indices=True)
    assert tuple(out.shape) == (1, 2, 3, 4, 5)
    np.testing.assert_array_equal(
        out.detach().numpy().reshape(2, -1), np.take_along_axis(x.detach().numpy().reshape(2, -1), idx.numpy().reshape(2, -1), 1)
    )
    (g,) = torch.autograd.grad(out.sum(), x)
    assert g.sum().item() == out.numel()


# ---- padding, lazy modules, SyncBatchNorm, adaptive softmax ----


@pytest.mark.parametrize(
    "cls,mode", [(nn.ReflectionPad3d, "reflect"), (nn.ReplicationPad3d, "edge"), (nn.CircularPad3d, "wrap"), (nn.ZeroPad3d, "constant")]
)
def test_3d_padding_layers(cls, mode):
    x = torch.randn(2, 3, 4, 5, 6)
    pad = (1, 2, 0, 3, 2, 1)  # (w_left, w_right, h_top, h_bottom, d_front, d_back)
    want = np.pad(x.numpy(), [(0, 0), (0, 0), (2, 1), (0, 3), (1, 2)], mode=mode)
    np.testing.assert_array_equal(cls(pad)(x).numpy(), want)
    assert tuple(nn.ConstantPad3d(1, 2.5)(x[0]).shape) == (3, 6, 7, 8)


def test_lazy_linear_becomes_linear_with_the_same_draws():
    torch.manual_seed(10)
    lazy = nn.LazyLinear(4)
    assert repr(lazy) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    assert lazy.has_uninitialized_params() and repr(lazy.weight) == "<UninitializedParameter>"
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        lazy.weight.shape
    params = list(lazy.parameters())
    torch.manual_seed(11)
    y = lazy(torch.ones(2, 5))
    torch.manual_seed(11)
    plain = nn.Linear(5, 4)
    assert type(lazy) is nn.Linear and repr(lazy) == "Linear(in_features=5, out_features=4, bias=True)"
    # the same Parameter objects (an optimizer built before holds them)
    assert params[0] is lazy.weight and type(lazy.weight) is nn.Parameter
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), plain.weight.detach().numpy())
    np.testing.assert_array_equal(y.detach().numpy(), plain(torch.ones(2, 5)).detach().numpy())


def test_lazy_conv_and_norm_modules():
    conv = nn.LazyConv2d(4, 3, groups=2)
    conv(torch.randn(1, 6, 5, 5))
    assert type(conv) is nn.Conv2d and tuple(conv.weight.shape) == (4, 3, 3, 3) and conv.in_channels == 6
    bad = nn.LazyConv2d(4, 3, groups=2)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        bad(torch.randn(1, 3, 5, 5))
    tconv = nn.LazyConvTranspose3d(2, 2)
    tconv(torch.randn(3, 4, 4, 4))  # unbatched: the channels are dim 0
    assert type(tconv) is nn.ConvTranspose3d and tuple(tconv.weight.shape) == (3, 2, 2, 2, 2)
    bn = nn.LazyBatchNorm2d()
    assert sorted(bn.state_dict()) == ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"]
    x = torch.randn(4, 3, 2, 2)
    y = bn(x)
    assert type(bn) is nn.BatchNorm2d and bn.num_features == 3 and int(bn.num_batches_tracked) == 1
    np.testing.assert_allclose(y.detach().numpy(), nn.BatchNorm2d(3)(x).detach().numpy(), atol=1e-6)
    inorm = nn.LazyInstanceNorm1d()
    inorm(torch.randn(2, 5, 7))
    assert type(inorm) is nn.InstanceNorm1d and inorm.affine and inorm.track_running_stats and tuple(inorm.running_mean.shape) == (5,)


def test_lazy_module_loads_a_checkpoint():
    full = nn.Linear(5, 4)
    lazy = nn.LazyLinear(4)
    lazy.load_state_dict(full.state_dict())
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), full.weight.detach().numpy())
    # a loaded module keeps the loaded values through its first call
    np.testing.assert_array_equal(lazy(torch.ones(1, 5)).detach().numpy(), full(torch.ones(1, 5)).detach().numpy())
    assert type(lazy) is nn.Linear


def test_sync_batch_norm_is_a_local_batch_norm_here():
    torch.manual_seed(12)
    sync, plain = nn.SyncBatchNorm(3), nn.BatchNorm3d(3)
    x = torch.randn(4, 3, 2, 2, 2)
    np.testing.assert_array_equal(sync(x).detach().numpy(), plain(x).detach().numpy())
    np.testing.assert_array_equal(sync.running_var.numpy(), plain.running_var.numpy())
    with pytest.raises(ValueError, match="expected at least 2D input"):
        sync(torch.randn(3))
    net = nn.Sequential(nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(2)))
    weight = net[0].weight
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert type(converted[0]) is nn.SyncBatchNorm and type(converted[1][0]) is nn.SyncBatchNorm
    assert converted[0].weight is weight


def test_adaptive_log_softmax_with_loss():
    torch.manual_seed(13)
    asm = nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0)
    assert [tuple(p.shape) for p in asm.parameters()] == [(7, 16), (8, 16), (6, 8), (4, 16), (5, 4), (2, 16), (5, 2)]
    x = torch.randn(9, 16, dtype=torch.float32)
    target = torch.tensor([0, 3, 4, 9, 10, 14, 15, 19, 2])
    out = asm(x, target)
    full = asm.log_prob(x)
    # a distribution over all classes, and the output is its entry at the target
    np.testing.assert_allclose(full.exp().sum(1).detach().numpy(), np.ones(9), rtol=1e-5)
    np.testing.assert_allclose(out.output.detach().numpy(), full.gather(1, target.unsqueeze(1)).squeeze(1).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert out.loss.item() == pytest.approx(-out.output.mean().item(), rel=1e-6)
    np.testing.assert_array_equal(asm.predict(x).numpy(), full.argmax(1).numpy())
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 19\]"):
        asm(x[:2], torch.tensor([1, 20]))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(4, 10, [5, 3])


def test_deprecated_upsample_aliases_warn_and_native_channel_shuffle_has_no_gradient():
    x = torch.randn(1, 4, 2, 2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        near = F.upsample_nearest(x, scale_factor=2)
        bil = F.upsample_bilinear(x, scale_factor=2)
    assert [str(w.message) for w in caught] == [
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
    ]
    np.testing.assert_array_equal(near.detach().numpy(), F.interpolate(x, scale_factor=2).detach().numpy())
    np.testing.assert_array_equal(bil.detach().numpy(), F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True).detach().numpy())
    shuffled = F.native_channel_shuffle(x, 2)
    np.testing.assert_array_equal(shuffled.detach().numpy(), F.channel_shuffle(x, 2).detach().numpy())
    with pytest.raises(RuntimeError, match="derivative for aten::native_channel_shuffle is not implemented"):
        shuffled.sum().backward()


# ---- nn.utils additions and legacy names ----


def test_total_norm_and_clipping_with_it():
    grads = [torch.tensor([3.0, -4.0]), torch.tensor([[1.0, 2.0], [2.0, 0.0]])]
    flat = np.concatenate([g.numpy().reshape(-1) for g in grads])
    assert nn.utils.get_total_norm(grads).item() == pytest.approx(np.linalg.norm(flat), rel=1e-6)
    assert nn.utils.get_total_norm(grads, 3.0).item() == pytest.approx(np.sum(np.abs(flat) ** 3) ** (1 / 3), rel=1e-6)
    assert nn.utils.get_total_norm(grads, float("inf")).item() == 4.0
    params = [torch.zeros(2, requires_grad=True), torch.zeros(2, 2, requires_grad=True)]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    nn.utils.clip_grads_with_norm_(params, 1.0, torch.tensor(np.linalg.norm(flat), dtype=torch.float32))
    clipped = np.concatenate([p.grad.numpy().reshape(-1) for p in params])
    assert np.linalg.norm(clipped) == pytest.approx(1.0, rel=1e-5)
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        nn.utils.clip_grad_norm(params, 10.0)


def test_batch_norm_fusion_computes_the_same_layer():
    torch.manual_seed(14)
    conv, bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)
    bn(conv(torch.randn(4, 3, 6, 6)) * 2 + 1)  # running statistics away from 0 and 1
    conv.eval()
    bn.eval()
    x = torch.randn(2, 3, 6, 6)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    np.testing.assert_allclose(fused(x).detach().numpy(), bn(conv(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
    tconv, tbn = nn.ConvTranspose2d(4, 2, 2), nn.BatchNorm2d(2)
    tbn.running_mean.fill_(0.5)
    tbn.running_var.fill_(2.0)
    tconv.eval()
    tbn.eval()
    y = torch.randn(1, 4, 3, 3)
    np.testing.assert_allclose(
        nn.utils.fuse_conv_bn_eval(tconv, tbn, transpose=True)(y).detach().numpy(), tbn(tconv(y)).detach().numpy(), rtol=1e-5, atol=1e-6
    )
    lin, bn1 = nn.Linear(3, 4), nn.BatchNorm1d(4)
    bn1(lin(torch.randn(8, 3)) * 3)
    lin.eval()
    bn1.eval()
    z = torch.randn(2, 3)
    np.testing.assert_allclose(nn.utils.fuse_linear_bn_eval(lin, bn1)(z).detach().numpy(), bn1(lin(z)).detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        nn.utils.fuse_conv_bn_eval(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1))


def test_skip_init_memory_format_and_legacy_names():
    m = nn.utils.skip_init(nn.Linear, 3, 4)
    assert tuple(m.weight.shape) == (4, 3) and m.weight.device.type == "cpu" and not m.weight.is_meta
    with pytest.raises(RuntimeError, match="must support a 'device' arg"):
        nn.utils.skip_init(nn.ReLU)
    net = nn.utils.convert_conv2d_weight_memory_format(nn.Sequential(nn.Conv2d(3, 4, 3)), torch.channels_last)
    assert net[0].weight.is_contiguous(memory_format=torch.channels_last)
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        assert isinstance(nn.NLLLoss2d(), nn.NLLLoss)
    with pytest.warns(FutureWarning, match="Container"):
        assert list(dict(nn.Container(a=nn.Linear(1, 1)).named_children())) == ["a"]
    assert all(isinstance(c, nn.RNNCellBase) for c in (nn.RNNCell(2, 3), nn.LSTMCell(2, 3), nn.GRUCell(2, 3)))
    x = torch.randn(2, 3, 9, 8)
    values, indices = F.adaptive_max_pool2d_with_indices(x, 3)  # a pair whatever return_indices says
    assert indices.dtype == torch.int64 and values.shape == indices.shape


def test_grid_sample_on_volumes():
    # the identity map with align_corners=True samples every voxel centre exactly
    torch.manual_seed(15)
    x = torch.randn(2, 3, 4, 5, 6, dtype=torch.float64)
    theta = torch.eye(3, 4, dtype=torch.float64).expand(2, 3, 4)
    grid = F.affine_grid(theta, (2, 3, 4, 5, 6), align_corners=True)
    assert tuple(grid.shape) == (2, 4, 5, 6, 3)
    for mode in ("bilinear", "nearest"):
        np.testing.assert_allclose(F.grid_sample(x, grid, mode=mode, align_corners=True).numpy(), x.numpy(), rtol=1e-12, atol=1e-12)
    # trilinear interpolation reproduces a linear function anywhere inside
    d, h, w = torch.meshgrid(
        torch.arange(4.0, dtype=torch.float64), torch.arange(5.0, dtype=torch.float64), torch.arange(6.0, dtype=torch.float64), indexing="ij"
    )
    linear = (1.0 + 0.5 * w - 2.0 * h + 3.0 * d).reshape(1, 1, 4, 5, 6)
    points = torch.rand(1, 2, 3, 7, 3, dtype=torch.float64) * 1.8 - 0.9  # (x, y, z) in [-0.9, 0.9]
    got = F.grid_sample(linear, points, align_corners=True).reshape(-1).numpy()
    px, py, pz = [(points[..., k].reshape(-1).numpy() + 1) / 2 * (n - 1) for k, n in enumerate((6, 5, 4))]
    np.testing.assert_allclose(got, 1.0 + 0.5 * px - 2.0 * py + 3.0 * pz, rtol=1e-12)
    x.requires_grad_()
    points.requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: F.grid_sample(a, b, padding_mode="reflection", align_corners=False), (x[:1, :1], points))
    assert type(F.grid_sample(x, grid, align_corners=True).grad_fn).__name__ == "GridSampler3DBackward0"


def test_script_boilerplate_names():
    assert torch.version.cuda is None and torch.version.__version__ == torch.__version__
    assert torch.cuda.is_bf16_supported() is False  # no bfloat16 type yet
    torch.cuda.set_device(0)
    with pytest.raises(RuntimeError, match="invalid device ordinal 1"):
        torch.cuda.set_device(1)
    x = torch.randn(3)
    assert x.type(torch.DoubleTensor).dtype == torch.float64 and x.type(torch.LongTensor).dtype == torch.int64


def test_lazy_modules_cast_before_their_first_call():
    # .double() before the first call: the buffers stay lazy and come out float64
    bn = nn.LazyBatchNorm1d().double()
    assert repr(bn.running_mean) == "<UninitializedBuffer>"
    y = bn(torch.randn(4, 3, dtype=torch.float64))
    assert y.dtype == bn.running_mean.dtype == bn.weight.dtype == torch.float64 and tuple(bn.running_mean.shape) == (3,)
    lin = nn.LazyLinear(2).double()
    assert lin(torch.randn(3, 4, dtype=torch.float64)).dtype == lin.weight.dtype == torch.float64
