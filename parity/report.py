"""The comparison report: what goes in it, its schema, and writing it (and
the plots beside it) safely: all of a run's results appear together or not
at all.

Everything that may differ between two runs with the same seed and data
(wall-clock times, dates) lives under the "timings" key, so that the rest
of the report is reproducible byte for byte.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time

import numpy as np

from common import cli
from tf1kit import files
from tf1kit.errors import DataError
from tf1kit.files import atomic_path
from parity import floor
from tf1kit import environment

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report_schema.json")
SCHEMA_VERSION = 7  # 2: each run's `divergence`; 3: TOST statistics, the verdict's outcome; 4: environment.machine; 5: a divergence found against a recording (source, born_within); 6: timings.floor and its parts, environment.legacy_session; 7: divergence.judge
RESULTS_ROOT = "comparisons"  # default home of run-NNN folders, in the working folder


def _plain(value):
    """numpy scalars/arrays -> JSON types (float32 values keep their exact value)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return [_plain(item) for item in value.tolist()]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if np.isfinite(value) else str(value)  # JSON has no NaN/Inf
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_json(report: dict, path: str) -> None:
    """Write `report` as indented JSON, atomically."""
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as stream:
            json.dump(_plain(report), stream, indent=1, sort_keys=True, allow_nan=False)
            stream.write("\n")


def load_schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as stream:
        return json.load(stream)


def check_results_folder(out: str | None, force: bool) -> None:
    """Refuse a bad --out (None: a new RESULTS_ROOT/run-NNN) before any work;
    nothing is created here."""
    if out is None:
        cli.check_creatable(os.path.join(RESULTS_ROOT, "run-001"), "the results folder")
        return
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise DataError(f"--out {out} exists and is not a folder")
        if os.listdir(out) and not force:
            raise DataError(f"--out {out} already holds files; choose a new folder "
                            "or pass --force to write into it")
        if not os.access(out, os.W_OK):
            raise DataError(f"--out {out} is not writable")
        return
    cli.check_creatable(out, "--out")


def publish_results(out: str | None, write) -> str:
    """Write the results with `write(folder)` into a staging folder and move
    them into place only when all are written: `out`, or a new
    RESULTS_ROOT/run-NNN when `out` is None. Ctrl-C or SIGTERM meanwhile
    leaves nothing under either name. Returns the folder."""
    parent = RESULTS_ROOT if out is None else os.path.dirname(os.path.abspath(out))
    try:
        with files.staged_folder(parent) as staging:
            write(staging)
            if out is None:
                return files.publish_numbered(staging, parent)
            return files.publish_folder(staging, out)
    except OSError as error:
        raise DataError(f"cannot write the results to {out or parent}: "
                        f"{error.strerror or error}") from None


def config_record(experiment, strategy_name: str | None = None, replicas=None) -> dict:
    """The report's (and a recording's) `config`: the hyperparameters, the
    step budget, the variant and any tf.distribute strategy."""
    hyper, strategy = experiment.hyper, experiment.strategy
    config = {**dataclasses.asdict(hyper), "layer_sizes": list(hyper.layer_sizes),
              "steps_per_epoch": experiment.steps_per_epoch,
              "total_steps": experiment.total_steps, "variant": experiment.variant.describe()}
    if strategy is not None:
        config["strategy"] = {"name": strategy_name, "replicas": replicas,
                              "devices": list(strategy.extended.worker_devices)}
    return config


def data_summary(source, experiment) -> dict:
    """The report's `data`: where it came from and how much of it."""
    return {"source": source.describe(), "train_examples": len(experiment.arrays.train_images),
            "test_examples": len(experiment.arrays.test_images),
            "validation_size": source.validation_size,
            "baseline_test_cost": experiment.baseline_test_cost}


def recording_record(member, current: dict, chosen_because: str | None = None) -> dict:
    """The report's `recording`: which recording (parity/golden/sets.py
    Member) the modern side was checked against, and how its environment
    differs from `current` (all that differs, and what of it decides bits)."""
    recorded = member.manifest["environment"]
    return {"folder": os.path.abspath(member.folder), "created": member.manifest["created"],
            "format_version": member.manifest["format_version"],
            "environment_differences": environment.environment_differences(recorded, current),
            "bit_deciding_differences": environment.bit_compatibility(recorded, current),
            "chosen_because": chosen_because}


def assemble(args, *, config: dict, data: dict, environment: dict, results: list,
             judged: tuple, recording: dict | None, timings: dict) -> dict:
    """The report (report_schema.json) of a comparison: `args` are
    compare.py's flags, `results` each seed's engine.SeedResult, `judged`
    the (verdict, statistics) of parity/verdict.py or parity/golden/rounding.py."""
    overall, statistics = judged
    report = {"schema_version": SCHEMA_VERSION, "mode": args.mode, "perturb": args.perturb,
              "config": config, "data": data, "environment": environment,
              "seeds": [result.record["seed"] for result in results],
              "runs": [result.record for result in results], "statistics": statistics,
              "verdict": overall, "timings": timings}
    if recording is not None:
        report["recording"] = recording
    return report


def publish(report: dict, results: list, experiment, out: str | None) -> str:
    """Write report.json and the plots (all or nothing: publish_results),
    print the summary; returns the folder."""
    from parity import plots, summary  # matplotlib: loaded once there is something to plot

    def write(folder):
        started = time.perf_counter()
        plots.save_comparison(folder, report["runs"], results[0].runs, experiment.arrays,
                              experiment.variant)
        timings = report["timings"]
        timings["plots_seconds"] = time.perf_counter() - started
        timings["wall_seconds"] = floor.process_seconds()  # the summary prints just after
        timings["floor"] = floor.floor(timings)
        write_json(report, os.path.join(folder, "report.json"))
    files.raise_if_interrupted()  # before any output, not half-way through it
    folder = publish_results(out, write)
    print(summary.render(report, folder))
    return folder
