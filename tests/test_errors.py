"""Bad input raises the Python exception PyTorch raises, naming the op and
shapes; nothing crashes the process."""

import math

import numpy as np
import pytest

import autorust as torch

CASES = [
    (lambda: torch.ones(2, 3) @ torch.ones(4, 5), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (
        lambda: torch.ones(2, 3) + torch.ones(4),
        RuntimeError,
        r"size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1",
    ),
    (lambda: torch.ones(3).dot(torch.ones(4)), RuntimeError, "inconsistent tensor size"),
    (lambda: torch.ones(2, 3, 4).bmm(torch.ones(2, 5, 4)), RuntimeError, "Expected size for first two dimensions of batch2"),
    (lambda: torch.ones(2).sum(5), IndexError, r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 5\)"),
    (lambda: torch.ones(2, 2).softmax(2), IndexError, "Dimension out of range"),
    (lambda: torch.ones(2)[5], IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    (lambda: torch.ones(2, 2)[0, 0, 0], IndexError, "too many indices"),
    (lambda: torch.ones(3)[torch.tensor([0, 7])], IndexError, "out of bounds"),
    (lambda: torch.ones(3).index_select(0, torch.tensor([3])), IndexError, "index out of range"),
    (lambda: torch.ones(2, 2).gather(1, torch.tensor([[0, 2], [0, 0]])), RuntimeError, "out of bounds"),
    (lambda: torch.ones(6).view(4, -1), RuntimeError, r"shape '\[4, -1\]' is invalid for input of size 6"),
    (lambda: torch.ones(6).view(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (lambda: torch.ones(2, 3).t().view(6), RuntimeError, "view size is not compatible"),
    (lambda: torch.ones(2, 3).expand(4, 3), RuntimeError, "expanded size of the tensor"),
    (lambda: torch.cat([torch.ones(2, 3), torch.ones(2, 4)]), RuntimeError, "Sizes of tensors must match except in dimension 0"),
    (lambda: torch.stack([torch.ones(2), torch.ones(3)]), RuntimeError, "stack expects each tensor to be equal size"),
    (lambda: torch.zeros(-1), RuntimeError, "zeros: Dimension size must be non-negative"),
    (lambda: torch.ones(-1), RuntimeError, "negative dimension -1"),
    (lambda: torch.ones(10**12, 10**6), RuntimeError, "cannot allocate"),
    (lambda: torch.ones(10**7, 10**5), RuntimeError, "cannot allocate"),
    (lambda: torch.tensor([1, 2], requires_grad=True), RuntimeError, "^Only Tensors of floating point and complex dtype can require gradients"),
    (lambda: torch.tensor([1, 2]).requires_grad_(), RuntimeError, "^only Tensors of floating point dtype can require gradients"),
    (
        lambda: setattr(torch.tensor([1, 2]), "requires_grad", True),
        RuntimeError,
        "^only Tensors of floating point and complex dtype can require gradients",
    ),
    (lambda: torch.tensor("abc"), TypeError, "invalid data type"),
    (lambda: torch.tensor([[1, 2], [3]]), ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
    (lambda: torch.ones(2) + "a", TypeError, "unsupported operand"),
    (lambda: torch.ones(2).reshape("a"), TypeError, "size must be a tuple of ints"),
    (lambda: torch.ones(2, requires_grad=True).numpy(), RuntimeError, r"Use tensor\.detach\(\)\.numpy\(\) instead"),
    (lambda: -torch.tensor([True]), RuntimeError, "Negation, the `-` operator, on a bool tensor is not supported"),
    (lambda: torch.tensor([1, 2]).mean(), NotImplementedError, "mean\\(\\): could not infer output dtype"),
    (lambda: torch.tensor([1, 2]).add_(0.5), RuntimeError, "result type Float can't be cast to the desired output type Long"),
    (lambda: torch.tensor([1]) // torch.tensor([0]), RuntimeError, "ZeroDivisionError"),
    (lambda: torch.tensor([2]) ** -1, RuntimeError, "Integers to negative integer powers are not allowed"),
    (lambda: torch.ones(2, 2).max(dim=5), IndexError, "Dimension out of range"),
    (lambda: torch.empty(0).max(), RuntimeError, "Expected reduction dim to be specified for input.numel\\(\\) == 0"),
    (lambda: bool(torch.ones(2)), RuntimeError, "Boolean value of Tensor with more than one value is ambiguous"),
    (lambda: torch.ones(2).item(), RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar"),
    (lambda: len(torch.tensor(1.0)), TypeError, "len\\(\\) of a 0-d tensor"),
    (lambda: torch.ones(2, dtype=torch.float64).to("cuda"), RuntimeError, "float64"),
    (lambda: torch.ones(2).to("tpu"), RuntimeError, "Expected one of cpu, cuda"),
    (lambda: torch.arange(0, 10, 0), RuntimeError, "step must be nonzero"),
    (
        lambda: torch.autograd.grad((torch.ones(2, requires_grad=True) * 2).sum(), [torch.ones(2, requires_grad=True)]),
        RuntimeError,
        r"The differentiated Tensor at index 0 appears to not have been used in the graph",
    ),
    (
        lambda: setattr(torch.ones(2, requires_grad=True), "grad", torch.ones(3)),
        RuntimeError,
        r"attempting to assign a gradient of size '\[3\]' to a tensor of size '\[2\]'",
    ),
    (
        lambda: setattr(torch.ones(2, requires_grad=True), "grad", torch.ones(2, dtype=torch.float64)),
        RuntimeError,
        r"attempting to assign a gradient with dtype 'double' to a tensor with grad_dtype 'Float'",
    ),
    (lambda: torch.ones(3, 3).permute(0, 0), RuntimeError, r"permute\(\): duplicate dims are not allowed"),
    (lambda: torch.ones(3, 3).sum((0, -2)), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (
        lambda: torch.nn.functional.linear(torch.ones(4, 5), torch.ones(2, 3), torch.ones(2)),
        RuntimeError,
        r"^addmm: mat1 and mat2 shapes cannot be multiplied \(4x5 and 3x2\)",
    ),
    (
        lambda: torch.nn.functional.linear(torch.ones(2, 4, 5), torch.ones(2, 3)),
        RuntimeError,
        r"^mm: mat1 and mat2 shapes cannot be multiplied \(8x5 and 3x2\)",
    ),
    (lambda: torch.where(torch.ones(2), 1.0, 0.0), RuntimeError, "where expected condition to be a boolean tensor"),
    (lambda: torch.nn.functional.cross_entropy(torch.ones(2, 3), torch.tensor([0, 5])), IndexError, "Target 5 is out of bounds"),
    (lambda: torch.nn.functional.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])), RuntimeError, "between 0 and 1"),
    (lambda: torch.from_numpy(np.ones(3, dtype=np.complex64)), TypeError, "can't convert np.ndarray"),
    (lambda: torch.ones(2, 2)[::-1], ValueError, "step must be greater than zero"),
]


@pytest.mark.parametrize("fn,exc,pattern", CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_input_raises(fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn()


def test_nan_and_inf_flow_through_without_errors():
    x = torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0], requires_grad=True)
    y = (x.exp() + x.sigmoid() + x.tanh() + x.relu()).sum()
    y.backward()
    assert math.isnan(y.item())
    assert x.grad.shape == (4,)
    assert torch.tensor([float("nan"), 1.0]).max().isnan().item()
    assert repr(torch.tensor([float("nan"), float("inf"), 1.5])) == "tensor([   nan,    inf, 1.5000])"
    assert torch.log(torch.tensor([0.0, -1.0])).isinf()[0].item()


def test_empty_tensors_are_fine():
    e = torch.zeros(0, 3)
    assert e.sum().item() == 0.0
    assert e.sum(0).shape == (3,)
    assert (e @ torch.ones(3, 2)).shape == (0, 2)
    assert e.mean(1).shape == (0,)
    assert torch.cat([e, torch.ones(1, 3)]).shape == (1, 3)
    assert repr(e) == "tensor([], size=(0, 3))"


def test_huge_index_values_do_not_crash():
    with pytest.raises(IndexError):
        torch.ones(3)[2**62]
    with pytest.raises((IndexError, RuntimeError, OverflowError)):
        torch.ones(3)[torch.tensor([2**62])]
    with pytest.raises(IndexError):
        torch.ones(3)[-4]


@pytest.mark.parametrize(
    "make",
    [
        lambda: torch.arange(0, 1e13),
        lambda: torch.randn(10**7, 10**5),
        lambda: torch.linspace(0, 1, 10**13),
        lambda: torch.ones(1).expand(10**7, 10**6).contiguous(),
        lambda: torch.ones(1).expand(10**7, 10**6).clone(),
        lambda: torch.ones(1).expand(10**7, 10**6) * 2,
        lambda: torch.ones(1).expand(10**7, 10**6).exp(),
        lambda: torch.ones(1).expand(10**7, 10**6).sum(),
        lambda: torch.ones(1).expand(10**7, 10**6).double(),
        lambda: torch.ones(10**6, 1) @ torch.ones(1, 10**7),
        lambda: torch.eye(10**7),
    ],
    ids=[str(i) for i in range(11)],
)
def test_impossible_allocations_raise_instead_of_aborting(make):
    with pytest.raises(RuntimeError, match="cannot allocate"):
        make()
