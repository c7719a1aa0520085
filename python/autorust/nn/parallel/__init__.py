"""``autorust.nn.parallel``: where PyTorch keeps ``DataParallel``."""

from ..modules.data_parallel import DataParallel  # noqa: F401

__all__ = ["DataParallel"]
