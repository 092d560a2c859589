"""Where a rewrite parts from the TF1 script it replaces, from two step
traces (common/run_trace.py): `python -m parity.trace ORIGINAL REWRITE`.

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
   (parity/optimizer_judge.py: TF1's kernel in float64 from the side's own
   gradient and state, against its float32 error bound).
"""

from __future__ import annotations

import collections
import dataclasses
import json

import numpy as np

from common.errors import DataError
from parity import judge, optimizer_judge, trace_forward
from parity.divergence import ulp_distance

ORDER = ("input", "random", "loss", "gradient", "slot", "weight")
# Inputs that differ by at most this many float32 ulps in every element are
# the same examples computed another way (x / 255 against TF1's x * (1/255)
# differs by one ulp on some pixels); farther apart, they are other examples.
INPUT_ROUNDING_ULPS = 4


@dataclasses.dataclass
class Mapping:
    """Original name -> rewrite name, for variables and inputs, and the
    original's loss fetch."""

    variables: dict
    inputs: dict
    loss: str | None


@dataclasses.dataclass
class Finding:
    """The outcome: MATCH or MISMATCH, and the lines that say why."""

    match: bool
    lines: list


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
    the rewrite's in the order it recorded them) and the original's loss
    (the map's, else the one scalar its training call fetched)."""
    inputs = given.get("inputs")
    if inputs is None:
        ours = sorted(_first_step_names(original, "input"))
        theirs = _first_step_names(rewrite, "input")
        inputs = dict(zip(ours, theirs)) if len(ours) == len(theirs) else {}
    losses = _first_step_names(original, "loss")
    return inputs, given.get("loss") or (losses[0] if len(losses) == 1 else None)


def _rename(kind: str, name: str, mapping: Mapping) -> str | None:
    """The rewrite's name of the original's tensor (None: no counterpart)."""
    if kind == "input":
        return mapping.inputs.get(name)
    if kind == "loss":
        return "loss" if name == mapping.loss else None
    if kind == "random":
        return name  # a TF1Dropout records under the TF1 op name it reproduces
    variable, _, slot = name.partition("/")
    if variable in mapping.variables:
        return mapping.variables[variable] + (f"/{slot}" if slot else "")
    return name if kind == "slot" else None  # non-slot variables: the same name


def _size(a, b) -> str:
    a32, b32 = np.asarray(a, np.float32), np.asarray(b, np.float32)
    if a32.shape != b32.shape:
        return f"shapes {list(a32.shape)} and {list(b32.shape)}"
    return trace_forward.size(a32, b32)


def compare(original, rewrite, given: dict | None = None) -> Finding:
    """The finding for two traces with steps (see the module docstring)."""
    given = given or {}
    variables = match_variables(original, rewrite, given.get("variables"))
    inputs, loss = _inputs_and_loss(original, rewrite, given)
    mapping = Mapping(variables, inputs, loss)
    lines = [f"variables: {len(variables)} matched"
             + (" (by the map)" if given.get("variables") else " (by shape and starting value)")
             + "; inputs: " + (", ".join(f"{a} <-> {b}" for a, b in inputs.items()) or "none")
             + f"; loss: {loss or 'not matched (name it in the map)'}"]
    for name, other in variables.items():
        a, b = (original.variables or {}).get(name), (rewrite.variables or {}).get(other)
        if a is not None and b is not None and not _same_bits(a, b):
            return Finding(False, lines + [f"MISMATCH: another starting state for {name} <-> "
                                           f"{other}: {_size(a, b)}; start the rewrite from "
                                           "the trace's `variables`"])
    common = min(len(original.steps), len(rewrite.steps))
    if common == 0:
        raise DataError("a trace holds no training steps: record with run_tf1 --trace, and "
                        "the rewrite with modern.tracing.StepRecorder")
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
        forward = trace_forward.first_layer_difference(original, rewrite, step)
        if differing or forward:
            differing.sort(key=lambda item: ORDER.index(item[0]))
            found = explain(original, rewrite, mapping, step, differing, forward)
            loss_step = first_loss_difference(original, rewrite, mapping, common)
            found[0] += "" if loss_step is None else f" (losses differ from step {loss_step})"
            return Finding(False, lines + found)
    note = "" if len(original.steps) == len(rewrite.steps) else \
        f" (the traces hold {len(original.steps)} and {len(rewrite.steps)} steps: compared " \
        "the steps both hold)"
    return Finding(True, lines + [f"MATCH: {common} steps, every tensor both traces hold is "
                                  f"the same, bit for bit{note}"])


def first_loss_difference(original, rewrite, mapping: Mapping, steps: int) -> int | None:
    """The first of `steps` steps whose loss differs (None: none does)."""
    if mapping.loss is None:
        return None
    for index in range(steps):
        ours = original.steps[index]["digests"].get(f"loss {mapping.loss}")
        theirs = rewrite.steps[index]["digests"].get("loss loss")
        if ours is not None and theirs is not None and ours != theirs:
            return index + 1
    return None


def _forward_line(original, rewrite, step: int, forward: dict, rest: str) -> str:
    """The first line when a layer's output is where the passes part: a
    random op's other draws when one on the same script line drew in the
    original and not in the rewrite, else the layer itself."""
    line = trace_forward.line_of(original, forward["tensor"])
    same = "" if forward["after"] is None else \
        f"; the layer before it, {forward['after'][0]} <-> {forward['after'][1]}, is the same"
    told = f"the rewrite's layer {forward['layer']} <-> {forward['tensor']}" + \
        (f" ({line})" if line else "") + f": {forward['size']}{same}"
    undrawn = [op for op in trace_forward.undrawn_random_ops(original, rewrite, step)
               if line and original.random_ops.get(op, {}).get("line") == line.split(" ")[0]]
    then = f"; then {rest}" if rest else ""
    if undrawn:
        return (f"MISMATCH: random op {trace_forward.describe_random(original, undrawn[0])} "
                f"draws other values at step {step}: the rewrite records no draw of TF1's "
                f"stream for it, and {told}: a dropout with its own seeds (stock "
                "keras.layers.Dropout) draws other masks; modern.tf1_random.TF1Dropout draws "
                f"TF1's{then}")
    return f"MISMATCH: first difference at step {step}: activation: {told}{then}"


def explain(original, rewrite, mapping: Mapping, step: int, differing: list,
            forward: dict | None = None) -> list:
    """The lines for the first step whose tensors differ (`forward`: the
    first layer whose output differs, trace_forward's finding)."""
    counts = collections.Counter(item[0] for item in differing)
    early = bool(differing) and differing[0][0] in ("input", "random")
    if forward is not None and not early:
        rest = ", ".join(f"{counts[k]} {k}" for k in ORDER if counts[k])
        return [_forward_line(original, rewrite, step, forward, rest),
                optimizer_check(original, rewrite, mapping, step, differing)]
    kind, name, other = differing[0]
    counts[kind] -= 1
    rest = ", ".join(f"{counts[k]} {k}" for k in ORDER if counts[k])
    a, b = original.step_value(step, kind, name), rewrite.step_value(step, kind, other)
    where = f"step {step}: {kind} {name} <-> {other}"
    undrawn = trace_forward.undrawn_random_ops(original, rewrite, step)
    if undrawn and kind != "input":
        where = (f"step {step} (random op {trace_forward.describe_random(original, undrawn[0])} "
                 "drew in the original, and the rewrite records no draw of TF1's stream for "
                 f"it: other draws are likely): {kind} {name} <-> {other}")
    if a is None or b is None:
        return [f"MISMATCH: first difference at {where} (digests only: record both with "
                f"--trace-steps {step} for its size and the optimizer check)"
                + (f"; then {rest}" if rest else "")]
    if kind == "input":
        a32, b32 = np.asarray(a, np.float32), np.asarray(b, np.float32)
        if a32.shape == b32.shape and ulp_distance(a32, b32).max() <= INPUT_ROUNDING_ULPS:
            return [f"MISMATCH: first difference at {where}: {_size(a, b)}: the same examples "
                    "in other arithmetic (for example x / 255 against TF1's x * (1 / 255))"]
        rows = int(np.any(a32 != b32, axis=tuple(range(1, a32.ndim))).sum()) \
            if a32.shape == b32.shape and a32.ndim > 1 else None
        return [f"MISMATCH: another batch order at step {step}: input {name} <-> {other}"
                + (f" differs in {rows} of {len(a32)} rows" if rows is not None else "")
                + "; feed the rewrite the trace's batch_order()"]
    if kind == "random":
        entry = original.random_ops.get(name, {})
        return [f"MISMATCH: random op {trace_forward.describe_random(original, name)} draws "
                f"other values at step {step}: {_size(a, b)}; TF1's stream there: seeds "
                f"({entry.get('seed')}, {entry.get('seed2')}), position "
                f"{entry.get('positions', {}).get(str(step))} (modern.tf1_random)"
                + (f"; then {rest}" if rest else "")]
    line = f"MISMATCH: first difference at {where}: {_size(a, b)}" + \
        (f"; then {rest}" if rest else "")
    return [line, optimizer_check(original, rewrite, mapping, step, differing)]


def optimizer_check(original, rewrite, mapping: Mapping, step: int, differing: list) -> str:
    """The judge on the optimizer's tensors of `step` (parity/judge.py's
    rule): every slot and new weight of each side recomputed in float64 by
    TF1's kernel from that side's own gradient and state before the step,
    and held to its float32 error bound."""
    record = (original.manifest.get("optimizers") or [{}])[0]
    kind = record.get("class", "this optimizer")
    slot_names = optimizer_judge.SLOTS.get(record.get("class"))
    if slot_names is None:
        return f"judge: {kind} is not judged (it knows {', '.join(optimizer_judge.SLOTS)})"
    checks = []
    for variable, renamed in mapping.variables.items():
        for side, trace, own in (("original", original, variable), ("rewrite", rewrite, renamed)):
            def value(kind_of, name):
                return trace.step_value(step, kind_of, name)
            before = {slot: value("initial", f"{own}/{slot}") for slot in slot_names}
            after = {slot: value("slot", f"{own}/{slot}") for slot in slot_names}
            inputs = [value("initial", own), value("gradient", own), value("weight", own),
                      *before.values(), *after.values()]
            if any(item is None for item in inputs):
                return (f"judge: step {step}'s values are incomplete on the {side}'s side "
                        f"(record with --trace-steps {step})")
            exact = optimizer_judge.judged(record, step, inputs[0], before, inputs[1], after)
            if exact is None:
                return f"judge: {kind} with these settings is not judged"
            recorded = {"weight": inputs[2], **after}
            checks += [{"side": side, **judge.check(
                "weight" if part == "weight" else "slot",
                own if part == "weight" else f"{own}/{part}", recorded[part], *exact[part])}
                for part in exact]
    beyond = [check for check in checks if not check["ratio"] <= 1.0]
    scope = (f"judge ({kind} by TF1's kernel from each side's own gradients and state, every "
             f"slot and weight of step {step})")
    if beyond:
        first = beyond[0]
        return (f"{scope}: the {first['side']}'s {first['kind']} {first['tensor']} is "
                f"{first['ratio']:.3g}x its float32 error bound (error {first['error']:.3g}, "
                f"bound {first['bound']:.3g}): not what float32 evaluation of {kind} with the "
                "original's hyperparameters can produce")
    closest = max(checks, key=lambda check: check["ratio"])
    return (f"{scope}: every one on both sides within its float32 error bound (closest: the "
            f"{closest['side']}'s {closest['kind']} {closest['tensor']}, "
            f"{closest['ratio']:.3g} of its bound): the optimizers agree; the difference "
            "comes from before them")


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
