"""The rewrite beyond TensorFlow (modern/portable.py, `--backend jax`):
trained by `python -m modern`, judged by compare.py live and against the
shipped golden, the latter in a process that cannot import TensorFlow at
all; its traced step is its trained step; a missing backend is refused in
one line."""

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT, subprocess_environment
from tf1kit import quiet

pytestmark = pytest.mark.slow
needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                               reason="jax is not installed (pip install -r requirements.txt)")
# Run as `python -c`: TensorFlow made unimportable before anything loads.
WITHOUT_TENSORFLOW = ("import sys, runpy\n"
                      "sys.modules['tensorflow'] = None  # `import tensorflow` now fails\n"
                      "sys.argv = sys.argv[1:]\n"
                      "runpy.run_path(sys.argv[0], run_name='__main__') if sys.argv[0].endswith("
                      "'.py') else runpy.run_module(sys.argv[0], run_name='__main__', "
                      "alter_sys=True)\n")


def run(argv, cwd, tensorflow=True):
    prefix = [sys.executable] if tensorflow else [sys.executable, "-c", WITHOUT_TENSORFLOW]
    return subprocess.run(prefix + argv, cwd=cwd, env=subprocess_environment(),
                          capture_output=True, text=True, timeout=600)


@needs_jax
def test_against_the_golden_on_jax_without_tensorflow_gives_a_judged_verdict(tmp_path):
    result = run([f"{REPO_ROOT}/compare.py", "--against", f"{REPO_ROOT}/golden/sample",
                  "--backend", "jax", "--quiet", "--out", str(tmp_path / "r")], tmp_path,
                 tensorflow=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["environment"]["backend"] == "jax"
    assert "tensorflow" not in report["environment"]["versions"]
    assert report["verdict"]["outcome"] == "rounding", report["verdict"]
    divergence = report["runs"][0]["divergence"]
    assert divergence["step"] == 1 and divergence["source"] == "recording"
    assert divergence["first"]["kind"] in ("activation", "loss", "gradient")
    assert set(divergence["referee"][f"{divergence['first']['kind']} "
                                     f"{divergence['first']['tensor']}"]) == {"legacy_ulp",
                                                                             "modern_ulp"}
    assert "first difference: step 1" in result.stdout


@needs_jax
def test_a_live_comparison_on_jax_is_judged_across_backends(tmp_path):
    result = run([f"{REPO_ROOT}/compare.py", "--backend", "jax", "--epochs", "1",
                  "--steps-per-epoch", "30", "--quiet", "--out", str(tmp_path / "r")], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["verdict"]["outcome"] == "rounding"
    assert "backend: tensorflow -> jax" in report["verdict"]["standard"]
    # TensorFlow's start-up lines (CUDA probing, CPU features) are not ours to print
    assert not [line for line in result.stderr.splitlines()
                if quiet.is_startup_line(line.encode())], result.stderr[:2000]


@needs_jax
def test_python_m_modern_trains_on_jax_without_tensorflow(tmp_path):
    result = run(["modern", "--backend", "jax", "--epochs", "1", "--steps-per-epoch", "20",
                  "--plot", "codes.png"], tmp_path, tensorflow=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "trained 20 steps on jax" in result.stdout
    assert (tmp_path / "codes.png").read_bytes()[:4] == b"\x89PNG"


@needs_jax
def test_the_traced_step_is_the_trained_step(tmp_path):
    script = (
        "import os; os.environ['KERAS_BACKEND'] = 'jax'\n"
        "import numpy as np\n"
        "from common.config import Hyperparameters\n"
        "from modern import options, portable\n"
        "hyper = Hyperparameters()\n"
        "start = portable.initial_weights(hyper, 0)\n"
        "x = np.random.default_rng(0).random((256, 784)).astype(np.float32)\n"
        "a, b = (portable.PortableStepper(hyper, options.EXACT, start) for _ in range(2))\n"
        "loss = a.step(x); trace = b.traced_step(x)\n"
        "cost = next(t.value for t in trace if t.kind == 'loss')\n"
        "print('same', a.state().equals(b.state()), np.float32(cost).tobytes() == "
        "loss.tobytes())\n")
    result = run(["-c", script], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("same True True"), result.stdout


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed")
def test_a_backend_that_is_not_installed_is_refused_in_one_line(tmp_path):
    result = run(["-m", "modern", "--backend", "torch"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "python -m modern: error: --backend torch: torch is not installed: pip install torch "
        "--index-url https://download.pytorch.org/whl/cpu (the CPU build)")
