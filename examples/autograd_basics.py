"""Autograd in a few lines: gradients of a small expression, a vector-Jacobian
product, and a hand-written gradient-descent fit, all with `import autorust as
torch`. Run: python examples/autograd_basics.py"""

import autorust as torch

# d/dx of mean(3 * (x + 2)^2) at x = 1 is 4.5
x = torch.ones(2, 2, requires_grad=True)
out = ((x + 2) * (x + 2) * 3).mean()
out.backward()
print("d out / dx =", x.grad)

# a vector-Jacobian product: y = 2x, so v^T J = 2v
x = torch.randn(3, requires_grad=True)
(x * 2).backward(torch.tensor([0.1, 1.0, 0.0001]))
print("v^T J =", x.grad)

# fit y = 3x - 1 by gradient descent on w, b
torch.manual_seed(0)
xs = torch.linspace(-1, 1, 64).unsqueeze(1)
ys = 3 * xs - 1
w = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
for step in range(200):
    loss = torch.nn.functional.mse_loss(xs * w + b, ys)
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
    w.grad = None
    b.grad = None
print(f"w = {w.item():.3f}, b = {b.item():.3f}, loss = {loss.item():.2e}")
