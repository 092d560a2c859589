"""The post's sparse and denoising autoencoders, the Keras 3 way.

Sparse: a `SparsityPenalty` layer after each sigmoid hidden layer calls
`add_loss(beta * sum_j KL(rho || rho_hat_j))`, and weight decay is a stock
`keras.regularizers.L2(lambda / 2)` on the kernels.

MIGRATION TRAP: Keras's `activity_regularizer=` argument looks like the place
for this, but Keras 3 divides every activity-regularization loss by the batch
size; the KL penalty is already a batch statistic, so it would be 256 times
too weak. Hence the explicit `add_loss` layer.

Denoising: the model is unchanged; the tf.data pipeline yields (corrupted,
clean) pairs, corrupted by `common.variants.corrupt` keyed by (seed, step),
the same definition legacy/ uses in its feed loop.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from common import variants as common_variants
from common.variants import RHO_HAT_EPSILON


def kl_divergence(rho, rho_hat):
    """KL(rho || rho_hat) of Bernoulli distributions, elementwise."""
    return rho * tf.math.log(rho / rho_hat) + (1 - rho) * tf.math.log((1 - rho) / (1 - rho_hat))


@keras.saving.register_keras_serializable(package="modern")
class SparsityPenalty(keras.layers.Layer):
    """Identity layer that adds `weight * sum_j KL(target || mean activation_j)`.

    FAITHFUL DEVIATION: written with tf ops in the original's order rather
    than keras.ops, so that the exact configuration matches legacy/ bit for bit.
    """

    def __init__(self, target, weight, **kwargs):
        super().__init__(**kwargs)
        self.target, self.weight = float(target), float(weight)

    def call(self, inputs):
        rho_hat = tf.clip_by_value(tf.reduce_mean(inputs, 0), RHO_HAT_EPSILON,
                                   1 - RHO_HAT_EPSILON)
        self.add_loss(self.weight * tf.reduce_sum(kl_divergence(self.target, rho_hat)))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "target": self.target, "weight": self.weight}


def penalty_losses(model) -> list:
    """The model's penalty terms layer by layer in network order (a layer's
    weight decay, then its KL term), the order legacy/ adds them in."""
    return [loss for part in (model.encoder, model.decoder)
            for layer in part.layers for loss in layer.losses]


def corrupting_map(variant, seed):
    """A tf.data map (step, clean batch) -> (corrupted, clean) for denoising."""
    def corrupt(batch, step):
        return common_variants.corrupt(batch, variant.noise, variant.level, seed, int(step))

    def apply(step, clean):
        corrupted = tf.numpy_function(corrupt, [clean, step], tf.float32, stateful=False)
        corrupted.set_shape(clean.shape)
        return corrupted, clean

    return apply


def hidden_activations(model, images) -> dict:
    """{original weight name: activations} of the sigmoid hidden layers."""
    @tf.function
    def run(x):
        outputs = {}
        for prefix, part in (("encoder", model.encoder), ("decoder", model.decoder)):
            dense = [layer for layer in part.layers if isinstance(layer, keras.layers.Dense)]
            for layer in part.layers:
                x = layer(x)
                if isinstance(layer, keras.layers.Dense) and layer is not dense[-1]:
                    outputs[f"{prefix}_h{dense.index(layer) + 1}"] = x
        return outputs
    return {name: value.numpy() for name, value in run(tf.constant(images)).items()}
