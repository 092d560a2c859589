"""The recurrent networks a traced script built (`tf.nn.static_rnn`,
`tf.nn.dynamic_rnn`, their `tf.contrib.rnn` names), for the trace's
manifest ("recurrent") and so for tf1-convert: the cell as the call knew
it (its class, units, forget bias, activation, state layout and the
variables it made), the tensors it read and gave, and the call's
arguments. The graph shows a recurrent network as hundreds of ops (a
while loop, or one cell per time step); the call says what they are.
"""

from __future__ import annotations

import functools

from tf1kit.run.patching import calling_line, replace

FUNCTIONS = ("static_rnn", "dynamic_rnn")
# A cell's variables by the attribute tf_keras's legacy cells keep them in.
CELL_VARIABLES = {"BasicRNNCell": ("kernel", "bias"), "BasicLSTMCell": ("kernel", "bias"),
                  "LSTMCell": ("kernel", "bias"),
                  "GRUCell": ("gate_kernel", "gate_bias", "candidate_kernel",
                              "candidate_bias")}
calls = []


def describe_cell(cell) -> dict:
    """A cell as the trace keeps it: its class and what decides its
    arithmetic; a wrapper or a stack of cells by its class and its cells."""
    kind = type(cell).__name__
    found = {"class": kind}
    if hasattr(cell, "_cells"):  # MultiRNNCell
        return {**found, "cells": [describe_cell(each) for each in cell._cells]}
    if hasattr(cell, "cell") and kind.endswith("Wrapper"):
        return {**found, "cells": [describe_cell(cell.cell)]}
    found["units"] = int(getattr(cell, "_num_units", 0)) or None
    activation = getattr(cell, "_activation", None)
    found["activation"] = getattr(activation, "__name__", None)
    for attribute in ("forget_bias", "state_is_tuple", "use_peepholes", "num_proj",
                      "cell_clip", "proj_clip", "reuse"):
        value = getattr(cell, f"_{attribute}", None)
        if isinstance(value, (bool, int, float)) or value is None:
            found[attribute] = value
    found["variables"] = {part: getattr(cell, f"_{part}").op.name
                          for part in CELL_VARIABLES.get(kind, ())
                          if getattr(cell, f"_{part}", None) is not None}
    return found


def _names(value) -> list:
    """The tensors of a nested structure (a list of outputs, a state tuple), by name."""
    if hasattr(value, "op"):
        return [value.name]
    if isinstance(value, (list, tuple)):
        return [name for item in value for name in _names(item)]
    return []


def _recording(function, name: str):
    @functools.wraps(function)
    def wrapper(cell, inputs, *args, **kwargs):
        result = function(cell, inputs, *args, **kwargs)
        outputs, state = result
        given = dict(zip(("initial_state", "dtype", "sequence_length") if name == "static_rnn"
                         else ("sequence_length", "initial_state", "dtype"), args))
        given.update(kwargs)
        calls.append({"function": name, "cell": describe_cell(cell),
                      "inputs": _names(inputs), "outputs": _names(outputs),
                      "state": _names(state),
                      "time_major": bool(given.get("time_major", False)),
                      "sequence_length": _names(given.get("sequence_length")) or None,
                      "initial_state": _names(given.get("initial_state")) or None,
                      "line": calling_line()})
        return result
    return wrapper


def install(v1) -> None:
    """Record every tf.compat.v1.nn static_rnn / dynamic_rnn call from now on."""
    for name in FUNCTIONS:
        replace(v1.nn, name, lambda function, name=name: _recording(function, name))
