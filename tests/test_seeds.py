"""The tutorials in shared/seeds/, run with `import autorust as torch`,
asserting the outputs PyTorch printed there (random values excepted; dtype
suffixes read `autorust.` where PyTorch printed `torch.`)."""

import numpy as np
import pytest

import autorust as torch


def run(capsys, fn):
    fn()
    return capsys.readouterr().out


def test_seed000_tensors_and_from_numpy(capsys):
    def body():
        x = torch.ones(2, 2, requires_grad=True)
        print(x)
        x = torch.tensor([[1.0, 1], [1, 1]], requires_grad=True)
        print(x)
        x = np.array([[1, 1], [1, 1]], dtype=float)
        print("numpy.ndarray : \n", x)
        x = torch.from_numpy(x)
        print("torch.Tensor : \n", x)
        print(x.requires_grad)
        x.requires_grad = True
        print(x.requires_grad)

    assert run(capsys, body) == (
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
        "numpy.ndarray : \n [[1. 1.]\n [1. 1.]]\n"
        "torch.Tensor : \n tensor([[1., 1.],\n        [1., 1.]], dtype=autorust.float64)\n"
        "False\nTrue\n"
    )


def _seed000_x():
    x = torch.from_numpy(np.array([[1, 1], [1, 1]], dtype=float))
    x.requires_grad = True
    return x


def test_seed000_ops_and_grad_fn(capsys):
    x = _seed000_x()

    def body():
        print(x + 2)
        print(x - 1)
        print(x * 2)
        print(x / 2)

    assert run(capsys, body) == (
        "tensor([[3., 3.],\n        [3., 3.]], dtype=autorust.float64, grad_fn=<AddBackward0>)\n"
        "tensor([[0., 0.],\n        [0., 0.]], dtype=autorust.float64, grad_fn=<SubBackward0>)\n"
        "tensor([[2., 2.],\n        [2., 2.]], dtype=autorust.float64, grad_fn=<MulBackward0>)\n"
        "tensor([[0.5000, 0.5000],\n        [0.5000, 0.5000]], dtype=autorust.float64, grad_fn=<DivBackward0>)\n"
    )


def test_seed000_backward_and_accumulation(capsys):
    x = _seed000_x()

    def body():
        y = x + 2
        z = y * y * 3
        out = z.mean()
        print(z, out)
        out.backward()
        print(x.grad)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        for _ in range(3):
            out.backward(retain_graph=True)
            print(x.grad)
        print("x : ", x.requires_grad)
        print("x**2 : ", (x**2).requires_grad)
        with torch.no_grad():
            print("with no_grad x**2 : ", (x**2).requires_grad)

    assert run(capsys, body) == (
        "tensor([[27., 27.],\n        [27., 27.]], dtype=autorust.float64, grad_fn=<MulBackward0>) "
        "tensor(27., dtype=autorust.float64, grad_fn=<MeanBackward0>)\n"
        "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]], dtype=autorust.float64)\n"
        "tensor([[9., 9.],\n        [9., 9.]], dtype=autorust.float64)\n"
        "tensor([[13.5000, 13.5000],\n        [13.5000, 13.5000]], dtype=autorust.float64)\n"
        "tensor([[18., 18.],\n        [18., 18.]], dtype=autorust.float64)\n"
        "x :  True\nx**2 :  True\nwith no_grad x**2 :  False\n"
    )


