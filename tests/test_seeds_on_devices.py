"""The seed walkthroughs (test_seeds.py) run on the GPU: with the default
device set to "wgpu" or "cuda:0" (PyTorch's `torch.set_default_device`),
each prints what PyTorch printed, with the device in every tensor's repr as
PyTorch shows it (`device='cuda:0'`). Seed 000's own GPU code, the MSE
exercise on `device="cuda:0"`, runs in float32 (float64 cannot live on the
wgpu device: WGSL has no 64-bit floats; autorust refuses it with a clear
error, as PyTorch's MPS backend does).

Skips without a wgpu adapter unless AUTORUST_REQUIRE_GPU is set (CI).
"""

import numpy as np
import pytest
from gpu_guard import require_wgpu
from test_seeds import (
    SEED001_WALKTHROUGH,
    SEED002_SCALAR_DERIVATIVES,
    SEED003_LOG_SIN_AND_RETAIN_GRAD,
    SEED004_JACOBIAN_ACCUMULATION,
    seed001_walkthrough,
    seed002_scalar_derivatives,
    seed003_log_sin_and_retain_grad,
    seed004_jacobian_accumulation,
)

import autorust as torch

require_wgpu(torch)


def with_device(printed, name):
    """PyTorch's printout of the same program on device `name`: every
    `tensor(...)` gains `device='name'` right after its data, before the
    grad_fn / requires_grad suffixes."""
    out, i = [], 0
    while True:
        j = printed.find("tensor(", i)
        if j < 0:
            out.append(printed[i:])
            return "".join(out)
        k, depth = j + len("tensor("), 0
        while not (depth == 0 and printed[k] in ",)"):  # the end of the data
            depth += printed[k] == "["
            depth -= printed[k] == "]"
            k += 1
        out.append(printed[i:k] + f", device='{name}'")
        i = k


SEEDS = [
    ("seed001_walkthrough", seed001_walkthrough, SEED001_WALKTHROUGH),
    ("seed002_scalar_derivatives", seed002_scalar_derivatives, SEED002_SCALAR_DERIVATIVES),
    ("seed003_log_sin_and_retain_grad", seed003_log_sin_and_retain_grad, SEED003_LOG_SIN_AND_RETAIN_GRAD),
    ("seed004_jacobian_accumulation", seed004_jacobian_accumulation, SEED004_JACOBIAN_ACCUMULATION),
]


@pytest.fixture
def default_device():
    yield torch.set_default_device
    torch.set_default_device("cpu")


def test_with_device_inserts_before_the_suffixes():
    printed = "tensor([[1., 2.]], grad_fn=<AddBackward0>) tensor(27., requires_grad=True)\ntensor(2.)\n"
    assert with_device(printed, "cuda:0") == (
        "tensor([[1., 2.]], device='cuda:0', grad_fn=<AddBackward0>) tensor(27., device='cuda:0', requires_grad=True)\ntensor(2., device='cuda:0')\n"
    )


@pytest.mark.parametrize("device,shown", [("wgpu", "wgpu:0"), ("cuda:0", "cuda:0")])
@pytest.mark.parametrize("name,body,printed", SEEDS, ids=[s[0] for s in SEEDS])
def test_seed_walkthrough_on_the_gpu(name, body, printed, device, shown, default_device, capsys):
    default_device(device)
    body()
    assert capsys.readouterr().out == with_device(printed, shown)


def test_seed000_mse_exercise_on_cuda0():
    # the seed's MSE(x, y) with device="cuda:0", given float32 arrays
    def mse(x, y):
        x = torch.tensor(x, device="cuda:0", requires_grad=True)
        y = torch.tensor(y, device="cuda:0", requires_grad=True)
        z = ((x - y) ** 2).sum(dim=1).mean()
        z.backward()
        return x.grad, y.grad

    a, b = np.random.rand(4, 3).astype(np.float32), np.random.rand(4, 3).astype(np.float32)
    gx, gy = mse(a, b)
    assert gx.device == torch.device("cuda:0") and str(gx.device) == "cuda:0"
    expected = 2 * (a.astype(np.float64) - b) / a.shape[0]
    np.testing.assert_allclose(gx.cpu().numpy(), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gy.cpu().numpy(), -expected, rtol=1e-5, atol=1e-7)
    # float64 arrays (the seed's np.random.rand) are refused, saying what to do
    with pytest.raises(RuntimeError, match="float64 .* use float32"):
        mse(a.astype(np.float64), b.astype(np.float64))
