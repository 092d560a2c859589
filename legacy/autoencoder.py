"""The original 2018 script, ported to tf.compat.v1 and kept in its shape.

Same names (`weights`, `biases`, `encoder`, `decoder`, `cost`, `optimizer`,
`X`, `total_batch`), same ops (`tf.add(tf.matmul(...))`, `tf.nn.sigmoid`,
`tf.reduce_mean(tf.pow(...))`, `AdamOptimizer(...).minimize`), the same
Session + feed_dict loop and the same printed lines. Deliberate departures
are marked `# DEPARTURE:` with the reason.
"""

from __future__ import annotations

import dataclasses
import os
import time
import types

import numpy as np
import tensorflow as tf

from common import files
from common import variants as common_variants
from common.config import RECONSTRUCTION_EXAMPLES, Hyperparameters
from common.errors import NonFiniteLoss
from common.variants import Variant
from legacy import variants

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
    variant_report: dict             # sparse: activations; denoising: corrupted-input MSE
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
# tf.Graph, next to eager TF2 code in the same process; and they record
# their sigmoid hidden layers in `hidden` for the sparse variant.
def encoder(x, weights, biases, hidden=None):
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights['encoder_h1']),
                                   biases['encoder_b1']))
    layer_2 = tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights['encoder_h2']),
                                   biases['encoder_b2']))
    layer_3 = tf.nn.sigmoid(tf.add(tf.matmul(layer_2, weights['encoder_h3']),
                                   biases['encoder_b3']))
    if hidden is not None:
        hidden += [('encoder_h1', layer_1), ('encoder_h2', layer_2), ('encoder_h3', layer_3)]
    # The code layer has no activation, to make its output easy to use.
    layer_4 = tf.add(tf.matmul(layer_3, weights['encoder_h4']),
                     biases['encoder_b4'])
    return layer_4


def decoder(x, weights, biases, hidden=None):
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights['decoder_h1']),
                                   biases['decoder_b1']))
    layer_2 = tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights['decoder_h2']),
                                   biases['decoder_b2']))
    layer_3 = tf.nn.sigmoid(tf.add(tf.matmul(layer_2, weights['decoder_h3']),
                                   biases['decoder_b3']))
    if hidden is not None:
        hidden += [('decoder_h1', layer_1), ('decoder_h2', layer_2), ('decoder_h3', layer_3)]
    layer_4 = tf.nn.sigmoid(tf.add(tf.matmul(layer_3, weights['decoder_h4']),
                                   biases['decoder_b4']))
    return layer_4


def build_graph(hyper: Hyperparameters, graph_seed=None, initial_weights=None,
                variant: Variant = Variant()):
    """Build the original graph in a new tf.Graph; returns its named parts."""
    graph = tf.Graph()
    with graph.as_default():
        if graph_seed is not None:
            tf.compat.v1.set_random_seed(graph_seed)
        X = tf.compat.v1.placeholder("float", [None, hyper.input_dim])
        # Denoising: X is fed corrupted batches, X_clean the clean ones.
        X_clean = tf.compat.v1.placeholder("float", [None, hyper.input_dim]) \
            if variant.denoising else None
        weights, biases = make_parameters(hyper, initial_weights)
        hidden = []
        encoder_op = encoder(X, weights, biases, hidden)
        decoder_op = decoder(encoder_op, weights, biases, hidden)
        y_pred = decoder_op
        y_true = X_clean if variant.denoising else X
        cost = tf.reduce_mean(tf.pow(y_true - y_pred, 2))
        reconstruction_loss = cost
        if variant.sparse:
            cost = variants.total(cost, variants.penalties(WEIGHT_NAMES, weights, hidden, variant))
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
    return types.SimpleNamespace(graph=graph, X=X, X_clean=X_clean, weights=weights,
                                 biases=biases, hidden=hidden, encoder_op=encoder_op,
                                 decoder_op=decoder_op, cost=cost,
                                 reconstruction_loss=reconstruction_loss, optimizer=optimizer,
                                 init=init, saver=saver)


def feed(parts, batch, variant: Variant, noise_seed: int, step: int) -> dict:
    """The feed_dict of one step: clean batch, or corrupted + clean (denoising)."""
    if variant.denoising:
        corrupted = common_variants.corrupt(batch, variant.noise, variant.level, noise_seed, step)
        return {parts.X: corrupted, parts.X_clean: batch}
    return {parts.X: batch}


