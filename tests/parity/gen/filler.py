"""Resolves a catalogue template's placeholders against its main input.

Each placeholder is computed once per template (so `{d}` means the same
dim everywhere in it); placeholders that need other tensors add them to the
program as new inputs (some requiring grad, some not) or reuse a tensor
already in scope whose shape fits.
"""

import re

import numpy as np

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def broadcasts(a, b):
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True


class Filler:
    def __init__(self, builder, x):
        self.b = builder
        self.r = builder.r
        self.x = x
        self.t = builder.value(x)
        self.shape = tuple(self.t.shape)
        self.n = len(self.shape)
        self.cache = {"x": x}

    def fill(self, template):
        return _PLACEHOLDER.sub(lambda m: str(self.get(m.group(1))), template)

    def get(self, key):
        if key not in self.cache:
            self.cache[key] = getattr(self, "p_" + key)()
        return self.cache[key]

    # ---- helpers ----

    def _input(self, shape, dtype=None, grad=None, dist=None):
        dtype = dtype or self._float_dtype()
        return self.b.leaf(shape, dtype=dtype, requires_grad=grad, layout=True, dist=dist)

    def _float_dtype(self):
        d = str(self.t.dtype).split(".")[-1]
        if d in ("float32", "float64") and self.r.random() < 0.85:
            return d
        return self.r.choice(["float32", "float64"])

    def _int_literal(self, values, shape=None):
        a = np.array(values, dtype=np.int64)
        if shape is not None:
            a = a.reshape(shape)
        return f"T.tensor({a.tolist()!r})"

    def _size(self):
        return self.shape[self._dim_index()] if self.n else 1

    def _dim_index(self):
        d = self.get("d")
        return d % self.n if self.n else 0

    # ---- placeholders ----

    def p_y(self):
        return self._broadcast_partner()

    def p_z(self):
        return self._broadcast_partner()

    def _broadcast_partner(self):
        T = self.b.T
        same_kind = self.t.dtype.is_floating_point
        pool = [
            k
            for k in self.b.tensors(lambda v: v.dtype.is_floating_point == same_kind and v.device.type != "meta")
            if k != self.x and broadcasts(tuple(self.b.value(k).shape), self.shape)
        ]
        if pool and self.r.random() < 0.5:
            return self.r.choice(pool)
        shape = list(self.shape)
        roll = self.r.random()
        if roll < 0.2:
            shape = shape[self.r.randint(0, len(shape)) :]
        elif roll < 0.5:
            shape = [1 if self.r.random() < 0.5 else s for s in shape]
        elif roll < 0.6:
            shape = [self.r.choice([1, 2])] + shape
        dtype = None if same_kind else "int64"
        del T
        return self._input(tuple(shape), dtype=dtype)

    def p_x2(self):
        pool = [k for k in self.b.tensors(lambda v: v.dtype.is_floating_point) if k != self.x and tuple(self.b.value(k).shape) == self.shape]
        if pool and self.r.random() < 0.4:
            return self.r.choice(pool)
        return self._input(self.shape)

    def p_w(self):
        return self._input(self.shape, grad=self.r.random() < 0.3, dist="positive")

    def p_d(self):
        n = max(self.n, 1)
        return self.r.randrange(-n, n)

    def p_d1(self):
        return self.r.randrange(-self.n - 1, self.n + 1)

    def p_d2(self):
        if self.n < 2:
            return 0
        first = self._dim_index()
        others = [i for i in range(self.n) if i != first]
        d = self.r.choice(others)
        return d - self.n if self.r.random() < 0.3 else d

    def p_dims(self):
        if self.n == 0:
            return "()"
        k = self.r.randint(1, self.n)
        dims = sorted(self.r.sample(range(self.n), k))
        return "(" + ", ".join(str(d) for d in dims) + ("," if k == 1 else "") + ")"

    def p_shape(self):
        numel = int(np.prod(self.shape)) if self.shape else 1
        if numel == 0:
            return "(0, -1)" if self.r.random() < 0.5 else "(-1,)"
        factors = []
        rest = numel
        for p in (2, 3, 2, 5, 7, 2, 3):
            if rest % p == 0 and self.r.random() < 0.6:
                factors.append(p)
                rest //= p
        factors.append(rest)
        self.r.shuffle(factors)
        if self.r.random() < 0.3 and len(factors) > 1:
            factors[self.r.randrange(len(factors))] = -1
        return "(" + ", ".join(str(f) for f in factors) + ("," if len(factors) == 1 else "") + ")"

    def p_perm(self):
        p = list(range(self.n))
        self.r.shuffle(p)
        return "(" + ", ".join(str(i) for i in p) + ("," if self.n == 1 else "") + ")"

    def p_k(self):
        s = self._size()
        return self.r.randint(1, s) if s else 0

    def p_i(self):
        s = self._size()
        return self.r.randrange(-s, s) if s else 0

    def _index_len(self):
        if "len" not in self.cache:
            self.cache["len"] = self.r.randint(1, 4)
        return self.cache["len"]

    def _indices(self, size, unique=False, negative=False):
        n = self._index_len()
        if size == 0:
            return [0] * n
        if unique:
            n = min(n, size)
            self.cache["len"] = n
            return self.r.sample(range(size), n)
        vals = [self.r.randrange(size) for _ in range(n)]
        if negative:
            vals = [v - size if self.r.random() < 0.3 else v for v in vals]
        return vals

    def p_idx(self):
        return self._int_literal(self._indices(self._size()))

    def p_uidx(self):
        return self._int_literal(self._indices(self._size(), unique=True))

    def p_idx0(self):
        return self._int_literal(self._indices(self.shape[0] if self.n else 1, negative=True))

    def p_idx1(self):
        return self._int_literal(self._indices(self.shape[1] if self.n > 1 else 1, negative=True))

    def _gather_shape(self):
        if "gshape" not in self.cache:
            shape = list(self.shape) or [1]
            d = self._dim_index()
            shape[d] = self.r.randint(1, max(1, shape[d]))
            self.cache["gshape"] = tuple(shape)
        return self.cache["gshape"]

    def p_gidx(self):
        shape = self._gather_shape()
        size = self._size()
        d = self._dim_index()
        # unique along the dim: a scatter with repeated targets is
        # nondeterministic in PyTorch
        out = np.zeros(shape, dtype=np.int64)
        for pos in np.ndindex(*[s for i, s in enumerate(shape) if i != d]):
            picks = self.r.sample(range(size), shape[d]) if size >= shape[d] else [0] * shape[d]
            for j, v in enumerate(picks):
                full = list(pos)
                full.insert(d, j)
                out[tuple(full)] = v
        return self._int_literal(out.reshape(-1).tolist(), shape)

    def p_gsrc(self):
        return self._input(self._gather_shape())

    def p_isrc(self):
        self.get("idx")
        shape = list(self.shape) or [1]
        shape[self._dim_index()] = self._index_len()
        return self._input(tuple(shape))

    def p_usrc(self):
        self.get("uidx")
        shape = list(self.shape) or [1]
        shape[self._dim_index()] = self._index_len()
        return self._input(tuple(shape))

    def p_mask(self):
        return self.b.literal(self.shape, "bool")

    def p_flatidx(self):
        numel = int(np.prod(self.shape)) if self.shape else 1
        return self._int_literal([self.r.randrange(-numel, numel) for _ in range(self._index_len())] if numel else [0])

    def p_bshape(self):
        shape = [s if s != 1 or self.r.random() < 0.5 else self.r.choice([2, 3]) for s in self.shape]
        if self.r.random() < 0.3:
            shape = [2] + shape
        if shape and self.r.random() < 0.2:
            shape[self.r.randrange(len(shape))] = -1 if len(shape) == self.n else shape[0]
        return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"

    def p_sl(self):
        options = [
            "[1:]",
            "[:1]",
            "[::2]",
            "[-1]",
            "[0]",
            "[1:, ::2]" if self.n >= 2 else "[1:]",
            "[..., :1]",
            "[None, ..., 0]",
            "[:, None]",
            "[-2:]",
            "[0, ...]",
            "[:, 1]" if self.n >= 2 else "[1]",
        ]
        return self.r.choice(options)

    def p_reps(self):
        reps = [self.r.choice([1, 2]) for _ in range(self.n + self.r.randint(0, 1))]
        return ", ".join(str(v) for v in reps)

    # ---- matrix products: {x} reshaped, partners made to fit ----

    def _numel(self):
        return int(np.prod(self.shape)) if self.shape else 1

    def _rows(self):
        if "rows" not in self.cache:
            n = self._numel()
            divisors = [d for d in range(1, n + 1) if n % d == 0] or [1]
            self.cache["rows"] = self.r.choice(divisors)
        return self.cache["rows"]

    def _cols(self):
        return self._numel() // self._rows() if self._rows() else 0

    def _m(self):
        if "m" not in self.cache:
            self.cache["m"] = self.r.randint(1, 4)
        return self.cache["m"]

    def p_mat(self):
        k = self.shape[-1] if self.n else 1
        shape = (k, self._m()) if self.r.random() < 0.8 else (k,)
        if self.n >= 3 and self.r.random() < 0.3:
            shape = (self.shape[-3], k, self._m())
        return self._input(shape)

    def p_x2d(self):
        return f"{self.x}.reshape({self._rows()}, {self._cols()})"

    def p_mat2d(self):
        return self._input((self._cols(), self._m()))

    def p_vec(self):
        return self._input((self._cols(),))

    def p_vec0(self):
        return self._input((self._rows(),))

    def p_outer0(self):
        return self._input((self._rows(), self._cols()))

    def p_bias(self):
        return self._input(self.r.choice([(self._rows(), self._m()), (self._m(),), (1, self._m())]))

    def p_lbias2(self):
        return self._input((self._rows(),))

    def p_weight(self):
        return self._input((self._m(), self.shape[-1] if self.n else 1))

    def p_lbias(self):
        return self._input((self._m(),))

    def p_bil(self):
        return self._input((self._m(), self._cols(), self._cols()))

    def _batch(self):
        if "batch" not in self.cache:
            n = self._numel()
            self.cache["batch"] = self.r.choice([d for d in (1, 2, 3) if n % d == 0] or [1])
        return self.cache["batch"]

    def p_x3d(self):
        b = self._batch()
        rest = self._numel() // b
        rows = self.r.choice([d for d in range(1, rest + 1) if rest % d == 0] or [1])
        self.cache["k3"] = rest // rows if rows else 0
        self.cache["rows3"] = rows
        return f"{self.x}.reshape({b}, {rows}, {self.cache['k3']})"

    def p_mat3d(self):
        self.get("x3d")
        return self._input((self._batch(), self.cache["k3"], self._m()))

    def p_bias3d(self):
        self.get("x3d")
        return self._input((self._batch(), self.cache["rows3"], self._m()))
