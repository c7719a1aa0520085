"""``nn.utils``: gradient clipping, parameter/vector conversion,
parametrizations, the older hook-based weight and spectral norms, conv/linear
and batch-norm fusion, skip_init and weight memory formats."""

from . import fusion, init, memory_format, parametrizations, parametrize, rnn, stateless  # noqa: F401  (prune is imported by name, as in PyTorch)
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm  # noqa: F401
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights  # noqa: F401
from .init import skip_init  # noqa: F401
from .memory_format import convert_conv2d_weight_memory_format, convert_conv3d_weight_memory_format  # noqa: F401
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401
