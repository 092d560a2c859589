"""The post's sparse and denoising autoencoders, in the original's TF1 style.

Sparse: the deep network's cost plus `beta * sum_j KL(rho || rho_hat_j)` for
every sigmoid hidden layer (not the linear code, not the output), `rho_hat`
the batch mean of each unit's activation, and optional weight decay
`lambda / 2 * sum W^2`. Denoising: the input placeholder is fed corrupted
batches (common.variants.corrupt) and a second placeholder the clean ones,
which the cost compares the reconstruction with.
"""

from __future__ import annotations

import tensorflow as tf

from common.variants import RHO_HAT_EPSILON


def kl_divergence(rho, rho_hat):
    """KL(rho || rho_hat) of Bernoulli distributions, elementwise."""
    return rho * tf.math.log(rho / rho_hat) + (1 - rho) * tf.math.log((1 - rho) / (1 - rho_hat))


def sparsity_penalty(layer, rho, beta):
    """beta * sum_j KL(rho || rho_hat_j) of one hidden layer's activations."""
    rho_hat = tf.clip_by_value(tf.reduce_mean(layer, 0), RHO_HAT_EPSILON, 1 - RHO_HAT_EPSILON)
    return beta * tf.reduce_sum(kl_divergence(rho, rho_hat))


def weight_decay_penalty(weight, decay):
    """lambda / 2 * sum W^2 of one weight matrix."""
    return (decay / 2) * tf.reduce_sum(tf.square(weight))


def penalties(weight_names, weights, hidden, variant):
    """The sparse variant's penalty terms, layer by layer in network order:
    each weight's decay (if any), then its layer's KL term (sigmoid hidden
    layers only). modern/ collects its Keras losses in the same order, which
    bit-identical losses need (float addition is not associative)."""
    terms = []
    hidden_by_layer = dict(hidden)
    for name in weight_names:
        if variant.weight_decay:
            terms.append(weight_decay_penalty(weights[name], variant.weight_decay))
        if name in hidden_by_layer:
            terms.append(sparsity_penalty(hidden_by_layer[name], variant.sparsity_target,
                                          variant.sparsity_weight))
    return terms


def total(cost, terms):
    """cost + the penalty terms, as the sum of one stacked vector.

    DEPARTURE: not `cost + tf.add_n(terms)`. Grappler's arithmetic optimizer
    rewrites chains of Add/AddN into sums whose input order depends on node
    names, which differ between this graph and modern/'s, so the printed cost
    would differ by 1 ulp on some steps. A stacked vector's order is fixed.
    """
    return tf.reduce_sum(tf.stack([cost] + terms))
