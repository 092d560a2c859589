"""`tf.contrib` for scripts run by `run_tf1`: the handful of contrib symbols
that have an exact TF2 form, and a one-line refusal for every other.

tf.contrib was removed in TensorFlow 2.0. Two kinds of symbol run here:
- renames: contrib re-exported a core symbol that still exists under
  another name (the renames `tf_upgrade_v2` itself applies, e.g.
  `tf.contrib.rnn.LSTMCell` -> `tf.compat.v1.nn.rnn_cell.LSTMCell`: the
  same class);
- re-implementations, op for op, of small contrib functions whose TF2
  counterparts compute something else: `xavier_initializer` and
  `variance_scaling_initializer` (contrib's truncated normal uses
  stddev sqrt(1.3 * factor / n); TF2's `VarianceScaling` uses
  sqrt(factor / n) / 0.8796, 0.3% narrower, and computes the uniform
  limit in another order), `l1_regularizer` and `l2_regularizer`
  (contrib's is scale * tf.nn.l2_loss(w); `tf_upgrade_v2`'s replacement,
  keras `l2(0.5 * scale)`, rounds differently), `flatten`.
Never an approximation: a symbol not listed here is refused, naming it.
"""

from __future__ import annotations

import math
import numbers
import types

import tensorflow as tf

v1 = tf.compat.v1

# contrib name -> its target's path in tf.compat.v1 (or "tf." for the TF2 namespace).
RENAMES = {
    "rnn.BasicLSTMCell": "nn.rnn_cell.BasicLSTMCell",
    "rnn.BasicRNNCell": "nn.rnn_cell.BasicRNNCell",
    "rnn.GRUCell": "nn.rnn_cell.GRUCell",
    "rnn.LSTMCell": "nn.rnn_cell.LSTMCell",
    "rnn.LSTMStateTuple": "nn.rnn_cell.LSTMStateTuple",
    "rnn.MultiRNNCell": "nn.rnn_cell.MultiRNNCell",
    "rnn.RNNCell": "nn.rnn_cell.RNNCell",
    "rnn.static_rnn": "nn.static_rnn",
    "rnn.static_bidirectional_rnn": "nn.static_bidirectional_rnn",
    "rnn.static_state_saving_rnn": "nn.static_state_saving_rnn",
    "framework.sort": "tf.sort",
    "framework.argsort": "tf.argsort",
    "framework.is_tensor": "tf.is_tensor",
    "framework.nest.flatten": "tf.nest.flatten",
    "framework.nest.map_structure": "tf.nest.map_structure",
    "framework.nest.pack_sequence_as": "tf.nest.pack_sequence_as",
    "framework.nest.assert_same_structure": "tf.nest.assert_same_structure",
    "framework.nest.is_nested": "tf.nest.is_nested",
}
# Where a refused symbol has a close (not exact) TF2 form, say which.
HINTS = {
    "layers.fully_connected": "tf.compat.v1.layers.dense (other variable names and defaults)",
    "layers.conv2d": "tf.compat.v1.layers.conv2d (other variable names and defaults)",
    "layers.batch_norm": "tf.compat.v1.layers.batch_normalization (other defaults)",
    "slim": "tf_slim, a separate package",
}


def _fans(shape) -> tuple[float, float]:
    """contrib's fan_in and fan_out: the last two dimensions, times the
    receptive field (the dimensions before them)."""
    shape = list(shape)
    if not shape:
        return 1.0, 1.0
    fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1])
    fan_out = float(shape[-1])
    for dimension in shape[:-2]:
        fan_in *= dimension
        fan_out *= dimension
    return fan_in, fan_out


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None,
                                 dtype=tf.float32):
    """contrib's initializer: uniform in +-sqrt(3 * factor / n), or a
    truncated normal of stddev sqrt(1.3 * factor / n); n by `mode`."""
    if not tf.as_dtype(dtype).is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")

    def initializer(shape, dtype=dtype, partition_info=None):
        if not tf.as_dtype(dtype).is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        fan_in, fan_out = _fans(shape)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return v1.random_uniform(shape, -limit, limit, dtype, seed=seed)
        return v1.truncated_normal(shape, 0.0, math.sqrt(1.3 * factor / n), dtype, seed=seed)
    return initializer


