"""examples/generated/: what tf1-convert writes for the CNN worked example
(tests/fixtures/tf1/cnn.py), in each mode, committed so that every change
to the writer is a reviewable diff (tests/test_generated_rewrites.py renders
both from the stored record and compares).

    python -m tools.generated_rewrites                      # render from the record
    python -m tools.generated_rewrites --data-dir DIR       # trace again, record, render

With --data-dir the script is traced for a few steps under tf1-run (seed 0)
and the record (examples/generated/cnn.record.json: the trace's graph,
optimizer, random ops and each feed's role) is written anew; without it,
the stored record is rendered. Rendering needs no TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "fixtures", "tf1", "cnn.py")
FOLDER = os.path.join(ROOT, "examples", "generated")
RECORD = os.path.join(FOLDER, "cnn.record.json")
# The rewrite's file name in each mode (its docstring names it).
OUTPUTS = {"exact": "cnn_keras.py", "idiomatic": "cnn_keras_idiomatic.py"}
TRACED_STEPS = 3


def rendered() -> dict:
    """{file name: the text tf1-convert writes} from the stored record."""
    from tf1kit.convert import rewrite
    with open(RECORD, encoding="utf-8") as stream:
        stored = json.load(stream)
    with open(SCRIPT, encoding="utf-8") as stream:
        source = stream.read()
    return {output: rewrite.render(stored, source, SCRIPT, mode, output)[0]
            for mode, output in OUTPUTS.items()}


def record_again(data_dir: str) -> None:
    from tf1kit.convert import cli, rewrite
    with tempfile.TemporaryDirectory() as work:
        trace = os.path.join(work, "original.npz")
        if cli.trace(SCRIPT, data_dir, trace, TRACED_STEPS, seed=0) != 0:
            raise SystemExit(f"tf1-run could not trace {SCRIPT}")
        recorded = rewrite.record(trace, data_dir)
    with open(RECORD, "w", encoding="utf-8") as stream:
        json.dump(recorded, stream, indent=1, sort_keys=True)
        stream.write("\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", metavar="DIR",
                        help="an MNIST folder: trace the script again and store its record")
    args = parser.parse_args(argv)
    if args.data_dir:
        record_again(args.data_dir)
    for name, text in rendered().items():
        with open(os.path.join(FOLDER, name), "w", encoding="utf-8") as stream:
            stream.write(text)
        print(f"wrote examples/generated/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
