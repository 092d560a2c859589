"""MNIST's files as TF1 read them: the four IDX .gz files (downloaded from
TF1's mirror where missing, each checked against its published SHA-256)
and Keras's mnist.npz, read into checked uint8 arrays, and scaled as TF1's
loader scaled them (`scale_pixels`)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import urllib.error
import urllib.request

import numpy as np

from tf1kit import files
from tf1kit.data import idx, npz
from tf1kit.errors import DataError

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
IDX_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
# TF1's default mirror (CVDF's copy of yann.lecun.com/exdb/mnist/).
DEFAULT_SOURCE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

# SHA-256 of the published MNIST files, identical on the CVDF mirror and on
# yann.lecun.com (the same values torchvision and tfds pin). TF1 verified
# nothing; a download that does not match is rejected here.
MNIST_SHA256 = {
    TRAIN_IMAGES: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    TRAIN_LABELS: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    TEST_IMAGES: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    TEST_LABELS: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

NUM_CLASSES = 10
# The training images TF1's read_data_sets kept for validation by default.
VALIDATION_SIZE = 5000
_DOWNLOAD_TIMEOUT_S = 60
_HASH_CHUNK = 1 << 20


def sha256_of(path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def keras_cache_path() -> str:
    """Where `keras.datasets.mnist.load_data()` caches `mnist.npz`."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "datasets", "mnist.npz")


def read_checksum_file(path) -> dict[str, str]:
    """Parse a `sha256sum`-style file into {file name: hex digest}."""
    sums = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                digest, name = line.split(maxsplit=1)
                sums[name.strip().lstrip("*")] = digest
    return sums


