"""tf1kit/keras/random_ops.py against TF1's own stateful random ops: the stateless
twin with the recorded seeds and stream position draws the very values a
TF1 graph's op draws on each run, and TF1Dropout is tf.nn.dropout with a
fed keep_prob (or a Python number), mask and arithmetic, bit for bit."""

import numpy as np
import pytest
import tensorflow as tf

from tf1kit.trace.tracefile import PHILOX_BLOCKS_PER_ELEMENT
from tf1kit.keras.random_ops import TF1Dropout, philox_draw

v1 = tf.compat.v1
RUNS = 3
SHAPE = (4, 6)


def tf1_draws(build, runs=RUNS, feed=None):
    """(the op, its output on each of `runs` Session.run calls) of a TF1
    graph seeded with graph seed 7."""
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(7)
        output = build()
        op = next(op for op in graph.get_operations() if op.type.startswith(
            ("Random", "TruncatedNormal")))
        with v1.Session(graph=graph) as session:
            return op, output, [session.run(output, feed(output) if feed else None)
                                for _ in range(runs)]


@pytest.mark.parametrize("build", [lambda: v1.random_uniform(SHAPE),
                                   lambda: v1.random_normal(SHAPE),
                                   lambda: v1.truncated_normal(SHAPE)],
                         ids=["RandomUniform", "RandomStandardNormal", "TruncatedNormal"])
def test_the_stateless_twin_draws_what_each_run_of_the_tf1_op_drew(build):
    op, _, draws = tf1_draws(build)
    seed, seed2 = op.get_attr("seed"), op.get_attr("seed2")
    assert seed == 7  # the graph seed; seed2 the op seed TF1 derived
    for run, drawn in enumerate(draws):
        position = run * int(np.prod(SHAPE)) * PHILOX_BLOCKS_PER_ELEMENT
        again = philox_draw(op.type, SHAPE, seed, seed2, position).numpy()
        assert again.tobytes() == drawn.tobytes(), f"run {run}"
    # Negative controls: another op seed, or the position of another run.
    assert philox_draw(op.type, SHAPE, seed, seed2 + 1, 0).numpy().tobytes() != \
        draws[0].tobytes()
    assert philox_draw(op.type, SHAPE, seed, seed2, 1).numpy().tobytes() != draws[0].tobytes()


def test_tf1dropout_is_tf1_dropout_with_a_fed_keep_prob_bit_for_bit():
    x = np.random.default_rng(0).normal(size=SHAPE).astype(np.float32)
    holder = {}

    def build():
        holder["keep_prob"] = v1.placeholder(tf.float32)
        return v1.nn.dropout(tf.constant(x), holder["keep_prob"])
    op, _, outputs = tf1_draws(build, feed=lambda _: {holder["keep_prob"]: 0.75})
    layer = TF1Dropout(op.get_attr("seed"), op.get_attr("seed2"))

    @tf.function
    def step(keep_prob):  # a fed tensor, as the script fed it
        return layer(tf.constant(x), keep_prob=keep_prob, training=True)
    for run, expected in enumerate(outputs):
        assert step(tf.constant(0.75)).numpy().tobytes() == expected.tobytes(), f"run {run}"
    assert int(layer.position.numpy()) == RUNS * x.size * PHILOX_BLOCKS_PER_ELEMENT
    assert layer(tf.constant(x), keep_prob=0.75, training=False).numpy().tobytes() == \
        x.tobytes()  # not training: the input


def test_tf1dropout_with_a_python_keep_prob_multiplies_as_tf1_does():
    x = np.random.default_rng(1).normal(size=SHAPE).astype(np.float32)
    op, _, outputs = tf1_draws(lambda: v1.nn.dropout(tf.constant(x), 0.75))
    layer = TF1Dropout(op.get_attr("seed"), op.get_attr("seed2"))
    for expected in outputs:
        assert layer(tf.constant(x), keep_prob=0.75, training=True).numpy().tobytes() == \
            expected.tobytes()
    # Negative control: the fed-tensor arithmetic (x / (1 - rate)) is not
    # what TF1 computed for a number (x * (1 / keep)): other bits somewhere.
    layer.position.assign(0)
    fed = layer(tf.constant(x), keep_prob=tf.constant(0.75), training=True).numpy()
    kept = outputs[0] != 0
    assert np.array_equal(fed != 0, kept)  # the same mask
    assert fed.tobytes() != outputs[0].tobytes() or not np.any(
        x[kept] * np.float32(1 / 0.75) != x[kept] / np.float32(0.75))
