"""What a traced script passed to TF1's learning-rate schedules and
gradient clipping, for the trace's optimizer entry (tf1kit/run/
optimizer_watch.py) and so for tf1-convert: the function, its Python
arguments, the global step it reads, and which tensors it returned.

`tf.train.exponential_decay(0.1, global_step, 100, 0.96, staircase=True)`
is recorded as {"function": "exponential_decay", "arguments":
{"learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.96,
"staircase": True}, "step": "global_step"}; `tf.clip_by_norm(g, 5.0)` as
{"function": "clip_by_norm", "arguments": {"clip_norm": 5.0}}. An argument
that is a tensor is recorded as None (tf1-convert refuses it by name).
"""

from __future__ import annotations

import functools
import inspect

from tf1kit.run.patching import calling_line, json_value, replace

# tf.compat.v1.train's schedules -> the parameter that takes the step.
SCHEDULES = {"exponential_decay": "global_step", "inverse_time_decay": "global_step",
             "natural_exp_decay": "global_step", "polynomial_decay": "global_step",
             "cosine_decay": "global_step", "piecewise_constant": "x"}
# Clipping functions -> the parameter that takes the gradient(s).
CLIPS = {"clip_by_norm": "t", "clip_by_value": "t", "clip_by_global_norm": "t_list"}

made = {}      # id(tensor) -> {"function", "arguments", "step"?, "tensor", "input"?}
raw = set()    # id(gradient) of tensors compute_gradients / tf.gradients returned


def _recording(function, name: str, taking: str, kind: str):
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        arguments = {key: json_value(value) for key, value in bound.arguments.items()
                     if key not in (taking, "name")}
        entry = {"function": name, "arguments": arguments, "line": calling_line()}
        taken = bound.arguments.get(taking)
        if kind == "schedule":
            entry["step"] = getattr(getattr(taken, "op", None), "name", None)
            made[id(result)] = {**entry, "tensor": result}
        elif name == "clip_by_global_norm":
            for output, given in zip(result[0], taken):
                made[id(output)] = {**entry, "tensor": output, "input": given,
                                    "call": id(result[0])}
        else:
            made[id(result)] = {**entry, "tensor": result, "input": taken}
        return result
    return wrapper


def install(v1) -> None:
    """Record every call of the schedules and clipping functions of
    tf.compat.v1 `v1` from now on (tf1-run's process)."""
    for namespace, names, kind in ((v1.train, SCHEDULES, "schedule"), (v1, CLIPS, "clip")):
        for name, taking in names.items():
            replace(namespace, name, lambda function, name=name, taking=taking, kind=kind:
                    _recording(function, name, taking, kind))

    def noting(gradients):
        @functools.wraps(gradients)
        def computed(*args, **kwargs):
            result = gradients(*args, **kwargs)
            computed_gradients(result)
            return result
        return computed
    replace(v1, "gradients", noting)


def computed_gradients(gradients) -> None:
    """Note tensors as raw gradients (what compute_gradients or tf.gradients gave)."""
    for gradient in gradients:
        gradient = gradient[0] if isinstance(gradient, tuple) else gradient
        if gradient is not None:
            raw.add(id(gradient))


def schedule_of(learning_rate) -> dict | None:
    """The recorded schedule that returned `learning_rate`, without its tensor."""
    entry = made.get(id(learning_rate))
    if entry is None or "step" not in entry:
        return None
    return {key: value for key, value in entry.items() if key != "tensor"}


def clipping(gradients: list) -> dict | None:
    """How the applied `gradients` were made from the raw ones: None (they
    are raw), {"function", "arguments"} (one clipping of every one of them,
    the same), or {"function": None, "why": ...} (anything else)."""
    entries = [made.get(id(gradient)) for gradient in gradients]
    if all(entry is None for entry in entries) and all(id(g) in raw for g in gradients):
        return None
    if any(entry is None or id(entry["input"]) not in raw for entry in entries):
        return {"function": None, "why": "the applied gradients are not the computed ones, "
                                         "nor one clipping of them"}
    kinds = {(entry["function"], repr(entry["arguments"]), entry.get("call"))
             for entry in entries}
    if len(kinds) != 1:
        return {"function": None, "why": "the gradients are clipped in different ways"}
    return {"function": entries[0]["function"], "arguments": entries[0]["arguments"],
            "line": entries[0]["line"]}
