"""The original 2018 script, ported to tf.compat.v1 and kept in its shape.

Same names (`weights`, `biases`, `encoder`, `decoder`, `cost`, `optimizer`,
`X`, `total_batch`), same ops (`tf.add(tf.matmul(...))`, `tf.nn.sigmoid`,
`tf.reduce_mean(tf.pow(...))`, `AdamOptimizer(...).minimize`), the same
Session + feed_dict loop and the same printed lines. Deliberate departures
are marked `# DEPARTURE:` with the reason.
"""

from __future__ import annotations

import dataclasses
import time
import types

import numpy as np
import tensorflow as tf

from common.config import RECONSTRUCTION_EXAMPLES, Hyperparameters
from common.errors import NonFiniteLoss

# Parameter names of the original, in the order of its two dicts.
WEIGHT_NAMES = ("encoder_h1", "encoder_h2", "encoder_h3", "encoder_h4",
                "decoder_h1", "decoder_h2", "decoder_h3", "decoder_h4")
BIAS_NAMES = ("encoder_b1", "encoder_b2", "encoder_b3", "encoder_b4",
              "decoder_b1", "decoder_b2", "decoder_b3", "decoder_b4")


@dataclasses.dataclass
class LegacyRun:
    """What one training run returns to its caller (and to compare.py)."""

    step_losses: np.ndarray          # float32 [steps], `c` of every sess.run
    epoch_costs: list                # the printed `cost=` values (last batch)
    initial_weights: dict            # name -> float32 array, before step 1
    final_weights: dict              # name -> float32 array, after training
    test_codes: np.ndarray           # float32 [n_test, latent_dim]
    test_cost: float                 # `cost` on the whole test set
    test_reconstructions: np.ndarray # decoder output, first test images
    test_labels: np.ndarray          # labels of mnist.test, for the plot
    steps_per_epoch: int
    seconds: float


def parameter_shapes(hyper: Hyperparameters) -> dict:
    """Shape of every original parameter, keyed by its original name."""
    n = hyper.layer_sizes  # n_input, n_hidden_1, ..., n_hidden_4
    shapes = {}
    for i in range(4):
        shapes[WEIGHT_NAMES[i]] = (n[i], n[i + 1])
        shapes[WEIGHT_NAMES[4 + i]] = (n[4 - i], n[3 - i])
        shapes[BIAS_NAMES[i]] = (n[i + 1],)
        shapes[BIAS_NAMES[4 + i]] = (n[3 - i],)
    return shapes


def _variable(name, initial_weights, make_initial_value):
    # DEPARTURE: optional given starting values, so that a comparison can
    # start both implementations from the same point (op seeds in graph
    # mode changed in TF 2.2; see FIELD_NOTES section 4).
    # Unnamed, as in the original, so a Saver stores them under the same
    # names ("Variable", "Variable_1", ...) as the 2018 script did.
    if initial_weights is not None:
        return tf.Variable(np.asarray(initial_weights[name], dtype=np.float32))
    return tf.Variable(make_initial_value())


def make_parameters(hyper: Hyperparameters, initial_weights=None):
    """The original's `weights` and `biases` dicts of tf.Variables."""
    shapes = parameter_shapes(hyper)
    stddev = hyper.init_stddev  # 1.0, the TF1 default the original relied on
    weights = {name: _variable(name, initial_weights,
                               lambda s=shapes[name]: tf.random.truncated_normal(s, stddev=stddev))
               for name in WEIGHT_NAMES}
    biases = {name: _variable(name, initial_weights,
                              lambda s=shapes[name]: tf.random.normal(s, stddev=stddev))
              for name in BIAS_NAMES}
    return weights, biases


# DEPARTURE: encoder/decoder take the dicts as arguments instead of reading
# module globals, so the graph can be built inside a function, in its own
# tf.Graph, next to eager TF2 code in the same process.
def encoder(x, weights, biases):
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights['encoder_h1']),
                                   biases['encoder_b1']))
    layer_2 = tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights['encoder_h2']),
                                   biases['encoder_b2']))
    layer_3 = tf.nn.sigmoid(tf.add(tf.matmul(layer_2, weights['encoder_h3']),
                                   biases['encoder_b3']))
    # The code layer has no activation, to make its output easy to use.
    layer_4 = tf.add(tf.matmul(layer_3, weights['encoder_h4']),
                     biases['encoder_b4'])
    return layer_4


def decoder(x, weights, biases):
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights['decoder_h1']),
                                   biases['decoder_b1']))
    layer_2 = tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights['decoder_h2']),
                                   biases['decoder_b2']))
    layer_3 = tf.nn.sigmoid(tf.add(tf.matmul(layer_2, weights['decoder_h3']),
                                   biases['decoder_b3']))
    layer_4 = tf.nn.sigmoid(tf.add(tf.matmul(layer_3, weights['decoder_h4']),
                                   biases['decoder_b4']))
    return layer_4


