"""Warnings attributed to the user's line, as PyTorch's C++ warnings are
(Python's stacklevel counts autorust's own wrappers otherwise)."""

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def warn_user(message, category=UserWarning):
    """`warnings.warn` with the stack level of the first frame outside
    the autorust package."""
    level, frame = 2, sys._getframe(1)  # 1 would be this function
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)
