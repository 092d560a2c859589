"""Reading a trace of a TF1 script (`python -m legacy.run_tf1 --trace
OUT.npz SCRIPT.py`) and checking a rewrite against it.

    from parity import trace
    recorded = trace.load("original.npz")
    trace.assert_matches(recorded, "Mean:0", my_tf2_losses)   # bit for bit, per call

    python -m parity.trace A.npz B.npz   # two traces: the first differing call and value

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
from common.cli import ArgumentParser, run_main
from common.errors import DataError
from legacy.session_trace import FORMAT, FORMAT_VERSION, MANIFEST_KEY  # the writer's
from parity.divergence import ulp_distance


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
        for key, value in arrays.items():
            if key.startswith("variables/"):
                continue
            call, _, name = key.partition("/")
            self._values[(int(call[len("call-"):]), name)] = value

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
                    ("call-", "variables/"))):
                return f"holds {key} ({dtype}), which no run_tf1 trace has"
        return None
    arrays = npz.read_arrays(path, check)
    try:
        manifest = json.loads(str(arrays.pop(MANIFEST_KEY)))
        if manifest["format"] != FORMAT:
            raise ValueError(f"format {manifest['format']!r}")
        if manifest["format_version"] != FORMAT_VERSION:
            raise DataError(f"{path}: trace format version {manifest['format_version']}; this "
                            f"program reads version {FORMAT_VERSION}")
        manifest["calls"]
        for key in arrays:
            if not key.startswith("variables/"):
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
    such call on. Fewer values than calls compares the first ones."""
    recorded_values = recorded.values(name)[first:]
    if not recorded_values:
        raise AssertionError(f"the trace keeps no values of {name!r}; it has "
                             f"{recorded.names()[:10]}")
    values = list(values)
    if len(values) > len(recorded_values):
        raise AssertionError(f"{len(values)} values given, the trace has {len(recorded_values)} "
                             f"of {name!r}")
    for step, ((call, expected), actual) in enumerate(zip(recorded_values, values), start=1):
        found = difference(expected, actual)
        if found is not None:
            raise AssertionError(
                f"{name} differs at step {step} (Session.run call {call}): traced "
                f"{np.asarray(expected)!r}, given {np.asarray(actual)!r}: {describe(found)}")


def compare(first: Trace, second: Trace) -> str | None:
    """The first call and fetch whose values differ between two traces, in
    words; None when every kept value is the same."""
    keys = sorted(set(first._values) | set(second._values))
    for call, name in keys:
        a, b = first.value(call, name), second.value(call, name)
        if a is None or b is None:
            return (f"call {call}: {name} is kept in {'the second' if a is None else 'the first'} "
                    "trace only")
        found = difference(a, b)
        if found is not None:
            return f"call {call}: {name}: {describe(found)}"
    if len(first.calls) != len(second.calls):
        return f"{len(first.calls)} Session.run calls against {len(second.calls)}"
    return None


def main(argv=None) -> int:
    parser = ArgumentParser(prog="python -m parity.trace",
                            description="Compare two run_tf1 traces: the first Session.run "
                                        "call and fetched value that differ.")
    parser.add_argument("first")
    parser.add_argument("second")
    args = parser.parse_args(argv)

    def run():
        first, second = load(args.first), load(args.second)
        found = compare(first, second)
        kept = sum(len(call["kept"]) for call in first.calls)
        if found is None:
            print(f"identical: {len(first.calls)} Session.run calls, {kept} kept values, "
                  "the same bits")
            return 0
        print(f"differ: {found}")
        return 1
    return run_main(lambda _argv: run(), parser.prog, [])


if __name__ == "__main__":
    sys.exit(main())
