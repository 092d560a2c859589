"""Training the Keras model: the tf.function step, the original's loop
(`train`), the in-graph multi-step loop and `model.fit` (`fit`).

The model, its loss and its optimizer come from `modern/autoencoder.py`;
this file mirrors `legacy/training.py`. Where it must deviate from idiom to
stay numerically faithful, a comment says why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from tf1kit import files
from common.config import Hyperparameters
from common.errors import NonFiniteLoss
from common.results import TrainedRun
from common.variants import Variant
from modern import checkpoints, input_data
from modern.batches import Feed, Loop
from modern.distributed import make_distributed_step
from modern.autoencoder import (Autoencoder, build_model, evaluate, loss_function,
                                make_optimizer, optimizer_step, reconstruction_loss)
from modern.options import IDIOMATIC, TrainingOptions, preset


def make_train_step(model, optimizer, loss_fn=reconstruction_loss, jit_compile=False):
    """A tf.function running one optimizer step on a batch; returns its loss.

    jit_compile stays False but for the `xla` negative control: XLA fuses
    and reorders the arithmetic and changes results within the first steps
    (MIGRATION.md trap T9).
    """
    optimizer.build(model.trainable_variables)

    @tf.function(jit_compile=jit_compile)
    def train_step(inputs, targets):
        return optimizer_step(model, optimizer, inputs, targets, loss_fn)

    return train_step


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

    def one_step(inputs, targets):
        return optimizer_step(model, optimizer, inputs, targets, loss_fn)

    if images is not None:
        return gather_loop(lambda batch: one_step(batch, batch), images, jit_compile)

    width = model.layer_sizes[0]

    @tf.function(jit_compile=jit_compile,
                 input_signature=[tf.TensorSpec([None, None, width], tf.float32)] * 2)
    def train_steps(inputs, targets):
        losses = tf.TensorArray(tf.float32, size=tf.shape(inputs)[0])
        for i in tf.range(tf.shape(inputs)[0]):
            losses = losses.write(i, one_step(inputs[i], targets[i]))
        return losses.stack()

    return train_steps


def gather_loop(one_step, images, jit_compile=False):
    """A tf.function: indices [k, batch] -> losses [k], running `one_step`
    (batch -> loss) k times in a `tf.range` loop, each batch gathered in the
    graph from `images`, kept resident as a tensor. Shared by
    make_multi_step and the distributed loop (modern/distributed.py)."""
    resident = tf.constant(images)

    @tf.function(jit_compile=jit_compile, input_signature=[tf.TensorSpec([None, None], tf.int32)])
    def train_steps_from_indices(indices):
        losses = tf.TensorArray(tf.float32, size=tf.shape(indices)[0])
        for i in tf.range(tf.shape(indices)[0]):
            losses = losses.write(i, one_step(tf.gather(resident, indices[i])))
        return losses.stack()
    return train_steps_from_indices


@dataclasses.dataclass
class ModernRun(TrainedRun):
    """What one training run returns: common.results.TrainedRun, as legacy's
    LegacyRun, plus the trained model."""

    model: Autoencoder


def train(data: input_data.Arrays, hyper: Hyperparameters = Hyperparameters(),
          options: TrainingOptions = IDIOMATIC, *, seed: int = 0, variant: Variant = Variant(),
          initial_weights=None, loop: Loop = Loop()) -> ModernRun:
    """Train with a custom loop; print the original's epoch lines.

    `options` (modern/options.py) chooses the bias layer, the optimizer, the
    loss and XLA: EXACT reproduces legacy/ bit for bit, IDIOMATIC is stock
    Keras. `seed` seeds the initial weights, the tf.data order and the
    denoising variant's noise; `variant` picks deep, sparse or denoising;
    `initial_weights` (original names, e.g. legacy's) replace the seeded
    start. `loop` (modern/batches.py) says what the loop is fed and how
    many steps each compiled call runs, and holds the thin layers around
    it: a tf.distribute strategy and an epoch backup.
    """
    loop.check(variant, options)
    with loop.strategy.scope() if loop.strategy is not None else contextlib.nullcontext():
        model = build_model(hyper, seed, options, variant)
        if initial_weights is not None:
            checkpoints.set_original_weights(model, initial_weights)
        optimizer = make_optimizer(hyper, options)
    feed = Feed(data, hyper, variant, seed, loop)
    run_steps = compiled_steps(model, optimizer, options, feed, loop.strategy)
    initial = checkpoints.get_original_weights(model)
    steps = feed.steps_per_epoch
    first_epoch = 0 if loop.backup is None else \
        loop.backup.resume(model, optimizer, feed, hyper.training_epochs, loop.log)
    show_progress = sys.stdout.isatty() if loop.show_progress is None else loop.show_progress
    step_losses, epoch_costs = [], []
    started = time.perf_counter()
    for epoch in range(first_epoch, hyper.training_epochs):
        progress = keras.utils.Progbar(steps) if show_progress else None
        done = 0
        while done < steps:
            count = min(loop.steps_per_call, steps - done)  # a chunk ends with its epoch
            costs = run_steps(*feed.next_chunk(count))
            for cost in costs:
                step_losses.append(cost)
                if not np.isfinite(cost):
                    raise NonFiniteLoss(first_epoch * steps + len(step_losses), float(cost))
            files.raise_if_interrupted()  # Ctrl-C/SIGTERM stop here, between steps
            done += len(costs)
            if progress is not None:
                progress.update(done, [("cost", float(costs[-1]))])
        epoch_costs.append(float(step_losses[-1]))
        if epoch % hyper.display_step == 0:
            loop.log(" ".join(["Epoch:", "%04d" % (epoch + 1), "cost=",
                               "{:.9f}".format(epoch_costs[-1])]))
        if loop.backup is not None:
            loop.backup.save(epoch + 1)
    loop.log("Optimization Finished!")
    seconds = time.perf_counter() - started
    evaluation = evaluate(model, data.test_images, variant, seed)
    return ModernRun(step_losses=np.asarray(step_losses, dtype=np.float32),
                     epoch_costs=epoch_costs, initial_weights=initial,
                     final_weights=checkpoints.get_original_weights(model),
                     test_codes=evaluation.codes, test_cost=evaluation.cost,
                     test_reconstructions=evaluation.reconstructions,
                     variant_report=evaluation.variant_report,
                     test_labels=np.asarray(data.test_labels),
                     steps_per_epoch=steps, seconds=seconds, model=model)


def compiled_steps(model, optimizer, options: TrainingOptions, feed: Feed, strategy=None):
    """The compiled call the loop makes: a chunk of `feed` -> its steps'
    losses (a NumPy array). Batch indices go to the in-graph loop over the
    resident training set (under `strategy`, its distributed step); stacked
    batches to the in-graph loop; single batches to the per-step function."""
    loss_fn = loss_function(options)
    if feed.kind == "indices" and strategy is not None:
        function = gather_loop(make_distributed_step(model, optimizer, loss_fn, strategy,
                                                     feed.batch_size), feed.images)
    elif feed.kind == "indices":
        function = make_multi_step(model, optimizer, loss_fn, options.jit_compile,
                                   images=feed.images)
    elif feed.kind == "stacked":
        function = make_multi_step(model, optimizer, loss_fn, options.jit_compile)
    else:
        function = make_train_step(model, optimizer, loss_fn, options.jit_compile)
    return lambda *chunk: np.atleast_1d(function(*chunk).numpy())


def compile_for_fit(model: Autoencoder, hyper: Hyperparameters) -> None:
    """Compile `model` for `fit` with the optimizer of the preset it was
    built for (`model.exact`: TF1Adam with the `tf.add` layers, else stock
    Adam).

    steps_per_execution: a whole epoch per compiled call (Keras caps it at
    the epoch), the same numbers as one step per call (tests/
    test_modern_ladder.py), and much faster than Keras's default of one
    (docs/speed.md). Keras calls batch callbacks once per call.
    jit_compile=False: Keras's default "auto" turns XLA on whenever a GPU
    is present, which changes the numbers (trap T9).

    A model built in a tf.distribute strategy's scope is compiled in that
    scope (Adam's slots mirrored too) at ONE step per call: with more,
    Keras 3.15.1's multi-step loop fails under MirroredStrategy, even for
    a stock Sequential model ("You must feed a value for placeholder
    tensor 'while/body/.../Placeholder_1'", measured with TF 2.21.0).
    """
    with model.distribute_strategy.scope():
        distributed = tf.distribute.has_strategy()  # False in the default strategy
        model.compile(optimizer=make_optimizer(hyper, preset(model.exact)), jit_compile=False,
                      steps_per_execution=1 if distributed else FIT_STEPS_PER_EXECUTION)


# Larger than any epoch: Keras runs at most one epoch per call.
FIT_STEPS_PER_EXECUTION = 1_000_000


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras's `BackupAndRestore` with its two files written under temporary
    names and renamed into place, the weights first and then the metadata
    that names their epoch. Keras 3.15.1 writes both in place: a worker
    killed (SIGKILL) while `training_metadata.json` was being written left
    it empty, and the rerun failed reading it (tests/test_multi_worker.py)."""

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        staged = os.path.join(self.backup_dir, ".staged.weights.h5")  # Keras wants .weights.h5
        self.model.save_weights(filepath=staged, overwrite=True)
        os.replace(staged, self._weights_path)
        with files.atomic_path(self._training_metadata_path) as temporary:
            with open(temporary, "w", encoding="utf-8") as stream:
                json.dump({"epoch": self._current_epoch, "batch": self._last_batch_seen}, stream)


def fit(model: Autoencoder, images: np.ndarray, hyper: Hyperparameters, *,
        shuffle: bool = True, verbose="auto", log=print, variant: Variant = Variant(),
        seed: int = 0, backup=None):
    """Train with Keras's standard loop (`model.fit`), via the model's
    `train_step`, with the optimizer of the preset the model was built for
    (`model.exact`: TF1Adam with the `tf.add` layers, else stock Adam).

    `shuffle=False` keeps the array's order (needed when order matters, as
    in a comparison); `shuffle=True` reshuffles every epoch, seeded by
    `seed`. fit batches per pass over the data (the last batch of a pass may
    be smaller), unlike TF1's `next_batch`. The batches come from
    `input_data.make_fit_dataset`, not from the array handed to fit: the
    same batches, without Keras's autotuned pipeline (trap T18). The
    denoising variant trains on the seeded (corrupted, clean) tf.data
    pipeline instead, for int(examples / batch size) steps per epoch. jit_compile=False: Keras's
    default "auto" turns XLA on whenever a GPU is present. Prints the
    original's epoch lines through `log`; returns the History, whose
    `history["cost"]` holds each epoch's last-batch cost. A whole epoch runs
    per compiled call (`compile_for_fit`), so a NaN/Inf loss is found at
    the end of the epoch it happened in; the error names that epoch's steps.
    `backup` (modern/backup.py EpochBackup: its folder and settings) adds
    Keras's `BackupAndRestore`, which saves the model and optimizer after
    every epoch and, on a rerun, restores them and starts at the next
    epoch; the batch order of the epochs after a resume starts the seeded
    shuffle's sequence again (fit keeps no shuffle state), so a resumed
    `fit` continues the run, not its exact numbers (the custom loop's backup
    resumes bit for bit).
    """
    compile_for_fit(model, hyper)
    steps_per_epoch = len(images) // hyper.batch_size if variant.denoising else \
        -(-len(images) // hyper.batch_size)

    def epoch_line(epoch, logs):
        if epoch % hyper.display_step == 0:
            log(" ".join(["Epoch:", "%04d" % (epoch + 1), "cost=",
                          "{:.9f}".format(logs["cost"])]))

    class StopOnNonFinite(keras.callbacks.Callback):
        """Not keras.callbacks.TerminateOnNaN, which stops quietly: fail
        naming the steps, as the custom loop and legacy/ do."""

        done = 0  # steps finished before the current call

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            # `batch`: where the call would have ended (0-based, in this
            # epoch); Keras cuts a call short at the epoch's end.
            step = self.epoch * steps_per_epoch + min(batch + 1, steps_per_epoch)
            cost = float(logs["cost"])
            if not np.isfinite(cost):
                raise NonFiniteLoss(step, cost, first_step=self.done + 1)
            self.done = step
            files.raise_if_interrupted()

    callbacks = [keras.callbacks.LambdaCallback(on_epoch_end=epoch_line), StopOnNonFinite()]
    if backup is not None:
        backup.check_settings()
        if os.path.exists(os.path.join(backup.write_directory, "training_metadata.json")):
            log(f"resuming from the backup in {backup.directory}")
        backup.write_settings()
        callbacks.append(AtomicBackupAndRestore(backup.write_directory))
    if variant.denoising:
        dataset = input_data.make_dataset(images, hyper.batch_size, seed, variant, seed)
        return model.fit(dataset, epochs=hyper.training_epochs, verbose=verbose,
                         steps_per_epoch=len(images) // hyper.batch_size, callbacks=callbacks)
    dataset = input_data.make_fit_dataset(images, hyper.batch_size, shuffle, seed)
    return model.fit(dataset, epochs=hyper.training_epochs, verbose=verbose,
                     shuffle=False, callbacks=callbacks)  # the dataset shuffles itself
