"""Every `Session.run` of a script run by `run_tf1`, counted and, with
`--trace OUT.npz`, recorded: how a user makes a golden of their own TF1
script (parity/trace.py reads it back and compares a rewrite with it).

For each call, each fetched value that is a number or a numeric array of
at most `max_elements` elements is kept, keyed by the call's index and the
fetched tensor's or op's name (`call-000042/loss/xentropy_mean:0`); the
manifest (JSON, stored in the same .npz as a string: nothing is pickled)
lists per call every fetch name, which were kept or why not, and the
names of the tensors fed. The trainable variables' values are kept once,
as `variables/<name>`, right after the first call at whose end they are
all initialized (usually the initializer's): a rewrite can start from the
very weights the traced run started from, even where the script is
unseeded.
"""

from __future__ import annotations

import json
import os

import numpy as np

FORMAT = "run_tf1 session trace"
FORMAT_VERSION = 1
MANIFEST_KEY = "manifest"
DEFAULT_MAX_ELEMENTS = 1_000_000


class SessionRunLimit(BaseException):
    """Raised at the call after the last one --max-session-runs allows.
    A BaseException, so that a script's `except Exception` does not keep
    it from stopping."""

    def __init__(self, limit: int):
        super().__init__(f"stopped after {limit} Session.run calls (--max-session-runs)")
        self.limit = limit


def _name(fetch) -> str:
    name = getattr(fetch, "name", None)
    return name if isinstance(name, str) else str(fetch)


def _flatten(structure) -> list:
    """The leaves of a fetch structure (lists, tuples, dicts by sorted
    key, namedtuples), in an order its results share."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure, key=str) for leaf in _flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    return [structure]


class SessionRecorder:
    """Wraps `tf.compat.v1.Session.run` (every session of the process)."""

    def __init__(self, max_runs: int | None = None, trace: bool = False,
                 max_elements: int = DEFAULT_MAX_ELEMENTS):
        self.max_runs, self.trace, self.max_elements = max_runs, trace, max_elements
        self.calls, self.arrays = [], {}
        self.variables_after_call = None
        self._original = None

    def install(self) -> None:
        import tensorflow as real_tf
        tf = getattr(real_tf, "_real", real_tf)  # the run_tf1 shim, or TensorFlow
        session_class = tf.compat.v1.Session.__mro__[1]  # BaseSession: run lives there
        original = session_class.run
        recorder = self

        def run(session, fetches, feed_dict=None, options=None, run_metadata=None):
            if recorder.max_runs is not None and len(recorder.calls) >= recorder.max_runs:
                raise SessionRunLimit(recorder.max_runs)
            results = original(session, fetches, feed_dict, options, run_metadata)
            recorder.record(fetches, feed_dict, results)
            if recorder.trace and recorder.variables_after_call is None:
                recorder.keep_variables(lambda wanted: original(session, wanted), session.graph,
                                        tf.errors.FailedPreconditionError)
            return results
        self._original = (session_class, original)
        session_class.run = run

    def record(self, fetches, feed_dict, results) -> None:
        index = len(self.calls)
        call = {"index": index, "fetches": [], "kept": [], "skipped": {},
                "feeds": sorted(_name(key) for key in (feed_dict or {}))}
        self.calls.append(call)
        if not self.trace:
            return
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

    def write(self, path: str, script: str, argv: list, ended: str) -> None:
        """The trace, all or nothing (common.files.atomic_path)."""
        import tensorflow as real_tf

        from common.files import atomic_path
        tf = getattr(real_tf, "_real", real_tf)  # the run_tf1 shim, or TensorFlow
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                    "script": os.path.basename(script), "argv": argv,
                    "ended": ended, "tensorflow": tf.__version__,
                    "max_elements": self.max_elements,
                    "variables_after_call": self.variables_after_call,
                    "calls": self.calls}
        with atomic_path(path) as temporary:
            with open(temporary, "wb") as stream:
                np.savez_compressed(stream, **{MANIFEST_KEY: np.asarray(json.dumps(manifest))},
                                    **self.arrays)
