"""The forward pass and the random draws of a traced step, compared: which
layer of the rewrite is the first whose output the TF1 script never
computed, and whether a random op drew other values.

The original's activations are every tensor from its inputs to its loss
(tf1kit/run/activations.py), the rewrite's one per Keras layer, so a layer is
paired with a TF1 tensor, not a name with a name: walking the layers in
the order they ran, each takes the first later TF1 tensor of its shape
with the very same bits (between two TF1 traces, the tensor of its own
name). The first layer with no such tensor is where the
forward passes part; it is told against the nearest same-shaped tensor
(fewest elements differing), named with its script line. A rewrite's RNN
cell keeps its output at every time step: the first time step the
original never computed is named too (`first_time_step`).
"""

from __future__ import annotations

import numpy as np

from tf1kit.float32.ulps import ulp_distance
from tf1kit.trace.tracefile import TIME_STEPS


def _values(trace, step: int, kind: str) -> list:
    """[(name, float32 value)] of `kind` at `step`, in the trace's order."""
    names = [key.partition(" ")[2] for key in trace.steps[step - 1]["digests"]
             if key.startswith(kind + " ")]
    found = [(name, trace.step_value(step, kind, name)) for name in names]
    return [(name, np.asarray(value, np.float32)) for name, value in found if value is not None]


def _differing(a, b) -> int:
    return int((a.view(np.uint32) != b.view(np.uint32)).sum())


def size(a, b) -> str:
    """`N of M elements differ, max K ulp` for two same-shaped arrays."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    if a.shape != b.shape:
        return f"shapes {list(a.shape)} and {list(b.shape)}"
    return (f"{_differing(a, b):,} of {a.size:,} elements differ, max "
            f"{int(ulp_distance(a, b).max())} ulp")


def pair_layers(original, rewrite, step: int) -> list:
    """[(rewrite layer, original tensor, same bits)] for every layer of the
    rewrite that has a TF1 tensor of its shape later than the last paired
    (see the module docstring; where none has its bits, the nearest)."""
    ours, theirs = _values(original, step, "activation"), _values(rewrite, step, "activation")
    theirs = [(name, value) for name, value in theirs if not name.endswith(TIME_STEPS)]
    cursor, pairs, names = 0, [], {name for name, _ in ours}
    for position, (layer, output) in enumerate(theirs):
        candidates = [(index, name, value) for index, (name, value) in enumerate(ours)
                      if index >= cursor and value.shape == output.shape]
        if layer in names:  # two TF1 traces: the same tensor by its name
            candidates = [item for item in candidates if item[1] == layer] or candidates
        if not candidates:
            continue  # no TF1 tensor of its shape: a layer TF1 had no output for
        equal = [item for item in candidates if _differing(item[2], output) == 0]
        following = theirs[position + 1][1] if position + 1 < len(theirs) else None
        if not equal and following is not None and following.shape == output.shape and min(
                _differing(value, following) for _, _, value in candidates) < min(
                _differing(value, output) for _, _, value in candidates):
            continue  # TF1 fetched no output of it (a batch norm fused with its ReLU): the
            # layer after it is nearer the tensor TF1 kept
        index, name, _ = equal[0] if equal else min(
            candidates, key=lambda item: (_differing(item[2], output), -item[0]))
        pairs.append((layer, name, bool(equal)))
        cursor = index + 1
    return pairs


def first_layer_difference(original, rewrite, step: int) -> dict | None:
    """{"layer", "tensor", "size", "after"} for the first rewrite layer whose
    output no later TF1 activation equals bit for bit (`after`: the pair
    before it, or None), or None when every layer is paired or either
    trace kept no activations at `step`."""
    previous = None
    for layer, tensor, same in pair_layers(original, rewrite, step):
        if not same:
            return {"layer": layer, "tensor": tensor, "after": previous,
                    "size": size(original.step_value(step, "activation", tensor),
                                 rewrite.step_value(step, "activation", layer))}
        previous = (layer, tensor)
    return None


def first_time_step(original, rewrite, step: int) -> str | None:
    """For a rewrite's RNN cell whose output at some time step the original
    never computed (its outputs at every step: tracefile.TIME_STEPS, against
    the original's per-step tensors or the steps of its outputs), the line
    naming the first such step; None where every step has its tensor."""
    ours = _values(original, step, "activation")
    for name, value in _values(rewrite, step, "activation"):
        if not name.endswith(TIME_STEPS) or value.ndim != 3:
            continue
        count, batch, units = value.shape
        steps = [each for _, each in ours if each.shape == (batch, units)]
        sequences = [each for _, each in ours if each.shape == (batch, count, units)]
        if len(steps) < count and not sequences:
            continue  # the original kept no tensor per step (a while loop's final state)
        candidates = steps + [each[:, time] for each in sequences
                              for time in range(count)]  # a dynamic RNN's outputs, batch-major
        for time in range(count):
            if any(_differing(each, value[time]) == 0 for each in candidates):
                continue
            nearest = min(candidates, key=lambda each: ulp_distance(each, value[time]).max(),
                          default=None)  # the same step's tensor, slightly off
            return (f"{name[:-len(TIME_STEPS)]}: time step {time + 1} of {count} is the "
                    "first whose output the original never computed"
                    + (f" (against the nearest: {size(nearest, value[time])})"
                       if nearest is not None else ""))
    return None


def undrawn_random_ops(original, rewrite, step: int, mapping=None) -> list:
    """The random ops the original drew in `step` that the rewrite recorded
    no draw for (its own stream, if it has dropout at all); `mapping`'s
    `random` names a rewrite's draw of another op (a static RNN's step)."""
    theirs, renamed = rewrite.steps[step - 1]["digests"], getattr(mapping, "random", {})
    drawn = [key.partition(" ")[2] for key in original.steps[step - 1]["digests"]
             if key.startswith("random ")]
    return [name for name in drawn if f"random {renamed.get(name, name)}" not in theirs]


def describe_random(original, op_name: str) -> str:
    """`dropout/random_uniform/RandomUniform (cnn.py:70 `fc1 = ...`)`."""
    entry = original.random_ops.get(op_name, {})
    where = " ".join(part for part in (entry.get("line"), f"`{entry['code']}`"
                                       if entry.get("code") else "") if part)
    return f"{op_name} ({where})" if where else op_name


def line_of(original, tensor: str) -> str:
    """`cnn.py:70 `code`` : the script line that made an activation, as the
    trace recorded it ("" when it did not)."""
    where, _, code = (original.manifest.get("activations") or {}).get(tensor, "").partition(" ")
    return f"{where} `{code}`" if code else where
