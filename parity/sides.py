"""Each side of a comparison trained as the comparison needs it: legacy's
original loop, the modern side as a mode and a perturbation set it up, and
both at once (`train_both`).

The modern side starts from legacy's initial values (same start: the
alternative, the same stateless seeded init on both sides, would move
legacy's init away from the original's tf.truncated_normal and
tf.random_normal ops) and trains on legacy's batches, unless the
perturbation says otherwise.
"""

from __future__ import annotations

import copy
import time
from typing import NamedTuple

import numpy as np

from common.architecture import parameter_shapes
from common.config import Hyperparameters
from common.errors import NonFiniteLoss
from common.variants import corrupt
from modern import options
from parity import concurrency
from tf1kit import environment
from parity.perturbations import NONE, Perturbation


class SideResult(NamedTuple):
    """One side's training: its run, or why it stopped, and how long it took."""

    run: object | None       # LegacyRun / ModernRun; None when training stopped
    failure: str | None      # the NaN/Inf message
    seconds: float
    failed_at: int | None = None  # the step whose loss was NaN/Inf
    epoch_seconds: tuple = ()     # from the start to each epoch line, then between them


class EpochClock:
    """A side's `log`, prefixing its lines, that also notes when each
    "Epoch:" line (the original's, one per display_step epochs) came."""

    def __init__(self, log, prefix: str):
        self.log, self.prefix, self.ends = log, prefix, []

    def __call__(self, line: str) -> None:
        if line.startswith("Epoch:"):
            self.ends.append(time.perf_counter())
        self.log(self.prefix + line)

    def seconds(self, started: float) -> tuple:
        """From `started` to the first epoch line, then between them."""
        marks = [started, *self.ends]
        return tuple(later - earlier for earlier, later in zip(marks, marks[1:]))


def run_side(train, clock: EpochClock | None = None) -> SideResult:
    """Call a side's train(); a NaN/Inf loss becomes a recorded failure.
    `clock`, the log train() writes to, times its epochs from now."""
    started = time.perf_counter()
    try:
        run = train()
        return SideResult(run, None, time.perf_counter() - started,
                          epoch_seconds=clock.seconds(started) if clock is not None else ())
    except NonFiniteLoss as error:
        return SideResult(None, str(error), time.perf_counter() - started, error.step)


def run_legacy(experiment, seed: int, log=print, on_initialized=None,
               session_config=None) -> SideResult:
    """The original loop, numpy's RNG and the graph seeded with `seed`;
    `on_initialized(initial weights)` is called before the first step;
    `session_config`: the Session's ConfigProto (None: the original's)."""

    from legacy import training
    fresh = experiment.mnist._replace(train=copy.copy(experiment.mnist.train))  # unread
    clock = EpochClock(log, f"[legacy seed {seed}] ")
    return run_side(lambda: training.train(
        fresh, experiment.hyper, graph_seed=seed, data_seed=seed, noise_seed=seed,
        steps_per_epoch=experiment.steps_per_epoch, variant=experiment.variant,
        log=clock, on_initialized=on_initialized, session_config=session_config), clock)


def keras_default_start(hyper, seed):
    """Initial weights as stock Dense layers draw them: glorot_uniform, zeros."""
    import keras

    glorot = keras.initializers.GlorotUniform(seed=seed)
    return {name: glorot(shape).numpy() if len(shape) == 2 else np.zeros(shape, np.float32)
            for name, shape in parameter_shapes(hyper).items()}


def tf1_order(experiment, seed: int, steps: int | None = None) -> list:
    """Legacy's batches of `seed` as example indices (TF1's next_batch
    order), for its first `steps` steps (default: all of them).

    It draws from numpy's global RNG, as legacy's own loop does: call it
    before, never beside, a legacy run.
    """
    from tf1kit.data.input_data import tf1_batch_indices
    return tf1_batch_indices(len(experiment.arrays.train_images), experiment.hyper.batch_size,
                             experiment.total_steps if steps is None else steps, seed)


def tf1_batches(images, order, seed, variant):
    """The batches of `order` (tf1_order); for the denoising variant
    (corrupted, clean) pairs with legacy's noise (keyed by seed, step)."""
    for step, index in enumerate(order):
        batch = images[index]
        yield (corrupt(batch, variant.noise, variant.level, seed, step), batch) \
            if variant.denoising else batch


def modern_start(perturbation: Perturbation, hyper, seed: int, legacy_initial):
    """The modern side's initial weights (None: its own seeded ones)."""
    if perturbation.start == "keras-default":
        return keras_default_start(hyper, seed)
    if perturbation.start == "legacy":
        return perturbation.apply_initial(legacy_initial)
    return None


