"""The original autoencoder as a Keras 3 model, trained by a tf.function step.

Mirrors `legacy/autoencoder.py` name for name: `encoder`/`decoder`,
`reconstruction_loss` (the original's `cost`), `train` returning a
`ModernRun` like `LegacyRun`. Places that deviate from what a Keras expert
would write, in order to stay numerically faithful, are marked
`FAITHFUL DEVIATION`; with `exact=False` none of them is active.
"""

from __future__ import annotations

import dataclasses
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from common import files
from common.config import RECONSTRUCTION_EXAMPLES, Hyperparameters
from common.errors import NonFiniteLoss
from common.variants import Variant
from modern import checkpoints, input_data, variants
from modern.layers import AddBiasDense
from modern.optimizers import TF1Adam


def reconstruction_loss(y_true, y_pred):
    """The original's `tf.reduce_mean(tf.pow(y_true - y_pred, 2))`.

    FAITHFUL DEVIATION: `keras.losses.MeanSquaredError` averages each row,
    then the batch: the same value mathematically, not bit for bit.
    """
    return tf.reduce_mean(tf.pow(y_true - y_pred, 2))


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
        seeds = iter(layer_seeds(seed, 4 * (len(layer_sizes) - 1)))
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

        depth = len(layer_sizes) - 1
        # The code layer has no activation, to make its output easy to use.
        encoder_layers = [make(units, "sigmoid" if i < depth else None, f"encoder_{i}")
                          for i, units in enumerate(layer_sizes[1:], start=1)]
        decoder_layers = [make(units, "sigmoid", f"decoder_{i}")
                          for i, units in enumerate(reversed(layer_sizes[:-1]), start=1)]
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
        """
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return {"cost": optimizer_step(self, self.optimizer, x, x if y is None else y)}


def total_loss(model, targets, outputs, loss_fn=reconstruction_loss):
    """The reconstruction loss plus the model's penalty terms, if any, added
    in legacy's order (see variants.penalty_losses)."""
    loss = loss_fn(targets, outputs)
    penalties = variants.penalty_losses(model)
    # FAITHFUL DEVIATION: the sum of one stacked vector, as legacy, not
    # `loss + sum(model.losses)`: Grappler reorders Add/AddN chains by node
    # name, which would change the printed loss by 1 ulp on some steps.
    return tf.reduce_sum(tf.stack([loss] + penalties)) if penalties else loss


def build_model(hyper: Hyperparameters, seed: int, exact: bool,
                variant: Variant = Variant()) -> Autoencoder:
    """The model for `hyper` and `variant`, initialised from `seed`."""
    sparse = dict(sparsity_target=variant.sparsity_target,
                  sparsity_weight=variant.sparsity_weight,
                  weight_decay=variant.weight_decay) if variant.sparse else {}
    return Autoencoder(layer_sizes=hyper.layer_sizes, init_stddev=hyper.init_stddev,
                       seed=seed, exact=exact, **sparse)


def make_optimizer(hyper: Hyperparameters, exact: bool) -> keras.optimizers.Optimizer:
    """TF1Adam (exact) or stock Adam with TF1's epsilon (idiomatic)."""
    if exact:
        return TF1Adam(hyper.learning_rate, beta_1=hyper.adam_beta1,
                       beta_2=hyper.adam_beta2, epsilon=hyper.adam_epsilon)
    # MIGRATION TRAP: Keras's Adam epsilon defaults to 1e-7, TF1's to 1e-8;
    # on this model the default changes the loss visibly. Pass it.
    return keras.optimizers.Adam(hyper.learning_rate, beta_1=hyper.adam_beta1,
                                 beta_2=hyper.adam_beta2, epsilon=hyper.adam_epsilon)


def optimizer_step(model, optimizer, inputs, targets, loss_fn=reconstruction_loss):
    """One step: loss, gradients by tape, one optimizer update; returns the loss."""
    with tf.GradientTape() as tape:
        loss = total_loss(model, targets, model(inputs, training=True), loss_fn)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


def make_train_step(model, optimizer, loss_fn=reconstruction_loss, jit_compile=False):
    """A tf.function running one optimizer step on a batch; returns its loss.

    jit_compile stays False: XLA fuses and reorders the arithmetic and
    changes results from the second step on (FIELD_NOTES section 3).
    """
    optimizer.build(model.trainable_variables)

    @tf.function(jit_compile=jit_compile)
    def train_step(inputs, targets):
        return optimizer_step(model, optimizer, inputs, targets, loss_fn)

    return train_step


