"""Graph-node hooks, saved-tensor hooks, nested backward and checkpointing:
the properties the recorded parity programs (tests/parity/snippets/
graph_api.py) cannot show: what is kept alive, what runs on which thread,
when an error is raised, and that gradients equal the plain run's
bit for bit."""

import gc
import threading

import numpy as np
import pytest

import autorust as torch
from autorust import _native, nn
from autorust.utils.checkpoint import checkpoint, checkpoint_sequential


def test_a_hook_handle_does_not_keep_the_graph_alive():
    base = _native.live_nodes()
    x = torch.ones(3, requires_grad=True)
    y = x.exp() * 2
    handle = y.grad_fn.register_prehook(lambda go: None)
    del y
    gc.collect()
    assert _native.live_nodes() == base
    handle.remove()  # the node is gone: a no-op, not an error


def test_removing_a_hook_that_holds_the_last_reference_to_a_graph():
    # the removed closure is dropped outside the arena lock: dropping it
    # frees another graph's nodes (this deadlocked when dropped under it)
    x = torch.ones(3, requires_grad=True)
    y = x * 2
    other = (x.sin() * 3).sum()
    another = x.cos() * 2
    handle = y.grad_fn.register_hook(lambda gi, go, keep=other: None)
    tensor_handle = y.register_hook(lambda g, keep=another: None)
    del other, another
    handle.remove()
    tensor_handle.remove()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])


def test_node_hooks_are_freed_with_their_node():
    base = _native.live_nodes()
    for _ in range(50):
        x = torch.ones(4, requires_grad=True)
        y = (x * 3).sin()
        kept = (x * 5).exp()  # a graph only the hook's closure holds
        y.grad_fn.register_hook(lambda gi, go, k=kept: None)
        y.grad_fn.register_prehook(lambda go, k=kept: None)
        del kept
        y.sum().backward()
    del x, y
    gc.collect()
    assert _native.live_nodes() == base


def test_backward_inside_a_hook_is_a_nested_pass():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    inner = []

    def hook(grad):
        with torch.enable_grad():  # backward runs hooks with grad mode off, as PyTorch
            z = (w * w).sum()
        (gw,) = torch.autograd.grad(z, w)
        inner.append(gw.tolist())
        return grad

    y = x * w
    y.register_hook(hook)
    y.sum().backward()
    assert inner == [[6.0, 8.0]]
    np.testing.assert_array_equal(x.grad.numpy(), [3, 4])
    np.testing.assert_array_equal(w.grad.numpy(), [1, 2])


def test_a_failing_pack_hook_raises_when_the_tensor_is_needed():
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    def pack(t):
        raise ValueError("cannot pack")

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda p: p):
        y = x.sin()
    with pytest.raises(ValueError, match="cannot pack"):
        y.sum().backward()


def test_saved_tensor_hooks_are_per_thread():
    packed = []
    other_thread = []

    def work():
        a = torch.ones(2, requires_grad=True)
        other_thread.append(a.sin())

    with torch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(1) or t, lambda t: t):
        t = threading.Thread(target=work)
        t.start()
        t.join()
        assert packed == []
        torch.ones(2, requires_grad=True).sin()
    assert packed == [1]


def test_save_on_cpu_frees_nothing_it_needs():
    x = torch.randn(8, 8, requires_grad=True)
    with torch.autograd.graph.save_on_cpu():
        y = (x @ x).tanh().sum()
    y.backward()
    ref = x.detach().clone().requires_grad_()
    (ref @ ref).tanh().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), ref.grad.numpy())


def _mlp(depth=6, width=16):
    torch.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.GELU(), nn.Dropout(0.2)]
    return nn.Sequential(*layers)


@pytest.mark.parametrize("reentrant", [False, True])
def test_checkpoint_gradients_equal_the_plain_run_bitwise(reentrant):
    net = _mlp()
    x = torch.randn(5, 16, requires_grad=True)
    torch.manual_seed(7)
    plain = net(x)
    plain.square().sum().backward()
    expected = [p.grad.clone() for p in net.parameters()] + [x.grad.clone()]
    net.zero_grad()
    x.grad = None
    torch.manual_seed(7)
    out = checkpoint(net, x, use_reentrant=reentrant)
    np.testing.assert_array_equal(out.detach().numpy(), plain.detach().numpy())
    out.square().sum().backward()
    got = [p.grad for p in net.parameters()] + [x.grad]
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


def test_checkpoint_keeps_no_saved_activation_until_backward():
    # non-reentrant: the graph's saved tensors are positions, not tensors:
    # the activations die with the forward's locals
    net = _mlp(depth=3)
    x = torch.randn(4, 16, requires_grad=True)
    kept = []

    def spy(t):
        kept.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(spy, lambda t: t):
        out = checkpoint(net, x, use_reentrant=False)
    assert kept == []  # the checkpoint's own (innermost) hooks took every save
    out.sum().backward()
    assert x.grad is not None


def test_checkpoint_recompute_count_mismatch_raises():
    calls = []

    def f(t):
        calls.append(1)
        return t.exp() if len(calls) == 1 else t.exp().exp()

    x = torch.ones(3, requires_grad=True)
    y = checkpoint(f, x, use_reentrant=False)
    with pytest.raises(RuntimeError, match="A different number of tensors was saved"):
        y.sum().backward()


def test_checkpoint_sequential_matches_plain():
    net = _mlp(depth=4)
    net.eval()
    x = torch.randn(3, 16, requires_grad=True)
    out = checkpoint_sequential(net, 3, x, use_reentrant=False)
    out.sum().backward()
    expected_x = x.grad.clone()
    x.grad = None
    net(x).sum().backward()
    np.testing.assert_array_equal(expected_x.numpy(), x.grad.numpy())


def test_rng_state_is_a_full_round_trip():
    torch.manual_seed(5)
    torch.randn(3)  # leaves a kept Box-Muller value in some paths
    state = torch.get_rng_state()
    a = [torch.randn(7), torch.rand(2), torch.randint(0, 9, (4,)), torch.randn(())]
    torch.set_rng_state(state)
    b = [torch.randn(7), torch.rand(2), torch.randint(0, 9, (4,)), torch.randn(())]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u.numpy(), v.numpy())
    with pytest.raises(RuntimeError, match="not a random-number generator state"):
        torch.set_rng_state(torch.zeros(3, dtype=torch.int64))


def test_fork_rng_leaves_the_stream_where_it_was():
    torch.manual_seed(3)
    with torch.random.fork_rng():
        torch.randn(100)
    after_fork = torch.randn(4)
    torch.manual_seed(3)
    np.testing.assert_array_equal(after_fork.numpy(), torch.randn(4).numpy())
