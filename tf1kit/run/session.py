"""Every `Session.run` of a script run by `run_tf1`, counted and, with
`--trace OUT.npz`, recorded in the step-trace format of tf1kit/trace/tracefile.py:
how a user makes a golden of their own TF1 script, and what
`python -m tf1kit.compare ORIGINAL REWRITE` compares a rewrite with.

Per call: each fetched number or numeric array of at most `max_elements`
elements (`call-000042/loss/xentropy_mean:0`) and the SHA-256 of every
array fed. The trainable variables' values once, right after the first
call at whose end they are all initialized (`variables/<name>`): a rewrite
starts from the very weights the traced run started from, even where the
script is unseeded.

Per training step, without the script changing: the shim sees each
`Optimizer.apply_gradients` (which `minimize` calls), so a call that runs
its update op is a training step. Its gradients are fetched in the same
`Session.run` (no second run: a second run would draw the script's random
ops again), and the state after it (variables, the optimizer's slots and
non-slot variables such as Adam's beta powers) is read after it, which
changes nothing. The step's inputs, starting state, loss, gradients and
new state are logged as tf1kit/trace/tracefile.StepLog says. The batch order
(which examples each `next_batch` served), the data files' SHA-256, the
seed and the machine go into the manifest.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from tf1kit.data import mnist
from tf1kit import machine
from tf1kit.trace import tracefile
from tf1kit.run import (activations, losses, numpy_draws, optimizer_watch, random_ops,
                        recurrent)

DEFAULT_MAX_ELEMENTS = 1_000_000


class SessionRunLimit(BaseException):
    """Raised at the call after the last one --max-session-runs allows.
    A BaseException, so that a script's `except Exception` does not keep
    it from stopping."""

    def __init__(self, limit: int, what: str = "Session.run calls (--max-session-runs)"):
        super().__init__(f"stopped after {limit} {what}")
        self.limit = limit


def _name(fetch) -> str:
    name = getattr(fetch, "name", None)
    return name if isinstance(name, str) else str(fetch)


def _ops_beside(graph, fetches, ran: tuple) -> tuple:
    """The ops a training call fetches besides its train ops (in order)."""
    return tuple(op for op in dict.fromkeys(random_ops.fetched_ops(graph, _flatten(fetches)))
                 if op.name not in ran)


def _flatten(structure) -> list:
    """The leaves of a fetch structure (lists, tuples, dicts by sorted
    key, namedtuples), in an order its results share."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure, key=str) for leaf in _flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    return [structure]


