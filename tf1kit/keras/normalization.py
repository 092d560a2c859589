"""`TF1BatchNormalization`: Keras 3's BatchNormalization computing a
training step as a TF1 script's batch normalization did.

FAITHFUL DEVIATION FROM IDIOM. The forward pass of `tf.layers.batch_normalization`
on a rank-2 input (`tf.nn.moments`, then `tf.nn.batch_normalization`) is
the stock layer's. On a rank-4 input TF1 ran one FusedBatchNormV3
(`fused=True` here; `tf.contrib.layers.batch_norm` ran it on rank-2
inputs too, reshaped to [-1, 1, 1, C]), a kernel Keras 3 never runs: it
rounds otherwise and gives the moving average the unbiased variance
(n / (n - 1); MIGRATION.md T29). The moving statistics are not the stock
layer's either: TF1 updated each by `v -= (v - batch) * (1 - momentum)`
(an AssignSub, `1 - momentum` taken in Python's float64, under
`tf.control_dependencies(UPDATE_OPS)`), Keras 3 assigns `v * momentum +
batch * (1 - momentum)`: other float32 roundings from the first step (T28).

`moving_updates=False` keeps the statistics where they start, as a script
that never ran UPDATE_OPS did; `float32_rate=True` takes `1 - momentum`
in float32, as tf.layers' fused path did (1 - 0.99f = 0.00999999, not
0.01f); `update_rate` gives the subtracted rate as the script's graph
held it, where it was neither. Everything else - weights, initializers,
inference - is stock BatchNormalization.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1BatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` whose training call is TF1's:
    `tf.nn.moments` over every axis but the last, `tf.nn.batch_normalization`,
    and the moving averages updated by TF1's AssignSub (see the module)."""

    def __init__(self, update_rate=None, moving_updates=True, fused=False, float32_rate=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.update_rate, self.moving_updates, self.fused = update_rate, moving_updates, fused
        self.float32_rate = float32_rate

    def call(self, inputs, training=None, mask=None):
        if not training or mask is not None:
            return super().call(inputs, training=training, mask=mask)
        if self.fused:  # tf.layers on a rank-4 input, contrib on any: one FusedBatchNormV3
            ones = tf.ones(inputs.shape[-1:], inputs.dtype)
            images = tf.reshape(inputs, [-1, 1, 1, inputs.shape[-1]]) \
                if len(inputs.shape) == 2 else inputs  # contrib's [-1, 1, 1, C]
            outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                images, self.gamma if self.scale else ones,
                self.beta if self.center else tf.zeros_like(ones),
                epsilon=self.epsilon, is_training=True)
            self._update(mean, variance, inputs.dtype)
            return tf.reshape(outputs, tf.shape(inputs)) if images is not inputs else outputs
        mean, variance = tf.nn.moments(inputs, self._reduction_axes)
        self._update(mean, variance, inputs.dtype)
        return tf.nn.batch_normalization(inputs, mean, variance,
                                         self.beta if self.center else None,
                                         self.gamma if self.scale else None, self.epsilon)

    def _update(self, mean, variance, dtype):
        """TF1's AssignSub of each moving statistic."""
        if self.moving_updates:
            rate = self.update_rate if self.update_rate is not None else \
                float(np.float32(1.0) - np.float32(self.momentum)) if self.float32_rate \
                else 1.0 - self.momentum
            rate = tf.constant(rate, dtype)
            for moving, statistic in ((self.moving_mean, mean),
                                      (self.moving_variance, variance)):
                moving.assign_sub((moving - statistic) * rate)

    def get_config(self):
        return {**super().get_config(), "update_rate": self.update_rate,
                "moving_updates": self.moving_updates, "fused": self.fused,
                "float32_rate": self.float32_rate}
