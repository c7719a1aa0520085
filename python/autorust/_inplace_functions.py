"""The in-place functions PyTorch exposes outside the Tensor methods:
``torch.sin_(t)``, ``torch.relu_(t)``, ``torch.dropout_(t, p, train)``,
``F.elu_(t)``, ..., and the in-place Tensor methods that are aliases
(``arcsin_``, ``fix_``, ``clamp_min_``, ``nan_to_num_``). Each forwards to the
one implementation (the Tensor method, or the functional form with
``inplace=True``) so every path shares its graph, version and error
behaviour. Installed by ``autorust/__init__`` once ``nn`` exists."""

from . import _native
from ._ops_register import inplace_variant

Tensor = _native.Tensor

# Tensor methods PyTorch names twice: alias -> the method that does the work
_METHOD_ALIASES = {
    "arccos_": "acos_",
    "arccosh_": "acosh_",
    "arcsin_": "asin_",
    "arcsinh_": "asinh_",
    "arctan_": "atan_",
    "arctanh_": "atanh_",
    "fix_": "trunc_",
    "negative_": "neg_",
    "clip_": "clamp_",
}

# in-place Tensor methods PyTorch also exposes as ``torch.<name>``
_TORCH_FROM_METHODS = [
    "abs_",
    "acos_",
    "acosh_",
    "addmv_",
    "arccos_",
    "arccosh_",
    "arcsin_",
    "arcsinh_",
    "arctan_",
    "arctanh_",
    "asin_",
    "asinh_",
    "atan_",
    "atanh_",
    "ceil_",
    "clamp_",
    "clamp_max_",
    "clamp_min_",
    "clip_",
    "cos_",
    "cosh_",
    "deg2rad_",
    "detach_",
    "erf_",
    "erfc_",
    "exp2_",
    "exp_",
    "expm1_",
    "fill_",
    "fix_",
    "floor_",
    "frac_",
    "index_put_",
    "ldexp_",
    "log10_",
    "log1p_",
    "log2_",
    "log_",
    "logit_",
    "nan_to_num_",
    "neg_",
    "negative_",
    "rad2deg_",
    "reciprocal_",
    "relu_",
    "round_",
    "rsqrt_",
    "sigmoid_",
    "sin_",
    "sinc_",
    "sinh_",
    "sqrt_",
    "square_",
    "tan_",
    "tanh_",
    "trunc_",
    "xlogy_",
    "zero_",
]

# nn.functional activations with an ``inplace=`` flag: F.<name>_ is F.<name>(..., inplace=True)
_FUNCTIONAL_INPLACE = ["elu", "leaky_relu", "hardtanh", "celu", "selu", "rrelu", "threshold"]


def _forward_to_method(name):
    def call(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``Tensor.{name}`` as a function."
    return call


def _inplace_of(functional, name):
    def call(input, *args, **kwargs):
        if "inplace" in kwargs:
            raise TypeError(f"{name}() got an unexpected keyword argument 'inplace'")
        return functional(input, *args, inplace=True, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``{functional.__name__}(..., inplace=True)``."
    return call


def _dropout_function(functional, name, inplace):
    """``torch.dropout(input, p, train)``: PyTorch's low-level form, every
    argument required (positional or by name)."""

    def call(input, p, train):
        return functional(input, p, train, inplace=inplace)

    call.__name__ = call.__qualname__ = name
    return call


def install(namespace, functional):
    """Add the methods to Tensor, the functions to ``namespace`` (the
    ``autorust`` module's globals) and to ``functional`` (nn.functional)."""
    for alias, target in _METHOD_ALIASES.items():
        if not hasattr(Tensor, alias):
            setattr(Tensor, alias, getattr(Tensor, target))
    for name in ("clamp_max", "clamp_min", "nan_to_num"):
        if not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", inplace_variant(getattr(Tensor, name)))
    for name in _TORCH_FROM_METHODS:
        namespace.setdefault(name, _forward_to_method(name))
    for name in _FUNCTIONAL_INPLACE:
        fn = _inplace_of(getattr(functional, name), name + "_")
        setattr(functional, name + "_", fn)
        namespace.setdefault(name + "_", fn)
        namespace.setdefault(name, getattr(functional, name))
    for name, fn in {
        "dropout": functional.dropout,
        "alpha_dropout": functional.alpha_dropout,
        "feature_dropout": functional.dropout2d,
        "feature_alpha_dropout": functional.feature_alpha_dropout,
    }.items():
        namespace.setdefault(name, _dropout_function(fn, name, False))
        namespace.setdefault(name + "_", _dropout_function(fn, name + "_", True))
