"""The training paths a benchmark round runs, each on TF1's batch order.

Every path is built from one `Setup` (hyperparameters, the training set,
the batches' indices per round, the shared initial weights) and becomes a
function `run(round)` that trains that round's `steps` steps. Keras `fit`
is different: it is called once for all rounds, the way users call it,
and reports each epoch's time from a callback (`FitPath`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc

import numpy as np

DESCRIPTIONS = {
    "legacy": "the original loop: one Session.run([optimizer, cost], feed_dict) per batch",
    "modern_step": "modern exact: a tf.function step called per batch, loss fetched",
    "modern_in_graph": "modern exact: the loop inside one tf.function call per round, "
                       "training set resident, batches gathered in the graph",
    "idiomatic_in_graph": "idiomatic model (stock Dense, Keras Adam), the same in-graph loop",
    "keras_fit": "idiomatic model, model.fit over whole epochs as modern.training.fit runs "
                 "it (an epoch per compiled call, its shuffled dataset), one fit call for all "
                 "rounds",
}
PATH_NAMES = tuple(DESCRIPTIONS)


@dataclasses.dataclass
class Setup:
    """What every path trains on."""

    hyper: object                 # common.config.Hyperparameters
    images: np.ndarray            # float32 [N, 784], the training split
    indices: np.ndarray           # int32 [rounds, steps, batch]: TF1's next_batch order
    initial: dict                 # initial weights by original name, shared by all paths

    @property
    def steps(self) -> int:
        return self.indices.shape[1]


def _modern_model(setup: Setup, exact: bool):
    from modern import autoencoder, checkpoints, options
    choices = options.preset(exact)
    model = autoencoder.build_model(setup.hyper, 0, choices)
    checkpoints.set_original_weights(model, setup.initial)
    return model, autoencoder.make_optimizer(setup.hyper, choices)


def legacy(setup: Setup):
    import tensorflow as tf

    from legacy import autoencoder
    parts = autoencoder.build_graph(setup.hyper, initial_weights=setup.initial)
    session = tf.compat.v1.Session(graph=parts.graph)
    session.run(parts.init)

    def run(round_number):
        for index in setup.indices[round_number]:
            session.run([parts.optimizer, parts.cost], feed_dict={parts.X: setup.images[index]})
    return run


def modern_step(setup: Setup):
    from modern import training
    model, optimizer = _modern_model(setup, exact=True)
    train_step = training.make_train_step(model, optimizer)

    def run(round_number):
        for index in setup.indices[round_number]:
            batch = setup.images[index]
            float(train_step(batch, batch))  # fetch the loss, as the loop does
    return run


def _in_graph(setup: Setup, exact: bool):
    from modern import training
    model, optimizer = _modern_model(setup, exact)
    train_steps = training.make_multi_step(model, optimizer, images=setup.images)

    def run(round_number):
        train_steps(setup.indices[round_number]).numpy()
    return run


def modern_in_graph(setup: Setup):
    return _in_graph(setup, exact=True)


def idiomatic_in_graph(setup: Setup):
    return _in_graph(setup, exact=False)


@contextlib.contextmanager
def collector_paused():
    """Python's garbage collector off for a timed turn, after a collection
    (as `timeit` times): a full collection of this process's objects took
    0.2 s, charged to whichever path happened to trigger it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


RUNNERS = {"legacy": legacy, "modern_step": modern_step, "modern_in_graph": modern_in_graph,
           "idiomatic_in_graph": idiomatic_in_graph}


FIT_INPUTS = {"dataset": "modern.training.fit's dataset (tf.data autotuning off)",
              "arrays": "the array itself, as Keras's own pipeline serves it (trap T18)"}


class FitPath:
    """`model.fit` on the idiomatic model over one round's worth of images
    (`steps` full batches) per epoch, fed as `fit_input` says (FIT_INPUTS);
    `fit(epochs, before, after)` runs all epochs in one call, calling
    `before(epoch)` and `after(epoch)` outside the timed part of each epoch
    (the other paths' turns in that round)."""

    def __init__(self, setup: Setup, fit_input: str = "dataset"):
        from modern import input_data, training
        self.model, _ = _modern_model(setup, exact=False)
        training.compile_for_fit(self.model, setup.hyper)  # as `python -m modern --loop fit`
        images = setup.images[setup.indices[0].reshape(-1)]
        if fit_input == "arrays":
            self.inputs = {"x": images, "batch_size": setup.hyper.batch_size, "shuffle": True}
        else:
            self.inputs = {"x": input_data.make_fit_dataset(images, setup.hyper.batch_size,
                                                            shuffle=True, seed=0),
                           "shuffle": False}
        self.seconds: list[float] = []

    def fit(self, epochs: int, before, after) -> list[float]:
        import time

        import keras
        path = self

        class Turns(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                before(epoch)
                self.paused = collector_paused()
                self.paused.__enter__()
                self.started = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                path.seconds.append(time.perf_counter() - self.started)
                self.paused.__exit__(None, None, None)
                after(epoch)
        self.model.fit(**self.inputs, epochs=epochs, verbose=0, callbacks=[Turns()])
        return self.seconds
