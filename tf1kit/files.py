"""Writing output files so that a reader never sees half of one, and
stopping cleanly on Ctrl-C or SIGTERM.

Every output goes to a temporary name beside its final one and is renamed
into place when complete (a single rename is atomic on POSIX). A commit of
several renames (a folder of results merged into an existing one, a TF1
checkpoint's files) runs with SIGINT/SIGTERM deferred, so a signal lands
before or after it, never in the middle.

The entry points run entirely with signals deferred and stop at safe
points (`raise_if_interrupted`: every training step, every download chunk,
before outputs are written). Measured on TF 2.21: a KeyboardInterrupt
raised wherever Python happens to be (its default) lands, now and then,
inside TensorFlow's own `__del__` methods, which swallow it half-way, and
the process later aborts with glibc heap corruption ("corrupted size vs.
prev_size") instead of stopping.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile

_deferral = {"depth": 0, "pending": None}


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM, raised where the program was; `signum` says which.

    A KeyboardInterrupt, so every `finally` and `except KeyboardInterrupt`
    that cleans up after Ctrl-C also cleans up after SIGTERM.
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _on_signal(signum, frame):
    if _deferral["depth"]:
        _deferral["pending"] = signum
        return
    raise Interrupted(signum)


def install_signal_handlers() -> None:
    """Turn SIGINT and SIGTERM into `Interrupted` (call from the main thread)."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)


@contextlib.contextmanager
def signals_deferred():
    """Hold a SIGINT/SIGTERM that arrives inside the block until it ends.

    Only with `install_signal_handlers` in place; without it, Ctrl-C raises
    KeyboardInterrupt wherever it lands, as Python does by default.
    """
    _deferral["depth"] += 1
    try:
        yield
    finally:
        _deferral["depth"] -= 1
        pending = _deferral["pending"]
        if _deferral["depth"] == 0 and pending is not None:
            _deferral["pending"] = None
            raise Interrupted(pending)


def raise_if_interrupted() -> None:
    """A safe point: raise `Interrupted` now if a deferred SIGINT/SIGTERM is
    waiting (a dictionary lookup when none is)."""
    pending = _deferral["pending"]
    if pending is not None:
        _deferral["pending"] = None
        raise Interrupted(pending)


def post_interrupt(signum: int) -> None:
    """Leave a SIGINT/SIGTERM waiting for the next safe point again: a thread
    that took one with `raise_if_interrupted` passes it on this way, so
    that another thread working beside it stops too."""
    _deferral["pending"] = signum


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def give_default_permissions(path: str) -> None:
    """The permissions a plain open()/mkdir() would have given `path`:
    tempfile creates files 0600 and folders 0700, private to their owner,
    which a published report, plot or download must not stay."""
    base = 0o777 if os.path.isdir(path) else 0o666
    os.chmod(path, base & ~_current_umask())


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it to `path` on success.

    On any exception (Ctrl-C and SIGTERM included) the temporary file is
    removed and `path` is left as it was.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    base, extension = os.path.splitext(os.path.basename(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{base}.", suffix=f".part{extension}",
                                         dir=folder)
    os.close(handle)
    try:
        yield temporary
        if os.path.exists(temporary):
            give_default_permissions(temporary)
        os.replace(temporary, path)
    finally:
        with signals_deferred():
            if os.path.exists(temporary):
                os.remove(temporary)


def _missing_ancestors(folder: str) -> list[str]:
    """The folders `os.makedirs(folder)` would create, outermost first."""
    missing = []
    while not os.path.exists(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return missing[::-1]


@contextlib.contextmanager
def staged_folder(parent: str):
    """Yield a new hidden folder inside `parent` (created with its parents)
    to write results into; on any exception it is removed, with the parents
    this call created. Publish it with `publish_folder` or `publish_numbered`
    inside the block."""
    parent = os.path.abspath(parent)
    created = _missing_ancestors(parent)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".staging-", suffix=".part", dir=parent)
    give_default_permissions(staging)
    try:
        yield staging
    finally:
        with signals_deferred():
            shutil.rmtree(staging, ignore_errors=True)  # gone already once published
            for folder in reversed(created):
                with contextlib.suppress(OSError):
                    os.rmdir(folder)  # only if still empty


def publish_folder(staging: str, path: str) -> str:
    """Move the staged results to `path`: one rename if `path` is new or
    empty, else file by file (replacing same-named files) with signals
    deferred. Returns `path`."""
    with signals_deferred():
        try:
            os.rename(staging, path)  # replaces an empty folder, atomically
            return path
        except OSError:
            if not os.path.isdir(path):
                raise
        for name in sorted(os.listdir(staging)):
            os.replace(os.path.join(staging, name), os.path.join(path, name))
        os.rmdir(staging)
    return path


def publish_numbered(staging: str, root: str, prefix: str = "run-") -> str:
    """Rename the staged results to the first free `root/<prefix>NNN`."""
    number = 1
    while True:
        candidate = os.path.join(root, f"{prefix}{number:03d}")
        if not os.path.exists(candidate):
            try:
                os.rename(staging, candidate)
                return candidate
            except OSError:  # taken meanwhile by a concurrent run
                pass
        number += 1
