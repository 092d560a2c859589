"""The TF1 tutorial's model module, `tensorflow.examples.tutorials.mnist.mnist`,
removed with the tutorials from TensorFlow 2: the two-hidden-layer ReLU
classifier of the "TensorFlow Mechanics 101" tutorial, which
`fully_connected_feed.py` builds with `mnist.inference`, `mnist.loss`,
`mnist.training` and `mnist.evaluation`.

Written for this project from the tutorial's documented behaviour (the
r1.x guide "TensorFlow Mechanics 101" and the module's docstrings): the
same name scopes (`hidden1`, `hidden2`, `softmax_linear`) and variable
names (`weights`, `biases`), so a checkpoint carries TF1's names
(`hidden1/weights`, ...); weights drawn from a truncated normal with
stddev 1/sqrt(fan in), biases zero; the mean sparse softmax cross entropy
as the loss; plain gradient descent with a `global_step` counter and a
`loss` scalar summary; `evaluation` counts the examples whose label is the
top logit. `run_tf1` installs it; the script sees `tf.compat.v1`.
"""

from __future__ import annotations

import math

import tensorflow as tf

v1 = tf.compat.v1

NUM_CLASSES = 10                     # the digits 0-9
IMAGE_SIZE = 28                      # MNIST images are 28x28 pixels
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE


def _layer(inputs, fan_in: int, units: int):
    """weights [fan_in, units] ~ truncated normal, stddev 1/sqrt(fan_in); biases 0."""
    weights = v1.Variable(v1.truncated_normal([fan_in, units],
                                              stddev=1.0 / math.sqrt(float(fan_in))),
                          name="weights")
    biases = v1.Variable(v1.zeros([units]), name="biases")
    return v1.matmul(inputs, weights) + biases


def inference(images, hidden1_units, hidden2_units):
    """The model up to its logits: images [batch, IMAGE_PIXELS] -> two ReLU
    layers of `hidden1_units` and `hidden2_units` -> logits [batch, NUM_CLASSES]."""
    with v1.name_scope("hidden1"):
        hidden1 = v1.nn.relu(_layer(images, IMAGE_PIXELS, hidden1_units))
    with v1.name_scope("hidden2"):
        hidden2 = v1.nn.relu(_layer(hidden1, hidden1_units, hidden2_units))
    with v1.name_scope("softmax_linear"):
        logits = _layer(hidden2, hidden2_units, NUM_CLASSES)
    return logits


def loss(logits, labels):
    """The mean cross entropy of `logits` against integer `labels` [batch]."""
    labels = v1.cast(labels, tf.int64)
    return v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)


def training(loss, learning_rate):
    """The op that takes one gradient-descent step on `loss` and counts it
    in the `global_step` variable; `loss` is also a scalar summary."""
    v1.summary.scalar("loss", loss)
    optimizer = v1.train.GradientDescentOptimizer(learning_rate)
    global_step = v1.Variable(0, name="global_step", trainable=False)
    return optimizer.minimize(loss, global_step=global_step)


def evaluation(logits, labels):
    """How many of the batch's examples have their label as the top logit
    (an int32 scalar)."""
    correct = v1.nn.in_top_k(predictions=logits, targets=labels, k=1)
    return v1.reduce_sum(v1.cast(correct, tf.int32))
