"""The variables a TF1 training call writes besides its optimizers' (a
batch norm's moving statistics, through `tf.control_dependencies(
UPDATE_OPS)` or fetched beside the train op; contrib's in place), found in
the graph and described as the trace's "state_updates": the statistic
each moving average reads and its rate, each chosen by a tf.cond where
tf.layers put them in one. Read by tf1kit/run/optimizer_watch.py."""

from __future__ import annotations

import numpy as np


def constant(op):
    """A scalar Const's value as a float, else None."""
    if op.type != "Const":
        return None
    from tensorflow.python.framework import tensor_util
    value = tensor_util.MakeNdarray(op.get_attr("value"))
    return float(value) if value.shape == () else None


# Ops that write a variable in place outside an optimizer's update (ref and
# resource variables; optimizer_watch's clips and writes between steps).
ASSIGN_TYPES = ("Assign", "AssignAdd", "AssignSub", "AssignVariableOp", "AssignAddVariableOp",
                "AssignSubVariableOp", "ScatterUpdate", "ScatterAdd", "ScatterSub")
# Those a training call's state is written by: the whole variable (a scatter's
# rows are not a moving statistic).
STATE_WRITES = tuple(kind for kind in ASSIGN_TYPES if not kind.startswith("Scatter"))


def state_writes(train_ops: list) -> dict:
    """{variable name: its assign op} for the variables a call of
    `train_ops` writes with an assign of its own (a batch norm's moving
    statistics, run through `tf.control_dependencies(UPDATE_OPS)`; the
    optimizer's counters too), in creation order: walked over inputs and
    control inputs, through a tf.cond's Switch of the variable to it."""
    graph = train_ops[0].graph
    stack, seen, found = list(train_ops), set(), {}
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type in STATE_WRITES:
            found.setdefault(_through_switches(op.inputs[0]).op.name, op)
        stack.extend(tensor.op for tensor in op.inputs)
        stack.extend(op.control_inputs)
    return {variable.op.name: found[variable.op.name]
            for variable in graph.get_collection("variables") if variable.op.name in found}


def _through_switches(tensor):
    """The tensor a tf.cond's Switch (or an Identity) passes on, followed back."""
    while tensor.op.type in ("RefSwitch", "Switch", "Identity", "RefIdentity"):
        tensor = tensor.op.inputs[0]
    return tensor


def describe_update(variable: str, op) -> dict:
    """A state variable's update as the manifest's "state_updates" holds it:
    TF1's moving average `v -= (v - statistic) * rate` (tf.layers', contrib's
    and ExponentialMovingAverage's AssignSub) gives the statistic's tensor
    and the rate, each either as it is or, chosen by a tf.cond, as
    {"fed": the tensor its predicate reads, "true": ..., "false": ...};
    any other write: its op type only."""
    found = {"variable": variable, "op": op.name, "type": op.type}
    delta = op.inputs[1].op if len(op.inputs) > 1 else None
    if op.type in ("AssignSub", "AssignSubVariableOp") and delta is not None and \
            delta.type == "Mul" and delta.inputs[0].op.type == "Sub":
        rate = _chosen(_through_switches(delta.inputs[1]), _rate)
        current, statistic = (_through_switches(tensor) for tensor in delta.inputs[0].op.inputs)
        statistic = _chosen(statistic, lambda tensor: _through_switches(tensor).name)
        if rate is not None and statistic is not None and \
                current.op.name in (variable, f"{variable}/read"):
            found.update(form="moving_average", statistic=statistic, rate=rate)
    return found


def _rate(tensor):
    """A rate's number: a Const, or `1 - m` of a Const m in float32 (the
    tf.layers fused path's `1 - cond(training, momentum, 1.0)`)."""
    number = constant(tensor.op)
    if number is not None or tensor.op.type != "Sub":
        return number
    one, momentum = (_chosen(each, lambda chosen: constant(chosen.op))
                     for each in tensor.op.inputs)
    if one != 1.0 or momentum is None:
        return None
    if isinstance(momentum, dict):
        return {**momentum, **{branch: float(np.float32(1.0) - np.float32(momentum[branch]))
                               for branch in ("true", "false")}}
    return float(np.float32(1.0) - np.float32(momentum))


def _chosen(tensor, value):
    """`value(tensor)`, or for a tf.cond's Merge, {"fed": the tensor its
    predicate reads (through the cond's Identity), "true": value of the
    true branch's input, "false": the other's}; None where it cannot say."""
    if tensor.op.type != "Merge":
        return value(tensor)
    found = {}
    for each in tensor.op.inputs:
        context = getattr(each.op, "_control_flow_context", None)
        if each.op.type in ("Switch", "RefSwitch"):  # the branch is the port
            branch, context = each.value_index, getattr(each.op.inputs[1].op,
                                                        "_control_flow_context", None)
            predicate = each.op.inputs[1]
        elif hasattr(context, "branch"):
            branch, predicate = context.branch, context.pred
        else:
            return None
        while predicate.op.type == "Identity":  # the cond's pred_id, to the fed bool
            predicate = predicate.op.inputs[0]
        chosen = value(each)
        if chosen is None or isinstance(chosen, dict):
            return None
        found["true" if branch else "false"], found["fed"] = chosen, predicate.name
    return found if len(found) == 3 else None
