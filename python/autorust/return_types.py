"""Named tuples returned by ops with several outputs, as ``torch.return_types``."""

from collections import namedtuple

max = namedtuple("max", ["values", "indices"])
min = namedtuple("min", ["values", "indices"])
sort = namedtuple("sort", ["values", "indices"])
topk = namedtuple("topk", ["values", "indices"])
median = namedtuple("median", ["values", "indices"])
kthvalue = namedtuple("kthvalue", ["values", "indices"])
mode = namedtuple("mode", ["values", "indices"])
cummax = namedtuple("cummax", ["values", "indices"])
cummin = namedtuple("cummin", ["values", "indices"])
aminmax = namedtuple("aminmax", ["min", "max"])
slogdet = namedtuple("slogdet", ["sign", "logabsdet"])
eigh = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
svd = namedtuple("svd", ["U", "S", "Vh"])
svd_legacy = namedtuple("svd", ["U", "S", "V"])
qr = namedtuple("qr", ["Q", "R"])
linalg_lstsq = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])

for _cls in (max, min, sort, topk, median, kthvalue, mode, cummax, cummin):
    _cls.__module__ = "autorust.return_types"
    _cls.__repr__ = lambda self, _n=_cls.__name__: f"autorust.return_types.{_n}(\nvalues={self.values!r},\nindices={self.indices!r})"

aminmax.__module__ = "autorust.return_types"
aminmax.__repr__ = lambda self: f"autorust.return_types.aminmax(\nmin={self.min!r},\nmax={self.max!r})"

for _cls, _fields in (
    (slogdet, ("sign", "logabsdet")),
    (eigh, ("eigenvalues", "eigenvectors")),
    (svd, ("U", "S", "Vh")),
    (svd_legacy, ("U", "S", "V")),
    (qr, ("Q", "R")),
    (linalg_lstsq, ("solution", "residuals", "rank", "singular_values")),
):
    _cls.__module__ = "autorust.return_types"
    _cls.__repr__ = lambda self, _n=_cls.__name__, _f=_fields: (
        f"autorust.return_types.{_n}(\n" + ",\n".join(f"{k}={getattr(self, k)!r}" for k in _f) + ")"
    )
