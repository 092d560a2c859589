"""The benchmark command: runs end to end (no timing asserted), counts FLOPs right."""

import json

import pytest

from benchmarks import paths, throughput
from common.config import Hyperparameters
from legacy.autoencoder import WEIGHT_NAMES, parameter_shapes


def test_flop_count_matches_the_matmuls_of_the_layer_shapes():
    batch = 256
    total = 0
    for name in WEIGHT_NAMES:
        fan_in, fan_out = parameter_shapes(Hyperparameters())[name]
        total += 2 * batch * fan_in * fan_out          # forward: x @ W
        total += 2 * fan_in * batch * fan_out          # backward: x^T @ dy
        if name != "encoder_h1":                       # backward: dy @ W^T (not for the input)
            total += 2 * batch * fan_out * fan_in
    assert paths.flops_per_step(Hyperparameters().layer_sizes, batch) == total
    assert round(total / 1e9, 2) == 0.28


@pytest.mark.slow
def test_benchmark_runs_end_to_end_on_the_sample(tmp_path):
    out = tmp_path / "results"
    status = throughput.main(["--in-process", "--batch-sizes", "32", "--steps", "2",
                              "--repeats", "1", "--warmup", "1", "--out", str(out)])
    assert status == 0
    report = json.loads((tmp_path / "results.json").read_text())
    assert {r["path"] for r in report["results"]} == set(paths.PATHS)
    assert all(r["steps_per_second"] > 0 for r in report["results"])
    assert report["matmul_peak_gflops"] > 0 and report["machine"]["cores"] >= 1
    assert (tmp_path / "results.png").read_bytes()[:4] == b"\x89PNG"
    assert "| legacy | 32 |" in (tmp_path / "results.md").read_text()
