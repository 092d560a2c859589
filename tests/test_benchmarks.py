"""The benchmark command: interleaves its paths, counts FLOPs right, runs
end to end (no timing asserted) and compares itself with a previous run."""

import json

import numpy as np
import pytest

from benchmarks import paths, references, report, throughput
from benchmarks.paths import Setup
from common.config import Hyperparameters
from tf1kit.errors import DataError
from common.architecture import WEIGHT_NAMES, parameter_shapes


def test_flop_count_matches_the_matmuls_of_the_layer_shapes():
    batch = 256
    total = 0
    for name in WEIGHT_NAMES:
        fan_in, fan_out = parameter_shapes(Hyperparameters())[name]
        total += 2 * batch * fan_in * fan_out          # forward: x @ W
        total += 2 * fan_in * batch * fan_out          # backward: x^T @ dy
        if name != "encoder_h1":                       # backward: dy @ W^T (not for the input)
            total += 2 * batch * fan_out * fan_in
    assert references.flops_per_step(Hyperparameters().layer_sizes, batch) == total
    assert round(total / 1e9, 2) == 0.28


def test_rounds_rotate_the_order_and_drop_the_warm_up(monkeypatch):
    calls = []
    monkeypatch.setattr(paths, "RUNNERS", {
        name: (lambda setup, name=name: lambda number: calls.append((number, name)))
        for name in ("a", "b", "c")})
    setup = Setup(Hyperparameters(), np.zeros((4, 784), np.float32),
                  np.zeros((4, 2, 1), np.int32), {})
    seconds = throughput.run_rounds(setup, ["a", "b", "c"], 1, [], log=lambda line: None)
    assert [name for _, name in calls] == list("abc" "bca" "cab" "abc")
    assert [number for number, _ in calls] == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    assert {name: len(values) for name, values in seconds.items()} == {"a": 3, "b": 3, "c": 3}


def fake_report(cpu, ratio, flags=("avx2",)):
    return {"machine": {"cpu": cpu, "cores": 2, "cpu_flags": list(flags)},
            "batches": [{"batch_size": 256, "paths": {
                "legacy": {"vs_legacy": {"median": 1.0}},
                "modern_in_graph": {"vs_legacy": {"median": ratio}}}}]}


def test_agreement_with_the_previous_run_is_relative():
    change = report.agreement(fake_report("cpu A", 1.6), fake_report("cpu A", 1.76), 256)
    assert change == {"modern_in_graph": pytest.approx(0.10)}
    assert report.agreement(None, fake_report("cpu A", 1), 256) is None


def test_a_run_on_another_machine_adds_its_entry_and_replaces_only_its_own(tmp_path):
    document = report.load_document(str(tmp_path / "missing.json"))
    assert document == {"format": report.FORMAT, "machines": {}}
    document = report.merge(document, fake_report("AMD EPYC", 1.6, ("avx2", "avx512f")))
    document = report.merge(document, fake_report("Intel(R) Xeon(R) Processor", 1.5,
                                                  ("avx512f", "amx_tile")))
    document = report.merge(document, fake_report("AMD EPYC", 1.7, ("avx2", "avx512f")))
    assert list(document["machines"]) == ["amd-epyc-avx512-2-cores", "intel-xeon-amx-2-cores"]
    assert report.headline(document["machines"]["amd-epyc-avx512-2-cores"], 256) == \
        {"modern_in_graph": 1.7}
    assert report.headline(document["machines"]["intel-xeon-amx-2-cores"], 256) == \
        {"modern_in_graph": 1.5}


def test_a_results_file_of_another_format_is_refused_in_one_line(tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps(fake_report("cpu A", 1.6)))
    with pytest.raises(DataError, match="not a benchmark results file of format 2"):
        report.load_document(str(old))


def test_spread_is_the_range_over_the_median():
    assert report.spread({"min": 90.0, "median": 100.0, "max": 130.0}) == pytest.approx(0.4)


@pytest.mark.slow
def test_benchmark_runs_end_to_end_on_the_sample(tmp_path, capsys):
    out = str(tmp_path / "results")
    status = throughput.main(["--batch-sizes", "32", "--steps", "3", "--rounds", "2",
                              "--no-memory", "--out", out])
    assert status == 0
    document = json.loads((tmp_path / "results.json").read_text())
    [key] = document["machines"]
    result = document["machines"][key]
    assert key == report.machine_key(throughput.machine())
    batch = result["batches"][0]
    assert list(batch["paths"]) == list(paths.PATH_NAMES)
    for name, entry in batch["paths"].items():
        assert len(entry["steps_per_second"]) == 2 and entry["min"] <= entry["median"] > 0
        assert len(entry["vs_legacy"]["per_round"]) == 2
    assert batch["paths"]["legacy"]["vs_legacy"]["per_round"] == [1.0, 1.0]
    # each reference's readings after every round, warm-up round included
    assert batch["references"]["large"]["readings"] == 3 * 3
    assert batch["references"]["own"]["readings"] == 3 * 30
    assert batch["references"]["own"]["best_gflops"] > 0
    assert (tmp_path / "results.png").read_bytes()[:4] == b"\x89PNG"
    assert "| 32 | keras_fit |" in (tmp_path / "results.md").read_text()
    assert result["change_from_previous"] is None
    throughput.main(["--batch-sizes", "32", "--steps", "3", "--rounds", "1",
                     "--paths", "legacy", "modern_in_graph", "--no-memory", "--out", out])
    again = json.loads((tmp_path / "results.json").read_text())["machines"][key]
    assert set(again["change_from_previous"]) == {"modern_in_graph"}
    assert "against this machine's previous results at this --out" in capsys.readouterr().out


def test_peak_memory_is_this_programs_own_not_its_parents():
    import subprocess
    import sys
    code = ("from benchmarks.throughput import peak_memory_mib; print(peak_memory_mib())")
    ballast = bytearray(300 * 1024 * 1024)  # the parent's peak: 300 MiB more than the child's
    ballast[::4096] = b"x" * len(ballast[::4096])
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, cwd=throughput.os.path.dirname(
                               throughput.os.path.dirname(throughput.__file__)))
    assert float(child.stdout) < throughput.peak_memory_mib() - 200
