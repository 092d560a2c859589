"""Move MIGRATION.md's code links to wherever their quoted code now is.

    python tools/relink_guide.py        # rewrites MIGRATION.md in place

Each link `[text](path#Lstart-Lend "quote")` keeps its length and moves to
the first line of `path` that contains `quote`, or, when the code moved to
another file of the same folder (a module split in two), to that file; a
quote found nowhere is reported and left alone (tests/test_migration_guide.py
then fails on it).
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r'\(([^)#\s]+)#L(\d+)(?:-L(\d+))? "([^"]+)"\)')


def lines_holding(path, quote):
    lines = open(os.path.join(ROOT, path), encoding="utf-8").read().splitlines()
    return [number for number, line in enumerate(lines, start=1) if quote in line]


def relink(match):
    path, start, end, quote = match.groups()
    found = lines_holding(path, quote)
    if not found:  # moved to a sibling module?
        folder = os.path.dirname(path)
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            sibling = f"{folder}/{name}" if folder else name
            if name.endswith(".py") and sibling != path and lines_holding(sibling, quote):
                path, found = sibling, lines_holding(sibling, quote)
                break
    if not found:
        print(f"not found: {quote!r} in {path}", file=sys.stderr)
        return match.group(0)
    first = found[0]
    if end:
        return f'({path}#L{first}-L{first + int(end) - int(start)} "{quote}")'
    return f'({path}#L{first} "{quote}")'


if __name__ == "__main__":
    guide = os.path.join(ROOT, "MIGRATION.md")
    text = open(guide, encoding="utf-8").read()
    open(guide, "w", encoding="utf-8").write(LINK.sub(relink, text))
