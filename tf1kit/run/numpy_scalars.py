"""NumPy scalars where TF1-era scripts passed them and TF1 took them.

- A flag's default (`DEFINE_integer("units", np.power(2, 7), ...)`): TF
  1.0-1.4 defined flags with argparse, which keeps any default; TF 1.5+
  used absl on Python 2, where NumPy's int64 is a subclass of `int`. On
  Python 3 absl refuses it (IllegalFlagValueError): absl gets the
  scalar's Python value, the flag holds the same number.
- A shape made of NumPy unsigned scalars (`[max(labels) + 1]` with uint8
  labels): NumPy 1 promoted uint8(9) + 1 to int64, NumPy 2 keeps uint8
  (NEP 50), and a shape of uint8 is refused by every TensorFlow. The
  shape-taking functions below get the same numbers as Python ints; a
  shape is never meant as uint8, so no working script changes.
"""

from __future__ import annotations

import functools

import numpy as np

from tf1kit.run.patching import replace

DEFINES = ("DEFINE_integer", "DEFINE_float", "DEFINE_bool", "DEFINE_boolean", "DEFINE_string")
# tf.compat.v1 functions taking a shape: the position of that argument.
SHAPED = {"random_normal": 0, "truncated_normal": 0, "random_uniform": 0, "zeros": 0,
          "ones": 0, "fill": 0, "placeholder": 1, "get_variable": 1}


def _python_value(value):
    return value.item() if isinstance(value, np.generic) else value


def _python_shape(shape):
    if isinstance(shape, (list, tuple)) and any(isinstance(size, np.integer) for size in shape):
        return type(shape)(_python_value(size) for size in shape)
    return _python_value(shape) if isinstance(shape, np.integer) else shape


def _patched(function, position: int, keywords: tuple, convert):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if len(args) > position:
            args = (*args[:position], convert(args[position]), *args[position + 1:])
        for key in keywords:
            if key in kwargs:
                kwargs[key] = convert(kwargs[key])
        return function(*args, **kwargs)
    return wrapper


def _patch(module, name: str, position: int, keywords: tuple, convert) -> None:
    replace(module, name, lambda function: _patched(function, position, keywords, convert))


def accept_numpy_scalars(v1) -> None:
    """Patch tf.compat.v1 `v1` (tf1-run's process only)."""
    for name in DEFINES:
        _patch(v1.flags, name, 1, ("default", "default_value"), _python_value)
    for name, position in SHAPED.items():
        _patch(v1, name, position, ("shape", "dims"), _python_shape)
