"""The autorust demo: ``python -m autorust.demo``.

For now this is the walkthrough of the seed tutorials' autograd steps
(``--seeds``, the default), printing each step as PyTorch prints it. The
training demo arrives with autorust.nn."""

import argparse

import numpy as np

import autorust as torch


def _step(title):
    print(f"\n=== {title} ===")


def seeds_walkthrough():
    _step("Tensors that track computation")
    x = torch.ones(2, 2, requires_grad=True)
    print(x)
    a = np.array([[1, 1], [1, 1]], dtype=float)
    xd = torch.from_numpy(a)
    print("from_numpy:", xd)
    xd.requires_grad = True

    _step("Operations record grad_fn")
    y = xd + 2
    print(y)
    print(xd - 1)
    print(xd * 2)
    print(xd / 2)
    print("y.grad_fn =", y.grad_fn)

    _step("out = mean(3 * (x + 2)^2) and its gradient")
    z = y * y * 3
    out = z.mean()
    print(z, out)
    out.backward()
    print("x.grad =", xd.grad)

    _step("Gradients accumulate across backward calls")
    out = ((xd + 2) * (xd + 2) * 3).mean()
    for _ in range(3):
        out.backward(retain_graph=True)
        print(xd.grad)

    _step("Vector-Jacobian product")
    x3 = torch.randn(3, requires_grad=True)
    y3 = x3 * 2
    while y3.data.norm() < 1000:
        y3 = y3 * 2
    print(y3)
    y3.backward(torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float))
    print("x.grad =", x3.grad)

    _step("no_grad and detach")
    print((x3 ** 2).requires_grad)
    with torch.no_grad():
        print((x3 ** 2).requires_grad)
    print(x3.detach().requires_grad, x3.eq(x3.detach()).all())

    _step("Scalar derivatives")
    for label, fn, at in [
        ("d/dx x^2 at 2", lambda v: v ** 2, 2.0),
        ("d/dx exp(x) at 2", torch.exp, 2.0),
        ("d/dx sin(x) at pi", torch.sin, float(np.pi)),
        ("d/dx (x-4)(x^2+6) at 0", lambda v: (v - 4) * (v ** 2 + 6), 0.0),
        ("d/dx (sqrt(x)+1)^3 at 2", lambda v: (torch.sqrt(v) + 1) ** 3, 2.0),
    ]:
        v = torch.tensor(at, requires_grad=True)
        fn(v).backward()
        print(f"{label}: {v.grad}")

    _step("retain_grad on an intermediate")
    p = torch.tensor(2.0, requires_grad=True)
    q = torch.tensor(3.0, requires_grad=True)
    s = p + q
    s.retain_grad()
    s.pow(2).backward()
    print(p.grad, q.grad, s.grad)

    _step("Binary cross-entropy with logits")
    xi, yt = torch.ones(5), torch.zeros(3)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    zl = torch.matmul(xi, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(zl, yt)
    print(loss)
    print("Gradient function for z =", zl.grad_fn)
    print("Gradient function for loss =", loss.grad_fn)
    loss.backward()
    print(w.grad)
    print(b.grad)

    _step("Jacobian products with torch.eye")
    inp = torch.eye(5, requires_grad=True)
    o = (inp + 1).pow(2)
    o.backward(torch.ones_like(inp), retain_graph=True)
    print("First call\n", inp.grad)
    o.backward(torch.ones_like(inp), retain_graph=True)
    print("\nSecond call\n", inp.grad)
    inp.grad.zero_()
    o.backward(torch.ones_like(inp), retain_graph=True)
    print("\nCall after zeroing gradients\n", inp.grad)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autorust.demo", description=__doc__)
    parser.add_argument("--seeds", action="store_true", help="walk through the seed tutorials' autograd steps (default)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    seeds_walkthrough()


if __name__ == "__main__":
    main()
