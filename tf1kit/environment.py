"""The environment a result was computed in, as far as it can change the
numbers: the machine, the versions, TensorFlow's settings (configured
here), and which of them decide the bits (`BIT_DECIDING`).

The same program, seeds and TensorFlow give other bits on another CPU
(oneDNN and Eigen pick their kernels by instruction set), and on some CPUs
with another thread count (a matmul split over more threads sums in
another order): docs/bit_envelope.md measures each factor. So every report
names the CPU, the instruction-set extensions that decide those kernels,
whether oneDNN was on, and the thread counts TensorFlow ran with.
"""

from __future__ import annotations

import importlib.metadata
import platform

import numpy as np

from tf1kit import cli
from tf1kit.errors import DataError
# The machine's part lives in tf1kit/machine.py (both sides' traces record it); its
# names are used from here too.
from tf1kit.machine import (KERNEL_FLAGS, cpu_flags, cpu_model, default_threads,  # noqa: F401
                            fingerprint, kind_label, onednn)


def versions(tensorflow: bool = True) -> dict:
    """Versions of everything that can change the numbers (TensorFlow's
    only where it runs: `tensorflow` False in a run that loads none)."""
    import keras
    import matplotlib
    import scipy
    import sklearn

    found = {"python": platform.python_version(), "keras": keras.__version__,
             "numpy": np.__version__, "scipy": scipy.__version__,
             "scikit_learn": sklearn.__version__, "matplotlib": matplotlib.__version__,
             "platform": platform.platform(terse=True), "machine": platform.machine()}
    if tensorflow:
        import tensorflow as tf
        found["tensorflow"] = tf.__version__
    backend = keras.backend.backend()
    if backend != "tensorflow":
        found[backend] = importlib.metadata.version(backend)
        if backend == "jax":
            found["jaxlib"] = importlib.metadata.version("jaxlib")
    return found


def configure_tensorflow(device: str, threads: dict | None = None) -> dict:
    """Determinism on, XLA off, TF32 off; hide GPUs for --device cpu; the
    thread counts set explicitly, and the environment record returned.

    `threads` ({"intra_op": n, "inter_op": m}) is the recording's for
    `--against`, the user's flags, or None for TensorFlow's defaults (one
    per schedulable CPU; half the CPUs per side was no faster with
    legacy_session_config: docs/compare_floor.md). They are part of what
    decides the bits: on some CPUs a matmul split over another number of
    threads sums in another order (docs/bit_envelope.md), so a replay runs with the counts its
    recording was made with. Both sides of a live comparison share one
    setting: legacy's Session takes the process's (TF 2's Session reads the
    eager context's configuration). The counts take effect only before
    TensorFlow's runtime starts; the record holds the counts that ran.
    """
    cli.quiet_tensorflow_logs()
    import tensorflow as tf

    defaults = default_threads()
    wanted = {**defaults, **(threads or {})}
    try:
        tf.config.threading.set_intra_op_parallelism_threads(wanted["intra_op"])
        tf.config.threading.set_inter_op_parallelism_threads(wanted["inter_op"])
    except RuntimeError:  # the runtime already started (a test in one process)
        pass
    gpus = tf.config.list_physical_devices("GPU")
    if device == "gpu" and not gpus:
        raise DataError("--device gpu: TensorFlow sees no GPU on this machine")
    if device == "cpu" and gpus:
        tf.config.set_visible_devices([], "GPU")
    tf.config.experimental.enable_op_determinism()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    tf.config.optimizer.set_jit(False)
    name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU") \
        if device == "gpu" else "CPU"
    ran = {"intra_op": tf.config.threading.get_intra_op_parallelism_threads()
           or defaults["intra_op"],
           "inter_op": tf.config.threading.get_inter_op_parallelism_threads()
           or defaults["inter_op"]}
    return {"device": device, "device_name": name, "op_determinism": True,
            "tensor_float_32": False, "xla": False, "threads": ran}


LEGACY_SESSION = "Grappler arithmetic optimization AGGRESSIVE"


