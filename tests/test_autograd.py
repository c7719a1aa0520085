"""Autograd semantics: leaves, grad accumulation, retain_grad, hooks,
autograd.grad, higher order, grad modes, in-place rules and PyTorch's errors."""

import copy
import warnings

import numpy as np
import pytest

import autorust as torch


def test_leaf_flags_and_grad_fn_names():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    assert a.is_leaf and a.grad_fn is None
    b = a * 2
    assert not b.is_leaf and b.grad_fn.name() == "MulBackward0"
    assert (a + 1).grad_fn.name() == "AddBackward0"
    assert (a.sum()).grad_fn.name() == "SumBackward0"
    assert (a.mean()).grad_fn.name() == "MeanBackward0"
    assert (a**2).grad_fn.name() == "PowBackward0"
    m = torch.ones(2, 2, requires_grad=True)
    assert (m @ m).grad_fn.name() == "MmBackward0"
    assert m.t().grad_fn.name() == "TBackward0"
    assert m.view(4).grad_fn.name() == "ViewBackward0"
    nf = b.grad_fn.next_functions
    assert nf[0][0].name() == "torch::autograd::AccumulateGrad" and nf[1] == (None, 0)
    assert nf[0][0].variable.data_ptr() == a.data_ptr()


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        torch.tensor([1, 2], requires_grad=True)
    x = torch.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False


def test_grad_accumulates_and_resets():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.array([1.0, 2.0, 3.0]))
    x.grad.zero_()
    assert x.grad.sum().item() == 0
    x.grad = None
    assert x.grad is None


def test_later_gradients_add_into_the_same_grad_buffer():
    # as PyTorch: the second backward adds in place, so a reference taken
    # before sees the sum; a strided or broadcast .grad still adds right
    x = torch.ones(600, 600, requires_grad=True)
    (x * 2).sum().backward()
    g, ptr = x.grad, x.grad.data_ptr()
    (x * 3).sum().backward()
    assert x.grad is g and x.grad.data_ptr() == ptr
    np.testing.assert_array_equal(g.numpy(), np.full((600, 600), 5.0, np.float32))
    y = torch.ones(3, requires_grad=True)
    y.grad = torch.ones(6)[::2]
    (y * 2).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0, 3.0])
    z = torch.ones(3, dtype=torch.float64, requires_grad=True)
    (z * z).sum().backward(create_graph=True)
    (z * z).sum().backward(create_graph=True)
    assert z.grad.grad_fn is not None
    np.testing.assert_array_equal(z.grad.detach().numpy(), [4.0, 4.0, 4.0])


def test_nonleaf_grad_warns_and_retain_grad():
    a = torch.ones(3, requires_grad=True)
    y = a * 2
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert y.grad is None
    assert len(w) == 1 and "not a leaf Tensor" in str(w[0].message)
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [4.0, 4.0, 4.0])


def test_backward_errors_match_pytorch():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        torch.ones(2).sum().backward()
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(torch.ones(3))


def test_retain_graph_allows_second_backward():
    x = torch.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_nodes_that_save_no_tensors_run_backward_twice():
    # PyTorch's TrilBackward0, FlipBackward0 and the Scalar overloads inside
    # its composite functions (MulBackward1 in cumulative_trapezoid) save
    # no tensors, so a second backward through them works without
    # retain_graph; autorust builds them from ops that save a constant mask,
    # index or number, which must not make them refuse
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    for f in [
        lambda t: t.tril(),
        lambda t: t.triu(1),
        lambda t: t.flip(0),
        lambda t: torch.rot90(t, 1, (0, 1)),
        lambda t: torch.cumulative_trapezoid(t, dim=1),
    ]:
        x.grad = None
        y = f(x)
        w = torch.arange(y.numel(), dtype=torch.float32).reshape(y.shape)
        (y * 1).mul(w).sum().backward()
        first = x.grad.clone()
        (y * w).sum().backward()  # through f's node again: no error
        np.testing.assert_allclose(x.grad.numpy(), 2 * first.numpy())
    # a node that saves its inputs still refuses, as in PyTorch
    y = x * x
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()


def test_hooks_on_leaf_and_nonleaf():
    a = torch.ones(2, requires_grad=True)
    seen = []
    a.register_hook(lambda g: seen.append(g.clone()))
    b = a * 3
    b.register_hook(lambda g: g * 10)
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [30.0, 30.0])
    np.testing.assert_allclose(seen[0].numpy(), [30.0, 30.0])


