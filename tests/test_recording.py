"""Golden recordings (`compare.py --record`): what a recording holds, and
every way a recording is refused with one line."""

import contextlib
import io
import json
import os

import numpy as np
import pytest

import compare
from common import cli, sources
from tf1kit.errors import DataError
from tf1kit import environment
from parity.golden import recording
from tests.helpers import (
    REPO_ROOT,
    edit_recording,
    op_determinism_restored,
    subprocess_environment,
)

SHORT = ["--epochs", "1", "--steps-per-epoch", "20", "--quiet"]
# Traced steps 1-3 (always) and 10: a gap (4-9) without traces, values at 1 and 10.
TRACE_VALUES = ["--trace-values", "1,10"]
# Every test here trains (a shared one-seed recording, or a run of its own).
pytestmark = pytest.mark.slow


def run_compare(argv):
    """compare.py in this process through run_main: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            op_determinism_restored():
        try:
            status = cli.run_main(compare.main, "python compare.py", argv)
        except SystemExit as usage:  # the parser's one-line errors
            status = usage.code
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("recordings") / "golden")
    status, printed, _ = run_compare(["--record", folder, *SHORT, *TRACE_VALUES])
    assert status == 0, printed
    return folder, printed


def test_a_recording_holds_the_legacy_runs_and_a_manifest_that_pins_them(recorded):
    folder, printed = recorded
    assert printed.startswith(f"recorded legacy, 1 seed(s) of 20 steps, to {folder}")
    manifest, arrays = recording.load(folder)
    assert manifest["format_version"] == recording.FORMAT_VERSION
    assert manifest["config"]["total_steps"] == 20 and manifest["config"]["seeds"] == [0]
    sample = sources.DataSource("sample")
    assert manifest["data"]["files"] == {
        os.path.basename(path): recording.sha256_of(path)
        for path in recording.data_files(sample)}
    environment = manifest["environment"]
    assert {"tensorflow", "keras", "numpy", "python"} <= set(environment["versions"])
    assert environment["machine"]["cpu"] and environment["op_determinism"] is True
    for seed in (0,):
        entry = manifest["seeds"][str(seed)]
        assert entry["sha256"] == recording.sha256_of(os.path.join(folder, entry["file"]))
        stored = arrays[seed]
        assert stored["step_losses"].dtype == np.float32 and stored["step_losses"].shape == (20,)
        assert stored["final/encoder_h1"].shape == (784, 128)
        assert not np.array_equal(stored["final/encoder_h1"], stored["initial/encoder_h1"])
        assert stored["order"].shape == (20, 256) and stored["order"].dtype == np.uint16
        assert list(stored["trace/steps"]) == [1, 2, 3, 10] == entry["traced_steps"]
        assert stored["trace/digests"].shape == (4, len(stored["trace/names"]), 32)
        assert "trace/10/activation/decoder_4/a" in stored  # values kept at 1 and 10 only
        assert "trace/1/gradient/encoder_h1" in stored and "trace/2/gradient/encoder_h1" \
            not in stored
    assert manifest["traces"] == {"steps": [1, 2, 3, 10], "value_steps": [1, 10]}


def test_the_recorded_order_and_traces_are_legacys(recorded):
    """The batch order is TF1's next_batch order, and every recorded digest
    and value is that of the original graph's own step (a fresh replay)."""
    from legacy.steps import LegacyStepper
    from parity import engine, sides
    from parity.golden import step_traces
    _, arrays = recording.load(recorded[0])
    stored, recorded_traces = arrays[0], step_traces.RecordedTraces(arrays[0])
    args = compare.parse_args(SHORT)
    loaded = cli.load_data(args)
    experiment = engine.make_experiment(loaded.raw, loaded.source.validation_size,
                                        cli.hyperparameters_from(args), cli.variant_from(args),
                                        loaded.steps_per_epoch)
    order = sides.tf1_order(experiment, 0)
    np.testing.assert_array_equal(stored["order"], np.asarray(order))
    initial = {key[len("initial/"):]: value for key, value in stored.items()
               if key.startswith("initial/")}
    stepper = LegacyStepper(experiment.hyper, experiment.variant, initial)
    try:
        for step in range(1, 11):
            batch = experiment.arrays.train_images[order[step - 1]]
            if step not in recorded_traces.steps:
                stepper.step(batch)
                continue
            trace = stepper.traced_step(batch)
            digests = recorded_traces.digests(step)
            for tensor in trace:
                name = step_traces.key(tensor.kind, tensor.name)
                assert digests[name] == step_traces.digest(tensor.value), (step, name)
                value = recorded_traces.value(step, tensor.kind, tensor.name)
                # Values kept at steps 1 and 10; `initial` and `update` are
                # rebuilt from the step before where it was kept (at step
                # 1: the initial weights), and checked against the digest.
                kept = step == 1 or (step == 10 and tensor.kind not in step_traces.DERIVED_KINDS)
                derived = step == 2 and tensor.kind in step_traces.DERIVED_KINDS \
                    and not (tensor.kind == "update")
                if kept or derived:
                    np.testing.assert_array_equal(value, tensor.value, err_msg=name)
                else:
                    assert value is None, (step, name)
    finally:
        stepper.close()


