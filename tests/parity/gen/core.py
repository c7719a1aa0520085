"""The program builder the generators share.

Programs are generated with real PyTorch in the loop: every candidate step
is executed under torch as it is proposed and kept only when it runs and
its result is well conditioned (finite, bounded), so a generated program is
a valid PyTorch program whose shapes and dtypes the generator knows exactly.
The builder never imports torch itself; it is handed the module.
"""

import math
import random
import warnings

import numpy as np

# float results beyond this are rejected: float32 chains that large (or
# gradients of them) amplify last-bit differences past any fair tolerance
MAX_ABS = 1e4


class Rejected(Exception):
    """A program (or step) that should be generated again."""


class Finished(Exception):
    """The program's last step raised under torch: the program ends there."""


class Builder:
    def __init__(self, T, family, seed, attempt=0):
        self.T = T
        self.r = random.Random(f"{family}:{seed}:{attempt}")
        self.steps = []
        self.ns = {"T": T, "F": T.nn.functional, "nn": T.nn, "np": np, "math": math, "rec": lambda *a: None, "warnings": warnings}
        self.counter = 0
        T.manual_seed(0)
        T.set_grad_enabled(True)
        T.set_default_dtype(T.float32)

    # ---- names and values ----

    def fresh(self, prefix="v"):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def value(self, name):
        return self.ns[name]

    def tensors(self, pred=lambda t: True):
        """Names of the tensors in scope that satisfy `pred`."""
        return [k for k, v in self.ns.items() if isinstance(v, self.T.Tensor) and pred(v)]

    # ---- steps ----

    def run(self, code):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(code, "<gen>", "exec"), self.ns)

    def add(self, code):
        """A step that must run (the program is generated again when it
        does not)."""
        try:
            self.run(code)
        except Exception as e:  # noqa: BLE001
            raise Rejected(f"{code!r}: {e}") from e
        self.steps.append(code)

    def add_last(self, code):
        """A step that may raise under torch: then it ends the program, and
        the error is what the program observes (raises `Finished`)."""
        self.steps.append(code)
        try:
            self.run(code)
        except Exception as e:  # noqa: BLE001
            raise Finished() from e

    def try_assign(self, name, expr, observe=True, check=True):
        """Proposes `name = expr`; keeps it when torch runs it and the
        result is well conditioned."""
        code = f"{name} = {expr}"
        try:
            self.run(code)
        except Exception:  # noqa: BLE001  (an invalid proposal is simply not kept)
            self.ns.pop(name, None)
            return False
        v = self.ns.get(name)
        if check and not self.well_conditioned(v):
            self.ns.pop(name, None)
            return False
        self.steps.append(f"{code}; rec({name})" if observe else code)
        return True

    def well_conditioned(self, v):
        T = self.T
        if isinstance(v, (tuple, list)):
            return all(self.well_conditioned(x) for x in v)
        if not isinstance(v, T.Tensor):
            return not isinstance(v, float) or (math.isfinite(v) and abs(v) <= MAX_ABS)
        if not v.dtype.is_floating_point or v.numel() == 0 or v.device.type == "meta":
            return True
        a = v.detach().double()
        return bool(a.isfinite().all()) and float(a.abs().max()) <= MAX_ABS

    # ---- literals ----

    def shape(self, max_rank=4, max_numel=24, allow_empty=True):
        r = self.r
        rank = r.choices([0, 1, 2, 3, 4], weights=[1, 4, 5, 3, 1])[0]
        rank = min(rank, max_rank)
        while True:
            dims = [r.choice([1, 2, 2, 3, 3, 4]) for _ in range(rank)]
            if allow_empty and rank and r.random() < 0.04:
                dims[r.randrange(rank)] = 0
            if int(np.prod(dims)) <= max_numel:
                return tuple(dims)

    def numbers(self, n, dtype, dist=None):
        r = self.r
        if dtype == "bool":
            return [r.random() < 0.5 for _ in range(n)]
        if dtype == "int64":
            return [r.randint(-4, 4) for _ in range(n)]
        dist = dist or r.choice(["normal", "normal", "grid", "positive"])
        if dist == "grid":
            return [r.choice([-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]) for _ in range(n)]
        if dist == "positive":
            return [round(r.uniform(0.2, 2.0), 3) for _ in range(n)]
        return [round(r.gauss(0.0, 1.0), 3) for _ in range(n)]

    def literal(self, shape, dtype="float32", requires_grad=False, dist=None):
        """A `T.tensor(...)` expression of the given shape and dtype."""
        n = int(np.prod(shape)) if shape else 1
        kw = ""
        if dtype == "float64" or self.r.random() < 0.1:
            kw += f", dtype=T.{dtype}"
        if requires_grad:
            kw += ", requires_grad=True"
        if n == 0:
            dims = ", ".join(str(d) for d in shape)
            return f"T.zeros({dims}{kw})"
        vals = self.numbers(n, dtype, dist)
        data = np.array(vals, dtype=object).reshape(shape) if shape else vals[0]
        return f"T.tensor({_nested(data)}{kw})"

    def leaf(self, shape=None, dtype=None, requires_grad=None, layout=True, dist=None):
        """Adds an input tensor; returns its name. With `layout`, it may be
        made non-contiguous (a transposed or sliced view of a literal)."""
        r = self.r
        dtype = dtype or r.choices(["float32", "float64", "int64", "bool"], weights=[12, 4, 2, 1])[0]
        shape = self.shape() if shape is None else tuple(shape)
        if requires_grad is None:
            requires_grad = dtype in ("float32", "float64") and r.random() < 0.85
        name = self.fresh("x")
        expr = self.literal(shape, dtype, requires_grad, dist)
        if layout and not requires_grad and len(shape) >= 2 and r.random() < 0.3:
            # the same values, stored transposed: a non-contiguous input
            perm = list(range(len(shape)))
            perm[-1], perm[-2] = perm[-2], perm[-1]
            stored = tuple(shape[p] for p in perm)
            expr = f"{self.literal(stored, dtype, False, dist)}.transpose(-1, -2)"
        self.add(f"{name} = {expr}")
        return name


def _nested(a):
    if isinstance(a, np.ndarray):
        return "[" + ", ".join(_nested(x) for x in a) + "]"
    if isinstance(a, bool):
        return repr(a)
    if isinstance(a, float):
        return repr(a)
    return repr(a)
