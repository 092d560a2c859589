"""compare.py: train legacy/ and modern/ from the same seeds and prove they match.

    python compare.py                      # exact mode on the bundled sample
    python compare.py --mode idiomatic     # stock Keras; statistical verdict over 5 seeds
    python compare.py --perturb epsilon    # a negative control: must report a mismatch

Exit status: 0 match, 1 mismatch, 2 usage or data error. This is the only
module that imports both implementations.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import os
import sys
import time
from typing import NamedTuple

import numpy as np

from common import cli, files, report
from common.config import Hyperparameters
from common.errors import DataError, NonFiniteLoss
from common.perturbations import NONE, PERTURBATIONS, Perturbation
from common.variants import Variant

MODES = ("exact", "idiomatic")  # the presets of modern/options.py
DEFAULT_IDIOMATIC_SEEDS = 5
MAX_SEEDS = 100


def parse_args(argv):
    parser = cli.ArgumentParser(
        prog="python compare.py",
        description="Train the legacy (tf.compat.v1) and modern (Keras 3) autoencoders "
                    "from the same seed, initial weights and batch order, and report "
                    "whether their losses and latent codes match.")
    cli.add_experiment_flags(parser, default_plot=None)
    parser.add_argument(
        "--mode", choices=MODES, default="exact",
        help="'exact' (default): modern's faithful configuration; match = bit-identical "
             "losses at every step and codes within 1e-6. 'idiomatic': stock Keras "
             "layers and Adam; match = early losses within 1e-5 and no statistically "
             "detectable difference in final metrics across --seeds")
    parser.add_argument(
        "--seeds", type=cli.integer_between(1, MAX_SEEDS, f"a number of seeds from 1 to {MAX_SEEDS}"),
        default=None,
        help="number of seeds (seed, seed+1, ...); default 1 in exact mode, "
             f"{DEFAULT_IDIOMATIC_SEEDS} in idiomatic mode (which needs at least 2)")
    parser.add_argument(
        "--device", choices=("cpu", "gpu"), default="cpu",
        help="where both sides train (default cpu); gpu fails clearly without a GPU")
    parser.add_argument(
        "--perturb", choices=sorted(PERTURBATIONS), default=None,
        help="negative control, breaks the modern side on purpose: " + "; ".join(
            f"{row.name}: {row.description}" for row in PERTURBATIONS.values()))
    parser.add_argument(
        "--out", default=None, metavar="DIR",
        help="folder for report.json and the plots; must be new or empty unless "
             "--force (default: a new comparisons/run-NNN each time)")
    parser.add_argument("--force", action="store_true",
                        help="allow --out to be a folder that already holds files")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the summary, not each side's epoch lines")
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = DEFAULT_IDIOMATIC_SEEDS if args.mode == "idiomatic" else 1
    if args.mode == "idiomatic" and args.seeds < 2:
        parser.error("--mode idiomatic needs --seeds 2 or more for its statistical test")
    if args.seed + args.seeds - 1 > cli.MAX_SEED:
        parser.error(f"--seed {args.seed} with --seeds {args.seeds} runs seeds past "
                     f"{cli.MAX_SEED}, the largest numpy accepts")
    return args


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


def run_side(train) -> SideResult:
    """Call a side's train(); a NaN/Inf loss becomes a recorded failure."""
    started = time.perf_counter()
    try:
        return SideResult(train(), None, time.perf_counter() - started)
    except NonFiniteLoss as error:
        return SideResult(None, str(error), time.perf_counter() - started)


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


def run_modern(experiment: Experiment, seed: int, mode: str,
               perturbation: Perturbation = NONE, legacy_run=None, log=print) -> SideResult:
    """The modern side in `mode`'s preset, changed as `perturbation` says.

    It starts from `legacy_run`'s initial values (same start: the
    alternative, the same stateless seeded init on both sides, would move
    legacy's init away from the original's tf.truncated_normal and
    tf.random_normal ops) and trains on legacy's batches, unless the
    perturbation says otherwise or legacy stopped before (`legacy_run` None).
    """
    from modern import options, training
    hyper = perturbation.apply_hyperparameters(experiment.hyper)
    arrays = perturbation.apply_data(experiment.arrays)
    initial = None
    if perturbation.start == "keras-default":
        initial = keras_default_start(hyper, seed)
    elif perturbation.start == "legacy" and legacy_run is not None:
        initial = legacy_run.initial_weights
    batches = None  # modern's own tf.data order
    if perturbation.order == "tf1":
        batches = tf1_batches(arrays.train_images, hyper.batch_size, experiment.total_steps,
                              seed, experiment.variant)
    return run_side(lambda: training.train(
        arrays, hyper, perturbation.apply_options(options.PRESETS[mode]), seed=seed,
        variant=experiment.variant, initial_weights=initial, batches=batches,
        steps_per_epoch=experiment.steps_per_epoch, show_progress=False,
        log=lambda line: log(f"[modern seed {seed}] {line}")))


