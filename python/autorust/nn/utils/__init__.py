"""``nn.utils``: gradient clipping, parameter/vector conversion,
parametrizations, and the older hook-based weight and spectral norms."""

from . import parametrizations, parametrize, rnn, stateless  # noqa: F401  (prune is imported by name, as in PyTorch)
from .clip_grad import clip_grad_norm_, clip_grad_value_  # noqa: F401
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401
