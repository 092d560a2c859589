"""compare.py: passes a faithful port, fails an unfaithful one, reports both."""

import contextlib
import io
import json

import jsonschema
import numpy as np
import pytest
import tensorflow as tf

import compare
from common import sources
from parity import report
from tf1kit.data import input_data as legacy_input_data
from tests.helpers import op_determinism_restored, run_module

SHORT = ["--epochs", "1", "--steps-per-epoch", "30", "--quiet"]


@pytest.fixture(scope="module", autouse=True)
def restore_op_determinism():
    with op_determinism_restored():
        yield


def run_compare(argv):
    """compare.main in this process (saves a TF start per call); (status, stdout)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = compare.main(argv)
    return status, printed.getvalue()


@pytest.fixture(scope="module")
def exact_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("exact") / "report"
    status, printed = run_compare(["--epochs", "2", "--steps-per-epoch", "150", "--quiet",
                                   "--out", str(out)])
    with open(out / "report.json", encoding="utf-8") as stream:
        return status, printed, json.load(stream), out


@pytest.mark.slow  # shares a 300-step comparison (8 s); the fast tier's budget is 90 s
def test_exact_mode_matches_with_zero_loss_difference(exact_report):
    status, printed, result, _ = exact_report
    assert status == 0
    assert "verdict: MATCH" in printed
    run = result["runs"][0]
    assert run["losses"]["steps_compared"] == 300
    assert run["losses"]["identical_steps"] == 300
    assert run["losses"]["first_differing_step"] is None
    assert run["losses"]["max_abs_difference"] == 0.0
    assert run["legacy"]["step_losses"] == run["modern"]["step_losses"]
    assert run["codes"]["max_abs_difference"] <= 1e-6
    assert run["divergence"] is None  # nothing to localize
    assert run["legacy"]["collapsed"] is False and run["modern"]["collapsed"] is False
    assert 0.06 < result["data"]["baseline_test_cost"] < 0.075  # MNIST's mean image
    assert "first difference" not in printed
    assert result["verdict"] == {"match": True, "outcome": "match",
                                 "standard": result["verdict"]["standard"], "reasons": []}


@pytest.mark.slow  # shares a 300-step comparison (8 s); the fast tier's budget is 90 s
def test_report_validates_against_its_schema_and_plots_exist(exact_report):
    _, _, result, out = exact_report
    jsonschema.validate(result, report.load_schema())
    for name in ("loss_curves.png", "codes.png", "reconstructions.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG", name
    assert result["environment"]["op_determinism"] is True
    assert result["environment"]["versions"]["tensorflow"] == tf.__version__


@pytest.mark.slow  # shares a 300-step comparison (8 s); the fast tier's budget is 90 s
def test_the_report_states_its_floor_beside_its_wall_time(exact_report):
    _, _, result, _ = exact_report
    timings = result["timings"]
    seed = timings["per_seed"][0]
    assert len(seed["legacy_epoch_seconds"]) == len(seed["modern_epoch_seconds"]) == 2
    part = timings["floor"]
    assert part["seconds"] == pytest.approx(part["setup_seconds"]
                                            + part["slower_side_alone_seconds"]
                                            + part["metrics_and_plots_seconds"])
    assert 0 < part["slower_side_alone_seconds"] <= max(seed["legacy_seconds"],
                                                       seed["modern_seconds"])
    assert part["setup_seconds"] > 0 and part["metrics_and_plots_seconds"] > 0
    assert part["ratio"] == pytest.approx(timings["wall_seconds"] / part["seconds"])


@pytest.mark.slow  # shares a 300-step comparison (8 s); the fast tier's budget is 90 s
def test_schema_rejects_a_report_without_verdict(exact_report):
    _, _, result, _ = exact_report
    broken = {key: value for key, value in result.items() if key != "verdict"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, report.load_schema())


@pytest.mark.slow
@pytest.mark.parametrize("perturbation", ["shuffle", "epsilon"])
def test_order_and_epsilon_perturbations_are_caught_in_idiomatic_mode(tmp_path, perturbation):
    status, printed = run_compare([*SHORT, "--mode", "idiomatic", "--seeds", "2", "--perturb",
                                   perturbation, "--no-explain", "--out", str(tmp_path / "r")])
    assert status == 1
    assert "first 10 steps' losses differ" in printed


@pytest.mark.slow
def test_unperturbed_idiomatic_mode_is_not_found_different(tmp_path):
    # 2 seeds x 30 steps: too few to prove equivalence, and nothing is different.
    status, printed = run_compare([*SHORT, "--mode", "idiomatic", "--seeds", "2",
                                   "--out", str(tmp_path / "r")])
    result = json.loads((tmp_path / "r" / "report.json").read_text())
    jsonschema.validate(result, report.load_schema())
    assert set(result["statistics"]) == {"test_cost", "knn_accuracy", "silhouette",
                                         "kmeans_ari_vs_labels"}
    outcome = result["verdict"]["outcome"]
    assert outcome in ("equivalent", "inconclusive"), printed
    assert status == {"equivalent": 0, "inconclusive": 3}[outcome]
    # Idiomatic losses part at step 2 (stock Adam): the first seed is explained.
    divergence = result["runs"][0]["divergence"]
    # stock Dense's BiasAdd: a bias gradient comes first, then stock Adam's slots.
    assert divergence["step"] == 1 and divergence["first"]["kind"] == "gradient"
    assert "_b" in divergence["first"]["tensor"] and "slot" in divergence["others"]
    assert result["runs"][1]["divergence"] is None


@pytest.mark.slow
def test_keras_initializer_scale_collapses_the_modern_side_only(tmp_path):
    status, printed = run_compare(["--epochs", "2", "--steps-per-epoch", "150", "--quiet",
                                   "--perturb", "init-stddev", "--no-explain",
                                   "--out", str(tmp_path / "r")])
    run = json.loads((tmp_path / "r" / "report.json").read_text())["runs"][0]
    assert status == 1
    assert run["modern"]["collapsed"] is True and run["legacy"]["collapsed"] is False
    assert "  modern collapsed: test MSE" in printed and "legacy collapsed" not in printed


@pytest.mark.slow
def test_a_collapsed_idiomatic_side_is_different(tmp_path):
    status, printed = run_compare([*SHORT, "--mode", "idiomatic", "--seeds", "3",
                                   "--perturb", "init-stddev", "--no-explain",
                                   "--out", str(tmp_path / "r")])
    result = json.loads((tmp_path / "r" / "report.json").read_text())
    assert status == 1 and result["verdict"]["outcome"] == "different", printed
    assert "verdict: DIFFERENT" in printed
    assert all(run["divergence"] is None for run in result["runs"])  # --no-explain


def test_batch_indices_reproduce_legacys_batches():
    mnist = legacy_input_data.read_data_sets(sources.SAMPLE_DIR, validation_size=0, seed=9)
    images = mnist.train.images
    indices = legacy_input_data.tf1_batch_indices(len(images), 256, 40, seed=9)
    np.random.seed(9)  # what legacy.training.train(data_seed=9) does
    for index in indices:
        np.testing.assert_array_equal(images[index], mnist.train.next_batch(256)[0])


@pytest.mark.slow
@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="a GPU is present")
def test_device_gpu_without_a_gpu_is_a_clear_error(tmp_path):
    result = run_module(["compare", "--device", "gpu", "--out", str(tmp_path / "r")])
    assert result.returncode == 2
    assert "--device gpu: TensorFlow sees no GPU" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
@pytest.mark.parametrize("flags, picture", [
    (["--variant", "sparse", "--weight-decay", "0.0001"], "activations.png"),
    (["--variant", "denoising", "--noise", "gaussian"], "denoising.png"),
])
def test_variants_are_bit_identical_in_exact_mode(tmp_path, flags, picture):
    status, printed = run_compare(["--epochs", "2", "--steps-per-epoch", "100", "--quiet",
                                   *flags, "--out", str(tmp_path / "r")])
    assert status == 0, printed
    result = json.loads((tmp_path / "r" / "report.json").read_text())
    jsonschema.validate(result, report.load_schema())
    run = result["runs"][0]
    assert run["losses"]["identical_steps"] == 200
    assert run["legacy"]["variant_report"] == run["modern"]["variant_report"]
    assert run["legacy"]["variant_report"]  # the variant's own figures are reported
    assert (tmp_path / "r" / picture).read_bytes()[:4] == b"\x89PNG"
