"""`python -m benchmarks`: see benchmarks/throughput.py and --help."""

import sys

from benchmarks import throughput
from common import cli

if __name__ == "__main__":
    sys.exit(cli.run_main(throughput.main, "python -m benchmarks"))
