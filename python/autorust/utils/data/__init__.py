"""``autorust.utils.data``: datasets, samplers and the DataLoader."""

from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split  # noqa: F401
from .dataloader import DataLoader, default_collate  # noqa: F401
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler  # noqa: F401
from .synthetic import digits_dataset, make_digits  # noqa: F401
