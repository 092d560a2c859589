"""Writing output files so that a reader never sees half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it to `path` on success.

    On any exception (Ctrl-C included) the temporary file is removed and
    `path` is left as it was.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    base, extension = os.path.splitext(os.path.basename(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{base}.", suffix=f".part{extension}",
                                         dir=folder)
    os.close(handle)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
