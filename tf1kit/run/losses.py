"""The `tf.losses.*` calls a traced script made, for the trace's manifest
("loss_calls") and so for tf1-convert, which writes each as the same call:
its function, the tensors it took (by name), its Python arguments
(`weights=0.5`, `label_smoothing=0.1`, `reduction="weighted_mean"`) and
the tensor it returned. A tensor is what the graph shows; the numbers and
the reduction are what only the call knew.
"""

from __future__ import annotations

import functools
import inspect

from tf1kit.run.patching import calling_line, json_value, replace

FUNCTIONS = ("absolute_difference", "cosine_distance", "hinge_loss", "huber_loss", "log_loss",
             "mean_pairwise_squared_error", "mean_squared_error", "sigmoid_cross_entropy",
             "softmax_cross_entropy", "sparse_softmax_cross_entropy")
calls = []


def _recording(function, name: str):
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        tensors, arguments = {}, {}
        for key, value in bound.arguments.items():
            if key in ("scope", "loss_collection"):
                continue
            tensor_name = getattr(value, "name", None) if hasattr(value, "op") else None
            if tensor_name is not None:
                tensors[key] = tensor_name
            else:
                arguments[key] = json_value(value)
        calls.append({"function": name, "tensors": tensors, "arguments": arguments,
                      "output": getattr(result, "name", None), "line": calling_line()})
        return result
    return wrapper


def install(v1) -> None:
    """Record every tf.compat.v1.losses call from now on (tf1-run's process)."""
    for name in FUNCTIONS:
        replace(v1.losses, name, lambda function, name=name: _recording(function, name))
