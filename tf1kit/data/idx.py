"""Reading and writing the gzipped IDX files that MNIST is distributed in.

Format (LeCun's MNIST page): a big-endian uint32 magic number (2051 for
images, 2049 for labels), big-endian uint32 dimensions (count, then rows and
columns for images), then uint8 data. TF1's loader trusted the header; here a
header that promises more bytes than the file holds (or fewer: trailing
bytes mean the header and the data disagree), a corrupt gzip stream, a wrong
magic number or an unreadable file each raise `DataError` naming the file;
nothing else escapes (tests/test_fuzz_readers.py checks that on arbitrary
bytes).
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

from tf1kit.errors import DataError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
# Read the payload in bounded chunks: a header claiming billions of items in
# a tiny file must fail on the short read, not by allocating the claim.
_CHUNK_BYTES = 1 << 20


def _read_exactly(stream, size: int, path: str, what: str) -> bytes:
    chunks = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(remaining, _CHUNK_BYTES))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    if remaining:
        raise DataError(
            f"{path}: truncated: the header promises {size} bytes of {what}, "
            f"the file holds {size - remaining}")
    return b"".join(chunks)


def _read_idx(path: str, expected_magic: int, n_dims: int, kind: str) -> np.ndarray:
    path = os.fspath(path)
    try:
        with open(path, "rb") as raw, gzip.GzipFile(fileobj=raw) as stream:
            (magic,) = struct.unpack(">I", _read_exactly(stream, 4, path, "header"))
            if magic != expected_magic:
                # Same wording as TF1's loader, with the file named.
                raise DataError(
                    f"Invalid magic number {magic} in MNIST {kind} file: {path}")
            dims = struct.unpack(f">{n_dims}I", _read_exactly(stream, 4 * n_dims, path, "header"))
            size = 1
            for dim in dims:  # Python ints: no overflow on absurd headers
                size *= dim
            payload = _read_exactly(stream, size, path, kind + " data")
            extra = len(stream.read(_CHUNK_BYTES))
            if extra:
                raise DataError(
                    f"{path}: {'more than ' if extra == _CHUNK_BYTES else ''}{extra} bytes "
                    f"after the {size} bytes of {kind} data its header describes; the "
                    "header and the data disagree")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, expected a gzipped IDX file") from None
    except (gzip.BadGzipFile, zlib.error, EOFError) as error:
        raise DataError(f"{path}: not a valid gzip file ({error})") from None
    except OSError as error:  # permissions, a device error, ...
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        return np.frombuffer(payload, dtype=np.uint8).reshape(dims)
    except ValueError:  # e.g. 0 items of 2**32 x 2**32: more than numpy can index
        raise DataError(f"{path}: the header's dimensions {dims} are not a "
                        "usable array shape") from None


def read_images(path) -> np.ndarray:
    """Read a gzipped IDX image file into a uint8 array [count, rows, cols, 1].

    The trailing depth axis is what TF1's `extract_images` returned and what
    `DataSet(reshape=True)` expects.
    """
    images = _read_idx(path, IMAGES_MAGIC, 3, "image")
    return images[..., np.newaxis]


def read_labels(path) -> np.ndarray:
    """Read a gzipped IDX label file into a uint8 array [count]."""
    return _read_idx(path, LABELS_MAGIC, 1, "label")


def _write_idx(path, magic: int, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    # mtime=0 and no stored file name make the bytes depend on content only.
    with open(path, "wb") as raw, gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as stream:
        stream.write(header)
        stream.write(array.tobytes())


def write_images(path, images: np.ndarray) -> None:
    """Write uint8 images [count, rows, cols] (or [..., 1]) as gzipped IDX."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images must be [count, rows, cols], got shape {images.shape}")
    _write_idx(path, IMAGES_MAGIC, images)


def write_labels(path, labels: np.ndarray) -> None:
    """Write uint8 labels [count] as gzipped IDX."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be [count], got shape {labels.shape}")
    _write_idx(path, LABELS_MAGIC, labels)
