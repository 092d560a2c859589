"""TensorFlow's start-up lines kept off a command's stderr.

`TF_CPP_MIN_LOG_LEVEL` silences TensorFlow's own C++ log, but not the lines
its libraries write through absl before logging is initialised: "WARNING:
All log messages before absl::InitializeLog() is called are written to
STDERR", "I0000 ... cudart_stub.cc:31] Could not find cuda drivers ...",
the CPU-feature notice, and on a CPU-only machine "E0000 ...
cuda_platform.cc ... failed call to cuInit". They come from C++, straight
to file descriptor 2, so `hide_startup_lines()` routes that descriptor
through a pipe and a thread that drops them and passes every other byte
on: tracebacks, warnings and our own lines arrive as written. A command's
`--verbose` leaves stderr alone.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading

# A whole line (without its newline) that is TensorFlow start-up noise:
# absl's pre-initialisation notice; INFO and WARNING lines written before
# absl logging starts (their date reads 0000); the failed CUDA probe of a
# CPU-only machine; the CPU-feature notice's second line.
STARTUP_LINE = re.compile(
    rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to "
    rb"STDERR"
    rb"|[IW]0000 \d\d:\d\d:[\d.]+ +\d+ [\w.]+\.cc:\d+\] .*"
    rb"|E0000 \d\d:\d\d:[\d.]+ +\d+ [\w.]+\.cc:\d+\] failed call to cuInit.*"
    rb"|To enable the following instructions: .* rebuild TensorFlow with the appropriate "
    rb"compiler flags\.")
_installed = []


def is_startup_line(line: bytes) -> bool:
    return STARTUP_LINE.fullmatch(line.rstrip(b"\r\n")) is not None


def _pump(source: int, target: int) -> None:
    """Copy `source` to `target`, dropping start-up lines; a piece without
    its newline yet (a progress line) passes at once."""
    pending = b""
    while True:
        chunk = os.read(source, 1 << 16)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        kept = b"".join(line + b"\n" for line in lines if not is_startup_line(line))
        if pending and not re.match(rb"[IWE]0000 |WARNING: All|To enable", pending):
            kept, pending = kept + pending, b""
        if kept:
            os.write(target, kept)
    if pending and not is_startup_line(pending):
        os.write(target, pending)
    os.close(source)


def hide_startup_lines() -> None:
    """Filter this process's stderr (and its children's) from now on.
    Once per process; call before TensorFlow loads."""
    if _installed:
        return
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    target, restore = os.dup(2), os.dup(2)
    os.dup2(write_end, 2)
    os.close(write_end)
    thread = threading.Thread(target=_pump, args=(read_end, target), daemon=True)
    thread.start()
    _installed.append(thread)

    def drain():  # the pipe's last writer closed: the pump ends once it has passed all
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(restore, 2)
        thread.join(timeout=5)
        os.close(target)
    atexit.register(drain)


def unless_verbose(argv: list) -> None:
    """A command's first step: hide the start-up lines, or with `--verbose`
    in its arguments show TensorFlow's C++ log too."""
    if "--verbose" in argv:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")
    else:
        hide_startup_lines()


def command(main, own_arguments=None) -> int:
    """A console command: `unless_verbose` on its own arguments (default:
    all of them), then `main()`."""
    unless_verbose(sys.argv[1:] if own_arguments is None else own_arguments)
    return main()
