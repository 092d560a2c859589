"""How fast each training path runs, against each other and the hardware.

    python -m benchmarks                                      # bundled sample
    python -m benchmarks --data /usr/share/datasets/fashion-mnist --out docs/benchmarks_fashion

All paths run in this one process, interleaved: each round trains every
path for the same number of steps (one epoch of the data, or 214 steps if
an epoch is shorter) in an order rotated by one each round, after a
warm-up round. Keras `fit` is called once for all rounds, as users call
it; the other paths take their turns from its epoch callbacks, outside its
timed epochs. Per path: median and range of steps/s; per round, each
path's ratio to legacy in that same round (median and range); two
"fraction of peak" references (benchmarks/references.py). Peak memory is
measured per path in a child process of its own (`--no-memory` skips it).
Results: a JSON file, a Markdown page and a plot holding one entry per
machine fingerprint (a run replaces only its own machine's); the headline
ratios are also compared with this machine's previous results at --out.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys

import numpy as np

from common import cli, sources
from tf1kit.errors import DataError
from tf1kit.files import atomic_path

HEADLINE_BATCH = 256
MIN_STEPS_PER_ROUND = 214   # a full-size epoch; at 100, two runs on the sample disagreed by 20%
AGREEMENT = 0.10            # two back-to-back runs' headline ratios should agree this well


def machine() -> dict:
    import keras
    import tensorflow as tf

    from tf1kit import environment
    return {**environment.fingerprint(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "python": platform.python_version(),
            "intra_op_threads": os.environ.get("TF_NUM_INTRAOP_THREADS", "default")}


def prepare(data: str, batch_size: int, rounds: int, steps: int | None):
    """The paths' Setup: the training split, TF1's batch order for `rounds`
    rounds of `steps` steps (default: one epoch, at least MIN_STEPS_PER_ROUND)."""
    from benchmarks.paths import Setup
    from common.config import Hyperparameters
    from tf1kit.data import input_data
    from modern import autoencoder, checkpoints, options
    source = sources.DataSource(data)
    mnist = input_data.data_sets_from_arrays(sources.load_raw(source),
                                             validation_size=source.validation_size)
    images = mnist.train.images
    steps = steps or max(len(images) // batch_size, MIN_STEPS_PER_ROUND)
    order = input_data.tf1_batch_indices(len(images), batch_size, rounds * steps, seed=0)
    hyper = Hyperparameters(batch_size=batch_size)
    initial = checkpoints.get_original_weights(autoencoder.build_model(hyper, 0, options.EXACT))
    return Setup(hyper, images, np.stack(order).astype(np.int32).reshape(rounds, steps, -1),
                 initial)


def run_rounds(setup, names, warmup: int, references, log, fit_input="dataset") -> dict:
    """Seconds per round per path (warm-up rounds dropped), interleaved."""
    import time

    from benchmarks import paths
    runners = {name: paths.RUNNERS[name](setup) for name in names if name != "keras_fit"}
    seconds = {name: [] for name in names}
    rounds = len(setup.indices)

    def order(number):
        return names[number % len(names):] + names[:number % len(names)]

    def turn(name, number):
        with paths.collector_paused():
            started = time.perf_counter()
            runners[name](number)
            seconds[name].append(time.perf_counter() - started)

    def end_of_round(number):
        for reference in references:
            for _ in range(reference.per_round):
                reference.reading()
        label = "warm-up" if number < warmup else f"round {number - warmup + 1}"
        log(f"  {label}: " + ", ".join(f"{name} {setup.steps / seconds[name][-1]:.0f}"
                                       for name in names) + " steps/s")

    if "keras_fit" not in names:
        for number in range(rounds):
            for name in order(number):
                turn(name, number)
            end_of_round(number)
    else:
        def before(number):
            turns = order(number)
            for name in turns[:turns.index("keras_fit")]:
                turn(name, number)

        def after(number):
            turns = order(number)
            for name in turns[turns.index("keras_fit") + 1:]:
                turn(name, number)
            end_of_round(number)
        fit = paths.FitPath(setup, fit_input)
        seconds["keras_fit"] = fit.seconds
        fit.fit(rounds, before, after)
    return {name: values[warmup:] for name, values in seconds.items()}


def summarise(seconds: dict, steps: int, flops: int, references) -> dict:
    """Per path: steps/s (median, range), per-round ratio to legacy, and the
    fraction of each reference's best rate."""
    rates = {name: steps / np.asarray(values) for name, values in seconds.items()}
    legacy = rates.get("legacy")
    summary = {}
    for name, rate in rates.items():
        achieved = float(np.median(rate)) * flops / 1e9
        entry = {"steps_per_second": [float(r) for r in rate], "median": float(np.median(rate)),
                 "min": float(rate.min()), "max": float(rate.max()),
                 "fraction_of": {ref.name: achieved / ref.best for ref in references}}
        if legacy is not None:
            ratios = rate / legacy
            entry["vs_legacy"] = {"per_round": [float(r) for r in ratios],
                                  "median": float(np.median(ratios)),
                                  "min": float(ratios.min()), "max": float(ratios.max())}
        summary[name] = entry
    return summary