def evaluate(sess, parts, images, variant: Variant, noise_seed: int):
    """Test codes, test reconstruction MSE, first reconstructions, variant report."""
    clean = {parts.X: images}
    if variant.denoising:
        clean[parts.X_clean] = images
    codes, test_cost = sess.run([parts.encoder_op, parts.reconstruction_loss], feed_dict=clean)
    examples = images[:RECONSTRUCTION_EXAMPLES]
    report = {}
    if variant.sparse:
        report = common_variants.activation_summary(sess.run(dict(parts.hidden), feed_dict=clean))
    if variant.denoising:
        corrupted = feed(parts, images, variant, noise_seed, common_variants.TEST_NOISE_STREAM)
        report = {"test_cost_clean_input": float(test_cost),
                  "test_cost_corrupted_input": float(sess.run(parts.reconstruction_loss,
                                                              feed_dict=corrupted)),
                  "corrupted_examples": corrupted[parts.X][:RECONSTRUCTION_EXAMPLES],
                  "reconstructions_of_corrupted": sess.run(parts.decoder_op, feed_dict={
                      parts.X: corrupted[parts.X][:RECONSTRUCTION_EXAMPLES]})}
    reconstructions = sess.run(parts.decoder_op, feed_dict={parts.X: examples})
    return codes, float(test_cost), reconstructions, report


def save_checkpoint(saver, sess, checkpoint_path: str) -> None:
    """`saver.save(sess, checkpoint_path)`, made atomic.

    DEPARTURE: TF1's Saver writes its .index, .data and .meta files straight
    to their final names, so Ctrl-C mid-save left a half checkpoint. Here
    they are written in a staging folder beside them and renamed into place,
    .index last (a reader opens it first), with signals deferred; the
    `checkpoint` state file is then written the way Saver writes it.
    """
    folder = os.path.dirname(os.path.abspath(checkpoint_path))
    name = os.path.basename(checkpoint_path)
    with files.staged_folder(folder) as staging:
        saver.save(sess, os.path.join(staging, name), write_state=False)
        written = sorted(os.listdir(staging), key=lambda entry: entry.endswith(".index"))
        with files.signals_deferred():
            for entry in written:
                os.replace(os.path.join(staging, entry), os.path.join(folder, entry))
            tf.compat.v1.train.update_checkpoint_state(folder, checkpoint_path)


def train(mnist, hyper: Hyperparameters = Hyperparameters(), *, graph_seed=None,
          data_seed=None, initial_weights=None, steps_per_epoch=None,
          checkpoint_path=None, variant: Variant = Variant(), noise_seed=None,
          log=print) -> LegacyRun:
    """Run the original training loop and return what a comparison needs.

    `mnist` is `read_data_sets(...)`'s result with an unused `train` set.
    `data_seed`, if given, seeds numpy's global RNG just before the first
    `next_batch` (what `read_data_sets(seed=data_seed)` did at load time),
    so the batch order no longer depends on anything else that touched
    numpy's RNG in between. `steps_per_epoch` defaults to the original's
    `int(num_examples / batch_size)`. `checkpoint_path`, if given, is where
    a `tf.compat.v1.train.Saver` saves the trained graph (as a TF1 user
    would have). `variant` picks deep (the original), sparse or denoising;
    `noise_seed` keys the denoising corruption (default: data_seed, else 0).
    `log` receives the printed lines.
    """
    parts = build_graph(hyper, graph_seed, initial_weights, variant)
    cost, optimizer = parts.cost, parts.optimizer
    if noise_seed is None:
        noise_seed = data_seed or 0
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
                _, c = sess.run([optimizer, cost], feed_dict=feed(
                    parts, batch_xs, variant, noise_seed, len(step_losses)))
                step_losses.append(c)
                # DEPARTURE: stop at a NaN/Inf loss instead of training on garbage.
                if not np.isfinite(c):
                    raise NonFiniteLoss(len(step_losses), float(c))
                # DEPARTURE: a Ctrl-C/SIGTERM stops here, between steps.
                files.raise_if_interrupted()
            epoch_costs.append(float(c))
            if epoch % hyper.display_step == 0:
                log(" ".join(["Epoch:", '%04d' % (epoch + 1), "cost=", "{:.9f}".format(c)]))
        log("Optimization Finished!")
        seconds = time.perf_counter() - started
        encoder_result, test_cost, reconstructions, report = evaluate(
            sess, parts, mnist.test.images, variant, noise_seed)
        final = sess.run({**parts.weights, **parts.biases})
        if checkpoint_path is not None:
            save_checkpoint(parts.saver, sess, checkpoint_path)
    return LegacyRun(step_losses=np.asarray(step_losses, dtype=np.float32),
                     epoch_costs=epoch_costs, initial_weights=initial,
                     final_weights=final, test_codes=encoder_result,
                     test_cost=test_cost, test_reconstructions=reconstructions,
                     variant_report=report, test_labels=np.asarray(mnist.test.labels),
                     steps_per_epoch=total_batch, seconds=seconds)
