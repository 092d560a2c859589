"""`python -m tf1kit.run`: unmodified TF1 scripts on TF 2.x. Every test starts a
TensorFlow subprocess: all are in the slow tier; the fixture corpus
(tests/fixtures/tf1/) runs in one go, a few processes at a time. (A
missing script is a row of the bad-input table, tests/bad_inputs.py.)"""

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from common import sources
from tf1kit.trace import tracefile
from tf1kit.compare.values import assert_matches
from tests.helpers import (ORIGINAL_SCRIPT, REPO_ROOT, run_module, subprocess_environment,
                           write_synthetic_idx)

pytestmark = pytest.mark.slow


def run_tf1(script, cwd, *script_args):
    return run_module(["tf1kit.run", "--figures-dir", str(cwd), script, *script_args],
                      cwd=cwd)


def readme_block(containing: str) -> str:
    """The bash block of docs/run_tf1.md that holds `containing`."""
    with open(os.path.join(REPO_ROOT, "docs", "run_tf1.md"), encoding="utf-8") as stream:
        blocks = re.findall(r"```bash\n(.*?)```", stream.read(), re.S)
    return next(block for block in blocks if containing in block)


def test_the_docs_walkthrough_runs_our_tf1_script_in_graph_mode_on_the_sample(tmp_path):
    # docs/run_tf1.md's commands as written, from a folder that looks like the
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


# --- the fixture corpus, tf_keras, contrib, traces ------------------------

FIXTURES = os.path.join(REPO_ROOT, "tests", "fixtures", "tf1")
SOFTMAX = os.path.join(REPO_ROOT, "tests", "fixtures", "tf1_softmax.py")
WITHOUT_TF_KERAS = (  # run_tf1 where tf_keras cannot be found
    "import importlib.util as u, sys\n"
    "find = u.find_spec\n"
    "u.find_spec = lambda name, *a: None if name == 'tf_keras' else find(name, *a)\n"
    "from tf1kit.run import cli as run_tf1\n"
    "sys.exit(run_tf1.main(sys.argv[1:]))\n")
KERAS_VERSION = ("import tensorflow as tf\n"
                 "print('keras', tf.layers.Dense.__module__.split('.')[0])\n")
# tf.contrib in its import forms, then a NumPy 2 change the script trips on.
CONTRIB_IMPORTS = (
    "from tensorflow.contrib import rnn\n"
    "import tensorflow.contrib.layers as layers\n"
    "import tensorflow as tf\n"
    "print('served', rnn.BasicLSTMCell is tf.nn.rnn_cell.BasicLSTMCell,\n"
    "      callable(layers.l2_regularizer))\n"
    "try:\n"
    "    from tensorflow.contrib import slim\n"
    "except ImportError as error:\n"
    "    print('refused:', error)\n"
    "import numpy\n"
    "numpy.reshape(numpy.zeros(4), newshape=(2, 2))\n")
# TF 0.x's order, logits first, positionally: TF 1.x raised ValueError.
POSITIONAL_XENT = (
    "import tensorflow as tf\n"
    "py_x = tf.Variable(tf.zeros([2, 3]))\n"
    "Y = tf.placeholder(tf.float32, [None, 3])\n"
    "cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(py_x, Y))\n")
# A sum shifted by a constant, `(x @ W + b) - 1`: unfetched, Grappler's constant
# folding makes it `x @ W + (b - 1)`, which rounds 0.1 otherwise (T26); the
# trace fetches `x @ W + b` at the steps whose values it keeps.
FOLDED = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    "x = tf.placeholder(tf.float32, [None, 2])\n"
    "W = tf.Variable([[0.05], [0.05]])\n"
    "b = tf.Variable([1.0])\n"
    "score = tf.matmul(x, W) + b\n"
    "loss = tf.reduce_mean(tf.square(score - 1))\n"
    "train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)\n"
    "with tf.Session() as sess:\n"
    "    sess.run(tf.global_variables_initializer())\n"
    "    for step in range(4):\n"
    "        sess.run(train, {x: np.ones((4, 2))})\n")
# tf.layers' dropout under a fed `is_training` (a tf.cond), an evaluation
# fed False after each step, and a dropout whose cond the feeds do not decide.
COND_DROPOUT = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    "x = tf.placeholder(tf.float32, [None, 6])\n"
    "is_training = tf.placeholder(tf.bool)\n"
    "h = tf.layers.dense(x, 8, name='hidden')\n"
    "h = tf.layers.dropout(h, rate=0.25, training=is_training, name='drop')\n"
    "noisy = tf.layers.dropout(h, rate=0.5, training=tf.reduce_mean(x) > 10.0, name='odd')\n"
    "loss = tf.reduce_mean(tf.square(noisy))\n"
    "train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)\n"
    "with tf.Session() as sess:\n"
    "    sess.run(tf.global_variables_initializer())\n"
    "    for step in range(3):\n"
    "        sess.run(train, {x: np.ones((4, 6)), is_training: True})\n"
    "        sess.run(loss, {x: np.ones((4, 6)), is_training: False})\n")
