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

import numpy as np

from common import cli, files, report, sources
from common.errors import DataError, NonFiniteLoss

# Negative controls: each breaks the modern side in one known way.
PERTURBATIONS = {
    "epsilon": "Keras's default Adam epsilon 1e-7 instead of TF1's 1e-8",
    "init-stddev": "Keras's default initializer stddev 0.05 instead of 1.0 (own seeded start)",
    "divide-255": "pixels scaled by x / 255 instead of TF1's x * (1/255)",
    "bias-add": "stock Dense (tf.nn.bias_add) instead of the original's tf.add",
    "adam": "stock keras.optimizers.Adam instead of TF1Adam",
    "keras-mse": "keras.losses.MeanSquaredError instead of the original's expression",
    "keras-init": "Keras's default glorot_uniform kernels and zero biases (own seeded start)",
    "xla": "the train step compiled with XLA (jit_compile=True)",
    "shuffle": "modern's own tf.data batch order instead of TF1's next_batch order",
}
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
        "--mode", choices=("exact", "idiomatic"), default="exact",
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
            f"{name}: {text}" for name, text in PERTURBATIONS.items()))
    parser.add_argument(
        "--out", default=None, metavar="DIR",
        help="folder for report.json and the plots; must be new or empty unless "
             "--force (default: a new comparisons/run-NNN each time)")
    parser.add_argument("--force", action="store_true",
                        help="allow --out to be a folder that already holds files")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the summary, not each side's epoch lines")
    parser.add_argument("--source-url", default=sources.DEFAULT_SOURCE_URL,
                        help="where missing IDX files are downloaded from")
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


def tf1_batch_indices(num_examples, batch_size, steps, seed):
    """Indices of the examples in each of the `steps` batches that legacy's
    loop draws: TF1's `next_batch` run on a DataSet whose "images" are the
    example indices, with numpy seeded as `legacy.training.train` seeds it.
    """
    import tensorflow as tf

    from legacy.input_data import DataSet

    identities = np.arange(num_examples).reshape(num_examples, 1, 1, 1)
    dataset = DataSet(identities, np.zeros(num_examples), dtype=tf.uint8, seed=seed)
    np.random.seed(seed)
    return [dataset.next_batch(batch_size)[0][:, 0] for _ in range(steps)]


def run_side(train):
    """Call a side's train(); a NaN/Inf loss becomes a recorded failure."""
    started = time.perf_counter()
    try:
        return train(), None, time.perf_counter() - started
    except NonFiniteLoss as error:
        return None, str(error), time.perf_counter() - started


def side_summary(run, failure, labels, clusters):
    from common import metrics
    if run is None:
        return {"step_losses": [], "epoch_costs": [], "test_cost": None,
                "quality": {"finite": False}, "failure": failure, "variant_report": {}}
    numbers = {key: value for key, value in run.variant_report.items()
               if not isinstance(value, np.ndarray)}  # images go to the plots, not the JSON
    return {"step_losses": run.step_losses, "epoch_costs": run.epoch_costs,
            "test_cost": run.test_cost,
            "quality": metrics.code_quality(run.test_codes, labels, clusters),
            "failure": None, "variant_report": numbers}


def perturbed(args, hyper, arrays):
    """The modern side's (hyperparameters, train options, arrays) under --perturb."""
    if args.perturb == "epsilon":
        return dataclasses.replace(hyper, adam_epsilon=1e-7), {}, arrays
    if args.perturb == "init-stddev":
        return dataclasses.replace(hyper, init_stddev=0.05), {}, arrays
    if args.perturb == "divide-255":
        def rescale(x):
            return np.rint(x * 255).astype(np.float32) / np.float32(255)
        return hyper, {}, dataclasses.replace(arrays, train_images=rescale(arrays.train_images),
                                              test_images=rescale(arrays.test_images))
    if args.perturb == "bias-add":
        return hyper, {"use_add_bias": False}, arrays
    if args.perturb == "adam":
        return hyper, {"use_tf1_adam": False}, arrays
    if args.perturb == "keras-mse":
        import keras
        return hyper, {"loss_fn": keras.losses.MeanSquaredError()}, arrays
    if args.perturb == "xla":
        return hyper, {"jit_compile": True}, arrays
    return hyper, {}, arrays


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
    for step, index in enumerate(tf1_batch_indices(len(images), batch_size, steps, seed)):
        batch = images[index]
        yield (corrupt(batch, variant.noise, variant.level, seed, step), batch) \
            if variant.denoising else batch


