"""Reading a trace of a TF1 script (`python -m legacy.run_tf1 --trace
OUT.npz SCRIPT.py`) or of a Keras rewrite (`modern.tracing`), and checking
a rewrite against it.

    from parity import trace
    recorded = trace.load("original.npz")
    recorded.variables, recorded.batch_order()                # a rewrite's start and batches
    trace.assert_matches(recorded, "Mean:0", my_tf2_losses)   # bit for bit, per call

    python -m parity.trace ORIGINAL.npz REWRITE.npz [--map MAP.json]

Two traces with training steps are compared step by step
(parity/trace_diff.py: the variable map, the start, the batches, the first
differing tensor and the optimizer's float64 check); traces without them
by their fetched values: the first differing call and value.

A trace holds, per `Session.run` call, each fetched number or array (up to
a size limit) under the fetched tensor's name; `values(name)` gives the
calls that fetched it, in order, so a training loop's losses are
`values("Mean:0")` whatever else the script ran between them. Differences
are told in the microscope's words (parity/divergence.py): elements that
differ, max |difference|, max float32 ulps.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from common import npz
from common.cli import ArgumentParser, program_name, run_main
from common.errors import DataError
from common.run_trace import FORMAT, MANIFEST_KEY, READABLE_VERSIONS, value_key
from parity import trace_diff, trace_verdict
from parity.divergence import ulp_distance

PREFIXES = ("call-", "variables/", "step-", "batches/")


class Trace:
    """A loaded trace: its manifest and its values by (call, fetch name)."""

    def __init__(self, manifest: dict, arrays: dict):
        self.manifest = manifest
        self.calls = manifest["calls"]
        self._values = {}
        # The trainable variables' values once all were initialized (None:
        # the script never initialized them all), by TF1 variable name.
        self.variables = {key[len("variables/"):]: value for key, value in arrays.items()
                          if key.startswith("variables/")} or None
        self.steps = manifest.get("steps", [])
        # The stateful random ops the script ran, by op name: type, seeds,
        # script line, stream position before each training step.
        self.random_ops = {entry["name"]: entry for entry in manifest.get("random_ops", [])}
        self._step_values = {key: value for key, value in arrays.items()
                             if key.startswith("step-")}
        self._batches = {key[len("batches/"):]: value for key, value in arrays.items()
                         if key.startswith("batches/")}
        for key, value in arrays.items():
            if not key.startswith("call-"):
                continue
            call, _, name = key.partition("/")
            self._values[(int(call[len("call-"):]), name)] = value

    def step_value(self, step: int, kind: str, name: str):
        """A training step's tensor (step 1 = the first), or None where only
        its digest was kept."""
        return self._step_values.get(value_key(step, kind, name))

    def random_position(self, op_name: str, step: int) -> int:
        """The Philox blocks random op `op_name` had consumed before training
        step `step` (1 = the first): where a rewrite's draw starts
        (modern.tf1_random)."""
        positions = self.random_ops[op_name]["positions"]
        if str(step) not in positions:
            raise KeyError(f"random op {op_name} did not run in training step {step}")
        return positions[str(step)]

    def batch_order(self, role: str = "train"):
        """[steps, batch size] indices of the examples each `next_batch` of
        the script's `mnist.<role>` served, in order (None if not traced)."""
        return self._batches.get(role)

    def names(self) -> list:
        """Every fetch name that has a kept value, in order of first use."""
        return list(dict.fromkeys(name for _, name in sorted(self._values)))

    def values(self, name: str) -> list:
        """[(call index, value)] of every call that kept `name`, in order."""
        return [(call, value) for (call, fetched), value in sorted(self._values.items())
                if fetched == name]

    def value(self, call: int, name: str):
        return self._values.get((call, name))


def load(path: str) -> Trace:
    """The trace at `path`; DataError (one line) for anything else."""
    def check(headers):
        if MANIFEST_KEY not in headers or headers[MANIFEST_KEY][0].kind != "U" \
                or headers[MANIFEST_KEY][1] != ():
            return "not a run_tf1 trace (no manifest string)"
        for key, (dtype, _) in headers.items():
            if key != MANIFEST_KEY and (dtype.kind not in "biuf" or not key.startswith(
                    PREFIXES)):
                return f"holds {key} ({dtype}), which no run_tf1 trace has"
        return None
    arrays = npz.read_arrays(path, check)
    try:
        manifest = json.loads(str(arrays.pop(MANIFEST_KEY)))
        if manifest["format"] != FORMAT:
            raise ValueError(f"format {manifest['format']!r}")
        if manifest["format_version"] not in READABLE_VERSIONS:
            raise DataError(f"{path}: trace format version {manifest['format_version']}; this "
                            f"program reads versions {READABLE_VERSIONS}")
        manifest["calls"]
        for key in arrays:
            if key.startswith("call-"):
                int(key.partition("/")[0][len("call-"):])
    except DataError:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"{path}: not a readable run_tf1 trace ({error})") from None
    return Trace(manifest, arrays)


