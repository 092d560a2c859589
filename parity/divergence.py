"""Where two implementations part: the first tensor that differs, born at
which step, and which side is closer to exact arithmetic.

The first differing loss, at step k, is not where the difference was born:
step k's loss is computed from the state step k-1 produced. So both sides
are replayed from the start, one step at a time, with their complete state
compared after each (legacy/steps.py, modern/steps.py), until the first step
s whose own loss or resulting state differs (s = 0: the starting states
differ). Step s is then run once more on both sides from the same state
(legacy's before s; for s = 0 each side's own start) while recording every
tensor, and the two traces are walked in dataflow order. The float64
referee (parity/referee.py) computes the same step exactly.
"""

from __future__ import annotations

import collections
import dataclasses

import numpy as np

from common.architecture import PARAMETER_NAMES
from common.steps import KINDS
from parity import judge, referee
from tf1kit.float32.ulps import ulp_distance


def compare_tensor(legacy, modern) -> dict | None:
    """How two traced tensors of the same name differ; None if bit-identical."""
    a, b = np.asarray(legacy.value, np.float32), np.asarray(modern.value, np.float32)
    if a.shape != b.shape:
        return {"kind": legacy.kind, "tensor": legacy.name, "shape": list(a.shape),
                "elements_differing": int(max(a.size, b.size)), "max_abs_difference": None,
                "max_ulp_distance": None}
    differs = a.view(np.uint32) != b.view(np.uint32)
    if not differs.any():
        return None
    absolute = np.abs(a.astype(np.float64) - b.astype(np.float64))
    finite = np.isfinite(absolute)
    return {"kind": legacy.kind, "tensor": legacy.name, "shape": list(a.shape),
            "elements_differing": int(np.count_nonzero(differs)),
            "max_abs_difference": float(absolute[finite].max()) if finite.any() else None,
            "max_ulp_distance": int(ulp_distance(a, b).max())}


def compare_traces(legacy_trace: list, modern_trace: list) -> list:
    """The differing tensors, in dataflow order."""
    modern_by_name = {(t.kind, t.name): t for t in modern_trace}
    differing = []
    for tensor in legacy_trace:
        other = modern_by_name.get((tensor.kind, tensor.name))
        found = compare_tensor(tensor, other) if other is not None else {
            "kind": tensor.kind, "tensor": tensor.name, "shape": list(np.shape(tensor.value)),
            "elements_differing": int(np.size(tensor.value)), "max_abs_difference": None,
            "max_ulp_distance": None}
        if found is not None:
            differing.append(found)
    return differing


@dataclasses.dataclass
class Divergence:
    """Where two runs part: a run record's `divergence` (its JSON form,
    `as_record`, is described in parity/report_schema.json)."""

    loss_step: int                 # the first step whose loss differs
    step: int | None = None        # where it was born (0: the starts differ; None: not found)
    first: dict | None = None      # the first differing tensor (compare_tensor's dict)
    others: dict = dataclasses.field(default_factory=dict)   # kind -> how many more differ
    referee: dict = dataclasses.field(default_factory=dict)  # 'kind tensor' -> ulps per side
    verdict: str | None = None
    tensors: list = dataclasses.field(default_factory=list)  # every differing tensor, in order
    source: str | None = None      # "recording": found with a recording's traces
    born_within: list | None = None  # [first, last] step, when born between traced steps
    judge: dict | None = None      # parity/judge.py's record of the steps judged

    def describe_tensors(self, differing: list) -> None:
        """Set `tensors` (every differing tensor of the step, in dataflow
        order), `first` and `others` (the rest, counted per kind)."""
        self.tensors = [{"kind": d["kind"], "tensor": d["tensor"],
                         "max_ulp_distance": d["max_ulp_distance"]} for d in differing]
        if differing:
            self.first = differing[0]
            counts = collections.Counter(d["kind"] for d in differing[1:])
            self.others = {kind: counts[kind] for kind in KINDS if kind in counts}

    @property
    def first_key(self) -> str | None:
        """'kind tensor' of the first differing tensor (the referee's key)."""
        return f"{self.first['kind']} {self.first['tensor']}" if self.first else None

    def as_record(self) -> dict:
        record = dataclasses.asdict(self)
        for optional in ("source", "born_within", "judge"):
            if record[optional] is None:
                del record[optional]
        return record


@dataclasses.dataclass
class Replay:
    """Both sides, ready to step: steppers and each side's batches."""

    legacy: object            # legacy.steps.LegacyStepper
    modern: object            # modern.steps.ModernStepper
    legacy_batches: list      # [(inputs, targets or None)], step 1 first
    modern_batches: list
    hyper: object             # the original's hyperparameters (the referee's)
    variant: object
    stock_optimizer: bool = False  # the modern side runs stock Keras Adam (idiomatic)