def test_seed000_mse_exercise():
    def mse(x, y):
        x = torch.tensor(x, requires_grad=True)
        y = torch.tensor(y, requires_grad=True)
        z = ((x - y) ** 2).sum(dim=1).mean()
        z.backward()
        return x.grad, y.grad

    a, b = np.random.rand(4, 3), np.random.rand(4, 3)
    gx, gy = mse(a, b)
    expected = 2 * (a - b) / a.shape[0]
    np.testing.assert_allclose(gx.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(gy.numpy(), -expected, rtol=1e-12)
    assert gx.dtype is torch.float64


def seed001_walkthrough():
    x = torch.ones(2, 2, requires_grad=True)
    print(x)
    y = x + 2
    print(y)
    z = y * y * 3
    out = z.mean()
    print(z, out)
    a = torch.randn(2, 2)
    a = (a * 3) / (a - 1)
    print(a.requires_grad)
    a.requires_grad_(True)
    print(a.requires_grad)
    b = (a * a).sum()
    print(b.grad_fn.name())
    print(out)
    out.backward()
    print(x)
    print(x.grad)


SEED001_WALKTHROUGH = (
    "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
    "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n"
    "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) tensor(27., grad_fn=<MeanBackward0>)\n"
    "False\nTrue\nSumBackward0\n"
    "tensor(27., grad_fn=<MeanBackward0>)\n"
    "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
    "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n"
)


def test_seed001_walkthrough(capsys):
    assert run(capsys, seed001_walkthrough) == SEED001_WALKTHROUGH


def test_seed001_grad_fn_repr():
    y = torch.ones(2, 2, requires_grad=True) + 2
    r = repr(y.grad_fn)
    assert r.startswith("<AddBackward0 object at 0x") and r.endswith(">")


def test_seed001_vector_jacobian_product(capsys):
    x = torch.randn(3, requires_grad=True)
    y = x * 2
    n = 1
    while y.data.norm() < 1000:
        y = y * 2
        n += 1
    v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
    y.backward(v)
    np.testing.assert_allclose(x.grad.numpy(), (2.0**n) * np.array([0.1, 1.0, 0.0001], dtype=np.float32), rtol=1e-6)
    # The tutorial's run printed x.grad = 2 * v; the same gradient prints the same here.
    x = torch.randn(3, requires_grad=True)
    (x * 2).backward(v)
    print(x.grad)
    assert capsys.readouterr().out == "tensor([2.0000e-01, 2.0000e+00, 2.0000e-04])\n"


def test_seed001_no_grad_and_detach(capsys):
    x = torch.randn(3, requires_grad=True)

    def body():
        print(x.requires_grad)
        print((x**2).requires_grad)
        with torch.no_grad():
            print((x**2).requires_grad)
        print(x.requires_grad)
        y = x.detach()
        print(y.requires_grad)
        print(x.eq(y).all())

    assert run(capsys, body) == "True\nTrue\nFalse\nTrue\nFalse\ntensor(True)\n"


def seed002_scalar_derivatives():
    x = torch.tensor(1.0, requires_grad=True)
    w = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    y = w * x + b
    y.backward()
    print(x.grad)
    print(w.grad)
    print(b.grad)
    x = torch.tensor(2.0, requires_grad=True)
    (x**2).backward()
    print(x.grad)
    x = torch.tensor(2.0, requires_grad=True)
    torch.exp(x).backward()
    print(x.grad)
    x = torch.tensor(np.pi, requires_grad=True)
    torch.sin(x).backward()
    print(x.grad)
    x = torch.tensor(0.0, requires_grad=True)
    ((x - 4) * (x**2 + 6)).backward()
    print(x.grad)
    x = torch.tensor(2.0, requires_grad=True)
    ((torch.sqrt(x) + 1) ** 3).backward()
    print(x.grad)
    x = torch.tensor(1.0, requires_grad=True)
    y = torch.tensor(2.0, requires_grad=True)
    ((x + 2 * y) ** 2).backward()
    print(x.grad)
    print(y.grad)


SEED002_SCALAR_DERIVATIVES = (
    "tensor(2.)\ntensor(1.)\ntensor(1.)\ntensor(4.)\ntensor(7.3891)\ntensor(-1.)\ntensor(6.)\ntensor(6.1820)\ntensor(10.)\ntensor(20.)\n"
)


def test_seed002_scalar_derivatives(capsys):
    assert run(capsys, seed002_scalar_derivatives) == SEED002_SCALAR_DERIVATIVES


def seed003_log_sin_and_retain_grad():
    x = torch.tensor(2.0, requires_grad=True)
    y = torch.tensor(3.0, requires_grad=True)
    z = y * torch.log(x) + torch.sin(y)
    z.backward()
    print(x.grad)
    print(y.grad)
    x = torch.tensor(2.0, requires_grad=True)
    y = torch.tensor(3.0, requires_grad=True)
    sum_xy = x + y
    sum_xy.retain_grad()
    z = sum_xy.pow(2)
    z.backward()
    print(x.grad)
    print(y.grad)
    print(sum_xy.grad)


SEED003_LOG_SIN_AND_RETAIN_GRAD = "tensor(1.5000)\ntensor(-0.2968)\ntensor(10.)\ntensor(10.)\ntensor(10.)\n"


def test_seed003_log_sin_and_retain_grad(capsys):
    assert run(capsys, seed003_log_sin_and_retain_grad) == SEED003_LOG_SIN_AND_RETAIN_GRAD


def test_seed003_backward_under_no_grad_raises():
    x = torch.tensor(2.0, requires_grad=True)
    y = torch.tensor(3.0, requires_grad=True)
    with torch.no_grad():
        z1 = y * torch.log(x) + torch.sin(y)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        z1.backward()


def test_seed004_bce_with_logits_graph(capsys):
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    assert repr(loss).endswith("grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)")
    assert repr(z.grad_fn).startswith("<AddBackward0 object at 0x")
    assert repr(loss.grad_fn).startswith("<BinaryCrossEntropyWithLogitsBackward0 object at 0x")
    loss.backward()
    zn = (np.ones(5) @ w.detach().numpy().astype(np.float64)) + b.detach().numpy()
    sig = 1 / (1 + np.exp(-zn))
    np.testing.assert_allclose(loss.item(), np.mean(np.log1p(np.exp(zn))), rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), sig / 3, rtol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), np.tile(sig / 3, (5, 1)), rtol=1e-5)

    def body():
        z = torch.matmul(x, w) + b
        print(z.requires_grad)
        with torch.no_grad():
            z = torch.matmul(x, w) + b
        print(z.requires_grad)
        print((torch.matmul(x, w) + b).detach().requires_grad)

    assert run(capsys, body) == "True\nFalse\nFalse\n"