def compare_seed(seed, args, hyper, variant, mnist, arrays, steps_per_epoch, log):
    """Train both sides for one seed; return (record, timing, runs)."""
    from common import metrics, verdict
    from legacy import training as legacy_training
    from modern import training as modern_training

    total_steps = steps_per_epoch * hyper.training_epochs
    fresh = mnist._replace(train=copy.copy(mnist.train))  # unshuffled, unread
    legacy_run, legacy_failure, legacy_seconds = run_side(lambda: legacy_training.train(
        fresh, hyper, graph_seed=seed, data_seed=seed, steps_per_epoch=steps_per_epoch,
        variant=variant, noise_seed=seed,
        log=lambda line: log(f"[legacy seed {seed}] {line}")))

    modern_hyper, options, modern_arrays = perturbed(args, hyper, arrays)
    batches = None if args.perturb == "shuffle" else tf1_batches(  # None: modern's own order
        modern_arrays.train_images, hyper.batch_size, total_steps, seed, variant)
    # Same start: legacy's initial values, transferred. The alternative, the
    # same stateless seeded init on both sides, would change legacy's init
    # path away from the original's tf.truncated_normal/tf.random_normal ops.
    initial = None
    if args.perturb == "keras-init":
        initial = keras_default_start(hyper, seed)
    elif legacy_run is not None and args.perturb != "init-stddev":
        initial = legacy_run.initial_weights
    modern_run, modern_failure, modern_seconds = run_side(lambda: modern_training.train(
        modern_arrays, modern_hyper, seed=seed, exact=args.mode == "exact",
        initial_weights=initial, batches=batches, steps_per_epoch=steps_per_epoch,
        variant=variant, noise_seed=seed, show_progress=False,
        log=lambda line: log(f"[modern seed {seed}] {line}"), **options))

    labels = arrays.test_labels
    losses = verdict.compare_losses(
        legacy_run.step_losses if legacy_run else np.zeros(0, np.float32),
        modern_run.step_losses if modern_run else np.zeros(0, np.float32))
    failures = [f"{name}: {failure}" for name, failure in
                (("legacy", legacy_failure), ("modern", modern_failure)) if failure]
    # k-means once per code set: both the quality and the agreement use it.
    clusters = [metrics.clusters_of(run.test_codes) if run else None
                for run in (legacy_run, modern_run)]
    codes = {"finite": False}
    if legacy_run is not None and modern_run is not None:
        codes = metrics.code_agreement(legacy_run.test_codes, modern_run.test_codes, labels,
                                       clusters)
    if args.mode == "exact":
        reasons = verdict.exact_reasons(losses, codes.get("max_abs_difference"), failures)
    else:
        reasons = verdict.early_reasons(losses, failures)
    record = {"seed": seed,
              "legacy": side_summary(legacy_run, legacy_failure, labels, clusters[0]),
              "modern": side_summary(modern_run, modern_failure, labels, clusters[1]),
              "losses": losses, "codes": codes, "reasons": reasons}
    timing = {"seed": seed, "legacy_seconds": legacy_seconds, "modern_seconds": modern_seconds}
    for name, run in (("legacy", legacy_run), ("modern", modern_run)):
        timing[f"{name}_steps_per_second"] = len(run.step_losses) / run.seconds if run else 0.0
    return record, timing, (legacy_run, modern_run)


def main(argv=None) -> int:
    args = parse_args(argv)
    variant = cli.variant_from(args)
    report.check_results_folder(args.out, args.force)
    # read_data_sets below reads the checked data again, the way legacy/ does.
    source, _, steps, explanation = cli.load_data(args)
    environment = configure_tensorflow(args.device)
    files.raise_if_interrupted()  # a Ctrl-C during the import stops here
    from common import plots, summary, verdict
    from legacy import input_data as legacy_input_data
    from modern import input_data as modern_input_data

    log = (lambda line: None) if args.quiet else print
    started = time.perf_counter()
    started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    hyper = cli.hyperparameters_from(args)
    mnist = legacy_input_data.read_data_sets(source.path, validation_size=source.validation_size,
                                             seed=args.seed, source_url=args.source_url)
    # Both sides train on the very arrays TF1's loader produced.
    arrays = modern_input_data.Arrays(mnist.train.images, mnist.train.labels,
                                      mnist.test.images, mnist.test.labels)
    steps = steps or int(mnist.train.num_examples / hyper.batch_size)  # >= 1: batch <= images
    if explanation:
        log(explanation)
    seeds = [args.seed + offset for offset in range(args.seeds)]
    records, timings, first_runs = [], [], None
    for seed in seeds:
        record, timing, runs = compare_seed(seed, args, hyper, variant, mnist, arrays, steps,
                                            log)
        records.append(record)
        timings.append(timing)
        first_runs = first_runs or runs
    overall, statistics = verdict.overall(args.mode, records)
    shared_config = dataclasses.asdict(hyper)
    result = {
        "schema_version": report.SCHEMA_VERSION, "mode": args.mode, "perturb": args.perturb,
        "config": {**shared_config, "layer_sizes": list(hyper.layer_sizes),
                   "steps_per_epoch": steps, "total_steps": steps * hyper.training_epochs,
                   "variant": variant.describe()},
        "data": {"source": source.describe(), "train_examples": mnist.train.num_examples,
                 "test_examples": mnist.test.num_examples,
                 "validation_size": source.validation_size},
        "environment": {"versions": report.versions(), **environment},
        "seeds": seeds, "runs": records, "statistics": statistics, "verdict": overall,
        "timings": {"started": started_at, "per_seed": timings,
                    "total_seconds": time.perf_counter() - started},
    }

    def write(folder):
        plots.save_comparison(folder, records, first_runs, arrays, variant)
        report.write_json(result, os.path.join(folder, "report.json"))
    files.raise_if_interrupted()  # before any output, not half-way through it
    out = report.publish_results(args.out, write)
    print(summary.render(result, out))
    return 0 if overall["match"] else 1


if __name__ == "__main__":
    sys.exit(cli.run_main(main, "python compare.py"))
