"""What a parity program observes, as plain JSON, and how two observations
are compared.

The same code runs under real PyTorch (the recorder) and under autorust (the
replay), so it touches tensors only through the API both share and depends
on nothing but NumPy. A tensor is observed as its dtype, shape, flags,
grad_fn name and values; an exception as its type and message; anything
else as itself (numbers, strings, containers) or, failing that, its repr.
The library's own name is written as ``torch.`` in every string, so
autorust's ``autorust.float64`` and PyTorch's ``torch.float64`` compare equal.
"""

import math
import re

import numpy as np

LIB_NAMES = ("autorust.", "torch.")


def canonical_text(s):
    """A string with the library's module name written as PyTorch's, and
    without the C++ source location some PyTorch messages end with
    ("Exception raised from infer_size_impl at /__w/pytorch/...": a build
    path, not part of what the error says)."""
    s = re.sub(r"\nException raised from .*", "", s, flags=re.S)
    return s.replace("autorust.", "torch.").replace("autorust", "torch")


def _is_tensor(v):
    return type(v).__name__ in ("Tensor", "Parameter") or (hasattr(v, "grad_fn") and hasattr(v, "requires_grad") and hasattr(v, "dtype"))


def _dtype_name(dt):
    return str(dt).split(".")[-1]


def _number(x):
    """A float as JSON can hold it (non-finite values as strings)."""
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _tensor_values(t):
    d = t.detach()
    if str(getattr(d, "device", "cpu")).startswith("meta"):
        return None
    if getattr(d, "_is_zerotensor", lambda: False)():
        # PyTorch's ZeroTensor (an unmaterialised zero gradient) has no data
        d = d.new_zeros(d.shape)
    a = d.cpu().numpy() if hasattr(d, "cpu") else d.numpy()
    if a.dtype == np.bool_:
        return [bool(v) for v in a.reshape(-1)]
    if a.dtype.kind in "iu":
        return [int(v) for v in a.reshape(-1)]
    return [_number(v) for v in a.reshape(-1).astype(np.float64)]


def grad_fn_name(t):
    f = getattr(t, "grad_fn", None)
    return None if f is None else type(f).__name__


def _same_leaf(a, b):
    """Whether two tensor objects are one leaf (autorust may hand out a new
    Python object for the same tensor, so identity is not enough)."""
    if a is b:
        return True
    if hasattr(a, "_cdata") and hasattr(b, "_cdata"):
        # both libraries name a tensor's identity (the data pointer is not
        # one: every empty tensor has the same)
        return a._cdata == b._cdata
    try:
        return bool(
            a.is_leaf
            and b.is_leaf
            and a.requires_grad
            and b.requires_grad
            and a.data_ptr() == b.data_ptr()
            and tuple(a.shape) == tuple(b.shape)
            and tuple(a.stride()) == tuple(b.stride())
        )
    except Exception:  # noqa: BLE001  (meta tensors have no data pointer)
        return False


def _target(node, names):
    """The program's name for what a graph edge points at: the variable whose
    grad_fn is `node`, or the leaf an AccumulateGrad accumulates into."""
    leaf = getattr(node, "variable", None) if type(node).__name__ == "AccumulateGrad" else None
    for name, v in names.items():
        if not _is_tensor(v):
            continue
        if leaf is not None:
            if _same_leaf(v, leaf):
                return name
        elif v.grad_fn is not None and v.grad_fn == node:
            return name
    return None


def next_functions(t, names):
    """A tensor's graph edges: [node name, output number, the program's name
    for the node] per input of its grad_fn (None for an input without one)."""
    f = getattr(t, "grad_fn", None)
    if f is None:
        return None
    return [None if g is None else [type(g).__name__, nr, _target(g, names)] for g, nr in f.next_functions]


def observe(v, depth=0, names=None):
    """The JSON form of a value a program observed. With `names` (the
    program's variables), a tensor's graph edges are observed too."""
    if depth > 6:
        return {"repr": canonical_text(repr(v))[:200]}
    if v is None or isinstance(v, (bool, str)):
        return canonical_text(v) if isinstance(v, str) else v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return {"float": _number(v)}
    if isinstance(v, BaseException):
        return {"error": type(v).__name__, "msg": canonical_text(str(v))}
    if _is_tensor(v):
        out = {
            "dtype": _dtype_name(v.dtype),
            "shape": list(v.shape),
            "requires_grad": bool(v.requires_grad),
            "grad_fn": grad_fn_name(v),
            "values": _tensor_values(v),
        }
        if names is not None and v.grad_fn is not None:
            out["next"] = next_functions(v, names)
        dev = str(getattr(v, "device", "cpu"))
        if dev != "cpu":
            out["device"] = dev.split(":")[0]
        return out
    tname = type(v).__name__
    if tname == "Size":
        return {"size": [int(d) for d in v]}
    if tname == "dtype":
        return {"torch_dtype": _dtype_name(v)}
    if tname == "device":
        return {"device": str(v).split(":")[0]}
    if isinstance(v, (list, tuple)):
        # named tuples (torch.return_types) compare by their fields
        return {"seq": [observe(x, depth + 1, names) for x in v], "kind": "list" if isinstance(v, list) else "tuple"}
    if isinstance(v, dict):
        return {"dict": [[observe(k, depth + 1, names), observe(x, depth + 1, names)] for k, x in v.items()]}
    if isinstance(v, np.ndarray):
        return {"ndarray": _number_list(v)}
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return observe(v.item(), depth + 1)
    return {"repr": canonical_text(repr(v))}


