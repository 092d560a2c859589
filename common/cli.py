"""Command-line pieces both `python -m legacy` and `python -m modern` use:
the flags of the original experiment, their validation, and the rule that a
user mistake ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
from typing import NamedTuple

from common import sources, variants
from tf1kit.data import mnist
from common.config import ORIGINAL_STEPS_PER_EPOCH, Hyperparameters
from common.errors import NonFiniteLoss, PeerLost
from tf1kit import cli as kit_cli
from tf1kit.cli import (EXIT_USAGE, MAX_SEED, ArgumentParser,  # noqa: F401  (the entry points')
                        integer_between, non_negative_int, positive_int, program_name,
                        quiet_tensorflow_logs, seed_int)
from tf1kit.errors import DataError

EXIT_TRAINING = 3   # training failed (NaN/Inf loss)
EXIT_PEER_LOST = 4  # a multi-worker run lost another worker (modern/launcher.py)

# Upper bounds that turn a typo into an error instead of a days-long run.
MAX_EPOCHS = 10_000          # the original ran 10
MAX_STEPS = 1_000_000        # per epoch, or per benchmark run
epochs_int = integer_between(1, MAX_EPOCHS, f"a number of epochs from 1 to {MAX_EPOCHS}")
steps_int = integer_between(1, MAX_STEPS, f"a number of steps from 1 to {MAX_STEPS}")


def learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text}")
    return value


def add_experiment_flags(parser: argparse.ArgumentParser, default_plot: str) -> None:
    """Flags shared by both implementations' entry points."""
    defaults = Hyperparameters()
    parser.add_argument(
        "--verbose", action="store_true",
        help="show TensorFlow's start-up and C++ log lines (hidden by default)")
    parser.add_argument(
        "--data", default="sample", metavar="SOURCE",
        help="where MNIST comes from: 'sample' (the bundled 5,000 real digits, "
             "default), 'keras' (Keras's cached ~/.keras/datasets/mnist.npz), a "
             "folder of the four IDX .gz files (missing files are downloaded "
             "from --source-url, as TF1 did), or a path to an mnist.npz")
    parser.add_argument(
        "--seed", type=seed_int, default=0,
        help="seed for the initial weights and the batch order (default 0); "
             "the original was unseeded and differed on every run")
    parser.add_argument(
        "--epochs", type=epochs_int, default=defaults.training_epochs,
        help=f"training epochs (default {defaults.training_epochs}, as the original; "
             f"at most {MAX_EPOCHS})")
    parser.add_argument(
        "--batch-size", type=positive_int, default=defaults.batch_size,
        help=f"examples per optimizer step (default {defaults.batch_size}); at most "
             "the number of training images")
    parser.add_argument(
        "--learning-rate", type=learning_rate, default=defaults.learning_rate,
        help=f"Adam learning rate (default {defaults.learning_rate})")
    parser.add_argument(
        "--steps-per-epoch", type=steps_int, default=None,
        help="optimizer steps per epoch; default int(training images / batch "
             f"size) as the original, except on the bundled sample where it is "
             f"{ORIGINAL_STEPS_PER_EPOCH}, the original's count on full MNIST, so "
             "the total step budget stays the original's 2,140")
    parser.add_argument(
        "--source-url", default=None, metavar="URL",
        help="where missing IDX files of a --data folder are downloaded from "
             "(default TF1's mirror); downloads must match the published MNIST SHA-256")
    add_variant_flags(parser)
    if default_plot is not None:
        parser.add_argument(
            "--plot", default=default_plot, metavar="PNG",
            help=f"where to save the scatter plot of the test codes (default {default_plot})")


