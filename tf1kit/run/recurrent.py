"""The recurrent networks a traced script built (`tf.nn.static_rnn`,
`tf.nn.dynamic_rnn`, their bidirectional forms, their `tf.contrib.rnn`
names), for the trace's
manifest ("recurrent") and so for tf1-convert: the cell as the call knew
it (its class, units, forget bias, activation, state layout and the
variables it made), the tensors it read and gave, and the call's
arguments. The graph shows a recurrent network as hundreds of ops (a
while loop, or one cell per time step); the call says what they are. A
dynamic_rnn over a DropoutWrapper runs one loop iteration at a time
(`_drops`: TF1 draws its masks in a racing order otherwise); a
static_rnn's DropoutWrapper ops are listed with their seeds, step by step.
"""

from __future__ import annotations

import functools

from tf1kit.run.patching import calling_line, replace

# Each function's positional arguments after its cells and inputs.
FUNCTIONS = {"static_rnn": ("initial_state", "dtype", "sequence_length"),
             "dynamic_rnn": ("sequence_length", "initial_state", "dtype"),
             "static_bidirectional_rnn": ("initial_state_fw", "initial_state_bw", "dtype",
                                          "sequence_length"),
             "bidirectional_dynamic_rnn": ("sequence_length", "initial_state_fw",
                                           "initial_state_bw", "dtype")}
# A cell's variables by the attribute tf_keras's legacy cells keep them in.
CELL_VARIABLES = {"BasicRNNCell": ("kernel", "bias"), "BasicLSTMCell": ("kernel", "bias"),
                  "LSTMCell": ("kernel", "bias", "w_f_diag", "w_i_diag", "w_o_diag",
                               "proj_kernel"),
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
        found["cells"] = [describe_cell(cell.cell)]
        for attribute in ("input_keep_prob", "output_keep_prob", "state_keep_prob"):
            value = getattr(cell, f"_{attribute}", None)  # a number, or a tensor (by name)
            if value is not None:
                found[attribute] = value if isinstance(value, (int, float)) else \
                    getattr(value, "name", str(value))
        if getattr(cell, "_variational_recurrent", None) is not None:
            found["variational_recurrent"] = bool(cell._variational_recurrent)
        return found
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


def _drops(cell) -> bool:
    """Whether a cell (or a cell of a stack) is a DropoutWrapper that draws:
    its draws inside dynamic_rnn's while loop are taken in the order the
    executor runs the iterations, up to 32 at once by default, so the same
    script with the same seeds draws other masks from run to run (measured:
    4 of 9 runs of a two-layer stack on Zen 4); one iteration at a time
    they are taken step after step, as a rewrite draws them (MIGRATION.md
    T34). Only the schedule changes: the values are TF1's in-order run's."""
    if cell is None:
        return False
    if type(cell).__name__ == "DropoutWrapper":
        return any(not isinstance(getattr(cell, f"_{which}_keep_prob", 1.0), (int, float)) or
                   getattr(cell, f"_{which}_keep_prob", 1.0) < 1
                   for which in ("input", "output", "state"))
    return any(_drops(each) for each in getattr(cell, "_cells", []) or
               ([cell.cell] if hasattr(cell, "cell") else []))


def _names(value) -> list:
    """The tensors of a nested structure (a list of outputs, a state tuple), by name."""
    if hasattr(value, "op"):
        return [value.name]
    if isinstance(value, (list, tuple)):
        return [name for item in value for name in _names(item)]
    return []


def _recording(function, name: str, v1):
    bidirectional = "bidirectional" in name

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        cells = 2 if bidirectional else 1
        drops = any(_drops(cell) for cell in args[:cells]) or any(
            _drops(kwargs.get(key)) for key in ("cell", "cell_fw", "cell_bw"))
        forced = drops and name.endswith("dynamic_rnn")
        if forced:  # DEPARTURE: one iteration at a time
            kwargs["parallel_iterations"] = 1
        graph = v1.get_default_graph()
        before = len(graph.get_operations())
        result = function(*args, **kwargs)
        # a static RNN's dropout ops, every one (a step whose output nothing
        # reads never runs, and no training call shows its seeds); not the
        # cells' variables' initializers, made in the first step
        drawn = [[op.name, int(op.get_attr("seed")), int(op.get_attr("seed2"))]
                 for op in graph.get_operations()[before:]
                 if op.type == "RandomUniform" and "/Initializer/" not in op.name] \
            if drops and name == "static_rnn" else []
        given = dict(zip(("cell_fw", "cell_bw")[:cells] if bidirectional else ("cell",),
                         args[:cells]))
        given.update(zip(("inputs", *FUNCTIONS[name]), args[cells:]))
        given.update(kwargs)
        if bidirectional:  # static: (outputs, state_fw, state_bw); dynamic: ((fw, bw), (fw, bw))
            outputs, state, backward = (result[0], result[1][0], result[1][1]) \
                if name == "bidirectional_dynamic_rnn" else result
            cell, initial = given["cell_fw"], [given.get("initial_state_fw"),
                                                given.get("initial_state_bw")]
        else:
            (outputs, state), backward = result, None
            cell, initial = given["cell"], given.get("initial_state")
        calls.append({"function": name, "cell": describe_cell(cell),
                      **({"backward_cell": describe_cell(given["cell_bw"]),
                          "backward_state": _names(backward)} if bidirectional else {}),
                      "inputs": _names(given["inputs"]), "outputs": _names(outputs),
                      "state": _names(state),
                      "time_major": bool(given.get("time_major", False)),
                      "sequence_length": _names(given.get("sequence_length")) or None,
                      "initial_state": _names(initial) or None,
                      **({"parallel_iterations": 1} if forced else {}),
                      **({"dropout_ops": drawn} if drawn else {}),
                      "line": calling_line()})
        return result
    return wrapper


def install(v1) -> None:
    """Record every tf.compat.v1.nn static_rnn / dynamic_rnn call and their
    bidirectional forms' from now on (each direction's inner call is not
    recorded again: TF1 calls its module's own function)."""
    for name in FUNCTIONS:
        replace(v1.nn, name, lambda function, name=name: _recording(function, name, v1))
