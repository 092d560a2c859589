"""Deciding whether two implementations' runs match, and saying why.

Two standards, one per comparison mode:
- exact: the per-step losses must be bit-identical for the whole run, and
  the test codes equal within CODES_ATOL;
- equivalence (idiomatic): early losses within the TF migration guide's
  tolerance, and, per metric, two one-sided tests (TOST) across seeds that
  put the difference of the two implementations' means within a stated
  equivalence margin: "no difference found" is not evidence of sameness,
  an interval inside the margin is.
"""

from __future__ import annotations

import math

import numpy as np

# Codes come from the same graph arithmetic on both sides; the only allowed
# difference is eager-vs-graph rounding, at most 1 float32 ulp for |code| < 16.
CODES_ATOL = 1e-6
# The TF2 migration guide's numerical-equivalence tolerance for losses, applied
# to the steps before chaos (saturating sigmoids amplify 1-ulp differences)
# makes trajectories diverge.
EARLY_STEPS = 10
EARLY_LOSS_ATOL = 1e-5
# The idiomatic verdict: two one-sided tests (TOST) per metric.
# Equivalence margins: the largest difference of means between the two
# implementations that a user would still call "the same result". Each is
# about twice the seed-to-seed standard deviation measured on the bundled
# sample (docs/comparison.md: 5 seeds of each side, 2,140 steps).
EQUIVALENCE_MARGINS = {
    # test MSE: sd 0.0011-0.0012 around 0.047 (2.5%); 5% of legacy's mean
    # is also well below the 0.006 that separates a trained model (0.047)
    # from a half-collapsed one.
    "test_cost": ("relative", 0.05),
    # kNN(5) accuracy of the 2-D codes: sd 0.028-0.043; 5 points of accuracy.
    "knn_accuracy": ("absolute", 0.05),
    # silhouette with digit labels: sd about 0.009 around 0.02.
    "silhouette": ("absolute", 0.02),
    # k-means(10) ARI against the labels: sd 0.019-0.029.
    "kmeans_ari_vs_labels": ("absolute", 0.05),
}
# 90% confidence interval: TOST at the 5% level on each side.
TOST_ALPHA = 0.05
STATISTICAL_METRICS = tuple(EQUIVALENCE_MARGINS)



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


def margin_for(name: str, legacy_mean: float) -> float:
    kind, size = EQUIVALENCE_MARGINS[name]
    return size * abs(legacy_mean) if kind == "relative" else size


def seeds_to_decide(difference, spread, margin) -> int | None:
    """Seeds per side that would likely settle an inconclusive test: the n
    at which the 90% interval's half-width, with the measured spread
    (sqrt(sd_legacy^2 + sd_modern^2)), fits between the observed difference
    and the margin (normal approximation)."""
    gap = abs(abs(difference) - margin)
    if gap == 0 or not math.isfinite(spread):
        return None
    from scipy import stats  # slow to import: loaded only where a test runs
    z = stats.norm.ppf(1 - TOST_ALPHA)
    return max(2, math.ceil((z * spread / gap) ** 2))


def tost(name, legacy_values, modern_values) -> dict:
    """Two one-sided Welch tests of |mean(modern) - mean(legacy)| < margin,
    read off the 90% confidence interval of the difference of means."""
    a, b = np.asarray(legacy_values, np.float64), np.asarray(modern_values, np.float64)
    difference = float(b.mean() - a.mean())
    var_a, var_b = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(var_a + var_b)
    if se == 0:
        low = high = difference
        df = math.inf
    else:
        df = (var_a + var_b) ** 2 / (var_a ** 2 / (len(a) - 1) + var_b ** 2 / (len(b) - 1))
        from scipy import stats  # slow to import: loaded only where a test runs
        half = stats.t.ppf(1 - TOST_ALPHA, df) * se
        low, high = difference - half, difference + half
    margin = margin_for(name, a.mean())
    if -margin < low and high < margin:
        outcome = "equivalent"
    elif low >= margin or high <= -margin:
        outcome = "different"
    else:
        outcome = "inconclusive"
    spread = math.sqrt(a.var(ddof=1) + b.var(ddof=1))
    return {"legacy_mean": float(a.mean()), "modern_mean": float(b.mean()),
            "legacy_std": float(a.std(ddof=1)), "modern_std": float(b.std(ddof=1)),
            "difference_of_means": difference, "ci90": [float(low), float(high)],
            "margin": float(margin), "outcome": outcome,
            "seeds_to_decide": seeds_to_decide(difference, spread, margin)
            if outcome == "inconclusive" else None}


