"""``autorust.nn``: modules, layers, losses, initialisers and utilities,
with PyTorch's names, defaults and printing."""

from . import functional, grad, init, parallel, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401
