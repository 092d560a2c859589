"""`python -m tf1kit.compare ORIGINAL.npz REWRITE.npz`: tf1-trace-compare."""
import sys

from tf1kit.compare.cli import console

sys.exit(console())
