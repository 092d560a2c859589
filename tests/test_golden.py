"""The golden recording shipped in golden/sample: the original program's
default run on the bundled sample, recorded once. The modern side is
checked against it (the fast regression check: no legacy/ run), and
legacy is checked to still reproduce it, which is what keeps the golden
honest.

Both are bit-for-bit checks where this machine and TensorFlow are those
the golden was recorded on (parity/golden.py BIT_DECIDING); elsewhere the
bits are not expected to agree (TensorFlow promises no determinism across
versions or CPUs), and the checks say so instead of failing.
"""

import json
import os

import numpy as np
import pytest

import compare
from common import cli, sources
from parity import golden, recording, report
from tests.helpers import REPO_ROOT
from tests.test_recording import run_compare

GOLDEN = os.path.join(REPO_ROOT, "golden", "sample")
REGENERATE = "python compare.py --record golden/sample --trace-values none --force"
# The golden is committed to the repository: a few MB at most.
MAX_GOLDEN_BYTES = 4_000_000


@pytest.fixture(scope="module")
def shipped():
    return recording.load(GOLDEN)


def this_environment() -> dict:
    """The environment record a comparison here would write."""
    from parity import engine, environment
    from tests.helpers import op_determinism_restored
    with op_determinism_restored():
        configured = engine.configure_tensorflow("cpu")
    return {"versions": report.versions(), "machine": environment.fingerprint(), **configured}


def test_the_golden_is_the_default_comparison_of_the_bundled_sample(shipped):
    manifest, arrays = shipped
    defaults = compare.parse_args([])
    config = manifest["config"]
    assert (config["learning_rate"], config["training_epochs"], config["batch_size"]) == \
        (defaults.learning_rate, defaults.epochs, defaults.batch_size)
    assert config["total_steps"] == 2140 and config["seeds"] == [0]
    assert config["variant"] == {"name": "deep"}
    assert manifest["data"]["files"] == recording.data_record(sources.DataSource("sample"))["files"]
    assert manifest["command"] == REGENERATE.replace(" --force", "") + " --quiet"
    size = sum(os.path.getsize(os.path.join(GOLDEN, name)) for name in os.listdir(GOLDEN))
    assert size <= MAX_GOLDEN_BYTES
    assert list(arrays[0]["trace/steps"]) == [1, 2, 3, *range(100, 2101, 100)]


@pytest.mark.slow
def test_the_modern_side_matches_the_shipped_golden(shipped, tmp_path):
    manifest, _ = shipped
    status, printed, _ = run_compare(["--against", GOLDEN, "--quiet", "--out",
                                      str(tmp_path / "r")])
    result = json.loads((tmp_path / "r" / "report.json").read_text())
    elsewhere = golden.bit_compatibility(manifest["environment"], result["environment"])
    run = result["runs"][0]
    if not elsewhere:
        assert status == 0 and result["verdict"]["outcome"] == "match", printed
        return
    # Another TensorFlow or CPU: the difference is reported, not refused,
    # and the early losses still agree to the idiomatic mode's tolerance.
    from parity import verdict
    assert status in (0, 1) and "environment since the recording: " in printed
    assert verdict.early_reasons(run["losses"], []) == [], (
        f"recorded on another environment ({'; '.join(elsewhere)}), and even the first "
        f"{verdict.EARLY_STEPS} losses differ: {printed}")


@pytest.mark.slow
def test_legacy_on_this_machine_still_reproduces_the_shipped_golden(shipped):
    from parity import changes, engine, sides, step_traces
    manifest, arrays = shipped
    elsewhere = golden.bit_compatibility(manifest["environment"], this_environment())
    if elsewhere:
        pytest.skip("the golden was recorded where float32 bits can differ from here ("
                    + "; ".join(elsewhere) + "); legacy is not expected to reproduce it")
    args = compare.parse_args([])
    loaded = cli.load_data(args)
    experiment = engine.make_experiment(loaded.raw, loaded.source.validation_size,
                                        cli.hyperparameters_from(args), cli.variant_from(args),
                                        loaded.steps_per_epoch)
    order = sides.tf1_order(experiment, 0)
    side = sides.run_legacy(experiment, 0, log=lambda line: None)
    assert side.run is not None, side.failure
    # The traces of steps 1-3 (those of every 100th step need a replay of
    # the whole run; the losses and final state below cover those steps).
    traced = step_traces.legacy_traces(experiment, 0, side.run, order, [1, 2, 3])
    fresh = recording.seed_arrays(side.run, order, traced)
    change = changes.seed_change(arrays[0], fresh)
    assert change == "unchanged: the same bits at all 2140 steps", (
        f"legacy on this machine no longer reproduces golden/sample: {change}. If a new "
        f"TensorFlow or machine explains it, record again with `{REGENERATE}`, read "
        "golden/sample/changes.md (what changed, where it was born), and commit the new "
        "golden only after review.")
    np.testing.assert_array_equal(fresh["order"], arrays[0]["order"])


def test_only_what_decides_the_bits_makes_a_recording_foreign(shipped):
    recorded = shipped[0]["environment"]
    same = json.loads(json.dumps(recorded))
    same["machine"]["cpu"] = "Another name for the same chip"
    same["machine"]["onednn"]["TF_ENABLE_ONEDNN_OPTS"] = "1"
    same["versions"]["platform"] = "Linux-7.0"
    assert golden.bit_compatibility(recorded, same) == []
    other = json.loads(json.dumps(recorded))
    other["machine"]["cpu_flags"] = ["sse4_2", "avx", "avx2", "fma"]
    other["versions"]["tensorflow"] = "2.16.2"
    assert golden.bit_compatibility(recorded, other) == [
        f"tensorflow: {recorded['versions']['tensorflow']} -> 2.16.2",
        f"cpu_flags: {recorded['machine']['cpu_flags']} -> ['sse4_2', 'avx', 'avx2', 'fma']"]
