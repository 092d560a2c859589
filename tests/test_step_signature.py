"""MIGRATION.md T24: a TF1 graph is built with its placeholders' batch
open; a tf.function traced on concrete batches knows it, and TensorFlow
builds other gradient code for known shapes. Exact rewrites trace their
step with the placeholders' shapes (tf1kit/convert/emit.py)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import machine_kind

BATCH, HIDDEN, CLASSES = 100, 64, 10
# Where a step traced on known shapes was measured to give other bits
# (huber over a softmax dense layer: 484 of 640 kernel gradients at step 1;
# the same with oneDNN off on that CPU).
KNOWN_SHAPES_DIFFER_ON = {"amd-epyc-avx512"}


def data(seed: int):
    rng = np.random.default_rng(seed)
    hidden = np.maximum(rng.standard_normal((BATCH, HIDDEN)), 0).astype(np.float32)
    labels = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, BATCH)]
    kernel = (0.1 * rng.standard_normal((HIDDEN, CLASSES))).astype(np.float32)
    return hidden, labels, kernel, np.zeros(CLASSES, np.float32)


def loss_of(hidden, labels, kernel, bias):
    return tf.compat.v1.losses.huber_loss(labels, tf.nn.softmax(tf.matmul(hidden, kernel) + bias))


def tf1_gradients(hidden, labels, kernel, bias):
    with tf.Graph().as_default():
        hidden_feed = tf.compat.v1.placeholder(tf.float32, [None, HIDDEN])
        labels_feed = tf.compat.v1.placeholder(tf.float32, [None, CLASSES])
        variables = [tf.compat.v1.Variable(kernel), tf.compat.v1.Variable(bias)]
        pairs = tf.compat.v1.train.GradientDescentOptimizer(0.5).compute_gradients(
            loss_of(hidden_feed, labels_feed, *variables), variables)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return session.run([gradient for gradient, _ in pairs],
                               {hidden_feed: hidden, labels_feed: labels})


def step_gradients(hidden, labels, kernel, bias, open_batch: bool):
    variables = [tf.Variable(kernel), tf.Variable(bias)]
    signature = [tf.TensorSpec([None, HIDDEN], tf.float32),
                 tf.TensorSpec([None, CLASSES], tf.float32)] if open_batch else None

    @tf.function(input_signature=signature)
    def gradients(hidden_batch, labels_batch):
        with tf.GradientTape() as tape:
            loss = loss_of(hidden_batch, labels_batch, *variables)
        return tape.gradient(loss, variables)
    return [gradient.numpy() for gradient in gradients(tf.constant(hidden), tf.constant(labels))]


def test_a_step_traced_with_the_batch_open_gives_tf1s_gradients():
    inputs = data(seed=0)
    expected = tf1_gradients(*inputs)
    for got, want in zip(step_gradients(*inputs, open_batch=True), expected):
        np.testing.assert_array_equal(got, want)


def test_a_step_traced_on_known_shapes_differs_where_measured():
    """The negative control, on the CPU kinds where it was measured."""
    if machine_kind() not in KNOWN_SHAPES_DIFFER_ON:
        pytest.skip(f"measured on {sorted(KNOWN_SHAPES_DIFFER_ON)} only, this is {machine_kind()}")
    inputs = data(seed=0)
    expected = tf1_gradients(*inputs)
    got = step_gradients(*inputs, open_batch=False)
    assert any((mine != theirs).any() for mine, theirs in zip(got, expected))


@pytest.mark.parametrize("mode", ["exact", "idiomatic"])
def test_exact_mode_traces_the_step_on_the_placeholders_shapes(mode):
    from tf1kit.convert import emit
    from tests.test_convert import built, setting
    text = emit.source(built(exact=mode == "exact"), setting(mode))
    signature = ('    @tf.function(input_signature=[\n'
                 '        tf.TensorSpec([None, 3], tf.float32, name="X"),\n'
                 '    ])\n'
                 '    def train_step(X):\n')
    assert (signature in text) == (mode == "exact")
    assert ("    @tf.function\n    def train_step(X):\n" in text) == (mode == "idiomatic")
