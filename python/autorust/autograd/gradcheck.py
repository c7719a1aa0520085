"""``autograd.gradcheck``: analytical gradients against central finite
differences (use float64 inputs, as in PyTorch)."""

import numpy as np

from .. import _native
from .._grad_mode import no_grad

Tensor = _native.Tensor


class GradcheckError(RuntimeError):
    pass


def _outputs(func, inputs):
    out = func(*inputs)
    return out if isinstance(out, tuple) else (out,)


# PyTorch's extra checks that autorust does not perform: asking for one
# raises rather than passing without it
_UNSUPPORTED_CHECKS = ("check_grad_dtypes", "check_batched_grad", "check_batched_forward_grad")


def gradcheck(
    func,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_backward_ad=True,
    check_forward_ad=False,
    fast_mode=False,
    **checks,
):
    """Every Jacobian entry of ``func`` at ``inputs`` against central
    differences: the reverse-mode one (``check_backward_ad``) and the
    forward-mode one (``check_forward_ad``). ``nondet_tol`` and
    ``fast_mode`` change nothing here (the derivatives are deterministic,
    and the full Jacobian is always compared); ``check_undefined_grad`` is
    PyTorch's check that a backward accepts undefined output gradients,
    which autorust always materialises."""
    for name, value in checks.items():
        if name not in _UNSUPPORTED_CHECKS:
            raise TypeError(f"gradcheck() got an unexpected keyword argument '{name}'")
        if value:
            raise NotImplementedError(f"gradcheck: {name}=True is not supported by autorust")
    if not (check_backward_ad or check_forward_ad):
        return True
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    outs = _outputs(func, inputs)
    for o_idx, out in enumerate(outs):
        for i in diff:
            numerical = _numerical_jacobian(func, inputs, i, o_idx, out.numel(), eps)
            checks = []
            if check_backward_ad:
                checks.append(("Jacobian mismatch", _reverse_jacobian(out, inputs[i])))
            if check_forward_ad:
                checks.append(("Jacobian computed with forward mode mismatch", _forward_jacobian(func, inputs, i, o_idx, out.numel())))
            for what, analytical in checks:
                if not np.allclose(analytical, numerical, rtol=rtol, atol=atol):
                    if raise_exception:
                        raise GradcheckError(
                            f"{what} for output {o_idx} with respect to input {i},\nnumerical:{numerical}\nanalytical:{analytical}\n"
                        )
                    return False
    return True


def _numerical_jacobian(func, inputs, i, o_idx, n_out, eps):
    """Row k: the central difference of output ``o_idx`` along element k of input i."""
    x = inputs[i]
    numerical = np.zeros((x.numel(), n_out))
    base = x.detach().clone()
    for k in range(x.numel()):
        vals = []
        for sign in (1, -1):
            pert = base.clone().reshape(-1)
            pert[k] = pert[k] + sign * eps
            args = list(inputs)
            args[i] = pert.reshape(*x.shape)
            with no_grad():
                vals.append(_outputs(func, args)[o_idx].detach().numpy().reshape(-1).astype(np.float64))
        numerical[k] = (vals[0] - vals[1]) / (2 * eps)
    return numerical


def _reverse_jacobian(out, x):
    """Column j: the gradient of output element j (one backward each)."""
    analytical = np.zeros((x.numel(), out.numel()))
    for j in range(out.numel()):
        g = _native.grad([out.reshape(-1)[j]], [x], None, True, False, True, False)[0]
        if g is not None:
            analytical[:, j] = g.detach().numpy().reshape(-1)
    return analytical


def _forward_jacobian(func, inputs, i, o_idx, n_out):
    """Row k: the tangent of output ``o_idx`` when element k of input i has
    tangent one (one forward-mode evaluation each)."""
    from . import forward_ad

    x = inputs[i]
    analytical = np.zeros((x.numel(), n_out))
    for k in range(x.numel()):
        direction = x.detach().new_zeros(x.shape).reshape(-1)
        direction[k] = 1.0
        with forward_ad.dual_level():
            args = list(inputs)
            args[i] = forward_ad.make_dual(x.detach(), direction.reshape(x.shape))
            tangent = forward_ad.unpack_dual(_outputs(func, args)[o_idx]).tangent
            if tangent is not None:
                analytical[k] = tangent.detach().numpy().reshape(-1)
    return analytical


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Second derivatives against finite differences of the first: the
    vector-Jacobian product of ``func`` (with ``grad_outputs``, random when
    not given) is itself checked with ``gradcheck``, as PyTorch does."""
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        from .._creation import tensor

        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype, requires_grad=True) for o in outs if o.dtype.is_floating_point
        )
    else:
        grad_outputs = grad_outputs if isinstance(grad_outputs, tuple) else (grad_outputs,)
    n = len(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    def first_derivatives(*args):
        from .._grad_mode import enable_grad

        # gradcheck evaluates the perturbed points without grad: they are
        # made differentiable again here, as the derivative needs them to be
        ins = [a.detach().requires_grad_() if i in diff and not a.requires_grad else a for i, a in enumerate(args[:n])]
        with enable_grad():
            floats = [o for o in _outputs(func, ins) if o.dtype.is_floating_point]
            grads = _native.grad(floats, [ins[i] for i in diff], list(args[n:]), True, True, True, False)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
