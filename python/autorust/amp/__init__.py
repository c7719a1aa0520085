"""``autorust.amp``: mixed precision. autorust has no float16 or bfloat16,
so ``autocast`` runs only disabled (a script's ``enabled=use_amp`` with
use_amp False); enabled, it raises rather than compute in float32 what
PyTorch computes in half precision. ``GradScaler`` scales losses and
unscales gradients as PyTorch's does (in float32, scaling by powers of two
is exact, so its steps equal PyTorch's), skipping steps with inf/NaN
gradients and adapting the scale."""

from .autocast_mode import autocast, is_autocast_available  # noqa: F401
from .grad_scaler import GradScaler  # noqa: F401
