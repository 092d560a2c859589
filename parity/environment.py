"""The machine a result was measured on, as far as it can change the numbers.

The same program, seeds and TensorFlow give other bits on another CPU:
the default comparison ended at 0.041107990 on a 2-core AMD EPYC and at
0.040751502 on a 2-core Intel Xeon (README, "The comparison"), because
oneDNN picks its kernels by instruction set. So every report names the
CPU, the instruction-set extensions that decide those kernels, and whether
oneDNN was on.
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


def fingerprint() -> dict:
    """CPU model, cores, kernel-deciding flags and oneDNN."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "cpu_flags": cpu_flags(),
            "onednn": onednn()}
