"""`python -m legacy.run_tf1`: unmodified TF1 scripts on TF 2.x."""

import os
import shutil

import pytest

from common import sources
from tests.helpers import SHARED_SEED_SCRIPT, run_module, write_synthetic_idx

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "tf1_softmax.py")


def run_tf1(script, cwd, *script_args):
    return run_module(["legacy.run_tf1", "--figures-dir", str(cwd), script, *script_args],
                      cwd=cwd)


def test_tf1_idiom_script_runs_in_graph_mode_and_saves_its_figure(tmp_path):
    write_synthetic_idx(tmp_path / "MNIST_data", n_train=300, n_test=20)
    result = run_tf1(FIXTURE, tmp_path, "100")
    assert result.returncode == 0, result.stderr
    assert "executing eagerly: False" in result.stdout
    assert result.stdout.count("Extracting MNIST_data/") == 4
    losses = result.stdout.split("losses: ")[1].splitlines()[0].split()
    assert len(losses) == 5
    assert (tmp_path / "figure_1.png").read_bytes()[:4] == b"\x89PNG"


def test_script_errors_show_the_scripts_traceback_and_status_1(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import tensorflow as tf\n\ndef f():\n    raise RuntimeError('boom from script')\n\nf()\n")
    result = run_tf1(str(script), tmp_path)
    assert result.returncode == 1
    assert "RuntimeError: boom from script" in result.stderr
    assert 'broken.py", line 6' in result.stderr
    assert "runpy" not in result.stderr and "run_tf1.py" not in result.stderr


def test_script_exit_status_passes_through(tmp_path):
    script = tmp_path / "exits.py"
    script.write_text("import sys\nsys.exit(7)\n")
    assert run_tf1(str(script), tmp_path).returncode == 7


def test_missing_script_is_one_line_and_status_2(tmp_path):
    result = run_tf1(str(tmp_path / "nope.py"), tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"python -m legacy.run_tf1: error: script not found: {tmp_path / 'nope.py'}"


def test_removed_contrib_gets_a_hint(tmp_path):
    script = tmp_path / "contrib.py"
    script.write_text("import tensorflow as tf\ntf.contrib.layers\n")
    result = run_tf1(str(script), tmp_path)
    assert result.returncode == 1
    assert "tf.contrib was removed in TensorFlow 2.0" in result.stderr


needs_seed = pytest.mark.skipif(not os.path.isfile(SHARED_SEED_SCRIPT),
                                reason="../shared/seed/ is not beside this checkout")


@needs_seed
def test_seed_script_runs_unmodified(tmp_path):
    # validation_size=5000 needs more than 5,000 training images; 5,512 gives
    # int(512/256) = 2 steps per epoch, 20 in all: fast, and still the real script.
    write_synthetic_idx(tmp_path / "MNIST_data", n_train=5512, n_test=50)
    result = run_tf1(SHARED_SEED_SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr
    epoch_lines = [line for line in result.stdout.splitlines() if line.startswith("Epoch:")]
    assert [line.split()[1] for line in epoch_lines] == [f"{i:04d}" for i in range(1, 11)]
    assert "Optimization Finished!" in result.stdout
    assert (tmp_path / "figure_1.png").exists()


@needs_seed
def test_seed_script_on_the_sample_shows_tf1s_own_value_error(tmp_path):
    shutil.copytree(sources.SAMPLE_DIR, tmp_path / "MNIST_data")
    result = run_tf1(SHARED_SEED_SCRIPT, tmp_path)
    assert result.returncode == 1
    assert result.stderr.rstrip().endswith(
        "ValueError: Validation size should be between 0 and 4000. Received: 5000.")
    assert "original_autoencoder.py" in result.stderr
