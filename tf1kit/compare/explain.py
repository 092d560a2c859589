"""The words for the step where a rewrite first parts from the original
(tf1kit/compare/diff.py finds it): an input, a random op's draws, the first
layer whose output differs, or a tensor of the backward pass and the
optimizer, with the judge's word on the optimizer (every slot and weight
of the step recomputed in float64 by TF1's kernel from each side's own
gradient and state, tf1kit/float32/optimizers.py)."""

from __future__ import annotations

import collections

import numpy as np

from tf1kit.float32 import bounds
from tf1kit.float32 import optimizers
from tf1kit.compare import forward
from tf1kit.float32.ulps import ulp_distance

ORDER = ("input", "random", "loss", "gradient", "slot", "weight", "state")
# Inputs that differ by at most this many float32 ulps in every element are
# the same examples computed another way (x / 255 against TF1's x * (1/255)
# differs by one ulp on some pixels); farther apart, they are other examples.
INPUT_ROUNDING_ULPS = 4


def _forward_line(original, rewrite, step: int, layer: dict, rest: str,
                  mapping=None) -> str:
    """The first line when a layer's output is where the passes part: a
    random op's other draws when one on the same script line drew in the
    original and not in the rewrite, else the layer itself."""
    line = forward.line_of(original, layer["tensor"])
    after = layer["after"]
    same = "" if after is None else "; the layer before it, " + (
        after[0] if after[0] == after[1] else f"{after[0]} <-> {after[1]}") + ", is the same"
    who = f"{layer['tensor']} on both sides" if layer["layer"] == layer["tensor"] else \
        f"the rewrite's layer {layer['layer']} <-> {layer['tensor']}"
    told = who + \
        (f" ({line})" if line else "") + f": {layer['size']}{same}"
    undrawn = [op for op in forward.undrawn_random_ops(original, rewrite, step, mapping)
               if line and original.random_ops.get(op, {}).get("line") == line.split(" ")[0]]
    then = f"; then {rest}" if rest else ""
    if undrawn:
        return (f"MISMATCH: random op {forward.describe_random(original, undrawn[0])} "
                f"draws other values at step {step}: the rewrite records no draw of TF1's "
                f"stream for it, and {told}: a dropout with its own seeds (stock "
                "keras.layers.Dropout) draws other masks; tf1kit.keras.random_ops.TF1Dropout draws "
                f"TF1's{then}")
    return f"MISMATCH: first difference at step {step}: activation: {told}{then}"


def explain(original, rewrite, mapping, step: int, differing: list,
            layer: dict | None = None) -> list:
    """The lines for the first step whose tensors differ (`layer`: the
    first layer whose output differs, trace_forward's finding)."""
    counts = collections.Counter(item[0] for item in differing)
    early = bool(differing) and differing[0][0] in ("input", "random")
    if layer is not None and not early:
        rest = ", ".join(f"{counts[k]} {k}" for k in ORDER if counts[k])
        return [_forward_line(original, rewrite, step, layer, rest, mapping),
                optimizer_check(original, rewrite, mapping, step, differing)]
    kind, name, other = differing[0]
    counts[kind] -= 1
    rest = ", ".join(f"{counts[k]} {k}" for k in ORDER if counts[k])
    a, b = original.step_value(step, kind, name), rewrite.step_value(step, kind, other)
    where = f"step {step}: {kind} {name} <-> {other}"
    undrawn = forward.undrawn_random_ops(original, rewrite, step, mapping)
    if undrawn and kind != "input":
        where = (f"step {step} (random op {forward.describe_random(original, undrawn[0])} "
                 "drew in the original, and the rewrite records no draw of TF1's stream for "
                 f"it: other draws are likely): {kind} {name} <-> {other}")
    if a is None or b is None:
        return [f"MISMATCH: first difference at {where} (digests only: record both with "
                f"--trace-steps {step} for its size and the optimizer check)"
                + (f"; then {rest}" if rest else "")]
    if kind == "input":
        a32, b32 = np.asarray(a, np.float32), np.asarray(b, np.float32)
        if a32.shape == b32.shape and ulp_distance(a32, b32).max() <= INPUT_ROUNDING_ULPS:
            return [f"MISMATCH: first difference at {where}: {forward.size(a, b)}: the same examples "
                    "in other arithmetic (for example x / 255 against TF1's x * (1 / 255))"]
        rows = int(np.any(a32 != b32, axis=tuple(range(1, a32.ndim))).sum()) \
            if a32.shape == b32.shape and a32.ndim > 1 else None
        return [f"MISMATCH: another batch order at step {step}: input {name} <-> {other}"
                + (f" differs in {rows} of {len(a32)} rows" if rows is not None else "")
                + "; feed the rewrite the trace's batch_order()"]
    if kind == "random":
        entry = original.random_ops.get(name, {})
        return [f"MISMATCH: random op {forward.describe_random(original, name)} draws "
                f"other values at step {step}: {forward.size(a, b)}; TF1's stream there: seeds "
                f"({entry.get('seed')}, {entry.get('seed2')}), position "
                f"{entry.get('positions', {}).get(str(step))} (tf1kit.keras.random_ops)"
                + (f"; then {rest}" if rest else "")]
    line = f"MISMATCH: first difference at {where}: {forward.size(a, b)}" + \
        (f"; then {rest}" if rest else "")
    if kind == "gradient":  # its inputs, weights, activations and loss agree (else named first)
        line += (f"; every input, weight, forward tensor and loss both traces hold at step "
                 f"{step} is the same: the backward pass computed it another way (an order "
                 "of summation, a fused kernel, or another gradient function), which the "
                 "judge does not bound (it holds the forward pass and the optimizer to "
                 "float32 bounds; tf1-convert --prove's referee weighs the two against "
                 "float64)")
    if kind == "state":  # a variable the step writes besides the optimizer's
        line += ("; a moving statistic (batch normalization) from another start or by "
                 "another formula: TF1 subtracts (v - batch) * (1 - momentum), Keras 3's "
                 "BatchNormalization computes v * momentum + batch * (1 - momentum) "
                 "(MIGRATION.md T28)")
    return [line, optimizer_check(original, rewrite, mapping, step, differing)]


