"""The machine a result was computed on, as far as it can change the
numbers: the same program, seeds and TensorFlow give other bits on another
CPU (oneDNN and Eigen pick their kernels by instruction set) and on some
CPUs with another thread count (docs/bit_envelope.md). Both sides' traces
and every report name the CPU, the instruction-set extensions that decide
those kernels, whether oneDNN was on, and the thread counts.
"""

from __future__ import annotations

import os
import platform


# The x86 extensions oneDNN's and Eigen's float32 kernels dispatch on.
KERNEL_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
                "avx512dq", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile",
                "amx_bf16", "amx_int8")


def _cpuinfo() -> dict:
    """The first processor's fields of /proc/cpuinfo ({} where there is none)."""
    fields = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as stream:
            for line in stream:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def cpu_model() -> str:
    """The CPU's model name, e.g. "Intel(R) Xeon(R) Processor"."""
    return _cpuinfo().get("model name") or platform.processor() or platform.machine()


def cpu_flags() -> list:
    """Which of KERNEL_FLAGS this CPU has (empty where /proc/cpuinfo is missing)."""
    present = set(_cpuinfo().get("flags", "").split())
    return [flag for flag in KERNEL_FLAGS if flag in present]


def onednn() -> dict:
    """Whether TensorFlow runs oneDNN kernels, and what decided it: the
    TF_ENABLE_ONEDNN_OPTS variable, or TensorFlow's default (on for x86
    Linux builds since TF 2.9)."""
    from tensorflow.python.util import _pywrap_util_port  # loads TF, which reads the flag
    return {"enabled": bool(_pywrap_util_port.IsMklEnabled()),
            "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset (default)")}


THREAD_VARIABLES = {"intra_op": "TF_NUM_INTRAOP_THREADS", "inter_op": "TF_NUM_INTEROP_THREADS"}


def _variable_threads(key: str) -> int | None:
    value = os.environ.get(THREAD_VARIABLES[key], "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else None


def schedulable_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def default_threads() -> dict:
    """The thread counts TensorFlow picks when none is set: the
    TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS variables, else one
    per schedulable CPU (tensorflow/core/common_runtime/process_util.cc)."""
    return {key: _variable_threads(key) or schedulable_cpus() for key in THREAD_VARIABLES}


def kernel_family(flags: list) -> str:
    """The widest kernel family of these CPU flags: 'amx', 'avx512', 'avx2'
    or 'sse'."""
    return ("amx" if "amx_tile" in flags else "avx512" if "avx512f" in flags
            else "avx2" if "avx2" in flags else "sse")


def kind_label(machine: dict) -> str:
    """A folder name for recordings of this CPU kind, e.g. 'amd-epyc-avx512'
    or 'intel-xeon-amx': the model's words and its widest kernel family."""
    words = "".join(c if c.isalnum() else " " for c in machine.get("cpu", "").lower()).split()
    words = [word for word in words if word not in ("r", "tm", "processor", "cpu")][:2]
    widest = kernel_family(machine.get("cpu_flags", []))
    onednn = (machine.get("onednn") or {}).get("enabled")
    return "-".join([*words, widest] + (["no-onednn"] if onednn is False else [])) or "cpu"


def fingerprint(tensorflow: bool = True) -> dict:
    """CPU model, cores, kernel-deciding flags and oneDNN (TensorFlow's
    kernels: unknown, None, in a run that loads no TensorFlow)."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "cpu_flags": cpu_flags(),
            "onednn": onednn() if tensorflow else {"enabled": None, "TF_ENABLE_ONEDNN_OPTS":
                                                   "TensorFlow not loaded"}}
