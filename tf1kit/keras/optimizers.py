"""`TF1Adam`: Keras 3 Adam with the arithmetic of tf.compat.v1's AdamOptimizer.

FAITHFUL DEVIATION FROM IDIOM. Stock `keras.optimizers.Adam(epsilon=1e-8)`
implements the same formula as TF1's `ApplyAdam` kernel, in the same order,
but computes two things differently (MIGRATION.md trap T5; the kernel's
arithmetic, with its sources, in docs/numerics.md section 2):
- `1 - beta_1` and `1 - beta_2` from Python floats (0.1, 0.001), where TF1
  subtracts in float32 (0.100000024, 0.0009999871);
- `beta ** t` with `pow` each step, where TF1 keeps float32 variables
  `beta1_power`, `beta2_power`, initialised to beta and multiplied by beta
  after every step (so they accumulate float32 rounding).
Each costs one ulp on some updates, and this model's saturating sigmoids
amplify that into visibly different trajectories. This subclass restores
TF1's arithmetic; everything else (slots, serialisation, `fit`) is Keras's.
Use stock Adam (with epsilon=1e-8, not Keras's 1e-7) unless you must match
a TF1 run bit for bit.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

TF1_EPSILON = 1e-8  # tf.compat.v1.train.AdamOptimizer's default; Keras uses 1e-7


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1Adam(keras.optimizers.Adam):
    """Adam that reproduces `tf.compat.v1.train.AdamOptimizer` bit for bit on CPU."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                 epsilon=TF1_EPSILON, amsgrad=False, fused=True, name="tf1_adam", **kwargs):
        """`fused=True` (default) updates each variable with TF1's own kernel,
        `ResourceApplyAdam`, one op per variable, exactly as TF1's
        AdamOptimizer did; `fused=False` spells the same arithmetic out in
        Keras ops (about ten small ops per variable: slower, same bits)."""
        if amsgrad:
            raise ValueError("TF1Adam reproduces TF1's AdamOptimizer, which has no amsgrad")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=False, name=name, **kwargs)
        self.fused = fused

    def get_config(self):
        return {**super().get_config(), "fused": self.fused}

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # TF1's `_create_non_slot_variable(initial_value=beta1, name="beta1_power")`:
        # float32 scalars holding beta**t, advanced by multiplication.
        self._beta_1_power = self.add_variable(
            (), initializer=keras.initializers.Constant(self.beta_1), dtype="float32",
            name="beta1_power")
        self._beta_2_power = self.add_variable(
            (), initializer=keras.initializers.Constant(self.beta_2), dtype="float32",
            name="beta2_power")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        if self.fused:
            m = self._momentums[self._get_variable_index(variable)]
            v = self._velocities[self._get_variable_index(variable)]
            # TF1's AdamOptimizer._resource_apply_dense, call for call.
            tf.raw_ops.ResourceApplyAdam(
                var=variable.handle, m=m.handle, v=v.handle,
                beta1_power=ops.cast(self._beta_1_power, dtype),
                beta2_power=ops.cast(self._beta_2_power, dtype), lr=lr,
                beta1=ops.cast(self.beta_1, dtype), beta2=ops.cast(self.beta_2, dtype),
                epsilon=ops.cast(self.epsilon, dtype), grad=gradient, use_locking=False)
            return
        one = ops.cast(1.0, dtype)
        # float32 (1 - beta), as the TF1 kernel's `T(1) - beta1()`.
        one_minus_beta_1 = one - ops.cast(self.beta_1, dtype)
        one_minus_beta_2 = one - ops.cast(self.beta_2, dtype)
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        alpha = lr * ops.sqrt(one - self._beta_2_power) / (one - self._beta_1_power)
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), one_minus_beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), one_minus_beta_2))
        self.assign_sub(variable, ops.divide(ops.multiply(m, alpha),
                                             ops.add(ops.sqrt(v), self.epsilon)))

    def apply(self, grads, trainable_variables=None):
        result = super().apply(grads, trainable_variables)
        # TF1's `_finish`: advance the powers once per step, after all updates
        # (automatic control dependencies order this after the reads above).
        self._beta_1_power.assign(self._beta_1_power * ops.cast(self.beta_1, "float32"))
        self._beta_2_power.assign(self._beta_2_power * ops.cast(self.beta_2, "float32"))
        return result
