"""Hostile calls: public autorust functions and Tensor methods called with
wrong types, shapes and dims, empty, 0-d, non-contiguous and NaN inputs.
Every call must return or raise an ordinary Python exception: no Rust panic
(PanicException), no crash, no hang.

Run as a script, in its own process (a crash must not take the test runner
with it): ``python tests/hostile.py SEED COUNT``. It prints one line per
failing call (a reproduction) and exits 1 if there was one.
"""

import random
import signal
import sys
import warnings

import autorust as T
import autorust.linalg
import autorust.nn.functional as F

# Names whose call changes process-wide state (seeds, defaults, grad mode,
# thread pools, print options), touches files or devices, or only wraps
# other calls: calling them with random arguments tests nothing about the
# kernels and would make later calls depend on earlier ones.
GLOBAL_OR_IO = {
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "set_default_dtype",
    "set_default_device",
    "set_default_tensor_type",
    "set_grad_enabled",
    "set_printoptions",
    "set_num_threads",
    "set_num_interop_threads",
    "use_deterministic_algorithms",
    "set_anomaly_enabled",
    "set_detect_anomaly",
    "set_flush_denormal",
    "save",
    "load",
    "from_file",
    "compile",
    "demo",
    "enable_grad",
    "no_grad",
    "inference_mode",
    "set_float32_matmul_precision",
    "set_warn_always",
    "register_hook",
    "register_post_accumulate_grad_hook",
    "share_memory_",
    "pin_memory",
}

MODULES = [("T", T), ("F", F), ("linalg", autorust.linalg)] + ([("special", T.special)] if hasattr(T, "special") else [])

DUNDERS = [
    "__add__",
    "__sub__",
    "__mul__",
    "__truediv__",
    "__floordiv__",
    "__mod__",
    "__pow__",
    "__matmul__",
    "__radd__",
    "__rsub__",
    "__rmul__",
    "__rtruediv__",
    "__rpow__",
    "__and__",
    "__or__",
    "__xor__",
    "__lshift__",
    "__rshift__",
    "__neg__",
    "__abs__",
    "__invert__",
    "__lt__",
    "__le__",
    "__eq__",
    "__ne__",
    "__gt__",
    "__ge__",
    "__getitem__",
    "__setitem__",
    "__iadd__",
    "__imul__",
    "__isub__",
    "__itruediv__",
    "__len__",
    "__bool__",
    "__float__",
    "__int__",
    "__index__",
    "__repr__",
    "__format__",
    "__iter__",
    "__contains__",
    "__array__",
]

# fresh inputs per call, so that an in-place call cannot leak into the next
TENSORS = [
    lambda: T.tensor(1.5),
    lambda: T.tensor(3),
    lambda: T.tensor(True),
    lambda: T.tensor([]),
    lambda: T.zeros(0, 3),
    lambda: T.zeros(2, 0, 2)[1],
    lambda: T.randn(2, 3),
    lambda: T.randn(3, 1, 2),
    lambda: T.randn(4, 3).t(),
    lambda: T.randn(2, 4)[:, 1::2],
    lambda: T.randn(2, 3, dtype=T.float64),
    lambda: T.randn(2, 2, requires_grad=True),
    lambda: T.randn(3, requires_grad=True) * 2,
    lambda: T.tensor([float("nan"), float("inf"), -float("inf"), -0.0]),
    lambda: T.tensor([1, -2, 3]),
    lambda: T.tensor([[0, 1], [2, 5]]),
    lambda: T.tensor([True, False, True]),
    lambda: T.randn(1),
    lambda: T.randn(2, 3, 4, 5),
    lambda: T.randn(3, 3).expand(2, 3, 3),
]

OTHERS = [
    None,
    "abc",
    "",
    0,
    1,
    -1,
    2,
    3,
    -7,
    64,
    0.5,
    -2.5,
    float("nan"),
    float("inf"),
    True,
    False,
    [],
    [0],
    [1, 2],
    [2, -1],
    (2, 3),
    (-1,),
    (0, 0),
    [[1, 2], [3]],
    [[1.0, 2.0], [3.0, 4.0]],
    {},
    {"a": 1},
    object(),
    slice(None),
    slice(1, None, -1),
    Ellipsis,
    T.float32,
    T.int64,
    T.bool,
    1e300,
    -0.0,
    10**30,
    b"xy",
    3j,
    [None],
    (T.tensor(1.0), 2),
]

KEYWORDS = ["dim", "keepdim", "dtype", "out", "p", "alpha", "value", "weight", "bias", "reduction", "k", "n", "input", "other", "size"]


def _callables():
    found = []
    for prefix, module in MODULES:
        for name in sorted(dir(module)):
            if name.startswith("_") or name in GLOBAL_OR_IO:
                continue
            obj = getattr(module, name, None)
            if callable(obj) and not isinstance(obj, type) and getattr(obj, "__module__", "") != "typing":
                found.append((f"{prefix}.{name}", obj, None))
    for name in sorted(dir(T.Tensor)):
        if (name.startswith("_") and name not in DUNDERS) or name in GLOBAL_OR_IO:
            continue
        if callable(getattr(T.Tensor, name, None)):
            found.append((f"Tensor.{name}", None, name))
    return found


SMALL_INTS = [-3, -2, -1, 0, 1, 2, 3]


def _argument(rng, made, tensor_share=0.5):
    """A tensor (fresh), a small int (a plausible dim or size) or anything."""
    r = rng.random()
    if tensor_share <= r < tensor_share + 0.3:
        v = rng.choice(SMALL_INTS)
        made.append(repr(v))
        return v
    if r < tensor_share:
        i = rng.randrange(len(TENSORS))
        made.append(f"t{i}")
        return TENSORS[i]()
    v = rng.choice(OTHERS)
    made.append(repr(v) if not isinstance(v, object) or type(v) is not object else "object()")
    return v


class _Slow(Exception):
    pass


def _alarm(*_):
    raise _Slow()


def main(seed, count):
    rng = random.Random(seed)
    calls = _callables()
    failures = 0
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, _alarm)
    for n in range(count):
        label, fn, method = rng.choice(calls)
        made = []
        self_tensor = None
        if method is not None:
            i = rng.randrange(len(TENSORS))
            self_tensor = TENSORS[i]()
            made.append(f"self=t{i}")
            fn = getattr(self_tensor, method)
        # mostly a tensor first (what the op works on), then anything
        args = [_argument(rng, made, 0.85 if i == 0 and method is None else 0.5) for i in range(rng.choice([0, 1, 1, 2, 2, 3, 4]))]
        kwargs = {}
        if rng.random() < 0.3:
            key = rng.choice(KEYWORDS)
            kwargs[key] = _argument(rng, made)
            made[-1] = f"{key}={made[-1]}"
        signal.alarm(10)
        try:
            result = fn(*args, **kwargs)
            if method == "__iter__" or label.endswith("unbind"):
                list(result)
        except _Slow:
            failures += 1
            print(f"HANG {n}: {label}({', '.join(made)})", flush=True)
        except Exception:  # noqa: BLE001  (any ordinary exception is a correct refusal)
            pass
        except BaseException as e:  # noqa: BLE001  (a Rust panic is a BaseException)
            if isinstance(e, KeyboardInterrupt):
                raise
            failures += 1
            print(f"{type(e).__name__} {n}: {label}({', '.join(made)}): {str(e)[:200]}", flush=True)
        finally:
            signal.alarm(0)
    return failures


if __name__ == "__main__":
    sys.exit(1 if main(int(sys.argv[1]), int(sys.argv[2])) else 0)
