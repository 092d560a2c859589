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
from common.errors import DataError
from parity import recording
from tests.helpers import op_determinism_restored

SHORT = ["--epochs", "1", "--steps-per-epoch", "20", "--quiet"]
# Every test here trains (a shared 2-seed recording, or a run of its own).
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
    status, printed, _ = run_compare(["--record", folder, *SHORT])
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


def test_the_recorded_losses_are_the_legacy_runs_bit_for_bit(recorded, tmp_path):
    folder, _ = recorded
    status, _, _ = run_compare([*SHORT, "--out", str(tmp_path / "live")])
    assert status == 0
    live = json.loads((tmp_path / "live" / "report.json").read_text())
    _, arrays = recording.load(folder)
    for run in live["runs"]:
        np.testing.assert_array_equal(np.float32(run["legacy"]["step_losses"]),
                                      arrays[run["seed"]]["step_losses"])


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
    with pytest.raises(DataError, match="incomplete recording: seed-0.npz is missing"):
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
    status, _, _ = run_compare(["--record", folder, "--force", *SHORT])
    assert status == 0
    assert sorted(os.listdir(folder)) == ["manifest.json", "seed-0.npz"]  # seed 7's file went
    assert list(recording.load(folder)[1]) == [0]


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


def test_against_reports_what_changed_in_the_environment(recorded, tmp_path):
    folder = copy_of(recorded[0], tmp_path)
    path = os.path.join(folder, recording.MANIFEST)
    manifest = json.load(open(path))
    manifest["environment"]["versions"]["tensorflow"] = "2.16.2"
    manifest["environment"]["machine"]["cpu"] = "Another CPU"
    json.dump(manifest, open(path, "w"))
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
    from parity import golden
    manifest = {"config": {"learning_rate": 0.01, "training_epochs": 1, "batch_size": 256,
                           "steps_per_epoch": 20, "variant": {"name": "deep"}, "seeds": [3, 4]}}
    for mode in ("exact", "idiomatic"):  # default --seeds: 1 and 5
        args = compare.parse_args(["--against", "DIR", "--mode", mode])
        golden.apply_config(args, manifest, "DIR", compare.parse_args)
        assert (args.seed, args.seeds, args.epochs, args.steps_per_epoch) == (3, 2, 1, 20)
    args = compare.parse_args(["--against", "DIR", "--mode", "idiomatic", "--seeds", "3"])
    with pytest.raises(DataError, match="--seeds 3 contradicts the recording in DIR, made "
                                        "with --seeds 2"):
        golden.apply_config(args, manifest, "DIR", compare.parse_args)
