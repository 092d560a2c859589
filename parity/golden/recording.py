"""Golden recordings: the legacy side of a comparison, written once, so
that the modern side can later be checked against it without running
`tf.compat.v1` (issue: golden recordings; `compare.py --record DIR`).

A recording is a folder: `manifest.json` and one compressed `seed-N.npz`
per seed. The manifest holds the format version, the exact configuration,
the data (its description and the SHA-256 of each file it was read from),
the environment (versions and machine fingerprint: the same run gives
other bits on another CPU), the SHA-256 of every array file, and its own
SHA-256 (`manifest_sha256`, over the rest of it), so that an edited
manifest is refused. Each seed file holds, float32 kept exactly: the
per-step losses, the epoch costs, the initial and final weights under the
original names, the test codes, test cost and reconstructions, the batch
order legacy trained on (TF1's `next_batch` indices, so that the modern
side needs nothing of legacy/ to train on the same batches), and the step
traces of parity/golden/step_traces.py.

`load` verifies all of it before anything trains and refuses, with one
line (a DataError, exit status 2), a recording that is incomplete, fails
its hashes, holds arrays of other shapes than its configuration implies,
or has another format version. Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

import numpy as np

from common import cli
from tf1kit.data import mnist
from tf1kit import files
from tf1kit.data import npz
from tf1kit.errors import DataError
from common.sources import sha256_of  # noqa: F401  (recording.sha256_of, for the tests too)
from parity.golden import shapes

FORMAT_VERSION = 2  # 2: batch order, step traces, the manifest's own SHA-256
MANIFEST = "manifest.json"
SEED_FILE = "seed-{seed}.npz"
CHANGES = "changes.md"  # written by --record --force: what the new recording changed
_OWN_FILE = re.compile(r"^(manifest\.json|seed-\d+\.npz|changes\.md)$")


def data_files(source) -> list:
    """The files `source` (a common.sources.DataSource) is read from."""
    if source.kind == "npz":
        return [source.path]
    return [os.path.join(source.path, name) for name in mnist.IDX_FILES]


def order_array(order: list) -> np.ndarray:
    """TF1's batch order [steps, batch size] as stored: uint16 where the
    indices fit (the default run's order is 1.1 MB so), else int32."""
    stacked = np.asarray(order, np.int64)
    fits = stacked.size == 0 or stacked.max() < np.iinfo(np.uint16).max
    return stacked.astype(np.uint16 if fits else np.int32)


def check_folder(folder: str, force: bool) -> None:
    """Refuse, before any training, a --record folder that already holds a
    recording (unless --force) or anything else."""
    if not os.path.exists(folder):
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


def seal(manifest: dict) -> str:
    """The manifest's own SHA-256: over its canonical JSON without it."""
    rest = {key: value for key, value in manifest.items() if key != "manifest_sha256"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()


def write(folder: str, manifest: dict, seed_files: dict, changes: str | None = None) -> str:
    """Write `manifest` (completed with each seed file's hash, then sealed)
    and `seed_files` ({seed: arrays, or None for a failed run}), and
    `changes` (CHANGES) if given, all or nothing: staged beside `folder`,
    then moved into place, replacing the files of an older recording."""
    parent = os.path.dirname(os.path.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    with files.staged_folder(parent) as staging:
        for seed, arrays in seed_files.items():
            entry = manifest["seeds"][str(seed)]
            if arrays is None:
                continue
            name = SEED_FILE.format(seed=seed)
            np.savez_compressed(os.path.join(staging, name), **arrays)
            entry.update(file=name, sha256=sha256_of(os.path.join(staging, name)))
        manifest["manifest_sha256"] = seal(manifest)
        with open(os.path.join(staging, MANIFEST), "w", encoding="utf-8") as stream:
            json.dump(manifest, stream, indent=1)
            stream.write("\n")
        if changes is not None:
            with open(os.path.join(staging, CHANGES), "w", encoding="utf-8") as stream:
                stream.write(changes)
        written = set(os.listdir(staging))
        with files.signals_deferred():
            files.publish_folder(staging, folder)  # replaces the same-named files
            for entry in os.listdir(folder):  # an older recording's other seeds
                if _OWN_FILE.match(entry) and entry not in written:
                    os.remove(os.path.join(folder, entry))
    return folder


def data_record(source) -> dict:
    """The data part of a manifest: what it was and each file's SHA-256."""
    # describe() names the bundled sample without this checkout's path: a
    # recording of it is the same recording wherever the repository lies.
    return {"source": source.describe(),
            "files": {os.path.basename(path): sha256_of(path) for path in data_files(source)}}


def read_manifest(folder: str) -> dict:
    """The manifest of the recording in `folder`, checked (format, seal, seeds)."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        raise DataError(f"{folder}: not a recording (no {MANIFEST}); make one with "
                        "`python compare.py --record DIR`")
    try:
        if os.path.getsize(path) > 16 << 20:
            raise ValueError("larger than 16 MB")
        with open(path, encoding="utf-8") as stream:
            manifest = json.load(stream)
        version = manifest["format_version"]
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"{path}: not a readable recording manifest ({error})") from None
    if version != FORMAT_VERSION:
        raise DataError(f"{folder}: recording format version {version}; this program reads "
                        f"version {FORMAT_VERSION}: record again with --record")
    if manifest.get("manifest_sha256") != seal(manifest):
        raise DataError(f"{path}: its SHA-256 differs from the one it was sealed with: the "
                        "manifest was edited after the recording was made")
    try:
        config, seeds = manifest["config"], manifest["seeds"]
        listed = [str(seed) for seed in config["seeds"]]
        for key in ("total_steps", "training_epochs", "batch_size", "layer_sizes", "variant"):
            config[key]
    except (KeyError, TypeError) as error:
        raise DataError(f"{path}: not a readable recording manifest (missing {error})") from None
    missing = [seed for seed in listed if seed not in seeds]
    if missing:
        raise DataError(f"{folder}: incomplete recording: seed {missing[0]} of its "
                        f"configuration has no entry in {MANIFEST}")
    return manifest


def load(folder: str) -> tuple[dict, dict]:
    """(manifest, {seed: arrays or None for a seed that stopped}) of the
    recording in `folder`, verified (see the module docstring)."""
    manifest = read_manifest(folder)
    config, arrays = manifest["config"], {}
    for seed in config["seeds"]:
        entry = manifest["seeds"][str(seed)]
        if entry.get("failure"):
            arrays[int(seed)] = None
            continue
        name = entry.get("file")
        file_path = os.path.join(folder, str(name))
        if not isinstance(name, str) or not _OWN_FILE.match(name) or \
                not os.path.isfile(file_path):
            raise DataError(f"{folder}: incomplete recording: "
                            f"{name if isinstance(name, str) else 'the file'} of seed {seed} "
                            "is missing")
        if sha256_of(file_path) != entry.get("sha256"):
            raise DataError(f"{file_path}: SHA-256 differs from the manifest's: the "
                            "recording was changed after it was made")
        stored = npz.read_arrays(file_path, shapes.checker(config))
        shapes.check_traces(file_path, stored, config["total_steps"])
        arrays[int(seed)] = stored
    return manifest, arrays
