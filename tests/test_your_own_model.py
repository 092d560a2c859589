"""docs/your_own_model.md, run as written from a folder outside the
checkout: the kit installed by the page's own install line into a fresh
virtual environment, a TF1 MLP traced unmodified with `tf1-run`, its Keras 3
rewrite recorded, and `tf1-trace-compare` saying MATCH for the faithful
rewrite and naming where each trap is born."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow
PAGE = os.path.join(REPO_ROOT, "docs", "your_own_model.md")
# The page's stand-in for the checkout's folder, in its install line.
CHECKOUT_PLACEHOLDER = "/path/to/this/checkout"
# The page's data: the bundled sample, 4,000 training images, of which
# --validation-size 1000 keeps 1,000 aside (TF1's 5,000 would not fit).
SAMPLE = os.path.join(REPO_ROOT, "data", "mnist_sample")
SPLIT = "--validation-size 1000"
# A kept rewrite's own run, shortened as a user would: 20 steps of the 23
# batches of 128 in the 3,000 training images (one epoch).
STANDALONE_STEPS = 20


def block(containing: str) -> str:
    """The page's bash block that holds `containing`."""
    with open(PAGE, encoding="utf-8") as stream:
        blocks = re.findall(r"```bash\n(.*?)```", stream.read(), re.S)
    return next(text for text in blocks if containing in text)


def install_the_kit(venv, env) -> None:
    """A fresh virtual environment with nothing but what the page's install
    line puts there, the line run in it as written.

    Why a fresh environment rather than one that sees the running one's
    packages: `venv --system-site-packages` exposes the *base* interpreter's
    packages, which inside a virtual environment are not the suite's (no
    TensorFlow, an old setuptools without bdist_wheel: issue 33), and a user
    following the page starts from an empty environment anyway, so this also
    proves the line installs everything the commands need. The one liberty:
    PIP_NO_COMPILE skips writing .pyc files, the same files otherwise, about a
    third of the install's time. The line installs the project itself (not
    editable): the kit is copied into the environment, with the dependencies
    pyproject.toml declares, and nothing else of the checkout. `python -m venv` of a virtual environment's
    interpreter builds on the base interpreter, so this holds from the
    machine's Python, a venv, and a venv made from a venv alike."""
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True,
                          text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    line = block(f"pip install {CHECKOUT_PLACEHOLDER}").replace(CHECKOUT_PLACEHOLDER, REPO_ROOT)
    install = subprocess.run(["bash", "-euo", "pipefail", "-c", line], env=dict(
        env, PIP_NO_COMPILE="1", PIP_DISABLE_PIP_VERSION_CHECK="1"), capture_output=True,
                             text=True, timeout=900)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-3000:]


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    """(the user's folder, the environment its commands run in, each block's
    result); the virtual environment (a few GB) is removed afterwards."""
    root = tmp_path_factory.mktemp("user")
    venv, work = root / "venv", root / "work"
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv),
               CHECKOUT=REPO_ROOT, DATA=SAMPLE, SPLIT=SPLIT, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("DISPLAY", None)
    install_the_kit(venv, env)
    work.mkdir()
    results = {}
    for name, marker, strict in (("faithful", "--trace original.npz", True),
                                 ("traps", "--trap stock-dense stock-adam divide-255", False),
                                 ("cnn", "--out cnn-rewrite.npz", True),
                                 ("cnn_traps", "--trap stock-dropout", False),
                                 ("cnn_environment", "TF_ENABLE_ONEDNN_OPTS=0", False),
                                 ("converted", "tf1-convert cnn.py", True)):
        shell = ["bash", "-euo", "pipefail", "-c"] if strict else ["bash", "-uo", "pipefail",
                                                                    "-c"]
        results[name] = subprocess.run(shell + [block(marker)], cwd=work, env=env,
                                       capture_output=True, text=True, timeout=600)
    yield work, env, results
    shutil.rmtree(venv, ignore_errors=True)