# tf.layers' batch norm on a rank-2 input (moments) and on a rank-4 one (fused),
# their moving statistics updated through UPDATE_OPS, an evaluation between steps.
BATCH_NORM = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    "x = tf.placeholder(tf.float32, [None, 6])\n"
    "training = tf.placeholder(tf.bool)\n"
    "h = tf.layers.batch_normalization(tf.layers.dense(x, 8), training=training, name='flat')\n"
    "h = tf.layers.batch_normalization(tf.reshape(h, [-1, 2, 2, 2]), training=training,\n"
    "                                  name='image')\n"
    "loss = tf.reduce_mean(tf.square(h))\n"
    "with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):\n"
    "    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)\n"
    "batch = np.arange(24, dtype=np.float32).reshape(4, 6) / 24\n"
    "with tf.Session() as sess:\n"
    "    sess.run(tf.global_variables_initializer())\n"
    "    for step in range(2):\n"
    "        sess.run(train, {x: batch, training: True})\n"
    "        sess.run(loss, {x: batch, training: False})\n")
# A static RNN of GRUs over unstacked steps and a dynamic LSTM, their calls recorded.
RECURRENT = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    "x = tf.placeholder(tf.float32, [None, 3, 4])\n"
    "with tf.variable_scope('first'):\n"
    "    outputs, _ = tf.contrib.rnn.static_rnn(tf.nn.rnn_cell.GRUCell(5), tf.unstack(x, 3, 1),\n"
    "                                           dtype=tf.float32)\n"
    "cell = tf.nn.rnn_cell.BasicLSTMCell(6, forget_bias=0.5)\n"
    "_, state = tf.nn.dynamic_rnn(cell, tf.stack(outputs, 1), dtype=tf.float32)\n"
    "(fw, bw), states = tf.nn.bidirectional_dynamic_rnn(tf.nn.rnn_cell.LSTMCell(\n"
    "    2, use_peepholes=True, num_proj=1), tf.nn.rnn_cell.BasicRNNCell(3), x, dtype=tf.float32)\n"
    "dropped, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.DropoutWrapper(\n"
    "    tf.nn.rnn_cell.BasicRNNCell(2), output_keep_prob=0.5), x, dtype=tf.float32,\n"
    "    scope='dropped')\n"
    "loss = tf.reduce_mean(tf.square(state.h)) + tf.reduce_mean(tf.concat([states[0].h,\n"
    "                                                                      states[1]], 1))\n"
    "loss += tf.reduce_mean(dropped)\n"
    "train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)\n"
    "with tf.Session() as sess:\n"
    "    sess.run(tf.global_variables_initializer())\n"
    "    sess.run(train, {x: np.ones((2, 3, 4))})\n")