def test_autograd_grad_and_allow_unused():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0], requires_grad=True)
    (ga,) = torch.autograd.grad((a * a).sum(), a)
    np.testing.assert_allclose(ga.numpy(), [2.0, 4.0])
    assert a.grad is None  # autograd.grad does not touch .grad
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        torch.autograd.grad(a.sum(), [a, b])
    ga, gb = torch.autograd.grad(a.sum(), [a, b], allow_unused=True)
    assert gb is None


def test_grad_of_nonleaf_input():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    h = a * 3
    (gh,) = torch.autograd.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.numpy(), 2 * 3 * np.array([1.0, 2.0]))


def test_create_graph_double_backward():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad((a**3).sum(), a, create_graph=True)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [6.0, 12.0])


def test_backward_with_inputs_accumulates_only_those():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 1.0])


def test_multiple_roots():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    torch.autograd.backward([x.sum(), (x * 2).sum()])
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 3.0])


def test_grad_modes():
    x = torch.ones(1, requires_grad=True)
    with torch.no_grad():
        assert not (x * 2).requires_grad
        with torch.enable_grad():
            assert (x * 2).requires_grad
    with torch.set_grad_enabled(False):
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    assert not torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    with torch.inference_mode():
        assert not (x * 2).requires_grad

    @torch.no_grad()
    def f(v):
        return v * 2

    @torch.no_grad
    def g(v):
        return v * 2

    assert not f(x).requires_grad and not g(x).requires_grad


def test_detach_and_detach_():
    x = torch.ones(2, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf
    z = x * 2
    z.detach_()
    assert not z.requires_grad and z.grad_fn is None
    # detach shares memory
    d = x.detach()
    d[0] = 5
    assert x[0].item() == 5


def test_inplace_on_leaf_requiring_grad_errors():
    a = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        a.add_(1)
    with pytest.raises(RuntimeError, match="in-place operation"):
        a[0] = 3
    with torch.no_grad():
        a.add_(1)
        a -= 0.5
    np.testing.assert_allclose(a.detach().numpy(), [1.5, 1.5])


def test_modified_saved_tensor_detected():
    a = torch.ones(2, requires_grad=True)
    b = a.exp()
    b.add_(1)
    # PyTorch 2.15's wording: the node that made the tensor, short-named
    with pytest.raises(
        RuntimeError,
        match=r"inplace operation: \[autorust.FloatTensor \[2\]\], which is output 0 of Exp, is at version 1; expected version 0 instead. Hint: enable anomaly detection",
    ):
        b.sum().backward()
    c = a * 1
    d = c * c
    c.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[autorust.FloatTensor \[2\]\], which is output 0 of Mul, is at version 1"):
        d.sum().backward()
    w = torch.ones(2)
    e = a * w
    w.add_(1)
    with pytest.raises(RuntimeError, match=r"\[autorust.FloatTensor \[2\]\] is at version 1; expected version 0"):
        e.sum().backward()


def test_inplace_on_nonleaf_keeps_gradients_right():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    b.add_(1)
    b.pow_(2)
    b.mul_(3)
    assert b.grad_fn.name() == "MulBackward0"
    b.sum().backward()
    # d/da 3 * (2a + 1)^2 = 12 (2a + 1)
    np.testing.assert_allclose(a.grad.numpy(), 12 * (2 * np.array([1.0, 2.0]) + 1))


def test_setitem_in_graph():
    x = torch.zeros(3, requires_grad=True)
    y = x * 1
    y[0] = 5
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 1.0])
    v = torch.tensor(2.0, requires_grad=True)
    z = torch.zeros(3)
    z[1] = v
    (z * 3).sum().backward()
    assert v.grad.item() == 3.0


def test_view_gradients_flow_to_base():
    x = torch.ones(3, 4, requires_grad=True)
    (x[1:, ::2] * 3).sum().backward()
    expected = np.zeros((3, 4))
    expected[1:, ::2] = 3
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_data_assignment_and_no_grad_updates():
    w = torch.ones(2, requires_grad=True)
    w.data -= 0.1 * torch.ones(2)
    np.testing.assert_allclose(w.detach().numpy(), [0.9, 0.9], rtol=1e-6)
    assert w.requires_grad and w.is_leaf
    w.data = torch.zeros(3)
    assert w.shape == (3,)


