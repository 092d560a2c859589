"""MIGRATION.md cannot go stale: its links land on the quoted code, and each
trap it lists is reproduced here."""

import contextlib
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from common import sources
from common.config import Hyperparameters
from common.variants import Variant
from legacy import autoencoder as legacy_autoencoder
from tf1kit.data import input_data as legacy_input_data
from parity import engine, sides, verdict
from tf1kit import environment
from parity.perturbations import NONE, PERTURBATIONS
from tests.helpers import (
    ORIGINAL_SCRIPT,
    REPO_ROOT,
    op_determinism_restored,
    run_module,
    subprocess_environment,
    write_synthetic_idx,
)
from tools import localize_traps

GUIDE = os.path.join(REPO_ROOT, "MIGRATION.md")

# The step by which each numerical trap must show (MIGRATION.md, section 2).
GUIDE_FIRST_DIFFERING_STEP = {"epsilon": 2, "init-stddev": 1, "keras-init": 1, "bias-add": 30,
                              "adam": 2, "keras-mse": 1, "shuffle": 1, "xla": 1,
                              "divide-255": 2}


def test_every_perturbation_is_in_the_guide():
    text = open(GUIDE, encoding="utf-8").read()
    assert set(GUIDE_FIRST_DIFFERING_STEP) == set(PERTURBATIONS)
    for name, row in PERTURBATIONS.items():
        assert f"| `{name}` |" in text, name
        assert re.search(rf"\| {row.trap} \|[^\n]*\| `{name}` \|", text), (name, row.trap)


@pytest.fixture(autouse=True)
def restore_op_determinism():
    with op_determinism_restored():
        yield


@contextlib.contextmanager
def configured_as_compare():
    """TensorFlow set up as compare.py sets it up, for one block only (op
    determinism would make the unseeded random ops of other tests raise)."""
    with op_determinism_restored():
        environment.configure_tensorflow("cpu")
        yield


TRAP_STEPS = 30  # the largest step in GUIDE_FIRST_DIFFERING_STEP, with room


@pytest.fixture(scope="module")
def trap_experiment():
    raw = sources.load_raw(sources.DataSource("sample"))
    return engine.make_experiment(raw, 0, Hyperparameters(training_epochs=1), Variant(),
                                   steps_per_epoch=TRAP_STEPS)


@pytest.fixture(scope="module")
def trap_legacy(trap_experiment):
    """One legacy run, shared by every trap (legacy is never perturbed)."""
    with configured_as_compare():
        return sides.run_legacy(trap_experiment, seed=0, log=lambda line: None).run


def first_differing_step(experiment, legacy, perturbation):
    with configured_as_compare():
        modern = sides.run_modern(experiment, 0, "exact", perturbation, legacy.initial_weights,
                                    log=lambda line: None)
    return verdict.compare_losses(legacy.step_losses, modern.run.step_losses)[
        "first_differing_step"]


def test_without_a_trap_the_losses_are_identical(trap_experiment, trap_legacy):
    assert first_differing_step(trap_experiment, trap_legacy, NONE) is None


@pytest.mark.parametrize("perturbation", sorted(GUIDE_FIRST_DIFFERING_STEP))
def test_numerical_trap_changes_the_loss_where_the_guide_says(trap_experiment, trap_legacy,
                                                             perturbation):
    first = first_differing_step(trap_experiment, trap_legacy, PERTURBATIONS[perturbation])
    assert first is not None and first <= GUIDE_FIRST_DIFFERING_STEP[perturbation]


# What each trap changes first, predicted from how it works (MIGRATION.md,
# "Where each trap is born"); `adam` is born in Adam's m, whose (1 - beta1)
# TF1 rounds in float32.
EXPECTED_FIRST_KIND = {"bias-add": "gradient", "epsilon": "update", "adam": "slot",
                       "divide-255": "input", "keras-mse": "loss", "init-stddev": "initial",
                       "keras-init": "initial", "shuffle": "input", "xla": "activation"}


@pytest.fixture(scope="module")
def localized(trap_experiment, trap_legacy):
    """Every trap localized against the one shared legacy run."""
    with configured_as_compare():
        return {name: localize_traps.localize(trap_experiment, trap_legacy, name)
                for name in PERTURBATIONS}


