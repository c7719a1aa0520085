"""Tensor printing, following PyTorch's rules: 4-digit precision, integer
valued floats as ``1.``, scientific notation when the range calls for it,
summarisation past 1000 elements, and the dtype/grad suffixes."""

import math
from dataclasses import dataclass

import numpy as np

from . import _native


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, 1000, 3, 80
    elif profile == "short":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, math.inf, 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    def __init__(self, values, floating):
        # values: 1-D numpy array of the elements that will be shown
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        if not floating:
            for v in values.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        vals = values.astype(np.float64)
        finite = vals[np.isfinite(vals) & (vals != 0)]
        if finite.size == 0:
            return
        absvals = np.abs(finite)
        vmin, vmax = absvals.min(), absvals.max()
        # (the ratio as PyTorch's double tensors give it, inf where it
        # overflows, without NumPy's overflow warning)
        with np.errstate(over="ignore"):
            ratio = vmax / vmin
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            if ratio > 1000.0 or vmax > 1.0e8:
                self.sci_mode = True
                self.max_width = max(len(f"{v:.{p}e}") for v in finite.tolist())
            else:
                self.max_width = max(len(f"{v:.0f}") + 1 for v in finite.tolist())
        else:
            if ratio > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4:
                self.sci_mode = True
                self.max_width = max(len(f"{v:.{p}e}") for v in finite.tolist())
            else:
                self.max_width = max(len(f"{v:.{p}f}") for v in finite.tolist())
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    def width(self):
        return self.max_width

    def format(self, value):
        p = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _summarized(a):
    """The elements shown when summarising (edge items of every dim)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a.reshape(1)
    if a.ndim == 1:
        if a.shape[0] > 2 * e:
            return np.concatenate([a[:e], a[-e:]])
        return a
    rows = list(range(a.shape[0]))
    if a.shape[0] > 2 * e:
        rows = rows[:e] + rows[-e:]
    parts = [_summarized(a[i]) for i in rows]
    return np.concatenate(parts) if parts else np.zeros(0, a.dtype)


def _vector_str(a, indent, summarize, fmt):
    element_length = fmt.width() + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        data = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + [fmt.format(v) for v in a[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * e:
        slices = [_array_str(a[i], indent + 1, summarize, fmt) for i in range(e)]
        slices += ["..."]
        slices += [_array_str(a[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
    else:
        slices = [_array_str(a[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _contents(t, indent):
    a = t.detach().cpu().numpy()
    summarize = a.size > PRINT_OPTS.threshold
    floating = a.dtype.kind == "f"
    fmt = _Formatter(_summarized(a) if summarize else a.reshape(-1), floating)
    return _array_str(a, indent, summarize, fmt)


def _add_suffixes(tensor_str, suffixes, indent):
    parts = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _repr(t):
    from . import _dtype

    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    dt = t.dtype
    if t.is_meta:
        # no values to show: PyTorch prints "..." with the size
        suffixes = ["device='meta'", "size=" + str(tuple(t.shape))]
        if dt is not _dtype.get_default_dtype():
            suffixes.append("dtype=" + str(dt))
        fn = t.grad_fn
        if fn is not None:
            suffixes.append(f"grad_fn=<{_node_label(fn)}>")
        elif t.requires_grad:
            suffixes.append("requires_grad=True")
        return _add_suffixes(prefix + "...", suffixes, indent)
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        if dt is not _dtype.get_default_dtype():
            suffixes.append("dtype=" + str(dt))
        body = "[]"
    else:
        if dt not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool_):
            suffixes.append("dtype=" + str(dt))
        body = _contents(t, indent)
    if t.is_cuda:
        suffixes.insert(0, f"device='{t.device}'")
    fn = t.grad_fn
    if fn is not None:
        suffixes.append(f"grad_fn=<{_node_label(fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    tangent = _native._tangent(t)
    if tangent is not None:
        suffixes.append(f"tangent={_repr(tangent)}")
    return _add_suffixes(prefix + body, suffixes, indent)


def _node_label(fn):
    """The node's class name, as PyTorch prints it in a tensor's repr:
    ``CopySlices`` for the node whose name() is
    ``autorust::autograd::CopySlices``."""
    return fn.name().rsplit("::", 1)[-1]
