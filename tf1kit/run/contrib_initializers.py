"""`tf.contrib.layers`' initializers and regularizers, re-implemented op
for op (TF 1.15's tensorflow/contrib/layers/python/layers/initializers.py
and regularizers.py), because their TF2 counterparts compute something
else: contrib's truncated normal uses stddev sqrt(1.3 * factor / n); TF2's
`VarianceScaling` uses sqrt(factor / n) / 0.8796, 0.3% narrower, and
computes the uniform limit in another order; contrib's `l2_regularizer` is
scale * tf.nn.l2_loss(w), while `tf_upgrade_v2`'s replacement, keras
`l2(0.5 * scale)`, rounds differently.
"""

from __future__ import annotations

import math
import numbers

import tensorflow as tf

v1 = tf.compat.v1


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
