"""A trace's fetched values checked against a rewrite's, bit for bit: per
`Session.run` call, each fetched number or array (up to a size limit) under
the fetched tensor's name; `Trace.values(name)` gives the calls that fetched
it, in order, so a training loop's losses are `values("Mean:0")` whatever
else the script ran between them.

    from tf1kit.trace import tracefile
    from tf1kit.compare.values import assert_matches
    recorded = tracefile.load("original.npz")
    recorded.variables, recorded.batch_order()         # a rewrite's start and batches
    assert_matches(recorded, "Mean:0", my_tf2_losses)  # bit for bit, per call

Differences are told in the microscope's words: elements that differ, max
|difference|, max float32 ulps.
"""

from __future__ import annotations

import numpy as np

from tf1kit.float32.ulps import ulp_distance
from tf1kit.trace.tracefile import Trace


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
