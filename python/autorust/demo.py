"""The autorust demo: ``python -m autorust.demo``.

Trains a digit classifier (a small CNN, or ``--model mlp``) on images the
package generates (no download), written exactly as a PyTorch training
script: DataLoader, nn.Module, loss, optimizer, scheduler, checkpoint. Shows
a progress bar per epoch, the loss, train/test accuracy, the device and the
time per epoch; ``--plot FILE.png`` saves the curves. ``--seeds`` instead
walks through the seed tutorials' autograd steps, printing each step as
PyTorch prints it."""

import argparse
import sys
import time

import numpy as np

import autorust as torch
from autorust import nn
from autorust.utils.data import DataLoader, digits_dataset


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
    print((x3**2).requires_grad)
    with torch.no_grad():
        print((x3**2).requires_grad)
    print(x3.detach().requires_grad, x3.eq(x3.detach()).all())

    _step("Scalar derivatives")
    for label, fn, at in [
        ("d/dx x^2 at 2", lambda v: v**2, 2.0),
        ("d/dx exp(x) at 2", torch.exp, 2.0),
        ("d/dx sin(x) at pi", torch.sin, float(np.pi)),
        ("d/dx (x-4)(x^2+6) at 0", lambda v: (v - 4) * (v**2 + 6), 0.0),
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


def make_model(kind):
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(32 * 4 * 4, 10),
    )


def pick_device(name):
    """ "auto": the GPU when there is a hardware one. A software Vulkan device
    (lavapipe) trains correctly but ~100x slower than the CPU path, so auto
    leaves it out; --device cuda still uses it."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"  # hardware GPUs only
    return name


def _bar(epoch, epochs, done, total, loss, out):
    width = 24
    fill = int(width * done / max(total, 1))
    out.write(f"\repoch {epoch}/{epochs} [{'#' * fill}{'.' * (width - fill)}] {done}/{total} loss {loss:.4f}")
    out.flush()


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += int((model(x).argmax(1) == y).sum())
            total += y.shape[0]
    return correct / max(total, 1)


def train(model="cnn", epochs=4, batch_size=64, lr=2e-3, train_size=6000, test_size=2000, seed=0, device="cpu", progress=True, out=sys.stdout):
    """Trains on the generated digits; returns the per-epoch history
    (loss, train accuracy, test accuracy, seconds) and the model."""
    torch.manual_seed(seed)
    device = pick_device(device)
    train_set = digits_dataset(train_size, seed=seed)
    test_set = digits_dataset(test_size, seed=seed + 1)
    g = torch.Generator()
    g.manual_seed(seed)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=g)
    test_loader = DataLoader(test_set, batch_size=500)
    net = make_model(model).to(device) if isinstance(model, str) else model
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    history = {"loss": [], "train_acc": [], "test_acc": [], "seconds": []}
    for epoch in range(1, epochs + 1):
        net.train()
        start = time.perf_counter()
        total_loss, correct, seen = 0.0, 0, 0
        for step, (x, y) in enumerate(train_loader, 1):
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            logits = net(x)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            total_loss += float(loss) * y.shape[0]
            correct += int((logits.argmax(1) == y).sum())
            seen += y.shape[0]
            if progress and (step % 10 == 0 or step == len(train_loader)):
                _bar(epoch, epochs, step, len(train_loader), total_loss / seen, out)
        scheduler.step()
        seconds = time.perf_counter() - start
        test_acc = evaluate(net, test_loader, device)
        history["loss"].append(total_loss / seen)
        history["train_acc"].append(correct / seen)
        history["test_acc"].append(test_acc)
        history["seconds"].append(seconds)
        if progress:
            out.write(
                f"\repoch {epoch}/{epochs}  loss {total_loss / seen:.4f}  train acc {100 * correct / seen:5.1f}%  "
                f"test acc {100 * test_acc:5.1f}%  {seconds:.2f} s/epoch  (device: {device})" + " " * 10 + "\n"
            )
    return history, net


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autorust.demo", description=__doc__)
    parser.add_argument("--seeds", action="store_true", help="walk through the seed tutorials' autograd steps instead of training")
    parser.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--train-size", type=int, default=6000)
    parser.add_argument("--device", default="auto", help="cpu, cuda/wgpu/gpu, or auto (the GPU when one is available)")
    parser.add_argument("--plot", metavar="FILE.png", help="save loss and accuracy curves as a PNG")
    parser.add_argument("--save", metavar="FILE", help="save the trained model's state_dict (autorust.save)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    if args.seeds:
        torch.manual_seed(args.seed)
        seeds_walkthrough()
        return
    device = pick_device(args.device)
    print(f"autorust {torch.__version__}: training a {args.model.upper()} on {args.train_size} generated 16x16 digit images (device: {device})")
    history, net = train(args.model, args.epochs, args.batch_size, args.lr, args.train_size, seed=args.seed, device=device)
    print(f"test accuracy: {100 * history['test_acc'][-1]:.1f}%  (mean {np.mean(history['seconds']):.2f} s/epoch)")
    if args.save:
        torch.save(net.state_dict(), args.save)
        print(f"saved the model's state_dict to {args.save}")
    if args.plot:
        from ._plot import save_curves

        save_curves(args.plot, [[history["loss"]], [history["train_acc"], history["test_acc"]]])
        print(f"saved loss (left) and train/test accuracy (right, blue/orange) curves to {args.plot}")


if __name__ == "__main__":
    main()
