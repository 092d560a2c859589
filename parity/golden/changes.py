"""What a new recording changes (`compare.py --record DIR --force`): the
short report written beside the recording it replaces, for the reviewer
who decides whether the new golden may be committed: per seed the first
step whose loss changed and the first tensor that changed (from the two
recordings' traces), and what changed in the configuration, data and
environment.
"""

from __future__ import annotations

import os

import numpy as np

from tf1kit.errors import DataError
from common.steps import TracedTensor
from parity.divergence import compare_tensor
from tf1kit.environment import environment_differences
from parity.golden import recording, step_traces


def against_previous(folder: str, manifest: dict, seed_files: dict) -> str | None:
    """The CHANGES text of a recording about to replace the one in
    `folder`, or None where `folder` holds none."""
    if not os.path.isfile(os.path.join(folder, recording.MANIFEST)):
        return None
    lines = ["# What this recording changed", "",
             f"Recorded {manifest['created']}, replacing the recording in this folder"]
    try:
        old_manifest, old_arrays = recording.load(folder)
    except DataError as error:
        return "\n".join(lines + [f"(which could not be read: {error}).", ""])
    lines[-1] += f" made {old_manifest['created']}."
    lines += _section("Configuration", _dict_differences(old_manifest["config"],
                                                         manifest["config"]))
    lines += _section("Data", _dict_differences(old_manifest["data"], manifest["data"]))
    lines += _section("Environment", environment_differences(old_manifest["environment"],
                                                             manifest["environment"]))
    lines += ["## Seeds", ""]
    for seed in sorted(set(old_arrays) | {int(seed) for seed in seed_files}):
        lines.append(f"- seed {seed}: " + seed_change(old_arrays.get(seed),
                                                      seed_files.get(seed)))
    return "\n".join(lines) + "\n"


def _section(title: str, differences: list) -> list:
    return [f"## {title}", "", *(f"- {line}" for line in differences or ["unchanged"]), ""]


def _dict_differences(old: dict, new: dict, prefix: str = "") -> list:
    lines = []
    for key in sorted(set(old) | set(new), key=str):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            lines += _dict_differences(a, b, f"{prefix}{key}.")
        elif a != b:
            lines.append(f"{prefix}{key}: {a} -> {b}")
    return lines


def seed_change(old: dict | None, new: dict | None) -> str:
    """One line: how a seed's recorded run changed."""
    if old is None or new is None:
        return ("stopped on a NaN/Inf loss" if new is None else "new") + \
            (" (before: stopped on a NaN/Inf loss)" if old is None else "")
    a, b = old["step_losses"], new["step_losses"]
    if a.shape != b.shape:
        return f"{a.size} recorded steps before, {b.size} now"
    differs = np.flatnonzero(a.view(np.uint32) != b.view(np.uint32))
    if differs.size == 0:
        same = all(np.asarray(old[key]).tobytes() == np.asarray(new[key]).tobytes()
                   for key in new if not key.startswith("trace/") and key in old)
        return (f"unchanged: the same bits at all {a.size} steps" +
                ("" if same else ", but other final weights, codes or slots")) + \
            first_tensor_change(old, new)
    step = int(differs[0]) + 1
    return (f"losses differ from step {step} on ({differs.size} of {a.size} steps; at step "
            f"{step}: {a[step - 1]!r} -> {b[step - 1]!r})" + first_tensor_change(old, new))


def first_tensor_change(old: dict, new: dict) -> str:
    """'; first changed tensor: ...' from the traces both recordings hold."""
    before, after = step_traces.RecordedTraces(old), step_traces.RecordedTraces(new)
    for step in [step for step in after.steps if step in before.steps]:
        differing = step_traces.compare_digests(before.digests(step), after.digests(step))
        if not differing:
            continue
        kind, _, name = differing[0].partition(" ")
        text = f"; first changed tensor: step {step}, {kind} {name}"
        values = before.value(step, kind, name), after.value(step, kind, name)
        if all(value is not None for value in values):
            found = compare_tensor(*(TracedTensor(kind, name, value) for value in values))
            if found and found["max_ulp_distance"] is not None:
                text += (f" ({found['elements_differing']} elements, up to "
                         f"{found['max_ulp_distance']} ulp)")
        return text + f", then {len(differing) - 1} more tensors of that step"
    return "" if before.steps else "; (no traces to compare)"
