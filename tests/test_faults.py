"""Faults: a loss that becomes NaN, Ctrl-C and SIGTERM sent to real runs,
and two real comparison runs that must write the same report."""

import concurrent.futures
import contextlib
import dataclasses
import io
import json
import os
import signal
import subprocess
import sys
import time

import jsonschema
import numpy as np
import pytest

import compare
from common import cli, sources
from common.config import Hyperparameters
from common.errors import NonFiniteLoss
from parity import report
from parity.perturbations import Perturbation
from tf1kit.data import input_data as legacy_input_data
from legacy import training as legacy_training
from modern import autoencoder as modern_autoencoder
from modern import checkpoints
from modern import input_data as modern_input_data
from modern import training as modern_training
from modern.batches import Loop
from modern.options import EXACT
from tests.helpers import REPO_ROOT, op_determinism_restored, subprocess_environment

SHORT = Hyperparameters(training_epochs=1)
# A NaN pixel in the first row of step 3's batch: TF1's first epoch is a
# permutation, so the two steps before it never see that row.
POISONED_STEP = 3


@pytest.fixture(scope="module")
def sample():
    return legacy_input_data.read_data_sets(sources.SAMPLE_DIR, validation_size=0, seed=0)


def poisoned_start(weights):
    poisoned = {name: value.copy() for name, value in weights.items()}
    poisoned["decoder_b4"][0] = np.nan
    return poisoned


def test_legacy_stops_at_the_first_nan_loss_naming_the_step(sample):
    start = legacy_training.train(sample, SHORT, graph_seed=0, steps_per_epoch=1,
                                     log=lambda line: None).initial_weights
    with pytest.raises(NonFiniteLoss) as caught:
        legacy_training.train(sample, SHORT, graph_seed=0, initial_weights=poisoned_start(start),
                                 steps_per_epoch=5, log=lambda line: None)
    assert caught.value.step == 1
    assert "loss became nan at step 1; training stopped there" in str(caught.value)


@pytest.mark.parametrize("loop", ["step", "in-graph", "fit"])
def test_modern_stops_at_the_first_nan_loss_naming_the_step(loop):
    data = modern_input_data.load(sources.DataSource("sample"))
    model = modern_autoencoder.build_model(SHORT, seed=0, options=EXACT)
    start = poisoned_start(checkpoints.get_original_weights(model))
    # fit runs a whole epoch (4 steps) per call and sees the loss at its end.
    expected = "loss became nan within steps 1-4" if loop == "fit" else "loss became nan at step 1"
    with pytest.raises(NonFiniteLoss, match=expected):
        if loop != "fit":  # in-graph: the NaN is found in the chunk's losses
            modern_training.train(data, SHORT, EXACT, seed=0, initial_weights=start, loop=Loop(
                steps_per_epoch=5, steps_per_call=5 if loop == "in-graph" else 1,
                log=lambda line: None, show_progress=False))
        else:
            checkpoints.set_original_weights(model, start)
            modern_training.fit(model, data.train_images[:1024], SHORT, verbose=0,
                                log=lambda line: None)


def test_a_non_finite_loss_is_one_line_and_status_3(capsys):
    def main(argv):
        raise NonFiniteLoss(17, float("inf"))
    assert cli.run_main(main, "python -m legacy") == cli.EXIT_TRAINING
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("python -m legacy: error: loss became inf at step 17; training "
                            "stopped there. Try a smaller --learning-rate")


@pytest.mark.slow
def test_compare_reports_a_side_whose_loss_became_nan_as_a_mismatch(tmp_path, monkeypatch):
    def poison(arrays):
        images = arrays.train_images.copy()
        steps = legacy_input_data.tf1_batch_indices(len(images), SHORT.batch_size,
                                                    POISONED_STEP, seed=0)
        images[steps[-1][0], 0] = np.nan
        return dataclasses.replace(arrays, train_images=images)
    # A negative control of the test's own, added to the table for this test.
    monkeypatch.setitem(compare.PERTURBATIONS, "poison",
                        Perturbation("poison", "a NaN pixel in step 3's batch", "-", data=poison))
    printed = io.StringIO()
    with op_determinism_restored(), contextlib.redirect_stdout(printed):
        status = compare.main(["--epochs", "1", "--steps-per-epoch", "10", "--quiet",
                               "--perturb", "poison", "--out", str(tmp_path / "out")])
    assert status == 1
    with open(tmp_path / "out" / "report.json", encoding="utf-8") as stream:
        result = json.load(stream)
    run = result["runs"][0]
    assert run["modern"]["failure"].startswith(f"loss became nan at step {POISONED_STEP};")
    assert run["legacy"]["failure"] is None and len(run["legacy"]["step_losses"]) == 10
    assert result["verdict"]["match"] is False
    assert any(reason.startswith("modern: loss became nan") for reason in run["reasons"])
    assert "MISMATCH" in printed.getvalue()
    # Localized: the NaN pixel is in modern's input of the step it poisons.
    jsonschema.validate(result, report.load_schema())
    divergence = run["divergence"]
    assert (divergence["step"], divergence["loss_step"]) == (POISONED_STEP, POISONED_STEP)
    assert (divergence["first"]["kind"], divergence["first"]["tensor"]) == ("input", "inputs")
    assert divergence["first"]["elements_differing"] == 1
    assert f"first difference: step {POISONED_STEP} (losses differ from step " \
           f"{POISONED_STEP}), input inputs (256x784): 1 element differs" in printed.getvalue()
    assert (tmp_path / "out" / "divergence.png").read_bytes()[:4] == b"\x89PNG"


