"""The comparison engine: both sides trained from the same seed, start and
batches, and one seed's record (losses, codes, metrics, reasons).

`compare.py` is its command line. Only this package imports both
implementations; neither `legacy/` nor `modern/` knows of the other.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import time
from typing import NamedTuple

import numpy as np

from common import cli
from common.config import Hyperparameters
from common.errors import DataError, NonFiniteLoss
from common.variants import Variant
from parity.perturbations import NONE, Perturbation

MODES = ("exact", "idiomatic")  # the presets of modern/options.py


def configure_tensorflow(device: str) -> dict:
    """Determinism on, XLA off, TF32 off; hide GPUs for --device cpu."""
    cli.quiet_tensorflow_logs()
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if device == "gpu" and not gpus:
        raise DataError("--device gpu: TensorFlow sees no GPU on this machine")
    if device == "cpu" and gpus:
        tf.config.set_visible_devices([], "GPU")
    tf.config.experimental.enable_op_determinism()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    tf.config.optimizer.set_jit(False)
    name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU") \
        if device == "gpu" else "CPU"
    return {"device": device, "device_name": name, "op_determinism": True,
            "tensor_float_32": False, "xla": False}


@dataclasses.dataclass(frozen=True)
class Experiment:
    """What every seed of a comparison shares: the settings, and the data
    (read once) as legacy's TF1 DataSets and as modern's arrays."""

    hyper: Hyperparameters
    variant: Variant
    mnist: object            # legacy.input_data.Datasets, its train set never read
    arrays: object           # modern.input_data.Arrays: the very arrays TF1's loader made
    steps_per_epoch: int

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.hyper.training_epochs

    @functools.cached_property
    def baseline_test_cost(self) -> float:
        """The mean training image's test MSE: where a collapsed run ends."""
        from common import collapse
        return collapse.mean_image_mse(self.arrays.train_images, self.arrays.test_images)


def make_experiment(raw, validation_size, hyper, variant, steps_per_epoch=None,
                    data_seed=0) -> Experiment:
    """Both sides' data from the checked uint8 arrays (`cli.load_data`)."""
    from legacy import input_data as legacy_input_data
    from modern import input_data as modern_input_data
    mnist = legacy_input_data.data_sets_from_arrays(raw, validation_size=validation_size,
                                                    seed=data_seed)
    arrays = modern_input_data.Arrays(mnist.train.images, mnist.train.labels,
                                      mnist.test.images, mnist.test.labels)
    steps = steps_per_epoch or int(mnist.train.num_examples / hyper.batch_size)  # >= 1
    return Experiment(hyper, variant, mnist, arrays, steps)


class SideResult(NamedTuple):
    """One side's training: its run, or why it stopped, and how long it took."""

    run: object | None       # LegacyRun / ModernRun; None when training stopped
    failure: str | None      # the NaN/Inf message
    seconds: float
    failed_at: int | None = None  # the step whose loss was NaN/Inf


def run_side(train) -> SideResult:
    """Call a side's train(); a NaN/Inf loss becomes a recorded failure."""
    started = time.perf_counter()
    try:
        return SideResult(train(), None, time.perf_counter() - started)
    except NonFiniteLoss as error:
        return SideResult(None, str(error), time.perf_counter() - started, error.step)


def run_legacy(experiment: Experiment, seed: int, log=print) -> SideResult:
    """The original loop, numpy's RNG and the graph seeded with `seed`."""
    from legacy import training
    fresh = experiment.mnist._replace(train=copy.copy(experiment.mnist.train))  # unread
    return run_side(lambda: training.train(
        fresh, experiment.hyper, graph_seed=seed, data_seed=seed, noise_seed=seed,
        steps_per_epoch=experiment.steps_per_epoch, variant=experiment.variant,
        log=lambda line: log(f"[legacy seed {seed}] {line}")))


def keras_default_start(hyper, seed):
    """Initial weights as stock Dense layers draw them: glorot_uniform, zeros."""
    import keras

    from legacy.autoencoder import parameter_shapes
    glorot = keras.initializers.GlorotUniform(seed=seed)
    return {name: glorot(shape).numpy() if len(shape) == 2 else np.zeros(shape, np.float32)
            for name, shape in parameter_shapes(hyper).items()}