def evaluate(model, test_images, variant: Variant = Variant(), noise_seed: int = 0):
    """Test codes, test reconstruction MSE, the first reconstructions and the
    variant's report, computed in graphs like legacy's sess.run (eager and
    in-graph matmuls can differ by 1 ulp with oneDNN)."""
    images = tf.constant(test_images)

    @tf.function
    def codes_and_cost():
        codes = model.encode(images)
        return codes, reconstruction_loss(images, model.decoder(codes))

    @tf.function
    def cost_of(inputs, targets):
        return reconstruction_loss(targets, model(inputs))

    codes, cost = codes_and_cost()
    examples = tf.function(model)(images[:RECONSTRUCTION_EXAMPLES])
    report = variants.report(model, test_images, variant, noise_seed, float(cost),
                             lambda inputs, targets: float(cost_of(inputs, targets)))
    return codes.numpy(), float(cost), examples.numpy(), report


def make_multi_step(model, optimizer, loss_fn=reconstruction_loss, jit_compile=False,
                    images=None):
    """A tf.function running many optimizer steps per call, the loop inside
    the graph. Without `images`: (inputs [k, batch, 784], targets [k, batch,
    784]) -> losses [k]. With `images` (the training set, kept resident as
    a tensor): (indices [k, batch]) -> losses [k], each batch gathered in
    the graph, so no batch crosses from Python at all (the fast path).

    The same ops as `make_train_step`, in a `tf.range` loop, so the results
    are bit-identical; only the per-step round trips go.
    """
    optimizer.build(model.trainable_variables)
    resident = None if images is None else tf.constant(images)

    def one_step(inputs, targets):
        return optimizer_step(model, optimizer, inputs, targets, loss_fn)

    if resident is not None:
        @tf.function(jit_compile=jit_compile,
                     input_signature=[tf.TensorSpec([None, None], tf.int32)])
        def train_steps_from_indices(indices):
            losses = tf.TensorArray(tf.float32, size=tf.shape(indices)[0])
            for i in tf.range(tf.shape(indices)[0]):
                batch = tf.gather(resident, indices[i])
                losses = losses.write(i, one_step(batch, batch))
            return losses.stack()
        return train_steps_from_indices

    width = model.layer_sizes[0]

    @tf.function(jit_compile=jit_compile,
                 input_signature=[tf.TensorSpec([None, None, width], tf.float32)] * 2)
    def train_steps(inputs, targets):
        losses = tf.TensorArray(tf.float32, size=tf.shape(inputs)[0])
        for i in tf.range(tf.shape(inputs)[0]):
            losses = losses.write(i, one_step(inputs[i], targets[i]))
        return losses.stack()

    return train_steps


@dataclasses.dataclass
class ModernRun:
    """What one training run returns; the same fields as legacy's LegacyRun."""

    step_losses: np.ndarray
    epoch_costs: list
    initial_weights: dict            # original names, as legacy returns them
    final_weights: dict
    test_codes: np.ndarray
    test_cost: float
    test_reconstructions: np.ndarray
    variant_report: dict
    test_labels: np.ndarray
    steps_per_epoch: int
    seconds: float
    model: Autoencoder


