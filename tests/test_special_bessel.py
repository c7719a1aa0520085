"""The Bessel functions of ``torch.special`` against tables (DLMF /
Abramowitz and Stegun), identities (Wronskians, the scaled forms) and
finite differences; PyTorch's values are in the parity gold (snippets
family, ``distributions_more``: "bessel functions")."""

import math

import numpy as np
import pytest

import autorust as torch


def f64(*values):
    return torch.tensor(values, dtype=torch.float64)


def test_bessel_functions_against_tables_and_identities():
    import autorust.special as special

    x = f64(1.0, 5.0, 30.0, 2500.0)
    # Abramowitz & Stegun / DLMF values
    np.testing.assert_allclose(special.bessel_j0(x[:2]).numpy(), [0.7651976865579666, -0.1775967713143383], rtol=1e-13)
    np.testing.assert_allclose(special.bessel_j1(x[:2]).numpy(), [0.4400505857449335, -0.3275791375914652], rtol=1e-13)
    np.testing.assert_allclose(special.modified_bessel_k0(x[:2]).numpy(), [0.4210244382407083, 0.003691098334042594], rtol=1e-12)
    np.testing.assert_allclose(special.modified_bessel_k1(x[:2]).numpy(), [0.6019072301972346, 0.004044613445452164], rtol=1e-12)
    # the Wronskian J1 Y0 - J0 Y1 = 2 / (pi x) has no Y here; use J0^2 + J1^2 -> 2 / (pi x) at large x
    j0, j1 = special.bessel_j0(x[3:]).item(), special.bessel_j1(x[3:]).item()
    assert j0**2 + j1**2 == pytest.approx(2 / (math.pi * 2500.0), rel=1e-3)
    # scaled K is e^x K, and I0 K1 + I1 K0 = 1 / x
    np.testing.assert_allclose(
        special.scaled_modified_bessel_k0(x[:3]).numpy(), (special.modified_bessel_k0(x[:3]) * x[:3].exp()).numpy(), rtol=1e-12
    )
    wronskian = special.modified_bessel_i0(x[:3]) * special.modified_bessel_k1(x[:3]) + special.modified_bessel_i1(
        x[:3]
    ) * special.modified_bessel_k0(x[:3])
    np.testing.assert_allclose(wronskian.numpy(), 1 / x[:3].numpy(), rtol=1e-12)
    assert special.spherical_bessel_j0(f64(0.0, math.pi)).tolist() == pytest.approx([1.0, 0.0], abs=1e-16)


def test_bessel_gradients():
    import autorust.special as special

    x = f64(0.0, 0.7, 3.0, 12.0).requires_grad_()
    for f, fprime in ((special.bessel_j0, lambda v: -special.bessel_j1(v)), (special.modified_bessel_i0, special.modified_bessel_i1)):
        (g,) = torch.autograd.grad(f(x).sum(), x)
        np.testing.assert_allclose(g.numpy(), fprime(x.detach()).numpy(), rtol=1e-12, atol=1e-15)
    assert torch.autograd.gradcheck(special.bessel_j1, (x,)) and torch.autograd.gradgradcheck(special.bessel_j1, (x,))
    y = f64(0.5, 2.0).requires_grad_()
    assert torch.autograd.gradcheck(special.modified_bessel_k1, (y,)) and torch.autograd.gradgradcheck(special.modified_bessel_k0, (y,))
    assert not special.scaled_modified_bessel_k0(y).requires_grad  # no derivative, as PyTorch


def test_bessel_y_and_airy_against_tables_and_identities():
    import autorust.special as special

    x = f64(1.0, 5.0, 10.0, 30.0)
    # DLMF / Abramowitz and Stegun values
    np.testing.assert_allclose(
        special.bessel_y0(x).numpy(), [0.08825696421567696, -0.3085176252490338, 0.05567116728359939, -0.1172957316866640], rtol=1e-12
    )
    np.testing.assert_allclose(
        special.bessel_y1(x).numpy(), [-0.7812128213002887, 0.1478631433912268, 0.2490154242069539, 0.0844255706617472], rtol=1e-12
    )
    # the Wronskian J1 Y0 - J0 Y1 = 2 / (pi x), across every method's range
    grid = torch.tensor(np.concatenate([np.linspace(0.05, 60, 240), [120.0, 700.0]]), dtype=torch.float64)
    wronskian = special.bessel_j1(grid) * special.bessel_y0(grid) - special.bessel_j0(grid) * special.bessel_y1(grid)
    np.testing.assert_allclose(wronskian.numpy(), 2 / (np.pi * grid.numpy()), rtol=1e-11)
    # the ends: PyTorch's NaN at +inf and below 0, -inf at 0
    ends = special.bessel_y0(f64(-1.0, 0.0, math.inf, math.nan)).tolist()
    assert math.isnan(ends[0]) and ends[1] == -math.inf and math.isnan(ends[2]) and math.isnan(ends[3])
    a = f64(1.0, -1.0, 5.0, -5.0, -2.5, 0.0)
    np.testing.assert_allclose(
        special.airy_ai(a).numpy(),
        [0.1352924163128814, 0.5355608832923521, 1.083444281360744e-4, 0.3507610090241143, -0.1123250676929661, 0.3550280538878172],
        rtol=1e-12,
    )
    # Ai'' = x Ai, by central differences, across the methods' joins (-50, -3, 2)
    t = np.concatenate([np.linspace(-60, 10, 141), [-50.0, -3.0, 2.0]])
    h = 1e-3
    ai = [special.airy_ai(torch.tensor(t + d, dtype=torch.float64)).numpy() for d in (-h, 0.0, h)]
    second = (ai[0] - 2 * ai[1] + ai[2]) / h**2
    np.testing.assert_allclose(second, t * ai[1], rtol=1e-5, atol=1e-6)
    assert special.airy_ai(f64(104.0)).item() == 0.0 and math.isnan(special.airy_ai(f64(-math.inf)).item())


def test_bessel_y_derivatives_are_pytorchs_formulas():
    import autorust.special as special

    x = f64(0.5, 3.0, 12.0).requires_grad_()
    (g0,) = torch.autograd.grad(special.bessel_y0(x).sum(), x, create_graph=True)
    (g1,) = torch.autograd.grad(special.bessel_y1(x).sum(), x, create_graph=True)
    h = 1e-6
    for f, g in ((special.bessel_y0, g0), (special.bessel_y1, g1)):
        slope = (f(x.detach() + h) - f(x.detach() - h)) / (2 * h)
        np.testing.assert_allclose(g.detach().numpy(), slope.numpy(), rtol=1e-7)
    (gg,) = torch.autograd.grad(g0.sum(), x)
    np.testing.assert_allclose(gg.numpy(), -g1.detach().numpy(), rtol=1e-12)  # Y0'' = -Y1'
    assert not special.airy_ai(f64(1.0).requires_grad_()).requires_grad