def tf1_batches(images, batch_size, steps, seed, variant):
    """Legacy's exact batch sequence for the modern side; for the denoising
    variant (corrupted, clean) pairs with legacy's noise (keyed by seed, step)."""
    from common.variants import corrupt
    from legacy.input_data import tf1_batch_indices
    for step, index in enumerate(tf1_batch_indices(len(images), batch_size, steps, seed)):
        batch = images[index]
        yield (corrupt(batch, variant.noise, variant.level, seed, step), batch) \
            if variant.denoising else batch


def modern_start(perturbation: Perturbation, hyper, seed: int, legacy_run):
    """The modern side's initial weights (None: its own seeded ones)."""
    if perturbation.start == "keras-default":
        return keras_default_start(hyper, seed)
    if perturbation.start == "legacy" and legacy_run is not None:
        return legacy_run.initial_weights
    return None


class ModernSetup(NamedTuple):
    """The modern side as a mode and a perturbation make it."""

    hyper: Hyperparameters
    arrays: object           # modern.input_data.Arrays it trains and is tested on
    options: object          # modern.options.TrainingOptions
    initial: dict | None     # initial weights by original name; None: its own seeded ones


def modern_setup(experiment: Experiment, seed: int, mode: str, perturbation: Perturbation,
                 legacy_run) -> ModernSetup:
    """One definition for training (`run_modern`) and the replay
    (`make_replay`), which must set the modern side up alike."""
    from modern import options
    hyper = perturbation.apply_hyperparameters(experiment.hyper)
    return ModernSetup(hyper, perturbation.apply_data(experiment.arrays),
                       perturbation.apply_options(options.PRESETS[mode]),
                       modern_start(perturbation, hyper, seed, legacy_run))


def make_replay(experiment: Experiment, seed: int, mode: str, perturbation: Perturbation,
                legacy_run, steps: int):
    """Both sides set up as `compare_seed` trained them, to be stepped one
    step at a time for `steps` steps (parity/divergence.py)."""
    from legacy.steps import LegacyStepper
    from modern import input_data
    from modern.steps import ModernStepper
    from parity.divergence import Replay
    setup = modern_setup(experiment, seed, mode, perturbation, legacy_run)
    arrays = setup.arrays
    variant, batch_size = experiment.variant, experiment.hyper.batch_size

    def pairs(batches):
        return [batch if isinstance(batch, tuple) else (batch, None) for batch in batches]
    legacy_batches = pairs(tf1_batches(experiment.arrays.train_images, batch_size, steps, seed,
                                       variant))
    if perturbation.order == "tf1":
        modern_batches = pairs(tf1_batches(arrays.train_images, batch_size, steps, seed,
                                           variant))
    else:
        stream = input_data.make_dataset(arrays.train_images, batch_size, seed, variant, seed)
        modern_batches = [(x.numpy(), y.numpy() if variant.denoising else None)
                          for x, y in stream.take(steps)]
    legacy = LegacyStepper(experiment.hyper, variant, legacy_run.initial_weights)
    modern = ModernStepper(setup.hyper, variant, setup.options, setup.initial, seed=seed)
    return Replay(legacy, modern, legacy_batches, modern_batches, experiment.hyper, variant)


def explain(experiment: Experiment, seed: int, mode: str, perturbation: Perturbation,
            legacy_run, loss_step: int) -> dict:
    """The `divergence` record of a seed whose losses differ from
    `loss_step` on: where the difference was born, and the referee."""
    from parity.divergence import localize
    replay = make_replay(experiment, seed, mode, perturbation, legacy_run, loss_step)
    try:
        return localize(replay, loss_step)
    finally:
        replay.legacy.close()


def run_modern(experiment: Experiment, seed: int, mode: str,
               perturbation: Perturbation = NONE, legacy_run=None, log=print) -> SideResult:
    """The modern side in `mode`'s preset, changed as `perturbation` says.

    It starts from `legacy_run`'s initial values (same start: the
    alternative, the same stateless seeded init on both sides, would move
    legacy's init away from the original's tf.truncated_normal and
    tf.random_normal ops) and trains on legacy's batches, unless the
    perturbation says otherwise or legacy stopped before (`legacy_run` None).
    """
    from modern import training
    setup = modern_setup(experiment, seed, mode, perturbation, legacy_run)
    hyper, arrays = setup.hyper, setup.arrays
    batches = indices = None  # modern's own tf.data order
    if perturbation.order == "tf1" and experiment.variant.denoising:
        batches = tf1_batches(arrays.train_images, hyper.batch_size, experiment.total_steps,
                              seed, experiment.variant)
    elif perturbation.order == "tf1":
        from legacy.input_data import tf1_batch_indices
        indices = tf1_batch_indices(len(arrays.train_images), hyper.batch_size,
                                    experiment.total_steps, seed)
    # The in-graph loop, an epoch per call: bit-identical to the per-step
    # loop (tests/test_modern_ladder.py), without a Python round trip per step.
    return run_side(lambda: training.train(
        arrays, hyper, setup.options, seed=seed,
        variant=experiment.variant, initial_weights=setup.initial, batches=batches,
        batch_indices=indices, steps_per_epoch=experiment.steps_per_epoch,
        steps_per_call=experiment.steps_per_epoch, show_progress=False,
        log=lambda line: log(f"[modern seed {seed}] {line}")))


