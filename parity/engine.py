"""The comparison engine: the experiment (settings and data, read once),
one seed's comparison (both sides trained by parity/sides.py, then losses,
codes, metrics, reasons) and the step-by-step replay that explains a
mismatch.

`compare.py` is its command line. Only this package imports both
implementations; neither `legacy/` nor `modern/` knows of the other.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import NamedTuple

import numpy as np

from common import collapse
from common.config import Hyperparameters
from common.variants import Variant
from parity import divergence, sides, verdict
from parity.perturbations import NONE, Perturbation
from parity.sides import SideResult

MODES = ("exact", "idiomatic")  # the presets of modern/options.py


@dataclasses.dataclass(frozen=True)
class Experiment:
    """What every seed of a comparison shares: the settings, and the data
    (read once) as legacy's TF1 DataSets and as modern's arrays."""

    hyper: Hyperparameters
    variant: Variant
    mnist: object            # tf1kit.data.input_data.Datasets, its train set never read;
    #                          None against a recording (legacy/ is never imported then)
    arrays: object           # modern.input_data.Arrays: the very arrays TF1's loader made
    steps_per_epoch: int
    strategy: object = None  # the modern side's tf.distribute strategy (--strategy), or None
    backend: str = "tensorflow"  # the modern side's Keras backend (modern/backend.py)

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.hyper.training_epochs

    @functools.cached_property
    def baseline_test_cost(self) -> float:
        """The mean training image's test MSE: where a collapsed run ends."""
        return collapse.mean_image_mse(self.arrays.train_images, self.arrays.test_images)


def make_experiment(raw, validation_size, hyper, variant, steps_per_epoch=None,
                    data_seed=0, legacy=True) -> Experiment:
    """Both sides' data from the checked uint8 arrays (`cli.load_data`);
    with `legacy` False (against a recording) the modern side's alone,
    the same arrays (tests/test_input_data.py) without importing legacy/."""
    from modern import input_data as modern_input_data
    mnist = None
    if legacy:
        from tf1kit.data import input_data as legacy_input_data
        mnist = legacy_input_data.data_sets_from_arrays(raw, validation_size=validation_size,
                                                        seed=data_seed)
        arrays = modern_input_data.Arrays(mnist.train.images, mnist.train.labels,
                                          mnist.test.images, mnist.test.labels)
    else:
        arrays = modern_input_data.arrays_from(raw, validation_size)
    steps = steps_per_epoch or int(len(arrays.train_images) / hyper.batch_size)  # >= 1
    return Experiment(hyper, variant, mnist, arrays, steps)


def make_strategy(replicas: int):
    """`--strategy mirrored --replicas N`: the modern side's MirroredStrategy
    (modern/distributed.py), made before TensorFlow's runtime starts."""
    from modern import distributed
    return distributed.mirrored(replicas)


def replay_batches(experiment: Experiment, seed: int, perturbation: Perturbation, setup,
                   order, steps: int) -> tuple[list, list]:
    """(legacy's, the modern side's) first `steps` batches as (inputs,
    targets or None) pairs: legacy's from `order` (tf1_order, or a
    recording's), the modern side's as `setup` (sides.modern_setup) and
    the perturbation make them."""
    from modern import input_data  # imports TensorFlow
    variant, batch_size = experiment.variant, experiment.hyper.batch_size

    def pairs(batches):
        return [batch if isinstance(batch, tuple) else (batch, None) for batch in batches]
    legacy_batches = pairs(sides.tf1_batches(experiment.arrays.train_images, order[:steps], seed,
                                       variant))
    if perturbation.order == "tf1":
        modern_batches = pairs(sides.tf1_batches(setup.arrays.train_images, order[:steps], seed,
                                           variant))
    else:
        stream = input_data.make_dataset(setup.arrays.train_images, batch_size, seed, variant,
                                         seed)
        modern_batches = [(x.numpy(), y.numpy() if variant.denoising else None)
                          for x, y in stream.take(steps)]
    return legacy_batches, modern_batches


