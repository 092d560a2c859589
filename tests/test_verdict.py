"""The verdict's decisions, on hand-made numbers: what counts as identical,
which reasons a mismatch gets, and the statistical test across seeds."""

import math

import numpy as np
import pytest
from scipy import stats

from parity import verdict


def losses(*values):
    return np.asarray(values, np.float32)


def test_identical_losses_have_no_differing_step():
    result = verdict.compare_losses(losses(0.5, 0.25, 0.125), losses(0.5, 0.25, 0.125))
    assert result["identical_steps"] == 3 and result["first_differing_step"] is None
    assert result["max_abs_difference"] == 0.0 and result["lengths_equal"]


def test_first_differing_step_is_one_based_and_one_ulp_counts():
    legacy = losses(0.5, 0.25, 0.125, 0.0625)
    modern = legacy.copy()
    modern[2] = np.nextafter(modern[2], np.float32(1))  # one ulp up, at step 3
    result = verdict.compare_losses(legacy, modern)
    assert result["first_differing_step"] == 3
    assert result["identical_steps"] == 3
    assert result["max_abs_difference"] == pytest.approx(float(modern[2] - legacy[2]))


def test_equal_values_with_different_bits_are_not_identical():
    # 0.0 == -0.0 as numbers, but a bit-for-bit comparison must see them apart.
    result = verdict.compare_losses(losses(0.0), losses(-0.0))
    assert result["first_differing_step"] == 1
    assert result["max_abs_difference"] == 0.0


def test_different_lengths_compare_the_common_steps_and_say_so():
    result = verdict.compare_losses(losses(0.5, 0.25, 0.1), losses(0.5, 0.25))
    assert result["steps_compared"] == 2 and not result["lengths_equal"]
    assert verdict.exact_reasons(result, 0.0, []) == [
        "the two runs have different numbers of steps"]


def test_a_nan_loss_is_a_difference_but_not_the_maximum():
    result = verdict.compare_losses(losses(0.5, 0.25), losses(0.5, np.nan))
    assert result["first_differing_step"] == 2
    assert result["max_abs_difference"] == 0.0  # over the finite differences only


def test_exact_reasons_name_the_step_the_codes_and_failures():
    clean = verdict.compare_losses(losses(0.5), losses(0.5))
    assert verdict.exact_reasons(clean, 0.0, []) == []
    assert verdict.exact_reasons(clean, verdict.CODES_ATOL, []) == []  # the bound is inclusive
    too_far = verdict.exact_reasons(clean, 2 * verdict.CODES_ATOL, [])
    assert too_far == [f"test codes differ by up to {2 * verdict.CODES_ATOL:.3g} "
                       f"(tolerance {verdict.CODES_ATOL:g})"]
    assert verdict.exact_reasons(clean, None, ["modern: boom"]) == [
        "modern: boom", "codes are not finite"]
    differing = verdict.compare_losses(losses(0.5, 0.25), losses(0.5, 0.3))
    assert verdict.exact_reasons(differing, 0.0, [])[0].startswith("losses differ from step 2")


def test_early_reasons_apply_the_tolerance_to_the_first_steps_only():
    within = losses(*([0.5] * verdict.EARLY_STEPS + [0.9]))
    shifted = within + np.float32(verdict.EARLY_LOSS_ATOL / 2)
    shifted[-1] = 0.1  # far off, but after the early steps
    assert verdict.early_reasons(verdict.compare_losses(within, shifted), []) == []
    off = within.copy()
    off[0] += np.float32(10 * verdict.EARLY_LOSS_ATOL)
    reasons = verdict.early_reasons(verdict.compare_losses(within, off), [])
    assert len(reasons) == 1 and reasons[0].startswith(
        f"first {verdict.EARLY_STEPS} steps' losses differ by up to")
    assert verdict.early_reasons(verdict.compare_losses(losses(), losses()), []) == [
        "no steps to compare"]


def test_tost_is_equivalent_when_the_interval_lies_inside_the_margin():
    result = verdict.tost("knn_accuracy", [0.60, 0.62, 0.61, 0.59, 0.60],
                          [0.61, 0.60, 0.62, 0.60, 0.61])
    low, high = result["ci90"]
    assert result["outcome"] == "equivalent" and -0.05 < low < high < 0.05
    assert result["margin"] == verdict.EQUIVALENCE_MARGINS["knn_accuracy"][1]
    # The interval is Welch's 90% interval of modern - legacy.
    a, b = np.array([0.60, 0.62, 0.61, 0.59, 0.60]), np.array([0.61, 0.60, 0.62, 0.60, 0.61])
    se = np.sqrt(a.var(ddof=1) / 5 + b.var(ddof=1) / 5)
    df = se ** 4 / ((a.var(ddof=1) / 5) ** 2 / 4 + (b.var(ddof=1) / 5) ** 2 / 4)
    assert high - low == pytest.approx(2 * stats.t.ppf(0.95, df) * se)


def test_tost_is_different_when_the_interval_lies_outside_the_margin():
    # A collapsed side: test MSE 0.067 against 0.047 (margin: 5% of legacy).
    result = verdict.tost("test_cost", [0.047, 0.048, 0.046], [0.067, 0.068, 0.066])
    assert result["outcome"] == "different"
    assert result["margin"] == pytest.approx(0.05 * 0.047)
    assert result["ci90"][0] > result["margin"] and result["seeds_to_decide"] is None


def test_tost_straddling_a_margin_is_inconclusive_and_says_how_many_seeds_would_decide():
    result = verdict.tost("knn_accuracy", [0.60, 0.65], [0.62, 0.58])
    low, high = result["ci90"]
    assert result["outcome"] == "inconclusive" and low < -0.05 < high
    assert result["seeds_to_decide"] > 2
    # With that many seeds and the same spread and difference, it decides.
    n = result["seeds_to_decide"]
    spread = np.sqrt(np.var([0.60, 0.65], ddof=1) + np.var([0.62, 0.58], ddof=1))
    half = stats.norm.ppf(0.95) * spread / np.sqrt(n)
    assert abs(result["difference_of_means"]) + half <= 0.05 + 1e-12


def test_tost_with_no_spread_decides_on_the_difference_alone():
    assert verdict.tost("silhouette", [0.2, 0.2], [0.2, 0.2])["outcome"] == "equivalent"
    assert verdict.tost("silhouette", [0.2, 0.2], [0.3, 0.3])["outcome"] == "different"


def quality(test_cost, knn, silhouette=0.3, ari=0.4):
    return {"test_cost": test_cost, "knn_accuracy": knn, "silhouette": silhouette,
            "kmeans_ari_vs_labels": ari}


def test_statistical_outcome_is_different_if_any_metric_is_and_equivalent_only_if_all():
    seeds = [{"legacy": quality(0.05 + 0.0001 * i, 0.60 + 0.001 * i),
              "modern": quality(0.05 + 0.0001 * i, 0.90 + 0.001 * i)} for i in range(3)]
    tests, reasons, outcome = verdict.statistical_reasons(seeds)
    assert tests["test_cost"]["outcome"] == "equivalent"
    assert tests["knn_accuracy"]["outcome"] == "different" and outcome == "different"
    assert [reason.split(":")[0] for reason in reasons] == ["knn_accuracy"]
    same = [{"legacy": quality(0.05, 0.6), "modern": quality(0.05, 0.6)} for _ in range(3)]
    assert verdict.statistical_reasons(same)[2] == "equivalent"


def test_a_metric_missing_for_one_seed_is_a_reason():
    seeds = [{"legacy": quality(0.05, 0.6), "modern": quality(0.05, math.nan)},
             {"legacy": quality(0.05, 0.6), "modern": quality(0.05, 0.6)}]
    tests, reasons, outcome = verdict.statistical_reasons(seeds)
    assert "knn_accuracy" not in tests and outcome == "different"
    assert "knn_accuracy: not available for every seed" in reasons


def record(seed, reasons, test_cost=0.05, knn=0.6):
    side = {"quality": quality(test_cost, knn), "test_cost": test_cost}
    return {"seed": seed, "reasons": reasons, "legacy": side, "modern": dict(side)}


def test_overall_prefixes_each_reason_with_its_seed():
    result, statistics = verdict.overall("exact", [record(0, []), record(1, ["losses differ"])])
    assert result["match"] is False and result["outcome"] == "mismatch" and statistics is None
    assert result["reasons"] == ["seed 1: losses differ"]
    assert result["standard"].startswith("exact: bit-identical")
    assert verdict.overall("exact", [record(0, [])])[0]["match"] is True


def test_overall_idiomatic_runs_the_equivalence_test():
    result, statistics = verdict.overall("idiomatic", [record(0, []), record(1, [])])
    assert set(statistics) == set(verdict.STATISTICAL_METRICS)
    assert result["outcome"] == "equivalent" and result["match"] is True
    assert result["standard"].startswith("equivalence:")
    early = verdict.overall("idiomatic", [record(0, ["first 10 steps' losses differ"]),
                                          record(1, [])])[0]
    assert early["outcome"] == "different" and early["match"] is False
