"""A training loop's memory stays flat: the arena frees nodes whose tensors
are gone, and process memory does not grow over 5,000 iterations."""

import os

import autorust as torch
from autorust import _native


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def step(w, b, x, y):
    pred = (x @ w + b).tanh()
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.01 * w.grad
        b -= 0.01 * b.grad
    w.grad = None
    b.grad = None
    return loss


def test_training_loop_memory_stays_flat():
    torch.manual_seed(0)
    x, y = torch.randn(64, 32), torch.randn(64, 8)
    w = torch.randn(32, 8, requires_grad=True)
    b = torch.zeros(8, requires_grad=True)
    base_nodes = _native.live_nodes()
    for _ in range(200):  # warm up allocator pools
        step(w, b, x, y)
    nodes_warm = _native.live_nodes()
    rss_warm = rss_bytes()
    for i in range(5000):
        loss = step(w, b, x, y)
    del loss
    assert _native.live_nodes() == nodes_warm == base_nodes
    grown = rss_bytes() - rss_warm
    assert grown < 8 * 1024 * 1024, f"RSS grew by {grown} bytes over 5000 steps"


def test_graph_is_freed_when_output_is_dropped():
    base = _native.live_nodes()
    x = torch.ones(10, requires_grad=True)
    y = x
    for _ in range(1000):
        y = y * 2
    assert _native.live_nodes() > base + 999
    del y
    assert _native.live_nodes() == base


def test_retained_graph_is_freed_after_last_reference():
    base = _native.live_nodes()
    x = torch.ones(3, requires_grad=True)
    out = (x.exp() * x).sum()
    out.backward(retain_graph=True)
    out.backward()
    del out
    assert _native.live_nodes() == base


def test_nn_training_loop_memory_stays_flat():
    """A CNN with BatchNorm and Dropout, Adam and a scheduler: no nodes or
    memory accumulate across steps (optimizer state is created once)."""
    from autorust import nn

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.2), nn.Linear(4 * 4 * 4, 3)
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, 100)
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 3, (16,))

    def train_step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sched.step()

    base_nodes = _native.live_nodes()
    for _ in range(100):
        train_step()
    rss_warm = rss_bytes()
    for _ in range(1000):
        train_step()
    assert _native.live_nodes() == base_nodes
    grown = rss_bytes() - rss_warm
    assert grown < 8 * 1024 * 1024, f"RSS grew by {grown} bytes over 1000 steps"


def test_double_backward_graphs_free_without_the_garbage_collector():
    # custom Functions and copysign re-link saved outputs under create_graph:
    # no Python reference cycle may keep their graphs alive until gc runs
    import gc

    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            r = x.exp()
            ctx.save_for_backward(r, x)
            return r

        @staticmethod
        def backward(ctx, g):
            r, _ = ctx.saved_tensors
            return g * r

    gc.collect()
    gc.disable()
    try:
        base = _native.live_nodes()
        for _ in range(3):
            x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
            y = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
            # (non-leaf inputs: their nodes are what a cycle would keep)
            out = (Exp.apply(x * 2) * torch.copysign(x * 3, y * 1)).sum()
            (g,) = torch.autograd.grad(out, x, create_graph=True)
            g.sum().backward()
            del x, y, out, g
        assert _native.live_nodes() == base
    finally:
        gc.enable()
