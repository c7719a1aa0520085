"""``detect_anomaly`` / ``set_detect_anomaly``: while anomaly detection is
on, ``backward()`` checks the gradients it accumulates into leaf tensors and
raises PyTorch's RuntimeError ("Function 'MulBackward0' returned nan values
in its 0th output.") naming the node that sent a NaN to a leaf. (PyTorch
checks every node's output; autorust checks what reaches the leaves, where
a NaN anywhere in the backward pass ends up.) Off by default, and free
then: the checking ``backward`` is installed only while the mode is on.
"""

import functools

from .. import _native

_ENABLED = [False]
_CHECK_NAN = [True]
_PLAIN_BACKWARD = _native.Tensor.backward


def is_anomaly_enabled():
    return _ENABLED[0]


def is_anomaly_check_nan_enabled():
    return _CHECK_NAN[0]


def _set(mode, check_nan):
    _ENABLED[0] = bool(mode)
    _CHECK_NAN[0] = bool(check_nan)
    # NaN checks are all this mode does: without them the plain backward runs
    checking = _ENABLED[0] and _CHECK_NAN[0]
    _native.Tensor.backward = _CHECKED_BACKWARD if checking else _PLAIN_BACKWARD


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        self.prev = (_ENABLED[0], _CHECK_NAN[0])
        _set(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(*self.prev)
        return False


class detect_anomaly(set_detect_anomaly):
    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev = (_ENABLED[0], _CHECK_NAN[0])

    def __enter__(self):
        self.prev = (_ENABLED[0], _CHECK_NAN[0])
        _set(True, self.check_nan)
        return self

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapped


def _leaf_edges(root):
    """(node name, leaf tensor) for every AccumulateGrad below `root`."""
    seen, stack, edges = set(), [root], []
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            if type(child).__name__ == "AccumulateGrad":
                edges.append((node.name(), child.variable))
            elif hash(child) not in seen:  # the node identity (a wrapper id() can be reused)
                seen.add(hash(child))
                stack.append(child)
    return edges


def _checked_backward(self, *args, **kwargs):
    if self.grad_fn is None:
        return _PLAIN_BACKWARD(self, *args, **kwargs)
    edges = _leaf_edges(self.grad_fn)
    out = _PLAIN_BACKWARD(self, *args, **kwargs)
    for name, leaf in edges:
        g = leaf.grad
        if g is not None and g.is_floating_point() and bool(g.isnan().any()):
            raise RuntimeError(f"Function '{name}' returned nan values in its 0th output.")
    return out


_CHECKED_BACKWARD = functools.wraps(_PLAIN_BACKWARD)(_checked_backward)
