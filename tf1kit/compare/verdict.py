"""The verdict of a trace comparison, with the environments judged first:
`tf1-trace-compare` compares what decides the bits of the two runs (the
CPU's kernel flags, oneDNN, the thread counts, the TensorFlow, Keras and
NumPy versions, the backend: tf1kit/environment.BIT_DECIDING). In the same
environment any bit that differs is a MISMATCH. Across environments the
rule is compare.py's (tf1kit/float32/bounds.py): ROUNDING when the first step that
differs is float32 rounding by the float64 check, each tensor of it on
each side recomputed from that side's own inputs and within its error
bound (the forward pass by tf1kit/compare/graph_judge.py, the optimizer by
tf1kit/float32/optimizers.py), else MISMATCH. Other inputs or other random
draws are never an environment's rounding.
"""

from __future__ import annotations

from tf1kit.trace.tracefile import RANDOM_TYPES  # their draws are a side's given
from tf1kit import environment
from tf1kit.compare import graph_judge, explain, forward
from tf1kit.float32.bounds import not_judged
from tf1kit.trace.graph import ForwardGraph


def _comparable(record: dict, keys: set) -> dict:
    """A trace's environment as tf1kit/environment reads one, with only the
    versions both traces record (a TF1 run has no Keras 3)."""
    return {"versions": {key: value for key, value in record.get("versions", {}).items()
                         if key in keys},
            "machine": record.get("machine", {}), "backend": record.get("backend"),
            "threads": record.get("threads")}


def factors(original, rewrite) -> list:
    """The bit-deciding differences between the two runs, as "what: a -> b"."""
    a = original.manifest.get("environment", {})
    b = rewrite.manifest.get("environment", {})
    shared = set(a.get("versions", {})) & set(b.get("versions", {}))
    if not a.get("threads") or not b.get("threads"):  # traced before threads were recorded
        a, b = {**a, "threads": None}, {**b, "threads": None}
    return environment.bit_compatibility(_comparable(a, shared), _comparable(b, shared),
                                         threads=bool(a.get("threads")))


def _side(original, trace, mapping, step: int, side: str) -> tuple[dict, dict]:
    """(sources, recorded) of one side at `step`, under the original's
    tensor names: its inputs, starting weights, draws and activations (the
    rewrite's layers by their pairing), and the loss with its activations."""
    same = side == "original"
    sources = {}
    for op in ForwardGraph(original.manifest["forward_graph"]).ops:
        tensor = f"{op.name}:0"
        if op.type == "VariableRead":
            name = op.variable if same else mapping.variables.get(op.variable)
            value = None if name is None else trace.step_value(step, "initial", name)
        elif op.type == "Placeholder":
            name = tensor if same else mapping.inputs.get(tensor)
            value = None if name is None else trace.step_value(step, "input", name)
        elif op.type in RANDOM_TYPES:
            value = trace.step_value(step, "random", op.name)
        else:
            continue
        if value is not None:
            sources[tensor] = value
    if same:
        recorded = {name: trace.step_value(step, "activation", name)
                    for name in (original.manifest.get("activations") or {})}
    else:
        recorded = {tensor: trace.step_value(step, "activation", layer)
                    for layer, tensor, _ in forward.pair_layers(original, trace, step)}
    recorded = {name: value for name, value in recorded.items() if value is not None}
    sources.update(recorded)
    loss = trace.step_value(step, "loss", mapping.loss if same else mapping.rewrite_loss) \
        if mapping.loss else None
    if loss is not None:
        recorded[mapping.loss] = loss
    return sources, recorded


def forward_checks(original, rewrite, mapping, step: int) -> list:
    """Every activation and the loss of `step`, on both sides, judged."""
    if not original.manifest.get("forward_graph"):
        return [not_judged("activation", "the forward pass",
                           "the original's trace describes no forward graph")]
    checks = []
    for side, trace in (("original", original), ("rewrite", rewrite)):
        sources, recorded = _side(original, trace, mapping, step, side)
        checks += [{"side": side, **check} for check in
                   graph_judge.judge_tensors(original.manifest["forward_graph"], sources,
                                             recorded)]
    return checks


def describe(checks: list) -> str:
    """The judge's sentence on a list of checks: the first beyond its bound,
    else the closest to it, and what was not judged."""
    judged = [check for check in checks if check.get("ratio") is not None]
    skipped = [check for check in checks if check.get("ratio") is None]
    beyond = [check for check in judged if not check["ratio"] <= 1.0]
    unknown = f"; not judged: {skipped[0]['tensor']} ({skipped[0]['why']})" if skipped else ""
    if beyond:
        worst = max(beyond, key=lambda check: check["ratio"])
        return (f"the {worst['side']}'s {worst['kind']} {worst['tensor']} is "
                f"{worst['ratio']:.3g}x its float32 error bound (error {worst['error']:.3g}, "
                f"bound {worst['bound']:.3g}){unknown}")
    if not judged:
        return f"nothing judged{unknown}"
    closest = max(judged, key=lambda check: check["ratio"])
    return (f"every one of {len(judged)} on both sides within its float32 error bound "
            f"(closest: the {closest['side']}'s {closest['kind']} {closest['tensor']}, "
            f"{closest['ratio']:.3g} of its bound){unknown}")


def across(original, rewrite, mapping, step: int, birth: str) -> tuple[bool, str]:
    """(whether the first differing step is float32 rounding, the sentence)
    for traces of two environments; `birth` is the first differing kind."""
    if birth in ("input", "random"):
        return False, (f"another {'input' if birth == 'input' else 'random draw'} is not an "
                       "environment's rounding")
    undrawn = forward.undrawn_random_ops(original, rewrite, step, mapping)
    if undrawn:
        return False, (f"random op {forward.describe_random(original, undrawn[0])} drew "
                       "in the original and the rewrite records no draw of TF1's stream for it: "
                       "other draws are not an environment's rounding")
    if birth in ("gradient", "loss") and not original.manifest.get("forward_graph"):
        return False, f"a {birth} is not judged without the forward graph"
    if birth in ("slot", "weight"):  # the forward pass and the gradients are the same
        return explain.optimizer_judgement(original, rewrite, mapping, step)
    checks = forward_checks(original, rewrite, mapping, step)
    within = all(check.get("ratio") is not None and check["ratio"] <= 1.0 for check in checks)
    if birth == "gradient" and within:
        return False, (f"the forward pass of step {step} is within its bounds ("
                       f"{describe(checks)}), and a gradient, the first difference, is not "
                       "judged for a general script: not called rounding")
    optimizer_within, optimizer_line = explain.optimizer_judgement(
        original, rewrite, mapping, step)
    sentence = f"the forward pass of step {step}, from each side's own inputs: " \
        f"{describe(checks)}"
    if within and not optimizer_within:
        return False, f"{sentence}; but in the optimizer, {optimizer_line.partition('): ')[2]}"
    return within, sentence + ("; the optimizer's slots and weights within theirs too "
                               "(gradients are not judged for a general script)"
                               if within else "")