def xavier_initializer(uniform=True, seed=None, dtype=tf.float32):
    """Glorot's initializer, as contrib drew it (factor 1, FAN_AVG)."""
    return variance_scaling_initializer(1.0, "FAN_AVG", uniform, seed, dtype)


def _regularizer(scale, name: str, penalty):
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale}")
        if scale == 0.0:
            return lambda _: None

    def regularizer(weights):
        with v1.name_scope(None, name, [weights]) as scope:
            factor = tf.convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return v1.multiply(factor, penalty(weights), name=scope)
    return regularizer


def l1_regularizer(scale, scope=None):
    """scale * sum(|w|), as contrib computed it."""
    return _regularizer(scale, scope or "l1_regularizer",
                        lambda weights: v1.reduce_sum(v1.abs(weights)))


def l2_regularizer(scale, scope=None):
    """scale * tf.nn.l2_loss(w) (sum(w ** 2) / 2 in one op), as contrib computed it."""
    return _regularizer(scale, scope or "l2_regularizer", v1.nn.l2_loss)


def flatten(inputs, outputs_collections=None, scope=None):
    """[batch, ...] -> [batch, k], in contrib's `Flatten` name scope."""
    with v1.name_scope(scope, "Flatten", [inputs]):
        outputs = v1.layers.flatten(tf.convert_to_tensor(inputs))
    if outputs_collections:
        v1.add_to_collections(outputs_collections, outputs)
    return outputs


REIMPLEMENTED = {
    "layers.variance_scaling_initializer": variance_scaling_initializer,
    "layers.xavier_initializer": xavier_initializer,
    "layers.xavier_initializer_conv2d": xavier_initializer,
    "layers.l1_regularizer": l1_regularizer,
    "layers.l2_regularizer": l2_regularizer,
    "layers.flatten": flatten,
}


def _target(path: str):
    namespace, _, rest = path.partition(".") if path.startswith("tf.") else ("", "", path)
    value = tf if namespace else v1
    for part in rest.split("."):
        value = getattr(value, part)
    return value


class Namespace(types.ModuleType):
    """`tf.contrib` or one of its submodules: listed symbols resolve, every
    other attribute is refused with one line naming it."""

    def __init__(self, path: str = ""):
        super().__init__("tf.contrib" + (f".{path}" if path else ""))
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        full = f"{self._path}.{name}" if self._path else name
        if full in REIMPLEMENTED:
            return REIMPLEMENTED[full]
        if full in RENAMES:
            return _target(RENAMES[full])
        if is_namespace(full):
            return Namespace(full)
        raise AttributeError(refusal(full))


def is_namespace(path: str) -> bool:
    """Whether `tf.contrib.<path>` is a module this shim serves (rnn, layers, ...)."""
    return any(key.startswith(path + ".") for key in (*RENAMES, *REIMPLEMENTED))


def refusal(full: str) -> str:
    """The one line a contrib symbol without an exact TF2 form gets."""
    hint = HINTS.get(full) or HINTS.get(full.split(".")[0])
    return (f"tf.contrib.{full} was removed with tf.contrib in TensorFlow 2.0 and has no exact "
            "equivalent this shim can run (docs/run_tf1.md lists those it can)"
            + (f"; the closest TF2 form is {hint}" if hint else "") + ": port it by hand")


def supported() -> list:
    """(contrib symbol, what runs it) for docs/run_tf1.md's table."""
    rows = [(f"tf.contrib.{name}", f"tf.compat.v1.{target}" if not target.startswith("tf.")
             else target) for name, target in RENAMES.items()]
    rows += [(f"tf.contrib.{name}", "re-implemented op for op (tf1kit/run/contrib.py)")
             for name in REIMPLEMENTED]
    return rows
