"""`python -m legacy.run_tf1`: unmodified TF1 scripts on TF 2.x. Every test starts a
TensorFlow subprocess: all are in the slow tier. (A missing script is a row
of the bad-input table, tests/bad_inputs.py.)"""

import os
import re
import shutil
import subprocess

import pytest

from common import sources
from tests.helpers import (ORIGINAL_SCRIPT, REPO_ROOT, run_module, subprocess_environment,
                           write_synthetic_idx)

pytestmark = pytest.mark.slow


def run_tf1(script, cwd, *script_args):
    return run_module(["legacy.run_tf1", "--figures-dir", str(cwd), script, *script_args],
                      cwd=cwd)


def readme_block(containing: str) -> str:
    """The README's bash block that holds `containing`."""
    with open(os.path.join(REPO_ROOT, "README.md"), encoding="utf-8") as stream:
        blocks = re.findall(r"```bash\n(.*?)```", stream.read(), re.S)
    return next(block for block in blocks if containing in block)


def test_readme_walkthrough_runs_our_tf1_script_in_graph_mode_on_the_sample(tmp_path):
    # The README's commands as written, from a folder that looks like the
    # checkout (its data/ and tests/), so that nothing lands in the repository.
    for name in ("data", "tests"):
        (tmp_path / name).symlink_to(os.path.join(REPO_ROOT, name))
    result = subprocess.run(["bash", "-euo", "pipefail", "-c",
                             readme_block("tests/fixtures/tf1_softmax.py")],
                            cwd=tmp_path, env=subprocess_environment(), capture_output=True,
                            text=True, timeout=300)
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


def test_removed_contrib_gets_a_hint(tmp_path):
    script = tmp_path / "contrib.py"
    script.write_text("import tensorflow as tf\ntf.contrib.layers\n")
    result = run_tf1(str(script), tmp_path)
    assert result.returncode == 1
    assert "tf.contrib was removed in TensorFlow 2.0" in result.stderr


needs_seed = pytest.mark.skipif(not os.path.isfile(ORIGINAL_SCRIPT),
                                reason="no copy of the original script (ORIGINAL_AUTOENCODER)")


@needs_seed
def test_seed_script_runs_unmodified(tmp_path):
    # validation_size=5000 needs more than 5,000 training images; 5,512 gives
    # int(512/256) = 2 steps per epoch, 20 in all: fast, and still the real script.
    write_synthetic_idx(tmp_path / "MNIST_data", n_train=5512, n_test=50)
    result = run_tf1(ORIGINAL_SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr
    epoch_lines = [line for line in result.stdout.splitlines() if line.startswith("Epoch:")]
    assert [line.split()[1] for line in epoch_lines] == [f"{i:04d}" for i in range(1, 11)]
    assert "Optimization Finished!" in result.stdout
    assert (tmp_path / "figure_1.png").exists()


@needs_seed
def test_seed_script_on_the_sample_shows_tf1s_own_value_error(tmp_path):
    shutil.copytree(sources.SAMPLE_DIR, tmp_path / "MNIST_data")
    result = run_tf1(ORIGINAL_SCRIPT, tmp_path)
    assert result.returncode == 1
    assert result.stderr.rstrip().endswith(
        "ValueError: Validation size should be between 0 and 4000. Received: 5000.")
    assert "original_autoencoder.py" in result.stderr
