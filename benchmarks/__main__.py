"""`python -m benchmarks`: see benchmarks/throughput.py and --help."""

import sys

from benchmarks import throughput
from common import cli

if __name__ == "__main__":
    # safe_points=False: Ctrl-C acts at once, as Python's does. The timing
    # loops have no safe points, and the parent mostly waits on a child
    # process, which Ctrl-C interrupts cleanly; outputs are written atomically.
    sys.exit(cli.run_main(throughput.main, "python -m benchmarks", safe_points=False))
