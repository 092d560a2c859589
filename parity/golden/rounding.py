"""The cross-environment verdict: against a recording made where other bits
are expected (another CPU kind, thread count, oneDNN setting or version:
parity/environment.py BIT_DECIDING), a bit difference is judged, not flagged.

A seed's difference is ROUNDING when all of these hold, else it stays a
MISMATCH:
1. it was localized to the step where it was born (the recording traced
   that step; it keeps that step's values, so the float64 referee can
   measure both sides);
2. nothing differs in the step's input or its starting state (a changed
   batch, pixel scaling or initial weight is never rounding);
3. at that step, neither side drifted from exact arithmetic (farther than
   DRIFT_FLOOR_ULPS and DRIFT_RATIO times the other side's distance) in
   the tensor where the difference is born, the loss, or the new weights.
   The weights are refereed from each side's own gradients, so they judge
   the optimizer's arithmetic alone: a changed Adam formula or
   hyperparameter shows there (Adam's epsilon 1e-7 for 1e-8 puts them a
   million ulps from the referee's). The tensors between are not judged
   one by one: each inherits the rounding of those before it, and
   near-zero values count it in thousands of ulps;
4. the trajectory stays within the idiomatic standard's tolerances: the
   first EARLY_STEPS losses within EARLY_LOSS_ATOL (the TF migration
   guide's) and each final metric within its equivalence margin.
In the recording's own environment any bit difference stays a MISMATCH.
"""

from __future__ import annotations

import math

from parity import verdict

# Kinds whose difference at the birth step is a change of what the step
# starts from, not of how it computes.
NEVER_ROUNDING = ("input", "initial")
# The final metrics checked against verdict.EQUIVALENCE_MARGINS.
FINAL_METRICS = ("test_cost", "knn_accuracy", "silhouette", "kmeans_ari_vs_labels")
# Rounding across environments, measured at step 1 on a 2-core AMD EPYC
# (docs/bit_envelope.md): the first tensor (encoder_1/z) 20.9 against 33.6
# ulps (intra-op threads 2 -> 1, oneDNN off) and 48.4 against 20.6 (oneDNN
# on -> off): a ratio up to 2.4, so the live microscope's 2 is too tight;
# the new weights at most 33 ulps on either side. Adam's epsilon changed
# (--perturb epsilon): the weights 1.16 million ulps against 2.
DRIFT_FLOOR_ULPS = 1000.0
DRIFT_RATIO = 10.0
# The tensors judged besides the first: the loss and the new weights.
JUDGED_KINDS = ("loss", "weight")


def drifted_side(legacy_ulp: float, modern_ulp: float) -> str | None:
    """'legacy', 'modern' or None: which side lies farther from exact
    arithmetic than rounding across environments explains."""
    for side, own, other in (("legacy", legacy_ulp, modern_ulp),
                             ("modern", modern_ulp, legacy_ulp)):
        if not math.isfinite(own) or (own > DRIFT_FLOOR_ULPS and own > DRIFT_RATIO * other):
            return side
    return None