def side_summary(side: SideResult, labels, clusters, baseline: float) -> dict:
    from common import collapse
    from parity import metrics
    if side.run is None:
        return {"step_losses": [], "epoch_costs": [], "test_cost": None,
                "quality": {"finite": False}, "failure": side.failure, "variant_report": {},
                "collapsed": None}
    run = side.run
    numbers = {key: value for key, value in run.variant_report.items()
               if not isinstance(value, np.ndarray)}  # images go to the plots, not the JSON
    return {"step_losses": run.step_losses, "epoch_costs": run.epoch_costs,
            "test_cost": run.test_cost,
            "quality": metrics.code_quality(run.test_codes, labels, clusters),
            "failure": None, "variant_report": numbers,
            "collapsed": collapse.is_collapsed(run.test_cost, baseline)}


class SeedResult(NamedTuple):
    """One seed of a comparison: its report record, its timings, both runs."""

    record: dict
    timing: dict
    runs: tuple              # (legacy run, modern run); None for a side that stopped


def compare_seed(experiment: Experiment, seed: int, mode: str,
                 perturbation: Perturbation = NONE, log=print, explain_step=True) -> SeedResult:
    """Train both sides for one seed and compare them under `mode`'s
    standard; when their losses differ and `explain_step`, find where the
    difference was born (the record's `divergence`, else None)."""
    from parity import metrics, verdict
    legacy = run_legacy(experiment, seed, log)
    modern = run_modern(experiment, seed, mode, perturbation, legacy.run, log)
    empty = np.zeros(0, np.float32)
    losses = verdict.compare_losses(legacy.run.step_losses if legacy.run else empty,
                                    modern.run.step_losses if modern.run else empty)
    failures = [f"{name}: {side.failure}" for name, side in
                (("legacy", legacy), ("modern", modern)) if side.failure]
    labels = experiment.arrays.test_labels
    # k-means once per code set: both the quality and the agreement use it.
    clusters = [metrics.clusters_of(side.run.test_codes) if side.run else None
                for side in (legacy, modern)]
    codes = {"finite": False}
    if legacy.run is not None and modern.run is not None:
        codes = metrics.code_agreement(legacy.run.test_codes, modern.run.test_codes, labels,
                                       clusters)
    if mode == "exact":
        reasons = verdict.exact_reasons(losses, codes.get("max_abs_difference"), failures)
    else:
        reasons = verdict.early_reasons(losses, failures)
    divergence, started = None, time.perf_counter()
    # The first step whose loss differs; a side that stopped on a NaN/Inf
    # loss differs there (its losses are not in the record).
    loss_steps = [losses["first_differing_step"], legacy.failed_at, modern.failed_at]
    loss_step = min((step for step in loss_steps if step is not None), default=None)
    if explain_step and legacy.run is not None and loss_step is not None:
        divergence = explain(experiment, seed, mode, perturbation, legacy.run, loss_step)
    explain_seconds = time.perf_counter() - started
    baseline = experiment.baseline_test_cost
    record = {"seed": seed, "legacy": side_summary(legacy, labels, clusters[0], baseline),
              "modern": side_summary(modern, labels, clusters[1], baseline),
              "losses": losses, "codes": codes, "reasons": reasons, "divergence": divergence}
    timing = {"seed": seed, "legacy_seconds": legacy.seconds, "modern_seconds": modern.seconds,
              "explain_seconds": explain_seconds}
    for name, side in (("legacy", legacy), ("modern", modern)):
        timing[f"{name}_steps_per_second"] = \
            len(side.run.step_losses) / side.run.seconds if side.run else 0.0
    return SeedResult(record, timing, (legacy.run, modern.run))
