"""``autorust.utils.data``: datasets, samplers and the DataLoader."""

from .dataloader import DataLoader, default_collate, get_worker_info  # noqa: F401
from .dataset import ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset, random_split  # noqa: F401
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler  # noqa: F401
from .synthetic import digits_dataset, make_digits  # noqa: F401