def birth_step(replay: Replay, loss_step: int) -> tuple[int | None, object, object]:
    """The first step s <= loss_step whose own loss or resulting state
    differs between the sides (0: they start from different states), with
    each side's state before it; s None if none does."""
    legacy, modern = replay.legacy, replay.modern
    legacy_state, modern_state = legacy.state(), modern.state()
    if not legacy_state.equals(modern_state):
        return 0, legacy_state, modern_state
    for step in range(1, loss_step + 1):
        legacy_cost = legacy.step(*replay.legacy_batches[step - 1])
        modern_cost = modern.step(*replay.modern_batches[step - 1])
        legacy_after, modern_after = legacy.state(), modern.state()
        if np.float32(legacy_cost).tobytes() != np.float32(modern_cost).tobytes() or \
                not legacy_after.equals(modern_after):
            return step, legacy_state, legacy_state
        legacy_state, modern_state = legacy_after, modern_after
    return None, legacy_state, modern_state


def referee_distances(differing: list, traces: dict, reference: dict) -> dict:
    """{tensor: {legacy_ulp, modern_ulp}} for each differing tensor the
    referee computes: each side's mean distance from it, in float32 ulps,
    over the elements where the two sides differ."""
    result = {}
    for entry in differing:
        key = (entry["kind"], entry["tensor"])
        values = {side: traces[side].get(key) for side in ("legacy", "modern")}
        if any(value is None for value in values.values()):
            continue
        exact = reference["legacy"](*key), reference["modern"](*key)
        if exact[0] is None or exact[1] is None or np.shape(exact[0]) != np.shape(values["legacy"]):
            continue
        a, b = (np.asarray(values[side], np.float32) for side in ("legacy", "modern"))
        if a.shape != b.shape:
            continue
        mask = a.view(np.uint32) != b.view(np.uint32)
        distances = {"legacy": referee.ulps_from(a, exact[0])[mask],
                     "modern": referee.ulps_from(b, exact[1])[mask]}
        result[f"{entry['kind']} {entry['tensor']}"] = {
            f"{side}_ulp": float(np.mean(d)) for side, d in distances.items()}
    return result


def localize(replay: Replay, loss_step: int) -> Divergence:
    """Where a mismatch whose losses differ from `loss_step` on was born
    (see the module docstring)."""
    step, legacy_state, modern_state = birth_step(replay, loss_step)
    found = Divergence(loss_step, step)
    if step is None:
        found.verdict = (f"the step-by-step replay of steps 1-{loss_step} did not "
                         "reproduce the difference")
        return found
    at = max(step, 1)
    replay.legacy.load(legacy_state)
    replay.modern.load(modern_state)
    traces = {"legacy": replay.legacy.traced_step(*replay.legacy_batches[at - 1]),
              "modern": replay.modern.traced_step(*replay.modern_batches[at - 1])}
    differing = compare_traces(traces["legacy"], traces["modern"])
    found.describe_tensors(differing)
    if not differing:
        found.verdict = f"step {at} traced identically on both sides"
        return found
    by_key = {side: {(t.kind, t.name): t.value for t in trace} for side, trace in traces.items()}
    found.referee = referee_distances(differing, by_key, referees(
        replay, legacy_state if step else None, at, by_key))
    found.judge = judge.judge_steps({at: by_key}, replay.hyper, replay.variant)
    found.verdict = judge.describe(found.judge, replay.stock_optimizer)
    return found


def referee_lookup(replay: Replay, side: str, state, at: int, values: dict):
    """(kind, name) -> the float64 value of `side`'s tensor at step `at`,
    from the shared `state` before the step (None when the sides start
    apart: no exact common ground) on that side's own batch; `input`
    against exact pixel values; the optimizer's tensors (slots, updates,
    weights) from the side's own gradients (in `values`: (kind, name) ->
    its traced value), so that they referee Adam's arithmetic alone."""
    batches = replay.legacy_batches if side == "legacy" else replay.modern_batches
    inputs, targets = batches[at - 1]
    exact = optimizer = None
    if state is not None:
        exact = referee.reference_step(state, inputs, targets, replay.hyper, replay.variant)
        own = {name: values[("gradient", name)] for name in PARAMETER_NAMES}
        optimizer = referee.reference_adam(state, own, replay.hyper)

    def lookup(kind, name):
        if kind == "input":
            return referee.exact_pixels(values[(kind, name)])
        if exact is None:
            return None
        if kind in ("slot", "update", "weight"):
            return referee.reference_of(optimizer, kind, name)
        return referee.reference_of(exact, kind, name)
    return lookup


def referees(replay: Replay, state, at: int, traces: dict) -> dict:
    """Per side, its `referee_lookup`."""
    return {side: referee_lookup(replay, side, state, at, traces[side])
            for side in ("legacy", "modern")}
