"""Where the experiment's data comes from (`--data`): an IDX folder, Keras's
npz, or the bundled sample, read through the kit's MNIST readers
(tf1kit/data/mnist.py). Both implementations read their arrays through here.
"""

from __future__ import annotations

import os

import numpy as np

from tf1kit.data import mnist
from tf1kit.data.mnist import DEFAULT_SOURCE_URL, keras_cache_path, read_checksum_file, sha256_of
from tf1kit.errors import DataError

# How the entry points with --data say where else data can come from
# (run_tf1, which has no --data, says it its own way).
DATA_FLAGS_HINT = "or use --data sample (bundled) or --data ~/.keras/datasets/mnist.npz"
# Where Debian's dataset-fashion-mnist package puts full-size Fashion-MNIST
# (the folder the docs' examples use): an empty one is named with its package.
DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
DEBIAN_HINT = "(offline: `apt-get install dataset-fashion-mnist` puts them there)"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# 5,000 real MNIST digits (4,000 train / 1,000 test, balanced); see its README.
SAMPLE_DIR = os.path.join(REPO_ROOT, "data", "mnist_sample")
SAMPLE_CHECKSUMS = os.path.join(SAMPLE_DIR, "SHA256SUMS")


def verify_sample() -> None:
    """Raise DataError unless the bundled sample's files match SHA256SUMS."""
    for name, expected in read_checksum_file(SAMPLE_CHECKSUMS).items():
        path = os.path.join(SAMPLE_DIR, name)
        if not os.path.exists(path) or sha256_of(path) != expected:
            raise DataError(
                f"bundled sample file {path} is missing or modified (SHA-256 "
                "mismatch); restore it with `git checkout -- data/mnist_sample`")


def load_raw(source: "DataSource", source_url: str = DEFAULT_SOURCE_URL,
             log=print) -> dict[str, np.ndarray]:
    """Fetch (IDX folder) and read a `--data` source into checked uint8 arrays;
    the bundled sample is first checked against its SHA256SUMS.

    Entry points call this before importing TensorFlow, so that every data
    problem is reported in about a second, as one line, before any work.
    """
    if source.is_sample:
        verify_sample()
    if source.kind == "npz":
        raw = mnist.read_keras_npz(source.path)
    else:
        if source.kind == "idx":
            mnist.fetch_missing(source.path, source_url, log, _missing_hint(source.path))
        raw = mnist.read_idx_folder(source.path)
    if source.validation_size >= len(raw["train_images"]):
        raise DataError(
            f"{source.describe()}: {len(raw['train_images'])} training images, not more "
            f"than the {source.validation_size} TF1 sets aside for validation")
    return raw


def _missing_hint(folder: str) -> str:
    """What a failed download says about where else the files can come from."""
    debian = os.path.abspath(folder) == DEBIAN_FASHION_MNIST
    return f"{DEBIAN_HINT}, {DATA_FLAGS_HINT}" if debian else DATA_FLAGS_HINT


class DataSource:
    """A resolved `--data` argument: what to read and how the TF1 split applies.

    `spec` is "sample" (the bundled 5,000 digits), "keras" (Keras's cached
    mnist.npz), a folder of the four IDX .gz files (missing ones are
    downloaded, as TF1 did), or a path to an .npz file in Keras's layout.
    """

    def __init__(self, spec: str):
        self.spec = spec
        if spec == "sample":
            self.kind, self.path = "sample", SAMPLE_DIR
        elif spec == "keras":
            self.kind, self.path = "npz", keras_cache_path()
        elif spec.endswith(".npz"):
            self.kind, self.path = "npz", os.path.expanduser(spec)
        else:
            self.kind, self.path = "idx", os.path.expanduser(spec)
        if self.kind == "npz" and not os.path.isfile(self.path):
            hint = (" (run keras.datasets.mnist.load_data() once while online to create it)"
                    if spec == "keras" else "")
            raise DataError(f"{self.path}: no such .npz file{hint}")
        if self.kind == "idx" and os.path.exists(self.path) and not os.path.isdir(self.path):
            raise DataError(f"{self.path}: expected a folder of the four MNIST .gz "
                            "files or an .npz file")

    @property
    def is_sample(self) -> bool:
        return self.kind == "sample"

    @property
    def validation_size(self) -> int:
        """TF1's default 5,000 validation images, or 0 for the small sample.

        The sample has 4,000 training images: TF1's default split would
        raise, and a validation set is unused by the autoencoder anyway.
        """
        return 0 if self.is_sample else 5000

    def describe(self) -> str:
        """What the data are, a path inside this checkout named relative to
        it: reports and generated pages name no folder of the machine that
        made them."""
        if self.is_sample:
            return f"bundled MNIST sample ({checkout_relative(SAMPLE_DIR)})"
        kind = "Keras npz" if self.kind == "npz" else "IDX folder"
        return f"{kind} {checkout_relative(self.path)}"


def checkout_relative(path: str) -> str:
    """`path` relative to this checkout when it lies inside it, else as given."""
    absolute = os.path.abspath(path)
    if os.path.commonpath([absolute, REPO_ROOT]) != REPO_ROOT:
        return path
    return os.path.relpath(absolute, REPO_ROOT)