def make_replay(experiment: Experiment, seed: int, mode: str, perturbation: Perturbation,
                legacy_run, steps: int):
    """Both sides set up as `compare_seed` trained them, to be stepped one
    step at a time for `steps` steps (parity/divergence.py)."""
    from legacy.steps import LegacyStepper  # imports TensorFlow
    setup = sides.modern_setup(experiment, seed, mode, perturbation, legacy_run.initial_weights)
    legacy_batches, modern_batches = replay_batches(
        experiment, seed, perturbation, setup, sides.tf1_order(experiment, seed, steps), steps)
    legacy = LegacyStepper(experiment.hyper, experiment.variant, legacy_run.initial_weights)
    modern = sides.modern_stepper(experiment, setup, seed)
    return divergence.Replay(legacy, modern, legacy_batches, modern_batches, experiment.hyper,
                             experiment.variant, setup.options.optimizer == "keras_adam")


def explain(experiment: Experiment, seed: int, mode: str, perturbation: Perturbation,
            legacy_run, loss_step: int) -> divergence.Divergence:
    """Where the difference of a seed whose losses differ from `loss_step`
    on was born, and the referee's judgement."""
    replay = make_replay(experiment, seed, mode, perturbation, legacy_run, loss_step)
    try:
        return divergence.localize(replay, loss_step)
    finally:
        replay.legacy.close()


def side_summary(side: SideResult, labels, clusters, baseline: float) -> dict:
    from parity import metrics  # scikit-learn: loaded once a comparison runs
    if side.run is None:
        return {"step_losses": [], "epoch_costs": [], "test_cost": None,
                "quality": {"finite": False}, "failure": side.failure, "variant_report": {},
                "collapsed": None}
    run = side.run
    return {"step_losses": run.step_losses, "epoch_costs": run.epoch_costs,
            "test_cost": run.test_cost,
            "quality": metrics.code_quality(run.test_codes, labels, clusters),
            "failure": None, "variant_report": sides.variant_numbers(run.variant_report),
            "collapsed": collapse.is_collapsed(run.test_cost, baseline)}


class SeedResult(NamedTuple):
    """One seed of a comparison: its report record, its timings, both runs."""

    record: dict
    timing: dict
    runs: tuple              # (legacy run, modern run); None for a side that stopped


def compare_seed(experiment: Experiment, seed: int, mode: str,
                 perturbation: Perturbation = NONE, log=print, explain_step=True,
                 recorded: SideResult | None = None, localize=None) -> SeedResult:
    """Train both sides for one seed and compare them under `mode`'s
    standard; when their losses differ and `explain_step`, find where the
    difference was born (the record's `divergence`, else None). With
    `recorded` (a golden recording's legacy run), only the modern side
    trains, from the recording's initial weights and on its batch order,
    and a mismatch is localized by `localize` (parity/golden/against.py,
    with the recording's traces; same arguments as `explain`)."""
    from parity import metrics  # scikit-learn: loaded once a comparison runs
    if recorded is None:
        legacy, modern = sides.train_both(experiment, seed, mode, perturbation, log)
    else:
        legacy = recorded
        modern = sides.run_modern(experiment, seed, mode, perturbation,
                                  recorded.run.initial_weights if recorded.run else None, log,
                                  order=recorded.run.order if recorded.run else None)
    trained = time.perf_counter()
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
    found, started = None, time.perf_counter()
    # The first step whose loss differs; a side that stopped on a NaN/Inf
    # loss differs there (its losses are not in the record).
    loss_steps = [losses["first_differing_step"], legacy.failed_at, modern.failed_at]
    loss_step = min((step for step in loss_steps if step is not None), default=None)
    if explain_step and legacy.run is not None and loss_step is not None:
        found = (localize or explain)(experiment, seed, mode, perturbation, legacy.run,
                                      loss_step)
    explain_seconds = time.perf_counter() - started
    baseline = experiment.baseline_test_cost
    record = {"seed": seed, "legacy": side_summary(legacy, labels, clusters[0], baseline),
              "modern": side_summary(modern, labels, clusters[1], baseline),
              "losses": losses, "codes": codes, "reasons": reasons,
              "divergence": found.as_record() if found is not None else None}
    timing = {"seed": seed, "legacy_seconds": legacy.seconds, "modern_seconds": modern.seconds,
              "explain_seconds": explain_seconds,
              "metrics_seconds": time.perf_counter() - trained - explain_seconds,
              "legacy_epoch_seconds": list(legacy.epoch_seconds),
              "modern_epoch_seconds": list(modern.epoch_seconds)}
    for name, side in (("legacy", legacy), ("modern", modern)):
        timing[f"{name}_steps_per_second"] = \
            len(side.run.step_losses) / side.run.seconds if side.run and side.run.seconds \
            else 0.0  # 0: stopped, or recorded (not timed here)
    return SeedResult(record, timing, (legacy.run, modern.run))
