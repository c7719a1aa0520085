"""The Bessel functions of ``torch.special`` against tables (DLMF /
Abramowitz and Stegun), identities (Wronskians, the scaled forms) and
finite differences; PyTorch's values are in the parity gold (snippets
family, ``distributions_more``: "bessel functions")."""

import math

import autorust as torch
import numpy as np
import pytest


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
    np.testing.assert_allclose(special.scaled_modified_bessel_k0(x[:3]).numpy(), (special.modified_bessel_k0(x[:3]) * x[:3].exp()).numpy(), rtol=1e-12)
    wronskian = special.modified_bessel_i0(x[:3]) * special.modified_bessel_k1(x[:3]) + special.modified_bessel_i1(x[:3]) * special.modified_bessel_k0(x[:3])
    np.testing.assert_allclose(wronskian.numpy(), 1 / x[:3].numpy(), rtol=1e-12)
    assert special.spherical_bessel_j0(f64(0.0, math.pi)).tolist() == pytest.approx([1.0, 0.0], abs=1e-16)


def test_bessel_gradients():
    import autorust.special as special

    x = f64(0.0, 0.7, 3.0, 12.0).requires_grad_()
    for f, fprime in ((special.bessel_j0, lambda v: -special.bessel_j1(v)), (special.modified_bessel_i0, special.modified_bessel_i1)):
        g, = torch.autograd.grad(f(x).sum(), x)
        np.testing.assert_allclose(g.numpy(), fprime(x.detach()).numpy(), rtol=1e-12, atol=1e-15)
    assert torch.autograd.gradcheck(special.bessel_j1, (x,)) and torch.autograd.gradgradcheck(special.bessel_j1, (x,))
    y = f64(0.5, 2.0).requires_grad_()
    assert torch.autograd.gradcheck(special.modified_bessel_k1, (y,)) and torch.autograd.gradgradcheck(special.modified_bessel_k0, (y,))
    assert not special.scaled_modified_bessel_k0(y).requires_grad  # no derivative, as PyTorch
