"""`python -m modern`: the original experiment, the Keras 3 way.

Loads the same data as `python -m legacy`, trains the Keras model with a
tf.function step (or `model.fit`), prints the original's lines and saves
the scatter plot of the test codes to a PNG.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import NamedTuple

from common import cli, collapse, variants
from tf1kit import quiet
from tf1kit.errors import DataError
from modern import backend as backends
from modern import backup as backups
from modern import launcher


def device_scope(name: str, exact: bool):
    """tf.device for --device; on GPU, TF32 off where exactness is claimed."""
    import tensorflow as tf

    if name == "gpu" and not tf.config.list_physical_devices("GPU"):
        raise DataError("--device gpu: TensorFlow sees no GPU on this machine")
    if exact:
        # Ampere+ GPUs run float32 matmuls in TF32 by default.
        tf.config.experimental.enable_tensor_float_32_execution(False)
    return contextlib.nullcontext() if name == "auto" else tf.device(f"/{name.upper()}:0")


def build_parser():
    parser = cli.ArgumentParser(
        prog="python -m modern",
        description="Run the original autoencoder (784-128-64-10-2) rewritten with "
                    "Keras 3 and tf.function.")
    cli.add_experiment_flags(parser, default_plot="modern_codes.png")
    parser.add_argument(
        "--exact", action="store_true",
        help="use the two faithful deviations from idiom (TF1Adam and the tf.add "
             "bias layer) that make training bit-identical to legacy/; default is "
             "the idiomatic model (stock Dense, stock Adam with epsilon 1e-8)")
    parser.add_argument(
        "--loop", choices=("in-graph", "step", "fit"), default="in-graph",
        help="'in-graph' (default): one tf.function call per epoch with the loop "
             "inside the graph and the training set resident; 'step': a tf.function "
             "call per batch, the readable reference (the same numbers, bit for bit); "
             "both keep the original's step budget; 'fit': Keras's model.fit over "
             "whole passes of the data")
    parser.add_argument(
        "--device", choices=("auto", "cpu", "gpu"), default="auto",
        help="where to train: 'auto' lets TensorFlow choose (the GPU if one is "
             "visible), 'cpu' or 'gpu' force it ('gpu' fails if none is present)")
    parser.add_argument(
        "--backend", choices=backends.BACKENDS, default=backends.DEFAULT,
        help="the Keras backend: tensorflow (default), or jax / torch for the portable "
             "rewrite (modern/portable.py: the deep variant, its own compiled step)")
    launcher.add_flags(parser)
    parser.add_argument(
        "--save-model", metavar="PATH.keras",
        help="also save the trained model in the native .keras format")
    parser.add_argument(
        "--from-tf1-checkpoint", metavar="CKPT",
        help="skip training: load a checkpoint the original TF1 program saved with "
             "tf.train.Saver (prefix path, e.g. model.ckpt) and plot its codes")
    return parser


def check_args(parser, args, variant) -> None:
    """Refuse bad flags in one line, before the data and TensorFlow load."""
    launcher.check_flags(parser, args, variant)
    if args.backend != backends.DEFAULT:
        for given, flag in ((args.strategy, "--strategy"), (args.backup_dir, "--backup-dir"),
                            (args.save_model, "--save-model"),
                            (args.from_tf1_checkpoint, "--from-tf1-checkpoint"),
                            (args.loop != "in-graph", f"--loop {args.loop}"),
                            (variant.name != "deep", f"--variant {variant.name}")):
            if given:
                raise DataError(f"--backend {args.backend} runs the portable rewrite (the deep "
                                f"variant, its own compiled step): drop {flag}")
        backends.select(args.backend)
    cli.check_output_path(args.plot)
    if args.save_model:
        cli.check_output_path(args.save_model)
        if not args.save_model.endswith(".keras"):
            raise DataError(f"--save-model {args.save_model}: the file name must end in .keras")
    checkpoint = args.from_tf1_checkpoint
    if checkpoint and not (os.path.isdir(checkpoint) or os.path.isfile(checkpoint + ".index")):
        raise DataError(f"{checkpoint}: not a readable TF checkpoint (no {checkpoint}.index); "
                        "give the prefix the TF1 Saver was given, e.g. out/model.ckpt")
    if args.strategy == "multi-worker" and "TF_CONFIG" in os.environ:
        cluster, _ = launcher.cluster_from_environment()
        if args.workers not in (None, len(cluster)):
            raise DataError(f"--workers {args.workers}: TF_CONFIG names {len(cluster)} "
                            "workers (with TF_CONFIG set, this process is one of them)")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    variant = cli.variant_from(args)
    check_args(parser, args, variant)
    if args.strategy == "multi-worker" and "TF_CONFIG" not in os.environ:
        # This process only starts the workers (modern/launcher.py), each a `python -m modern`.
        return launcher.launch(sys.argv[1:] if argv is None else list(argv),
                               args.workers or 2, args.ports)
    backup = backups.from_flags(args, variant)
    loaded = cli.load_data(args)
    if args.backend != backends.DEFAULT:
        return train_portable(args, variant, loaded)

    cli.quiet_tensorflow_logs()
    from common import plots
    from tf1kit import files
    from modern import checkpoints, distributed, input_data, options
    files.raise_if_interrupted()  # a Ctrl-C during the import stops here
    strategy, worker = distributed_setup(args) if args.strategy else (None, 0)
    hyper = cli.hyperparameters_from(args)
    data = input_data.arrays_from(loaded.raw, loaded.source.validation_size)
    loaded.raw.clear()  # the scaled copies are all that is needed from here on
    run = Run(hyper, options.preset(args.exact), variant, data, strategy, backup)
    with device_scope(args.device if strategy is None else "auto", args.exact), \
            distributed.peers_watched(strategy):
        if args.from_tf1_checkpoint:
            model, codes = from_checkpoint(args, run)
        elif args.loop == "fit":
            model, codes = train_with_fit(args, run)
        else:
            model, codes = train_with_loop(args, run, loaded)
    if strategy is not None:
        print(f"final weights sha256 {distributed.weights_digest(model)}")
    files.raise_if_interrupted()
    if worker != 0:
        print(f"worker {worker} is done; the chief (worker 0) writes the outputs")
        return 0
    configuration = "exact" if args.exact else "idiomatic"
    plots.save_code_scatter(codes, data.test_labels, args.plot,
                            title=f"modern (Keras 3, {configuration}, {variant.name}): "
                                  "test-set codes")
    print(f"scatter plot saved to {args.plot}")
    if args.save_model:
        checkpoints.save_model(model, args.save_model)
        print(f"model saved to {args.save_model}")
    if backup is not None:
        backup.finish()  # after the outputs: a run killed before them can still resume
    return 0


class Run(NamedTuple):
    """What every way of getting the trained model shares."""

    hyper: object            # common.config.Hyperparameters
    choices: object          # modern.options.TrainingOptions
    variant: object
    data: object             # modern.input_data.Arrays
    strategy: object         # a tf.distribute strategy, or None
    backup: object           # a modern.backup.EpochBackup, or None


def from_checkpoint(args, run: Run):
    """(model, test codes) of a checkpoint the TF1 program saved."""
    from modern import autoencoder, checkpoints
    model = autoencoder.build_model(run.hyper, args.seed, run.choices, run.variant)
    checkpoints.import_tf1_checkpoint(model, args.from_tf1_checkpoint)
    print(f"loaded TF1 checkpoint {args.from_tf1_checkpoint}")
    return model, model.encode(run.data.test_images).numpy()


def train_with_fit(args, run: Run):
    """(model, test codes) trained by Keras's model.fit."""
    import keras

    from modern import autoencoder, training
    with run.strategy.scope() if run.strategy is not None else contextlib.nullcontext():
        model = autoencoder.build_model(run.hyper, args.seed, run.choices, run.variant)
    # fit's shuffle is seeded by --seed (training.fit), and so are Keras's
    # own random ops: the same order on every worker of a multi-worker run.
    keras.utils.set_random_seed(args.seed)
    started = time.perf_counter()
    history = training.fit(model, run.data.train_images, run.hyper,
                           verbose="auto" if sys.stdout.isatty() else 0,
                           variant=run.variant, seed=args.seed, backup=run.backup)
    seconds = time.perf_counter() - started
    print("Optimization Finished!")
    print(f"trained {len(history.epoch)} epochs in {seconds:.1f} s")
    return model, model.encode(run.data.test_images).numpy()


def train_with_loop(args, run: Run, loaded):
    """(model, test codes) trained by the custom loop (modern/training.py)."""
    from modern import training
    from modern.batches import Loop
    if loaded.explanation:
        print(loaded.explanation)
    steps = loaded.steps_per_epoch or int(len(run.data.train_images) / run.hyper.batch_size)
    trained = training.train(run.data, run.hyper, run.choices, seed=args.seed,
                             variant=run.variant, loop=Loop(
                                 steps_per_epoch=steps,
                                 steps_per_call=steps if args.loop == "in-graph" else 1,
                                 strategy=run.strategy, backup=run.backup))
    print(f"trained {len(trained.step_losses)} steps in {trained.seconds:.1f} s "
          f"({len(trained.step_losses) / max(trained.seconds, 1e-9):.0f} steps/s)")
    for line in variants.report_lines(run.variant, trained.variant_report):
        print(line)
    print(collapse.describe(trained.test_cost, collapse.mean_image_mse(
        run.data.train_images, run.data.test_images)))
    return trained.model, trained.test_codes


def train_portable(args, variant, loaded) -> int:
    """`--backend jax|torch`: the portable rewrite, trained and plotted."""
    from common import plots
    from tf1kit import files
    from modern import input_data, options, portable
    hyper = cli.hyperparameters_from(args)
    data = input_data.arrays_from(loaded.raw, loaded.source.validation_size)
    if loaded.explanation:
        print(loaded.explanation)
    if args.backend == "jax":
        backends.configure_jax("gpu" if args.device == "gpu" else "cpu")
    run = portable.train(data, hyper, options.preset(args.exact), seed=args.seed,
                         steps_per_epoch=loaded.steps_per_epoch)
    print(f"trained {len(run.step_losses)} steps on {args.backend} in {run.seconds:.1f} s "
          f"({len(run.step_losses) / max(run.seconds, 1e-9):.0f} steps/s)")
    print(collapse.describe(run.test_cost, collapse.mean_image_mse(data.train_images,
                                                                  data.test_images)))
    files.raise_if_interrupted()
    configuration = "exact" if args.exact else "idiomatic"
    plots.save_code_scatter(run.test_codes, data.test_labels, args.plot,
                            title=f"modern (Keras 3 on {args.backend}, {configuration}): "
                                  "test-set codes")
    print(f"scatter plot saved to {args.plot}")
    return 0


def distributed_setup(args):
    """(the strategy --strategy asks for, this process's worker index), made
    before TensorFlow's runtime starts (logical devices, collectives)."""
    from modern import distributed
    if args.strategy == "mirrored":
        strategy = distributed.mirrored(args.replicas)
        print(f"tf.distribute.MirroredStrategy over {strategy.num_replicas_in_sync} "
              f"replicas: {', '.join(strategy.extended.worker_devices)}")
        return strategy, 0
    strategy, worker = distributed.multi_worker()
    print(f"tf.distribute.MultiWorkerMirroredStrategy: worker {worker} of "
          f"{strategy.num_replicas_in_sync} replicas")
    return strategy, worker


if __name__ == "__main__":
    quiet.unless_verbose(sys.argv[1:])  # TensorFlow's start-up lines (tf1kit/quiet.py)
    sys.exit(cli.run_main(main, "python -m modern"))
