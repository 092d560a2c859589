"""`python -m modern` through its real command line."""

import pytest

from tests.helpers import run_module


def test_help_explains_the_configuration_and_device_flags():
    result = run_module(["modern", "--help"])
    assert result.returncode == 0
    for flag in ("--exact", "--device", "--loop", "--data", "--seed", "--save-model",
                 "--from-tf1-checkpoint"):
        assert flag in result.stdout


@pytest.mark.slow
def test_custom_loop_prints_original_lines_saves_plot_and_model(tmp_path):
    plot, saved = tmp_path / "codes.png", tmp_path / "model.keras"
    result = run_module(["modern", "--exact", "--epochs", "2", "--steps-per-epoch", "5",
                         "--plot", str(plot), "--save-model", str(saved)])
    assert result.returncode == 0, result.stderr
    assert [line[:17] for line in result.stdout.splitlines() if line.startswith("Epoch:")] == \
        ["Epoch: 0001 cost=", "Epoch: 0002 cost="]
    assert "Optimization Finished!" in result.stdout
    assert "collapsed: test MSE" in result.stdout  # 10 steps: the mean image, said so
    assert plot.read_bytes()[:4] == b"\x89PNG" and saved.stat().st_size > 0


@pytest.mark.slow
def test_fit_loop_prints_last_batch_costs(tmp_path):
    result = run_module(["modern", "--loop", "fit", "--epochs", "1", "--plot",
                         str(tmp_path / "fit.png")])
    assert result.returncode == 0, result.stderr
    cost = float(result.stdout.split("Epoch: 0001 cost= ")[1].split()[0])
    assert 0.0 < cost < 0.5


@pytest.mark.slow
def test_a_tf1_checkpoint_from_legacy_becomes_a_keras_model(tmp_path):
    prefix = tmp_path / "model.ckpt"
    trained = run_module(["legacy", "--epochs", "1", "--steps-per-epoch", "3", "--plot",
                          str(tmp_path / "legacy.png"), "--save-checkpoint", str(prefix)])
    assert trained.returncode == 0, trained.stderr
    migrated = run_module(["modern", "--exact", "--from-tf1-checkpoint", str(prefix),
                           "--plot", str(tmp_path / "modern.png"),
                           "--save-model", str(tmp_path / "migrated.keras")])
    assert migrated.returncode == 0, migrated.stderr
    assert f"loaded TF1 checkpoint {prefix}" in migrated.stdout
    assert (tmp_path / "migrated.keras").stat().st_size > 0
