"""The comparison report: what goes in it, its schema, and writing it (and
the plots beside it) safely: all of a run's results appear together or not
at all.

Everything that may differ between two runs with the same seed and data
(wall-clock times, dates) lives under the "timings" key, so that the rest
of the report is reproducible byte for byte.
"""

from __future__ import annotations

import json
import os
import platform

import numpy as np

from common import cli, files
from common.errors import DataError
from common.files import atomic_path

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report_schema.json")
SCHEMA_VERSION = 5  # 2: each run's `divergence`; 3: TOST statistics, the verdict's outcome; 4: environment.machine; 5: a divergence found against a recording (source, born_within)
RESULTS_ROOT = "comparisons"  # default home of run-NNN folders, in the working folder


def versions() -> dict:
    """Versions of everything that can change the numbers."""
    import keras
    import matplotlib
    import scipy
    import sklearn
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "scikit_learn": sklearn.__version__, "matplotlib": matplotlib.__version__,
            "platform": platform.platform(terse=True), "machine": platform.machine()}


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
