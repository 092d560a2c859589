"""The trace of a training run, step by step: the format that a TF1 script
run by `python -m legacy.run_tf1 --trace` (legacy/session_trace.py) and a
Keras 3 rewrite recorded with `modern.tracing` both write, and that
`python -m parity.trace ORIGINAL REWRITE` reads and compares.

One compressed .npz, nothing pickled: a JSON manifest string and arrays.
Per training step the manifest lists the SHA-256 of every tensor the step
fed or produced, in dataflow order, under "kind name" keys:

    input <feed>          each array fed (float32 after a cast, as a
                          float32 placeholder takes it)
    initial <tensor>      the state the step starts from: each variable,
                          each optimizer slot (`<variable>/<slot>`)
    random <op>           each stateful random op's draw in the step (the
                          manifest's "random_ops" has its seeds, script
                          line and stream position per step)
    activation <tensor>   at the steps that keep values: each tensor of
                          the forward pass, from the inputs to the loss
                          (a rewrite: each layer's output)
    loss <fetch>          the loss the step returned
    gradient <variable>   where the optimizer exposes it
    slot <variable>/<slot>, weight <variable>: the state after the step

and, at the steps `--trace-steps` names, their values too
(`step-000003/gradient/<variable>`). Digests find the first step and
tensor that differ; values give its size in ulps and let the float64
optimizer check work. The manifest also records the seed, the data files'
SHA-256, the environment, each variable's shape in creation order, and the
optimizer with its hyperparameters.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from common.files import atomic_path

FORMAT = "run_tf1 session trace"  # the name version 1 had; version 2 adds steps
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST_KEY = "manifest"
KINDS = ("input", "initial", "random", "activation", "loss", "gradient", "slot", "weight")
# The 128-bit Philox blocks a stateful TF1 random op (RandomUniform,
# RandomStandardNormal, TruncatedNormal) reserves per element it outputs, on
# every run (TensorFlow's random_op.cc: ReserveRandomOutputs(count, 256)).
PHILOX_BLOCKS_PER_ELEMENT = 256
DEFAULT_TRACE_STEPS = "1-3"
# A traced step's values are kept only while the trace stays under this
# size; later steps keep their digests (the manifest says so).
DEFAULT_MAX_VALUE_BYTES = 200 << 20


def digest(value) -> str:
    """SHA-256 (hex) of a tensor's bits and shape: float32 after a cast
    (a float32 placeholder takes a float64 array so), integers as int64."""
    array = np.asarray(value)
    array = array.astype(np.float32) if array.dtype.kind == "f" else array.astype(np.int64)
    shape = ",".join(str(size) for size in array.shape).encode()
    return hashlib.sha256(shape + b"|" + np.ascontiguousarray(array).tobytes()).hexdigest()


def parse_steps(text: str) -> tuple:
    """`--trace-steps` / `--trace-values`: 'none', or steps and ranges such as '1-3,100'."""
    if text.strip().lower() == "none":
        return ()
    steps = set()
    try:
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            first, last = int(first), int(last or first)
            if first < 1 or last < first or last - first > 100_000:
                raise ValueError
            steps |= set(range(first, last + 1))
    except ValueError:
        raise ValueError(f"expected 'none' or steps like 1-3,100, got {text!r}") from None
    return tuple(sorted(steps))


def value_key(step: int, kind: str, name: str) -> str:
    return f"step-{step:06d}/{kind}/{name}"


class StepLog:
    """The steps of one side's run, as the manifest's "steps" and the
    value arrays: `add` one step's tensors ({(kind, name): value} in
    dataflow order) after each training step."""

    def __init__(self, value_steps=(), max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES):
        self.value_steps, self.max_value_bytes = set(value_steps), max_value_bytes
        self.steps, self.arrays, self.value_bytes = [], {}, 0
        self.values_dropped = []  # traced steps whose values did not fit

    def add(self, call: int, tensors: dict) -> None:
        number = len(self.steps) + 1
        entry = {"step": number, "call": call,
                 "digests": {f"{kind} {name}": digest(value)
                             for (kind, name), value in tensors.items()},
                 "values": False}
        if number in self.value_steps:
            size = sum(np.asarray(value).nbytes for value in tensors.values())
            if self.value_bytes + size <= self.max_value_bytes:
                for (kind, name), value in tensors.items():
                    array = np.asarray(value)
                    self.arrays[value_key(number, kind, name)] = \
                        array.astype(np.float32) if array.dtype.kind == "f" else array
                self.value_bytes += size
                entry["values"] = True
            else:
                self.values_dropped.append(number)
        self.steps.append(entry)


def dropped_line(path: str, log: StepLog) -> str | None:
    """The line a trace prints when some traced steps' values did not fit
    its bound (their digests are kept), or None: no value is dropped
    silently."""
    if not log.values_dropped:
        return None
    steps = ", ".join(str(step) for step in log.values_dropped)
    bound = f"{log.max_value_bytes / 2**20:.0f} MB" if log.max_value_bytes >= 2**20 else \
        f"{log.max_value_bytes:,} bytes"
    return (f"{path}: the values of step{'s' if len(log.values_dropped) > 1 else ''} {steps} "
            f"did not fit the trace's {bound} bound for values and are kept as digests only "
            "(trace fewer steps' values: --trace-steps, or StepRecorder's trace_steps)")


def size_line(log: StepLog, step_bytes: int) -> str:
    """What a trace will hold, said after its first step: the values of the
    steps it keeps and whether they fit its bound (no surprise at the end)."""
    kept = sorted(log.value_steps)
    fit = log.max_value_bytes // max(step_bytes, 1)
    line = (f"one training step's tensors take {step_bytes / 2**20:.1f} MB: the trace keeps "
            f"the values of up to {len(kept)} step{'s' if len(kept) != 1 else ''}, about "
            f"{min(len(kept), fit) * step_bytes / 2**20:.0f} MB before compression, and every "
            "step's digests")
    if fit < len(kept):
        line += (f"; the values of steps past step {kept[fit - 1] if fit else 0} will not fit "
                 f"the {log.max_value_bytes / 2**20:.0f} MB bound and are kept as digests only "
                 "(trace fewer steps' values: --trace-steps)")
    return line


def write(path: str, manifest: dict, arrays: dict) -> None:
    """The trace file, all or nothing (common.files.atomic_path)."""
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as stream:
            np.savez_compressed(stream, **{MANIFEST_KEY: np.asarray(json.dumps(manifest))},
                                **arrays)
