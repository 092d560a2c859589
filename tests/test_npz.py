"""The .npz reader: headers are checked before anything is allocated, and
every malformed file is a DataError naming it."""

import io
import os
import time
import zipfile

import numpy as np
import pytest

from tf1kit.data import mnist
from tf1kit.data import npz
from tf1kit.errors import DataError
from tests.helpers import npy_header

RANKS = {"x_train": 3, "y_train": 1, "x_test": 3, "y_test": 1}


def mnist_like(**overrides):
    arrays = {"x_train": np.zeros((6, 28, 28), np.uint8), "y_train": np.arange(6, dtype=np.uint8),
              "x_test": np.zeros((2, 28, 28), np.uint8), "y_test": np.zeros(2, np.uint8)}
    arrays.update(overrides)
    return {key: value for key, value in arrays.items() if value is not None}


def test_a_valid_file_round_trips(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, **mnist_like())
    loaded = mnist.read_keras_npz(str(path))
    assert loaded["train_images"].shape == (6, 28, 28, 1)
    np.testing.assert_array_equal(loaded["train_labels"], np.arange(6))


@pytest.mark.parametrize("overrides, message", [
    ({"y_test": None}, r"missing arrays \['y_test'\]"),
    ({"x_train": np.zeros((6, 784), np.uint8)}, r"x_train must be uint8 \[N, rows, cols\], got uint8 \(6, 784\)"),
    ({"y_train": np.zeros(6, np.int64)}, r"y_train must be uint8 \[N\], got int64"),
    ({"x_test": np.zeros((2, 20, 20), np.uint8)}, r"\(test\): images are 20x20 pixels"),
    ({"y_train": np.full(6, 10, np.uint8)}, r"labels must be digits 0-9, found 10"),
    ({"y_test": np.zeros(3, np.uint8)}, r"\(test\): 2 images but 3 labels"),
])
def test_wrong_contents_name_the_problem(tmp_path, overrides, message):
    path = tmp_path / "mnist.npz"
    np.savez(path, **mnist_like(**overrides))
    with pytest.raises(DataError, match=message):
        mnist.read_keras_npz(str(path))


def test_pickled_objects_are_refused_not_loaded(tmp_path):
    path = tmp_path / "mnist.npz"
    objects = np.empty(6, dtype=object)
    objects[:] = [os.system] * 6  # what a hostile file would smuggle in
    np.savez(path, **mnist_like(y_train=objects))
    with pytest.raises(DataError, match="y_train holds pickled Python objects"):
        mnist.read_keras_npz(str(path))


def test_a_header_claiming_terabytes_fails_fast_without_allocating(tmp_path):
    path = tmp_path / "mnist.npz"
    with zipfile.ZipFile(path, "w") as archive:  # x_train is a tiny liar
        for key, array in mnist_like(x_train=None).items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(key + ".npy", buffer.getvalue())
        archive.writestr("x_train.npy", npy_header((4_000_000_000, 28, 28)) + bytes(100))
    started = time.perf_counter()
    with pytest.raises(DataError, match=r"x_train claims shape \(4000000000, 28, 28\)"):
        npz.read_uint8_arrays(str(path), RANKS)
    # Allocating the claim would take minutes or raise MemoryError instead.
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04" + bytes(40)])
def test_a_file_that_is_not_an_npz_is_a_data_error(tmp_path, content):
    path = tmp_path / "mnist.npz"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"mnist\.npz: not a readable \.npz file"):
        npz.read_uint8_arrays(str(path), RANKS)
