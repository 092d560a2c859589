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

import dataclasses
import datetime
import os
import shlex
import sys
import time

from common import cli, files
from parity import engine, report
from parity.golden import recording, step_traces
from parity.engine import MODES
from parity.perturbations import NONE, PERTURBATIONS

DEFAULT_IDIOMATIC_SEEDS = 5
EXIT_STATUS = {"match": 0, "equivalent": 0, "rounding": 0, "mismatch": 1, "different": 1,
               "inconclusive": 3}
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
             "existing recording is replaced only with --force")
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
        from modern.launcher import check_split  # no TensorFlow
        try:
            check_split(args.batch_size, args.replicas)
        except ValueError as error:
            parser.error(str(error))
    if args.record is not None:
        for flag, value in (("--perturb", args.perturb), ("--out", args.out)):
            if value is not None:
                parser.error(f"--record trains only the legacy side and writes only DIR: "
                             f"drop {flag}")
    return args


def _trace_values(text):
    from parity.golden.step_traces import parse_steps
    try:
        return parse_steps(text)
    except ValueError as error:
        import argparse
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    golden = members = chosen_because = None
    if args.against is not None:  # checked and applied before anything else
        from parity.golden import against as golden_check
        from parity.golden.sets import RecordingSet
        members = RecordingSet(args.against)
        golden_check.apply_config(args, members.manifest, args.against, parse_args)
    variant = cli.variant_from(args)
    if args.record is not None:
        recording.check_folder(args.record, args.force)
    else:
        report.check_results_folder(args.out, args.force)
    loaded = cli.load_data(args)  # each file read once, checked before TensorFlow loads
    threads = {key: value for key, value in (("intra_op", args.intra_op_threads),
                                              ("inter_op", args.inter_op_threads)) if value}
    if members is not None:
        golden_check.check_data(members.manifest, loaded.source, args.against)
    here = engine.environment_before(args.device)  # TensorFlow imported, not started
    if members is not None:
        member, chosen_because = members.choose(here)
        # The recording's thread counts, unless a flag says otherwise.
        threads = {**(golden_check.threads_of(member.manifest["environment"]) or {}),
                   **threads}
        golden = member.manifest, member.arrays
    environment = engine.configure_tensorflow(args.device, threads)
    strategy = engine.make_strategy(args.replicas) if args.strategy else None
    files.raise_if_interrupted()  # a Ctrl-C during the import stops here
    from parity import plots, summary, verdict

    log = (lambda line: None) if args.quiet else print
    started = time.perf_counter()
    started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    hyper = cli.hyperparameters_from(args)
    experiment = engine.make_experiment(loaded.raw, loaded.source.validation_size, hyper,
                                        variant, loaded.steps_per_epoch, data_seed=args.seed,
                                        legacy=golden is None)
    experiment = dataclasses.replace(experiment, strategy=strategy)
    if loaded.explanation:
        log(loaded.explanation)
    perturbation = PERTURBATIONS[args.perturb] if args.perturb else NONE
    seeds = [args.seed + offset for offset in range(args.seeds)]
    config = {**dataclasses.asdict(hyper), "layer_sizes": list(hyper.layer_sizes),
              "steps_per_epoch": experiment.steps_per_epoch,
              "total_steps": experiment.total_steps, "variant": variant.describe(),
              **({"strategy": {"name": args.strategy, "replicas": args.replicas,
                               "devices": list(strategy.extended.worker_devices)}}
                 if strategy is not None else {})}
    environment_record = {**here, **environment}
    if args.record is not None:
        value_steps = step_traces.DEFAULT_VALUE_STEPS if args.trace_values is None \
            else args.trace_values
        command = " ".join(["python compare.py", *map(shlex.quote, argv)])
        print(recording.record(args.record, experiment, seeds, {**config, "seeds": seeds},
                               recording.data_record(loaded.source), environment_record,
                               value_steps, log, command))
        return 0
    recorded = {}
    if golden is not None:
        recorded = golden_check.recorded_sides(*golden, experiment.arrays.test_labels)
        differences = golden_check.environment_differences(golden[0]["environment"],
                                                           environment_record)
        bit_differences = golden_check.bit_compatibility(golden[0]["environment"],
                                                         environment_record)
    # Explained: every mismatching seed in exact mode; in idiomatic mode,
    # where the losses part is expected, the first seed only.
    results = [engine.compare_seed(experiment, seed, args.mode, perturbation, log,
                                   explain_step=not args.no_explain and (
                                       args.mode == "exact" or seed == seeds[0]),
                                   recorded=recorded.get(seed))
               for seed in seeds]
    records = [result.record for result in results]
    overall, statistics = verdict.overall(args.mode, records)
    if golden is not None and bit_differences and args.mode == "exact":
        from parity.golden import rounding  # another environment: a bit difference is judged
        overall = rounding.overall(records, bit_differences)
    result = {
        "schema_version": report.SCHEMA_VERSION, "mode": args.mode, "perturb": args.perturb,
        "config": config,
        "data": {"source": loaded.source.describe(),
                 "train_examples": len(experiment.arrays.train_images),
                 "test_examples": len(experiment.arrays.test_images),
                 "validation_size": loaded.source.validation_size,
                 "baseline_test_cost": experiment.baseline_test_cost},
        "environment": environment_record,
        "seeds": seeds, "runs": records, "statistics": statistics, "verdict": overall,
        **({"recording": golden_check.describe(member.folder, golden[0], differences,
                                               bit_differences, chosen_because)}
           if golden is not None else {}),
        "timings": {"started": started_at, "per_seed": [r.timing for r in results],
                    "total_seconds": time.perf_counter() - started},
    }

    def write(folder):
        plots.save_comparison(folder, records, results[0].runs, experiment.arrays, variant)
        report.write_json(result, os.path.join(folder, "report.json"))
    files.raise_if_interrupted()  # before any output, not half-way through it
    out = report.publish_results(args.out, write)
    print(summary.render(result, out))
    return EXIT_STATUS[overall["outcome"]]


if __name__ == "__main__":
    sys.exit(cli.run_main(main, "python compare.py"))
