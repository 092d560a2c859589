"""`python -m legacy` through its real command line."""

import pytest

from tests.helpers import run_module


@pytest.mark.slow
def test_runs_end_to_end_prints_original_lines_and_saves_plot(tmp_path):
    plot = tmp_path / "codes.png"
    result = run_module(["legacy", "--epochs", "2", "--steps-per-epoch", "5",
                         "--plot", str(plot)])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    epoch_lines = [line for line in lines if line.startswith("Epoch:")]
    assert len(epoch_lines) == 2
    assert epoch_lines[0].startswith("Epoch: 0001 cost= 0.")
    assert len(epoch_lines[0].split("cost= ")[1]) == 11  # "{:.9f}"
    assert "Optimization Finished!" in lines
    # 10 steps leave the model at the mean image, and it says so.
    assert any(line.startswith("collapsed: test MSE") and "too few steps" in line
               for line in lines)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sample_default_explains_the_step_budget():
    result = run_module(["legacy", "--help"])
    assert result.returncode == 0
    assert "--steps-per-epoch" in result.stdout and "214" in result.stdout