def download(url: str, path: str, expected_sha256: str | None, hint: str = "") -> None:
    """Download `url` to `path`, atomically, verifying SHA-256 if given.

    The bytes go to a temporary file in the destination folder and are
    renamed into place only when complete and verified: an interrupted,
    failed or wrong download leaves nothing under `path`. `hint`: where
    else the caller's user can get the files, said when a download fails.
    """
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response:
                    for chunk in iter(lambda: response.read(_HASH_CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
                        files.raise_if_interrupted()
            except (urllib.error.URLError, OSError, ValueError) as error:
                reason = getattr(error, "reason", None) or error
                raise DataError(
                    f"{name} is missing from {folder} and could not be downloaded "
                    f"from {url} ({reason}); copy the four MNIST .gz files into "
                    f"{folder}" + (f", {hint}" if hint else "")) from None
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if expected_sha256 is not None and actual != expected_sha256:
            raise DataError(
                f"downloaded {url} but its SHA-256 is {actual}, expected "
                f"{expected_sha256}; the file was discarded")
        files.give_default_permissions(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def fetch_if_missing(folder: str, filename: str, url: str, expected_sha256: str | None,
                     hint: str = "") -> bool:
    """Download `url` to `folder/filename` unless that file exists (creating
    the folder); True if it was downloaded. A folder this call created is
    removed again when the download fails, so a failure leaves nothing."""
    path = os.path.join(folder, filename)
    if os.path.exists(path):
        return False
    created = not os.path.isdir(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise DataError(f"cannot create the data folder {folder}: "
                        f"{error.strerror or error}") from None
    try:
        download(url, path, expected_sha256, hint)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # only if still empty
        raise
    return True


def fetch_missing(folder: str, source_url: str, log=print, hint: str = "") -> None:
    """Download whichever of the four IDX files `folder` lacks, as TF1 did,
    each verified against the published MNIST SHA-256."""
    for filename in IDX_FILES:
        if fetch_if_missing(folder, filename, source_url + filename, MNIST_SHA256.get(filename),
                            hint):
            log(f"downloaded {filename} ({os.path.getsize(os.path.join(folder, filename))} bytes)")


# The model's input layer is 784 = 28 x 28 pixels.
IMAGE_SHAPE = (28, 28)


_MNIST_FORMAT = ("the four files must be one MNIST-format set: as many labels (0-9) as "
                 "images, each image 28x28")
_KERAS_FORMAT = ("expected Keras's mnist.npz layout: x_train, x_test uint8 [N, 28, 28] and "
                 "y_train, y_test uint8 [N] of digits 0-9")


def _check_labels(labels: np.ndarray, where: str) -> None:
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        raise DataError(f"{where}: labels must be digits 0-9, found {int(labels.max())}")


def _check_pair(images: np.ndarray, labels: np.ndarray, where: str) -> None:
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{where}: {images.shape[0]} images but {labels.shape[0]} labels")
    if images.shape[0] == 0:
        raise DataError(f"{where}: no images")
    if tuple(images.shape[1:3]) != IMAGE_SHAPE:
        raise DataError(
            f"{where}: images are {images.shape[1]}x{images.shape[2]} pixels; the "
            f"autoencoder's 784 inputs need {IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]} (MNIST's size)")
    _check_labels(labels, where)


def read_idx_folder(folder: str) -> dict[str, np.ndarray]:
    """Read the four IDX files of a folder (no download) into uint8 arrays.

    Returns {"train_images": [N,28,28,1], "train_labels": [N], "test_images",
    "test_labels"}: the layout TF1's `extract_images`/`extract_labels` gave.
    """
    paths = {name: os.path.join(folder, name) for name in IDX_FILES}
    try:
        arrays = {
            "train_images": idx.read_images(paths[TRAIN_IMAGES]),
            "train_labels": idx.read_labels(paths[TRAIN_LABELS]),
            "test_images": idx.read_images(paths[TEST_IMAGES]),
            "test_labels": idx.read_labels(paths[TEST_LABELS]),
        }
    except DataError as error:
        raise DataError(f"{error}; replace the file, or delete it to have it downloaded "
                        "again") from None
    try:
        _check_pair(arrays["train_images"], arrays["train_labels"],
                    f"{paths[TRAIN_IMAGES]} and {paths[TRAIN_LABELS]}")
        _check_pair(arrays["test_images"], arrays["test_labels"],
                    f"{paths[TEST_IMAGES]} and {paths[TEST_LABELS]}")
    except DataError as error:
        raise DataError(f"{error}; {_MNIST_FORMAT}") from None
    return arrays


def read_keras_npz(path: str) -> dict[str, np.ndarray]:
    """Read Keras's `mnist.npz` into the same layout as `read_idx_folder`.

    `tf1kit.data.npz` checks each array's header before allocating it and loads
    with allow_pickle=False: pickled objects are rejected, never executed.
    Keras stores no validation split; the caller splits the training arrays
    the TF1 way.
    """
    try:
        loaded = npz.read_uint8_arrays(path, {"x_train": 3, "y_train": 1, "x_test": 3,
                                              "y_test": 1})
        for split in ("train", "test"):
            _check_pair(loaded[f"x_{split}"], loaded[f"y_{split}"], f"{path} ({split})")
    except DataError as error:
        raise DataError(f"{error}; {_KERAS_FORMAT}") from None
    return {
        "train_images": loaded["x_train"][..., np.newaxis],
        "train_labels": loaded["y_train"],
        "test_images": loaded["x_test"][..., np.newaxis],
        "test_labels": loaded["y_test"],
    }


def scale_pixels(images: np.ndarray) -> np.ndarray:
    """uint8 [N, 28, 28, 1] -> float32 [N, 784] in [0, 1].

    FAITHFUL DEVIATION FROM IDIOM: the idiomatic `x.astype("float32") / 255`
    differs from TF1's `x.astype(float32) * (1.0 / 255.0)` by 1 ulp on 126
    of the 256 pixel values; we keep TF1's arithmetic so both sides see the
    same numbers.
    """
    flat = images.reshape(images.shape[0], -1).astype(np.float32)
    return np.multiply(flat, 1.0 / 255.0).astype(np.float32)
