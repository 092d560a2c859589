"""compare.py: train legacy/ and modern/ from the same seeds and prove they match.

    python compare.py                      # exact mode on the bundled sample
    python compare.py --mode idiomatic     # stock Keras; equivalence test over 5 seeds
    python compare.py --perturb epsilon    # a negative control: must report a mismatch

Exit status: 0 match, equivalent or rounding (against a recording made in
another environment: not bit-identical, born as float32 rounding), 1
mismatch or different, 2 usage or data error, 3 inconclusive (idiomatic
mode: more seeds would decide). The command line
of the comparison engine, `parity/`, the only package that imports both
implementations.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from common import cli
from tf1kit import quiet
from tf1kit.trace.tracefile import parse_steps
from modern.backend import BACKENDS, DEFAULT
from modern.launcher import check_split  # no TensorFlow
from parity import comparison
from parity.engine import MODES
from parity.perturbations import PERTURBATIONS

DEFAULT_IDIOMATIC_SEEDS = 5
EXIT_STATUS = {"match": 0, "equivalent": 0, "rounding": 0, comparison.RECORDED: 0,
               "mismatch": 1, "different": 1, "inconclusive": 3}
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
             "layers and Adam; equivalent = early losses within 1e-5 and each final "
             "metric's 90%% interval of the difference within its equivalence margin "
             "across --seeds (two one-sided tests); else different or inconclusive")
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
    parser.add_argument("--no-explain", action="store_true",
                        help="skip finding where a mismatch is born (the first differing "
                             "tensor, by a step-by-step replay, and its float64 referee)")
    parser.add_argument(
        "--record", default=None, metavar="DIR",
        help="train only the legacy side and write it to DIR as a golden recording "
             "(manifest.json and one seed-N.npz per seed) instead of comparing; an "
             "existing recording is replaced only with --force. It takes longer than a live "
             "comparison: the original's Session runs as the script left it (without the "
             "live comparison's Grappler setting, MIGRATION.md T17) and the traced steps are "
             "replayed one at a time")
    parser.add_argument(
        "--trace-values", default=None, metavar="STEPS", type=_trace_values,
        help="with --record: the steps whose every tensor is kept in full (default 1-3; "
             "'none', or e.g. 1-3,100); every traced step (1-3, each 100th and these) keeps "
             "each tensor's SHA-256, enough to find the first differing one. A full step "
             "of the default model is about 5 MB")
    parser.add_argument(
        "--against", default=None, metavar="DIR",
        help="train only the modern side and compare it with the golden recording in DIR "
             "(made by --record), with the recording's configuration, seeds and data")
    parser.add_argument(
        "--strategy", choices=("mirrored",), default=None,
        help="train the modern side under tf.distribute.MirroredStrategy over --replicas "
             "devices (GPUs, else logical CPU devices), the global batch split in equal "
             "slices (modern/distributed.py); deep variant, live comparisons only")
    parser.add_argument(
        "--replicas", type=cli.integer_between(1, 64, "a number of replicas from 1 to 64"),
        default=None, help="replicas for --strategy mirrored (default 2)")
    parser.add_argument(
        "--intra-op-threads", type=cli.integer_between(1, 1024, "a thread count from 1 to 1024"),
        default=None, metavar="N",
        help="TensorFlow's threads within an op (default: one per CPU; with --against: the "
             "recording's). On some CPUs it changes a matmul's bits (docs/bit_envelope.md): "
             "against a recording, another count is another environment, whose difference "
             "is judged (ROUNDING or MISMATCH)")
    parser.add_argument(
        "--inter-op-threads", type=cli.integer_between(1, 1024, "a thread count from 1 to 1024"),
        default=None, metavar="N",
        help="TensorFlow's threads between ops (default: one per CPU; with --against: the "
             "recording's)")
    parser.add_argument(
        "--backend", choices=BACKENDS, default=DEFAULT,
        help="the Keras backend the modern side runs on (default tensorflow). On jax or "
             "torch it is the portable rewrite (modern/portable.py); no backend is "
             "bit-identical to TensorFlow's kernels, so exact mode judges the difference "
             "(ROUNDING or MISMATCH). With --against, a run on jax or torch loads no "
             "TensorFlow at all")
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
    if args.record is not None and args.against is not None:
        parser.error("--record makes a recording, --against uses one: give one of them")
    if args.trace_values is not None and args.record is None:
        parser.error("--trace-values says what --record keeps: give --record DIR")
    if args.replicas is not None and args.strategy is None:
        parser.error("--replicas applies to --strategy mirrored only")
    if args.strategy is not None:
        args.replicas = args.replicas or 2
        for refused, why in ((args.record is not None, "--record"),
                             (args.against is not None, "--against"),
                             (args.variant != "deep", f"--variant {args.variant}"),
                             (args.perturb == "xla", "--perturb xla (the distributed step "
                                                     "runs without XLA)")):
            if refused:
                parser.error(f"--strategy trains the modern side of a live comparison of "
                             f"the deep variant: drop {why}")
        try:
            check_split(args.batch_size, args.replicas)
        except ValueError as error:
            parser.error(str(error))
    if args.backend != DEFAULT:
        row = PERTURBATIONS.get(args.perturb)
        # The rows the portable rewrite honours: other hyperparameters, data
        # or starting weights, not the TensorFlow model's options or order.
        portable = row is None or (not row.options and row.start == "legacy"
                                   and row.order == "tf1")
        for refused, flag in ((args.record is not None, "--record (legacy alone: TensorFlow)"),
                              (args.strategy is not None, "--strategy"),
                              (not portable, f"--perturb {args.perturb}"),
                              (args.variant != "deep", f"--variant {args.variant}")):
            if refused:
                parser.error(f"--backend {args.backend} trains the deep variant's rewrite, "
                             "without tf.distribute or the negative controls that change "
                             f"TensorFlow's model: drop {flag}")
    if args.record is not None:
        for flag, value in (("--perturb", args.perturb), ("--out", args.out)):
            if value is not None:
                parser.error(f"--record trains only the legacy side and writes only DIR: "
                             f"drop {flag}")
    return args


def _trace_values(text):
    try:
        return parse_steps(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    defaults = parse_args(["--mode", args.mode])  # to tell a given flag from a recording's
    command = " ".join(["python compare.py", *map(shlex.quote, argv)])
    return EXIT_STATUS[comparison.run(args, defaults, command)]


if __name__ == "__main__":
    quiet.unless_verbose(sys.argv[1:])  # TensorFlow's start-up lines (tf1kit/quiet.py)
    sys.exit(cli.run_main(main, "python compare.py"))