# name -> (argv after `python`, working folder: "data" = synthetic MNIST_data/)
CASES = {
    "layers_cnn": (["-m", "tf1kit.run", os.path.join(FIXTURES, "layers_cnn.py"),
                    "--summaries_dir", "logs"], "data"),
    "rnn_saver": (["-m", "tf1kit.run", os.path.join(FIXTURES, "rnn_saver.py"), "."], "data"),
    "feed": (["-m", "tf1kit.run", os.path.join(FIXTURES, "fully_connected_feed_style.py"),
              "."], "data"),
    "contrib_refused": (["-m", "tf1kit.run", os.path.join(FIXTURES, "contrib_refused.py")],
                        "data"),
    "contrib_layers": (["-m", "tf1kit.run", os.path.join(FIXTURES, "contrib_layers_facts.py")],
                       "data"),
    "idioms": (["-m", "tf1kit.run", "--seed", "0", "--data-dir", "MNIST_data", "--trace",
                "idioms.npz", os.path.join(FIXTURES, "other_peoples_idioms.py")], "data"),
    "split_too_big": (["-m", "tf1kit.run", "--data-dir", "MNIST_data", "--trace", "none.npz",
                       os.path.join(FIXTURES, "mlp.py")], "sample"),
    "keras_version": (["-m", "tf1kit.run", "keras_version.py"], "data"),
    "trace": (["-m", "tf1kit.run", "--trace", "full.npz", SOFTMAX, "0"], "sample"),
    "trace_limited": (["-m", "tf1kit.run", "--trace", "first.npz", "--max-session-runs",
                       "3", SOFTMAX, "0"], "sample"),
    "fed": (["-m", "tf1kit.run", "--trace", "fed.npz", "--max-session-runs", "3",
             "--feed", "Placeholder:0=0.5", SOFTMAX, "0"], "sample"),
    "fed_nothing": (["-m", "tf1kit.run", "--feed", "keep_prob=1.0", "--max-session-runs",
                     "3", SOFTMAX, "0"], "sample"),
    "no_tf_keras": (["-c", WITHOUT_TF_KERAS, "keras_version.py"], "data"),
    "modern_keras": (["-c", "import os, keras, modern.training\n"
                            "print(keras.__version__, os.environ.get('TF_USE_LEGACY_KERAS'))"],
                     "data"),
    "broken": (["-m", "tf1kit.run", "broken.py"], "data"),
    "contrib_imports": (["-m", "tf1kit.run", "contrib_imports.py"], "data"),
    "positional_xent": (["-m", "tf1kit.run", "positional_xent.py"], "data"),
    "folded_values_at_1": (["-m", "tf1kit.run", "--trace", "one.npz", "--trace-steps", "1",
                            "folded.py"], "data"),
    "folded_values_at_all": (["-m", "tf1kit.run", "--trace", "all.npz", "--trace-steps",
                              "1-4", "folded.py"], "data"),
    "alternating": (["-m", "tf1kit.run", "--trace", "gan.npz", "--max-steps", "4",
                     os.path.join(FIXTURES, "alternating_optimizers.py")], "data"),
    "exits": (["-m", "tf1kit.run", "exits.py"], "data"),
    "batch_norm": (["-m", "tf1kit.run", "--trace", "bn.npz", "batch_norm.py"], "data"),
    "recurrent": (["-m", "tf1kit.run", "--trace", "rnn.npz", "recurrent.py"], "data"),
    "cond_dropout": (["-m", "tf1kit.run", "--seed", "0", "--trace", "cond.npz",
                      "cond_dropout.py"], "data"),
    # docs/run_tf1.md's end-to-end block, on generated data: 5,512 training images
    # leave 512 after TF1's 5,000 for validation, 2 steps per epoch.
    "original": (["-m", "tf1kit.run", "--seed", "0", "--trace", "original.npz",
                  "--max-session-runs", "21", ORIGINAL_SCRIPT], "data5512"),
    "legacy_keras": (["-c", "import os, sys, legacy.training, tf1kit.data.input_data\n"
                            "print('tf_keras' in sys.modules, "
                            "os.environ.get('TF_USE_LEGACY_KERAS'))"], "data"),
}


