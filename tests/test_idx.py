"""IDX reading: round trips and a clear DataError, naming the file, for
each way a file can be wrong."""

import gzip
import struct
import time

import numpy as np
import pytest

from tf1kit.data import mnist
from tf1kit.data import idx
from tf1kit.errors import DataError
from tests.helpers import write_synthetic_idx


def test_round_trip_of_written_files(tmp_path):
    arrays = write_synthetic_idx(tmp_path, n_train=13, n_test=4)
    loaded = mnist.read_idx_folder(str(tmp_path))
    np.testing.assert_array_equal(loaded["train_images"][..., 0], arrays["train_images"])
    np.testing.assert_array_equal(loaded["train_labels"], arrays["train_labels"])
    np.testing.assert_array_equal(loaded["test_images"][..., 0], arrays["test_images"])
    assert loaded["train_images"].shape == (13, 28, 28, 1)
    assert loaded["train_images"].dtype == np.uint8


def write_gzip(path, payload: bytes):
    with gzip.open(path, "wb") as stream:
        stream.write(payload)


def test_wrong_magic_number_names_the_file(tmp_path):
    path = tmp_path / "labels.gz"
    idx.write_labels(path, np.zeros(3, dtype=np.uint8))
    with pytest.raises(DataError, match=r"Invalid magic number 2049 in MNIST image file: .*labels\.gz"):
        idx.read_images(path)


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "images.gz"
    write_gzip(path, struct.pack(">4I", 2051, 10, 28, 28) + bytes(28 * 28 * 3))
    with pytest.raises(DataError, match=r"images\.gz: truncated: the header promises 7840 bytes"):
        idx.read_images(path)


def test_truncated_gzip_stream_names_the_file(tmp_path):
    path = tmp_path / "images.gz"
    idx.write_images(path, np.ones((5, 28, 28), dtype=np.uint8))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"images\.gz"):
        idx.read_images(path)


def test_not_gzip_names_the_file(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(b"this is not a gzip stream at all")
    with pytest.raises(DataError, match=r"images\.gz: not a valid gzip file"):
        idx.read_images(path)


def test_corrupt_gzip_body_names_the_file(tmp_path):
    path = tmp_path / "images.gz"
    idx.write_images(path, np.arange(28 * 28 * 4, dtype=np.uint32).astype(np.uint8).reshape(4, 28, 28))
    data = bytearray(path.read_bytes())
    for position in range(20, len(data) - 8):
        data[position] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"images\.gz"):
        idx.read_images(path)


def test_image_label_count_mismatch_names_both_files(tmp_path):
    write_synthetic_idx(tmp_path, n_train=6, n_test=2)
    idx.write_labels(tmp_path / mnist.TRAIN_LABELS, np.zeros(5, dtype=np.uint8))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz and .*train-labels"
                                        r"-idx1-ubyte\.gz: 6 images but 5 labels"):
        mnist.read_idx_folder(str(tmp_path))


def test_labels_outside_digits_are_rejected(tmp_path):
    write_synthetic_idx(tmp_path, n_train=6, n_test=2)
    idx.write_labels(tmp_path / mnist.TEST_LABELS, np.array([1, 12], dtype=np.uint8))
    with pytest.raises(DataError, match="labels must be digits 0-9, found 12"):
        mnist.read_idx_folder(str(tmp_path))


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(DataError, match=r"nothere\.gz: file not found"):
        idx.read_labels(tmp_path / "nothere.gz")


def test_header_claiming_billions_fails_fast_without_allocating(tmp_path):
    path = tmp_path / "images.gz"
    write_gzip(path, struct.pack(">4I", 2051, 4_000_000_000, 28, 28) + bytes(100))
    started = time.perf_counter()
    with pytest.raises(DataError, match="truncated"):
        idx.read_images(path)
    # Bound generous enough for a loaded CI machine; allocating the claimed
    # 3 TB would raise MemoryError instead, never reaching this line.
    assert time.perf_counter() - started < 5.0


def test_bytes_beyond_the_header_count_are_rejected(tmp_path):
    path = tmp_path / "labels.gz"
    write_gzip(path, struct.pack(">2I", 2049, 3) + bytes(5))
    with pytest.raises(DataError, match=r"labels\.gz: 2 bytes after the 3 bytes of label data"):
        idx.read_labels(path)


def test_images_of_another_size_are_rejected_by_the_folder_reader(tmp_path):
    write_synthetic_idx(tmp_path, n_train=3, n_test=2)
    idx.write_images(tmp_path / mnist.TEST_IMAGES, np.zeros((2, 20, 20), np.uint8))
    with pytest.raises(DataError, match=r"images are 20x20 pixels; .* need 28x28"):
        mnist.read_idx_folder(str(tmp_path))


def test_a_folder_without_images_is_rejected(tmp_path):
    write_synthetic_idx(tmp_path, n_train=3, n_test=2)
    idx.write_images(tmp_path / mnist.TEST_IMAGES, np.zeros((0, 28, 28), np.uint8))
    idx.write_labels(tmp_path / mnist.TEST_LABELS, np.zeros(0, np.uint8))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: no images"):
        mnist.read_idx_folder(str(tmp_path))


def test_zero_items_of_an_unindexable_shape_is_a_data_error(tmp_path):
    path = tmp_path / "images.gz"
    write_gzip(path, struct.pack(">4I", 2051, 0, 2**32 - 1, 2**32 - 1))
    with pytest.raises(DataError, match="not a usable array shape"):
        idx.read_images(path)
