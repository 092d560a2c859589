"""TF 1.x's cross-entropy functions took `labels=` and `logits=` by name
only: a `_sentinel` first parameter made a positional call raise
ValueError. TF 2.x's `tf.compat.v1` versions dropped it, so a TF 0.x-era
call, `tf.nn.softmax_cross_entropy_with_logits(py_x, Y)` (logits first, as
TF 0.x ordered them), now binds the logits to `labels` and trains nothing
("No gradients provided" far from the line). tf1-run refuses such a call at
its line, as TF 1.x did."""

from __future__ import annotations

import functools

from tf1kit.errors import Refused
from tf1kit.run.patching import replace

# The tf.nn functions whose TF 1.15 signature began with `_sentinel=None`
# (softmax_cross_entropy_with_logits_v2 did not by 1.13: labels, logits).
NAMED_ONLY = ("softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
              "sigmoid_cross_entropy_with_logits")


def _named_only(function, name: str):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if args:
            raise Refused(f"tf.nn.{name} called with {len(args)} positional argument"
                          f"{'s' if len(args) > 1 else ''}: TF 1.x took only named ones "
                          f"(labels=..., logits=...) and raised ValueError; TF 0.x's order "
                          f"was (logits, labels): name them")
        return function(**kwargs)
    return wrapper


def install(v1) -> None:
    """Refuse positional calls of NAMED_ONLY from now on (tf1-run's process)."""
    for name in NAMED_ONLY:
        replace(v1.nn, name, lambda function, name=name: _named_only(function, name))
