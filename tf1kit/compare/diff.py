"""Where a rewrite parts from the TF1 script it replaces, from two step
traces (tf1kit/trace/tracefile.py): `python -m tf1kit.compare ORIGINAL REWRITE`.

1. Variables are matched: by a map file, else by shape, a shape held by
   several variables resolved by their starting values (a faithful rewrite
   starts from the original's); what stays ambiguous is stated and refused
   until mapped (`--propose-map` writes the creation-order guess to edit).
2. The starting states are compared ("another starting state for X").
3. Step by step, over the steps both traces hold, every tensor's digest in
   dataflow order: inputs (another batch order, or the same examples in
   other arithmetic), loss, gradients, optimizer slots, weights. The first
   that differs is the birth: its size in ulps where both traces kept the
   step's values, and every slot and weight of that step judged on both sides
   (tf1kit/float32/optimizers.py: TF1's kernel in float64 from the side's own
   gradient and state, against its float32 error bound).
"""

from __future__ import annotations

import collections
import dataclasses
import json

import numpy as np

from tf1kit.errors import DataError
from tf1kit.compare import explain, forward

ORDER = explain.ORDER


@dataclasses.dataclass
class Mapping:
    """Original name -> rewrite name, for variables and inputs, and the
    original's loss fetch."""

    variables: dict
    inputs: dict
    loss: str | None
    rewrite_loss: str = "loss"  # a Keras rewrite's; a TF1 trace's is the tensor's name
    state: dict = dataclasses.field(default_factory=dict)  # moving statistics, by the map
    random: dict = dataclasses.field(default_factory=dict)  # a static RNN's step ops, by the map


@dataclasses.dataclass
class Finding:
    """The outcome: MATCH or MISMATCH, and the lines that say why."""

    match: bool
    lines: list
    step: int | None = None     # the first step that differs
    birth: str | None = None    # the kind of its first differing tensor
    mapping: Mapping | None = None


def _shape(trace, name: str):
    for entry in trace.manifest.get("variables", []):
        if entry["name"] == name:
            return tuple(entry["shape"])
    value = (trace.variables or {}).get(name)
    return None if value is None else tuple(np.shape(value))


def _names(trace) -> list:
    return [entry["name"] for entry in trace.manifest.get("variables", [])] or \
        list(trace.variables or {})


def propose_map(original, rewrite) -> dict:
    """Variables paired by shape in creation order: a guess to edit."""
    by_shape = collections.defaultdict(list)
    for name in _names(rewrite):
        by_shape[_shape(rewrite, name)].append(name)
    proposal = {}
    for name in _names(original):
        candidates = by_shape.get(_shape(original, name))
        if candidates:
            proposal[name] = candidates.pop(0)
    return proposal


def match_variables(original, rewrite, given: dict | None) -> dict:
    """{original variable: rewrite variable} (see the module docstring)."""
    if given:
        missing = [name for name in given if name not in _names(original)] + \
            [name for name in given.values() if name not in _names(rewrite)]
        if missing:
            raise DataError(f"the map names {missing[0]}, which neither trace has as a "
                            f"variable (original: {_names(original)[:6]}, rewrite: "
                            f"{_names(rewrite)[:6]})")
        return dict(given)
    groups = collections.defaultdict(lambda: ([], []))
    for name in _names(original):
        groups[_shape(original, name)][0].append(name)
    for name in _names(rewrite):
        groups[_shape(rewrite, name)][1].append(name)
    found = {}
    for shape, (ours, theirs) in groups.items():
        if len(ours) != len(theirs):
            raise DataError(f"shape {shape}: {len(ours)} variable(s) in the original "
                            f"({', '.join(ours) or 'none'}), {len(theirs)} in the rewrite "
                            f"({', '.join(theirs) or 'none'}): the models differ, or give "
                            "--map MAP.json")
        if len(ours) == 1:
            found[ours[0]] = theirs[0]
            continue
        by_value = {}
        for name in ours:
            same = [other for other in theirs if _same_start(original, name, rewrite, other)]
            if len(same) == 1:
                by_value[name] = same[0]
        if len(by_value) == len(ours) and len(set(by_value.values())) == len(ours):
            found.update(by_value)
            continue
        raise DataError(f"ambiguous: shape {shape} is held by {', '.join(ours)} in the original "
                        f"and {', '.join(theirs)} in the rewrite, and their starting values "
                        "do not pair them: map them in a file (--map MAP.json; "
                        "--propose-map OUT.json writes the creation-order guess to edit)")
    return found


