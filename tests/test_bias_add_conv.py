"""BiasAddConv2D against TF1: a conv layer's `tf.nn.bias_add` differentiated
as `Optimizer.minimize` did (gate_gradients=GATE_OP), in a TF1 Session and
in a tf.function, on the same machine (MIGRATION.md T23)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1kit import machine
from tf1kit.keras import BiasAddConv2D

# A conv layer of the size that showed the trap (aymericdamien's raw CNN:
# 32 filters of 5x5, a batch of 128) on images with a blank background,
# which is what MNIST's are.
BATCH, FILTERS = 128, 32


def inputs_and_weights(seed: int):
    rng = np.random.default_rng(seed)
    images = rng.random((BATCH, 28, 28, 1), dtype=np.float32)
    images[:, :6] = 0.0  # blank rows: equal outputs, equal maxima, as MNIST's borders give
    kernel = rng.standard_normal((5, 5, 1, FILTERS)).astype(np.float32)
    bias = rng.standard_normal(FILTERS).astype(np.float32)
    return images, kernel, bias


def loss_of(outputs):
    pooled = tf.nn.max_pool2d(outputs, 2, 2, "SAME")
    return tf.reduce_mean(tf.square(pooled - 0.5))


def tf1_gradients(images, kernel, bias):
    """The script's way: conv2d + bias_add + relu, compute_gradients (GATE_OP)."""
    with tf.Graph().as_default():
        kernel_variable, bias_variable = tf.compat.v1.Variable(kernel), tf.compat.v1.Variable(bias)
        outputs = tf.nn.relu(tf.nn.bias_add(
            tf.nn.conv2d(tf.constant(images), kernel_variable, [1, 1, 1, 1], "SAME"), bias_variable))
        optimizer = tf.compat.v1.train.GradientDescentOptimizer(0.1)
        pairs = optimizer.compute_gradients(loss_of(outputs), [kernel_variable, bias_variable])
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return session.run([gradient for gradient, _ in pairs])


def keras_gradients(layer_class, images, kernel, bias):
    layer = layer_class(FILTERS, (5, 5), padding="same", activation="relu")
    layer.build((None, 28, 28, 1))
    layer.set_weights([kernel, bias])

    @tf.function
    def gradients(batch):
        with tf.GradientTape() as tape:
            loss = loss_of(layer(batch))
        return tape.gradient(loss, [layer.kernel, layer.bias])
    return [gradient.numpy() for gradient in gradients(tf.constant(images))]


def test_bias_add_conv2d_gives_tf1_minimizes_gradients_bit_for_bit():
    images, kernel, bias = inputs_and_weights(seed=0)
    expected = tf1_gradients(images, kernel, bias)
    got = keras_gradients(BiasAddConv2D, images, kernel, bias)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


@pytest.mark.skipif(not machine.onednn()["enabled"],
                    reason="the fusion that changes the bits is oneDNN's (T23)")
def test_stock_conv2d_bias_gradient_differs_with_onednn():
    """The negative control: stock Conv2D's ungated bias gradient is fused
    into the filter gradient by oneDNN and sums in another order."""
    images, kernel, bias = inputs_and_weights(seed=0)
    expected = tf1_gradients(images, kernel, bias)
    got = keras_gradients(keras.layers.Conv2D, images, kernel, bias)
    assert (got[1] != expected[1]).any()


def test_bias_add_conv2d_round_trips_its_config():
    layer = BiasAddConv2D(4, (3, 3), padding="valid", name="conv")
    again = BiasAddConv2D.from_config(layer.get_config())
    again.build((None, 8, 8, 2))
    assert type(again) is BiasAddConv2D and tuple(again.bias.shape) == (4,)