# Cases whose tests read their trace, exit status and output (not what a process
# does as it starts: which Keras it selects, TensorFlow's start-up lines): run in
# forks of one warm process (tests/trace_server.py, tf1-run's own main, stdout and
# stderr apart), a TensorFlow start-up spared each (the file: 91 s -> 50 s alone).
SERVED = ("folded_values_at_1", "folded_values_at_all", "cond_dropout", "batch_norm",
          "recurrent", "alternating", "layers_cnn", "rnn_saver", "feed", "contrib_refused",
          "contrib_layers", "idioms", "split_too_big", "trace", "trace_limited", "fed",
          "fed_nothing", "contrib_imports", "positional_xent", "exits", "broken")


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Every case of CASES, each in its own folder, 4 processes at a time
    (each spends most of its time importing TensorFlow)."""
    names = [name for name in CASES if name != "original" or os.path.isfile(ORIGINAL_SCRIPT)]
    # made here, one after another: pytest's mktemp is not safe across threads
    # (two threads creating its base folder at once: "not a normalized path")
    folders = {name: tmp_path_factory.mktemp(name) for name in names}

    def run(name):
        argv, data = CASES[name]
        work = folders[name]
        if data.startswith("data"):
            write_synthetic_idx(work / "MNIST_data", n_train=int(data[4:] or 5300), n_test=200)
        else:
            (work / "MNIST_data").symlink_to(sources.SAMPLE_DIR)
        (work / "keras_version.py").write_text(KERAS_VERSION)
        (work / "broken.py").write_text("import tensorflow as tf\n\ndef f():\n    raise "
                                        "RuntimeError('boom from script')\n\nf()\n")
        (work / "exits.py").write_text("import sys\nsys.exit(7)\n")
        (work / "contrib_imports.py").write_text(CONTRIB_IMPORTS)
        (work / "positional_xent.py").write_text(POSITIONAL_XENT)
        (work / "folded.py").write_text(FOLDED)
        (work / "cond_dropout.py").write_text(COND_DROPOUT)
        (work / "batch_norm.py").write_text(BATCH_NORM)
        (work / "recurrent.py").write_text(RECURRENT)
        if name in SERVED:  # tf1-run's main in a fork of the warm server
            out, err = work / "run.out", work / "run.err"
            with lock:
                server.stdin.write(json.dumps({"argv": argv[2:], "cwd": str(work),
                                               "log": "", "out": str(out),
                                               "err": str(err)}) + "\n")
                server.stdin.flush()
                status = json.loads(server.stdout.readline())["exit"]
            return subprocess.CompletedProcess(argv, status, out.read_text(),
                                               err.read_text()), work
        result = subprocess.run([sys.executable, *argv], cwd=work, capture_output=True,
                                text=True, timeout=300, env=subprocess_environment())
        return result, work
    lock = threading.Lock()
    server = subprocess.Popen([sys.executable, "-m", "tests.trace_server"], cwd=REPO_ROOT,
                              env=subprocess_environment(), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        found = dict(zip(names, pool.map(run, names)))
    server.stdin.close()
    server.wait(timeout=60)
    return found


def test_script_errors_show_the_scripts_traceback_and_status_1(ran):
    result, _ = ran["broken"]
    assert result.returncode == 1
    assert "RuntimeError: boom from script" in result.stderr
    assert 'broken.py", line 6' in result.stderr
    assert "runpy" not in result.stderr and "run_tf1.py" not in result.stderr


def test_a_trace_computes_every_step_alike_whichever_steps_keep_values(ran):
    """The forward tensors a trace keeps are fetched at every step (T26):
    a step whose values are kept computes what one whose digests only are
    kept computes, though Grappler folds a constant across what is not
    fetched."""
    (one, one_work), (every, every_work) = ran["folded_values_at_1"], \
        ran["folded_values_at_all"]
    assert one.returncode == 0 and every.returncode == 0, one.stderr[-2000:]
    steps = [tracefile.load(str(work / name)).steps
             for work, name in ((one_work, "one.npz"), (every_work, "all.npz"))]
    assert [step["values"] for step in steps[0]] == [True, False, False, False]
    for kept_once, kept_always in zip(*steps):
        shared = set(kept_once["digests"]) & set(kept_always["digests"])
        assert any(key.startswith("gradient ") for key in shared)
        assert {key: kept_once["digests"][key] for key in shared} == \
            {key: kept_always["digests"][key] for key in shared}


def test_a_dropout_in_a_fed_cond_is_traced_where_its_branch_runs(ran):
    """A random op inside `tf.cond(is_training, ...)` draws only in the calls
    fed True: the trace counts those runs and its positions (an evaluation
    fed False between two steps draws nothing), and keeps each step's draw,
    which the stateless twin at that position reproduces. A cond the feeds
    do not decide is named as not traced, with the reason."""
    from tf1kit.keras.random_ops import philox_draw
    result, work = ran["cond_dropout"]
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = tracefile.load(str(work / "cond.npz"))
    entries = {entry["name"].split("/")[0]: entry for entry in recorded.manifest["random_ops"]
               if "dropout" in entry["name"]}
    drop, odd = entries["drop"], entries["odd"]
    blocks = 4 * 8 * tracefile.PHILOX_BLOCKS_PER_ELEMENT
    assert drop["traced"] and drop["runs"] == 3
    assert drop["positions"] == {"1": 0, "2": blocks, "3": 2 * blocks}
    assert drop["conditions"] == [[drop["conditions"][0][0], True]]
    for step in (1, 2):
        drawn = recorded.step_value(step, "random", drop["name"])
        again = philox_draw(drop["type"], [4, 8], drop["seed"], drop["seed2"],
                            drop["positions"][str(step)]).numpy()
        assert drawn is not None and again.tobytes() == drawn.tobytes()
    # Negative control: the position had the evaluations drawn too.
    assert philox_draw(drop["type"], [4, 8], drop["seed"], drop["seed2"],
                       2 * blocks).numpy().tobytes() != \
        recorded.step_value(2, "random", drop["name"]).tobytes()
    assert not odd["traced"] and "predicate" in odd["why"] and odd["runs"] == 0


def test_moving_statistics_are_traced_as_state_with_their_updates(ran):
    """The moving statistics a training call writes through UPDATE_OPS are
    the trace's "state" after each step (an evaluation between two steps
    leaves them), each update described: the statistic it reads and its
    rate, 1 - 0.99 in float64 on the moments path, in float32 under the
    fused path's cond; step 1's moving mean is TF1's AssignSub of the batch
    mean the trace kept."""
    result, work = ran["batch_norm"]
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = tracefile.load(str(work / "bn.npz"))
    moving = [f"{layer}/{name}" for layer in ("flat", "image")
              for name in ("moving_mean", "moving_variance")]
    for step in recorded.steps:
        assert [key for key in step["digests"] if key.startswith("state ")] == \
            [f"state {name}" for name in moving]
    second = recorded.steps[1]["digests"]
    assert all(second[f"initial {name}"] == recorded.steps[0]["digests"][f"state {name}"]
               for name in moving)  # the evaluation between them wrote nothing
    [optimizer] = recorded.manifest["optimizers"]
    updates = {update["variable"]: update for update in optimizer["state_updates"]}
    assert set(updates) == set(moving)
    flat = updates["flat/moving_mean"]
    assert flat["form"] == "moving_average"
    assert flat["rate"] == float(np.float32(1.0 - 0.99))
    assert flat["statistic"]["true"] == "flat/moments/Squeeze:0"
    image = updates["image/moving_variance"]["rate"]
    assert image["fed"] == "Placeholder_1:0" and image["false"] == 0.0
    assert image["true"] == float(np.float32(1.0) - np.float32(0.99))
    mean = recorded.step_value(1, "activation", "flat/moments/Squeeze:0")
    expected = np.float32(0) - (np.float32(0) - mean) * np.float32(flat["rate"])
    assert recorded.step_value(1, "state", "flat/moving_mean").tobytes() == \
        expected.astype(np.float32).tobytes()


def test_each_recurrent_call_is_recorded_with_its_cell(ran):
    """static_rnn (through tf.contrib.rnn), dynamic_rnn and
    bidirectional_dynamic_rnn: the cells' class, units, forget bias and
    variables, the tensors read and given, the line."""
    result, work = ran["recurrent"]
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = tracefile.load(str(work / "rnn.npz")).manifest
    first, second, third, fourth = manifest["recurrent"]
    assert first["function"] == "static_rnn" and first["line"] == "recurrent.py:5"
    assert first["cell"]["class"] == "GRUCell" and first["cell"]["units"] == 5
    assert first["cell"]["variables"] == {
        part: f"first/rnn/gru_cell/{folder}/{name}"
        for part, folder, name in (("gate_kernel", "gates", "kernel"),
                                   ("gate_bias", "gates", "bias"),
                                   ("candidate_kernel", "candidate", "kernel"),
                                   ("candidate_bias", "candidate", "bias"))}
    assert first["inputs"] == [f"first/unstack:{index}" for index in range(3)]
    assert len(first["outputs"]) == 3 and first["state"] == first["outputs"][-1:]
    assert second["function"] == "dynamic_rnn" and second["line"] == "recurrent.py:8"
    assert second["cell"]["class"] == "BasicLSTMCell" and second["cell"]["forget_bias"] == 0.5
    assert second["cell"]["variables"] == {"kernel": "rnn/basic_lstm_cell/kernel",
                                           "bias": "rnn/basic_lstm_cell/bias"}
    assert len(second["inputs"]) == 1 and len(second["state"]) == 2  # (c, h)
    assert second["sequence_length"] is None and second["time_major"] is False
    # one entry for a bidirectional call (not one more for each direction's dynamic_rnn)
    assert third["function"] == "bidirectional_dynamic_rnn" and third["line"] == "recurrent.py:9"
    assert (third["cell"]["units"], third["backward_cell"]["units"]) == (2, 3)
    assert third["cell"]["class"] == "LSTMCell" and third["cell"]["num_proj"] == 1
    assert third["cell"]["variables"] == {  # LSTMCell's peepholes and projection too
        part: f"bidirectional_rnn/fw/lstm_cell/{name}" for part, name in (
            ("kernel", "kernel"), ("bias", "bias"), ("w_f_diag", "w_f_diag"),
            ("w_i_diag", "w_i_diag"), ("w_o_diag", "w_o_diag"),
            ("proj_kernel", "projection/kernel"))}
    assert third["backward_cell"]["variables"]["kernel"] == \
        "bidirectional_rnn/bw/basic_rnn_cell/kernel"
    assert third["outputs"] == ["bidirectional_rnn/fw/fw/transpose_1:0",
                                "ReverseV2:0"]  # (the backward outputs turned back)
    # a DropoutWrapper's loop: one iteration at a time, its op's draws counted
    assert fourth["cell"]["class"] == "DropoutWrapper" and fourth["parallel_iterations"] == 1
    assert fourth["cell"]["output_keep_prob"] == 0.5
    looped, = [entry for entry in manifest["random_ops"] if "loop" in entry]
    assert looped["name"].startswith("dropped/while/") and looped["reproducible"]
    assert looped["positions"] == {"1": 0}  # the next: 3 steps x 2 rows x 2 units x 256
    assert looped["loop"] == {"sequence": "Placeholder:0", "per_row": 2}
    assert (third["state"], third["backward_state"]) == (  # (c, m); h
        ["bidirectional_rnn/fw/fw/while/Exit_3:0", "bidirectional_rnn/fw/fw/while/Exit_4:0"],
        ["bidirectional_rnn/bw/bw/while/Exit_3:0"])


def test_contrib_import_forms_resolve_and_library_changes_are_named(ran):
    result, _ = ran["contrib_imports"]
    assert "served True True" in result.stdout
    assert "refused: tf.contrib.slim was removed with tf.contrib" in result.stdout
    assert result.returncode == 1  # the script's own error, then the line naming the change
    assert result.stderr.rstrip().splitlines()[-1] == (
        "[run_tf1] not a TensorFlow change: NumPy 2.1 renamed reshape's newshape to shape "
        "(removed in 2.4): numpy.reshape(a, shape=...) or a.reshape(...)")


def test_script_exit_status_passes_through(ran):
    assert ran["exits"][0].returncode == 7


def test_tf_layers_contrib_flags_and_summaries_run_unmodified(ran):
    result, work = ran["layers_cnn"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(re.findall(r"^step \d loss \d", result.stdout, re.M)) == 5
    assert "test accuracy" in result.stdout
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(work / "logs"))


def test_rnn_cells_contrib_rnn_and_a_saver_run_unmodified(ran):
    result, _ = ran["rnn_saver"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "restored 10 variables, the same values" in result.stdout
    assert "names: dynamic/rnn/multi_rnn_cell/cell_0/lstm_cell/kernel:0" in result.stdout


def test_the_tutorials_mnist_module_runs_fully_connected_feed_with_tf1_names(ran):
    result, work = ran["feed"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Num examples: 200  Num correct:" in result.stdout
    assert ("variables: global_step hidden1/biases hidden1/weights hidden2/biases "
            "hidden2/weights softmax_linear/biases softmax_linear/weights") in result.stdout
    assert (work / "model.ckpt-20.index").exists()


def test_a_contrib_symbol_without_an_exact_form_is_refused_in_one_line_at_its_line(ran):
    result, _ = ran["contrib_refused"]
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == (
        "python -m tf1kit.run: error: contrib_refused.py:8: tf.contrib.layers.optimize_loss was "
        "removed with tf.contrib in TensorFlow 2.0 and has no exact equivalent this shim can "
        "run (docs/run_tf1.md lists those it can): port it by hand")


def test_a_positional_cross_entropy_call_is_refused_as_tf1_did(ran):
    """compat.v1 would bind TF 0.x's logits to `labels` and train nothing."""
    result, _ = ran["positional_xent"]
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == (
        "python -m tf1kit.run: error: positional_xent.py:4: "
        "tf.nn.softmax_cross_entropy_with_logits called with 2 positional arguments: TF 1.x "
        "took only named ones (labels=..., logits=...) and raised ValueError; TF 0.x's order "
        "was (logits, labels): name them")


