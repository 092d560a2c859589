"""The original autoencoder as a Keras 3 model: layers, loss, optimizer,
one training step and the evaluation.

Mirrors `legacy/autoencoder.py` name for name: `encoder`/`decoder`,
`reconstruction_loss` (the original's `cost`), `evaluate` and
`variant_report`; the training loops (`train` returning a `ModernRun` like
`LegacyRun`, and `fit`) are in `modern/training.py`, as legacy's are in
`legacy/training.py`. Places that deviate from what a Keras expert would
write, in order to stay numerically faithful, are marked `FAITHFUL
DEVIATION`; which of them are active is chosen by a `TrainingOptions`
(`modern/options.py`): all of them in the EXACT preset, none in IDIOMATIC.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from common import architecture
from common import variants as common_variants
from common.config import RECONSTRUCTION_EXAMPLES, Hyperparameters
from common.results import Evaluation
from common.variants import Variant
from modern import variants
from tf1kit.keras.layers import AddBiasDense
from tf1kit.keras.optimizers import TF1Adam
from modern.options import IDIOMATIC, TrainingOptions


def reconstruction_loss(y_true, y_pred):
    """The original's `tf.reduce_mean(tf.pow(y_true - y_pred, 2))`.

    FAITHFUL DEVIATION: `keras.losses.MeanSquaredError` averages each row,
    then the batch: the same value mathematically, not bit for bit.
    """
    return tf.reduce_mean(tf.pow(y_true - y_pred, 2))


def loss_function(options: TrainingOptions):
    """The loss `options` asks for: the original's expression, or Keras's MSE
    (MIGRATION TRAP T6: rounds the printed loss differently)."""
    if options.loss == "keras_mse":
        return keras.losses.MeanSquaredError()
    return reconstruction_loss


def layer_seeds(seed: int, count: int) -> list:
    """`count` independent int seeds derived from one, for the initializers."""
    state = np.random.SeedSequence(seed).generate_state(count)
    return [int(value % (2**31 - 1)) for value in state]


@keras.saving.register_keras_serializable(package="modern")
class Autoencoder(keras.Model):
    """784-128-64-10-2 encoder (sigmoid, sigmoid, sigmoid, linear code) and
    the mirrored 2-10-64-128-784 sigmoid decoder.

    `exact=True` builds the layers with `AddBiasDense` (the original's
    `tf.add` bias); `exact=False` with stock `keras.layers.Dense`.
    """

    def __init__(self, layer_sizes=(784, 128, 64, 10, 2), init_stddev=1.0, seed=0,
                 exact=False, sparsity_target=None, sparsity_weight=0.0, weight_decay=0.0,
                 **kwargs):
        super().__init__(**kwargs)
        self.layer_sizes, self.init_stddev = tuple(layer_sizes), init_stddev
        self.seed, self.exact = seed, exact
        self.sparsity_target, self.sparsity_weight = sparsity_target, sparsity_weight
        self.weight_decay = weight_decay
        dense = AddBiasDense if exact else keras.layers.Dense
        seeds = iter(layer_seeds(seed, 2 * len(architecture.LAYER_NAMES)))
        # Sparse variant: lambda/2 * sum W^2 on every kernel (Keras's L2(l) is
        # l * sum W^2), and a KL penalty after every sigmoid hidden layer.
        decay = keras.regularizers.L2(weight_decay / 2) if weight_decay else None

        def hidden(layer):
            if sparsity_target is None:
                return [layer]
            return [layer, variants.SparsityPenalty(sparsity_target, sparsity_weight,
                                                    name=f"{layer.name}_sparsity")]

        def make(units, activation, name):
            # MIGRATION TRAP: Keras's defaults are glorot_uniform kernels and
            # zero biases (and TruncatedNormal/RandomNormal default to stddev
            # 0.05); the original used TF1's tf.truncated_normal and
            # tf.random_normal, whose default stddev is 1.0. Spelled out here.
            return dense(units, activation=activation, name=name, kernel_regularizer=decay,
                         kernel_initializer=keras.initializers.TruncatedNormal(
                             stddev=init_stddev, seed=next(seeds)),
                         bias_initializer=keras.initializers.RandomNormal(
                             stddev=init_stddev, seed=next(seeds)))

        # common/architecture.py: the layers' names, sizes and activations
        # (the code layer has none, to make its output easy to use).
        shapes = architecture.layer_shapes(self)
        encoder_layers = [make(shapes[name][1], architecture.activation(name), name)
                          for name in architecture.ENCODER_LAYERS]
        decoder_layers = [make(shapes[name][1], architecture.activation(name), name)
                          for name in architecture.DECODER_LAYERS]
        self.encoder = keras.Sequential(
            [keras.Input((layer_sizes[0],))]
            + [x for layer in encoder_layers[:-1] for x in hidden(layer)] + encoder_layers[-1:],
            name="encoder")
        self.decoder = keras.Sequential(
            [keras.Input((layer_sizes[-1],))]
            + [x for layer in decoder_layers[:-1] for x in hidden(layer)] + decoder_layers[-1:],
            name="decoder")
        # Both halves are built by their Input; build the whole so that
        # count_params, weight loading and .keras restore work before a call.
        self.build((None, layer_sizes[0]))

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def encode(self, inputs):
        """The 2-D codes of `inputs`."""
        return self.encoder(inputs)

    def get_config(self):
        return {**super().get_config(), "layer_sizes": list(self.layer_sizes),
                "init_stddev": self.init_stddev, "seed": self.seed, "exact": self.exact,
                "sparsity_target": self.sparsity_target,
                "sparsity_weight": self.sparsity_weight, "weight_decay": self.weight_decay}

    def train_step(self, data):
        """One step for `model.fit`: the original loss, the compiled optimizer.

        Returns the batch's own loss under the original's name, "cost", so
        fit's epoch logs show the last batch's cost like the original. (Under
        the key "loss", Keras would report its built-in loss tracker instead,
        a running mean that this step never feeds.)

        Under a tf.distribute strategy each replica holds a slice of the
        global batch and the optimizer sums the replicas' gradients, so the
        gradient is taken of the slice's loss / replicas (Keras's own
        `compute_loss` scales so, `scale_loss_for_distribution`); the
        reported cost stays the slice's own, which fit averages over the
        replicas. Without a strategy nothing is scaled.
        """
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        strategy = tf.distribute.get_strategy()
        cost = optimizer_step(self, self.optimizer, x, x if y is None else y,
                              gradient_scale=1.0 / strategy.num_replicas_in_sync)
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3.15.1 averages the workers' logs with reduce(MEAN,
            # axis=0), which fails on a scalar: give it a vector of one.
            cost = tf.reshape(cost, [1])
        return {"cost": cost}


def loss_terms(model, targets, outputs, loss_fn=reconstruction_loss):
    """(total, reconstruction, penalties): the reconstruction loss plus the
    model's penalty terms, if any, added in legacy's order (see
    variants.penalty_losses)."""
    loss = loss_fn(targets, outputs)
    penalties = variants.penalty_losses(model)
    # FAITHFUL DEVIATION: the sum of one stacked vector, as legacy, not
    # `loss + sum(model.losses)`: Grappler reorders Add/AddN chains by node
    # name, which would change the printed loss by 1 ulp on some steps.
    total = tf.reduce_sum(tf.stack([loss] + penalties)) if penalties else loss
    return total, loss, penalties


def total_loss(model, targets, outputs, loss_fn=reconstruction_loss):
    """The loss the optimizer minimizes (see loss_terms)."""
    return loss_terms(model, targets, outputs, loss_fn)[0]


def build_model(hyper: Hyperparameters, seed: int, options: TrainingOptions = IDIOMATIC,
                variant: Variant = Variant()) -> Autoencoder:
    """The model for `hyper` and `variant`, initialised from `seed`, its
    layers adding biases as `options.bias_layer` says."""
    sparse = dict(sparsity_target=variant.sparsity_target,
                  sparsity_weight=variant.sparsity_weight,
                  weight_decay=variant.weight_decay) if variant.sparse else {}
    return Autoencoder(layer_sizes=hyper.layer_sizes, init_stddev=hyper.init_stddev,
                       seed=seed, exact=options.add_bias_with_tf_add, **sparse)


def make_optimizer(hyper: Hyperparameters,
                   options: TrainingOptions = IDIOMATIC) -> keras.optimizers.Optimizer:
    """TF1Adam (options.optimizer "tf1_adam") or stock Adam with TF1's epsilon."""
    if options.optimizer == "tf1_adam":
        return TF1Adam(hyper.learning_rate, beta_1=hyper.adam_beta1,
                       beta_2=hyper.adam_beta2, epsilon=hyper.adam_epsilon)
    # MIGRATION TRAP: Keras's Adam epsilon defaults to 1e-7, TF1's to 1e-8;
    # on this model the default changes the loss visibly. Pass it.
    return keras.optimizers.Adam(hyper.learning_rate, beta_1=hyper.adam_beta1,
                                 beta_2=hyper.adam_beta2, epsilon=hyper.adam_epsilon)