def test_deepcopy_keeps_requires_grad():
    x = torch.ones(2, requires_grad=True)
    y = copy.deepcopy(x)
    assert y.requires_grad and y.data_ptr() != x.data_ptr()


def test_mixed_dtype_gradients_take_input_dtype():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, dtype=torch.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype is torch.float32 and b.grad.dtype is torch.float64


def test_broadcast_gradient_is_summed():
    a = torch.ones(3, 1, requires_grad=True)
    b = torch.ones(4, requires_grad=True)
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_deep_chain_backward_and_free_do_not_overflow():
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0
    del y


class _Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class _MulConst(torch.autograd.Function):
    @staticmethod
    def forward(x, k):
        return x * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.k = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.k, None


class _SplitTwo(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, ga, gb):
        return ga * 2 + gb * 3


def test_custom_function_forward_backward_and_name():
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    y = _Exp.apply(x)
    assert y.grad_fn.name() == "_ExpBackward"
    (y * torch.tensor([1.0, 2.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]) * [1.0, 2.0], rtol=1e-6)


def test_custom_function_setup_context_and_non_tensor_args():
    x = torch.ones(3, requires_grad=True)
    _MulConst.apply(x, 4.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0, 4.0])


def test_custom_function_multiple_outputs():
    x = torch.ones(2, requires_grad=True)
    a, b = _SplitTwo.apply(x)
    (a.sum() + 10 * b.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [32.0, 32.0])


def test_custom_function_bad_gradient_shape():
    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return torch.ones(5)

    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
        Bad.apply(x).sum().backward()


def test_custom_function_under_no_grad_records_nothing():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        assert _Exp.apply(x).grad_fn is None


def test_inplace_through_view_rewrites_base_history():
    x = torch.ones(3, requires_grad=True)
    y = x * 2
    y[1:].mul_(3)
    # PyTorch: name() "torch::autograd::CopySlices", repr "<CopySlices object at ...>"
    assert y.grad_fn.name() == "autorust::autograd::CopySlices" and repr(y.grad_fn).startswith("<CopySlices object at")
    z = x * 1
    z[0] = 5.0  # a basic-index write is a CopySlices too; a tensor index is an index_put
    assert repr(z.grad_fn).startswith("<CopySlices object")
    z[torch.tensor([1])] = 4.0
    assert z.grad_fn.name() == "IndexPutBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 6.0, 6.0])
    x = torch.ones(2, 3, requires_grad=True)
    v = torch.tensor([10.0, 20.0], requires_grad=True)
    y = x * 1
    y.t()[0].add_(v)
    (y * torch.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [[11, 1, 1], [21, 1, 1]])
    np.testing.assert_allclose(x.grad.numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(v.grad.numpy(), [0.0, 3.0])
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        torch.ones(3, requires_grad=True)[0:2].mul_(2)


def test_fill_and_copy_on_nonleaf():
    x = torch.ones(3, requires_grad=True)
    y = x * 1
    y.fill_(2.0)
    assert y.grad_fn.name() == "FillBackward2"  # fill_(Scalar), as PyTorch 2.15 names it
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 0.0])
    s = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = torch.zeros(3, requires_grad=True) * 1
    z.copy_(s)
    (z * z).sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), [2.0, 4.0, 6.0])


def test_tensor_constructor_forms():
    assert torch.Tensor(2, 3).shape == (2, 3)
    assert torch.Tensor([1, 2]).dtype is torch.float32
    p = torch.Tensor(torch.ones(2), True)
    assert p.requires_grad and p.is_leaf
    # cuda answers for the wgpu device when it is a hardware GPU (tests/test_gpu.py covers it)
    hardware = torch.wgpu.is_available() and torch.wgpu.get_device_type() != "cpu"
    assert torch.cuda.is_available() == hardware
    assert torch.cuda.device_count() == (1 if hardware else 0)


def test_writes_through_data_are_not_version_checked():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.data.mul_(2)  # PyTorch lets this through (and so does autorust)
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), [4.0, 8.0])
    d = w.detach()
    z = (w * w).sum()
    d.mul_(2)  # detach() shares the version counter: detected
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