class ModernSetup(NamedTuple):
    """The modern side as a mode and a perturbation make it."""

    hyper: Hyperparameters
    arrays: object           # modern.input_data.Arrays it trains and is tested on
    options: object          # modern.options.TrainingOptions
    initial: dict | None     # initial weights by original name; None: its own seeded ones


def modern_setup(experiment, seed: int, mode: str, perturbation: Perturbation,
                 legacy_initial) -> ModernSetup:
    """One definition for training (`run_modern`) and the replay
    (`engine.make_replay`), which must set the modern side up alike."""
    hyper = perturbation.apply_hyperparameters(experiment.hyper)
    return ModernSetup(hyper, perturbation.apply_data(experiment.arrays),
                       perturbation.apply_options(options.PRESETS[mode]),
                       modern_start(perturbation, hyper, seed, legacy_initial))


def run_modern(experiment, seed: int, mode: str, perturbation: Perturbation = NONE,
               legacy_initial=None, log=print, order=None) -> SideResult:
    """The modern side in `mode`'s preset, changed as `perturbation` says,
    from `legacy_initial` (legacy's initial weights; None: its own seeded
    ones) on legacy's batches, `order` (tf1_order; drawn here if None)."""
    setup = modern_setup(experiment, seed, mode, perturbation, legacy_initial)
    hyper, arrays = setup.hyper, setup.arrays
    batches = indices = None  # modern's own tf.data order
    if perturbation.order == "tf1":
        if order is None:
            order = tf1_order(experiment, seed)
        if experiment.variant.denoising:
            batches = tf1_batches(arrays.train_images, order, seed, experiment.variant)
        else:
            indices = order
    clock = EpochClock(log, f"[modern seed {seed}] ")
    if experiment.backend != "tensorflow":  # the rewrite on another Keras backend
        from modern import portable
        portable.check_supported(experiment.variant, setup.options)
        return run_side(lambda: portable.train(
            arrays, hyper, setup.options, seed=seed, initial=setup.initial,
            batch_indices=indices, steps_per_epoch=experiment.steps_per_epoch,
            log=clock), clock)
    from modern import training  # imports TensorFlow
    from modern.batches import Loop
    # The in-graph loop, an epoch per call: bit-identical to the per-step
    # loop (tests/test_modern_ladder.py), without a Python round trip per step.
    loop = Loop(batches=batches, batch_indices=indices,
                steps_per_epoch=experiment.steps_per_epoch,
                steps_per_call=experiment.steps_per_epoch, show_progress=False,
                log=clock, strategy=experiment.strategy)
    return run_side(lambda: training.train(arrays, hyper, setup.options, seed=seed,
                                           variant=experiment.variant,
                                           initial_weights=setup.initial, loop=loop), clock)


def train_both(experiment, seed: int, mode: str, perturbation: Perturbation = NONE,
               log=print) -> tuple[SideResult, SideResult]:
    """(legacy, modern): legacy in this thread, the modern side in a worker
    thread from the moment legacy's initial weights exist (on 2 cores the
    two loops overlap; the results are those of running them one after the
    other, bit for bit: tests/test_concurrency.py). Legacy's Session runs
    with environment.legacy_session_config(), which moves no bit."""
    order = None
    if perturbation.order == "tf1":  # drawn now: legacy's loop reseeds numpy's RNG
        order = tf1_order(experiment, seed)
    with concurrency.worker_scope() as workers:
        def start_modern(initial):
            workers.append(concurrency.Worker(lambda: run_modern(
                experiment, seed, mode, perturbation, initial, log, order),
                name=f"modern seed {seed}").start())
        legacy = run_legacy(experiment, seed, log, on_initialized=start_modern,
                            session_config=environment.legacy_session_config())
        modern = workers[0].join()
    return legacy, modern


def variant_numbers(variant_report: dict) -> dict:
    """The JSON part of a variant report: its arrays (images) go to the
    plots and to a recording's seed file, not to the JSON."""
    return {key: value for key, value in variant_report.items()
            if not isinstance(value, np.ndarray)}


def modern_stepper(experiment, setup: ModernSetup, seed: int):
    """The modern side, stepped one step at a time as it trained (for the
    microscope): modern.steps.ModernStepper on TensorFlow, else
    modern.portable.PortableStepper on the experiment's backend."""
    if experiment.backend != "tensorflow":
        from modern.portable import PortableStepper
        return PortableStepper(setup.hyper, setup.options, setup.initial, seed)
    from modern.steps import ModernStepper  # imports TensorFlow
    return ModernStepper(setup.hyper, experiment.variant, setup.options, setup.initial,
                         seed=seed, strategy=experiment.strategy)
