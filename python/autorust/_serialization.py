"""``autorust.save`` / ``autorust.load``: tensors, state dicts and optimizer
states in a self-describing file that holds only data.

Layout: ``MAGIC``, a little-endian u64 header length, a JSON header (the
object tree, tensors referenced by index with dtype, shape and byte range),
the raw tensor bytes, and a CRC-32 of everything before it. Loading never
runs code from the file (unlike a pickle): only tensors, numbers, strings,
bytes, None, lists, tuples, dicts, dtypes, devices and sizes can be
described, and any other node is an error. The checksum makes a truncated
or corrupted file a clear error instead of wrong weights."""

import base64
import json
import math
import os
import struct
import zlib
from collections import OrderedDict

import numpy as np

from . import _native
from ._device import _check_device
from ._device import device as _device_cls
from ._dtype import dtype as _dtype_cls
from ._dtype import to_dtype
from ._size import Size

Tensor = _native.Tensor
MAGIC = b"AUTORUST-CKPT\x00\x01\n"


class _Writer:
    def __init__(self):
        self.tensors = []
        self.blobs = []
        self.offset = 0
        self.seen = {}

    def tensor(self, t):
        key = id(t)
        if key in self.seen:
            return {"k": "tensor", "i": self.seen[key]}
        from .nn.parameter import Parameter

        # (np.ascontiguousarray would turn a 0-d tensor into shape [1])
        arr = np.array(t.detach().numpy(), order="C", copy=True)
        data = arr.tobytes()
        meta = {
            "dtype": t.dtype._name,
            "shape": list(arr.shape),
            "offset": self.offset,
            "nbytes": len(data),
            "requires_grad": bool(t.requires_grad),
            "parameter": isinstance(t, Parameter),
        }
        self.blobs.append(data)
        self.offset += len(data)
        index = len(self.seen)
        self.seen[key] = index
        self.tensors.append(meta)
        return {"k": "tensor", "i": index}

    def encode(self, obj):
        if isinstance(obj, Tensor):
            return self.tensor(obj)
        if obj is None:
            return {"k": "none"}
        if isinstance(obj, bool):
            return {"k": "bool", "v": obj}
        if isinstance(obj, int):
            return {"k": "int", "v": str(obj)}
        if isinstance(obj, float):
            return {"k": "float", "v": repr(obj)}
        if isinstance(obj, str):
            return {"k": "str", "v": obj}
        if isinstance(obj, bytes):
            return {"k": "bytes", "v": base64.b64encode(obj).decode()}
        if isinstance(obj, _dtype_cls):
            return {"k": "dtype", "v": obj._name}
        if isinstance(obj, _device_cls):
            return {"k": "device", "v": str(obj)}
        if isinstance(obj, Size):
            return {"k": "size", "v": list(obj)}
        if isinstance(obj, (np.integer, np.floating, np.bool_)):
            return self.encode(obj.item())
        if isinstance(obj, dict):
            return {"k": "dict", "ordered": isinstance(obj, OrderedDict), "v": [[self.encode(k), self.encode(v)] for k, v in obj.items()]}
        if isinstance(obj, tuple):
            return {"k": "tuple", "v": [self.encode(v) for v in obj]}
        if isinstance(obj, list):
            return {"k": "list", "v": [self.encode(v) for v in obj]}
        if isinstance(obj, np.ndarray):
            from ._creation import tensor

            return self.encode(tensor(obj))
        raise TypeError(
            f"autorust.save: cannot save an object of type {type(obj).__name__}; checkpoints hold tensors, numbers, "
            "strings, None and lists/tuples/dicts of them (save a model's state_dict(), not the model)"
        )


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    w = _Writer()
    tree = w.encode(obj)
    header = json.dumps({"format": 1, "tree": tree, "tensors": w.tensors}).encode()
    body = MAGIC + struct.pack("<Q", len(header)) + header + b"".join(w.blobs)
    payload = body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(payload)
    else:
        f.write(payload)


def _corrupt(name, why):
    return RuntimeError(f"autorust.load: {name} is not a valid autorust checkpoint ({why})")


