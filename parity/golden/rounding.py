"""The cross-environment verdict: against a recording made where other bits
are expected (another CPU kind, thread count, oneDNN setting or version:
tf1kit/environment.py BIT_DECIDING), a bit difference is judged, not flagged.

A seed's difference is ROUNDING when all of these hold, else it stays a
MISMATCH:
1. it was localized to the step where it was born, and the recording kept
   that step's values (so that both sides can be judged there);
2. nothing differs in the step's input or its starting state (a changed
   batch, pixel scaling or initial weight is never rounding);
3. at every step whose values the recording kept, every tensor of both
   sides is within its float32 error bound, recomputed in float64 from
   that side's own inputs (parity/judge.py): one rule, whose sentence the
   report prints;
4. the trajectory stays within the idiomatic standard's tolerances: the
   first EARLY_STEPS losses within EARLY_LOSS_ATOL (the TF migration
   guide's) and each final metric within its equivalence margin.
In the recording's own environment any bit difference stays a MISMATCH.
"""

from __future__ import annotations

import math

from parity import judge, verdict

# Kinds whose difference at the birth step is a change of what the step
# starts from, not of how it computes.
NEVER_ROUNDING = ("input", "initial")
# The final metrics checked against verdict.EQUIVALENCE_MARGINS.
FINAL_METRICS = ("test_cost", "knn_accuracy", "silhouette", "kmeans_ari_vs_labels")


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
    record = divergence_record.get("judge")
    if not record or step not in record["steps"]:
        return [f"legacy's values of step {step} were not recorded (record with "
                f"--trace-values {step}): the step where the difference is born cannot be "
                "judged"]
    if judge.all_within(record):
        return []
    return [judge.describe(record)]


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
                "difference, every tensor of both sides within its float32 error bound at "
                f"each step whose values were recorded) with the first {verdict.EARLY_STEPS} losses within "
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
    """'born as float32 rounding at step s, tensor T (the judge's sentence)'."""
    first = divergence_record["first"]
    return (f"born as float32 rounding at step {divergence_record['step']}, "
            f"{first['kind']} {first['tensor']}; {judge.describe(divergence_record['judge'])}")
