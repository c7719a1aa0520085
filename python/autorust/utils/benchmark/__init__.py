"""``autorust.utils.benchmark``: ``Timer`` and ``Measurement``, as
``torch.utils.benchmark`` (wall-clock timing of a statement with
``timeit``; no instruction counts, no comparison tables)."""

import statistics
import timeit as _timeit

__all__ = ["Measurement", "Timer"]


class Measurement:
    """Times of one statement: ``raw_times`` per block of
    ``number_per_run`` runs; ``times``, ``mean`` and ``median`` per run."""

    def __init__(self, number_per_run, raw_times, task_spec):
        self.number_per_run = number_per_run
        self.raw_times = raw_times
        self.task_spec = task_spec

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def mean(self):
        return statistics.mean(self.times)

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def iqr(self):
        times = sorted(self.times)
        if len(times) < 2:
            return 0.0
        q = statistics.quantiles(times, n=4)
        return q[2] - q[0]

    title = property(lambda self: self.task_spec["title"])
    label = property(lambda self: self.task_spec["label"])
    sub_label = property(lambda self: self.task_spec["sub_label"])
    description = property(lambda self: self.task_spec["description"])
    stmt = property(lambda self: self.task_spec["stmt"])

    def __repr__(self):
        spec = self.task_spec
        lines = [f"<{type(self).__module__}.{type(self).__name__} object at {hex(id(self))}>"]
        if spec["label"]:
            lines.append(f"{spec['label']}: {spec['sub_label']}" if spec["sub_label"] else spec["label"])
            if spec["description"]:
                lines.append(spec["description"])
        else:
            lines.append(spec["stmt"])
        lines.append(f"  {_format_time(self.median)}")
        n = len(self.raw_times)
        lines.append(
            f"  {n} measurement{'s' if n != 1 else ''}, {self.number_per_run} runs , {spec['num_threads']} thread{'s' if spec['num_threads'] != 1 else ''}"
        )
        return "\n".join(lines)


def _format_time(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.2f} {unit}"
    return f"{seconds / 1e-9:.2f} ns"


class Timer:
    def __init__(
        self,
        stmt="pass",
        setup="pass",
        global_setup="",
        timer=None,
        globals=None,
        label=None,
        sub_label=None,
        description=None,
        env=None,
        num_threads=1,
        language="python",
    ):  # noqa: A002  (PyTorch's name)
        if language not in ("python", "py"):
            raise ValueError(f"autorust.utils.benchmark.Timer times Python statements only, got language={language!r}")
        import time

        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer or time.perf_counter, globals=globals)
        self._spec = {
            "stmt": stmt,
            "label": label,
            "sub_label": sub_label,
            "description": description,
            "num_threads": num_threads,
            "title": label or stmt,
        }
        self._num_threads = num_threads

    def _run(self, number):
        from ... import get_num_threads, set_num_threads

        previous = get_num_threads()
        set_num_threads(self._num_threads)
        try:
            return self._timer.timeit(number)
        finally:
            set_num_threads(previous)

    def timeit(self, number=1000000):
        self._run(max(1, number // 100))  # warm-up, as PyTorch's
        return Measurement(number, [self._run(number)], self._spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        number = 1
        while True:  # runs per block: a block takes at least 1 ms
            t = self._run(number)
            if t >= 1e-3 or number >= 1 << 30:
                break
            number *= 10
        raw, total = [], 0.0
        while total < min_run_time or not raw:
            t = self._run(number)
            if callback is not None:
                callback(number, t)
            raw.append(t)
            total += t
        return Measurement(number, raw, self._spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None):
        return self.blocked_autorange(callback=callback, min_run_time=min_run_time)
