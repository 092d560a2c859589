"""The terminal summary of a comparison, rendered from hand-made reports."""

import copy

import pytest

from parity import summary


def side(final=0.041, failure=None, variant_report=None):
    return {"test_cost": final + 0.006, "failure": failure,
            "quality": {"knn_accuracy": 0.617, "silhouette": 0.25,
                        "kmeans_ari_vs_labels": 0.31},
            "variant_report": variant_report or {}}


def make_report(**changes):
    run = {"seed": 7, "legacy": side(), "modern": side(),
           "losses": {"legacy_final_loss": 0.041, "modern_final_loss": 0.041,
                      "steps_compared": 2140, "identical_steps": 2140,
                      "first_differing_step": None, "max_abs_difference": 0.0,
                      "max_rel_difference": 0.0},
           "codes": {"finite": True, "max_abs_difference": 0.0, "procrustes_disparity": 0.0,
                     "centroid_procrustes_disparity": 0.0, "linear_cka": 1.0,
                     "kmeans_ari_between": 1.0}}
    report = {"perturb": None, "mode": "exact",
              "config": {"variant": {"name": "deep"}, "total_steps": 2140},
              "data": {"source": "bundled MNIST sample"}, "environment": {"device": "cpu"},
              "runs": [run], "timings": {"per_seed": [{"legacy_steps_per_second": 120.0,
                                                        "modern_steps_per_second": 180.5}]},
              "statistics": None,
              "verdict": {"match": True, "outcome": "match", "standard": "exact: bit-identical",
                          "reasons": []}}
    report.update(changes)
    return report


@pytest.fixture
def out(tmp_path):
    for name in ("loss_curves.png", "codes.png", "report.json"):
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def test_a_match_names_both_sides_the_steps_and_the_files(out):
    text = summary.render(make_report(), str(out))
    lines = text.splitlines()
    assert lines[0] == ("compare: deep autoencoder: legacy (tf.compat.v1 Session) vs modern "
                        "(Keras 3, exact) on bundled MNIST sample, cpu, 2140 steps per side")
    assert "seed 7" in lines
    assert "  steps compared 2140, identical 2140, first differing step none, max |dloss| " \
           "0.000, max rel 0.000" in lines
    assert "verdict: MATCH (exact: bit-identical)" in lines
    assert lines[-1] == (f"report: {out / 'report.json'}; plots in {out}: codes.png, "
                         "loss_curves.png")  # PNGs only, sorted


def test_a_mismatch_lists_every_reason_and_the_perturbation(out):
    report = make_report(perturb="epsilon", verdict={
        "match": False, "outcome": "mismatch", "standard": "exact: bit-identical",
        "reasons": ["seed 7: losses differ from step 2", "seed 7: codes are not finite"]})
    text = summary.render(report, str(out))
    assert "(Keras 3, exact, perturbation: epsilon)" in text.splitlines()[0]
    assert "verdict: MISMATCH (exact: bit-identical)\n  - seed 7: losses differ from step 2\n" \
           "  - seed 7: codes are not finite" in text


def test_a_stopped_side_shows_dashes_and_why(out):
    report = make_report()
    run = report["runs"][0]
    run["modern"] = side(failure="loss became nan at step 3; training stopped there")
    run["modern"]["test_cost"] = None
    run["losses"]["modern_final_loss"] = None
    run["codes"] = {"finite": False}
    lines = summary.render(report, str(out)).splitlines()
    cost_row = next(line for line in lines if line.strip().startswith("test cost (MSE)"))
    assert cost_row.split()[-1] == "-"
    assert "  codes: not finite on at least one side" in lines
    assert "  modern stopped: loss became nan at step 3; training stopped there" in lines


def test_small_numbers_switch_to_scientific_notation(out):
    report = make_report()
    report["runs"][0]["losses"].update(max_abs_difference=2.5e-9, first_differing_step=4)
    text = summary.render(report, str(out))
    assert "first differing step 4, max |dloss| 2.500e-09" in text


