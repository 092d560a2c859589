"""Golden recordings: the legacy side of a comparison, written once, so
that the modern side can later be checked against it without running
`tf.compat.v1` (issue: golden recordings; `compare.py --record DIR`).

A recording is a folder: `manifest.json` and one compressed `seed-N.npz`
per seed. The manifest holds the format version, the exact configuration,
the data (its description and the SHA-256 of each file it was read from),
the environment (versions and machine fingerprint: the same run gives
other bits on another CPU) and the SHA-256 of every array file. Each seed
file holds, float32 kept exactly: the per-step losses, the epoch costs,
the initial and final weights under the original names, the test codes
and the test cost.

`load` verifies all of it and refuses, with one line (a DataError, exit
status 2), a recording that is incomplete, fails its hashes or has another
format version.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re

import numpy as np

from common import files, sources
from common.errors import DataError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SEED_FILE = "seed-{seed}.npz"
_OWN_FILE = re.compile(r"^(manifest\.json|seed-\d+\.npz)$")


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_files(source) -> list:
    """The files `source` (a common.sources.DataSource) is read from."""
    if source.kind == "npz":
        return [source.path]
    return [os.path.join(source.path, name) for name in sources.IDX_FILES]


def seed_arrays(run) -> dict:
    """A LegacyRun as the arrays of its seed file."""
    arrays = {"step_losses": np.asarray(run.step_losses, np.float32),
              "epoch_costs": np.asarray(run.epoch_costs, np.float32),
              "test_codes": np.asarray(run.test_codes, np.float32),
              "test_cost": np.float32(run.test_cost)}
    arrays["test_reconstructions"] = np.asarray(run.test_reconstructions, np.float32)
    arrays.update({f"initial/{name}": value for name, value in run.initial_weights.items()})
    arrays.update({f"final/{name}": value for name, value in run.final_weights.items()})
    arrays.update({f"variant/{key}": value for key, value in run.variant_report.items()
                   if isinstance(value, np.ndarray)})
    return arrays



def check_folder(folder: str, force: bool) -> None:
    """Refuse, before any training, a --record folder that already holds a
    recording (unless --force) or anything else."""
    if not os.path.exists(folder):
        from common import cli
        cli.check_creatable(folder, "--record")
        return
    if not os.path.isdir(folder):
        raise DataError(f"--record {folder} exists and is not a folder")
    entries = os.listdir(folder)
    foreign = [entry for entry in entries if not _OWN_FILE.match(entry)]
    if foreign:
        raise DataError(f"--record {folder} holds files that are not a recording's "
                        f"({foreign[0]}, ...); choose a new folder")
    if entries and not force:
        raise DataError(f"--record {folder} already holds a recording; pass --force to "
                        "record again over it")


def write(folder: str, manifest: dict, runs: dict) -> str:
    """Write `manifest` (completed with each seed file's hash) and the seed
    files of `runs` ({seed: LegacyRun or None for a failed run}), all or
    nothing: staged beside `folder`, then moved into place, replacing the
    files of an older recording there."""
    parent = os.path.dirname(os.path.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    with files.staged_folder(parent) as staging:
        for seed, run in runs.items():
            entry = manifest["seeds"][str(seed)]
            if run is None:
                continue
            name = SEED_FILE.format(seed=seed)
            np.savez_compressed(os.path.join(staging, name), **seed_arrays(run))
            entry.update(file=name, sha256=sha256_of(os.path.join(staging, name)))
        with open(os.path.join(staging, MANIFEST), "w", encoding="utf-8") as stream:
            json.dump(manifest, stream, indent=1)
            stream.write("\n")
        written = set(os.listdir(staging))
        with files.signals_deferred():
            files.publish_folder(staging, folder)  # replaces the same-named files
            for entry in os.listdir(folder):  # an older recording's other seeds
                if _OWN_FILE.match(entry) and entry not in written:
                    os.remove(os.path.join(folder, entry))
    return folder


def seed_entry(side) -> dict:
    """A seed's manifest entry before `write` adds its file and hash: the
    variant's numbers (its arrays go to the seed file), or how it stopped."""
    from parity.engine import variant_numbers
    if side.run is None:
        return {"failure": side.failure, "failed_at": side.failed_at}
    return {"failure": None, "variant_report": variant_numbers(side.run.variant_report)}


def data_record(source) -> dict:
    """The data part of a manifest: what it was and each file's SHA-256."""
    return {"source": source.describe(),
            "files": {os.path.basename(path): sha256_of(path) for path in data_files(source)}}


def load(folder: str) -> tuple[dict, dict]:
    """(manifest, {seed: arrays}) of the recording in `folder`, verified."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        raise DataError(f"{folder}: not a recording (no {MANIFEST}); make one with "
                        "`python compare.py --record DIR`")
    try:
        with open(path, encoding="utf-8") as stream:
            manifest = json.load(stream)
        version = manifest["format_version"]
        seeds = manifest["seeds"]
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"{path}: not a readable recording manifest ({error})") from None
    if version != FORMAT_VERSION:
        raise DataError(f"{folder}: recording format version {version}; this program reads "
                        f"version {FORMAT_VERSION}: record again with --record")
    arrays = {}
    for seed, entry in seeds.items():
        if entry.get("failure"):
            arrays[int(seed)] = None
            continue
        name = entry.get("file")
        file_path = os.path.join(folder, str(name))
        if not name or not os.path.isfile(file_path):
            raise DataError(f"{folder}: incomplete recording: {name or 'the file of seed ' + seed} "
                            "is missing")
        if sha256_of(file_path) != entry.get("sha256"):
            raise DataError(f"{file_path}: SHA-256 differs from the manifest's: the "
                            "recording was changed after it was made")
        with np.load(file_path, allow_pickle=False) as stored:
            arrays[int(seed)] = {key: stored[key] for key in stored.files}
    return manifest, arrays


def record(folder: str, experiment, seeds, config: dict, data: dict, environment: dict,
           log=print) -> str:
    """Train the legacy side for each seed and write the recording; returns
    a one-line summary."""
    from parity import sides
    legacy = {}
    for seed in seeds:
        legacy[seed] = sides.run_legacy(experiment, seed, log)
        files.raise_if_interrupted()  # before anything is written
    failures = [seed for seed, side in legacy.items() if side.run is None]
    manifest = {"format_version": FORMAT_VERSION,
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds"),
                "config": config, "data": data, "environment": environment,
                "seeds": {str(seed): seed_entry(side) for seed, side in legacy.items()}}
    write(folder, manifest, {seed: side.run for seed, side in legacy.items()})
    size = sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder))
    return (f"recorded legacy, {len(seeds)} seed(s) of {experiment.total_steps} steps, to "
            f"{folder} ({size / 1e6:.1f} MB)" + (f"; {len(failures)} seed(s) stopped on a "
                                                  "NaN/Inf loss" if failures else ""))