def optimizer_step(model, optimizer, inputs, targets, loss_fn=reconstruction_loss,
                   gradient_scale=1.0):
    """One step: loss, gradients by tape, one optimizer update; returns the loss.

    `gradient_scale` (Python float) multiplies the loss the gradients are
    taken of, not the returned loss: 1 / replicas under a strategy. At 1.0
    no op is added."""
    with tf.GradientTape() as tape:
        loss = total_loss(model, targets, model(inputs, training=True), loss_fn)
        scaled = loss if gradient_scale == 1.0 else loss * gradient_scale
    gradients = tape.gradient(scaled, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


def evaluate(model, test_images, variant: Variant = Variant(),
             noise_seed: int = 0) -> Evaluation:
    """Test codes, test reconstruction MSE, the first reconstructions and the
    variant's report, computed in graphs like legacy's sess.run (eager and
    in-graph matmuls can differ by 1 ulp with oneDNN)."""
    images = tf.constant(test_images)

    @tf.function
    def codes_and_cost():
        codes = model.encode(images)
        return codes, reconstruction_loss(images, model.decoder(codes))

    codes, cost = codes_and_cost()
    report = variant_report(model, test_images, variant, noise_seed, float(cost))
    reconstructions = tf.function(model)(images[:RECONSTRUCTION_EXAMPLES])
    return Evaluation(codes=codes.numpy(), cost=float(cost),
                      reconstructions=reconstructions.numpy(), variant_report=report)


def variant_report(model, images, variant: Variant, noise_seed: int, test_cost: float) -> dict:
    """The variant's own figures on the test set: the sparse variant's hidden
    activations; the denoising variant's MSE with clean and with corrupted
    inputs and its first corrupted examples and their reconstructions."""
    if variant.sparse:
        return common_variants.activation_summary(variants.hidden_activations(model, images))
    if not variant.denoising:
        return {}
    corrupted = common_variants.corrupt(images, variant.noise, variant.level, noise_seed,
                                        common_variants.TEST_NOISE_STREAM)

    @tf.function
    def cost_of(inputs, targets):
        return reconstruction_loss(targets, model(inputs))

    examples = corrupted[:RECONSTRUCTION_EXAMPLES]
    return {"test_cost_clean_input": test_cost,
            "test_cost_corrupted_input": float(cost_of(corrupted, images)),
            "corrupted_examples": examples,
            "reconstructions_of_corrupted": tf.function(model)(tf.constant(examples)).numpy()}