def _same_bits(a, b) -> bool:
    """Whether two values are the same float32 bits (None is no value)."""
    return a is not None and b is not None and \
        np.asarray(a, np.float32).tobytes() == np.asarray(b, np.float32).tobytes()


def _same_start(original, name, rewrite, other) -> bool:
    return _same_bits((original.variables or {}).get(name), (rewrite.variables or {}).get(other))


def _first_step_names(trace, kind: str) -> list:
    """The names of `kind` in a trace's first step, in its order."""
    digests = trace.steps[0]["digests"] if trace.steps else {}
    return [key.partition(" ")[2] for key in digests if key.startswith(kind + " ")]


def _inputs_and_loss(original, rewrite, given: dict) -> tuple[dict, str | None]:
    """The inputs paired (the map's, else the original's feeds by name with
    the rewrite's in the order it recorded them, or by name between two TF1
    traces) and the original's loss (the map's, else the one its optimizer
    minimizes, else the one scalar its training call fetched); a map's loss
    that the original's steps do not hold is refused."""
    inputs = given.get("inputs")
    if inputs is None:
        ours = sorted(_first_step_names(original, "input"))
        theirs = _first_step_names(rewrite, "input")
        inputs = {name: name for name in ours} if set(ours) == set(theirs) else \
            dict(zip(ours, theirs)) if len(ours) == len(theirs) else {}
    losses = _first_step_names(original, "loss")
    if given.get("loss") is not None and given["loss"] not in losses:
        raise DataError(f"the map's loss {given['loss']} is not a loss the original's steps "
                        f"hold (they hold: {', '.join(losses) or 'none'})")
    minimized = [entry.get("loss") for entry in original.manifest.get("optimizers", [])
                 if entry.get("loss") in losses]
    return inputs, given.get("loss") or (minimized[0] if minimized else
                                         losses[0] if len(losses) == 1 else None)


def _rename(kind: str, name: str, mapping: Mapping) -> str | None:
    """The rewrite's name of the original's tensor (None: no counterpart)."""
    if kind == "input":
        return mapping.inputs.get(name)
    if kind == "loss":  # another loss (a GAN's second optimizer's): under its own name
        return mapping.rewrite_loss if name == mapping.loss else name
    if kind == "random":  # a TF1Dropout records under the TF1 op name it reproduces
        return mapping.random.get(name, name)  # (another step's: tf1kit.keras.draw_key)
    if kind == "state":  # a batch norm's moving statistics: the map's names, else the same
        return mapping.state.get(name, name)
    if name in mapping.variables:
        return mapping.variables[name]
    # a slot, `<variable>/<slot>`: the variable's own name may hold slashes
    # (`discriminator/score/bias/rms`), the longest one that fits is it
    for variable in sorted(mapping.variables, key=len, reverse=True):
        if name.startswith(variable + "/"):
            return mapping.variables[variable] + name[len(variable):]
    return name if kind == "slot" else None  # non-slot variables: the same name


def _size(a, b) -> str:
    return forward.size(a, b)


