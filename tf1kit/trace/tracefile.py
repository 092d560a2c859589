"""The trace of a training run, step by step: the format that a TF1 script
run by `python -m tf1kit.run --trace` (tf1kit/run/session.py) and a
Keras 3 rewrite recorded with `tf1kit.keras.recorder` both write, and that
`python -m tf1kit.compare ORIGINAL REWRITE` reads and compares.

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
optimizer check work. An array the script drew with NumPy and fed keeps
its value at every step (`step-000003/drawn/<feed>`; the manifest's
"fed_draws" names each one's draw and line). The manifest also records the seed, the data files'
SHA-256, the environment, each variable's shape in creation order, and the
optimizer with its hyperparameters.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from tf1kit.data import npz
from tf1kit.errors import DataError
from tf1kit.files import atomic_path

FORMAT = "run_tf1 session trace"  # the name version 1 had; version 2 adds steps
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST_KEY = "manifest"
KINDS = ("input", "initial", "random", "activation", "loss", "gradient", "slot", "weight",
         "state")
# The 128-bit Philox blocks a stateful TF1 random op (RandomUniform,
# RandomStandardNormal, TruncatedNormal) reserves per element it outputs, on
# every run (TensorFlow's random_op.cc: ReserveRandomOutputs(count, 256)).
PHILOX_BLOCKS_PER_ELEMENT = 256
# A rewrite's RNN cell keeps its output at every time step as one activation,
# [steps, batch, units], named "<cell>" + TIME_STEPS (tf1kit/keras/recorder.py).
TIME_STEPS = "/time_steps"
# Stateful random op types: the first three draw TF1's Philox stream in a
# way a stateless twin reproduces (tf1kit/keras/random_ops.STATELESS); the rest
# are recorded (values) but not reproduced.
REPRODUCIBLE = ("RandomUniform", "RandomStandardNormal", "TruncatedNormal")
RANDOM_TYPES = REPRODUCIBLE + ("RandomUniformInt", "RandomShuffle", "Multinomial",
                               "RandomGamma", "RandomPoissonV2", "ParameterizedTruncatedNormal",
                               "RandomCrop")
DEFAULT_TRACE_STEPS = "1-3"
# A traced step's values are kept only while the trace stays under this
# size; later steps keep their digests (the manifest says so).
DEFAULT_MAX_VALUE_BYTES = 200 << 20


def digest(value) -> str:
    """SHA-256 (hex) of a tensor's bits and shape: float32 after a cast
    (a float32 placeholder takes a float64 array so), integers and bools
    as int64, strings (a fed `tf.data` iterator handle) by their bytes."""
    array = np.asarray(value)
    shape = ",".join(str(size) for size in array.shape).encode()
    if array.dtype.kind in "SUO":
        items = [item if isinstance(item, bytes) else str(item).encode()
                 for item in array.ravel().tolist()]
        return hashlib.sha256(shape + b"|" + b"".join(
            len(item).to_bytes(8, "little") + item for item in items)).hexdigest()
    array = array.astype(np.float32) if array.dtype.kind == "f" else array.astype(np.int64)
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

    def add(self, call: int, tensors: dict, batch: int | None = None) -> None:
        """`batch`: the position, in the trace's served batches, of the
        batch this step was fed (None: it took no new batch)."""
        number = len(self.steps) + 1
        entry = {"step": number, "call": call, **({} if batch is None else {"batch": batch}),
                 "digests": {f"{kind} {name}": digest(value)
                             for (kind, name), value in tensors.items()},
                 "values": False}
        if number in self.value_steps:
            size = sum(np.asarray(value).nbytes for value in tensors.values())
            if self.value_bytes + size <= self.max_value_bytes:
                for (kind, name), value in tensors.items():
                    array = np.asarray(value)
                    if array.dtype.kind not in "biuf":  # a string handle: its digest only
                        continue
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
    """The trace file, all or nothing (tf1kit.files.atomic_path)."""
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as stream:
            np.savez_compressed(stream, **{MANIFEST_KEY: np.asarray(json.dumps(manifest))},
                                **arrays)


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
        (tf1kit.keras.random_ops)."""
        positions = self.random_ops[op_name]["positions"]
        if str(step) not in positions:
            raise KeyError(f"random op {op_name} did not run in training step {step}")
        return positions[str(step)]

    def step_optimizers(self) -> list:
        """The indices (in the manifest's "optimizers") of the optimizers
        each training step ran, as a tuple, told by the train ops its call
        fetched (a GAN's D and G in one Session.run: (0, 1))."""
        train_ops = [entry.get("train_op") for entry in self.manifest.get("optimizers", [])]
        found = []
        for step in self.steps:
            fetched = set(self.calls[step["call"]]["fetches"]) \
                if step.get("call") is not None and step["call"] < len(self.calls) else set()
            found.append(tuple(index for index, op in enumerate(train_ops) if op in fetched))
        return found

    def drawn_feeds(self) -> set:
        """The feeds whose values the script drew with NumPy (the manifest's
        "fed_draws", by train op), each kept at every step (`drawn`)."""
        return {feed for by_op in (self.manifest.get("fed_draws") or {}).values()
                for feed in by_op}

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
