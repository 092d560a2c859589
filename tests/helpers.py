"""Small builders shared by the tests."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

import numpy as np

from common import sources
from tf1kit.data import mnist
from tf1kit.data import idx

REPO_ROOT = sources.REPO_ROOT
# The post's copy of the original script, which this repository does not
# include (docs/run_tf1.md): the file
# ORIGINAL_AUTOENCODER names, else the copy beside the checkout in this
# project's CI. Tests that need it are skipped without it.
ORIGINAL_SCRIPT = os.environ.get("ORIGINAL_AUTOENCODER") or os.path.join(
    os.path.dirname(REPO_ROOT), "shared", "seed", "original_autoencoder.py")


def write_synthetic_idx(folder, n_train, n_test, seed=0, blank_rows=False):
    """Write four IDX files of random 28x28 images with labels 0-9; return
    arrays. `blank_rows`: image i's first i % 5 and last i % 7 rows are
    zero, as MNIST's margins are (a count of the rows in use varies)."""
    rng = np.random.RandomState(seed)
    os.makedirs(folder, exist_ok=True)
    arrays = {
        "train_images": rng.randint(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.randint(0, 10, size=n_train).astype(np.uint8),
        "test_images": rng.randint(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.randint(0, 10, size=n_test).astype(np.uint8),
    }
    if blank_rows:
        for images in (arrays["train_images"], arrays["test_images"]):
            for index, image in enumerate(images):
                image[:index % 5] = 0
                image[28 - index % 7:] = 0
    idx.write_images(os.path.join(folder, mnist.TRAIN_IMAGES), arrays["train_images"])
    idx.write_labels(os.path.join(folder, mnist.TRAIN_LABELS), arrays["train_labels"])
    idx.write_images(os.path.join(folder, mnist.TEST_IMAGES), arrays["test_images"])
    idx.write_labels(os.path.join(folder, mnist.TEST_LABELS), arrays["test_labels"])
    return arrays


def subprocess_environment(**extra) -> dict:
    """os.environ for a child `python`: the repository importable, TF's C++
    start-up logs quiet, no display (plots go to files), plus `extra`. The
    running interpreter's folder leads PATH, so that a `python` in a shell
    block is this one even from a virtual environment that was not activated
    (`.venv/bin/python -m pytest`), where PATH's `python` lacks TensorFlow."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.update(extra)
    return env


def npy_header(shape, descr="|u1", fortran_order=False) -> bytes:
    """The .npy header claiming `shape` and `descr`, whatever bytes follow:
    for files that lie about their size or contents."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": fortran_order, "shape": tuple(shape)})
    return buffer.getvalue()


def run_module(args, cwd=REPO_ROOT, timeout=300, env_extra=None):
    """Run `python -m ...` with the repository importable; return CompletedProcess."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd,
                          env=subprocess_environment(**(env_extra or {})),
                          capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def op_determinism_restored():
    """Switch TF op determinism back off on exit if it was off on entry:
    compare.main switches it on for the whole process, and unseeded random
    ops in later tests would then raise."""
    from tensorflow.python.framework import config  # no public "disable"

    was_enabled = config.is_op_determinism_enabled()
    yield
    if not was_enabled:
        config.disable_op_determinism()


def edit_recording(folder, edit_manifest=None, seed_arrays=None) -> None:
    """Change a recording as its own tool would have made it: `edit_manifest`
    (manifest -> None) applied, seed files replaced by `seed_arrays`
    ({seed: arrays}), their SHA-256s updated and the manifest sealed again.
    For tests that need a recording made elsewhere or damaged inside."""
    import json

    from parity.golden import recording
    path = os.path.join(folder, recording.MANIFEST)
    with open(path, encoding="utf-8") as stream:
        manifest = json.load(stream)
    for seed, arrays in (seed_arrays or {}).items():
        entry = manifest["seeds"][str(seed)]
        file_path = os.path.join(folder, entry["file"])
        with open(file_path, "wb") as stream:
            np.savez(stream, **arrays)
        entry["sha256"] = recording.sha256_of(file_path)
    if edit_manifest is not None:
        edit_manifest(manifest)
    manifest["manifest_sha256"] = recording.seal(manifest)
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(manifest, stream, indent=1)


# Bit-level facts measured on one CPU kind (tf1kit/environment.py
# kind_label): a test that asserts one asserts it only where it was
# measured, and a weaker machine-independent property everywhere.
# docs/bit_envelope.md: Intel Xeon (AVX-512, AMX) and AMD EPYC (AVX-512,
# oneDNN on) give the same bits; an AMD EPYC without AVX-512 (oneDNN off)
# gives others, and there a matmul's bits depend on the thread count.
TWO_REPLICA_FIRST_TENSOR = {"intel-xeon-amx": ("loss", "cost"),
                            "amd-epyc-avx512": ("loss", "cost")}


def machine_kind() -> str:
    """This machine's CPU kind, as the tables of measured facts key it."""
    from tf1kit import environment
    return environment.kind_label(environment.fingerprint())
