"""autorust: PyTorch's autograd API on a Rust core.

    import autorust as torch

Tensors, dtypes, factories, math and autograd follow PyTorch's names,
signatures, printing and errors.
"""

from . import _native
from ._native import Tensor
from ._dtype import dtype, float32, float64, int64, bool_ as bool, get_default_dtype, set_default_dtype  # noqa: A001
from ._size import Size
from ._memory_format import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    sparse_coo,
    sparse_csr,
    strided,
)
from ._device import device, _check_device, get_default_device, set_default_device
from . import _tensor_str
from ._tensor_str import set_printoptions

float = float32  # noqa: A001
double = float64
long = int64

_native._register((float32, float64, int64, bool), Size, _tensor_str._repr)

from ._creation import (  # noqa: E402
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from ._grad_mode import enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled  # noqa: E402
from . import _tensor_methods, _tensor_hooks, _tensor_format  # noqa: E402,F401  (attach Python-side methods)
from ._functions import *  # noqa: E402,F401,F403
from ._functions import add, sub, mul, div, where, cat, stack, is_tensor  # noqa: E402,F401
from ._promotion import promote_types, result_type  # noqa: E402,F401
from ._rng import Generator, default_generator, initial_seed, manual_seed, seed  # noqa: E402,F401
from ._serialization import load, save  # noqa: E402,F401
from ._gradient_fn import gradient  # noqa: E402,F401
from . import _ops_pointwise, _ops_linalg, _ops_shape, _ops_order, _sampling, _gamma, _incomplete_gamma, _special, _scatter_reduce  # noqa: E402,F401  (attach methods)
from ._legacy import BoolTensor, DoubleTensor, FloatTensor, LongTensor, finfo, iinfo  # noqa: E402,F401
from ._ops_register import EXPORTS as _OPS  # noqa: E402

globals().update({_k: _v for _k, _v in _OPS.items() if _k not in globals()})
clamp_min = Tensor.clamp_min
clamp_max = Tensor.clamp_max

# ``out=``, as PyTorch's functions take it (the Tensor methods do not)
from ._out import OUT_FUNCTIONS as _OUT_FUNCTIONS, with_out as _with_out  # noqa: E402

for _name in _OUT_FUNCTIONS:
    if _name in globals():
        globals()[_name] = _with_out(_name, globals()[_name])
del _name
from . import accelerator, amp, autograd, backends, cuda, distributions, linalg, nn, optim, return_types, special, testing, utils, wgpu  # noqa: E402,F401
from .amp import autocast  # noqa: E402,F401
from . import _inplace_functions  # noqa: E402
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: E402,F401
from . import random  # noqa: E402,F401
from . import func  # noqa: E402,F401
from .func import vmap  # noqa: E402,F401
from .random import get_rng_state, set_rng_state  # noqa: E402,F401

_inplace_functions.install(globals(), nn.functional)
from . import _api_aliases  # noqa: E402

_api_aliases.install(globals(), nn.functional)

from . import version  # noqa: E402,F401
from .version import __version__  # noqa: E402,F401


def is_storage(obj):
    return False


def get_num_threads():
    """PyTorch's intra-op thread count: what set_num_threads set, else
    OMP_NUM_THREADS, else the physical cores."""
    return _native._get_num_threads()


def set_num_threads(n):
    """The thread count PyTorch would use. autorust's kernels run on one
    pool sized when it loads (RAYON_NUM_THREADS) and give the same results
    however many threads it has, except long float sums: PyTorch splits a
    sum of 32,768 elements or more across its threads, which changes its
    last bits, and autorust splits as PyTorch would on `n` threads."""
    import builtins  # `bool` here is autorust.bool, the dtype

    if isinstance(n, builtins.bool) or not isinstance(n, builtins.int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _native._set_num_threads(n)
