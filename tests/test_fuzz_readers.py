"""Property-based fuzzing of the IDX and npz readers: whatever the bytes,
the result is valid arrays matching the header, or the project's own
DataError, within a time bound; never another exception, never a hang."""

import contextlib
import gzip
import io
import os
import signal
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tf1kit.data import idx, npz
from tf1kit.errors import DataError
from tests.helpers import npy_header

# Per example: far above the few milliseconds a read takes, far below a hang.
TIME_BOUND_S = 5
# 150 examples per property keeps CI short; FUZZ_EXAMPLES=5000 digs deeper.
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
NPZ_RANKS = {"x_train": 3, "y_train": 1, "x_test": 3, "y_test": 1}


class Hang(Exception):
    """Raised by the alarm: the reader took longer than TIME_BOUND_S."""


@contextlib.contextmanager
def time_bound(seconds=TIME_BOUND_S):
    def alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_or_data_error(read, path):
    """`read(path)`, or None if it raised DataError; anything else fails."""
    with time_bound():
        try:
            return read(path)
        except DataError as error:
            assert "\n" not in str(error)  # one line for the user
            return None


def gzipped(payload: bytes) -> bytes:
    return gzip.compress(payload, mtime=0)


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "file"


# --- IDX -----------------------------------------------------------------

@FUZZ
@given(content=st.binary(max_size=512), wrap=st.booleans(),
       reader=st.sampled_from([idx.read_images, idx.read_labels]))
def test_idx_arbitrary_bytes(path, content, wrap, reader):
    path.write_bytes(gzipped(content) if wrap else content)
    result = read_or_data_error(reader, path)
    assert result is None or result.dtype == np.uint8


def reference_shape(content: bytes, kind_magic: int, rank: int):
    """The shape an IDX stream truthfully describes, or None if it does not."""
    if len(content) < 4 + 4 * rank or struct.unpack(">I", content[:4])[0] != kind_magic:
        return None
    shape = struct.unpack(f">{rank}I", content[4:4 + 4 * rank])
    nonzero = [dim for dim in shape if dim]
    if int(np.prod(shape, dtype=object)) != len(content) - 4 - 4 * rank or \
            int(np.prod(nonzero, dtype=object)) >= 2**62:  # beyond what numpy indexes
        return None
    return shape


@FUZZ
@given(magic=st.sampled_from([idx.IMAGES_MAGIC, idx.LABELS_MAGIC, 0, 2**32 - 1]),
       dims=st.lists(st.one_of(st.integers(0, 8), st.integers(0, 2**32 - 1)),
                     min_size=0, max_size=4),
       payload_size=st.integers(0, 600), extra=st.integers(0, 3))
def test_idx_arbitrary_headers(path, magic, dims, payload_size, extra):
    content = struct.pack(f">I{len(dims)}I", magic, *dims) + bytes(payload_size + extra)
    path.write_bytes(gzipped(content))
    for reader, kind_magic, rank, depth in ((idx.read_images, idx.IMAGES_MAGIC, 3, (1,)),
                                            (idx.read_labels, idx.LABELS_MAGIC, 1, ())):
        result = read_or_data_error(reader, path)
        expected = reference_shape(content, kind_magic, rank)
        # Valid arrays exactly when the header tells the truth, of its shape.
        assert (None if result is None else result.shape) == (
            None if expected is None else expected + depth)


@FUZZ
@given(positions=st.lists(st.integers(0, 10_000), min_size=1, max_size=8),
       values=st.binary(min_size=8, max_size=8), cut=st.integers(0, 10_000))
def test_idx_damaged_valid_files(path, positions, values, cut):
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as stream:
        stream.write(struct.pack(">4I", idx.IMAGES_MAGIC, 3, 28, 28) + bytes(range(256)) * 9
                     + bytes(3 * 784 - 256 * 9))
    content = bytearray(buffer.getvalue())
    for position, value in zip(positions, values):
        content[position % len(content)] = value
    path.write_bytes(bytes(content[: max(cut, len(content) // 2)]))
    result = read_or_data_error(idx.read_images, path)
    assert result is None or result.shape[1:] == (28, 28, 1)


# --- npz -----------------------------------------------------------------

def valid_arrays_match_their_checks(result):
    assert result is None or all(
        array.dtype == np.uint8 and array.ndim == NPZ_RANKS[key] for key, array in result.items())


@FUZZ
@given(content=st.binary(max_size=512), zip_prefix=st.booleans())
def test_npz_arbitrary_bytes(path, content, zip_prefix):
    path.write_bytes((b"PK\x03\x04" if zip_prefix else b"") + content)
    valid_arrays_match_their_checks(
        read_or_data_error(lambda p: npz.read_uint8_arrays(str(p), NPZ_RANKS), path))


@FUZZ
@given(members=st.dictionaries(
    st.sampled_from(list(NPZ_RANKS) + ["other"]),
    st.tuples(st.lists(st.one_of(st.integers(0, 6), st.integers(0, 2**40)), max_size=4),
              st.sampled_from(["|u1", "<f4", "|O", "<i8", ">u2", "|b1"]),
              st.booleans(), st.integers(0, 300)),
    max_size=5), compress=st.booleans())
def test_npz_arbitrary_headers(path, members, compress):
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as archive:
        for key, (shape, descr, fortran, payload_size) in members.items():
            archive.writestr(key + ".npy", npy_header(shape, descr, fortran) + bytes(payload_size))
    valid_arrays_match_their_checks(
        read_or_data_error(lambda p: npz.read_uint8_arrays(str(p), NPZ_RANKS), path))


@FUZZ
@given(positions=st.lists(st.integers(0, 100_000), min_size=1, max_size=8),
       values=st.binary(min_size=8, max_size=8), compress=st.booleans())
def test_npz_damaged_valid_files(path, positions, values, compress):
    buffer = io.BytesIO()
    arrays = {"x_train": np.arange(5 * 28 * 28, dtype=np.uint8).reshape(5, 28, 28),
              "y_train": np.arange(5, dtype=np.uint8),
              "x_test": np.zeros((2, 28, 28), np.uint8), "y_test": np.ones(2, np.uint8)}
    (np.savez_compressed if compress else np.savez)(buffer, **arrays)
    content = bytearray(buffer.getvalue())
    for position, value in zip(positions, values):
        content[position % len(content)] = value
    path.write_bytes(bytes(content))
    valid_arrays_match_their_checks(
        read_or_data_error(lambda p: npz.read_uint8_arrays(str(p), NPZ_RANKS), path))
