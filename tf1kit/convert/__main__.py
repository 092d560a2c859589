import sys

from tf1kit.convert.cli import main

sys.exit(main())