def difference(expected, actual) -> dict | None:
    """How `actual` differs from `expected` (None: the same bits)."""
    a, b = np.asarray(expected), np.asarray(actual)
    if a.shape != b.shape:
        return {"shape": [list(a.shape), list(b.shape)]}
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        a32, b32 = a.astype(np.float32), b.astype(np.float32)
        differs = a32.view(np.uint32) != b32.view(np.uint32)
    else:
        differs = a != b
    if not np.any(differs):
        return None
    absolute = np.abs(a.astype(np.float64) - b.astype(np.float64))
    found = {"elements_differing": int(np.count_nonzero(differs)),
             "max_abs_difference": float(np.nanmax(absolute)) if absolute.size else None}
    if a.dtype.kind == "f":
        found["max_ulp_distance"] = int(ulp_distance(a32, b32).max())
    return found


def describe(found: dict) -> str:
    if "shape" in found:
        return f"shapes {found['shape'][0]} and {found['shape'][1]}"
    text = (f"{found['elements_differing']} element(s) differ, max |d| "
            f"{found['max_abs_difference']:.3g}")
    if "max_ulp_distance" in found:
        text += f", max {found['max_ulp_distance']} ulp"
    return text


def assert_matches(recorded: Trace, name: str, values, first: int = 0) -> None:
    """Assert that `values` (one per step: what the rewrite computed for the
    fetch `name`, e.g. its per-step losses) are, bit for bit, the values the
    traced script fetched for `name`, call after call, from its `first`-th
    such call on. Fewer values than calls compares the first ones. Both are
    compared as float32 (after a cast), as a float32 graph computed them."""
    values = list(values)
    if not values:
        raise AssertionError(f"no values given to compare with the trace's {name!r}: "
                             "an empty list matches nothing")
    recorded_values = recorded.values(name)[first:]
    if not recorded_values:
        raise AssertionError(f"the trace keeps no values of {name!r}; it has "
                             f"{recorded.names()[:10]}")
    if len(values) > len(recorded_values):
        raise AssertionError(f"{len(values)} values given, the trace has {len(recorded_values)} "
                             f"of {name!r}")
    for step, ((call, expected), actual) in enumerate(zip(recorded_values, values), start=1):
        found = difference(expected, actual)
        if found is not None:
            raise AssertionError(
                f"{name} differs at step {step} (Session.run call {call}): traced "
                f"{np.asarray(expected)!r}, given {np.asarray(actual)!r}: {describe(found)} "
                "(compared as float32)")


def compare(first: Trace, second: Trace) -> str | None:
    """The first call and fetch whose values differ between two traces, in
    words; None when every kept value is the same."""
    common = min(len(first.calls), len(second.calls))
    for name in sorted(set(first.variables or {}) | set(second.variables or {})):
        a, b = ((trace.variables or {}).get(name) for trace in (first, second))
        if a is None or b is None:
            return f"variable {name} is in {'the second' if a is None else 'the first'} trace only"
        found = difference(a, b)
        if found is not None:
            return f"starting value of {name}: {describe(found)}"
    keys = sorted(key for key in set(first._values) | set(second._values) if key[0] < common)
    for call, name in keys:
        a, b = first.value(call, name), second.value(call, name)
        if a is None or b is None:
            return (f"call {call}: {name} is kept in {'the second' if a is None else 'the first'} "
                    "trace only")
        found = difference(a, b)
        if found is not None:
            return f"call {call}: {name}: {describe(found)}"
    return None


def _verdict(first: Trace, second: Trace, finding) -> int:
    """Print the finding with the environments judged (parity/trace_verdict.py);
    the exit status: 0 MATCH or ROUNDING, 1 MISMATCH."""
    differences = trace_verdict.factors(first, second)
    lines = list(finding.lines)
    lines.insert(1, "environment: " + ("the same (what decides the bits: CPU kernel flags, "
                                       "oneDNN, threads, versions, backend)" if not differences
                                       else "differs: " + "; ".join(differences)))
    if finding.match or not differences:
        print("\n".join(lines))
        return 0 if finding.match else 1
    within, sentence = trace_verdict.across(first, second, finding.mapping, finding.step,
                                            finding.birth)
    verdict = lines.index(next(line for line in lines if line.startswith("MISMATCH")))
    if within:
        lines[verdict] = "ROUNDING" + lines[verdict][len("MISMATCH"):]
    lines.insert(verdict + 1, f"across environments ({'; '.join(differences)}): {sentence}: "
                 + ("float32 rounding of another environment" if within else
                    "not float32 rounding"))
    print("\n".join(lines))
    return 0 if within else 1


def main(argv=None) -> int:
    parser = ArgumentParser(prog=program_name("tf1-trace-compare", "python -m parity.trace"),
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
    parser.add_argument("--propose-map", default=None, metavar="OUT.json",
                        help="write the variables paired by shape in creation order, to edit "
                             "into a --map, and stop")
    args = parser.parse_args(argv)

    def run():
        first, second = load(args.first), load(args.second)
        if args.propose_map:
            with open(args.propose_map, "w", encoding="utf-8") as stream:
                json.dump({"variables": trace_diff.propose_map(first, second)}, stream,
                          indent=1)
            print(f"wrote {args.propose_map}: check each pair, then pass it as --map")
            return 0
        if first.steps and second.steps:
            finding = trace_diff.compare(first, second, trace_diff.read_map(args.map)
                                         if args.map else None)
            return _verdict(first, second, finding)
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


if __name__ == "__main__":
    sys.exit(main())
