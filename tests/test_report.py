"""The report's rules: which --out folders are refused before any work, how
results are published (all or nothing), and how values become JSON."""

import json
import math
import os

import numpy as np
import pytest

from parity import report
from tf1kit.errors import DataError


def test_a_new_folder_in_a_writable_place_is_accepted(tmp_path):
    report.check_results_folder(str(tmp_path / "new" / "deeper"), force=False)
    assert os.listdir(tmp_path) == []  # checking creates nothing


def test_an_existing_file_is_refused(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(DataError, match="exists and is not a folder"):
        report.check_results_folder(str(tmp_path / "taken"), force=False)


def test_a_folder_with_files_needs_force(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "report.json").write_text("{}")
    with pytest.raises(DataError, match="already holds files"):
        report.check_results_folder(str(tmp_path / "old"), force=False)
    report.check_results_folder(str(tmp_path / "old"), force=True)
    report.check_results_folder(str(tmp_path), force=True)


def test_an_empty_existing_folder_needs_no_force(tmp_path):
    (tmp_path / "empty").mkdir()
    report.check_results_folder(str(tmp_path / "empty"), force=False)


def test_a_folder_below_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="is not a writable folder"):
        report.check_results_folder(str(tmp_path / "file" / "out"), force=False)


def test_the_default_needs_a_creatable_comparisons_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report.check_results_folder(None, force=False)
    (tmp_path / report.RESULTS_ROOT).write_text("a file where the folder should be")
    with pytest.raises(DataError, match="cannot create the results folder"):
        report.check_results_folder(None, force=False)


def write_two_files(folder):
    for name in ("report.json", "codes.png"):
        with open(os.path.join(folder, name), "w") as stream:
            stream.write(name)


def test_default_results_get_the_next_numbered_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = report.publish_results(None, write_two_files)
    second = report.publish_results(None, write_two_files)
    assert [os.path.relpath(path, tmp_path) for path in (first, second)] == [
        os.path.join("comparisons", "run-001"), os.path.join("comparisons", "run-002")]
    assert sorted(os.listdir(second)) == ["codes.png", "report.json"]


def test_results_appear_in_out_all_together(tmp_path):
    out = report.publish_results(str(tmp_path / "out"), write_two_files)
    assert out == str(tmp_path / "out")
    assert sorted(os.listdir(out)) == ["codes.png", "report.json"]
    assert os.listdir(tmp_path) == ["out"]  # no staging folder left beside it


def test_a_failure_while_writing_publishes_nothing(tmp_path):
    def half_then_fail(folder):
        with open(os.path.join(folder, "report.json"), "w") as stream:
            stream.write("{")
        raise RuntimeError("plotting failed")
    with pytest.raises(RuntimeError, match="plotting failed"):
        report.publish_results(str(tmp_path / "out"), half_then_fail)
    assert os.listdir(tmp_path) == []


def test_json_keeps_float32_values_exactly_and_spells_out_non_finite(tmp_path):
    value = np.float32(0.1)
    path = tmp_path / "report.json"
    report.write_json({"b": [value, np.float32(np.nan)], "a": {"n": np.int64(3),
                       "inf": float("inf"), "array": np.arange(2)}}, str(path))
    text = path.read_text()
    assert text.endswith("\n") and text.index('"a"') < text.index('"b"')  # sorted keys
    loaded = json.loads(text)
    assert np.float32(loaded["b"][0]) == value and loaded["b"][0] == float(value)
    assert loaded["b"][1] == "nan" and loaded["a"]["inf"] == "inf"
    assert loaded["a"]["n"] == 3 and loaded["a"]["array"] == [0, 1]
    assert not any(isinstance(v, float) and math.isnan(v) for v in loaded["b"])


def test_the_machine_fingerprint_names_the_cpu_its_kernel_flags_and_onednn(monkeypatch):
    from tf1kit import machine as environment  # the fingerprint's home (parity re-exports it)
    monkeypatch.setattr(environment, "_cpuinfo", lambda: {
        "model name": "Example CPU", "flags": "fpu sse4_2 avx avx2 fma avx512f made_up"})
    machine = environment.fingerprint()
    assert machine["cpu"] == "Example CPU"
    assert machine["cpu_flags"] == ["sse4_2", "avx", "avx2", "fma", "avx512f"]  # KERNEL_FLAGS order
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    assert environment.onednn()["TF_ENABLE_ONEDNN_OPTS"] == "1"
    assert isinstance(machine["onednn"]["enabled"], bool)