def test_two_optimizers_taking_turns_are_traced_with_each_calls_noise(ran):
    """Each step's train op is in its call's fetches, both losses' graphs in
    the forward graph (the last step's alone would miss the other's), the
    noise each call drew with NumPy named with its line; the converter's
    record reads the turns (the corpus's gan.py is converted and proven)."""
    from tf1kit.convert import rewrite
    result, work = ran["alternating"]
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = tracefile.load(str(work / "gan.npz")).manifest
    losses = [entry["loss"] for entry in manifest["optimizers"]]
    described = {entry["name"] for entry in manifest["forward_graph"]}
    assert len(losses) == 2 and all(loss.split(":")[0] in described for loss in losses)
    train_ops = [entry["train_op"] for entry in manifest["optimizers"]]
    fetched = [next(op for op in train_ops if op in manifest["calls"][step["call"]]["fetches"])
               for step in manifest["steps"]]
    assert fetched == [train_ops[0], train_ops[1]] * 2
    # each step's batch among those served: the generator's steps took none
    assert [step.get("batch") for step in manifest["steps"]] == [0, None, 1, None]
    # the converter's record: the turns they take, each call's feeds, the noise drawn
    recorded = rewrite.record(str(work / "gan.npz"), str(work / "MNIST_data"))
    assert recorded["calls"] == [[0], [1]] and recorded["cycle"] == [0, 1]
    assert recorded["feeds_by_call"] == [["Placeholder:0", "Placeholder_1:0"],
                                         ["Placeholder_1:0"]]
    assert recorded["roles"] == {"Placeholder:0": "images", "Placeholder_1:0": "drawn"}
    draws = manifest["fed_draws"]
    with open(os.path.join(FIXTURES, "alternating_optimizers.py")) as stream:
        lines = [number for number, line in enumerate(stream, start=1)
                 if "np.random.uniform" in line]
    assert {op: draw["Placeholder_1:0"]["line"] for op, draw in draws.items()} == \
        dict(zip(train_ops, lines))  # each call's own np.random.uniform line
    assert draws[train_ops[1]]["Placeholder_1:0"]["size"] == [64, 16]