def test_variant_settings_and_figures_are_shown(out):
    report = make_report(config={"variant": {"name": "denoising", "noise": "masking",
                                             "noise_level": 0.25}, "total_steps": 2140})
    figures = {"test_cost_clean_input": 0.05, "test_cost_corrupted_input": 0.07}
    report["runs"][0]["legacy"]["variant_report"] = figures
    report["runs"][0]["modern"]["variant_report"] = copy.deepcopy(figures)
    text = summary.render(report, str(out))
    assert text.startswith("compare: denoising autoencoder (noise masking, noise_level 0.25):")
    assert "  legacy: test MSE vs clean images: clean input 0.050000, corrupted input " \
           "0.070000" in text


def test_statistics_table_has_a_row_per_metric(out):
    statistics = {"test_cost": {"legacy_mean": 0.047, "legacy_std": 0.001,
                                "modern_mean": 0.048, "modern_std": 0.002,
                                "difference_of_means": 0.001, "ci90": [-0.0012, 0.0032],
                                "margin": 0.00235, "outcome": "inconclusive",
                                "seeds_to_decide": 12}}
    report = make_report(mode="idiomatic", statistics=statistics, verdict={
        "match": False, "outcome": "inconclusive", "standard": "equivalence: ...",
        "reasons": ["test_cost: inconclusive: ..."]})
    text = summary.render(report, str(out))
    assert "  test_cost                    0.04700+-0.00100  0.04800+-0.00200  " \
           "[-0.00120, +0.00320]            +-0.0024  inconclusive" in text
    assert "verdict: INCONCLUSIVE (equivalence: ...)\n  - test_cost: inconclusive" in text


def divergence(**changes):
    verdict = ("modern's update decoder_b4 at step 1 is 3.1x its float32 error bound (error "
               "2e-09, bound 6.5e-10, at element 5): not what float32 evaluation of the "
               "original's arithmetic (TF1's kernels, its hyperparameters) can produce")
    record = {"step": 1, "loss_step": 2, "verdict": verdict,
              "first": {"kind": "gradient", "tensor": "decoder_b4", "shape": [784],
                        "elements_differing": 3, "max_abs_difference": 1e-9,
                        "max_ulp_distance": 1},
              "others": {"slot": 2, "update": 1},
              "referee": {"gradient decoder_b4": {"legacy_ulp": 0.4, "modern_ulp": 0.7}},
              "judge": {"steps": [1], "first": {"side": "modern"}, "closest": {},
                        "not_judged": []},
              "tensors": []}
    record.update(changes)
    return record


def test_the_divergence_line_names_step_tensor_and_the_judges_sentence():
    assert summary.divergence_line(divergence()) == (
        "first difference: step 1 (losses differ from step 2), gradient decoder_b4 (784): "
        "3 elements differ, max 1 ulp; then 2 slot, 1 update; judge: modern's update "
        "decoder_b4 at step 1 is 3.1x its float32 error bound (error 2e-09, bound 6.5e-10, at "
        "element 5): not what float32 evaluation of the original's arithmetic (TF1's kernels, "
        "its hyperparameters) can produce")


def test_the_divergence_line_for_different_starts_and_no_divergence():
    start = divergence(step=0, referee={}, verdict=None, others={}, judge=None,
                       first={"kind": "initial", "tensor": "encoder_h1", "shape": [784, 128],
                              "elements_differing": 1, "max_abs_difference": 2.0,
                              "max_ulp_distance": 9})
    assert summary.divergence_line(start) == (
        "first difference: step 0 (losses differ from step 2), initial encoder_h1 (784x128): "
        "1 element differs, max 9 ulp; the two sides start from different weights (no "
        "common state to judge from)")
    assert summary.divergence_line(None) is None
    unexplained = divergence(step=None, first=None, verdict="the replay did not reproduce it")
    assert summary.divergence_line(unexplained) == (
        "first difference: the replay did not reproduce it (losses differ from step 2)")


def test_steps_per_second_show_legacy_only_where_it_trained(out):
    """Live, both sides train at once and both rates are shown; against a
    recording legacy did not train here: its cell is "-", not a 0.0."""
    live = summary.render(make_report(), str(out)).splitlines()
    assert "  steps per second (concurrent)             120.0            180.5" in live
    recording = {"created": "2026-12-07", "folder": "golden/sample/x",
                 "environment_differences": [], "bit_deciding_differences": []}
    report = make_report(recording=recording)
    report["timings"]["per_seed"][0]["legacy_steps_per_second"] = 0.0
    replayed = summary.render(report, str(out)).splitlines()
    assert "  steps per second (modern alone)                -            180.5" in replayed