def train(data: input_data.Arrays, hyper: Hyperparameters = Hyperparameters(), *,
          seed: int = 0, exact: bool = False, initial_weights=None, batches=None,
          steps_per_epoch=None, log=print, show_progress=None, variant: Variant = Variant(),
          noise_seed=None, use_add_bias=None, use_tf1_adam=None,
          loss_fn=reconstruction_loss, jit_compile=False, steps_per_call=1) -> ModernRun:
    """Train with a custom loop; print the original's epoch lines.

    `exact` switches on both faithful deviations; `use_add_bias` (the
    `AddBiasDense` layer) and `use_tf1_adam` (`TF1Adam`) set each one on its
    own (compare.py's negative controls turn one off at a time). `loss_fn`
    replaces the original's loss expression, and `jit_compile=True` (XLA)
    is offered for the same purpose. `steps_per_call` > 1 runs that many
    steps per call of an in-graph loop (`make_multi_step`): the same
    numbers, less per-step overhead; a NaN/Inf loss is then detected at
    the end of the call that produced it.

    `batches`, if given, is the exact sequence of float32 batches to use
    (compare.py passes TF1's `next_batch` order), each a clean batch or an
    (inputs, targets) pair (denoising: corrupted, clean); otherwise a seeded
    tf.data pipeline over `data.train_images`. `variant` picks deep, sparse
    or denoising; `noise_seed` keys the corruption (default: `seed`). `initial_weights` (original names,
    e.g. legacy's `LegacyRun.initial_weights`) replace the seeded start.
    `show_progress` draws a Keras progress bar per epoch; by default only
    when stdout is a terminal.
    """
    model = build_model(hyper, seed, exact if use_add_bias is None else use_add_bias, variant)
    noise_seed = seed if noise_seed is None else noise_seed
    if initial_weights is not None:
        checkpoints.set_original_weights(model, initial_weights)
    optimizer = make_optimizer(hyper, exact if use_tf1_adam is None else use_tf1_adam)
    if steps_per_call > 1:
        train_steps = make_multi_step(model, optimizer, loss_fn, jit_compile)
    else:
        train_step = make_train_step(model, optimizer, loss_fn, jit_compile)
    total_batch = steps_per_epoch or int(len(data.train_images) / hyper.batch_size)
    if total_batch < 1:
        raise ValueError(f"{len(data.train_images)} training images make no batch of {hyper.batch_size}")
    if batches is None:
        batches = input_data.make_dataset(data.train_images, hyper.batch_size, seed,
                                          variant, noise_seed)
    batch_iterator = iter(batches)
    if show_progress is None:
        show_progress = sys.stdout.isatty()
    initial = checkpoints.get_original_weights(model)
    step_losses, epoch_costs = [], []

    def next_pair():
        try:
            batch = next(batch_iterator)
        except StopIteration:
            raise ValueError(f"batches ran out after {len(step_losses)} steps") from None
        return batch if isinstance(batch, tuple) else (batch, batch)

    started = time.perf_counter()
    for epoch in range(hyper.training_epochs):
        progress = keras.utils.Progbar(total_batch) if show_progress else None
        done = 0
        while done < total_batch:
            if steps_per_call > 1:  # a chunk never crosses an epoch's end
                pairs = [next_pair() for _ in range(min(steps_per_call, total_batch - done))]
                inputs = tf.constant(np.stack([np.asarray(p[0]) for p in pairs]))
                targets = inputs if all(p[0] is p[1] for p in pairs) else \
                    tf.constant(np.stack([np.asarray(p[1]) for p in pairs]))
                costs = train_steps(inputs, targets).numpy()
            else:
                inputs, targets = next_pair()
                costs = [float(train_step(inputs, targets))]
            for cost in costs:
                step_losses.append(cost)
                if not np.isfinite(cost):
                    raise NonFiniteLoss(len(step_losses), float(cost))
            files.raise_if_interrupted()  # Ctrl-C/SIGTERM stop here, between steps
            done += len(costs)
            if progress is not None:
                progress.update(done, [("cost", float(costs[-1]))])
        cost = float(step_losses[-1])
        epoch_costs.append(cost)
        if epoch % hyper.display_step == 0:
            log(" ".join(["Epoch:", "%04d" % (epoch + 1), "cost=", "{:.9f}".format(cost)]))
    log("Optimization Finished!")
    seconds = time.perf_counter() - started
    test_codes, test_cost, reconstructions, report = evaluate(
        model, data.test_images, variant, noise_seed)
    return ModernRun(step_losses=np.asarray(step_losses, dtype=np.float32),
                     epoch_costs=epoch_costs, initial_weights=initial,
                     final_weights=checkpoints.get_original_weights(model),
                     test_codes=test_codes, test_cost=test_cost,
                     test_reconstructions=reconstructions, variant_report=report,
                     test_labels=np.asarray(data.test_labels),
                     steps_per_epoch=total_batch, seconds=seconds, model=model)


def fit(model: Autoencoder, images: np.ndarray, hyper: Hyperparameters, *,
        exact: bool, shuffle: bool = True, verbose="auto", log=print,
        variant: Variant = Variant(), seed: int = 0):
    """Train with Keras's standard loop (`model.fit`), via `train_step` above.

    `shuffle=False` keeps the array's order (needed when order matters, as
    in a comparison). fit batches per pass over the data (the last batch of a
    pass may be smaller), unlike TF1's `next_batch`. The denoising variant
    trains on the seeded (corrupted, clean) tf.data pipeline instead, for
    int(examples / batch size) steps per epoch. jit_compile=False: Keras's
    default "auto" turns XLA on whenever a GPU is present. Prints the
    original's epoch lines through `log`; returns the History, whose
    `history["cost"]` holds each epoch's last-batch cost.
    """
    model.compile(optimizer=make_optimizer(hyper, exact), jit_compile=False)

    def epoch_line(epoch, logs):
        if epoch % hyper.display_step == 0:
            log(" ".join(["Epoch:", "%04d" % (epoch + 1), "cost=",
                          "{:.9f}".format(logs["cost"])]))

    def stop_on_non_finite(batch, logs):
        # Not keras.callbacks.TerminateOnNaN, which stops quietly: fail with
        # the step number, as the custom loop and legacy/ do.
        fit_steps.append(float(logs["cost"]))
        if not np.isfinite(fit_steps[-1]):
            raise NonFiniteLoss(len(fit_steps), fit_steps[-1])
        files.raise_if_interrupted()

    fit_steps = []
    callbacks = [keras.callbacks.LambdaCallback(on_epoch_end=epoch_line,
                                                on_train_batch_end=stop_on_non_finite)]
    if variant.denoising:
        dataset = input_data.make_dataset(images, hyper.batch_size, seed, variant, seed)
        return model.fit(dataset, epochs=hyper.training_epochs, verbose=verbose,
                         steps_per_epoch=len(images) // hyper.batch_size, callbacks=callbacks)
    return model.fit(images, batch_size=hyper.batch_size, epochs=hyper.training_epochs,
                     shuffle=shuffle, verbose=verbose, callbacks=callbacks)