def test_contrib_layers_are_tf_1_15s_names_defaults_and_ops(ran):
    """fully_connected, conv2d, pooling, flatten, dropout, batch_norm and
    arg_scope, each against the core ops TF 1.15 composed (the script
    checks them in its own session: tests/fixtures/tf1/contrib_layers_facts.py)."""
    result, _ = ran["contrib_layers"]
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.split("FACTS ", 1)[1].splitlines()[0])
    assert facts.pop("variables") == [
        "fc/weights", "fc/biases", "fully_connected/weights", "fully_connected/biases",
        "fully_connected_1/weights", "fully_connected_1/biases", "Conv/weights", "Conv/biases",
        # contrib's fused path makes beta first; the tf.layers class, gamma first
        "fused/BatchNorm/beta", "fused/BatchNorm/moving_mean",
        "fused/BatchNorm/moving_variance", "layer/BatchNorm/gamma", "layer/BatchNorm/beta",
        "layer/BatchNorm/moving_mean", "layer/BatchNorm/moving_variance",
        "moments/BatchNorm/beta", "moments/BatchNorm/moving_mean",
        "moments/BatchNorm/moving_variance"]
    assert len(facts.pop("model_variables")) == 18  # every one of them
    assert facts.pop("update_ops") == 2  # only the tf.layers path leaves its updates there
    assert facts.pop("pooled_shape") == [4, 3, 3, 2]  # max_pool2d: stride 2, VALID
    assert facts.pop("averaged_shape") == [4, 6, 6, 2]
    assert facts.pop("flat_shape") == [4, 18]
    assert facts == {name: True for name in facts} and len(facts) == 9, facts


