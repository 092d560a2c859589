"""The original script's training loop: Session, feed_dict, printed lines.

The graph comes from `legacy/autoencoder.py`; this file runs it as the
original did (`for epoch ...: for i in range(total_batch): sess.run(...)`)
and returns what a caller (`python -m legacy`, compare.py) needs.
Deliberate departures are marked `# DEPARTURE:` with the reason.
"""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np
import tensorflow as tf

from tf1kit import files
from common.config import Hyperparameters
from common.errors import NonFiniteLoss
from common.results import TrainedRun
from common.variants import Variant
from legacy.autoencoder import build_graph, evaluate, feed


@dataclasses.dataclass
class LegacyRun(TrainedRun):
    """What one training run returns to its caller (and to compare.py):
    common.results.TrainedRun, `step_losses` the `c` of every sess.run."""


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
          log=print, on_initialized=None, session_config=None) -> LegacyRun:
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
    `log` receives the printed lines. `on_initialized`, if given, is called
    with the initial weights (original names) before the first step.
    `session_config`, if given, is the Session's tf.compat.v1.ConfigProto
    (a comparison's numerically free Grappler setting, tf1kit/environment.py).
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
    # DEPARTURE: the Session's config may be given (the original's had none).
    with tf.compat.v1.Session(graph=parts.graph, config=session_config) as sess:
        sess.run(parts.init)
        initial = sess.run({**parts.weights, **parts.biases})
        if on_initialized is not None:
            # DEPARTURE: lets a comparison start the other side from these
            # values while this loop trains (parity/concurrency.py).
            on_initialized(initial)
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
        evaluation = evaluate(sess, parts, mnist.test.images, variant, noise_seed)
        final = sess.run({**parts.weights, **parts.biases})
        if checkpoint_path is not None:
            save_checkpoint(parts.saver, sess, checkpoint_path)
    return LegacyRun(step_losses=np.asarray(step_losses, dtype=np.float32),
                     epoch_costs=epoch_costs, initial_weights=initial,
                     final_weights=final, test_codes=evaluation.codes,
                     test_cost=evaluation.cost,
                     test_reconstructions=evaluation.reconstructions,
                     variant_report=evaluation.variant_report,
                     test_labels=np.asarray(mnist.test.labels),
                     steps_per_epoch=total_batch, seconds=seconds)