def birth_reasons(divergence_record: dict | None) -> list:
    """Why a seed's difference is not known to be born as rounding (empty:
    it is), from its `divergence` record."""
    if divergence_record is None:
        return ["not localized (run without --no-explain to judge it)"]
    step = divergence_record.get("step")
    if step is None:
        within = divergence_record.get("born_within")
        where = f" in steps {within[0]}-{within[1]}" if within else ""
        return [f"born{where}, between the steps the recording traced: not judged"]
    if step == 0:
        return ["the two sides start from different weights"]
    tensors = divergence_record.get("tensors") or []
    changed = [f"{t['kind']} {t['tensor']}" for t in tensors if t["kind"] in NEVER_ROUNDING]
    if changed:
        return [f"step {step}'s {'input' if changed[0].startswith('input') else 'starting state'}"
                f" differs ({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''})"]
    referee = divergence_record.get("referee") or {}
    first = divergence_record.get("first") or {}
    first_key = f"{first.get('kind')} {first.get('tensor')}"
    judged = referee.get(first_key)
    if judged is None or not isinstance(judged.get("legacy_ulp"), (int, float)):
        return [f"legacy's values of step {step} were not recorded (record with "
                f"--trace-values {step}): its side of {first_key} cannot be refereed"]
    drifted = []
    for name, distances in referee.items():
        if not isinstance(distances.get("legacy_ulp"), (int, float)) or (
                name != first_key and name.split(" ")[0] not in JUDGED_KINDS):
            continue
        side = drifted_side(distances["legacy_ulp"], distances["modern_ulp"])
        if side:
            drifted.append(f"{name}: {side} drifted from exact arithmetic (legacy "
                           f"{distances['legacy_ulp']:.3g} ulp, modern "
                           f"{distances['modern_ulp']:.3g} ulp)")
    return [f"step {step}: {line}" for line in drifted[:3]] + (
        [f"... and {len(drifted) - 3} more"] if len(drifted) > 3 else [])


def trajectory_reasons(record: dict) -> list:
    """Why the run strays beyond the idiomatic standard's tolerances."""
    reasons = verdict.early_reasons(record["losses"], [])
    legacy, modern = record["legacy"], record["modern"]
    for name in FINAL_METRICS:
        then = legacy["test_cost"] if name == "test_cost" else legacy["quality"].get(name)
        now = modern["test_cost"] if name == "test_cost" else modern["quality"].get(name)
        if then is None or now is None or not (math.isfinite(then) and math.isfinite(now)):
            reasons.append(f"{name}: not finite")
            continue
        margin = verdict.margin_for(name, then)
        if abs(now - then) > margin:
            reasons.append(f"final {name} {now:.4g} against the recording's {then:.4g}: "
                           f"beyond the margin +-{margin:.3g}")
    return reasons


def judge_seed(record: dict) -> list:
    """Why a seed that is not bit-identical is not ROUNDING (empty: it is)."""
    failures = [f"{side}: {record[side]['failure']}" for side in ("legacy", "modern")
                if record[side]["failure"]]
    if not record["losses"]["lengths_equal"]:
        failures.append("the two runs have different numbers of steps")
    if failures:
        return failures
    return birth_reasons(record["divergence"]) or trajectory_reasons(record)


def overall(records: list, bit_differences: list) -> dict:
    """The exact verdict against a recording made in another bit-deciding
    environment (`bit_differences`: what differs, non-empty)."""
    judged = {record["seed"]: judge_seed(record) for record in records if record["reasons"]}
    standard = ("exact across environments (" + "; ".join(bit_differences) + "): "
                "bit-identical, or born as float32 rounding (no input or starting-state "
                "difference, neither side drifted from the float64 referee at the birth "
                f"step) with the first {verdict.EARLY_STEPS} losses within "
                f"{verdict.EARLY_LOSS_ATOL:g} and each final metric within its equivalence "
                "margin")
    reasons = [f"seed {seed}: {reason}" for seed, lines in judged.items() for reason in lines]
    if reasons:
        outcome = "mismatch"
    elif judged:
        outcome = "rounding"
        reasons = [f"seed {record['seed']}: not bit-identical ({record['reasons'][0]}); "
                   + describe_birth(record["divergence"]) for record in records
                   if record["reasons"]]
    else:
        outcome = "match"
    return {"match": outcome == "match", "outcome": outcome, "standard": standard,
            "reasons": reasons}


def describe_birth(divergence_record: dict) -> str:
    """'born as float32 rounding at step s, tensor T (...)'."""
    first = divergence_record["first"]
    distances = divergence_record["referee"].get(f"{first['kind']} {first['tensor']}", {})
    return (f"born as float32 rounding at step {divergence_record['step']}, "
            f"{first['kind']} {first['tensor']} (legacy {distances.get('legacy_ulp', 0):.3g} "
            f"ulp, modern {distances.get('modern_ulp', 0):.3g} ulp from exact arithmetic)")
