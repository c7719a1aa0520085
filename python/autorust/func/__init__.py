"""``autorust.func``: PyTorch's function transforms (``grad``, ``vmap``,
``jacrev``, ``jacfwd``, ``hessian``, ``vjp``, ``jvp``) and
``functional_call``. They run on the ordinary autograd graph; ``vmap``
loops over the batch (see ``_vmap``)."""

from ._functional_call import functional_call, stack_module_state
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ._vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "stack_module_state", "vjp", "vmap"]