def peak_memory_mib() -> float:
    """This process's peak resident memory. Linux's VmHWM, which starts
    afresh with the program: ru_maxrss carries over the peak of the process
    that forked this one (here, the parent benchmark, 1.1 GB, which made
    every path look alike)."""
    try:
        with open("/proc/self/status", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_memory(path: str, args, batch_size: int) -> float:
    """Peak resident memory (MiB) of one path alone, two rounds, in a child."""
    command = [sys.executable, "-m", "benchmarks", "--child", path, "--data", args.data,
               "--batch-sizes", str(batch_size), "--rounds", "1", "--no-memory",
               "--intra-op-threads", str(args.intra_op_threads),
               "--fit-input", args.fit_input]
    if args.steps:
        command += ["--steps", str(args.steps)]
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if result.returncode != 0:
        raise RuntimeError(f"memory benchmark of {path} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["peak_rss_mib"]


def benchmark_batch(args, batch_size: int, log) -> dict:
    """Every asked path at one batch size: rounds, references, memory."""
    from benchmarks import references
    setup = prepare(args.data, batch_size, 1 + args.rounds, args.steps)
    layer_sizes = setup.hyper.layer_sizes
    if args.child:  # its memory only: no references, which allocate their own
        run_rounds(setup, list(args.paths), 1, [], log, args.fit_input)
        return {}
    large = references.large_matmul()
    own = references.own_matmuls(layer_sizes, batch_size)
    log(f"batch {batch_size}: {args.rounds} rounds of {setup.steps} steps per path, "
        "after one warm-up round")
    seconds = run_rounds(setup, list(args.paths), 1, [large, own], log, args.fit_input)
    flops = references.flops_per_step(layer_sizes, batch_size)
    result = {"batch_size": batch_size, "steps_per_round": setup.steps,
              "flops_per_step": flops,
              "references": {key: {"name": ref.name, "best_gflops": ref.best,
                                   "median_gflops": float(np.median(ref.readings)),
                                   "readings": len(ref.readings)}
                             for key, ref in (("large", large), ("own", own))},
              "paths": summarise(seconds, setup.steps, flops, [large, own])}
    if args.memory:
        result["peak_rss_mib"] = {}
        for name in args.paths:
            result["peak_rss_mib"][name] = measure_memory(name, args, batch_size)
            log(f"  peak memory of {name} alone: {result['peak_rss_mib'][name]:.0f} MiB")
    return result


def parse_args(argv):
    from benchmarks.paths import DESCRIPTIONS, FIT_INPUTS, PATH_NAMES
    parser = cli.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="sample", help="data source, as compare.py --data")
    parser.add_argument("--batch-sizes", type=cli.positive_int, nargs="+",
                        default=[HEADLINE_BATCH], help=f"batch sizes (default {HEADLINE_BATCH})")
    parser.add_argument("--paths", nargs="+", default=list(PATH_NAMES), choices=PATH_NAMES,
                        help="paths to time (default all): " + "; ".join(
                            f"{name}: {text}" for name, text in DESCRIPTIONS.items()))
    parser.add_argument("--rounds", type=cli.integer_between(1, 1000, "a number of rounds "
                                                             "from 1 to 1000"), default=9,
                        help="timed rounds after the warm-up round (default 9; at 5, two "
                             "back-to-back full-size runs put one headline ratio 15%% apart)")
    parser.add_argument("--steps", type=cli.steps_int, default=None,
                        help=f"steps per path per round (default: one epoch of the data, "
                             f"at least {MIN_STEPS_PER_ROUND})")
    parser.add_argument("--intra-op-threads", type=cli.integer_between(
                            0, 1024, "a number of threads from 0 (TensorFlow's default) to 1024"),
                        default=0, help="TensorFlow's intra-op pool size, for every path "
                        "alike (default 0: TensorFlow's default, one per core)")
    parser.add_argument("--fit-input", choices=tuple(FIT_INPUTS), default="dataset",
                        help="what keras_fit is given: " + "; ".join(
                            f"{name}: {text}" for name, text in FIT_INPUTS.items())
                        + " (default dataset)")
    parser.add_argument("--no-memory", dest="memory", action="store_false",
                        help="skip the per-path peak memory (a child process per path)")
    parser.add_argument("--out", default="docs/benchmarks",
                        help="path prefix of the .json, .md and .png written")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.paths = list(dict.fromkeys(args.paths))
    return args


def write_results(document: dict, out: str) -> None:
    """The results file, its Markdown page and its plot, each written whole."""
    from benchmarks import report as outputs
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with atomic_path(out + ".json") as temporary, open(temporary, "w") as stream:
        json.dump(document, stream, indent=1)
    title = "Benchmarks: " + os.path.basename(out)
    with atomic_path(out + ".md") as temporary, open(temporary, "w") as stream:
        stream.write(outputs.markdown(document, title))
    outputs.save_plot(document, out + ".png")


def print_spreads(entries: dict) -> None:
    """Each path's round spread, and whether fit's holds within the
    in-graph paths' (fit's input pipeline once made it the widest)."""
    from benchmarks import report as outputs
    spreads = {name: outputs.spread(entry) for name, entry in entries.items()}
    print("round spread, (max - min) / median: " + ", ".join(
        f"{name} {value:.1%}" for name, value in spreads.items()))
    in_graph = [spreads[name] for name in ("modern_in_graph", "idiomatic_in_graph")
                if name in spreads]
    if "keras_fit" in spreads and in_graph:
        held = spreads["keras_fit"] <= max(in_graph)
        print(f"keras_fit's spread {spreads['keras_fit']:.1%} is "
              + ("within" if held else "WIDER than") + " the in-graph paths' "
              f"({max(in_graph):.1%} at most)")


def main(argv=None) -> int:
    from benchmarks import report as outputs
    args = parse_args(argv)
    cli.quiet_tensorflow_logs()
    if args.intra_op_threads:  # read when TensorFlow starts its runtime, below
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(args.intra_op_threads)
    if args.child:  # one path alone, for its peak memory: one JSON line
        args.paths = [args.child]
        benchmark_batch(args, args.batch_sizes[0], log=lambda line: None)
        print(json.dumps({"peak_rss_mib": peak_memory_mib()}))
        return 0
    # Every input problem answers here, before the first round starts.
    cli.check_creatable(args.out + ".json", "--out")
    document = outputs.load_document(args.out + ".json")
    source = sources.DataSource(args.data)
    available = len(sources.load_raw(source)["train_images"]) - source.validation_size
    if max(args.batch_sizes) > available:
        raise DataError(f"--batch-sizes {max(args.batch_sizes)} is larger than the {available} "
                        f"training images of {source.describe()}")
    report = {"machine": machine(), "data": source.describe(),
              "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
              "command": " ".join(["python -m benchmarks",
                                   *(sys.argv[1:] if argv is None else argv)]),
              "settings": {"rounds": args.rounds, "warmup_rounds": 1, "steps": args.steps,
                           "intra_op_threads": args.intra_op_threads,
                           "fit_input": args.fit_input, "paths": args.paths,
                           "interleaved": True, "memory": args.memory},
              "batches": [benchmark_batch(args, batch, lambda line: print(line, flush=True))
                          for batch in args.batch_sizes]}
    headline_batch = HEADLINE_BATCH if HEADLINE_BATCH in args.batch_sizes else args.batch_sizes[0]
    report["headline"] = {"batch_size": headline_batch,
                          "vs_legacy": outputs.headline(report, headline_batch)}
    previous = document["machines"].get(outputs.machine_key(report["machine"]))
    report["change_from_previous"] = outputs.agreement(previous, report, headline_batch)
    write_results(outputs.merge(document, report), args.out)
    print(outputs.section(report))
    print_spreads(report["batches"][0]["paths"])
    change = report["change_from_previous"]
    if change:
        worst = max(change, key=lambda name: abs(change[name]))
        print("against this machine's previous results at this --out: " + ", ".join(
            f"{name} {value:+.1%}" for name, value in change.items())
            + ("" if abs(change[worst]) <= AGREEMENT else
               f"; {worst} moved more than {AGREEMENT:.0%}: this machine was not quiet"))
    return 0
