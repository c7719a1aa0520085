"""Open parity bugs (issue 11): programs of the committed gold that still
differ from PyTorch, grouped by what differs. test_parity runs each as a
strict xfail: each must still fail (a fixed one turns the suite red until
it is removed from here), and no other program may fail. The list only
shrinks: fix the cause, then remove the entry."""

ADAPTIVE_POOL_UNEVEN_SECOND_ORDER = (
    "adaptive_avg_pool2d over windows that do not tile the input is a composition (one mean per window) inside one "
    "AdaptiveAvgPool2DBackward0 node: a create_graph gradient through it shows the composition's nodes (AddBackward0) "
    "where PyTorch shows AdaptiveAvgPool2DBackwardBackward0 (same values); evenly tiled windows are native"
)
OBJECT_IDENTITY = (
    "a getter that hands back an existing tensor (a view's `_base`, a node's `_saved_self`) returns the user's own Python "
    "object only for a leaf that requires grad (those are remembered, autograd/_tensor_identity.py); for others it is a new "
    "Python object over the same tensor (`is` is False, the values and storage are the same)"
)
OPTIMIZER_ROUNDING = 'RMSprop divides each step by a running gradient magnitude: float32 rounding differences in a small gradient grow past the tolerance within two steps'
QUANTILE_TIES = (
    "quantile with a scalar q over tied values: PyTorch 2.15 gathers from the input at positions whose order among "
    "equal elements is neither sort's, topk's nor kthvalue's (probed; its kernel is not in the stored sources), so the "
    "gradient goes to another of the equal elements"
)
STRIDES = "PyTorch's elementwise ops keep a strided input's layout (round of a transposed view stays strided), so its linear takes matmul + add (AddBackward0); autorust's results are contiguous and take addmm"
ZERO_DERIVATIVE_LINKS = "a first- or second-order gradient that is mathematically constant is a function of the inputs here (requires_grad True, or a zero gradient where PyTorch has none) where PyTorch's backward kernel leaves it constant, or the reverse"

KNOWN_FAILURES = {
    # ADAPTIVE_POOL_UNEVEN_SECOND_ORDER
    "snippets-1083": ADAPTIVE_POOL_UNEVEN_SECOND_ORDER,
    # OBJECT_IDENTITY
    "snippets-788": OBJECT_IDENTITY,
    # OPTIMIZER_ROUNDING
    "nn-312": OPTIMIZER_ROUNDING,
    # QUANTILE_TIES
    "ops-1422": QUANTILE_TIES,
    "ops2-63": QUANTILE_TIES,
    # STRIDES
    "ops-1842": STRIDES,
    # ZERO_DERIVATIVE_LINKS
    "ops2-664": ZERO_DERIVATIVE_LINKS,
    "ops2-963": ZERO_DERIVATIVE_LINKS,
}
