"""How fast each implementation trains, against each other and the hardware.

    python -m benchmarks                                   # bundled sample
    python -m benchmarks --data /usr/share/datasets/fashion-mnist --sizes 5000 20000 55000

For every path (legacy Session loop, modern exact per-step tf.function,
modern exact in-graph loop, Keras fit on the idiomatic model) and batch
size, a fresh process times `repeats` runs of `steps` steps after `warmup`
steps on TF1's batch order and reports the median steps per second and its
own peak resident memory. Results: a JSON file, a Markdown table, a plot of
steps per second against batch size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys

import numpy as np

from common import cli, sources
from common.errors import DataError
from common.files import atomic_path

HEADLINE_BATCH = 256


def machine() -> dict:
    import tensorflow as tf
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            model = next(line.split(":", 1)[1].strip() for line in stream
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": model, "cores": os.cpu_count(), "tensorflow": tf.__version__,
            "python": platform.python_version()}


def prepare_batches(data, batch_size, count, seed=0):
    """The training split, and `count` batches' indices in TF1's next_batch order."""
    from legacy import input_data
    source = sources.DataSource(data)
    mnist = input_data.data_sets_from_arrays(sources.load_raw(source),
                                             validation_size=source.validation_size)
    images = mnist.train.images
    return images, input_data.tf1_batch_indices(len(images), batch_size, count, seed)


def measure(path, data, batch_size, warmup, steps, repeats, epoch_examples=None):
    """One path at one batch size in this process -> dict of results."""
    from benchmarks import paths
    from common.config import Hyperparameters
    from modern import autoencoder, checkpoints, options
    hyper = Hyperparameters(batch_size=batch_size)
    if epoch_examples:  # one epoch's worth of steps for a set of this many images
        steps, repeats = epoch_examples // batch_size, 1
    images, indices = prepare_batches(data, batch_size, warmup + steps * repeats)
    initial = checkpoints.get_original_weights(autoencoder.build_model(hyper, 0, options.EXACT))
    if path == "modern_in_graph":
        rates = paths.time_modern_in_graph(hyper, None, warmup, steps, repeats, initial,
                                           images, indices)
    else:
        batches = [images[index] for index in indices]
        rates = paths.PATHS[path](hyper, batches, warmup, steps, repeats, initial)
    return {"path": path, "batch_size": batch_size, "steps": steps, "repeats": repeats,
            "steps_per_second": float(np.median(rates)), "all_rates": rates,
            "epoch_examples": epoch_examples,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measure_in_child(path, args, batch_size, epoch_examples=None) -> dict:
    command = [sys.executable, "-m", "benchmarks", "--child", path, "--data", args.data,
               "--batch-sizes", str(batch_size), "--warmup", str(args.warmup),
               "--steps", str(args.steps), "--repeats", str(args.repeats)]
    if epoch_examples:
        command += ["--sizes", str(epoch_examples)]
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if result.returncode != 0:
        raise RuntimeError(f"benchmark of {path} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def summarise(results, flops, peak) -> dict:
    rate = {(r["path"], r["batch_size"]): r["steps_per_second"]
            for r in results if not r["epoch_examples"]}
    legacy = rate.get(("legacy", HEADLINE_BATCH))
    headline = {}
    for path in ("modern_step", "modern_in_graph", "keras_fit"):
        if legacy and (path, HEADLINE_BATCH) in rate:
            headline[f"{path}_vs_legacy"] = rate[(path, HEADLINE_BATCH)] / legacy
    for (path, batch), value in rate.items():
        if batch == HEADLINE_BATCH:
            headline[f"{path}_fraction_of_peak"] = value * flops / (peak * 1e9)
    return headline


def table(results, flops_by_batch, peak) -> str:
    lines = ["| path | batch | steps/s | fraction of matmul peak | peak RSS (MiB) |",
             "|---|---|---|---|---|"]
    for r in results:
        if r["epoch_examples"]:
            continue
        fraction = r["steps_per_second"] * flops_by_batch[r["batch_size"]] / (peak * 1e9)
        rss = f"{r['peak_rss_mib']:.0f}" if r.get("isolated") else "-"
        lines.append(f"| {r['path']} | {r['batch_size']} | {r['steps_per_second']:.1f} | "
                     f"{fraction:.1%} | {rss} |")
    for r in results:
        if r["epoch_examples"]:
            seconds = r["steps"] / r["steps_per_second"]
            lines.append(f"| {r['path']}, one epoch of {r['epoch_examples']} images | "
                         f"{r['batch_size']} | {r['steps_per_second']:.1f} | "
                         f"{seconds:.2f} s per epoch | - |")
    return "\n".join(lines)


def save_plot(results, path) -> None:
    from common.plots import new_figure, save_figure
    figure = new_figure(7, 4.5)
    axes = figure.add_subplot()
    for name in dict.fromkeys(r["path"] for r in results):
        points = sorted((r["batch_size"], r["steps_per_second"]) for r in results
                        if r["path"] == name and not r["epoch_examples"])
        axes.plot(*zip(*points), marker="o", label=name)
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    axes.set_xlabel("batch size")
    axes.set_ylabel("training steps per second")
    axes.legend()
    save_figure(figure, path)


def main(argv=None) -> int:
    parser = cli.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="sample", help="data source, as compare.py --data")
    parser.add_argument("--batch-sizes", type=cli.positive_int, nargs="+", default=[64, 256, 1024],
                        help="batch sizes to time (default 64 256 1024)")
    parser.add_argument("--paths", nargs="+", default=list(("legacy", "modern_step",
                                                            "modern_in_graph", "keras_fit")),
                        choices=("legacy", "modern_step", "modern_in_graph", "keras_fit"),
                        help="which paths to time (default all four)")
    parser.add_argument("--warmup", type=cli.steps_int, default=20,
                        help="untimed steps first (tracing, allocation); default 20")
    parser.add_argument("--steps", type=cli.steps_int, default=100,
                        help="steps per timed run (default 100)")
    parser.add_argument("--repeats", type=cli.integer_between(1, 1000, "a number of repeats from 1 to 1000"),
                        default=5,
                        help="timed runs; the median counts (default 5)")
    parser.add_argument("--sizes", type=cli.positive_int, nargs="*", default=[],
                        help="also time one epoch over this many training images, for "
                             "legacy and modern_in_graph at batch 256 (e.g. 5000 20000 55000)")
    parser.add_argument("--in-process", action="store_true",
                        help="time every path in this process (faster; no per-path memory)")
    parser.add_argument("--out", default="docs/benchmarks",
                        help="path prefix of the .json, .md and .png written")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    cli.quiet_tensorflow_logs()
    if args.child:  # one isolated measurement, printed as one JSON line
        sizes = args.sizes[0] if args.sizes else None
        print(json.dumps(measure(args.child, args.data, args.batch_sizes[0], args.warmup,
                                 args.steps, args.repeats, sizes)))
        return 0
    # Every input problem answers here, before the first timed child starts.
    cli.check_creatable(args.out + ".json", "--out")
    source = sources.DataSource(args.data)
    raw = sources.load_raw(source)
    available = len(raw["train_images"]) - source.validation_size
    del raw
    if max(args.batch_sizes) > available:
        raise DataError(f"--batch-sizes {max(args.batch_sizes)} is larger than the {available} "
                        f"training images of {source.describe()}")
    if min(args.sizes, default=HEADLINE_BATCH) < HEADLINE_BATCH:
        raise DataError(f"--sizes {min(args.sizes)}: an epoch needs at least one batch of "
                        f"{HEADLINE_BATCH} images")
    from benchmarks import paths
    from common.config import Hyperparameters
    layer_sizes = Hyperparameters().layer_sizes
    results = []
    jobs = [(path, batch, None) for batch in args.batch_sizes for path in args.paths]
    jobs += [(path, HEADLINE_BATCH, size) for size in args.sizes
             for path in ("legacy", "modern_in_graph")]
    for path, batch, size in jobs:
        if args.in_process:
            result = measure(path, args.data, batch, args.warmup, args.steps, args.repeats, size)
        else:
            result = {**measure_in_child(path, args, batch, size), "isolated": True}
        results.append(result)
        print(f"{path:16s} batch {batch:5d}{'' if not size else f', epoch of {size}':18s} "
              f"{result['steps_per_second']:8.1f} steps/s", flush=True)
    peak = paths.matmul_peak_gflops()
    flops_by_batch = {batch: paths.flops_per_step(layer_sizes, batch)
                      for batch in set(args.batch_sizes) | {HEADLINE_BATCH}}
    report = {"machine": machine(), "data": args.data, "matmul_peak_gflops": peak,
              "flops_per_step": {str(k): v for k, v in sorted(flops_by_batch.items())},
              "settings": {"warmup": args.warmup, "steps": args.steps, "repeats": args.repeats,
                           "isolated": not args.in_process},
              "results": results,
              "headline": summarise(results, flops_by_batch[HEADLINE_BATCH], peak)}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with atomic_path(args.out + ".json") as temporary, open(temporary, "w") as stream:
        json.dump(report, stream, indent=1)
    markdown = table(results, flops_by_batch, peak)
    with atomic_path(args.out + ".md") as temporary, open(temporary, "w") as stream:
        stream.write(markdown + "\n")
    save_plot(results, args.out + ".png")
    print(markdown)
    print(f"matmul peak {peak:.1f} GFLOP/s; {flops_by_batch[HEADLINE_BATCH] / 1e9:.3f} GFLOP "
          f"per step at batch {HEADLINE_BATCH}; headline: " + ", ".join(
              f"{k} {v:.2f}" for k, v in report["headline"].items()))
    return 0