def test_the_faithful_rewrite_matches_the_traced_original(user):
    work, _, results = user
    result = results["faithful"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[run_tf1] --data-dir: reading" in result.stdout
    assert "[run_tf1] --validation-size: keeping 1,000 training images for validation " \
        "instead of 5,000" in result.stdout
    assert "MATCH: 100 steps, every tensor both traces hold is the same, bit for bit" \
        in result.stdout
    assert (work / "original.npz").exists() and (work / "rewrite.npz").exists()


def test_each_trap_is_found_where_it_is_born(user):
    _, _, results = user
    lines = [line for line in results["traps"].stdout.splitlines()
             if line.startswith("MISMATCH")]
    assert len(lines) == 4, results["traps"].stdout + results["traps"].stderr[-3000:]
    dense, adam, divide, order = lines
    # Stock Dense adds its bias by BiasAdd: a bias gradient is computed another way.
    assert re.match(r"MISMATCH: first difference at step 1: gradient Variable_[345] <-> "
                    r"mlp/(h1|h2|out)/bias", dense), dense
    assert re.match(r"MISMATCH: first difference at step 1: (slot|weight) Variable", adam)
    assert divide.startswith("MISMATCH: first difference at step 1: input Placeholder:0 <-> x")
    assert "the same examples in other arithmetic" in divide
    assert order.startswith("MISMATCH: another batch order at step 1")


def test_the_cnn_rewrite_with_dropout_matches_in_the_default_environment(user):
    result = user[2]["cnn"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[run_tf1] one training step's tensors take" in result.stdout
    assert "environment: the same" in result.stdout
    assert "MATCH: 100 steps, every tensor both traces hold is the same, bit for bit" \
        in result.stdout


def test_each_cnn_trap_is_reported_at_its_kind(user):
    result = user[2]["cnn_traps"]
    lines = [line for line in result.stdout.splitlines() if line.startswith("MISMATCH")]
    assert len(lines) == 4, result.stdout + result.stderr[-3000:]
    dropout, keep_prob, dense, adam = lines
    assert dropout.startswith("MISMATCH: random op dropout/random_uniform/RandomUniform "
                              "(cnn.py:70 `fc1 = tf.nn.dropout(fc1, dropout)`) draws other "
                              "values at step 1"), dropout
    assert re.match(r"MISMATCH: first difference at step 1: activation: the rewrite's layer "
                    r"dropout <-> dropout/SelectV2:0 \(cnn.py:70 .*max 1 ulp; the layer before "
                    r"it, fc1 <-> Relu_2:0, is the same", keep_prob), keep_prob
    assert re.match(r"MISMATCH: first difference at step 1: gradient Variable_6 <-> "
                    r"cnn/fc1/bias", dense), dense
    assert re.match(r"MISMATCH: first difference at step 1: slot Variable(_\d)?/m <-> ", adam)


def test_a_trace_with_onednn_off_is_judged_across_environments(user):
    """Keyed to the machine: where oneDNN is on by default, turning it off
    is another environment whose first difference is float32 rounding by
    the float64 check; where it is off already, the same environment."""
    from tf1kit import machine
    result = user[2]["cnn_environment"]
    if machine.onednn()["enabled"]:
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert "environment: differs: onednn: True -> False" in result.stdout
        assert re.search(r"^ROUNDING: first difference at step \d+: ", result.stdout, re.M)
        assert "float32 rounding of another environment" in result.stdout
    else:
        assert result.returncode == 0, result.stderr[-3000:]
        assert "environment: the same" in result.stdout and "MATCH: 100 steps" in result.stdout


def test_tf1_convert_writes_a_rewrite_that_proves_itself(user):
    """Section 5: tf1-convert's exact rewrite of the CNN (conv2d, pooling,
    dropout through a fed keep_prob, Adam) is MATCH against the script's
    trace and reads with the script's names and lines (a rewrite training
    on its own: tests/test_convert_corpus.py)."""
    work, _, results = user
    result = results["converted"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "MATCH: 5 steps, every tensor both traces hold is the same, bit for bit" \
        in result.stdout
    text = (work / "converted" / "cnn_keras.py").read_text()
    for written in ("class ConvNet(keras.Model):",
                    "# cnn.py:55  conv1 = conv2d(x, weights['wc1'], biases['bc1'])",
                    "conv1 = self.wc1(x)", "self.dropout = TF1Dropout(0, 11",
                    "fc1 = self.dropout(fc1, keep_prob=keep_prob, training=training)",
                    "def loss_op(logits, Y):", "return TF1Adam(learning_rate=0.001)",
                    "from tf1kit.keras import AddBiasDense, BiasAddConv2D, TF1Adam, TF1Dropout"):
        assert written in text, written


def test_the_install_adds_one_import_name_of_ours(user):
    """The page's install line puts `tf1kit` into the environment and none
    of the autoencoder's packages (common, legacy, modern, parity)."""
    work, env, _ = user
    found = subprocess.run(["python", "-c", "import importlib.util; print([name for name in "
                            "('tf1kit', 'common', 'legacy', 'modern', 'parity', 'convert', "
                            "'benchmarks', 'tools') if importlib.util.find_spec(name)])"],
                           cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "['tf1kit']"


def test_a_generated_rewrite_trains_from_a_folder_outside_the_checkout(user, tmp_path):
    """A rewrite is code people keep: copied into a folder of its own, the
    exact one trains with the installed kit's faithful pieces (and nothing
    of the checkout on the path), the idiomatic one with the kit made
    unimportable: TensorFlow, Keras and NumPy only. Both as a user would
    shorten a first run: the script's 200 steps set to STANDALONE_STEPS."""
    work, env, results = user
    assert results["converted"].returncode == 0, results["converted"].stderr[-3000:]
    kept = tmp_path / "kept"
    kept.mkdir()
    shutil.copy(work / "converted" / "cnn_keras.py", kept)
    shutil.copy(os.path.join(REPO_ROOT, "examples", "generated", "cnn_keras_idiomatic.py"), kept)
    for rewrite in kept.iterdir():
        text = rewrite.read_text()
        assert "\nSTEPS = 200  # cnn.py:" in text
        text = text.replace("\nSTEPS = 200", f"\nSTEPS = {STANDALONE_STEPS}")
        # the stored idiomatic rewrite was traced on the full set's split
        rewrite.write_text(text.replace("\nVALIDATION_SIZE = 5000", "\nVALIDATION_SIZE = 1000"))
    assert "\nVALIDATION_SIZE = 1000" in (kept / "cnn_keras.py").read_text()  # from the trace
    exact = subprocess.run(["python", "cnn_keras.py", "--data-dir", env["DATA"]], cwd=kept,
                           env=env, capture_output=True, text=True, timeout=600)
    assert exact.returncode == 0, exact.stderr[-3000:]
    without_kit = ("import runpy, sys; sys.modules['tf1kit'] = None; "
                   "sys.argv = ['cnn_keras_idiomatic.py', '--data-dir', sys.argv[1]]; "
                   "runpy.run_path('cnn_keras_idiomatic.py', run_name='__main__')")
    idiomatic = subprocess.run(["python", "-c", without_kit, env["DATA"]], cwd=kept, env=env,
                               capture_output=True, text=True, timeout=600)
    assert idiomatic.returncode == 0, idiomatic.stderr[-3000:]
    for result in (exact, idiomatic):
        assert "Epoch: 0001 loss=" in result.stdout and "Optimization Finished!" in \
            result.stdout, result.stdout[-2000:]


def test_the_kit_and_its_commands_work_from_the_users_folder(user):
    work, env, _ = user
    imported = subprocess.run(["python", "-c",
                               "import tf1kit.keras.recorder, tf1kit.compare.cli, tf1kit.run.cli, "
                               "tensorflow; print(tf1kit.compare.cli.__file__); "
                               "print(tensorflow.__file__)"],
                              cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr
    kit, tensorflow = imported.stdout.splitlines()
    # The kit and TensorFlow are the ones the install line put in the user's
    # environment (a copy of the kit, not the checkout's folder), not ones
    # seen through another environment.
    assert kit.startswith(env["VIRTUAL_ENV"] + os.sep), kit
    assert tensorflow.startswith(env["VIRTUAL_ENV"] + os.sep), tensorflow
    refused = subprocess.run(["tf1-run", "mlp.py", "--seed", "1"], cwd=work, env=env,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("tf1-run: error: --seed comes after the script's name, "
                                      "so it would go to the script: give run_tf1's flags "
                                      "before mlp.py")
