"""The arrays a traced script draws with NumPy's global RNG and feeds to a
placeholder (a denoising autoencoder's corruption mask, a GAN's noise):
which call drew each, with its arguments and script line (the trace's
manifest, "fed_draws": by the train op of the call that fed it), and
every step's fed value (`step-N/drawn/<feed>`), so that tf1-convert
writes the same draw and its proof feeds the very values the script fed.
The draws themselves are NumPy's, unchanged. Importing this module
imports no TensorFlow."""

from __future__ import annotations

import collections
import os
import sys

import numpy as np

from tf1kit.trace import tracefile

# NumPy's legacy draws as a numpy.random.Generator writes them: the
# Generator's method and the legacy function's parameters before `size`
# (with their defaults); `*` for the functions that take the shape as
# separate dimensions (`randn(128, 784)`).
DRAWS = {
    "binomial": ("binomial", ("n", "p"), (None, None)),
    "uniform": ("uniform", ("low", "high"), (0.0, 1.0)),
    "normal": ("normal", ("loc", "scale"), (0.0, 1.0)),
    "standard_normal": ("standard_normal", (), ()),
    "random_sample": ("random", (), ()),
    "random": ("random", (), ()),
    "randn": ("standard_normal", "*", ()),
    "rand": ("random", "*", ()),
}
# The script's recent draws kept to match fed values against: a step feeds
# what it drew just before.
RECENT = 16


class NumpyDraws:
    """Wraps numpy.random's DRAWS functions for the calls the script makes
    itself; `log_step` after each training step."""

    def __init__(self, script: str):
        self.script = os.path.abspath(script)
        self._recent = collections.deque(maxlen=RECENT)
        self.described = {}  # train op -> {feed name: its draw's description}
        self.arrays = {}     # step-N/drawn/<feed> -> the value as its placeholder took it

    def install(self) -> None:
        for function in DRAWS:
            original = getattr(np.random, function)
            setattr(np.random, function, self._wrapped(function, original))

    def _wrapped(self, function: str, original):
        draws = self

        def draw(*args, **kwargs):
            value = original(*args, **kwargs)
            caller = sys._getframe(1)
            if os.path.abspath(caller.f_code.co_filename) == draws.script:
                described = describe(function, args, kwargs)
                if described is not None and isinstance(value, np.ndarray):
                    described["line"] = caller.f_lineno
                    draws._recent.append((value, described))
            return value
        draw.__wrapped__ = original
        return draw

    def log_step(self, step: int, fed: dict, train_op: str) -> None:
        """Keep each fed value that is one of the script's recent draws
        (`fed`: feed name -> (the array fed, the value as received);
        `train_op`: the call's, whose draws they are)."""
        for name, (array, received) in fed.items():
            found = next((described for value, described in reversed(self._recent)
                          if value is array or (value.shape == np.shape(array)
                                                and np.array_equal(value, array))), None)
            if found is None:
                continue
            self.described.setdefault(train_op, {}).setdefault(name, found)
            self.arrays[tracefile.value_key(step, "drawn", name)] = np.asarray(received)


def describe(function: str, args: tuple, kwargs: dict) -> dict | None:
    """{"function": the Generator's method, "arguments": [...], "size": [...]}
    of a legacy call, or None where its arguments are not plain numbers."""
    method, names, defaults = DRAWS[function]
    if names == "*":
        size, arguments = list(args), []
        if kwargs:
            return None
    else:
        bound = dict(zip((*names, "size"), args))
        if len(args) > len(names) + 1 or set(bound) & set(kwargs):
            return None
        bound.update(kwargs)
        if set(bound) - {*names, "size"}:
            return None
        arguments = [bound.get(name, default) for name, default in zip(names, defaults)]
        size = bound.get("size")
        size = None if size is None else list(np.atleast_1d(size))
    try:
        arguments = [float(value) if isinstance(value, (float, np.floating)) else int(value)
                     for value in arguments]
        size = None if size is None else [int(dimension) for dimension in size]
    except (TypeError, ValueError):  # an array of probabilities, a missing n
        return None
    return {"function": method, "arguments": arguments, "size": size}
