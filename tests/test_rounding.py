"""The cross-environment verdict (parity/golden/rounding.py) on constructed seed
records: each rule that keeps a difference a MISMATCH, and ROUNDING when
none applies. The real replays are in tests/test_recording.py."""

import copy

from parity.golden import rounding

ROUNDING_RECORD = {
    "seed": 0, "reasons": ["losses differ from step 14 (max |difference| 4.17e-07)"],
    "losses": {"lengths_equal": True, "steps_compared": 200, "early_max_abs_difference": 0.0},
    "legacy": {"failure": None, "test_cost": 0.0602, "quality": {
        "knn_accuracy": 0.334, "silhouette": -0.069, "kmeans_ari_vs_labels": 0.146}},
    "modern": {"failure": None, "test_cost": 0.0602, "quality": {
        "knn_accuracy": 0.336, "silhouette": -0.069, "kmeans_ari_vs_labels": 0.146}},
    "divergence": {
        "step": 1, "first": {"kind": "activation", "tensor": "encoder_1/z"},
        "tensors": [{"kind": "activation", "tensor": "encoder_1/z"},
                    {"kind": "gradient", "tensor": "decoder_b4"},
                    {"kind": "weight", "tensor": "encoder_h1"}],
        "referee": {"activation encoder_1/z": {"legacy_ulp": 20.9, "modern_ulp": 33.6}},
        "judge": {"steps": [1], "first": None, "not_judged": [], "closest": {
            "modern": {"side": "modern", "step": 1, "kind": "weight", "tensor": "encoder_h1",
                       "ratio": 0.98}}}}}
BEYOND = {"side": "modern", "step": 1, "kind": "weight", "tensor": "encoder_h1", "ratio": 3.1,
          "error": 2e-9, "bound": 6.5e-10, "element": 5}

def changed(edit):
    record = copy.deepcopy(ROUNDING_RECORD)
    edit(record)
    return rounding.overall([record], ["intra_op_threads: 2 -> 1"])


def test_a_difference_born_as_rounding_within_tolerance_is_rounding():
    verdict = changed(lambda record: None)
    assert verdict["outcome"] == "rounding" and not verdict["match"]
    assert "born as float32 rounding at step 1, activation encoder_1/z" in verdict["reasons"][0]
    assert "intra_op_threads: 2 -> 1" in verdict["standard"]


def test_bit_identical_seeds_are_a_match():
    verdict = changed(lambda record: record.update(reasons=[], divergence=None))
    assert verdict["outcome"] == "match" and verdict["match"]


def test_a_changed_input_or_start_is_never_rounding():
    def input_first(record):
        record["divergence"]["tensors"].insert(0, {"kind": "input", "tensor": "inputs"})
    assert changed(input_first)["outcome"] == "mismatch"
    assert "input differs" in changed(input_first)["reasons"][0]
    verdict = changed(lambda record: record["divergence"].update(step=0))
    assert verdict["outcome"] == "mismatch" and "different weights" in verdict["reasons"][0]


def test_a_tensor_beyond_its_bound_on_either_side_is_a_mismatch():
    verdict = changed(lambda record: record["divergence"]["judge"].update(first=BEYOND))
    assert verdict["outcome"] == "mismatch"
    assert verdict["reasons"][0].startswith(
        "seed 0: modern's weight encoder_h1 at step 1 is 3.1x its float32 error bound")
    verdict = changed(lambda record: record["divergence"]["judge"].update(
        first=dict(BEYOND, side="legacy")))
    assert verdict["outcome"] == "mismatch" and "legacy's weight" in verdict["reasons"][0]


def test_a_tensor_not_judged_keeps_it_a_mismatch():
    verdict = changed(lambda record: record["divergence"]["judge"]["not_judged"].append(
        "modern's loss penalty_1 of step 1 (no bound)"))
    assert verdict["outcome"] == "mismatch" and "could be judged" in verdict["reasons"][0]


def test_a_birth_that_cannot_be_refereed_is_not_judged_rounding():
    verdict = changed(lambda record: record["divergence"].update(judge=None))
    assert verdict["outcome"] == "mismatch" and "--trace-values 1" in verdict["reasons"][0]
    verdict = changed(lambda record: record["divergence"].update(step=None, born_within=[4, 99]))
    assert verdict["outcome"] == "mismatch" and "steps 4-99" in verdict["reasons"][0]
    assert changed(lambda record: record.update(divergence=None))["outcome"] == "mismatch"


def test_a_trajectory_beyond_the_idiomatic_tolerances_is_a_mismatch():
    verdict = changed(lambda record: record["losses"].update(early_max_abs_difference=2e-5))
    assert verdict["outcome"] == "mismatch" and "first 10 steps" in verdict["reasons"][0]
    verdict = changed(lambda record: record["modern"]["quality"].update(knn_accuracy=0.2))
    assert verdict["outcome"] == "mismatch" and "knn_accuracy" in verdict["reasons"][0]
    verdict = changed(lambda record: record["modern"].update(failure="loss is NaN at step 3"))
    assert verdict["outcome"] == "mismatch" and "NaN" in verdict["reasons"][0]
