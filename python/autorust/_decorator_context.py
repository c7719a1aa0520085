"""A context manager that also decorates functions (and generator functions),
entering a fresh copy of itself around each call."""

import functools
import inspect


class DecoratorContext:
    """Subclasses define ``__enter__``/``__exit__``; ``clone`` makes the
    copy each decorated call enters (a context keeps per-entry state)."""

    def clone(self):
        return self.__class__()

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                with self.clone():
                    yield from gen

            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper
