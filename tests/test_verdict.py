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


def test_welch_test_agrees_with_scipy_and_handles_zero_spread():
    a, b = [1.0, 1.2, 0.9, 1.1], [1.5, 1.4, 1.6, 1.45]
    result = verdict.welch_test(a, b)
    assert result["p_value"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert result["difference_of_means"] == pytest.approx(np.mean(b) - np.mean(a))
    assert verdict.welch_test([2.0, 2.0], [2.0, 2.0])["p_value"] == 1.0
    assert verdict.welch_test([2.0, 2.0], [3.0, 3.0])["p_value"] == 0.0


def quality(test_cost, knn, silhouette=0.3, ari=0.4):
    return {"test_cost": test_cost, "knn_accuracy": knn, "silhouette": silhouette,
            "kmeans_ari_vs_labels": ari}


def test_statistical_reasons_use_the_bonferroni_threshold():
    seeds = [{"legacy": quality(0.05 + 0.001 * i, 0.60 + 0.01 * i, 0.3 + 0.01 * i,
                                0.4 + 0.01 * i),
              "modern": quality(0.05 + 0.001 * i, 0.90 + 0.01 * i, 0.3 + 0.01 * (2 - i),
                                0.4 + 0.01 * (2 - i))} for i in range(3)]
    tests, reasons = verdict.statistical_reasons(seeds)
    threshold = verdict.FAMILY_ALPHA / len(verdict.STATISTICAL_METRICS)
    assert all(test["threshold"] == threshold for test in tests.values())
    assert tests["test_cost"]["p_value"] == 1.0  # identical values
    assert tests["knn_accuracy"]["p_value"] < threshold
    assert [reason.split(":")[0] for reason in reasons] == ["knn_accuracy"]


def test_a_metric_missing_for_one_seed_is_a_reason():
    seeds = [{"legacy": quality(0.05, 0.6), "modern": quality(0.05, math.nan)},
             {"legacy": quality(0.05, 0.6), "modern": quality(0.05, 0.6)}]
    tests, reasons = verdict.statistical_reasons(seeds)
    assert "knn_accuracy" not in tests
    assert "knn_accuracy: not available for every seed" in reasons


def record(seed, reasons, test_cost=0.05, knn=0.6):
    side = {"quality": quality(test_cost, knn), "test_cost": test_cost}
    return {"seed": seed, "reasons": reasons, "legacy": side, "modern": dict(side)}


def test_overall_prefixes_each_reason_with_its_seed():
    result, statistics = verdict.overall("exact", [record(0, []), record(1, ["losses differ"])])
    assert result["match"] is False and statistics is None
    assert result["reasons"] == ["seed 1: losses differ"]
    assert result["standard"].startswith("exact: bit-identical")
    assert verdict.overall("exact", [record(0, [])])[0]["match"] is True


def test_overall_idiomatic_runs_the_statistical_test():
    result, statistics = verdict.overall("idiomatic", [record(0, []), record(1, [])])
    assert set(statistics) == set(verdict.STATISTICAL_METRICS)
    assert result["match"] is True and result["standard"].startswith("statistical:")
