"""torch.special's orthogonal polynomials against NumPy's own
(numpy.polynomial: Chebyshev, Hermite, HermiteE, Laguerre, Legendre) and
the closed forms; conv_tbc, linear_cross_entropy and CrossMapLRN2d
against direct NumPy computations."""

import numpy as np
import numpy.polynomial as P
import pytest

import autorust as torch
import autorust.nn as nn
import autorust.nn.functional as F

S = torch.special
X = np.concatenate([np.linspace(-1.4, 1.4, 29), [-1.0, 1.0, 0.0, 0.3]])


REFERENCES = {
    "chebyshev_polynomial_t": lambda x, n: P.Chebyshev.basis(n)(x),
    "chebyshev_polynomial_u": lambda x, n: _u(x, n),
    "hermite_polynomial_h": lambda x, n: P.Hermite.basis(n)(x),
    "hermite_polynomial_he": lambda x, n: P.HermiteE.basis(n)(x),
    "laguerre_polynomial_l": lambda x, n: P.Laguerre.basis(n)(x),
    "legendre_polynomial_p": lambda x, n: P.Legendre.basis(n)(x),
    "shifted_chebyshev_polynomial_t": lambda x, n: P.Chebyshev.basis(n)(2 * x - 1),
}


def _u(x, n):
    # U_n = 2 (T_n + T_{n-2} + ...), with T_0 counted once
    coefficients = np.zeros(n + 1)
    coefficients[n % 2 :: 2] = 2.0
    if n % 2 == 0:
        coefficients[0] = 1.0
    return P.Chebyshev(coefficients)(x)


@pytest.mark.parametrize("name", sorted(REFERENCES))
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 7, 9, 12])
def test_polynomials_match_numpy(name, n):
    got = getattr(S, name)(torch.tensor(X, dtype=torch.float64), n).numpy()
    want = REFERENCES[name](X, n)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)


def test_chebyshev_v_and_w_from_their_trigonometric_definitions():
    x = np.linspace(-0.95, 0.95, 21)
    theta = np.arccos(x)
    for n in (0, 1, 2, 4, 9, 13):
        v = S.chebyshev_polynomial_v(torch.tensor(x, dtype=torch.float64), n).numpy()
        w = S.chebyshev_polynomial_w(torch.tensor(x, dtype=torch.float64), n).numpy()
        np.testing.assert_allclose(v, np.cos((n + 0.5) * theta) / np.cos(theta / 2), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(w, np.sin((n + 0.5) * theta) / np.sin(theta / 2), rtol=1e-10, atol=1e-10)


def test_polynomial_arguments_as_pytorch():
    x = torch.tensor([0.3, 0.5])
    assert S.chebyshev_polynomial_t(x, -1).tolist() == [0.0, 0.0]
    assert S.chebyshev_polynomial_t(x, 2.7).tolist() == pytest.approx([-0.82, -0.5])  # the degree is truncated
    assert S.legendre_polynomial_p(torch.tensor([1, 2]), 2).dtype == torch.float32
    assert S.legendre_polynomial_p(x, torch.tensor([2.0], dtype=torch.float64)).dtype == torch.float64
    assert S.hermite_polynomial_h(0.5, torch.tensor([0, 1, 2])).tolist() == [1.0, 1.0, -1.0]
    assert S.legendre_polynomial_p(x, torch.tensor([[1], [2]])).shape == (2, 2)
    xr = torch.tensor([0.3], requires_grad=True)
    assert not S.chebyshev_polynomial_u(xr, 3).requires_grad  # not differentiable in PyTorch
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        S.chebyshev_polynomial_t(0.3, 2)
    out = torch.empty(2)
    assert S.chebyshev_polynomial_t(x, 3, out=out) is out and out.tolist() == pytest.approx([-0.792, -1.0])


def test_conv_tbc_is_a_time_major_convolution():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((6, 2, 3)), rng.standard_normal((3, 3, 4)), rng.standard_normal(4)
    for pad in (0, 1, 2, -1):
        got = torch.conv_tbc(torch.tensor(x), torch.tensor(w), torch.tensor(b), pad).numpy()
        padded = np.pad(x, ((pad, pad), (0, 0), (0, 0))) if pad >= 0 else x[-pad:pad]
        steps = padded.shape[0] - w.shape[0] + 1
        want = np.stack([np.einsum("kbi,kio->bo", padded[t : t + 3], w) + b for t in range(steps)])
        np.testing.assert_allclose(got, want, rtol=1e-12)
    xt = torch.tensor(x, requires_grad=True)
    assert torch.conv_tbc(xt, torch.tensor(w), torch.tensor(b)).grad_fn.name() == "ConvTbcBackward0"
    with pytest.raises(RuntimeError, match="Input dim 2 \\(input channels\\) is not == dim 1 in the weight tensor"):
        torch.conv_tbc(torch.tensor(x), torch.tensor(w[:, :2]), torch.tensor(b))


def test_linear_cross_entropy_is_linear_then_cross_entropy():
    torch.manual_seed(0)
    x, w, bias = torch.randn(5, 6, dtype=torch.float64), torch.randn(4, 2, 6, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64)
    t = torch.tensor([[0, 1], [3, 2], [1, 1], [2, 0], [3, 3]])
    got = F.linear_cross_entropy(x, w, t, linear_bias=bias, reduction="none", label_smoothing=0.2)
    logits = np.einsum("ni,cki->nck", x.numpy(), w.numpy()) + bias.numpy()
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    picked = -np.take_along_axis(logp, t.numpy()[:, None, :], 1)[:, 0]
    want = 0.8 * picked + 0.2 * -logp.mean(1)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    loss = nn.LinearCrossEntropyLoss(6, 4, out_features=(2,), bias=True)
    assert loss.linear.weight.shape == (8, 6) and loss(x.float(), t).shape == ()
    with pytest.raises(NotImplementedError, match="chunked path"):
        F.linear_cross_entropy(x, w, t, options=object())


def _legacy_lrn(x, size, alpha, beta, k):
    """The Lua Torch loop, transcribed literally: channel c's running sum
    adds the square pre_pad - 1 ahead and drops the one pre_pad behind
    (from c > pre_pad on, so channel 0 is never dropped)."""
    n, channels = x.shape[:2]
    squares = x * x
    pre_pad = int((size - 1) / 2 + 1)
    scale = np.zeros_like(x)
    scale[:, 0] = squares[:, : min(pre_pad, channels)].sum(1)
    for c in range(1, channels):
        scale[:, c] = scale[:, c - 1]
        if c < channels - pre_pad + 1:
            scale[:, c] += squares[:, c + pre_pad - 1]
        if c > pre_pad:
            scale[:, c] -= squares[:, c - pre_pad]
    scale = scale * alpha / size + k
    return x * scale**-beta


@pytest.mark.parametrize("size", [2, 3, 4, 5, 7])
def test_cross_map_lrn2d_is_the_legacy_loop(size):
    x = np.random.default_rng(size).standard_normal((2, 6, 3, 2))
    got = nn.CrossMapLRN2d(size, alpha=0.3, beta=0.75, k=2.0)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, _legacy_lrn(x, size, 0.3, 0.75, 2.0), rtol=1e-12)
