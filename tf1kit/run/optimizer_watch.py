"""The TF1 optimizers a traced script builds: which update op is a training
step, the loss each minimizes (`minimize` passes it to `compute_gradients`;
for gradients from `tf.gradients`, the tensor its `grad_ys_0` is the shape
of), their slots and non-slot variables, and their hyperparameters for the
trace's manifest (tf1kit/run/session.py); which other calls write weights
(`assigns`: a weight clip, described by `clips` where it clips by numbers)."""

from __future__ import annotations

import numpy as np

from tf1kit.run import schedules
from tf1kit.run.random_ops import fetched_ops
from tf1kit.run.state_updates import (ASSIGN_TYPES, constant as _number, describe_update,
                                     state_writes)

# TF1 optimizers' hyperparameters, by their private attribute names.
HYPERPARAMETERS = {"_lr": "learning_rate", "_learning_rate": "learning_rate",
                   "_beta1": "beta1", "_beta2": "beta2", "_epsilon": "epsilon",
                   "_momentum": "momentum", "_use_nesterov": "use_nesterov",
                   "_decay": "decay", "_centered": "centered",
                   "_initial_accumulator_value": "initial_accumulator_value"}


def loss_of(gradients: list):
    """The tensor `tf.gradients` differentiated to give `gradients` (its
    `grad_ys_0` is `ones(shape(loss))`), or None when there is not one."""
    stack, seen, found = [gradient.op for gradient in gradients], set(), set()
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type == "Fill" and op.name.rsplit("/", 1)[-1].startswith("grad_ys_") \
                and op.inputs[0].op.type == "Shape":
            found.add(op.inputs[0].op.inputs[0])
            continue
        stack.extend(tensor.op for tensor in op.inputs)
    return found.pop() if len(found) == 1 else None


def _scalar(value):
    """A hyperparameter as a JSON number, or None when it is a tensor."""
    return value if isinstance(value, (int, float, bool)) else None


def watch(tf, optimizers: list) -> None:
    """Append {"op": update op, "optimizer", "pairs": [(gradient, variable)],
    "loss": the tensor it minimizes or None} to `optimizers` for every
    `apply_gradients` of a TF1 optimizer from now on."""
    optimizer_class = tf.compat.v1.train.Optimizer
    apply_gradients = optimizer_class.apply_gradients
    compute_gradients = optimizer_class.compute_gradients
    minimizing = {}

    def computed(optimizer, loss, *args, **kwargs):
        if isinstance(loss, tf.Tensor):  # minimize() passes its loss here
            minimizing[id(optimizer)] = loss
        result = compute_gradients(optimizer, loss, *args, **kwargs)
        schedules.computed_gradients(result)
        return result

    def watched(optimizer, grads_and_vars, global_step=None, name=None):
        grads_and_vars = list(grads_and_vars)
        op = apply_gradients(optimizer, grads_and_vars, global_step, name)
        pairs = [(g, v) for g, v in grads_and_vars
                 if g is not None and isinstance(g, tf.Tensor)]
        loss = minimizing.pop(id(optimizer), None)
        if loss is None:
            loss = loss_of([g for g, _ in pairs])
        optimizers.append({"op": op, "optimizer": optimizer, "pairs": pairs, "loss": loss,
                           "clip": schedules.clipping([g for g, _ in pairs]),
                           "global_step": None if global_step is None else
                           getattr(getattr(global_step, "op", None), "name", None)})
        return op
    optimizer_class.compute_gradients = computed
    optimizer_class.apply_gradients = watched




def assign_ops(graph, leaves: list) -> list:
    """The ops of a call's fetches (`leaves`, flattened) that write a
    variable: an assign, or a group of them (`clip_D = [p.assign(
    tf.clip_by_value(p, -c, c)) for p in theta_D]`), whose next step's
    starting state must be read anew."""
    stack, seen, found = fetched_ops(graph, leaves), set(), []
    stack.reverse()  # popped in the fetches' order
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type in ASSIGN_TYPES:
            found.append(op)
        elif op.type == "NoOp":  # tf.group: its control inputs
            stack.extend(reversed(op.control_inputs))
    return found


def assigns(graph, leaves: list) -> bool:
    """Whether a call's fetches write a variable (`assign_ops`)."""
    return bool(assign_ops(graph, leaves))