def test_a_folder_smaller_than_the_validation_split_is_one_line_and_no_trace(ran):
    result, work = ran["split_too_big"]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "python -m tf1kit.run: error: MNIST_data holds 4,000 training images, fewer than " \
        "the 5,000 read_data_sets keeps for validation: run_tf1 --validation-size N keeps " \
        "fewer" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == (
        "[run_tf1] no trace written to none.npz: the script ran no training step (a "
        "Session.run of an optimizer's update) before it stopped at its data")
    assert not (work / "none.npz").exists()


def test_other_authors_idioms_run_and_trace_unchanged(ran):
    """A NumPy flag default, a uint8 shape, contrib.learn's loader, Keras's
    load_data() from --data-dir offline, a fed string handle and bool."""
    result, work = ran["idioms"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[run_tf1] --data-dir: mnist.load_data() reads MNIST_data" in result.stdout
    assert "keras arrays (5300, 28, 28) uint8 True" in result.stdout
    assert "batch size 32 steps 5 loss" in result.stdout
    trace = tracefile.load(str(work / "idioms.npz"))
    steps = trace.manifest["steps"]
    assert len(steps) == 5
    fed = {key for key in steps[0]["digests"] if key.startswith("input ")}
    assert fed == {"input Placeholder:0", "input Placeholder_1:0",  # the handle, the bool
                   "input IteratorGetNext:0", "input IteratorGetNext:1"}  # the batch read
    assert trace.step_value(1, "input", "IteratorGetNext:0").shape == (32, 784)
    assert trace.step_value(1, "input", "Placeholder_1:0") == np.True_  # the bool's value
    assert trace.step_value(1, "input", "Placeholder:0") is None  # the handle: a digest only


def test_only_the_run_tf1_process_switches_to_keras_2(ran):
    result, _ = ran["keras_version"]
    assert result.returncode == 0 and "keras tf_keras" in result.stdout, result.stderr[-2000:]
    modern, _ = ran["modern_keras"]
    assert modern.returncode == 0 and re.match(r"3\.\d+\.\d+ None$", modern.stdout.strip())
    legacy, _ = ran["legacy_keras"]
    assert legacy.returncode == 0 and legacy.stdout.strip() == "False None"


def test_without_tf_keras_one_line_says_what_to_install(ran):
    result, _ = ran["no_tf_keras"]
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        "python -m tf1kit.run: error: tf_keras is not installed; TF1's tf.layers and RNN "
        "cells need it on TensorFlow 2.16+: pip install -r requirements.txt (it pins tf-keras "
        "to TensorFlow's version)\n")