class SessionRecorder:
    """Wraps `tf.compat.v1.Session.run` (every session of the process) and
    `Optimizer.apply_gradients` (to know the training steps)."""

    def __init__(self, max_runs: int | None = None, trace: bool = False,
                 max_elements: int = DEFAULT_MAX_ELEMENTS, trace_steps=(),
                 max_value_bytes: int = tracefile.DEFAULT_MAX_VALUE_BYTES,
                 script: str = "", feeds=None, max_steps: int | None = None):
        """`feeds`: a tf1kit.run.feeds.FeedOverrides applied to every training
        call; `max_steps`: stop before the training call after that many."""
        self.max_runs, self.trace, self.max_elements = max_runs, trace, max_elements
        self.max_steps, self.steps_run = max_steps, 0
        self.random, self.feeds = random_ops.RandomOps(script, recurrent.calls), feeds
        self.draws = numpy_draws.NumpyDraws(script)  # the fed arrays it drew with NumPy
        self._forward, self.activation_lines = {}, {}  # activations.forward_tensors, lines
        self._iterators = {}  # losses -> activations.iterator_outputs
        self.forward_graph = []  # activations.describe_graph of the losses
        self._minimized = {}  # name -> every loss a training step has minimized
        self.calls, self.arrays = [], {}
        self.variables_after_call = None
        self.optimizers = []   # {"op": train op, "optimizer", "pairs": [(gradient, variable)]}
        self.steps = tracefile.StepLog(trace_steps, max_value_bytes)
        self.variable_shapes = []  # [{name, shape}] in creation order, with `variables`
        self._state = None     # the state after the last step: {(kind, name): value}
        self._state_of = None  # the train ops of that step: another's slots are read anew

    def install(self) -> None:
        import tensorflow as real_tf
        tf = getattr(real_tf, "_real", real_tf)  # the run_tf1 shim, or TensorFlow
        session_class = tf.compat.v1.Session.__mro__[1]  # BaseSession: run lives there
        original = session_class.run
        recorder = self
        if self.trace:
            self.draws.install()

        def run(session, fetches, feed_dict=None, options=None, run_metadata=None):
            if recorder.max_runs is not None and len(recorder.calls) >= recorder.max_runs:
                raise SessionRunLimit(recorder.max_runs)
            training = recorder.optimizers and recorder.training_ops(fetches, session.graph)
            if training and recorder.max_steps is not None \
                    and recorder.steps_run >= recorder.max_steps:
                raise SessionRunLimit(recorder.max_steps, "training steps (--max-steps)")
            if training:
                recorder.steps_run += 1
            if training and recorder.feeds is not None:
                feed_dict = recorder.feeds.apply(feed_dict, len(recorder.calls))
            if not recorder.trace:
                results = original(session, fetches, feed_dict, options, run_metadata)
                recorder.record(fetches, feed_dict, results)
                return results
            randoms = recorder.random.run_by(session.graph, _flatten(fetches),
                                             {_name(key): value
                                              for key, value in (feed_dict or {}).items()})
            draws = [recorder.random.fetched_for(op) for op in randoms]
            if not training:
                written = optimizer_watch.assign_ops(session.graph, _flatten(fetches))
                if written:
                    recorder._state = None  # a weight clip: the next step reads its state
                results, drawn = original(session, (fetches, draws), feed_dict, options,
                                          run_metadata)
                recorder.random.drew(randoms, drawn, None)
                recorder.record(fetches, feed_dict, results)
                if written:  # what the rewrite writes after its step, where it can
                    clips = optimizer_watch.clips(written)
                    recorder.calls[-1]["clips"] = clips and [
                        {**clip, "line": " ".join(random_ops.script_line(
                            op, recorder.random.script)).strip()}
                        for clip, op in zip(clips, written)]
            else:
                def read(wanted):
                    return original(session, wanted)
                ran = tuple(entry["op"].name for entry in training)
                beside = _ops_beside(session.graph, fetches, ran)  # extra_update_ops
                before = recorder._state if recorder._state and recorder._state_of == ran \
                    else optimizer_watch.read_state(read, training, beside)  # (a GAN's turn)
                recorder._state_of = ran
                pairs = [(g, v) for entry in training for g, v in entry["pairs"]]
                minimized = [entry["loss"] for entry in training if entry["loss"] is not None]
                step = len(recorder.steps.steps) + 1
                served = recorder.iterator_outputs(minimized)  # a tf.data batch: inputs too
                inputs = {**(feed_dict or {}), **{tensor: None for tensor in served}}
                forward = recorder.activations(minimized, inputs)
                results, gradients, drawn, loss_values, activations, batch = original(
                    session, (fetches, [g for g, _ in pairs], draws, minimized, forward, served),
                    feed_dict, options, run_metadata)
                recorder.record(fetches, feed_dict, results)
                if optimizer_watch.assigns(session.graph, [leaf for leaf in _flatten(fetches)
                                                           if _name(leaf) not in ran]):
                    recorder.calls[-1]["assigns"] = True  # a clip beside the update
                inputs.update(zip(served, batch))
                from tf1kit.data import input_data  # loaded with TensorFlow by now
                batch_position = input_data.log_fed_batch(list(inputs.values()))
                recorder.draws.log_step(step, {_name(key): (value, _as_received(key, value))
                                               for key, value in (feed_dict or {}).items()},
                                        ",".join(ran))
                kept = step in recorder.steps.value_steps  # (fetched at every step: T26)
                recorder.log_step(inputs, before, recorder.random.drew(randoms, drawn, step),
                                  ({t.name: a for t, a in zip(forward, activations) if kept},
                                   dict(zip((tensor.name for tensor in minimized),
                                            loss_values))),
                                  (fetches, results),
                                  {v.op.name: g for (_, v), g in zip(pairs, gradients)},
                                  optimizer_watch.read_state(read, training, beside),
                                  batch_position)
            if recorder.variables_after_call is None:
                recorder.keep_variables(lambda wanted: original(session, wanted), session.graph,
                                        tf.errors.FailedPreconditionError)
            return results
        session_class.run = run
        if self.trace or self.feeds is not None or self.max_steps is not None:
            optimizer_watch.watch(tf, self.optimizers)

    def training_ops(self, fetches, graph) -> list:
        """The watched optimizers whose update op this call runs."""
        names = {_name(leaf) for leaf in _flatten(fetches)}
        return [entry for entry in self.optimizers
                if entry["op"].graph is graph and entry["op"].name in names]

    def activations(self, minimized: list, feed_dict) -> list:
        """The forward tensors to fetch in a training step: those between its
        fed tensors and the losses (tf1kit/run/activations.py), fetched at
        every step though kept at the steps whose values the trace keeps: a
        fetched tensor is kept whole by Grappler, which otherwise may fold a
        constant across it (MIGRATION.md T26), so steps that fetched them
        only where kept would compute their gradients two ways. Every loss
        trained, at any step, joins the trace's forward graph (a GAN's
        generator may first train after the steps that keep values)."""
        if any(tensor.name not in self._minimized for tensor in minimized):
            self._minimized.update((tensor.name, tensor) for tensor in minimized)
            self.forward_graph = activations.describe_graph(list(self._minimized.values()),
                                                            self.random.script)
        if not minimized:
            return []
        fed = [key for key in feed_dict or {} if hasattr(key, "op")]
        key = (tuple(t.name for t in minimized), tuple(sorted(t.name for t in fed)))
        if key not in self._forward:
            found = {}
            for loss in minimized:
                found.update((t.name, t) for t in activations.forward_tensors(loss, fed))
            self._forward[key] = list(found.values())
            for tensor in self._forward[key]:
                self.activation_lines[tensor.name] = " ".join(
                    random_ops.script_line(tensor.op, self.random.script)).strip()
        return self._forward[key]

    def iterator_outputs(self, minimized: list) -> list:
        """The tf.data `get_next()` tensors the losses read (cached per losses)."""
        key = tuple(tensor.name for tensor in minimized)
        if key not in self._iterators:
            self._iterators[key] = activations.iterator_outputs(minimized)
        return self._iterators[key]

    def log_step(self, feed_dict, before, drawn, computed, fetched, gradients, after,
                 batch=None) -> None:
        """Log a training step: its feeds, starting state, random draws, the
        forward activations and the loss its optimizer minimizes
        (`computed`: ({tensor name: value}, {tensor name: loss})), the
        scalar floats it fetched (also losses), gradients and new state,
        and its batch's position among those served (or None)."""
        tensors = {("input", _name(key)): _as_received(key, value)
                   for key, value in (feed_dict or {}).items()}
        tensors.update({("initial", name): value for (_, name), value in before.items()})
        tensors.update({("random", name): value for name, value in drawn.items()})
        forward, minimized = computed
        tensors.update({("activation", name): np.asarray(value)
                        for name, value in forward.items() if np.ndim(value)})
        tensors.update({("loss", name): np.asarray(value) for name, value in minimized.items()})
        fetches, results = fetched
        for fetch, value in zip(_flatten(fetches), _flatten(results)):
            array = np.asarray(value) if value is not None else None
            if array is not None and array.shape == () and array.dtype.kind == "f":
                tensors[("loss", _name(fetch))] = array
        tensors.update({("gradient", name): np.asarray(value)
                        for name, value in gradients.items()})
        tensors.update({key: value for key, value in after.items() if key[0] == "slot"})
        tensors.update({key: value for key, value in after.items() if key[0] == "weight"})
        tensors.update({key: value for key, value in after.items() if key[0] == "state"})
        self.steps.add(len(self.calls) - 1, tensors, batch)
        if len(self.steps.steps) == 1:
            print("[run_tf1] " + tracefile.size_line(
                self.steps, sum(np.asarray(value).nbytes for value in tensors.values())))
        self._state = after

    def record(self, fetches, feed_dict, results) -> None:
        index = len(self.calls)
        call = {"index": index, "fetches": [], "kept": [], "skipped": {},
                "feeds": sorted(_name(key) for key in (feed_dict or {}))}
        self.calls.append(call)
        if not self.trace:
            return
        call["feed_digests"] = {_name(key): tracefile.digest(value)
                                for key, value in (feed_dict or {}).items()
                                if np.asarray(value).dtype.kind in "biuf"}
        leaves, values = _flatten(fetches), _flatten(results)
        if len(leaves) != len(values):  # e.g. a SparseTensor: one fetch, a 3-field value
            call["fetches"] = [_name(leaf) for leaf in leaves]
            call["skipped"]["*"] = "a fetch whose value is a structure (not traced)"
            return
        for fetch, value in zip(leaves, values):
            name = _name(fetch)
            call["fetches"].append(name)
            if value is None:  # an op: nothing to keep
                continue
            array = np.asarray(value)
            if array.dtype.kind not in "biuf":
                call["skipped"][name] = f"not numeric ({array.dtype})"
            elif array.size > self.max_elements:
                call["skipped"][name] = f"{array.size} elements > --trace-max-elements"
            else:
                key = f"call-{index:06d}/{name}"
                if key not in self.arrays:  # the same tensor fetched twice in one call
                    self.arrays[key] = array
                    call["kept"].append(name)

    def keep_variables(self, run, graph, uninitialized) -> None:
        """Keep every trainable variable's value if all are initialized now
        (fetching a TF1 variable creates no op: the graph is left as is)."""
        variables = graph.get_collection("trainable_variables")
        if not variables:
            return
        try:
            values = run({variable.op.name: variable for variable in variables})
        except uninitialized:
            return
        self.variables_after_call = len(self.calls) - 1
        self.arrays.update({f"variables/{name}": np.asarray(value)
                            for name, value in values.items()})
        self.variable_shapes = [{"name": v.op.name, "shape": [int(size) for size in v.shape]}
                                for v in variables]

    def write(self, path: str, script: str, argv: list, ended: str, seed=None) -> None:
        """The trace, all or nothing."""
        import tensorflow as real_tf

        from tf1kit.data import input_data
        tf = getattr(real_tf, "_real", real_tf)  # the run_tf1 shim, or TensorFlow
        batches = {}
        for data_set in input_data.served_by_role():
            served = data_set.served
            if served and len({len(batch) for batch in served}) == 1:
                batches[data_set.role] = np.stack(served).astype(np.int32)
        manifest = {"format": tracefile.FORMAT, "format_version": tracefile.FORMAT_VERSION,
                    "side": "tf1", "script": os.path.basename(script), "argv": argv,
                    "ended": ended, "seed": seed, "tensorflow": tf.__version__,
                    "environment": {"machine": machine.fingerprint(),
                                    "versions": {"tensorflow": tf.__version__,
                                                 "numpy": np.__version__},
                                    # a Session's defaults (a script's ConfigProto may differ)
                                    "threads": machine.default_threads(),
                                    "backend": "tensorflow"},
                    "data_files": {os.path.basename(path): mnist.sha256_of(path)
                                   for path in input_data.files_read if os.path.isfile(path)},
                    "validation_size": input_data.split.get("validation_size"),
                    "train_source": input_data.train_source(),
                    "loss_calls": losses.calls, "recurrent": recurrent.calls,
                    "max_elements": self.max_elements,
                    "variables_after_call": self.variables_after_call,
                    "variables": self.variable_shapes,
                    "optimizers": optimizer_watch.describe(self.optimizers),
                    "batch_order": sorted(batches),
                    "random_ops": self.random.describe(),
                    "fed_draws": self.draws.described,
                    "activations": self.activation_lines,
                    "forward_graph": self.forward_graph,
                    "feed_overrides": {} if self.feeds is None else self.feeds.describe(),
                    "steps": self.steps.steps,
                    "values_dropped": self.steps.values_dropped,
                    "calls": self.calls}
        arrays = {**self.arrays, **self.steps.arrays, **self.draws.arrays,
                  **{f"batches/{role}": order for role, order in batches.items()}}
        tracefile.write(path, manifest, arrays)
        dropped = tracefile.dropped_line(path, self.steps)
        if dropped:
            print(dropped, file=sys.stderr)


def _as_received(key, value) -> np.ndarray:
    """A fed value as its placeholder received it: a number array in the
    placeholder's dtype (TF1's feed converted uint8 images to float32, a
    float64 array to float32), anything else as fed."""
    array = np.asarray(value)
    dtype = getattr(getattr(key, "dtype", None), "as_numpy_dtype", None)
    if dtype is None or array.dtype.kind not in "biuf" or np.dtype(dtype).kind not in "biuf":
        return array
    return array.astype(dtype)