def legacy_session_config():
    """The live comparison's Session config for the legacy side: Grappler's
    arithmetic optimizer at AGGRESSIVE, which rids the loss gradient of the
    generic `Pow(x, 1)` kernel the original's default leaves in (trap T17).
    pow(x, 1) = x exactly, so the numbers stay (tests/test_legacy_session.py:
    the same bits, every variant); the legacy loop took about half the time
    (docs/speed.md). `--record` keeps the original's Session untouched."""
    import tensorflow as tf
    from tensorflow.core.protobuf import rewriter_config_pb2
    config = tf.compat.v1.ConfigProto()
    config.graph_options.rewrite_options.arithmetic_optimization = \
        rewriter_config_pb2.RewriterConfig.AGGRESSIVE
    return config


def environment_before(device: str, backend: str = "tensorflow",
                       tensorflow: bool = True) -> dict:
    """What decides the bits here, known before TensorFlow's runtime starts
    (it imports TensorFlow, for oneDNN's state, unless `tensorflow` is
    False: a run on another Keras backend against a recording), to choose a
    recording. `backend` is the modern side's Keras backend."""
    cli.quiet_tensorflow_logs()
    return {"versions": versions(tensorflow), "machine": fingerprint(tensorflow),
            "device": device, "backend": backend}


# What decides a float32 run's bits on a CPU (measured, docs/bit_envelope.md:
# the same program and seed end at other losses on an AMD EPYC and an Intel
# Xeon, whose instruction sets differ, with oneDNN on and off, and on some
# CPUs with another intra-op thread count; TensorFlow promises nothing
# across versions). Where all of these are equal, a recording is expected
# to be reproduced bit for bit; elsewhere a difference is judged
# (the autoencoder's golden recordings, tf1-trace-compare's verdict).
BIT_DECIDING = (("versions", "tensorflow"), ("versions", "keras"), ("versions", "numpy"),
                ("machine", "cpu_flags"), ("machine", "onednn"), (None, "device"),
                (None, "backend"), ("threads", "intra_op"), ("threads", "inter_op"))


def threads_of(environment: dict) -> dict | None:
    """The thread counts an environment record ran with. Recordings made
    before they were recorded ran with TensorFlow's defaults, one thread
    per core of the machine they name (None where that is unknown)."""
    if environment.get("threads"):
        return dict(environment["threads"])
    cores = environment.get("machine", {}).get("cores")
    return {"intra_op": cores, "inter_op": cores} if cores else None


def bit_compatibility(recorded: dict, current: dict, threads: bool = True) -> list:
    """What differs, of BIT_DECIDING, between a recording's environment
    and this one, as "what: then -> now" lines; [] where the recording is
    expected to be reproduced bit for bit. `threads` False leaves the
    thread counts out (a replay takes the recording's)."""
    lines = []
    for part, key in BIT_DECIDING:
        if part == "threads":
            if not threads:
                continue
            then, now = ((threads_of(environment) or {}).get(key)
                         for environment in (recorded, current))
            key = f"{key}_threads"
        else:
            then = (recorded.get(part, {}) if part else recorded).get(key)
            now = (current.get(part, {}) if part else current).get(key)
        if key == "onednn":  # what the kernels are, not how it was decided
            then, now = (value.get("enabled") if isinstance(value, dict) else value
                         for value in (then, now))
        if key == "backend":  # records made before the choice existed ran TensorFlow
            then, now = then or "tensorflow", now or "tensorflow"
        if then != now:
            lines.append(f"{key}: {then} -> {now}")
    return lines


def environment_differences(recorded: dict, current: dict) -> list:
    """What differs between the recording's environment and this one:
    the versions and the machine, as "what: then -> now" lines."""
    lines = []
    for part in ("versions", "machine"):
        then, now = recorded.get(part, {}), current.get(part, {})
        for key in sorted(set(then) | set(now)):
            if then.get(key) != now.get(key):
                lines.append(f"{key}: {then.get(key)} -> {now.get(key)}")
    for key in ("device", "device_name", "backend", "op_determinism", "tensor_float_32", "xla"):
        then, now = recorded.get(key), current.get(key)
        if key == "backend":  # records made before the choice existed ran TensorFlow
            then, now = then or "tensorflow", now or "tensorflow"
        if then != now:
            lines.append(f"{key}: {then} -> {now}")
    then, now = threads_of(recorded), threads_of(current)
    if then != now:
        lines.append(f"threads: {then} -> {now}")
    return lines
