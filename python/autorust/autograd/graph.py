"""``autorust.autograd.graph``: the graph-node type, where PyTorch keeps it."""

from .. import _native

Node = _native.Node

__all__ = ["Node"]