@pytest.mark.slow
@pytest.mark.parametrize("perturbation", sorted(EXPECTED_FIRST_KIND))
def test_each_trap_is_born_where_predicted(localized, perturbation):
    found = localized[perturbation]
    first, others = found["first"], found["others"]
    assert first["kind"] == EXPECTED_FIRST_KIND[perturbation], found
    assert found["step"] == (0 if first["kind"] == "initial" else 1)
    if perturbation == "bias-add":  # forward and kernels identical: a bias gradient
        assert "_b" in first["tensor"] and "activation" not in others and "loss" not in others
        assert all("_b" in t["tensor"] for t in found["tensors"] if t["kind"] == "gradient")
    if perturbation == "epsilon":  # loss, gradients and Adam's m and v identical
        assert set(others) == {"update", "weight"}
    if perturbation == "keras-mse":  # the printed loss only
        assert first["tensor"] == "cost" and others == {}
    if first["kind"] != "initial":
        assert found["referee"].get(f"{first['kind']} {first['tensor']}"), "no referee"


@pytest.mark.slow
def test_the_guides_localization_table_is_what_the_tool_finds(localized):
    assert localize_traps.table_in_guide() == {
        name: (found["first"]["kind"], found["first"]["tensor"], found["step"])
        for name, found in localized.items()}, "run `python tools/localize_traps.py --write`"


def test_tf1_split_keeps_55000_of_60000(tmp_path):
    images = np.zeros((60000, 28, 28), np.uint8)
    labels = np.zeros(60000, np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=images, y_train=labels, x_test=images[:10],
             y_test=labels[:10])
    mnist = legacy_input_data.read_data_sets(str(tmp_path / "mnist.npz"))
    assert (mnist.train.num_examples, mnist.validation.num_examples) == (55000, 5000)
    assert int(mnist.train.num_examples / 256) == 214 and int(60000 / 256) == 234


