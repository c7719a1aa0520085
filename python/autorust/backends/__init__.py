"""``autorust.backends``: PyTorch's backend switches, so that a script's
first lines (``torch.backends.cudnn.benchmark = True``, ...) run. autorust
has no cuDNN, MKL-DNN or TF32 path: the flags are kept for reading back
and change nothing (every float32 product accumulates in float32);
``mps.is_available()`` says whether a Metal GPU adapter is there."""

from . import cpu, cuda, cudnn, mkldnn, mps, openmp  # noqa: F401
