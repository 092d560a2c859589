"""`python -m legacy`: the original experiment, end to end, on TF 2.x.

Loads MNIST with the TF1 loader, trains the original graph in a Session,
prints the original's lines and saves its scatter plot to a PNG.
"""

from __future__ import annotations

import sys

from common import cli, collapse, variants
from tf1kit import quiet


def main(argv=None) -> int:
    parser = cli.ArgumentParser(
        prog="python -m legacy",
        description="Run the original TF1 autoencoder (784-128-64-10-2) through "
                    "tf.compat.v1: placeholders, Session, feed_dict.")
    cli.add_experiment_flags(parser, default_plot="legacy_codes.png")
    parser.add_argument(
        "--save-checkpoint", metavar="PREFIX",
        help="also save the trained graph with tf.compat.v1.train.Saver (e.g. "
             "out/model.ckpt); `python -m modern --from-tf1-checkpoint` reads it")
    args = parser.parse_args(argv)
    variant = cli.variant_from(args)
    cli.check_output_path(args.plot)
    if args.save_checkpoint:
        cli.check_output_path(args.save_checkpoint)
    # DEPARTURE: the data is fetched, read and checked before TensorFlow
    # loads, so every data problem answers in about a second; the TF1
    # loader then builds its DataSets from those arrays (read once).
    loaded = cli.load_data(args)

    # Imported here so that --help and input errors answer without loading TF.
    cli.quiet_tensorflow_logs()
    from common import plots
    from tf1kit import files
    from legacy import training
    from tf1kit.data import input_data
    files.raise_if_interrupted()  # a Ctrl-C during the import stops here

    hyper = cli.hyperparameters_from(args)
    mnist = input_data.data_sets_from_arrays(loaded.raw, one_hot=False,
                                             validation_size=loaded.source.validation_size,
                                             seed=args.seed)
    if loaded.explanation:
        print(loaded.explanation)
    run = training.train(mnist, hyper, graph_seed=args.seed, data_seed=args.seed,
                         steps_per_epoch=loaded.steps_per_epoch,
                         checkpoint_path=args.save_checkpoint, variant=variant)
    for line in variants.report_lines(variant, run.variant_report):
        print(line)
    print(collapse.describe(run.test_cost, collapse.mean_image_mse(mnist.train.images,
                                                                   mnist.test.images)))
    files.raise_if_interrupted()
    plots.save_code_scatter(run.test_codes, run.test_labels, args.plot,
                            title=f"legacy (tf.compat.v1, {variant.name}): test-set codes")
    print(f"trained {len(run.step_losses)} steps in {run.seconds:.1f} s; "
          f"scatter plot saved to {args.plot}")
    if args.save_checkpoint:
        print(f"TF1 checkpoint saved to {args.save_checkpoint}")
    return 0


if __name__ == "__main__":
    quiet.unless_verbose(sys.argv[1:])  # TensorFlow's start-up lines (tf1kit/quiet.py)
    sys.exit(cli.run_main(main, "python -m legacy"))
