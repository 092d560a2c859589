"""The kit's command-line rules: a user mistake ends in one line on stderr
and exit status 2, never a traceback; Ctrl-C and SIGTERM stop at a safe
point and leave no partial output."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys

from tf1kit import files
from tf1kit.errors import DataError

EXIT_USAGE = 2      # bad flags or bad data: the user's to fix



class ArgumentParser(argparse.ArgumentParser):
    """argparse, with a usage error reported as ONE line (argparse prints the
    whole usage block first, several lines for these many flags)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


# TF1's loader seeds numpy's global RNG with the seed, and numpy accepts
# 0 <= seed < 2**32; a larger one would fail deep inside training.
MAX_SEED = 2**32 - 1




def integer_between(minimum: int, maximum: int | None, description: str):
    """An argparse type: an integer in [minimum, maximum], else a one-line error."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {description}, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected {description}, got {value}")
        return value
    return parse


positive_int = integer_between(1, None, "a positive integer")
non_negative_int = integer_between(0, None, "an integer >= 0")
seed_int = integer_between(0, MAX_SEED, f"a seed from 0 to {MAX_SEED}")

def program_name(command: str, module_form: str) -> str:
    """How the user called the program: its console command (`pip install
    -e` made it) or `python -m ...`."""
    return command if os.path.basename(sys.argv[0]) == command else module_form


def run_main(main, program: str, argv=None, safe_points: bool = True, exits=()) -> int:
    """Call `main(argv)`, turning user-facing errors into one line + status:
    DataError 2, and each (exception type, status) of `exits`.

    SIGINT and SIGTERM become `files.Interrupted`, raised at the next safe
    point (`files.raise_if_interrupted`: each training step, each download
    chunk, before outputs are written) or, with `safe_points=False`, wherever
    they land, as Python's Ctrl-C does; temporary files are cleaned up on
    the way out. The status is then 128 + the signal number (130, 143), as a
    shell reports a killed program.
    """
    files.install_signal_handlers()
    deferral = files.signals_deferred() if safe_points else contextlib.nullcontext()
    try:
        with deferral:
            return main(argv) or 0
    except (DataError, *(kind for kind, _ in exits)) as error:
        print(f"{program}: error: {error}", file=sys.stderr)
        return next((status for kind, status in exits if isinstance(error, kind)), EXIT_USAGE)
    except KeyboardInterrupt as error:
        signum = getattr(error, "signum", signal.SIGINT)
        print(f"{program}: stopped by {signal.Signals(signum).name}; no partial output "
              "was left", file=sys.stderr)
        return 128 + signum


def quiet_tensorflow_logs() -> None:
    """Hide TensorFlow's C++ INFO/WARNING start-up lines (CUDA probing, CPU
    features) unless the user set TF_CPP_MIN_LOG_LEVEL. Call before TF loads."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
