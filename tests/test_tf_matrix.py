"""The version matrix's own logic (tools/tf_matrix.py and its report),
without installing anything: which releases it picks, what it installs
beside TensorFlow, and how a row that could not be measured reads."""

from tools import tf_matrix, tf_matrix_report

RELEASES = ["2.21.0", "2.20.0", "2.19.1", "2.19.0", "2.16.2", "2.16.1", "2.15.0"]


def test_the_admitted_minors_come_from_requirements_txt(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# run time\ntensorflow>=2.16,<2.22\nnumpy>=1.26\n")
    assert tf_matrix.admitted_minors(str(requirements)) == [
        "2.16", "2.17", "2.18", "2.19", "2.20", "2.21"]


def test_each_minor_gets_its_latest_patch_and_an_unknown_one_stays_to_be_reported():
    assert tf_matrix.pick(["2.16", "2.19", "2.21", "2.99", "2.16.1"], RELEASES) == [
        "2.16.2", "2.19.1", "2.21.0", "2.99", "2.16.1"]


def test_the_other_requirements_are_installed_beside_tensorflow():
    others = tf_matrix.other_requirements()
    assert not any(line.startswith(("tensorflow", "tf-keras")) for line in others)
    assert any(line.startswith("numpy") for line in others)
    assert any(line.startswith("pytest") for line in others)


def test_a_row_that_could_not_install_says_so_and_counts_as_not_run():
    row = {"python_requested": "3.13", "tensorflow_requested": "2.16.2",
           "install": "install failed: No matching distribution found for tensorflow==2.16.2",
           "seconds": 12}
    table = {"measured": "2026-11-28", "machine": {"cpu": "x", "cores": 2, "cpu_flags": []},
             "command": "c", "environments_gib": 0, "golden": "g", "rows": [row]}
    text = tf_matrix_report.markdown(table)
    assert "install failed: No matching distribution found for tensorflow==2.16.2" in text
    assert all(tf_matrix_report.passed(row, check) is None for check, _ in tf_matrix_report.CHECKS)


def test_a_check_passes_only_on_match_or_no_failed_test():
    row = {"tests": {"passed": 10, "failed": 1}, "compare": {"outcome": "match"},
           "legacy_golden": {"outcome": "differs"}, "modern_golden": {"outcome": "mismatch"}}
    assert [tf_matrix_report.passed(row, check) for check, _ in tf_matrix_report.CHECKS] == [
        False, True, False, False]