def compare(original, rewrite, given: dict | None = None) -> Finding:
    """The finding for two traces with steps (see the module docstring)."""
    given = given or {}
    variables = match_variables(original, rewrite, given.get("variables"))
    inputs, loss = _inputs_and_loss(original, rewrite, given)
    first = rewrite.steps[0]["digests"] if rewrite.steps else {}
    mapping = Mapping(variables, inputs, loss, loss if f"loss {loss}" in first else "loss",
                      dict(given.get("state") or {}), dict(given.get("random") or {}))
    lines = [f"variables: {len(variables)} matched"
             + (" (by the map)" if given.get("variables") else " (by shape and starting value)")
             + "; inputs: " + (", ".join(f"{a} <-> {b}" for a, b in inputs.items()) or "none")
             + f"; loss: {loss or 'not matched (name it in the map)'}"]
    state = _first_step_names(original, "state")
    unpaired = [name for name in state if f"state {_rename('state', name, mapping)}" not in first]
    if state:
        lines[0] += f"; state: {len(state) - len(unpaired)} of {len(state)} compared" + \
            (f" ({', '.join(unpaired[:3])} not in the rewrite's trace: its moving statistics "
             "are not proven)" if unpaired else "")
    for name, other in variables.items():
        a, b = (original.variables or {}).get(name), (rewrite.variables or {}).get(other)
        if a is not None and b is not None and not _same_bits(a, b):
            return Finding(False, lines + [f"MISMATCH: another starting state for {name} <-> "
                                           f"{other}: {_size(a, b)}; start the rewrite from "
                                           "the trace's `variables`"])
    common = min(len(original.steps), len(rewrite.steps))
    if common == 0:
        raise DataError("a trace holds no training steps: record with run_tf1 --trace, and "
                        "the rewrite with tf1kit.keras.recorder.StepRecorder")
    for index in range(common):
        step = index + 1
        ours, theirs = original.steps[index]["digests"], rewrite.steps[index]["digests"]
        differing = []
        for key, value in ours.items():
            kind, _, name = key.partition(" ")
            if kind not in ORDER:
                continue
            other = _rename(kind, name, mapping)
            if other is not None and f"{kind} {other}" in theirs and \
                    theirs[f"{kind} {other}"] != value:
                differing.append((kind, name, other))
        layer = forward.first_layer_difference(original, rewrite, step)
        if differing or layer:
            differing.sort(key=lambda item: ORDER.index(item[0]))
            found = explain.explain(original, rewrite, mapping, step, differing, layer)
            time = forward.first_time_step(original, rewrite, step)
            if time:  # a recurrent layer: the first time step that parts
                found.insert(1, f"time steps: {time}")
            loss_step = first_loss_difference(original, rewrite, mapping, common)
            found[0] += "" if loss_step is None else f" (losses differ from step {loss_step})"
            early = bool(differing) and differing[0][0] in ("input", "random")
            birth = "activation" if layer and not early else differing[0][0]
            return Finding(False, lines + found, step, birth, mapping)
    note = "" if len(original.steps) == len(rewrite.steps) else \
        f" (the traces hold {len(original.steps)} and {len(rewrite.steps)} steps: compared " \
        "the steps both hold)"
    return Finding(True, lines + [f"MATCH: {common} steps, every tensor both traces hold is "
                                  f"the same, bit for bit{note}"], mapping=mapping)


def first_loss_difference(original, rewrite, mapping: Mapping, steps: int) -> int | None:
    """The first of `steps` steps whose loss differs (None: none does)."""
    if mapping.loss is None:
        return None
    for index in range(steps):
        ours = original.steps[index]["digests"].get(f"loss {mapping.loss}")
        theirs = rewrite.steps[index]["digests"].get(f"loss {mapping.rewrite_loss}")
        if ours is not None and theirs is not None and ours != theirs:
            return index + 1
    return None


def read_map(path: str) -> dict:
    """A --map file: {"variables": {...}, "inputs": {...}, "loss": name}, or
    a plain {original variable: rewrite variable}."""
    try:
        with open(path, encoding="utf-8") as stream:
            found = json.load(stream)
    except (OSError, ValueError) as error:
        raise DataError(f"--map {path}: not a readable JSON map ({error})") from None
    if not isinstance(found, dict):
        raise DataError(f"--map {path}: expected a JSON object")
    return found if {"variables", "inputs", "loss"} & set(found) else {"variables": found}
