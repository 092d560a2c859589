"""The original 2018 script, ported to tf.compat.v1 and kept in its shape.

Same names (`weights`, `biases`, `encoder`, `decoder`, `cost`, `optimizer`,
`X`, `total_batch`), same ops (`tf.add(tf.matmul(...))`, `tf.nn.sigmoid`,
`tf.reduce_mean(tf.pow(...))`, `AdamOptimizer(...).minimize`), the same
Session + feed_dict loop (in `legacy/training.py`) and the same printed
lines. This file builds the graph; `training.py` runs it. Deliberate
departures are marked `# DEPARTURE:` with the reason.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from common import variants as common_variants
from common.config import RECONSTRUCTION_EXAMPLES, Hyperparameters
from common.results import Evaluation
from common.architecture import BIAS_NAMES, WEIGHT_NAMES  # the original's dict keys, in order
from common.architecture import parameter_shapes
from common.variants import Variant
from legacy import variants


def _variable(name, initial_weights, make_initial_value):
    # DEPARTURE: optional given starting values, so that a comparison can
    # start both implementations from the same point (op seeds in graph
    # mode changed in TF 2.2: MIGRATION.md trap T10, docs/numerics.md section 4).
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


@dataclasses.dataclass(frozen=True)
class GraphParts:
    """The original script's module-level names, kept together: the graph
    they live in, the placeholders, the parameter dicts, the ops."""

    graph: tf.Graph
    X: tf.Tensor                 # the input placeholder (corrupted inputs when denoising)
    X_clean: tf.Tensor | None    # denoising only: the clean targets
    weights: dict
    biases: dict
    hidden: list                 # (weight name, activations) of the sigmoid hidden layers
    encoder_op: tf.Tensor
    decoder_op: tf.Tensor
    cost: tf.Tensor              # what the optimizer minimizes (with penalties if sparse)
    reconstruction_loss: tf.Tensor
    penalties: list              # the sparse variant's penalty terms, in order
    adam: tf.compat.v1.train.AdamOptimizer
    gradients: dict              # original name -> its gradient tensor
    optimizer: tf.Operation
    init: tf.Operation
    saver: tf.compat.v1.train.Saver


def build_graph(hyper: Hyperparameters, graph_seed=None, initial_weights=None,
                variant: Variant = Variant()) -> GraphParts:
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
        penalties = []
        if variant.sparse:
            penalties = variants.penalties(WEIGHT_NAMES, weights, hidden, variant)
            cost = variants.total(cost, penalties)
        # The original passed only the learning rate; the other values are
        # TF1's defaults, spelled out so the shared config drives both sides.
        adam = tf.compat.v1.train.AdamOptimizer(
            hyper.learning_rate, beta1=hyper.adam_beta1, beta2=hyper.adam_beta2,
            epsilon=hyper.adam_epsilon)
        # DEPARTURE: `.minimize(cost)` written out as the two calls it makes,
        # the same ops, so that a step trace (legacy/steps.py) can fetch the
        # gradients.
        grads_and_vars = adam.compute_gradients(cost)
        optimizer = adam.apply_gradients(grads_and_vars)
        names = {id(variable): name for name, variable in {**weights, **biases}.items()}
        gradients = {names[id(variable)]: gradient for gradient, variable in grads_and_vars}
        # tf.initialize_all_variables() was removed; the original's version
        # check picks global_variables_initializer on every TF >= 0.12.
        init = tf.compat.v1.global_variables_initializer()
        # Not in the original: how a TF1 user saved a trained model.
        saver = tf.compat.v1.train.Saver()
    return GraphParts(graph=graph, X=X, X_clean=X_clean, weights=weights, biases=biases,
                      hidden=hidden, encoder_op=encoder_op, decoder_op=decoder_op, cost=cost,
                      reconstruction_loss=reconstruction_loss, penalties=penalties, adam=adam,
                      gradients=gradients, optimizer=optimizer, init=init, saver=saver)


def feed(parts, batch, variant: Variant, noise_seed: int, step: int) -> dict:
    """The feed_dict of one step: clean batch, or corrupted + clean (denoising)."""
    if variant.denoising:
        corrupted = common_variants.corrupt(batch, variant.noise, variant.level, noise_seed, step)
        return {parts.X: corrupted, parts.X_clean: batch}
    return {parts.X: batch}


def evaluate(sess, parts: GraphParts, images, variant: Variant,
             noise_seed: int) -> Evaluation:
    """Test codes, test reconstruction MSE, first reconstructions, variant report."""
    clean = {parts.X: images}
    if variant.denoising:
        clean[parts.X_clean] = images
    codes, test_cost = sess.run([parts.encoder_op, parts.reconstruction_loss], feed_dict=clean)
    report = variant_report(sess, parts, images, variant, noise_seed, float(test_cost))
    reconstructions = sess.run(parts.decoder_op,
                               feed_dict={parts.X: images[:RECONSTRUCTION_EXAMPLES]})
    return Evaluation(codes=codes, cost=float(test_cost), reconstructions=reconstructions,
                      variant_report=report)


def variant_report(sess, parts: GraphParts, images, variant: Variant, noise_seed: int,
                   test_cost: float) -> dict:
    """The variant's own figures on the test set: the sparse variant's hidden
    activations; the denoising variant's MSE with clean and with corrupted
    inputs and its first corrupted examples and their reconstructions."""
    if variant.sparse:
        clean = {parts.X: images}
        return common_variants.activation_summary(sess.run(dict(parts.hidden), feed_dict=clean))
    if not variant.denoising:
        return {}
    corrupted = feed(parts, images, variant, noise_seed, common_variants.TEST_NOISE_STREAM)
    examples = corrupted[parts.X][:RECONSTRUCTION_EXAMPLES]
    return {"test_cost_clean_input": test_cost,
            "test_cost_corrupted_input": float(sess.run(parts.reconstruction_loss,
                                                        feed_dict=corrupted)),
            "corrupted_examples": examples,
            "reconstructions_of_corrupted": sess.run(parts.decoder_op,
                                                     feed_dict={parts.X: examples})}
