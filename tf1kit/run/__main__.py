"""`python -m tf1kit.run SCRIPT.py`: tf1-run."""
import sys

from tf1kit.run.cli import console

sys.exit(console())