def statistical_reasons(per_seed_quality: list) -> tuple[dict, list, str]:
    """TOST on each metric across seeds; returns (tests, reasons, outcome).

    `per_seed_quality` holds, per seed, {"legacy": {...}, "modern": {...}}
    with the STATISTICAL_METRICS. Overall: equivalent when every metric is
    (the intersection-union principle: no multiplicity correction is
    needed to claim all), different when any is, else inconclusive.
    """
    tests, reasons = {}, []
    for name in STATISTICAL_METRICS:
        legacy_values = [seed["legacy"].get(name) for seed in per_seed_quality]
        modern_values = [seed["modern"].get(name) for seed in per_seed_quality]
        if any(v is None or not math.isfinite(v) for v in legacy_values + modern_values):
            reasons.append(f"{name}: not available for every seed")
            continue
        test = tost(name, legacy_values, modern_values)
        tests[name] = test
        low, high = test["ci90"]
        interval = f"90% interval of the difference [{low:.4g}, {high:.4g}]"
        if test["outcome"] == "different":
            reasons.append(f"{name}: different: {interval} lies outside +-{test['margin']:.3g}")
        elif test["outcome"] == "inconclusive":
            more = (f"; about {test['seeds_to_decide']} seeds per side would likely decide"
                    if test["seeds_to_decide"] else "")
            reasons.append(f"{name}: inconclusive: {interval} straddles the margin "
                           f"+-{test['margin']:.3g}{more}")
    outcomes = [test["outcome"] for test in tests.values()]
    if len(tests) < len(STATISTICAL_METRICS) or "different" in outcomes:
        outcome = "different"
    elif "inconclusive" in outcomes:
        outcome = "inconclusive"
    else:
        outcome = "equivalent"
    return tests, reasons, outcome


def overall(mode: str, records: list) -> tuple[dict, dict | None]:
    """The verdict over all seeds' records, and the statistics behind it.

    `outcome`: "match" or "mismatch" in exact mode; "equivalent",
    "different" (an early-step check failed, or a metric's interval lies
    outside its margin) or "inconclusive" in idiomatic mode. `match` is
    True for "match" and "equivalent".
    """
    reasons = [f"seed {r['seed']}: {reason}" for r in records for reason in r["reasons"]]
    statistics = None
    if mode == "exact":
        outcome = "mismatch" if reasons else "match"
        standard = (f"exact: bit-identical per-step losses for the whole run and test codes "
                    f"within {CODES_ATOL:g}, for every seed")
    else:
        per_seed = [{side: {**r[side]["quality"], "test_cost": r[side]["test_cost"]}
                     for side in ("legacy", "modern")} for r in records]
        statistics, statistical, outcome = statistical_reasons(per_seed)
        if reasons:  # the early steps already differ
            outcome = "different"
        reasons += statistical
        margins = ", ".join(
            f"{name} {'+-' + format(size, 'g') if kind == 'absolute' else f'+-{size:.0%} of legacy'}"
            for name, (kind, size) in EQUIVALENCE_MARGINS.items())
        standard = (f"equivalence: first {EARLY_STEPS} steps' losses within "
                    f"{EARLY_LOSS_ATOL:g} for every seed, and two one-sided tests across "
                    f"{len(records)} seeds put each metric's 90% interval of the difference "
                    f"of means within its margin ({margins})")
    return {"match": outcome in ("match", "equivalent"), "outcome": outcome,
            "standard": standard, "reasons": reasons}, statistics
