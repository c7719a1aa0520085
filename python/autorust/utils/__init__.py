"""``autorust.utils``: data loading, hook handles, activation checkpointing."""

from . import benchmark, checkpoint, data, hooks  # noqa: F401