def side_summary(side: SideResult, labels, clusters) -> dict:
    from common import metrics
    if side.run is None:
        return {"step_losses": [], "epoch_costs": [], "test_cost": None,
                "quality": {"finite": False}, "failure": side.failure, "variant_report": {}}
    run = side.run
    numbers = {key: value for key, value in run.variant_report.items()
               if not isinstance(value, np.ndarray)}  # images go to the plots, not the JSON
    return {"step_losses": run.step_losses, "epoch_costs": run.epoch_costs,
            "test_cost": run.test_cost,
            "quality": metrics.code_quality(run.test_codes, labels, clusters),
            "failure": None, "variant_report": numbers}


class SeedResult(NamedTuple):
    """One seed of a comparison: its report record, its timings, both runs."""

    record: dict
    timing: dict
    runs: tuple              # (legacy run, modern run); None for a side that stopped


def compare_seed(experiment: Experiment, seed: int, mode: str,
                 perturbation: Perturbation = NONE, log=print) -> SeedResult:
    """Train both sides for one seed and compare them under `mode`'s standard."""
    from common import metrics, verdict
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
    record = {"seed": seed, "legacy": side_summary(legacy, labels, clusters[0]),
              "modern": side_summary(modern, labels, clusters[1]),
              "losses": losses, "codes": codes, "reasons": reasons}
    timing = {"seed": seed, "legacy_seconds": legacy.seconds, "modern_seconds": modern.seconds}
    for name, side in (("legacy", legacy), ("modern", modern)):
        timing[f"{name}_steps_per_second"] = \
            len(side.run.step_losses) / side.run.seconds if side.run else 0.0
    return SeedResult(record, timing, (legacy.run, modern.run))


def main(argv=None) -> int:
    args = parse_args(argv)
    variant = cli.variant_from(args)
    report.check_results_folder(args.out, args.force)
    loaded = cli.load_data(args)  # each file read once, checked before TensorFlow loads
    environment = configure_tensorflow(args.device)
    files.raise_if_interrupted()  # a Ctrl-C during the import stops here
    from common import plots, summary, verdict

    log = (lambda line: None) if args.quiet else print
    started = time.perf_counter()
    started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    hyper = cli.hyperparameters_from(args)
    experiment = make_experiment(loaded.raw, loaded.source.validation_size, hyper, variant,
                                 loaded.steps_per_epoch, data_seed=args.seed)
    if loaded.explanation:
        log(loaded.explanation)
    perturbation = PERTURBATIONS[args.perturb] if args.perturb else NONE
    seeds = [args.seed + offset for offset in range(args.seeds)]
    results = [compare_seed(experiment, seed, args.mode, perturbation, log) for seed in seeds]
    records = [result.record for result in results]
    overall, statistics = verdict.overall(args.mode, records)
    steps = experiment.steps_per_epoch
    result = {
        "schema_version": report.SCHEMA_VERSION, "mode": args.mode, "perturb": args.perturb,
        "config": {**dataclasses.asdict(hyper), "layer_sizes": list(hyper.layer_sizes),
                   "steps_per_epoch": steps, "total_steps": experiment.total_steps,
                   "variant": variant.describe()},
        "data": {"source": loaded.source.describe(),
                 "train_examples": experiment.mnist.train.num_examples,
                 "test_examples": experiment.mnist.test.num_examples,
                 "validation_size": loaded.source.validation_size},
        "environment": {"versions": report.versions(), **environment},
        "seeds": seeds, "runs": records, "statistics": statistics, "verdict": overall,
        "timings": {"started": started_at, "per_seed": [r.timing for r in results],
                    "total_seconds": time.perf_counter() - started},
    }

    def write(folder):
        plots.save_comparison(folder, records, results[0].runs, experiment.arrays, variant)
        report.write_json(result, os.path.join(folder, "report.json"))
    files.raise_if_interrupted()  # before any output, not half-way through it
    out = report.publish_results(args.out, write)
    print(summary.render(result, out))
    return 0 if overall["match"] else 1


if __name__ == "__main__":
    sys.exit(cli.run_main(main, "python compare.py"))