def clips(ops: list) -> list | None:
    """[{"variable", "min", "max"}] where every one of the assign `ops`
    writes its own variable clipped between two numbers (`p.assign(
    tf.clip_by_value(p, -0.01, 0.01))`, a WGAN's critic), else None."""
    found = []
    for op in ops:
        if op.type not in ("Assign", "AssignVariableOp"):  # a ref or a resource variable
            return None
        variable = op.inputs[0].op.name
        upper, lower = _clip_of(op.inputs[1].op, variable)
        if upper is None:
            return None
        found.append({"variable": variable, "min": lower, "max": upper})
    return found or None


def _clip_of(op, variable: str) -> tuple:
    """(max, min) of `Maximum(Minimum(variable, max), min)`, TF1's
    clip_by_value of the variable itself, else (None, None)."""
    if op.type != "Maximum" or op.inputs[0].op.type != "Minimum":
        return None, None
    minimum = op.inputs[0].op
    source = minimum.inputs[0].op
    if source.type in ("Identity", "ReadVariableOp"):  # a ref or resource variable's read
        source = source.inputs[0].op
    bounds = [_number(tensor.op) for tensor in (minimum.inputs[1], op.inputs[1])]
    if source.name != variable or None in bounds:
        return None, None
    return bounds[0], bounds[1]


def read_state(read, training: list, fetched: tuple = ()) -> dict:
    """{(kind, name): value}: every trainable variable, the slots and
    non-slot variables of the optimizers that train, then the other
    variables their call writes ("state": a batch norm's moving statistics)."""
    graph = training[0]["op"].graph
    wanted = {("weight", v.op.name): v for v in graph.get_collection("trainable_variables")}
    for entry in training:
        optimizer = entry["optimizer"]
        for _, variable in entry["pairs"]:
            for slot in optimizer.get_slot_names():
                found = optimizer.get_slot(variable, slot)
                if found is not None:
                    wanted[("slot", f"{variable.op.name}/{slot}")] = found
        for key, variable in sorted(getattr(optimizer, "_non_slot_dict", {}).items(),
                                    key=lambda item: str(item[0])):
            if variable.graph is graph:
                wanted[("slot", key[0] if isinstance(key, tuple) else str(key))] = variable
    for entry in training:
        walked = entry.setdefault("walked", {})  # each kind of call's state: found once
        if fetched not in walked:
            by_name = {variable.op.name: variable
                       for variable in graph.get_collection("variables")}
            taken = {getattr(variable, "op", variable).name for variable in wanted.values()}
            writes = {name: op for name, op in state_writes([entry["op"], *fetched]).items()
                      if name not in taken and name != entry.get("global_step")}
            walked[fetched] = {name: by_name[name] for name in writes}
            entry["writes"] = {**entry.get("writes", {}), **writes}
        wanted.update({("state", name): variable for name, variable in walked[fetched].items()})
    values = read(list(wanted.values()))
    return dict(zip(wanted, (np.asarray(value) for value in values)))


def describe(optimizers: list) -> list:
    """The manifest's "optimizers": class, hyperparameters (a learning rate
    from a tf.train schedule: "learning_rate_schedule"), variables, loss,
    slots, the clipping of its gradients and the global step it advances."""
    described = []
    for entry in optimizers:
        optimizer = entry["optimizer"]
        found = {"train_op": entry["op"].name, "class": type(optimizer).__name__,
                 "hyperparameters": {name: _scalar(getattr(optimizer, attribute))
                                     for attribute, name in HYPERPARAMETERS.items()
                                     if hasattr(optimizer, attribute)},
                 "variables": [v.op.name for _, v in entry["pairs"]],
                 "loss": None if entry["loss"] is None else entry["loss"].name,
                 "slots": list(optimizer.get_slot_names()),
                 "clip": entry.get("clip"), "global_step": entry.get("global_step"),
                 "state_updates": [describe_update(name, op)
                                   for name, op in entry.get("writes", {}).items()]}
        rate = getattr(optimizer, "_learning_rate", getattr(optimizer, "_lr", None))
        schedule = schedules.schedule_of(rate)
        if schedule is not None:
            found["learning_rate_schedule"] = schedule
        described.append(found)
    return described
