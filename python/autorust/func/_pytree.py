"""Nested containers of tensors (PyTorch's pytrees) as a flat list of
leaves and a spec to rebuild them: tuples, lists and dicts are walked,
anything else is a leaf."""


def tree_flatten(tree):
    """(leaves, spec) of `tree`."""
    if isinstance(tree, (tuple, list)):
        flat, specs = [], []
        for item in tree:
            leaves, spec = tree_flatten(item)
            flat += leaves
            specs.append(spec)
        return flat, (type(tree), None, specs)
    if isinstance(tree, dict):
        flat, specs = [], []
        keys = list(tree)
        for k in keys:
            leaves, spec = tree_flatten(tree[k])
            flat += leaves
            specs.append(spec)
        return flat, (type(tree), keys, specs)
    return [tree], None


def tree_unflatten(leaves, spec):
    """The tree `spec` describes, with `leaves` in place of its leaves."""
    return _build(iter(leaves), spec)


def _build(it, spec):
    if spec is None:
        return next(it)
    kind, keys, specs = spec
    items = [_build(it, s) for s in specs]
    if keys is not None:
        return kind(zip(keys, items)) if kind is not dict else dict(zip(keys, items))
    if kind is tuple or kind is list:
        return kind(items)
    return kind(*items)  # a named tuple


def broadcast_prefix(prefix, tree, what):
    """One entry of `prefix` per leaf of `tree`: `prefix` is a leaf value
    (given to every leaf under it) or a container of `tree`'s shape."""
    if isinstance(prefix, (tuple, list)) and isinstance(tree, (tuple, list)):
        if len(prefix) != len(tree):
            raise ValueError(f"{what}: expected {len(tree)} entries to match the inputs, got {len(prefix)}")
        return [v for p, t in zip(prefix, tree) for v in broadcast_prefix(p, t, what)]
    if isinstance(prefix, dict) and isinstance(tree, dict):
        if set(prefix) != set(tree):
            raise ValueError(f"{what}: the keys {sorted(prefix)} do not match the input's {sorted(tree)}")
        return [v for k in tree for v in broadcast_prefix(prefix[k], tree[k], what)]
    if isinstance(prefix, (tuple, list, dict)):
        raise ValueError(f"{what}: {prefix!r} does not match the structure of the input")  # noqa: TRY004  (PyTorch's exception type)
    return [prefix] * len(tree_flatten(tree)[0])