def test_fit_logs_a_running_mean_not_the_last_batch():
    import keras
    # Zero weights: every output is sigmoid(0) = 0.5, so the batch losses are
    # known exactly: 0.25 for the all-zero batch, 0 for the two all-0.5 ones.
    x = np.concatenate([np.zeros((32, 8)), np.full((64, 8), 0.5)]).astype(np.float32)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(
        8, activation="sigmoid", kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")  # no learning: fixed losses
    history = model.fit(x, x, batch_size=32, epochs=1, shuffle=False, verbose=0)
    batch_losses = [float(keras.losses.MeanSquaredError()(x[i:i + 32], model(x[i:i + 32])))
                    for i in (0, 32, 64)]
    assert batch_losses == [0.25, 0.0, 0.0]
    assert history.history["loss"][0] == pytest.approx(np.mean(batch_losses), rel=1e-5)
    assert history.history["loss"][0] != batch_losses[-1]


@pytest.mark.slow
def test_our_fit_never_uses_xla():
    from modern import autoencoder, training
    from modern.options import IDIOMATIC
    hyper = Hyperparameters(training_epochs=1, batch_size=64)
    model = autoencoder.build_model(hyper, seed=0, options=IDIOMATIC)
    training.fit(model, np.zeros((64, 784), np.float32), hyper, verbose=0, log=lambda line: None)
    assert model.jit_compile is False


def initial_encoder_kernel(extra_random_op: bool):
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.set_random_seed(5)
        if extra_random_op:
            tf.compat.v1.get_seed(None)  # what read_data_sets does inside a graph
        weights, _ = legacy_autoencoder.make_parameters(Hyperparameters())
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return session.run(weights["encoder_h1"])


def test_one_more_seeded_op_shifts_the_initial_weights():
    first = initial_encoder_kernel(extra_random_op=False)
    assert np.array_equal(first, initial_encoder_kernel(extra_random_op=False))
    assert not np.array_equal(first, initial_encoder_kernel(extra_random_op=True))


def test_removed_modules_are_gone():
    with pytest.raises(ModuleNotFoundError, match="tensorflow.examples"):
        __import__("tensorflow.examples.tutorials.mnist")
    assert not hasattr(tf, "contrib") and not hasattr(tf.compat.v1, "contrib")
    # Under Keras 3 (this process), TF1's Keras-based layers are gone too:
    # run_tf1 serves them from tf-keras (docs/run_tf1.md, "Real TF1 code").
    with pytest.raises(AttributeError, match="`dense` is not available with Keras 3"):
        tf.compat.v1.layers.dense  # noqa: B018


def test_deterministic_random_test_tool_is_gone():
    with pytest.raises((AttributeError, ImportError)):
        tf.compat.v1.keras.utils.DeterministicRandomTestTool  # noqa: B018


@pytest.mark.slow
def test_disabling_eager_breaks_keras_in_the_same_process():
    script = ("import numpy as np, tensorflow as tf\n"
              "tf.compat.v1.disable_eager_execution()\n"
              "from common.config import Hyperparameters\n"
              "from modern import autoencoder as m, training\n"
              "h = Hyperparameters()\n"
              "from modern.options import EXACT\n"
              "model = m.build_model(h, 0, EXACT)\n"
              "step = training.make_train_step(model, m.make_optimizer(h, EXACT))\n"
              "x = np.zeros((4, 784), np.float32)\n"
              "print(type(step(x, x)).__name__)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=300, env=subprocess_environment())
    assert result.stdout.strip() == "SymbolicTensor", result.stderr  # not a number: no training


needs_seed = pytest.mark.skipif(not os.path.isfile(ORIGINAL_SCRIPT) or
                                shutil.which("tf_upgrade_v2") is None,
                                reason="needs the original script (ORIGINAL_AUTOENCODER) and tf_upgrade_v2")


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("upgrade")
    result = subprocess.run(["tf_upgrade_v2", "--infile", ORIGINAL_SCRIPT, "--outfile",
                             str(folder / "upgraded.py"), "--reportfile",
                             str(folder / "report.txt")], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return folder


@pytest.mark.slow
@needs_seed
def test_tf_upgrade_v2_renames_everything_and_reports_no_issue(upgraded):
    code = (upgraded / "upgraded.py").read_text()
    report = (upgraded / "report.txt").read_text()
    assert "Detected 0 issues that require attention" in report
    for renamed in ("tf.compat.v1.placeholder", "tf.random.truncated_normal", "tf.random.normal",
                    "tf.compat.v1.train.AdamOptimizer", "tf.compat.v1.Session"):
        assert renamed in code
    assert "from tensorflow.examples.tutorials.mnist import input_data" in code
    assert "disable_v2_behavior" not in code


@pytest.mark.slow
@needs_seed
def test_tf_upgrade_v2_output_fails_alone_and_runs_under_the_shim(upgraded):
    write_synthetic_idx(upgraded / "MNIST_data", n_train=5512, n_test=50)
    # Alone: first the removed import; with it fixed, the eager placeholder.
    fixed = (upgraded / "upgraded.py").read_text().replace(
        "from tensorflow.examples.tutorials.mnist import input_data",
        "from tf1kit.data import input_data")
    (upgraded / "fixed_import.py").write_text(fixed)
    probe = ("import runpy, sys\n"
             "for name in ('upgraded.py', 'fixed_import.py'):\n"
             "    try:\n"
             "        runpy.run_path(name)\n"
             "    except Exception as error:\n"
             "        print(name, type(error).__name__, str(error).splitlines()[0])\n")
    alone = subprocess.run([sys.executable, "-c", probe], cwd=upgraded, capture_output=True,
                           text=True, timeout=300, env=subprocess_environment())
    assert "upgraded.py ModuleNotFoundError No module named 'tensorflow.examples'" in alone.stdout
    assert "fixed_import.py RuntimeError tf.placeholder() is not compatible with eager " \
           "execution" in alone.stdout
    shimmed = run_module(["tf1kit.run", "--figures-dir", str(upgraded),
                          str(upgraded / "upgraded.py")], cwd=upgraded)
    assert shimmed.returncode == 0, shimmed.stderr
    assert shimmed.stdout.count("Epoch: ") == 10


def kernels_of_one_session_step(config=None) -> list:
    """The op types the original's Session ran for one training step."""
    parts = legacy_autoencoder.build_graph(Hyperparameters(batch_size=8), graph_seed=0)
    with tf.compat.v1.Session(graph=parts.graph, config=config) as session:
        session.run(parts.init)
        metadata = tf.compat.v1.RunMetadata()
        session.run([parts.optimizer, parts.cost],
                    feed_dict={parts.X: np.full((8, 784), 0.5, np.float32)},
                    options=tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE),
                    run_metadata=metadata)
    return [node.timeline_label.split(" = ")[-1].split("(")[0].strip()
            for device in metadata.step_stats.dev_stats for node in device.node_stats
            if " = " in node.timeline_label]


@pytest.mark.slow
def test_the_originals_session_keeps_a_generic_pow_kernel_in_the_loss_gradient():
    # Trap T17: the gradient of tf.pow(x, 2) is x^(2-1) * 2 * grad; in a TF1
    # Session, Grappler's default arithmetic optimizer leaves that Pow(x, 1)
    # to the generic pow kernel, the aggressive one (what a live comparison
    # gives the legacy side) removes it.
    from tf1kit import environment
    assert "Pow" in kernels_of_one_session_step()
    assert "Pow" not in kernels_of_one_session_step(environment.legacy_session_config())
