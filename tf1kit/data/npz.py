"""Reading uint8 arrays from an .npz file without trusting it.

`np.load` on a hostile file can allocate whatever shape a header claims
before it notices the bytes are missing, and unpickles object arrays unless
told not to. Here each member's header (dtype, shape) is read first and
checked against the size of its zip entry, then the arrays are loaded with
allow_pickle=False. Every failure is a `DataError` naming the file
(tests/test_fuzz_readers.py checks that on arbitrary bytes).
"""

from __future__ import annotations

import zipfile
import zlib

import numpy as np

from tf1kit.errors import DataError

# Deflate cannot compress better than about 1032:1, so an entry declaring
# more than this many bytes per stored byte is lying about its size.
_MAX_DEFLATE_RATIO = 1100


def _member_header(archive: zipfile.ZipFile, key: str, path: str):
    """(dtype, shape) a member declares, checked against its zip entry's
    size (a header may claim terabytes), allocating nothing."""
    info = archive.getinfo(key + ".npy")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        elif version in ((2, 0), (3, 0)):
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
        header_bytes = member.tell()
    if dtype.hasobject:
        raise DataError(f"{path}: {key} holds pickled Python objects, which are never "
                        "loaded (allow_pickle=False)")
    claimed = header_bytes + int(np.prod(shape, dtype=object)) * dtype.itemsize
    if claimed != info.file_size or info.file_size > _MAX_DEFLATE_RATIO * max(
            info.compress_size, 1):
        raise DataError(f"{path}: {key} claims shape {shape} ({claimed} bytes) but its "
                        f"entry holds {info.file_size}; the file is damaged")
    return dtype, shape


def read_arrays(path: str, check, keys=None) -> dict[str, np.ndarray]:
    """The arrays `keys` (default: all) of the .npz at `path`, after
    `check(headers)` ({key: (dtype, shape)} as the members declare them)
    has passed: it returns None, or the reason the file is refused (a
    DataError naming the file). Damaged, foreign, pickled or lying files
    are refused too."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [name[:-len(".npy")] for name in archive.namelist()
                       if name.endswith(".npy")]
            headers = {key: _member_header(archive, key, path) for key in members}
        problem = check(headers)
        if problem:
            raise DataError(f"{path}: {problem}")
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in (headers if keys is None else keys)}
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error,
            NotImplementedError, RuntimeError, KeyError) as error:
        # A damaged or foreign file: zipfile raises BadZipFile (and
        # NotImplementedError/RuntimeError for unsupported compression or
        # encryption), numpy ValueError for a bad .npy header, zlib.error for
        # a corrupt stream.
        raise DataError(f"{path}: not a readable .npz file ({error})") from None


def read_uint8_arrays(path: str, dimensions: dict[str, int]) -> dict[str, np.ndarray]:
    """The uint8 arrays named by `dimensions` ({key: rank}) from the .npz at
    `path`; DataError if one is missing, of another dtype or rank, pickled,
    or damaged."""
    def check(headers):
        missing = [key for key in dimensions if key not in headers]
        if missing:
            return f"missing arrays {missing}; expected {list(dimensions)}"
        for key, rank in dimensions.items():
            dtype, shape = headers[key]
            if dtype != np.uint8 or len(shape) != rank:
                expected = {3: "[N, rows, cols]", 1: "[N]"}.get(rank, f"of rank {rank}")
                return f"{key} must be uint8 {expected}, got {dtype} {shape}"
        return None
    return read_arrays(path, check, keys=list(dimensions))