def _number_list(a):
    return [_number(x) for x in np.asarray(a, dtype=np.float64).reshape(-1)]


# ---- comparison ----


class Tolerance:
    """How close two float tensors must be. float32 results of chains of
    ops differ from PyTorch's in the last bits (another summation order,
    another exp), so the bound is relative to the tensor's magnitude."""

    def __init__(self, rtol32=2e-4, atol32=1e-5, rtol64=1e-9, atol64=1e-12, ignore=()):
        self.ignore = set(ignore)
        self.rtol = {"float32": rtol32, "float64": rtol64}
        self.atol = {"float32": atol32, "float64": atol64}

    def ignoring(self, field):
        """This tolerance, not comparing `field` of tensors."""
        t = Tolerance(ignore=self.ignore | {field})
        t.rtol, t.atol = dict(self.rtol), dict(self.atol)
        return t

    def as_float32(self):
        """This tolerance with float64 judged as float32."""
        t = Tolerance(ignore=self.ignore)
        t.rtol, t.atol = dict(self.rtol), dict(self.atol)
        t.rtol["float64"], t.atol["float64"] = self.rtol["float32"], self.atol["float32"]
        return t

    def close(self, dtype, got, want):
        g = np.array([_as_float(x) for x in got], dtype=np.float64)
        w = np.array([_as_float(x) for x in want], dtype=np.float64)
        if g.shape != w.shape:
            return False
        if not np.array_equal(np.isnan(g), np.isnan(w)):
            return False
        fin = np.isfinite(w)
        if not np.array_equal(fin, np.isfinite(g)) or not np.array_equal(g[~fin & ~np.isnan(w)], w[~fin & ~np.isnan(w)]):
            return False
        if not fin.any():
            return True
        scale = max(1.0, float(np.max(np.abs(w[fin]))))
        rtol, atol = self.rtol.get(dtype, 0.0), self.atol.get(dtype, 0.0) * scale
        return bool(np.all(np.abs(g[fin] - w[fin]) <= atol + rtol * np.abs(w[fin])))


def _as_float(x):
    if isinstance(x, str):
        return float(x)
    return float(x)


def difference(got, want, tol, path="$"):
    """None when `got` matches `want`, else a one-line description of the
    first difference (with its path inside the observation)."""
    if isinstance(want, dict) and "values" in want:
        if not isinstance(got, dict) or "values" not in got:
            return f"{path}: expected a tensor, got {_short(got)}"
        for key in ("dtype", "shape", "requires_grad", "grad_fn", "next", "device"):
            if key in tol.ignore:
                continue
            if got.get(key) != want.get(key):
                return f"{path}.{key}: {got.get(key)!r} != {want.get(key)!r}"
        if "values" in tol.ignore:
            return None
        gv, wv = got["values"], want["values"]
        if (gv is None) != (wv is None):
            return f"{path}.values: {_short(gv)} != {_short(wv)}"
        if wv is None:
            return None
        if want["dtype"] in ("float32", "float64"):
            if not tol.close(want["dtype"], gv, wv):
                return f"{path}.values: {_short(gv)} != {_short(wv)}"
        elif gv != wv:
            return f"{path}.values: {_short(gv)} != {_short(wv)}"
        return None
    if isinstance(want, dict) and "float" in want:
        if not isinstance(got, dict) or "float" not in got:
            return f"{path}: {_short(got)} != {_short(want)}"
        if not tol.close("float64" if want.get("exact") else "float32", [got["float"]], [want["float"]]):
            return f"{path}: {got['float']!r} != {want['float']!r}"
        return None
    if isinstance(want, dict) and "seq" in want:
        if not isinstance(got, dict) or "seq" not in got:
            return f"{path}: expected a {want['kind']}, got {_short(got)}"
        if got["kind"] != want["kind"] or len(got["seq"]) != len(want["seq"]):
            return f"{path}: {got['kind']} of {len(got['seq'])} != {want['kind']} of {len(want['seq'])}"
        for i, (g, w) in enumerate(zip(got["seq"], want["seq"])):
            d = difference(g, w, tol, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(want, dict) and "dict" in want:
        if not isinstance(got, dict) or "dict" not in got or len(got["dict"]) != len(want["dict"]):
            return f"{path}: {_short(got)} != {_short(want)}"
        for i, ((gk, gv), (wk, wv)) in enumerate(zip(got["dict"], want["dict"])):
            d = difference(gk, wk, tol, f"{path}.key{i}") or difference(gv, wv, tol, f"{path}[{wk!r}]")
            if d:
                return d
        return None
    if isinstance(want, dict) and "ndarray" in want:
        if not isinstance(got, dict) or "ndarray" not in got or not tol.close("float32", got["ndarray"], want["ndarray"]):
            return f"{path}: {_short(got)} != {_short(want)}"
        return None
    if got != want:
        return f"{path}: {_short(got)} != {_short(want)}"
    return None


def _short(v, n=160):
    s = repr(v)
    return s if len(s) <= n else s[: n - 3] + "..."
