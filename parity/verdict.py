"""Deciding whether two implementations' runs match, and saying why.

Two standards, one per comparison mode:
- exact: the per-step losses must be bit-identical for the whole run, and
  the test codes equal within CODES_ATOL;
- statistical (idiomatic): early losses within the TF migration guide's
  tolerance, and no seed-to-seed-detectable difference in the final test
  cost and cluster metrics between the two implementations.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

# Codes come from the same graph arithmetic on both sides; the only allowed
# difference is eager-vs-graph rounding, at most 1 float32 ulp for |code| < 16.
CODES_ATOL = 1e-6
# The TF2 migration guide's numerical-equivalence tolerance for losses, applied
# to the steps before chaos (saturating sigmoids amplify 1-ulp differences)
# makes trajectories diverge.
EARLY_STEPS = 10
EARLY_LOSS_ATOL = 1e-5
# Welch's t-test per metric; Bonferroni over the metrics keeps the family-wise
# false-mismatch rate at 5% when the two implementations are equivalent.
FAMILY_ALPHA = 0.05
STATISTICAL_METRICS = ("test_cost", "knn_accuracy", "silhouette", "kmeans_ari_vs_labels")


def compare_losses(legacy: np.ndarray, modern: np.ndarray) -> dict:
    """Step-by-step comparison of two float32 loss sequences (1-based steps)."""
    legacy, modern = np.asarray(legacy, np.float32), np.asarray(modern, np.float32)
    steps = min(len(legacy), len(modern))
    a, b = legacy[:steps].astype(np.float64), modern[:steps].astype(np.float64)
    differs = legacy[:steps].view(np.uint32) != modern[:steps].view(np.uint32)
    absolute = np.abs(a - b)
    relative = absolute / np.maximum(np.abs(a), np.finfo(np.float32).tiny)
    finite = np.isfinite(absolute)
    return {
        "steps_compared": int(steps),
        "lengths_equal": len(legacy) == len(modern),
        "identical_steps": int(np.count_nonzero(~differs)),
        "first_differing_step": int(np.argmax(differs)) + 1 if differs.any() else None,
        "max_abs_difference": float(absolute[finite].max()) if finite.any() else None,
        "max_rel_difference": float(relative[finite].max()) if finite.any() else None,
        "early_max_abs_difference": float(absolute[:EARLY_STEPS].max()) if steps else None,
        "legacy_final_loss": float(legacy[-1]) if len(legacy) else None,
        "modern_final_loss": float(modern[-1]) if len(modern) else None,
    }


def exact_reasons(losses: dict, codes_max_abs_difference, failures: list) -> list:
    """Why an exact comparison of one seed is a mismatch (empty: a match)."""
    reasons = list(failures)
    if not losses["lengths_equal"]:
        reasons.append("the two runs have different numbers of steps")
    if losses["first_differing_step"] is not None:
        reasons.append(f"losses differ from step {losses['first_differing_step']} "
                       f"(max |difference| {losses['max_abs_difference']:.3g})")
    if codes_max_abs_difference is None:
        reasons.append("codes are not finite")
    elif codes_max_abs_difference > CODES_ATOL:
        reasons.append(f"test codes differ by up to {codes_max_abs_difference:.3g} "
                       f"(tolerance {CODES_ATOL:g})")
    return reasons


def early_reasons(losses: dict, failures: list) -> list:
    """Why the early steps of an idiomatic comparison are a mismatch."""
    reasons = list(failures)
    early = losses["early_max_abs_difference"]
    if early is None or not math.isfinite(early) or early > EARLY_LOSS_ATOL:
        steps = min(EARLY_STEPS, losses["steps_compared"])
        reasons.append(f"first {steps} steps' losses differ by up to {early:.3g} "
                       f"(tolerance {EARLY_LOSS_ATOL:g})" if early is not None
                       else "no steps to compare")
    return reasons


def welch_test(legacy_values, modern_values) -> dict:
    """Welch's two-sided t-test of equal means, with the numbers behind it."""
    a, b = np.asarray(legacy_values, np.float64), np.asarray(modern_values, np.float64)
    result = {"legacy_mean": float(a.mean()), "modern_mean": float(b.mean()),
              "legacy_std": float(a.std(ddof=1)), "modern_std": float(b.std(ddof=1)),
              "difference_of_means": float(b.mean() - a.mean())}
    if result["legacy_std"] == 0 and result["modern_std"] == 0:
        # No spread at all: equal means are indistinguishable, others are not.
        result["p_value"] = 1.0 if result["difference_of_means"] == 0 else 0.0
    else:
        result["p_value"] = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    return result


def statistical_reasons(per_seed_quality: list) -> tuple[dict, list]:
    """Welch tests on each metric across seeds; returns (tests, reasons).

    `per_seed_quality` holds, per seed, {"legacy": {...}, "modern": {...}}
    with the STATISTICAL_METRICS. The threshold is FAMILY_ALPHA divided by
    the number of metrics (Bonferroni).
    """
    threshold = FAMILY_ALPHA / len(STATISTICAL_METRICS)
    tests, reasons = {}, []
    for name in STATISTICAL_METRICS:
        legacy_values = [seed["legacy"].get(name) for seed in per_seed_quality]
        modern_values = [seed["modern"].get(name) for seed in per_seed_quality]
        if any(v is None or not math.isfinite(v) for v in legacy_values + modern_values):
            reasons.append(f"{name}: not available for every seed")
            continue
        test = welch_test(legacy_values, modern_values)
        test["threshold"] = threshold
        tests[name] = test
        if test["p_value"] < threshold:
            reasons.append(f"{name}: means differ beyond seed-to-seed spread "
                           f"(Welch p = {test['p_value']:.3g} < {threshold:.3g})")
    return tests, reasons


def overall(mode: str, records: list) -> tuple[dict, dict | None]:
    """The verdict over all seeds' records, and the statistics behind it."""
    reasons = [f"seed {r['seed']}: {reason}" for r in records for reason in r["reasons"]]
    statistics = None
    if mode == "exact":
        standard = (f"exact: bit-identical per-step losses for the whole run and test codes "
                    f"within {CODES_ATOL:g}, for every seed")
    else:
        per_seed = [{side: {**r[side]["quality"], "test_cost": r[side]["test_cost"]}
                     for side in ("legacy", "modern")} for r in records]
        statistics, statistical = statistical_reasons(per_seed)
        reasons += statistical
        standard = (f"statistical: first {EARLY_STEPS} steps' losses within "
                    f"{EARLY_LOSS_ATOL:g} for every seed, and Welch's t-test across "
                    f"{len(records)} seeds finds no difference of means in "
                    f"{', '.join(STATISTICAL_METRICS)} (p >= "
                    f"{FAMILY_ALPHA:g}/{len(STATISTICAL_METRICS)}, Bonferroni)")
    return {"match": not reasons, "standard": standard, "reasons": reasons}, statistics