def copy_of(folder, tmp_path):
    import shutil
    target = tmp_path / "copy"
    shutil.copytree(folder, target)
    return str(target)


def test_a_changed_seed_file_is_refused(recorded, tmp_path):
    folder = copy_of(recorded[0], tmp_path)
    path = os.path.join(folder, "seed-0.npz")
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 1
    open(path, "wb").write(bytes(data))
    with pytest.raises(DataError, match="seed-0.npz: SHA-256 differs from the manifest's"):
        recording.load(folder)


def test_a_missing_seed_file_or_manifest_is_refused(recorded, tmp_path):
    folder = copy_of(recorded[0], tmp_path)
    os.remove(os.path.join(folder, "seed-0.npz"))
    with pytest.raises(DataError, match="incomplete recording: seed-0.npz of seed 0 is missing"):
        recording.load(folder)
    os.remove(os.path.join(folder, recording.MANIFEST))
    with pytest.raises(DataError, match="not a recording \\(no manifest.json\\)"):
        recording.load(folder)


def test_another_format_version_is_refused(recorded, tmp_path):
    folder = copy_of(recorded[0], tmp_path)
    path = os.path.join(folder, recording.MANIFEST)
    manifest = json.load(open(path))
    manifest["format_version"] = recording.FORMAT_VERSION + 1
    json.dump(manifest, open(path, "w"))
    with pytest.raises(DataError, match=f"format version {recording.FORMAT_VERSION + 1}; "
                                        f"this program reads version {recording.FORMAT_VERSION}"):
        recording.load(folder)


def test_an_existing_recording_is_replaced_only_with_force(recorded, tmp_path):
    folder = copy_of(recorded[0], tmp_path)
    before = open(os.path.join(folder, recording.MANIFEST)).read()
    status, _, error = run_compare(["--record", folder, *SHORT])
    assert status == 2 and "already holds a recording; pass --force" in error
    assert error.count("\n") == 1 and open(os.path.join(folder, recording.MANIFEST)).read() == before
    open(os.path.join(folder, "seed-7.npz"), "wb").write(b"an older recording's seed")
    status, printed, _ = run_compare(["--record", folder, "--force", *SHORT,
                                      "--learning-rate", "0.02"])
    assert status == 0 and f"what changed since the recording it replaces: {folder}" in printed
    # seed 7's file went; the reviewer's diff came
    assert sorted(os.listdir(folder)) == ["changes.md", "manifest.json", "seed-0.npz"]
    assert list(recording.load(folder)[1]) == [0]
    changes = open(os.path.join(folder, recording.CHANGES)).read()
    assert "- learning_rate: 0.01 -> 0.02" in changes
    assert "- seed 0: losses differ from step 2 on (19 of 20 steps" in changes
    # Step 1's loss is computed before the first update: what changed first is Adam's update.
    assert "first changed tensor: step 1, update encoder_h1 (" in changes
    assert "Environment\n\n- unchanged" in changes


def test_record_refuses_flags_that_need_the_modern_side_and_foreign_folders(tmp_path):
    status, _, error = run_compare(["--record", str(tmp_path / "r"), "--perturb", "epsilon"])
    assert status == 2 and "drop --perturb" in error
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    status, _, error = run_compare(["--record", str(tmp_path / "busy"), *SHORT])
    assert status == 2 and "holds files that are not a recording's (notes.txt" in error


def test_against_a_recording_only_the_modern_side_trains_and_matches(recorded, tmp_path):
    import jsonschema

    from parity import report
    status, printed, _ = run_compare(["--against", recorded[0], "--out", str(tmp_path / "r")])
    assert status == 0, printed
    result = json.loads((tmp_path / "r" / "report.json").read_text())
    jsonschema.validate(result, report.load_schema())
    assert result["verdict"]["outcome"] == "match" and result["seeds"] == [0]
    assert result["config"]["total_steps"] == 20  # the recording's, not the default 2,140
    assert result["recording"]["environment_differences"] == []
    assert all(timing["legacy_seconds"] == 0.0 for timing in result["timings"]["per_seed"])
    assert "environment since the recording: unchanged" in printed


