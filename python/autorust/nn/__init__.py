"""``autorust.nn``. The functional API is here now; modules, layers and
losses arrive with the nn issue."""

from . import functional  # noqa: F401