# --- real signals to real runs ------------------------------------------

def tree(folder):
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, dirs, names in os.walk(folder) for name in dirs + names)


def interrupt_during_training(module, args, signum, work):
    """Start `python -m module args` in `work`, send `signum` once its first
    epoch line appears (training is under way), and return (status, stderr)."""
    process = subprocess.Popen([sys.executable, "-m", module, *args], cwd=work,
                               env=subprocess_environment(PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stdout:
            if "Epoch: 0001" in line:
                process.send_signal(signum)
                break
        process.stdout.read()
        return process.wait(timeout=120), process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()


SIGNAL_RUNS = {
    "legacy-sigterm": ("legacy", ["--plot", "codes.png", "--save-checkpoint", "ckpt/model.ckpt"],
                       signal.SIGTERM, "python -m legacy"),
    "modern-sigint": ("modern", ["--plot", "codes.png", "--save-model", "model.keras"],
                      signal.SIGINT, "python -m modern"),
    "modern-fit-sigterm": ("modern", ["--loop", "fit", "--plot", "codes.png"], signal.SIGTERM,
                           "python -m modern"),
    "compare-sigterm": ("compare", ["--out", "results"], signal.SIGTERM, "python compare.py"),
}


@pytest.fixture(scope="module")
def signalled(tmp_path_factory):
    """The runs at once (each spends most of its time importing TensorFlow)."""
    works = {}
    for name in SIGNAL_RUNS:
        works[name] = tmp_path_factory.mktemp(name)
        (works[name] / "ckpt").mkdir()
    with concurrent.futures.ThreadPoolExecutor(len(SIGNAL_RUNS)) as pool:
        futures = {name: pool.submit(interrupt_during_training, module, args, signum, works[name])
                   for name, (module, args, signum, _) in SIGNAL_RUNS.items()}
        return {name: (*future.result(), works[name]) for name, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SIGNAL_RUNS))
def test_a_signal_during_training_stops_cleanly_and_leaves_no_file(signalled, name):
    _, _, signum, program = SIGNAL_RUNS[name]
    status, stderr, work = signalled[name]
    assert status == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        f"{program}: stopped by {signal.Signals(signum).name}; no partial output was left")
    assert tree(work) == ["ckpt"]  # only what was there before: no output, no temporaries


# --- reproducibility ----------------------------------------------------

def run_compare_process(out):
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "compare", "--epochs", "1", "--steps-per-epoch", "40", "--quiet",
         "--out", str(out)], cwd=REPO_ROOT, env=subprocess_environment(), capture_output=True, text=True,
        timeout=300)
    return result, time.perf_counter() - started


@pytest.mark.slow
def test_two_runs_with_the_same_seed_write_the_same_report_except_timings(tmp_path):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(run_compare_process, [tmp_path / "first", tmp_path / "second"]))
    for result, _ in runs:
        assert result.returncode == 0, result.stderr
    raw = [(tmp_path / name / "report.json").read_bytes() for name in ("first", "second")]
    first, second = (json.loads(text) for text in raw)
    assert first["timings"] != second["timings"]  # wall-clock times do differ...
    first["timings"] = second["timings"]
    # ... and everything else is the same, byte for byte: the first report,
    # given the second's timings and written the way reports are written,
    # is the second file.
    rewritten = json.dumps(first, indent=1, sort_keys=True, allow_nan=False) + "\n"
    assert rewritten.encode("utf-8") == raw[1]
    environment_record = second["environment"]
    assert {"python", "tensorflow", "keras", "numpy", "platform"} <= set(
        environment_record["versions"])
    assert environment_record["device"] == "cpu" and environment_record["device_name"]
