"""tf1kit/quiet.py: TensorFlow's start-up lines dropped from a command's
stderr, every other byte passed on (tracebacks, our one-line errors, a
progress line without its newline yet)."""

import subprocess
import sys

import pytest

from tf1kit import quiet
from tests.helpers import REPO_ROOT

# As TensorFlow 2.21 wrote them on a CPU-only machine (python compare.py).
STARTUP = [
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    b"I0000 00:00:1796621474.852049   18198 cudart_stub.cc:31] Could not find cuda drivers on "
    b"your machine, GPU will not be used.",
    b"I0000 00:00:1796621475.147910   18198 cpu_feature_guard.cc:227] This TensorFlow binary "
    b"is optimized to use available CPU instructions in performance-critical operations.",
    b"To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    b"with the appropriate compiler flags.",
    b"E0000 00:00:1796624317.063938   28713 cuda_platform.cc:52] failed call to cuInit: "
    b"INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
]
KEPT = [
    b"Traceback (most recent call last):",
    b"python compare.py: error: --epochs: expected a positive integer, got 0",
    # an error after start-up, or one that is not the CUDA probe, is the user's to see
    b"E0000 00:00:1796624317.063938   28713 cuda_platform.cc:52] out of memory",
    b"W1207 05:30:00.000000   18198 something.cc:12] a warning once logging has started",
]


@pytest.mark.parametrize("line", STARTUP)
def test_each_startup_line_is_recognised(line):
    assert quiet.is_startup_line(line + b"\n")


@pytest.mark.parametrize("line", KEPT)
def test_other_lines_are_not(line):
    assert not quiet.is_startup_line(line + b"\n")


def test_the_filtered_stderr_drops_startup_lines_and_passes_the_rest_as_written():
    program = (
        "import os, sys\n"
        "from tf1kit import quiet\n"
        "quiet.hide_startup_lines()\n"
        f"for line in {STARTUP!r}:\n"
        "    os.write(2, line + b'\\n')\n"
        "sys.stderr.write('python compare.py: error: kept\\n')\n"
        "sys.stderr.flush()\n"
        "os.write(2, b'progress 50%\\r')\n"
        "print('stdout untouched')\n")
    result = subprocess.run([sys.executable, "-c", program], cwd=REPO_ROOT,
                            capture_output=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout == b"stdout untouched\n"
    assert result.stderr == b"python compare.py: error: kept\nprogress 50%\r"


def test_a_multi_seed_comparison_drops_only_tensorflows_per_seed_retracing_warning():
    import logging

    from parity.comparison import _OneTracePerSeed

    def record(message):
        return logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, message, None,
                                 None)
    kept = _OneTracePerSeed()
    assert not kept.filter(record(
        "5 out of the last 5 calls to <function gather_loop.<locals>.train_steps_from_indices "
        "at 0x7f4850> triggered tf.function retracing. Tracing is expensive ..."))
    assert kept.filter(record("Gradients do not exist for variables ['dense/bias']"))
