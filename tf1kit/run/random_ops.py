"""The stateful random ops a TF1 script's `Session.run` calls execute, and
where each op's Philox stream stands: what a rewrite needs to draw the
same values (tf1kit/keras/random_ops.py), recorded by tf1kit/run/session.py.

Which ops a call runs is read from the graph: the ops its fetches depend
on (inputs and control inputs), a fed tensor cutting the path, as TF1's
pruning does. Each such op's output is fetched in the same call (it is
computed anyway; fetching it draws nothing more), which gives the values
and their count: TF1's op takes `elements x 256` blocks of its generator
per run (tf1kit/trace/tracefile.PHILOX_BLOCKS_PER_ELEMENT), so the position before a
training step is the sum over every earlier run, evaluations included.
An op inside a `tf.cond` runs when its branch is taken: where the
predicate is a fed tensor (`training=is_training`, through the cond's
Identity ops) or a `placeholder_with_default` left at its constant, each
call's feeds say which branch runs, and the op is counted only then (a
branch not taken computes nothing, so its generator does not advance). An
op in the while loop of a `dynamic_rnn` the trace recorded (a
DropoutWrapper's dropout) runs once per time step: each call that runs the
loop advances it by time steps x batch x the op's other dimensions, read
from the sequence's shape fetched in the call; its position is kept, its
values are not (they cannot be fetched from inside the loop). Any other op
in a `tf.while_loop`, or under a predicate computed otherwise, is named in
the trace as not traced rather than guessed at.
"""

from __future__ import annotations

import linecache
import os

import numpy as np

from tf1kit.trace.tracefile import PHILOX_BLOCKS_PER_ELEMENT, RANDOM_TYPES, REPRODUCIBLE

def script_line(op, script: str) -> tuple[str, str]:
    """(`file.py:LINE`, the source line) of the script's frame that created
    `op` (the innermost frame in the script), or ("", "") if none is."""
    frames = [frame for frame in (op.traceback or ())
              if os.path.abspath(frame[0]) == script]
    if not frames:
        return "", ""
    filename, line = frames[-1][:2]
    return f"{os.path.basename(filename)}:{line}", linecache.getline(filename, line).strip()


def script_frames(op, script: str) -> list:
    """[(`file.py:LINE`, the function)] of the script's frames that created
    `op`, outermost first (a module-level line's function: "<module>")."""
    return [(f"{os.path.basename(frame[0])}:{frame[1]}", frame[2])
            for frame in (op.traceback or ())
            if script and os.path.abspath(frame[0]) == script]


def fetched_ops(graph, leaves: list) -> list:
    """The ops of a call's fetch leaves, in order: a tensor's or a variable's
    op, an op, or what a name names; a leaf that names nothing is left out."""
    found = []
    for leaf in leaves:
        op = getattr(leaf, "op", None)  # a tensor's, or a (resource) variable's
        if op is None:  # an op, or a name
            try:
                element = graph.as_graph_element(leaf, allow_tensor=True,
                                                 allow_operation=True)
            except (TypeError, ValueError, KeyError):
                continue
            op = getattr(element, "op", element)
        if hasattr(op, "type"):
            found.append(op)
    return found


def loop_sequence(op, calls: list):
    """(the batch-major sequence tensor the `dynamic_rnn` whose while loop
    runs `op` reads, the elements of one run of `op` per batch row), else
    None: one loop, no cond inside it, the op's other dimensions known."""
    context = getattr(op, "_control_flow_context", None)
    if context is None or hasattr(context, "branch") or context.outer_context is not None:
        return None
    prefix = context.name.rsplit("/while", 1)[0] + "/"  # rnn/while/while_context -> rnn/
    shape = op.outputs[0].shape
    if shape.rank is None or shape.rank < 2 or None in shape.as_list()[1:]:
        return None
    for call in calls:
        given = call["outputs"] + call["state"] + call.get("backward_state", [])
        if call["function"].endswith("dynamic_rnn") and not call["time_major"] and \
                any(name.startswith(prefix) for name in given) and call["inputs"]:
            return call["inputs"][0], int(np.prod(shape.as_list()[1:]))
    return None


def cond_conditions(op) -> list | None:
    """[(predicate tensor, branch)] of each `tf.cond` (v1: Switch/Merge) around
    `op`, innermost first; [] outside control flow; None inside a while loop."""
    found, context = [], getattr(op, "_control_flow_context", None)
    while context is not None:
        if not hasattr(context, "branch"):  # a WhileContext (or XLA's)
            return None
        found.append((context.pred, context.branch))
        context = context.outer_context
    return found


def predicate_value(predicate, fed: dict) -> bool | None:
    """A cond's predicate as a call with these feeds computes it, where the
    feeds decide it: a fed tensor reached through Identity ops (the cond's
    own `pred_id`), or an unfed `placeholder_with_default`'s constant;
    else None."""
    tensor = predicate
    while True:
        if tensor.name in fed:
            return bool(np.asarray(fed[tensor.name]))
        if tensor.op.type == "Const":
            from tensorflow.python.framework import tensor_util  # loaded with the script's graph
            return bool(tensor_util.MakeNdarray(tensor.op.get_attr("value")))
        if tensor.op.type not in ("Identity", "PlaceholderWithDefault") or not tensor.op.inputs:
            return None
        tensor = tensor.op.inputs[0]


