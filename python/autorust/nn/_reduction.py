"""The reduction argument of the losses: ``reduction=`` and the legacy
``size_average``/``reduce`` pair, and the checks every loss shares."""

from .. import _native


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _not_differentiable(fn, **arguments):
    """PyTorch's refusal of a grad-requiring tensor passed where its op has
    no derivative (a loss's class weights): an exception, never a gradient
    silently dropped."""
    for name, t in arguments.items():
        if t is not None and t.requires_grad and _native.is_grad_enabled():
            raise RuntimeError(
                f"The function '{fn}' is not differentiable with respect to argument '{name}'. This input cannot have requires_grad True."
            )


def _check_same_size(input, target, fn):
    if input.shape != target.shape:
        import warnings

        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )
