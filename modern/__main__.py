"""`python -m modern`: the original experiment, the Keras 3 way.

Loads the same data as `python -m legacy`, trains the Keras model with a
tf.function step (or `model.fit`), prints the original's lines and saves
the scatter plot of the test codes to a PNG.
"""

from __future__ import annotations

import contextlib
import os
import sys

from common import cli, collapse, variants
from common.errors import DataError


def device_scope(name: str, exact: bool):
    """tf.device for --device; on GPU, TF32 off where exactness is claimed."""
    import tensorflow as tf

    if name == "gpu" and not tf.config.list_physical_devices("GPU"):
        raise DataError("--device gpu: TensorFlow sees no GPU on this machine")
    if exact:
        # Ampere+ GPUs run float32 matmuls in TF32 by default.
        tf.config.experimental.enable_tensor_float_32_execution(False)
    return contextlib.nullcontext() if name == "auto" else tf.device(f"/{name.upper()}:0")


def main(argv=None) -> int:
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
        "--strategy", choices=("mirrored",), default=None,
        help="train data-parallel with tf.distribute.MirroredStrategy over --replicas "
             "devices (GPUs, else logical CPU devices): the global batch split in equal "
             "slices, the loss scaled by the global batch (modern/distributed.py); the "
             "custom loops and the deep variant only, for now")
    parser.add_argument(
        "--replicas", type=cli.integer_between(1, 64, "a number of replicas from 1 to 64"),
        default=None,
        help="replicas for --strategy (default 2)")
    parser.add_argument(
        "--save-model", metavar="PATH.keras",
        help="also save the trained model in the native .keras format")
    parser.add_argument(
        "--from-tf1-checkpoint", metavar="CKPT",
        help="skip training: load a checkpoint the original TF1 program saved with "
             "tf.train.Saver (prefix path, e.g. model.ckpt) and plot its codes")
    args = parser.parse_args(argv)
    variant = cli.variant_from(args)
    if args.replicas is not None and args.strategy is None:
        parser.error("--replicas applies to --strategy mirrored only")
    if args.strategy is not None:
        args.replicas = args.replicas or 2
        for refused, why in ((args.loop == "fit", "--loop fit"),
                             (variant.name != "deep", f"--variant {variant.name}"),
                             (args.device != "auto", f"--device {args.device}"),
                             (bool(args.from_tf1_checkpoint), "--from-tf1-checkpoint")):
            if refused:
                parser.error(f"--strategy trains the deep variant with the custom loops on "
                             f"the devices it picks: drop {why}")
        if args.batch_size % args.replicas:
            parser.error(f"--replicas {args.replicas} does not divide --batch-size "
                         f"{args.batch_size}: each replica takes an equal slice of the "
                         "global batch")
    cli.check_output_path(args.plot)
    if args.save_model:
        cli.check_output_path(args.save_model)
        if not args.save_model.endswith(".keras"):
            raise DataError(f"--save-model {args.save_model}: the file name must end in .keras")
    checkpoint = args.from_tf1_checkpoint
    if checkpoint and not (os.path.isdir(checkpoint) or os.path.isfile(checkpoint + ".index")):
        raise DataError(f"{checkpoint}: not a readable TF checkpoint (no {checkpoint}.index); "
                        "give the prefix the TF1 Saver was given, e.g. out/model.ckpt")
    loaded = cli.load_data(args)

    cli.quiet_tensorflow_logs()
    from common import files, plots
    from modern import autoencoder, checkpoints, input_data, options, training
    files.raise_if_interrupted()  # a Ctrl-C during the import stops here
    strategy = None
    if args.strategy is not None:  # its devices exist only if made before the runtime starts
        from modern import distributed
        strategy = distributed.mirrored(args.replicas)
        print(f"tf.distribute.MirroredStrategy over {strategy.num_replicas_in_sync} "
              f"replicas: {', '.join(strategy.extended.worker_devices)}")

    hyper = cli.hyperparameters_from(args)
    choices = options.preset(args.exact)
    data = input_data.arrays_from(loaded.raw, loaded.source.validation_size)
    loaded.raw.clear()  # the scaled copies are all that is needed from here on
    with device_scope(args.device if strategy is None else "auto", args.exact):
        if args.from_tf1_checkpoint:
            model = autoencoder.build_model(hyper, args.seed, choices, variant)
            checkpoints.import_tf1_checkpoint(model, args.from_tf1_checkpoint)
            codes = model.encode(data.test_images).numpy()
            print(f"loaded TF1 checkpoint {args.from_tf1_checkpoint}")
        elif args.loop == "fit":
            model = autoencoder.build_model(hyper, args.seed, choices, variant)
            training.fit(model, data.train_images, hyper,
                         verbose="auto" if sys.stdout.isatty() else 0, variant=variant,
                         seed=args.seed)
            print("Optimization Finished!")
            codes = model.encode(data.test_images).numpy()
        else:
            if loaded.explanation:
                print(loaded.explanation)
            steps = loaded.steps_per_epoch or int(len(data.train_images) / hyper.batch_size)
            run = training.train(data, hyper, choices, seed=args.seed, variant=variant,
                                 steps_per_epoch=steps,
                                 steps_per_call=steps if args.loop == "in-graph" else 1,
                                 strategy=strategy)
            model, codes = run.model, run.test_codes
            print(f"trained {len(run.step_losses)} steps in {run.seconds:.1f} s")
            for line in variants.report_lines(variant, run.variant_report):
                print(line)
            print(collapse.describe(run.test_cost, collapse.mean_image_mse(
                data.train_images, data.test_images)))
    files.raise_if_interrupted()
    configuration = "exact" if args.exact else "idiomatic"
    plots.save_code_scatter(codes, data.test_labels, args.plot,
                            title=f"modern (Keras 3, {configuration}, {variant.name}): "
                                  "test-set codes")
    print(f"scatter plot saved to {args.plot}")
    if args.save_model:
        checkpoints.save_model(model, args.save_model)
        print(f"model saved to {args.save_model}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_main(main, "python -m modern"))
