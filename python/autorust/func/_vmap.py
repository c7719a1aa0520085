"""``vmap``: a function of one example mapped over a batch dimension.

autorust has no batching rules: the mapped function runs once per batch
entry on that entry's slices and the results are stacked. The values are
the ones PyTorch's vmap gives (each example computed alone); the speed is
that of a Python loop. ``randomness`` keeps PyTorch's meaning: "error"
raises when the function draws random numbers, "same" gives every entry
the same draws, "different" lets each draw its own."""

from .. import _native
from ..random import get_rng_state, set_rng_state
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

Tensor = _native.Tensor


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")

    def wrapped(*args, **kwargs):
        flat, spec = tree_flatten(args)
        dims_prefix = in_dims if isinstance(in_dims, (tuple, list)) else [in_dims] * len(args)
        if isinstance(in_dims, (tuple, list)) and len(in_dims) != len(args):
            raise ValueError(
                f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the structure of `inputs`. "
                f"in_dims has structure {type(in_dims).__name__} of length {len(in_dims)} but inputs has {len(args)} elements."
            )
        dims = broadcast_prefix(list(dims_prefix), list(args), "vmap in_dims")
        size = _batch_size(flat, dims)
        start = get_rng_state() if randomness != "different" else None
        results = []
        for i in range(size):
            if randomness == "same":
                set_rng_state(start)
            picked = [x.select(_dim(d, x), i) if d is not None else x for x, d in zip(flat, dims)]
            results.append(func(*tree_unflatten(picked, spec), **kwargs))
            if randomness == "error" and not get_rng_state().equal(start):
                raise RuntimeError(
                    "vmap: called random operation while in randomness error mode. Please either use the 'same' or 'different' "
                    "randomness flags on vmap or perform the randomness operation out of vmap"
                )
        return _stack_results(results, out_dims)

    return wrapped


def _dim(d, x):
    if not isinstance(d, int):
        raise ValueError(f"vmap: in_dims must be int or None, got {type(d).__name__}")  # noqa: TRY004  (PyTorch's exception type)
    if not -x.dim() <= d < max(x.dim(), 1):
        raise ValueError(f"vmap: Tried to map over dim {d} for a tensor of {x.dim()} dims: it must be in [{-x.dim()}, {x.dim() - 1}]")
    return d % x.dim()


def _batch_size(flat, dims):
    sizes = []
    for x, d in zip(flat, dims):
        if d is None:
            continue
        if not isinstance(x, Tensor):
            raise ValueError(f"vmap: Got in_dim={d} for an input but the input is of type {type(x)}. We cannot vmap over non-Tensor arguments")  # noqa: TRY004  (PyTorch's exception type)
        sizes.append(x.shape[_dim(d, x)])
    if not sizes:
        raise ValueError("vmap(f, in_dims=..., ...)(<inputs>): at least one input must be a Tensor being mapped over (in_dims not all None)")
    if len(set(sizes)) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def _stack_results(results, out_dims):
    from .._functions import stack

    flats, spec = [], None
    for r in results:
        leaves, spec = tree_flatten(r)
        flats.append(leaves)
    if not flats:
        raise ValueError("vmap: the mapped dimension has size 0")
    template = results[0]
    dims = broadcast_prefix(out_dims, template, "vmap out_dims") if isinstance(out_dims, (tuple, list, dict)) else [out_dims] * len(flats[0])
    stacked = []
    for k, d in enumerate(dims):
        column = [f[k] for f in flats]
        if not all(isinstance(c, Tensor) for c in column):
            bad = next(c for c in column if not isinstance(c, Tensor))
            raise ValueError(f"vmap: `f` must only return Tensors, got type {type(bad)}. Did you mean to set out_dims= to None for output?")
        if d is None:
            stacked.append(column[0])
        else:
            stacked.append(stack(column, d % (column[0].dim() + 1)))
    return tree_unflatten(stacked, spec)
