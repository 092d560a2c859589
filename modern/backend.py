"""Which Keras 3 backend the modern side runs on: `--backend
{tensorflow,jax,torch}`. Keras reads KERAS_BACKEND once, when it is first
imported, so the choice is made before anything imports Keras; a backend
whose package is missing is refused in one line with its install command;
`configure_jax` sets JAX up as a comparison needs it (float32, full matmul
precision, deterministic GPU reductions). Importing this module imports no
Keras, JAX or TensorFlow.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from tf1kit.errors import DataError

BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT = "tensorflow"
# backend -> (the package it needs, how to install it)
PACKAGES = {"tensorflow": ("tensorflow", "pip install -r requirements.txt"),
            "jax": ("jax", "pip install -r requirements.txt (it installs jax's CPU build)"),
            "torch": ("torch", "pip install torch --index-url "
                               "https://download.pytorch.org/whl/cpu (the CPU build)")}


def select(name: str) -> str:
    """Make `name` the backend Keras loads with; DataError when its package
    is not installed or Keras already loaded with another backend."""
    package, install = PACKAGES[name]
    if importlib.util.find_spec(package) is None:
        raise DataError(f"--backend {name}: {package} is not installed: {install}")
    if "keras" in sys.modules:
        import keras
        if keras.backend.backend() != name:
            raise DataError(f"--backend {name}: Keras already loaded with the "
                            f"{keras.backend.backend()} backend in this process")
    os.environ["KERAS_BACKEND"] = name
    return name


def current() -> str:
    """The backend Keras runs on (or will load with)."""
    if "keras" in sys.modules:
        import keras
        return keras.backend.backend()
    return os.environ.get("KERAS_BACKEND", DEFAULT)


def configure_jax(device: str) -> dict:
    """JAX for the modern side: float32 (x64 off), matmuls at full float32
    precision (no TF32 on a GPU), deterministic GPU reductions; --device
    cpu hides any GPU. Returns the part of the environment record it
    decides."""
    if device == "cpu":
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    else:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + " --xla_gpu_deterministic_ops=true").strip()
    import jax
    jax.config.update("jax_enable_x64", False)
    jax.config.update("jax_default_matmul_precision", "highest")
    devices = jax.devices()
    if device == "gpu" and devices[0].platform != "gpu":
        raise DataError("--device gpu: JAX sees no GPU on this machine")
    return {"device": device, "device_name": "CPU" if device == "cpu" else devices[0].device_kind,
            "op_determinism": True, "tensor_float_32": False, "xla": True}
