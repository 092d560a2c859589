"""The golden recordings shipped in golden/sample: the original program's
default run on the bundled sample, recorded once per CPU kind seen
(parity/golden/sets.py). The modern side is checked against them (the
fast regression check: no legacy/ run), and legacy is checked to still
reproduce the one of this environment, which is what keeps them honest.

Where a recording's bit-deciding environment (tf1kit/environment.py
BIT_DECIDING) is this one, both are bit-for-bit checks; elsewhere the
bits are not expected to agree (TensorFlow promises no determinism across
versions or CPUs): the modern side's difference must then be judged
ROUNDING, and legacy's check says which recording this machine lacks.
"""

import json
import os

import numpy as np
import pytest

import compare
from common import cli, sources
from tf1kit import environment
from parity.golden import recording
from parity.golden.sets import RecordingSet
from tests.helpers import REPO_ROOT
from tests.test_recording import run_compare

GOLDEN = os.path.join(REPO_ROOT, "golden", "sample")
# Each member is recorded with step 1's values: what the float64 referee
# needs to judge legacy's side of a difference across environments.
REGENERATE = "python compare.py --record golden/sample/{label} --trace-values 1 --force"
# Each recording is committed to the repository: its 2,140 steps' batch
# order, weights and digests (2.7 MB) and step 1's every tensor (5.3 MB).
MAX_GOLDEN_BYTES = 9_000_000


@pytest.fixture(scope="module")
def shipped():
    return RecordingSet(GOLDEN)


def this_environment() -> dict:
    """The environment record a comparison here would write."""
    from tests.helpers import op_determinism_restored
    with op_determinism_restored():
        configured = environment.configure_tensorflow("cpu")
    return {**environment.environment_before("cpu"), **configured}


def test_the_golden_is_the_default_comparison_of_the_bundled_sample(shipped):
    defaults = compare.parse_args([])
    assert len(shipped.members) >= 2  # one per CPU kind seen
    for member in shipped.members:
        manifest = member.manifest
        config = manifest["config"]
        assert (config["learning_rate"], config["training_epochs"], config["batch_size"]) == \
            (defaults.learning_rate, defaults.epochs, defaults.batch_size)
        assert config["total_steps"] == 2140 and config["seeds"] == [0]
        assert config["variant"] == {"name": "deep"}
        assert manifest["data"]["files"] == \
            recording.data_record(sources.DataSource("sample"))["files"]
        assert manifest["command"].startswith("python compare.py --record golden/sample")
        size = sum(os.path.getsize(os.path.join(member.folder, name))
                   for name in os.listdir(member.folder))
        assert size <= MAX_GOLDEN_BYTES, member.label
        _, arrays = recording.load(member.folder)
        assert list(arrays[0]["trace/steps"]) == [1, 2, 3, *range(100, 2101, 100)]
    # At least one kept step 1's values, so that another CPU's replay is judged.
    assert any(member.has_values and member.manifest["traces"]["value_steps"] == [1]
               for member in shipped.members)


def test_each_golden_is_named_for_the_cpu_kind_it_was_recorded_on(shipped):
    from tf1kit import environment
    for member in shipped.members:
        assert member.label == environment.kind_label(member.manifest["environment"]["machine"])


@pytest.mark.slow
def test_the_modern_side_matches_the_shipped_golden(shipped, tmp_path):
    status, printed, _ = run_compare(["--against", GOLDEN, "--quiet", "--out",
                                      str(tmp_path / "r")])
    result = json.loads((tmp_path / "r" / "report.json").read_text())
    elsewhere = result["recording"]["bit_deciding_differences"]
    if not elsewhere:
        assert status == 0 and result["verdict"]["outcome"] == "match", printed
        return
    # Another TensorFlow, CPU kind or thread count: a difference is judged,
    # and what the modern side does is the original's, up to float32 rounding.
    assert status == 0 and result["verdict"]["outcome"] in ("match", "rounding"), printed


@pytest.mark.slow
def test_legacy_on_this_machine_still_reproduces_the_shipped_golden(shipped):
    from parity import engine, sides
    from tf1kit import environment
    from parity.golden import changes, record
    here = this_environment()
    matching = [member for member in shipped.members
                if not environment.bit_compatibility(member.manifest["environment"], here)]
    if not matching:
        label = environment.kind_label(here["machine"])
        pytest.skip(f"no golden was recorded in this bit-deciding environment ({label}, "
                    f"threads {here['threads']}); record it with "
                    f"`{REGENERATE.format(label=label).replace(' --force', '')}`")
    member = matching[0]
    _, arrays = recording.load(member.folder)
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
    traced = record.legacy_traces(experiment, 0, side.run, order, [1, 2, 3])
    fresh = record.seed_arrays(side.run, order, traced)
    change = changes.seed_change(arrays[0], fresh)
    regenerate = REGENERATE.format(label=member.label)
    assert change == "unchanged: the same bits at all 2140 steps", (
        f"legacy on this machine no longer reproduces {member.folder}: {change}. If a new "
        f"TensorFlow or machine explains it, record again with `{regenerate}`, read "
        f"{member.folder}/changes.md (what changed, where it was born), and commit the new "
        "golden only after review.")
    np.testing.assert_array_equal(fresh["order"], arrays[0]["order"])


def test_only_what_decides_the_bits_makes_a_recording_foreign(shipped):
    recorded = shipped.members[0].manifest["environment"]
    same = json.loads(json.dumps(recorded))
    same["machine"]["cpu"] = "Another name for the same chip"
    same["machine"]["onednn"]["TF_ENABLE_ONEDNN_OPTS"] = "1"
    same["versions"]["platform"] = "Linux-7.0"
    assert environment.bit_compatibility(recorded, same) == []
    other = json.loads(json.dumps(recorded))
    other["machine"]["cpu_flags"] = ["sse4_2", "avx", "avx2", "fma"]
    other["versions"]["tensorflow"] = "2.16.2"
    other["threads"] = {"intra_op": 1, "inter_op": 2}
    threads = environment.threads_of(recorded)
    assert environment.bit_compatibility(recorded, other) == [
        f"tensorflow: {recorded['versions']['tensorflow']} -> 2.16.2",
        f"cpu_flags: {recorded['machine']['cpu_flags']} -> ['sse4_2', 'avx', 'avx2', 'fma']",
        f"intra_op_threads: {threads['intra_op']} -> 1"]
    assert environment.bit_compatibility(recorded, other, threads=False)[2:] == []


def test_a_recording_without_thread_counts_ran_with_one_per_core():
    """Recordings made before the counts were recorded ran with TensorFlow's
    defaults: one thread per core of the machine they name."""
    assert environment.threads_of({"machine": {"cores": 4}}) == {"intra_op": 4, "inter_op": 4}
    assert environment.threads_of({"machine": {"cores": 4}, "threads": {"intra_op": 1,
                                                                  "inter_op": 2}}) == \
        {"intra_op": 1, "inter_op": 2}
    assert environment.threads_of({"machine": {}}) is None