def test_against_a_recording_a_negative_control_still_fails(recorded, tmp_path):
    status, printed, _ = run_compare(["--against", recorded[0], "--perturb", "adam", "--quiet",
                                      "--out", str(tmp_path / "r")])
    assert status == 1 and "verdict: MISMATCH" in printed


def test_an_edited_manifest_is_refused(recorded, tmp_path):
    folder = copy_of(recorded[0], tmp_path)
    path = os.path.join(folder, recording.MANIFEST)
    manifest = json.load(open(path))
    manifest["config"]["learning_rate"] = 0.02
    json.dump(manifest, open(path, "w"))
    with pytest.raises(DataError, match="manifest was edited after the recording was made"):
        recording.load(folder)


def test_against_finds_where_a_mismatch_is_born_without_legacy(recorded, tmp_path):
    """--against --perturb epsilon, in a fresh process: MISMATCH, localized
    with the recorded traces to what a live comparison's replay of both
    sides finds, and legacy/ never imported."""
    import subprocess
    import sys
    out = tmp_path / "against"
    script = ("import sys, compare; from common import cli\n"
              f"status = cli.run_main(compare.main, 'python compare.py', ['--against', "
              f"{recorded[0]!r}, '--perturb', 'epsilon', '--quiet', '--out', {str(out)!r}])\n"
              "print('LEGACY', sorted(m for m in sys.modules if m.split('.')[0] == 'legacy'))\n"
              "sys.exit(status)")
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           cwd=REPO_ROOT, env=subprocess_environment(), timeout=300)
    assert child.returncode == 1 and "verdict: MISMATCH" in child.stdout, child.stderr[-2000:]
    assert "LEGACY []" in child.stdout
    against = json.loads((out / "report.json").read_text())["runs"][0]["divergence"]
    status, _, _ = run_compare([*SHORT, "--perturb", "epsilon", "--out", str(tmp_path / "live")])
    live = json.loads((tmp_path / "live" / "report.json").read_text())["runs"][0]["divergence"]
    assert status == 1 and against.pop("source") == "recording"
    # The recording's value steps (1 and 10) are judged against it, the birth
    # step alone live: the same first tensor beyond its bound.
    against_judge, live_judge = against.pop("judge"), live.pop("judge")
    assert against_judge["steps"] == [1, 10] and live_judge["steps"] == [1]
    assert against_judge["first"] == live_judge["first"] is not None
    assert against == live  # step, first tensor, its ulps, the others, the referee, the verdict
    _, arrays = recording.load(recorded[0])  # and the live legacy run is the recorded one
    live_losses = json.loads((tmp_path / "live" / "report.json").read_text())["runs"][0][
        "legacy"]["step_losses"]
    np.testing.assert_array_equal(np.float32(live_losses), arrays[0]["step_losses"])
    assert live["step"] == 1 and live["first"]["tensor"] == "encoder_h1"


def test_a_difference_born_between_traced_steps_is_bounded_by_them(recorded):
    """Steps 4-9 are not traced: a difference whose state before step 10
    already differs is said to be born in steps 4-9, not at step 10."""
    from parity import engine
    from parity.golden import against
    from parity.perturbations import NONE
    manifest, arrays = recording.load(recorded[0])
    stored = dict(arrays[0])
    digests = stored["trace/digests"].copy()
    names = [str(name) for name in stored["trace/names"]]
    digests[3, names.index("initial m/decoder_b4")] ^= 1  # step 10 starts from another state
    stored["trace/digests"] = digests
    args = compare.parse_args(SHORT)
    loaded = cli.load_data(args)
    experiment = engine.make_experiment(loaded.raw, loaded.source.validation_size,
                                        cli.hyperparameters_from(args), cli.variant_from(args),
                                        loaded.steps_per_epoch, legacy=False)
    side = against.recorded_sides(manifest, {0: stored}, experiment.arrays.test_labels)[0]
    original = against.recorded_sides(manifest, arrays, experiment.arrays.test_labels)[0]
    with op_determinism_restored():
        environment.configure_tensorflow("cpu")
        record = against.localize(experiment, 0, "exact", NONE, side.run,
                                  loss_step=12).as_record()
        untouched = against.localize(experiment, 0, "exact", NONE, original.run,
                                     loss_step=12).as_record()
    assert record["step"] is None and record["born_within"] == [4, 9]
    assert record["first"]["kind"] == "initial" and record["first"]["tensor"] == "m/decoder_b4"
    assert "born in steps 4-9, between the steps the recording traced" in record["verdict"]
    assert untouched["born_within"] == [11, 12] and untouched["first"] is None