@pytest.mark.parametrize("op", ["gather", "sort", "scatter_add"])
def test_index_tensors_are_saved_and_an_inplace_write_to_them_is_refused(op):
    # PyTorch's GatherBackward0/SortBackward0/ScatterAddBackward0 save the
    # index as a SavedVariable: writing to it before the backward is an
    # error there, not a gradient from the new (or a copied old) index
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    index = torch.tensor([[0, 2], [1, 1]])
    if op == "gather":
        out = x.gather(1, index)
    elif op == "sort":
        out, index = x.sort(1)
    else:
        out = torch.zeros(2, 3).scatter_add(1, index, x[:, :2])
    index.add_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    # untouched, the saved index gives PyTorch's gradient
    x.grad = None
    index = torch.tensor([[0, 2], [1, 1]])
    if op == "gather":
        x.gather(1, index).sum().backward()
        want = [[1, 0, 1], [0, 2, 0]]
    elif op == "sort":
        (x.sort(1)[0] * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
        want = [[1, 2, 3], [1, 2, 3]]
    else:
        (torch.zeros(2, 3).scatter_add(1, index, x[:, :2]) * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
        want = [[1, 3, 0], [2, 2, 0]]
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_norm_gradient_at_zero_is_zero():
    x = torch.zeros(3, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    y = torch.tensor([3.0, 4.0], requires_grad=True)
    n = y.norm()
    n.backward()
    assert n.item() == 5.0
    np.testing.assert_allclose(y.grad.numpy(), [0.6, 0.8])


def test_functional_jacobian_hessian_and_gradcheck():
    from autorust.autograd.functional import hessian, jacobian

    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    j = jacobian(lambda v: v**2 * 3, x)
    np.testing.assert_allclose(j.numpy(), np.diag([6.0, 12.0]))
    h = hessian(lambda v: (v**3).sum(), x)
    np.testing.assert_allclose(h.numpy(), np.diag([6.0, 12.0]))
    ja, jb = jacobian(lambda a, b: a * b, (x, torch.tensor([3.0, 4.0], dtype=torch.float64)))
    np.testing.assert_allclose(ja.numpy(), np.diag([3.0, 4.0]))
    np.testing.assert_allclose(jb.numpy(), np.diag([1.0, 2.0]))
    inp = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: (v.sin() * v.exp()).sum(), (inp,))

    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            return v * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        torch.autograd.gradcheck(Wrong.apply, (inp,))


def test_first_gradient_taken_without_copy_never_aliases_other_tensors():
    # the incoming gradient becomes .grad without a copy only when nothing
    # else holds it: a user-supplied gradient, a retained intermediate's
    # grad and a leaf's grad stay independent
    x = torch.ones(3, requires_grad=True)
    g = torch.full((3,), 2.0)
    x.clone().backward(g)
    x.grad.add_(1)
    assert g.tolist() == [2.0, 2.0, 2.0]
    y = x.clone()
    y.retain_grad()
    x.grad = None
    (y * 1).sum().backward()
    x.grad.add_(5)
    assert y.grad.tolist() == [1.0, 1.0, 1.0] and x.grad.tolist() == [6.0, 6.0, 6.0]


def test_grad_fn_types_are_named_as_pytorchs():
    a = torch.ones(2, requires_grad=True)
    b = (a * 2).sum()
    assert type(b.grad_fn).__name__ == "SumBackward0" and isinstance(b.grad_fn, torch.autograd.graph.Node)
    ((mul, k),) = b.grad_fn.next_functions
    assert type(mul).__name__ == "MulBackward0" and k == 0
    assert [type(f).__name__ if f is not None else None for f, _ in mul.next_functions] == ["AccumulateGrad", None]
    assert b.grad_fn == b.grad_fn and repr(b.grad_fn).startswith("<SumBackward0 object at")
    c = a * 1
    c[0] = 3.0
    assert type(c.grad_fn).__name__ == "CopySlices"

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g

    assert type(Square.apply(a).grad_fn).__name__ == "SquareBackward"


def test_grad_and_accumulate_grad_variable_are_one_python_object_as_in_pytorch():
    x = torch.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    g = x.grad
    assert x.grad is g
    (x * 3).sum().backward()  # accumulated in place: the same tensor
    assert x.grad is g and g.tolist() == [5.0, 5.0, 5.0]
    mine = torch.zeros(3)
    x.grad = mine
    assert x.grad is mine
    del x.grad
    assert x.grad is None
    node = (x * 2).grad_fn.next_functions[0][0]
    assert node.name() == "torch::autograd::AccumulateGrad" and type(node).__name__ == "AccumulateGrad"
    assert node.variable is node.variable
