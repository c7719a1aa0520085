"""Named tuples returned by ops with several outputs, as ``torch.return_types``."""

from collections import namedtuple

max = namedtuple("max", ["values", "indices"])
min = namedtuple("min", ["values", "indices"])
sort = namedtuple("sort", ["values", "indices"])
topk = namedtuple("topk", ["values", "indices"])

for _cls in (max, min, sort, topk):
    _cls.__module__ = "autorust.return_types"
    _cls.__repr__ = (lambda self, _n=_cls.__name__: f"autorust.return_types.{_n}(\nvalues={self.values!r},\nindices={self.indices!r})")