def test_a_trace_holds_every_session_run_and_a_rewrite_is_checked_against_it(ran):
    result, work = ran["trace"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[run_tf1] traced 6 Session.run calls, 5 training steps, to full.npz" in result.stdout
    recorded = tracefile.load(str(work / "full.npz"))
    assert recorded.manifest["ended"] == "completed" and len(recorded.calls) == 6
    assert recorded.calls[0]["fetches"] == ["init"] and recorded.calls[0]["kept"] == []
    assert recorded.calls[1]["feeds"] == ["Placeholder:0", "Placeholder_1:0"]
    losses = [value for _, value in recorded.values("Mean:0")]
    printed = result.stdout.split("losses: ")[1].splitlines()[0].split()
    assert [f"{value:.4f}" for value in losses] == printed
    assert_matches(recorded, "Mean:0", losses)  # the same values pass ...
    changed = list(losses)
    changed[2] = np.nextafter(np.float32(changed[2]), np.float32(np.inf))
    with pytest.raises(AssertionError, match=r"Mean:0 differs at step 3 \(Session.run call 3\)"
                                             r".*1 element\(s\) differ.*max 1 ulp"):
        assert_matches(recorded, "Mean:0", changed)  # ... one ulp does not


def test_feed_overrides_a_fed_value_in_every_training_call_and_is_recorded(ran):
    result, work = ran["fed"]
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = tracefile.load(os.path.join(work, "fed.npz"))
    assert recorded.manifest["feed_overrides"] == {
        "Placeholder:0": {"value": 0.5, "tensor": "Placeholder:0"}}
    for step in (1, 2):
        fed = recorded.step_value(step, "input", "Placeholder:0")
        assert fed.shape[0] == 50 and np.all(fed == np.float32(0.5))
    # The loss its optimizer minimizes, named in the trace.
    assert recorded.manifest["optimizers"][0]["loss"] == "Mean:0"


def test_a_feed_naming_nothing_fed_stops_with_one_line(ran):
    result, _ = ran["fed_nothing"]
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "python -m tf1kit.run: error: --feed keep_prob: no fed value of training call 1 is "
        "named so (it feeds: Placeholder:0, Placeholder_1:0); name a placeholder, its tensor "
        "or the script's variable for it")
    assert "Traceback" not in result.stderr


def test_max_session_runs_stops_cleanly_and_two_traces_are_compared(ran):
    result, work = ran["trace_limited"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[run_tf1] stopped after 3 Session.run calls (--max-session-runs)" in result.stdout
    assert "losses:" not in result.stdout  # the script stopped before its end
    first = os.path.join(work, "first.npz")
    with np.load(first, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    assert sorted(key for key in arrays if not key.startswith(("step-", "batches/"))) == [
        "call-000001/Mean:0", "call-000002/Mean:0", "manifest", "variables/Variable",
        "variables/Variable_1"]  # W and b
    manifest = json.loads(str(arrays["manifest"]))
    assert [step["call"] for step in manifest["steps"]] == [1, 2]
    # next_batch(50) served three batches: the third just before the stop.
    assert arrays["batches/train"].shape == (3, 50)
    # Without its steps, a trace is compared by its fetched values.
    loss = np.float32(arrays["call-000002/Mean:0"])
    arrays["call-000002/Mean:0"] = np.nextafter(loss, np.float32(np.inf))
    arrays["manifest"] = np.asarray(json.dumps({**manifest, "steps": []}))
    np.savez(os.path.join(work, "nudged.npz"), **arrays)
    compared = run_module(["tf1kit.compare.cli", first, "nudged.npz"], cwd=work)
    assert compared.returncode == 1
    assert re.fullmatch(r"differ: call 2: Mean:0: 1 element\(s\) differ, max \|d\| \S+, "
                        r"max 1 ulp", compared.stdout.strip()), compared.stdout
    assert run_module(["tf1kit.compare.cli", first, first], cwd=work).stdout.splitlines()[-1] == (
        "MATCH: 2 steps, every tensor both traces hold is the same, bit for bit")
    refused = run_module(["tf1kit.compare.cli", first, os.path.join(
        REPO_ROOT, "golden", "sample", "intel-xeon-amx", "seed-0.npz")], cwd=work)
    assert refused.returncode == 2 and "not a run_tf1 trace" in refused.stderr


@needs_seed
def test_the_modern_model_reproduces_a_trace_of_the_unmodified_original(ran):
    """docs/run_tf1.md's end-to-end block (CASES["original"]), on generated data."""
    traced, tmp_path = ran["original"]
    assert traced.returncode == 0, traced.stderr[-3000:]
    assert "[run_tf1] stopped after 21 Session.run calls" in traced.stdout
    import contextlib
    import io

    from tools import modern_vs_trace

    def check(seed):  # the tool in this process (it trains the modern side only)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            status = modern_vs_trace.main([str(tmp_path / "original.npz"), "--data",
                                           str(tmp_path / "MNIST_data"), "--seed", str(seed)])
        return status, printed.getvalue().strip()
    assert check(0) == (0, "MATCH: the modern exact model's 20 per-step losses are the traced "
                           "original's, bit for bit")
    status, printed = check(1)  # another seed: another batch order
    assert status == 1 and printed.startswith("MISMATCH: Mean:0 differs at step ")


def test_the_docs_contrib_table_is_what_the_shim_serves():
    with open(os.path.join(REPO_ROOT, "docs", "run_tf1.md"), encoding="utf-8") as stream:
        rows = re.findall(r"^\| `(tf\.contrib\.[^`]+)` \| (.+) \|$", stream.read(), re.M)
    from tf1kit.run import contrib
    assert [(name, target.strip("`")) for name, target in rows] == contrib.supported()