def seed004_jacobian_accumulation():
    inp = torch.eye(5, requires_grad=True)
    out = (inp + 1).pow(2)
    out.backward(torch.ones_like(inp), retain_graph=True)
    print("First call\n", inp.grad)
    out.backward(torch.ones_like(inp), retain_graph=True)
    print("\nSecond call\n", inp.grad)
    inp.grad.zero_()
    out.backward(torch.ones_like(inp), retain_graph=True)
    print("\nCall after zeroing gradients\n", inp.grad)


_FIRST = (
    "tensor([[4., 2., 2., 2., 2.],\n        [2., 4., 2., 2., 2.],\n        [2., 2., 4., 2., 2.],\n"
    "        [2., 2., 2., 4., 2.],\n        [2., 2., 2., 2., 4.]])"
)
_SECOND = (
    "tensor([[8., 4., 4., 4., 4.],\n        [4., 8., 4., 4., 4.],\n        [4., 4., 8., 4., 4.],\n"
    "        [4., 4., 4., 8., 4.],\n        [4., 4., 4., 4., 8.]])"
)
SEED004_JACOBIAN_ACCUMULATION = f"First call\n {_FIRST}\n\nSecond call\n {_SECOND}\n\nCall after zeroing gradients\n {_FIRST}\n"


def test_seed004_jacobian_accumulation(capsys):
    assert run(capsys, seed004_jacobian_accumulation) == SEED004_JACOBIAN_ACCUMULATION