def build_graph(hyper: Hyperparameters, graph_seed=None, initial_weights=None):
    """Build the original graph in a new tf.Graph; returns its named parts."""
    graph = tf.Graph()
    with graph.as_default():
        if graph_seed is not None:
            tf.compat.v1.set_random_seed(graph_seed)
        X = tf.compat.v1.placeholder("float", [None, hyper.input_dim])
        weights, biases = make_parameters(hyper, initial_weights)
        encoder_op = encoder(X, weights, biases)
        decoder_op = decoder(encoder_op, weights, biases)
        y_pred = decoder_op
        y_true = X
        cost = tf.reduce_mean(tf.pow(y_true - y_pred, 2))
        # The original passed only the learning rate; the other values are
        # TF1's defaults, spelled out so the shared config drives both sides.
        optimizer = tf.compat.v1.train.AdamOptimizer(
            hyper.learning_rate, beta1=hyper.adam_beta1, beta2=hyper.adam_beta2,
            epsilon=hyper.adam_epsilon).minimize(cost)
        # tf.initialize_all_variables() was removed; the original's version
        # check picks global_variables_initializer on every TF >= 0.12.
        init = tf.compat.v1.global_variables_initializer()
        # Not in the original: how a TF1 user saved a trained model.
        saver = tf.compat.v1.train.Saver()
    return types.SimpleNamespace(graph=graph, X=X, weights=weights, biases=biases,
                                 encoder_op=encoder_op, decoder_op=decoder_op,
                                 cost=cost, optimizer=optimizer, init=init, saver=saver)


def train(mnist, hyper: Hyperparameters = Hyperparameters(), *, graph_seed=None,
          data_seed=None, initial_weights=None, steps_per_epoch=None,
          checkpoint_path=None, log=print) -> LegacyRun:
    """Run the original training loop and return what a comparison needs.

    `mnist` is `read_data_sets(...)`'s result with an unused `train` set.
    `data_seed`, if given, seeds numpy's global RNG just before the first
    `next_batch` (what `read_data_sets(seed=data_seed)` did at load time),
    so the batch order no longer depends on anything else that touched
    numpy's RNG in between. `steps_per_epoch` defaults to the original's
    `int(num_examples / batch_size)`. `checkpoint_path`, if given, is where
    a `tf.compat.v1.train.Saver` saves the trained graph (as a TF1 user
    would have). `log` receives the printed lines.
    """
    parts = build_graph(hyper, graph_seed, initial_weights)
    X, cost, optimizer = parts.X, parts.cost, parts.optimizer
    if data_seed is not None:
        if mnist.train.epochs_completed or mnist.train._index_in_epoch:
            raise ValueError("data_seed needs a fresh data set: next_batch was already called")
        np.random.seed(data_seed)
    batch_size = hyper.batch_size
    total_batch = int(mnist.train.num_examples / batch_size)
    if steps_per_epoch is not None:
        total_batch = steps_per_epoch  # DEPARTURE: step budget on small data
    if total_batch < 1:
        raise ValueError(f"{mnist.train.num_examples} training images make no batch of {batch_size}")
    step_losses, epoch_costs = [], []
    started = time.perf_counter()
    with tf.compat.v1.Session(graph=parts.graph) as sess:
        sess.run(parts.init)
        initial = sess.run({**parts.weights, **parts.biases})
        for epoch in range(hyper.training_epochs):
            for i in range(total_batch):
                batch_xs, batch_ys = mnist.train.next_batch(batch_size)  # max(x) = 1, min(x) = 0
                _, c = sess.run([optimizer, cost], feed_dict={X: batch_xs})
                step_losses.append(c)
                # DEPARTURE: stop at a NaN/Inf loss instead of training on garbage.
                if not np.isfinite(c):
                    raise NonFiniteLoss(len(step_losses), float(c))
            epoch_costs.append(float(c))
            if epoch % hyper.display_step == 0:
                log(" ".join(["Epoch:", '%04d' % (epoch + 1), "cost=", "{:.9f}".format(c)]))
        log("Optimization Finished!")
        encoder_result = sess.run(parts.encoder_op, feed_dict={X: mnist.test.images})
        test_cost = sess.run(cost, feed_dict={X: mnist.test.images})
        reconstructions = sess.run(parts.decoder_op, feed_dict={
            X: mnist.test.images[:RECONSTRUCTION_EXAMPLES]})
        final = sess.run({**parts.weights, **parts.biases})
        if checkpoint_path is not None:
            parts.saver.save(sess, checkpoint_path)
    return LegacyRun(step_losses=np.asarray(step_losses, dtype=np.float32),
                     epoch_costs=epoch_costs, initial_weights=initial,
                     final_weights=final, test_codes=encoder_result,
                     test_cost=float(test_cost), test_reconstructions=reconstructions,
                     test_labels=np.asarray(mnist.test.labels),
                     steps_per_epoch=total_batch,
                     seconds=time.perf_counter() - started)
