"""Open parity bugs (issue 11): programs of the committed gold that still
differ from PyTorch, grouped by what differs. test_parity runs each as a
strict xfail: each must still fail (a fixed one turns the suite red until
it is removed from here), and no other program may fail. The list only
shrinks: fix the cause, then remove the entry."""

EMPTY_TENSOR_CHECKS = (
    "PyTorch skips its checks where a tensor is empty: gather takes a float or wrongly ranked empty index, bmm "
    "empty operands of two dtypes, and ScatterAddBackward0 then fails on the gradient it returns for an empty "
    "index; autorust checks the same whether or not a tensor is empty"
)
ENGINE_ORDER = (
    "two nodes of one backward fail (heaviside has no derivative; vander's saved slice was overwritten, as in "
    "PyTorch): PyTorch's engine reaches heaviside's first, autorust's vander's"
)
FLOAT_ROUNDING = (
    "rounding noise that both libraries produce differently: a float32 log_sigmoid one ulp apart judged at "
    "float64's tolerance (binary_cross_entropy_with_logits of a float32 input and float64 target), and higher "
    "derivatives of expressions that are constant in exact arithmetic (cosine similarity of one-element rows, "
    "the norm of one element), which are cancellation residue in both"
)
OBJECT_IDENTITY = (
    "a getter that hands back an existing tensor (a view's `_base`, a node's `_saved_self`) returns the user's own Python "
    "object only for a leaf that requires grad (those are remembered, autograd/_tensor_identity.py); for others it is a new "
    "Python object over the same tensor (`is` is False, the values and storage are the same)"
)
OPTIMIZER_ROUNDING = "RMSprop divides each step by a running gradient magnitude: float32 rounding differences in a small gradient grow past the tolerance within two steps"
STRIDES = "PyTorch's elementwise ops keep a strided input's layout (round of a transposed view stays strided) and its matmul/tensordot fold by strides (meshgrid's expanded outputs), so a later reshape copies or views, and a linear takes matmul + add, where autorust's contiguous results give other node names (UnsafeViewBackward0, addmm); values are equal"
ZERO_DERIVATIVE_LINKS = "a first- or second-order gradient that is mathematically constant is a function of the inputs here (requires_grad True, or a zero gradient where PyTorch has none) where PyTorch's backward kernel leaves it constant, or the reverse"

KNOWN_FAILURES = {
    # EMPTY_TENSOR_CHECKS
    "ops-2118": EMPTY_TENSOR_CHECKS,
    "ops-2253": EMPTY_TENSOR_CHECKS,
    "ops-3380": EMPTY_TENSOR_CHECKS,
    "ops2-1501": EMPTY_TENSOR_CHECKS,
    "ops2-1602": EMPTY_TENSOR_CHECKS,
    # ENGINE_ORDER
    "ops2-1913": ENGINE_ORDER,
    # FLOAT_ROUNDING
    "ops-3481": FLOAT_ROUNDING,
    "ops2-1171": FLOAT_ROUNDING,
    "ops2-2338": FLOAT_ROUNDING,
    # OBJECT_IDENTITY
    "snippets-788": OBJECT_IDENTITY,
    # OPTIMIZER_ROUNDING
    "nn-312": OPTIMIZER_ROUNDING,
    # STRIDES
    "ops-1842": STRIDES,
    "ops-2883": STRIDES,
    "ops-3076": STRIDES,
    "autograd-1129": STRIDES,
    # ZERO_DERIVATIVE_LINKS
    "ops2-664": ZERO_DERIVATIVE_LINKS,
    "ops2-1137": ZERO_DERIVATIVE_LINKS,
    "ops2-1314": ZERO_DERIVATIVE_LINKS,
    "ops2-1428": ZERO_DERIVATIVE_LINKS,
    "ops2-963": ZERO_DERIVATIVE_LINKS,
}
