"""tf1kit/keras/normalization.py against the ops a TF1 script's
`tf.layers.batch_normalization(training=...)` ran, built here in a v1
graph as tf.layers built them: on a rank-2 input `tf.nn.moments` and
`tf.nn.batch_normalization`, on a rank-4 input one FusedBatchNormV3, each
moving statistic updated by `AssignSub(v, (v - batch) * rate)` with the
rate as tf.layers took it. TF1BatchNormalization gives the same outputs,
gradients and moving statistics, bit for bit, call after call; the stock
layer does not (MIGRATION.md T28, T29)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1kit.keras import TF1BatchNormalization

v1 = tf.compat.v1
CALLS = 3
MOMENTUM = 0.9
EPSILON = 1e-5
SHAPES = {"moments": (32, 5), "fused": (8, 6, 6, 5)}


def batches(shape):
    rng = np.random.default_rng(3)
    return [(rng.normal(size=shape) * 2 + 1).astype(np.float32) for _ in range(CALLS)]


def tf1_calls(kind: str) -> list:
    """[(output, gradients of sum(output ** 2) for gamma and beta, moving
    mean, moving variance)] after each of CALLS training calls of the TF1 graph."""
    shape, graph = SHAPES[kind], tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, (None,) + shape[1:])
        channels = shape[-1:]
        gamma = v1.get_variable("gamma", initializer=tf.ones(channels))
        beta = v1.get_variable("beta", initializer=tf.zeros(channels))
        moving_mean = v1.get_variable("moving_mean", initializer=tf.zeros(channels),
                                      trainable=False)
        moving_variance = v1.get_variable("moving_variance", initializer=tf.ones(channels),
                                          trainable=False)
        if kind == "fused":  # the fused path: 1 - momentum as a float32 op
            output, mean, variance = v1.nn.fused_batch_norm(x, gamma, beta, epsilon=EPSILON,
                                                            is_training=True)
            rate = tf.constant(1.0) - tf.constant(MOMENTUM)
        else:  # the moments path: 1 - momentum in Python
            mean, variance = tf.nn.moments(x, [0])
            output = tf.nn.batch_normalization(x, mean, variance, beta, gamma, EPSILON)
            rate = tf.constant(1.0 - MOMENTUM)
        updates = [v1.assign_sub(moving, (moving - statistic) * rate)
                   for moving, statistic in ((moving_mean, mean), (moving_variance, variance))]
        gradients = tf.gradients(tf.reduce_sum(output * output), [gamma, beta])
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            found = []
            for batch in batches(shape):
                values = session.run([output, gradients, updates], {x: batch})
                found.append((values[0], values[1], *session.run([moving_mean,
                                                                   moving_variance])))
            return found


def keras_calls(layer) -> list:
    """The same CALLS calls of a Keras layer, each a tf.function step."""
    @tf.function
    def step(batch):
        with tf.GradientTape() as tape:
            output = layer(batch, training=True)
            loss = tf.reduce_sum(output * output)
        return output, tape.gradient(loss, [layer.gamma, layer.beta])
    found = []
    for batch in batches(SHAPES[layer.name]):
        output, gradients = step(tf.constant(batch))
        found.append((output.numpy(), [g.numpy() for g in gradients],
                      layer.moving_mean.numpy(), layer.moving_variance.numpy()))
    return found


def faithful(kind: str):
    return TF1BatchNormalization(momentum=MOMENTUM, epsilon=EPSILON, fused=kind == "fused",
                                 float32_rate=kind == "fused", name=kind)


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_tf1_batch_normalization_is_tf_layers_training_call_bit_for_bit(kind):
    for call, (ours, theirs) in enumerate(zip(tf1_calls(kind), keras_calls(faithful(kind)))):
        for what, a, b in zip(("output", "gradients", "moving mean", "moving variance"),
                              ours, theirs):
            assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), f"call {call}: {what}"


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_the_stock_layer_updates_its_moving_statistics_otherwise(kind):
    """Negative control: keras.layers.BatchNormalization's moving averages
    (v * momentum + batch * (1 - momentum)) part from TF1's AssignSub."""
    stock = keras_calls(keras.layers.BatchNormalization(momentum=MOMENTUM, epsilon=EPSILON,
                                                        name=kind))
    ours = tf1_calls(kind)
    assert any(a[3].tobytes() != b[3].tobytes() or a[2].tobytes() != b[2].tobytes()
               for a, b in zip(ours, stock))


def test_without_updates_the_moving_statistics_stay_where_they_start():
    """A script that never ran UPDATE_OPS: `moving_updates=False`."""
    layer = TF1BatchNormalization(momentum=MOMENTUM, moving_updates=False, name="moments")
    keras_calls(layer)
    assert not layer.moving_mean.numpy().any() and (layer.moving_variance.numpy() == 1).all()
