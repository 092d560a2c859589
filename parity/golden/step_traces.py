"""Step traces in a golden recording: which steps are traced, the SHA-256
digest of every tensor of each (so that a later run finds the first
differing tensor without the legacy side), and the full values of some.

Why digests: a full trace of one step of the default model (batch 256) is
5.3 MB compressed (measured: activations 2.2 MB, Adam's slots 1.5 MB,
weights 0.8, gradients 0.7, updates 0.6), so full traces at steps 1-3 and
every 100th step of the default 2,140-step run would weigh about 130 MB
per seed. A digest says bit for bit whether a tensor is the recorded one,
which is what finding the tensor where a difference is born needs; the
values, kept at the steps `--trace-values` names (default 1-3), add the
size of the difference in ulps and the legacy side's distance from the
float64 referee.
"""

from __future__ import annotations

import hashlib

import numpy as np

FIRST_TRACED = 3      # steps 1..FIRST_TRACED: where systematic differences are born
TRACE_EVERY = 100     # and every 100th step: a late difference is found within 100 steps
DEFAULT_VALUE_STEPS = (1, 2, 3)
DIGEST_BYTES = 32
# Kinds whose values are not stored but rebuilt on reading (and checked
# against their digests): a step's `initial` state is the previous step's
# slots and weights (step 1's: the initial weights, zero slots and Adam's
# betas), its `update` is its weights minus the initial ones. Storing them
# would add 2.9 MB a step.
DERIVED_KINDS = ("initial", "update")


def trace_steps(total_steps: int, value_steps=()) -> list:
    """The steps a recording traces: 1-3, every 100th and those of `value_steps`."""
    steps = set(range(1, min(FIRST_TRACED, total_steps) + 1))
    steps |= set(range(TRACE_EVERY, total_steps + 1, TRACE_EVERY))
    return sorted(steps | {step for step in value_steps if step <= total_steps})


def describe_steps(steps) -> str:
    """'1-3, 100, 200' for [1, 2, 3, 100, 200]."""
    runs, steps = [], sorted(steps)
    for step in steps:
        if runs and step == runs[-1][1] + 1:
            runs[-1][1] = step
        else:
            runs.append([step, step])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs) or "none"


def key(kind: str, name: str) -> str:
    """A traced tensor's name in a recording: 'kind name'."""
    return f"{kind} {name}"


def digest(value) -> bytes:
    """SHA-256 of a tensor's float32 bytes."""
    return hashlib.sha256(np.ascontiguousarray(value, np.float32).tobytes()).digest()


def trace_arrays(traces: dict, value_steps) -> dict:
    """A seed file's trace arrays from {step: [TracedTensor]} (each step's
    tensors in the same dataflow order): the steps, the tensor names, the
    digests [steps, tensors, 32] and the values of `value_steps`."""
    if not traces:
        return {}
    steps = sorted(traces)
    names = [key(t.kind, t.name) for t in traces[steps[0]]]
    digests = np.zeros((len(steps), len(names), DIGEST_BYTES), np.uint8)
    arrays = {}
    for row, step in enumerate(steps):
        for column, tensor in enumerate(traces[step]):
            digests[row, column] = np.frombuffer(digest(tensor.value), np.uint8)
            if step in value_steps and tensor.kind not in DERIVED_KINDS:
                arrays[f"trace/{step}/{tensor.kind}/{tensor.name}"] = \
                    np.asarray(tensor.value, np.float32)
    return {"trace/steps": np.asarray(steps, np.int32), "trace/names": np.asarray(names),
            "trace/digests": digests, **arrays}


class RecordedTraces:
    """A seed's recorded traces, read back from its arrays."""

    def __init__(self, arrays: dict):
        self.steps = [int(step) for step in arrays.get("trace/steps", [])]
        self.names = [str(name) for name in arrays.get("trace/names", [])]
        self._digests = arrays.get("trace/digests")
        self._arrays = arrays

    def digests(self, step: int) -> dict:
        """{'kind name': digest} of the tensors of `step` (a traced step)."""
        row = self.steps.index(step)
        return {name: bytes(self._digests[row, column])
                for column, name in enumerate(self.names)}

    def value(self, step: int, kind: str, name: str):
        """The recorded value, or None where only its digest was kept."""
        stored = self._arrays.get(f"trace/{step}/{kind}/{name}")
        if stored is not None or kind not in DERIVED_KINDS or step not in self.steps:
            return stored
        value = self._derived(step, kind, name)
        expected = self.digests(step).get(key(kind, name))
        return value if value is not None and digest(value) == expected else None

    def has_values(self, step: int) -> bool:
        """Whether the recording kept `step`'s values (not only digests)."""
        prefix = f"trace/{step}/"
        return any(key.startswith(prefix) for key in self._arrays)

    def step_values(self, step: int) -> dict | None:
        """{(kind, name): value} of every tensor of `step`, or None where
        any is not recorded (the step a side is judged on needs them all)."""
        values = {}
        for name in self.names:
            kind, _, tensor = name.partition(" ")
            values[(kind, tensor)] = self.value(step, kind, tensor)
            if values[(kind, tensor)] is None:
                return None
        return values

    def _derived(self, step: int, kind: str, name: str):
        if kind == "update":
            after, before = self.value(step, "weight", name), self.value(step, "initial", name)
            if after is None or before is None:
                return None
            return np.asarray(after, np.float32) - np.asarray(before, np.float32)
        slot = name.startswith(("m/", "v/")) or name.startswith("beta")
        if step > 1:  # the state step - 1 left
            return self._arrays.get(f"trace/{step - 1}/{'slot' if slot else 'weight'}/{name}")
        if name.startswith("beta"):  # Adam's powers start at beta1 and beta2 (0.9, 0.999)
            return np.float32(0.9 if name == "beta1_power" else 0.999)
        weights = self._arrays.get(f"initial/{name.split('/')[-1]}")
        if weights is None:
            return None
        return np.zeros_like(weights) if slot else weights


def compare_digests(recorded: dict, current: dict) -> list:
    """The 'kind name' keys whose digests differ (or are missing on one
    side), in the recorded (dataflow) order, then any the recording lacks."""
    differing = [name for name, value in recorded.items() if current.get(name) != value]
    return differing + [name for name in current if name not in recorded]