class _Reader:
    def __init__(self, name, header, data):
        self.name = name
        self.metas = header.get("tensors")
        self.data = data
        self.cache = {}
        if not isinstance(self.metas, list):
            raise _corrupt(name, "no tensor table")

    def tensor(self, i):
        from ._creation import from_numpy
        from .nn.parameter import Parameter

        if i in self.cache:
            return self.cache[i]
        if not isinstance(i, int) or not 0 <= i < len(self.metas):
            raise _corrupt(self.name, f"tensor index {i} out of range")
        m = self.metas[i]
        try:
            dt = to_dtype(m["dtype"])
            shape = [int(s) for s in m["shape"]]
            off, nbytes = int(m["offset"]), int(m["nbytes"])
        except (KeyError, TypeError, ValueError) as e:
            raise _corrupt(self.name, f"bad tensor entry {i}: {e}") from None
        count = math.prod(shape)
        if off < 0 or nbytes != count * np.dtype(dt._np).itemsize or off + nbytes > len(self.data) or any(s < 0 for s in shape):
            raise _corrupt(self.name, f"tensor {i} does not fit the file")
        arr = np.frombuffer(self.data, dtype=dt._np, count=count, offset=off).reshape(shape).copy()
        t = from_numpy(arr)
        if m.get("parameter"):
            t = Parameter(t, requires_grad=bool(m.get("requires_grad")))
        elif m.get("requires_grad"):
            t.requires_grad_(True)
        self.cache[i] = t
        return t

    def decode(self, node):
        if not isinstance(node, dict) or "k" not in node:
            raise _corrupt(self.name, "malformed object tree")
        k, v = node["k"], node.get("v")
        if k == "tensor":
            return self.tensor(node.get("i"))
        if k == "none":
            return None
        if k == "bool":
            return bool(v)
        if k == "int":
            return int(v)
        if k == "float":
            return float(v)
        if k == "str":
            return str(v)
        if k == "bytes":
            return base64.b64decode(v)
        if k == "dtype":
            return to_dtype(v)
        if k == "device":
            return _device_cls(v)
        if k == "size":
            return Size(int(x) for x in v)
        if k == "list":
            return [self.decode(x) for x in v]
        if k == "tuple":
            return tuple(self.decode(x) for x in v)
        if k == "dict":
            items = [(self.decode(a), self.decode(b)) for a, b in v]
            return OrderedDict(items) if node.get("ordered") else dict(items)
        raise _corrupt(self.name, f"unknown node kind {k!r}")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        _check_device(map_location)
    if isinstance(f, (str, os.PathLike)):
        name = repr(os.fspath(f))
        with open(f, "rb") as fh:
            raw = fh.read()
    else:
        name = "the file object"
        raw = f.read()
    if raw.startswith(b"PK\x03\x04"):
        raise RuntimeError(
            f"autorust.load: {name} is a PyTorch (zip/pickle) checkpoint; autorust does not unpickle files. "
            "Load it with torch and save its state_dict as NumPy arrays, or re-save it with autorust.save."
        )
    if not raw.startswith(MAGIC):
        raise _corrupt(name, "bad magic bytes")
    if len(raw) < len(MAGIC) + 12:
        raise _corrupt(name, "truncated")
    body, (crc,) = raw[:-4], struct.unpack("<I", raw[-4:])
    if zlib.crc32(body) & 0xFFFFFFFF != crc:
        raise _corrupt(name, "checksum mismatch: the file is truncated or corrupted")
    (hlen,) = struct.unpack("<Q", body[len(MAGIC) : len(MAGIC) + 8])
    start = len(MAGIC) + 8
    if start + hlen > len(body):
        raise _corrupt(name, "truncated header")
    try:
        header = json.loads(body[start : start + hlen].decode())
    except (UnicodeDecodeError, ValueError) as e:
        raise _corrupt(name, f"unreadable header: {e}") from None
    if not isinstance(header, dict) or header.get("format") != 1:
        raise _corrupt(name, "unsupported format version")
    return _Reader(name, header, memoryview(body)[start + hlen :]).decode(header.get("tree"))


__all__ = ["save", "load"]
