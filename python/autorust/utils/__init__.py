"""``autorust.utils``: data loading."""

from . import data, hooks  # noqa: F401