def test_against_reports_what_changed_in_the_environment(recorded, tmp_path):
    folder = copy_of(recorded[0], tmp_path)

    def elsewhere(manifest):
        manifest["environment"]["versions"]["tensorflow"] = "2.16.2"
        manifest["environment"]["machine"]["cpu"] = "Another CPU"
    edit_recording(folder, elsewhere)
    status, printed, _ = run_compare(["--against", folder, "--quiet",
                                      "--out", str(tmp_path / "r")])
    assert status == 0  # runs anyway: what an upgrade changed is the point
    result = json.loads((tmp_path / "r" / "report.json").read_text())
    differences = result["recording"]["environment_differences"]
    assert "cpu: Another CPU -> " + result["environment"]["machine"]["cpu"] in differences
    assert any(line.startswith("tensorflow: 2.16.2 -> ") for line in differences)
    assert "environment since the recording: " in printed and "cpu: Another CPU -> " in printed


def test_against_refuses_contradicting_flags_and_other_data(recorded, tmp_path):
    from tests.helpers import write_synthetic_idx
    status, _, error = run_compare(["--against", recorded[0], "--epochs", "3"])
    assert status == 2 and error.count("\n") == 1
    assert "--epochs 3 contradicts the recording" in error and "made with --epochs 1" in error
    write_synthetic_idx(tmp_path / "other", 5300, 100)  # TF1 keeps 5,000 for validation
    status, _, error = run_compare(["--against", recorded[0], "--data", str(tmp_path / "other")])
    assert status == 2 and "was made on data with" in error and "this data's is" in error
    assert not (tmp_path / "r").exists()
    status, _, error = run_compare(["--against", recorded[0], "--record", str(tmp_path / "x")])
    assert status == 2 and "give one of them" in error


def test_against_takes_the_recordings_seeds_whatever_the_modes_default():
    from parity.golden import against
    manifest = {"config": {"learning_rate": 0.01, "training_epochs": 1, "batch_size": 256,
                           "steps_per_epoch": 20, "variant": {"name": "deep"}, "seeds": [3, 4]}}
    for mode in ("exact", "idiomatic"):  # default --seeds: 1 and 5
        args = compare.parse_args(["--against", "DIR", "--mode", mode])
        against.apply_config(args, manifest, "DIR", compare.parse_args(["--mode", mode]))
        assert (args.seed, args.seeds, args.epochs, args.steps_per_epoch) == (3, 2, 1, 20)
    args = compare.parse_args(["--against", "DIR", "--mode", "idiomatic", "--seeds", "3"])
    with pytest.raises(DataError, match="--seeds 3 contradicts the recording in DIR, made "
                                        "with --seeds 2"):
        against.apply_config(args, manifest, "DIR",
                             compare.parse_args(["--mode", "idiomatic"]))


def test_against_a_recording_made_with_other_threads_judges_instead_of_flagging(recorded,
                                                                               tmp_path):
    """A recording whose thread counts differ from this run's is another
    bit-deciding environment: the replay is MATCH or ROUNDING (exit 0), on
    any CPU; negative controls whose change is real stay MISMATCH: a changed
    input (divide-255) and a changed Adam formula (epsilon)."""
    folder = copy_of(recorded[0], tmp_path)
    # This process's runtime runs with the defaults: the recorded counts
    # cannot be applied, and the report says so.
    edit_recording(folder, lambda manifest: manifest["environment"].update(
        threads={"intra_op": 1, "inter_op": 1}))
    status, printed, _ = run_compare(["--against", folder, "--quiet", "--out",
                                      str(tmp_path / "same")])
    result = json.loads((tmp_path / "same" / "report.json").read_text())
    assert any(line.startswith("intra_op_threads: 1 -> ")
               for line in result["recording"]["bit_deciding_differences"])
    assert status == 0 and result["verdict"]["outcome"] in ("match", "rounding"), printed
    assert "of which decide the bits: intra_op_threads: 1 -> " in printed
    for perturbation, why in (("divide-255", "step 1's input differs (input inputs)"),
                              ("epsilon", "float32 error bound")):
        status, printed, _ = run_compare(["--against", folder, "--quiet", "--perturb",
                                          perturbation, "--out", str(tmp_path / perturbation)])
        assert status == 1 and "verdict: MISMATCH (exact across environments" in printed
        assert why in printed, printed
