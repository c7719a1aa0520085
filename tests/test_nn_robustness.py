"""Bad arguments to the nn kernels and fused optimizer updates raise the
exception PyTorch raises (never a crash); degenerate sizes work."""

import io

import pytest

import autorust as torch
import autorust.nn.functional as F

_n = torch._native
ones = torch.ones

RAISES = [
    (RuntimeError, lambda: F.conv2d(ones(1, 2, 3, 3), ones(1, 3, 1, 1))),
    (RuntimeError, lambda: F.conv2d(ones(1, 2, 3, 3), ones(1, 2, 5, 5))),
    (RuntimeError, lambda: F.conv2d(ones(1, 2, 3, 3), ones(1, 2, 1, 1), stride=0)),
    (RuntimeError, lambda: F.conv2d(ones(1, 2, 3, 3, dtype=torch.int64), ones(1, 2, 1, 1, dtype=torch.int64))),
    (RuntimeError, lambda: F.conv2d(ones(1, 2, 3, 3), ones(1, 2, 1, 1, dtype=torch.float64))),
    (RuntimeError, lambda: F.conv2d(ones(1, 2, 3, 3), ones(1, 2, 1, 1), ones(3))),
    (RuntimeError, lambda: F.conv2d(ones(1, 2, 3, 3), ones(3, 2, 1, 1), groups=2)),
    (RuntimeError, lambda: _n.conv2d(ones(1, 2, 3, 3), ones(3, 1, 1, 1), None, (1, 1), (0, 0), (1, 1), 0)),
    (RuntimeError, lambda: _n.conv2d(ones(1, 1, 3, 3), ones(1, 1, 1, 1), None, (1, 1), (2**40, 0), (1, 1), 1)),
    (RuntimeError, lambda: F.max_pool2d(ones(1, 1, 2, 2), 3)),
    (RuntimeError, lambda: F.max_pool2d(ones(1, 1, 2, 2), 0)),
    (RuntimeError, lambda: F.max_pool2d(ones(1, 1, 4, 4), 2, padding=2)),
    (RuntimeError, lambda: F.max_pool2d(ones(1, 1, 4, 4, dtype=torch.int64), 2)),
    (RuntimeError, lambda: F.max_pool2d(ones(2, 2), 2)),
    (RuntimeError, lambda: F.avg_pool2d(ones(1, 1, 2, 2), 3)),
    (RuntimeError, lambda: F.unfold(ones(1, 1, 2, 2), 0)),
    (RuntimeError, lambda: F.fold(ones(1, 3, 4), (3, 3), 2)),
    (RuntimeError, lambda: _n.im2col(ones(1, 1, 3, 3), (2**40, 2), (1, 1), (0, 0), (1, 1))),
    (RuntimeError, lambda: _n.im2col(ones(1, 1, 3, 3), (2, 2), (1, 1), (2**40, 0), (1, 1))),
    (RuntimeError, lambda: F.linear(ones(2, 3), ones(4, 2))),
    (RuntimeError, lambda: _n._sgd_step([ones(3)], [ones(2)], None, [], 0.1, 0.0, 0.0, False, 0.0, False)),
    (RuntimeError, lambda: _n._sgd_step([ones(3)], [ones(3)], [[ones(3)]], [False], 0.1, 0.0, 0.0, False, 0.0, False)),
    (RuntimeError, lambda: _n._sgd_step([ones(3, dtype=torch.int64)], [ones(3)], None, [], 0.1, 0.0, 0.0, False, 0.0, False)),
    (RuntimeError, lambda: _n._adam_step([ones(3)], [ones(3)], [[ones(3), ones(2)]], [1.0], 0.1, 0.9, 0.9, 1e-8, 0.0, False, False, False)),
    (
        RuntimeError,
        lambda: _n._adam_step([ones(3)], [ones(3)], [[ones(3, dtype=torch.float64), ones(3)]], [1.0], 0.1, 0.9, 0.9, 1e-8, 0.0, False, False, False),
    ),
    (
        RuntimeError,
        lambda: _n._adam_step(
            [ones(3, 2).t()], [ones(2, 3)], [[torch.zeros(2, 3), torch.zeros(3, 2)]], [1.0], 0.1, 0.9, 0.9, 1e-8, 0.0, False, False, False
        ),
    ),
    (RuntimeError, lambda: _n._rmsprop_step([ones(3)], [ones(3)], [[]], 0.1, 0.9, 1e-8, 0.0, 0.0, False, False)),
    (ValueError, lambda: _n._sgd_step([ones(3), ones(2)], [ones(3)], None, [], 0.1, 0.0, 0.0, False, 0.0, False)),
    (ValueError, lambda: _n._adam_step([ones(3)], [ones(3)], [[ones(3), ones(3)]], [], 0.1, 0.9, 0.9, 1e-8, 0.0, False, False, False)),
    (TypeError, lambda: _n._sgd_step([ones(3)], [None], None, [], 0.1, 0.0, 0.0, False, 0.0, False)),
    (IndexError, lambda: F.embedding(torch.tensor([5]), ones(3, 2))),
    (RuntimeError, lambda: F.one_hot(torch.tensor([-1]))),
    (RuntimeError, lambda: F.pad(ones(2, 2), (5, 5), mode="reflect")),
    (RuntimeError, lambda: F.pad(ones(2, 2), (-3, 0))),
    (ValueError, lambda: F.batch_norm(ones(1, 3), None, None, training=True)),
    (RuntimeError, lambda: F.layer_norm(ones(2, 3), (4,))),
    (ValueError, lambda: torch.nn.BatchNorm2d(3)(ones(2, 3))),
    (RuntimeError, lambda: torch.load(io.BytesIO(b""))),
]


@pytest.mark.parametrize("exc,call", RAISES)
def test_bad_arguments_raise(exc, call):
    with pytest.raises(exc):
        call()


def test_parameter_aliasing_a_state_buffer_is_refused():
    p = ones(3)
    with pytest.raises(RuntimeError, match="must not share memory"):
        _n._adam_step([p], [ones(3)], [[p, torch.zeros(3)]], [1.0], 0.1, 0.9, 0.9, 1e-8, 0.0, False, False, False)
    # a gradient aliasing the parameter is copied first
    _n._adam_step([p], [p], [[torch.zeros(3), torch.zeros(3)]], [1.0], 0.1, 0.9, 0.9, 1e-8, 0.0, False, False, False)
    assert p.tolist() == pytest.approx([0.9, 0.9, 0.9])


def test_degenerate_sizes():
    assert F.conv2d(ones(0, 2, 3, 3), ones(1, 2, 1, 1)).shape == (0, 1, 3, 3)
    assert F.conv2d(ones(1, 0, 3, 3), ones(1, 0, 1, 1)).sum().item() == 0
    assert F.conv2d(ones(1, 2, 3, 3), ones(0, 2, 1, 1)).shape == (1, 0, 3, 3)
    assert F.max_pool2d(ones(0, 1, 4, 4), 2).shape == (0, 1, 2, 2)
    assert F.linear(ones(2, 0), ones(4, 0), ones(4)).tolist() == [[1.0] * 4] * 2
    assert F.linear(ones(0, 3), ones(4, 3)).shape == (0, 4)
    _n._adagrad_step([ones(0)], [ones(0)], [[ones(0)]], [1.0], 0.1, 0.0, 0.0, 1e-10, False)


def test_optimizer_steps_a_non_contiguous_parameter():
    p = torch.nn.Parameter(ones(3, 2).t())
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    p.sum().backward()
    opt.step()
    assert p.tolist() == [[pytest.approx(0.9)] * 3] * 2