def _float_flag(low, high, description):
    """An argparse type: a finite float in [low, high] (high None: no bound)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {description}, got {text!r}") from None
        if not math.isfinite(value) or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {description}, got {text}")
        return value
    return parse


def add_variant_flags(parser: argparse.ArgumentParser) -> None:
    """--variant and its own flags, shared by all three entry points."""
    group = parser.add_argument_group(
        "variant", "the post's three autoencoders; without --variant: the original (deep)")
    group.add_argument("--variant", choices=variants.VARIANTS, default="deep",
                       help="deep (the original), sparse (KL sparsity penalty on the "
                            "sigmoid hidden layers) or denoising (reconstruct clean "
                            "images from corrupted inputs)")
    group.add_argument("--sparsity-target", type=_float_flag(1e-6, 1 - 1e-6, "a number in (0, 1)"),
                       default=None, metavar="RHO",
                       help=f"sparse: target mean activation rho (default "
                            f"{variants.DEFAULT_SPARSITY_TARGET}, Ng's CS294A notes)")
    group.add_argument("--sparsity-weight", type=_float_flag(0, None, "a number >= 0"),
                       default=None, metavar="BETA",
                       help=f"sparse: weight beta of the KL penalty (default 3/392 = "
                            f"{variants.DEFAULT_SPARSITY_WEIGHT:.5f}: Ng's beta 3, rescaled "
                            "because the original's cost averages over the 784 pixels)")
    group.add_argument("--weight-decay", type=_float_flag(0, None, "a number >= 0"),
                       default=None, metavar="LAMBDA",
                       help="sparse: L2 weight decay lambda, adding lambda/2 * sum W^2 "
                            "(default 0)")
    group.add_argument("--noise", choices=variants.NOISES, default=None,
                       help="denoising: masking (pixels set to 0), gaussian (added, "
                            "clipped to [0, 1]) or salt-pepper (default masking)")
    group.add_argument("--noise-level", type=_float_flag(0, None, "a number >= 0"),
                       default=None, metavar="LEVEL",
                       help="denoising: masked/salted fraction, or Gaussian sigma "
                            f"(defaults: {variants.DEFAULT_NOISE_LEVEL})")


def variant_from(args):
    """The Variant the flags describe; a flag of another variant is an error."""
    own = {"sparse": ("sparsity_target", "sparsity_weight", "weight_decay"),
           "denoising": ("noise", "noise_level")}
    for name, flags in own.items():
        for flag in flags:
            if getattr(args, flag) is not None and args.variant != name:
                raise DataError(f"--{flag.replace('_', '-')} applies to --variant {name} only")
    given = {flag: getattr(args, flag) for flags in own.values() for flag in flags
             if getattr(args, flag) is not None}
    try:
        return variants.Variant(args.variant, **given)
    except ValueError as error:
        raise DataError(f"--variant {args.variant}: {error}") from None


def hyperparameters_from(args) -> Hyperparameters:
    return Hyperparameters(learning_rate=args.learning_rate, training_epochs=args.epochs,
                           batch_size=args.batch_size)


class LoadedData(NamedTuple):
    """`--data`, resolved, read and checked once, before TensorFlow loads."""

    source: object               # the common.sources.DataSource
    raw: dict                    # the checked uint8 arrays (common.sources.load_raw)
    steps_per_epoch: int | None  # None: the original's int(examples / batch size)
    explanation: str | None      # a line explaining a non-default step budget


def load_data(args) -> LoadedData:
    """Resolve `--data`, then fetch and check it before TensorFlow loads (so
    every data problem answers in about a second), and settle the steps per
    epoch. Each file is read here once; both sides build on these arrays."""
    source = sources.DataSource(args.data)
    raw = sources.load_raw(source, args.source_url or mnist.DEFAULT_SOURCE_URL)
    steps, explanation = steps_per_epoch_for(
        args, source, len(raw["train_images"]) - source.validation_size)
    return LoadedData(source, raw, steps, explanation)


def steps_per_epoch_for(args, source, num_train_examples: int):
    """The steps per epoch to run (None: the original's int(examples / batch
    size)), and a line explaining a non-default choice. A batch larger than
    the training set is a DataError: TF1's next_batch would silently return
    short batches."""
    if args.batch_size > num_train_examples:
        raise DataError(f"--batch-size {args.batch_size} is larger than the "
                        f"{num_train_examples} training images; lower --batch-size")
    if args.steps_per_epoch is not None:
        return args.steps_per_epoch, None
    if source.is_sample:
        passes = ORIGINAL_STEPS_PER_EPOCH * args.batch_size / num_train_examples
        return ORIGINAL_STEPS_PER_EPOCH, (
            f"bundled sample: {num_train_examples} training images; each epoch runs "
            f"the original's {ORIGINAL_STEPS_PER_EPOCH} steps (int(55000/256)), "
            f"about {passes:.1f} passes over the sample, to keep its optimizer-step "
            f"budget (--steps-per-epoch to change)")
    return None, None


def check_output_path(path: str) -> None:
    """Fail before training, not after, when an output cannot be written."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        raise DataError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise DataError(f"cannot write {path}: folder {folder} is not writable")
    if os.path.isdir(path):
        raise DataError(f"cannot write {path}: it is a folder")


def check_creatable(path: str, flag: str) -> None:
    """Fail before any work when `path` (a file or folder, possibly in
    folders not yet made) could not be created: its nearest existing
    ancestor must be a writable folder."""
    ancestor = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor) or not os.access(ancestor, os.W_OK):
        raise DataError(f"cannot create {flag} {path}: {ancestor} is not a writable folder")


def run_main(main, program: str, argv=None, safe_points: bool = True) -> int:
    """The kit's run_main (one line and a status for a user's mistake, clean
    stops at signals) with the experiment's own failures: a NaN loss
    (EXIT_TRAINING) and a lost multi-worker peer (EXIT_PEER_LOST)."""
    return kit_cli.run_main(main, program, argv, safe_points,
                            exits=((NonFiniteLoss, EXIT_TRAINING), (PeerLost, EXIT_PEER_LOST)))
