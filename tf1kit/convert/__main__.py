import sys

from tf1kit.convert.cli import console

sys.exit(console())
