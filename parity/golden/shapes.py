"""The arrays a recording's seed file must hold, each of the dtype and
shape its configuration implies (parity/golden/recording.py `load` checks them
from the members' headers before loading anything)."""

from __future__ import annotations

import types

import numpy as np

from common.architecture import parameter_shapes
from tf1kit.errors import DataError
from common.steps import KINDS
from parity.golden import step_traces

# A seed file's arrays may declare at most this many bytes in all (the
# default run's file holds 20 MB with full traces of steps 1-3): a
# recording is read into memory, and a few KB of deflate can claim GBs.
MAX_SEED_FILE_BYTES = 2 << 30


def checker(config: dict):
    """check(headers) for npz.read_arrays: the arrays a seed file of
    `config` holds, each of its dtype and shape; None or the reason."""
    fixed = {"step_losses": ("float32", (config["total_steps"],)),
             "epoch_costs": ("float32", (config["training_epochs"],)),
             "test_cost": ("float32", ())}
    for name, shape in parameter_shapes(types.SimpleNamespace(
            layer_sizes=config["layer_sizes"])).items():
        fixed[f"initial/{name}"] = fixed[f"final/{name}"] = ("float32", tuple(shape))
    code_size = config["layer_sizes"][-1]

    def check(headers):
        missing = [key for key in (*fixed, "order", "test_codes", "test_reconstructions")
                   if key not in headers]
        if missing:
            return f"incomplete seed file: no {missing[0]} array"
        if sum(dtype.itemsize * int(np.prod(shape, dtype=object))
               for dtype, shape in headers.values()) > MAX_SEED_FILE_BYTES:
            return f"its arrays claim more than {MAX_SEED_FILE_BYTES >> 30} GiB"
        for key, (dtype, shape) in headers.items():
            expected = fixed.get(key)
            if expected is None:
                expected = free_shape(key, dtype, shape, config, code_size, headers)
            if expected is None:
                return f"holds an array no recording has: {key}"
            if (str(dtype), tuple(shape)) != (expected[0], tuple(expected[1])):
                return (f"{key} is {dtype} {tuple(shape)}; this recording's configuration "
                        f"implies {expected[0]} {tuple(expected[1])}")
        return None
    return check


def free_shape(key, dtype, shape, config, code_size, headers):
    """The (dtype, shape) an array whose size the configuration leaves open
    must have, or None for an array no recording holds."""
    steps = headers.get("trace/steps", (None, (0,)))[1]
    names = headers.get("trace/names", (None, (0,)))[1]
    if key == "order":
        return (str(dtype) if str(dtype) in ("uint16", "int32") else "uint16",
                (config["total_steps"], config["batch_size"]))
    if key in ("test_codes", "test_reconstructions"):
        width = code_size if key == "test_codes" else config["layer_sizes"][0]
        return ("float32", (shape[0] if len(shape) == 2 else "N", width))
    if key == "trace/steps":
        return ("int32", (shape[0] if len(shape) == 1 else "N",))
    if key == "trace/names":
        return (str(dtype) if dtype.kind == "U" else "<U", (names[0] if names else "N",))
    if key == "trace/digests":
        return ("uint8", (steps[0] if steps else "N", names[0] if names else "N",
                          step_traces.DIGEST_BYTES))
    parts = key.split("/")
    if (parts[0] == "trace" and len(parts) >= 4 and parts[1].isdigit() and parts[2] in KINDS) \
            or parts[0] == "variant":
        return ("float32", tuple(shape))
    return None


def check_traces(path: str, arrays: dict, total_steps: int) -> None:
    steps = [int(step) for step in arrays.get("trace/steps", [])]
    names = [str(name) for name in arrays.get("trace/names", [])]
    if steps != sorted(set(steps)) or any(not 1 <= step <= total_steps for step in steps):
        raise DataError(f"{path}: trace/steps must be increasing steps from 1 to {total_steps}")
    for name in names:
        kind, _, rest = name.partition(" ")
        if kind not in KINDS or not rest:
            raise DataError(f"{path}: trace/names holds {name!r}, not 'kind name' with a "
                            f"kind of {', '.join(KINDS)}")
