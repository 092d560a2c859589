"""tf1-trace-compare: a rewrite's trace against the original's.

    tf1-trace-compare ORIGINAL.npz REWRITE.npz [--map MAP.json]

Two traces with training steps are compared step by step
(tf1kit/compare/diff.py: the variable map, the start, the batches, the first
differing tensor and the optimizer's float64 check), then the environments
judged (tf1kit/compare/verdict.py); traces without them by their fetched
values (tf1kit/compare/values.py): the first differing call and value.
"""

from __future__ import annotations

import json
import sys

from tf1kit.cli import ArgumentParser, program_name, run_main
from tf1kit.compare import diff, verdict
from tf1kit.compare.values import compare
from tf1kit.errors import DataError
from tf1kit.trace.tracefile import Trace, load


def report(first: Trace, second: Trace, finding) -> int:
    """Print the finding with the environments judged (tf1kit/compare/verdict.py);
    the exit status: 0 MATCH or ROUNDING, 1 MISMATCH (tf1-convert --prove
    prints its own comparison so)."""
    differences = verdict.factors(first, second)
    lines = list(finding.lines)
    lines.insert(1, "environment: " + ("the same (what decides the bits: CPU kernel flags, "
                                       "oneDNN, threads, versions, backend)" if not differences
                                       else "differs: " + "; ".join(differences)))
    if finding.match or not differences:
        print("\n".join(lines))
        return 0 if finding.match else 1
    within, sentence = verdict.across(first, second, finding.mapping, finding.step,
                                      finding.birth)
    at = lines.index(next(line for line in lines if line.startswith("MISMATCH")))
    if within:
        lines[at] = "ROUNDING" + lines[at][len("MISMATCH"):]
    lines.insert(at + 1, f"across environments ({'; '.join(differences)}): {sentence}: "
                 + ("float32 rounding of another environment" if within else
                    "not float32 rounding"))
    print("\n".join(lines))
    return 0 if within else 1


def main(argv=None) -> int:
    parser = ArgumentParser(prog=program_name("tf1-trace-compare", "python -m tf1kit.compare"),
                            description="Compare a rewrite's trace with the original's: "
                                        "matched variables, the start, the batches, then the "
                                        "first step and tensor that differ, with the "
                                        "optimizer checked in float64. Traces without "
                                        "training steps: the first differing fetched value.")
    parser.add_argument("first", metavar="ORIGINAL.npz")
    parser.add_argument("second", metavar="REWRITE.npz")
    parser.add_argument("--map", default=None, metavar="MAP.json",
                        help='which rewrite variable is which original one: {"variables": '
                             '{"Variable_3": "dense/bias", ...}, "inputs": {"Placeholder:0": '
                             '"x"}, "loss": "Mean:0"}')
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up and C++ log lines (hidden by default)")
    parser.add_argument("--propose-map", default=None, metavar="OUT.json",
                        help="write the variables paired by shape in creation order, to edit "
                             "into a --map, and stop")
    args = parser.parse_args(argv)

    def run():
        first, second = load(args.first), load(args.second)
        for trace, path in ((first, args.first), (second, args.second)):
            if not trace.calls and not trace.steps:  # (no steps: compared by its fetches)
                raise DataError(f"{path}: the trace holds no Session.run call: nothing to "
                                "compare")
        if args.propose_map:
            with open(args.propose_map, "w", encoding="utf-8") as stream:
                json.dump({"variables": diff.propose_map(first, second)}, stream,
                          indent=1)
            print(f"wrote {args.propose_map}: check each pair, then pass it as --map")
            return 0
        if first.steps and second.steps:
            finding = diff.compare(first, second, diff.read_map(args.map)
                                         if args.map else None)
            return report(first, second, finding)
        found = compare(first, second)
        kept = sum(len(call["kept"]) for call in first.calls)
        if found is None:
            calls = min(len(first.calls), len(second.calls))
            print(f"identical: {calls} Session.run calls, {kept} kept values, the same bits"
                  + ("" if len(first.calls) == len(second.calls) else
                     f" (the traces hold {len(first.calls)} and {len(second.calls)} calls: "
                     "compared the calls both hold)"))
            return 0
        print(f"differ: {found}")
        return 1
    return run_main(lambda _argv: run(), parser.prog, [])


def console() -> int:
    """The command: TensorFlow's start-up lines hidden (tf1kit/quiet.py)
    unless --verbose."""
    from tf1kit import quiet
    return quiet.command(main)


if __name__ == "__main__":
    sys.exit(console())