def optimizer_check(original, rewrite, mapping, step: int, differing: list) -> str:
    """The judge's line on the optimizer's tensors of `step`."""
    return optimizer_judgement(original, rewrite, mapping, step)[1]


def _judge_optimizer(original, rewrite, mapping, step: int, record: dict, runs: int,
                     checks: list) -> str | None:
    """Add to `checks` each slot and weight one optimizer (`record`, at its
    `runs`-th step) gave the variables it trains at `step`, on both sides;
    the judge's line where it cannot."""
    kind = record.get("class", "this optimizer")
    slot_names = optimizers.SLOTS.get(record.get("class"))
    if slot_names is None:
        return f"judge: {kind} is not judged (it knows {', '.join(optimizers.SLOTS)})"
    trained = set(record.get("variables") or mapping.variables)
    for variable, renamed in mapping.variables.items():
        if variable not in trained:  # another optimizer's, or none's: no step here
            continue
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
            exact = optimizers.judged(record, runs, inputs[0], before, inputs[1], after)
            if exact is None:
                return f"judge: {kind} with these settings is not judged"
            recorded = {"weight": inputs[2], **after}
            checks += [{"side": side, **bounds.check(
                "weight" if part == "weight" else "slot",
                own if part == "weight" else f"{own}/{part}", recorded[part], *exact[part])}
                for part in exact]
    return None


def optimizer_judgement(original, rewrite, mapping, step: int) -> tuple[bool, str]:
    """(every one within, the judge's line) on the optimizer's tensors of
    `step` (tf1kit/float32/bounds.py's rule): every slot and new weight of each side
    recomputed in float64 by TF1's kernel from that side's own gradient and
    state before the step, and held to its float32 error bound."""
    records = original.manifest.get("optimizers") or [{}]
    taken = original.step_optimizers() if original.manifest.get("optimizers") else []
    ran = (taken[step - 1] if step <= len(taken) else ()) or (0,)
    checks, kinds = [], []
    for index in ran:  # each optimizer the step ran (a GAN's D, G, or both)
        record = records[index]
        runs = sum(1 for each in taken[:step] if index in each) if len(records) > 1 else step
        kinds.append(record.get("class", "this optimizer"))
        problem = _judge_optimizer(original, rewrite, mapping, step, record, runs, checks)
        if problem:
            return False, problem
    kind = " and ".join(dict.fromkeys(kinds))
    if not checks:
        return False, f"judge: step {step} trains no variable the map pairs"
    beyond = [check for check in checks if not check["ratio"] <= 1.0]
    scope = (f"judge ({kind} by TF1's kernel from each side's own gradients and state, every "
             f"slot and weight of step {step})")
    if beyond:
        first = beyond[0]
        return False, (f"{scope}: the {first['side']}'s {first['kind']} {first['tensor']} is "
                       f"{first['ratio']:.3g}x its float32 error bound (error "
                       f"{first['error']:.3g}, bound {first['bound']:.3g}): not what float32 "
                       f"evaluation of {kind} with the original's hyperparameters can produce")
    closest = max(checks, key=lambda check: check["ratio"])
    return True, (f"{scope}: every one on both sides within its float32 error bound (closest: "
                  f"the {closest['side']}'s {closest['kind']} {closest['tensor']}, "
                  f"{closest['ratio']:.3g} of its bound): the optimizers agree; the difference "
                  "comes from before them")