class RandomOps:
    """Per graph and call: the random ops run, their stream positions."""

    def __init__(self, script: str, recurrent_calls: list | None = None):
        self.script = script  # (the list the recorder appends to as the script builds)
        self.recurrent_calls = [] if recurrent_calls is None else recurrent_calls
        self._cache, self._loop_shapes = {}, {}
        self.ops = {}        # op name -> the manifest entry being built
        self.positions = {}  # op name -> blocks consumed so far

    def run_by(self, graph, leaves: list, fed: dict) -> list:
        """The stateful random ops (Operations) a call with these fetch
        leaves and feeds (tensor name -> value) runs, in creation order: an
        op in a `tf.cond` where the feeds take its branch; ops inside other
        control flow are noted in the entry and left out."""
        found = [op for op, conditions in self._reached(graph, leaves, set(fed))
                 if self._taken(op, conditions, fed)]
        for op in found:  # a cond marks its ops unfetchable; in the taken branch they run
            if "loop" not in self.ops[op.name]:
                graph._unfetchable_ops.discard(op)
        return found

    def fetched_for(self, op):
        """What a call fetches to count `op`'s draws: its output, or for an
        op in a dynamic_rnn's loop the shape of the sequence the loop reads."""
        loop = self.ops[op.name].get("loop")
        if loop is None:
            return op.outputs[0]
        if op.name not in self._loop_shapes:
            import tensorflow as tf
            with op.graph.as_default(), tf.compat.v1.control_dependencies(None):
                self._loop_shapes[op.name] = tf.shape(
                    op.graph.get_tensor_by_name(loop["sequence"]))
        return self._loop_shapes[op.name]

    def _taken(self, op, conditions, fed: dict) -> bool:
        """Whether a call with these feeds runs `op` (in no control flow, or
        in the taken branch of each cond around it); an op whose branch
        the feeds do not decide is marked not traced from then on."""
        if "loop" in self.ops[op.name]:
            return True  # the loop runs whole whenever its output is needed
        if conditions is None or not self.ops[op.name]["traced"]:
            return False
        for predicate, branch in conditions:
            value = predicate_value(predicate, fed)
            if value is None:
                self.ops[op.name].update(traced=False, reproducible=False,
                                         why=f"its tf.cond's predicate {predicate.name} is "
                                             "not a fed tensor or a constant")
                return False
            if value != bool(branch):
                return False
        return True

    def _reached(self, graph, leaves: list, fed_names: set) -> list:
        """[(op, its conditions)] for the random ops the fetches depend on
        (cond_conditions: None for an op tf1-run cannot follow)."""
        key = (id(graph), tuple(str(getattr(leaf, "name", leaf)) for leaf in leaves),
               tuple(sorted(fed_names)))
        if key not in self._cache:
            stack = fetched_ops(graph, leaves)
            seen = set()
            while stack:
                op = stack.pop()
                if op in seen:
                    continue
                seen.add(op)
                stack.extend(tensor.op for tensor in op.inputs if tensor.name not in fed_names)
                stack.extend(op.control_inputs)
            found = sorted((op for op in seen if op.type in RANDOM_TYPES), key=lambda op: op._id)
            for op in found:
                self._entry(op)
            self._cache[key] = [(op, cond_conditions(op)) for op in found]
        return self._cache[key]

    def _entry(self, op) -> dict:
        if op.name not in self.ops:
            line, code = script_line(op, self.script)
            attributes = {name: int(op.get_attr(name)) for name in ("seed", "seed2")
                          if name in op.node_def.attr}
            conditions = cond_conditions(op)
            self.ops[op.name] = {"name": op.name, "type": op.type, **attributes,
                                 "line": line, "code": code,
                                 "reproducible": op.type in REPRODUCIBLE and
                                 conditions is not None,
                                 "traced": conditions is not None, "runs": 0, "positions": {}}
            loop = loop_sequence(op, self.recurrent_calls) if conditions is None else None
            if loop is not None:  # counted, not fetched
                self.ops[op.name].update(
                    reproducible=op.type in REPRODUCIBLE, loop={
                        "sequence": loop[0], "per_row": loop[1]},
                    why="it runs at every time step of a dynamic_rnn's while loop: its "
                        "position is counted, its values are not kept")
            elif conditions is None:
                self.ops[op.name]["why"] = "it runs inside a tf.while_loop"
            elif conditions:  # the branch it runs in: the predicate's tensor, True or False
                self.ops[op.name]["conditions"] = [[predicate.name, bool(branch)]
                                                   for predicate, branch in conditions]
            self.positions[op.name] = 0
        return self.ops[op.name]

    def drew(self, ops: list, values: list, step: int | None) -> dict:
        """Account one call's draws; with `step` (a training step's number)
        note each op's position before it. {op name: values}."""
        drawn = {}
        for op, value in zip(ops, values):
            entry, array = self.ops[op.name], np.asarray(value)
            if step is not None:
                entry["positions"][str(step)] = self.positions[op.name]
                if "loop" not in entry:
                    drawn[op.name] = array
            entry["runs"] += 1
            if "loop" in entry:  # the sequence's shape [batch, time steps, ...]
                size = int(array[0]) * int(array[1]) * entry["loop"]["per_row"]
            else:
                entry["shape"], size = list(array.shape), array.size
            self.positions[op.name] += size * PHILOX_BLOCKS_PER_ELEMENT
        return drawn

    def describe(self) -> list:
        """The manifest's "random_ops", in creation order."""
        return list(self.ops.values())
