"""What tf1-run's replacements of TF1 functions share: a function replaced
once in its namespace, and, for the ones that record a call for the
trace, its Python arguments as JSON and the script line that made it."""

from __future__ import annotations

import os
import sys

import numpy as np


def replace(namespace, name: str, make) -> None:
    """`namespace.name = make(namespace.name)`, once (a replacement is
    marked `_tf1kit`), where the namespace has it."""
    function = getattr(namespace, name, None)
    if function is not None and not getattr(function, "_tf1kit", False):
        replacement = make(function)
        replacement._tf1kit = True
        setattr(namespace, name, replacement)


def json_value(value):
    """A number, bool, string or list of them as JSON; None for anything
    else (a tensor)."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        items = [json_value(item) for item in value]
        return None if any(item is None for item, given in zip(items, value)
                           if given is not None) else items
    return None


def calling_line() -> str:
    """`script.py:N` of the running script's innermost frame calling now."""
    script = os.path.abspath(sys.argv[0]) if sys.argv else ""
    frame = sys._getframe(2)
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename) == script:
            return f"{os.path.basename(script)}:{frame.f_lineno}"
        frame = frame.f_back
    return ""
