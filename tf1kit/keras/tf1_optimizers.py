"""TF1's other optimizers in Keras 3, each updating every variable with the
kernel its TF1 optimizer ran: `TF1GradientDescent` (ApplyGradientDescent),
`TF1Momentum` (ApplyMomentum, Nesterov too), `TF1RMSProp` (ApplyRMSProp,
ApplyCenteredRMSProp), `TF1Adagrad` (ApplyAdagrad). `TF1Adam` is in
tf1kit/keras/optimizers.py.

FAITHFUL DEVIATION FROM IDIOM. Stock Keras computes other formulas: its SGD
with momentum keeps `m = momentum * m - lr * g` and adds it (TF1:
`accum = accum * momentum + g`, `var -= lr * accum`); its RMSprop starts
the mean square at zero (TF1: at one) and its epsilon sits elsewhere; its
Adagrad adds epsilon (TF1: none, the accumulator starts at 0.1). The
hyperparameters enter as float32 tensors, as TF1's `_prepare` made them.
Use stock Keras unless you must match a TF1 run bit for bit.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops


class _TF1Kernel(keras.optimizers.Optimizer):
    """A Keras optimizer whose update is one TF1 training kernel per variable,
    with slots `SLOTS` ((attribute, TF1 slot name, initial value))."""

    SLOTS = ()

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        for attribute, slot, initial in self.SLOTS:
            setattr(self, attribute, [] if not self._uses(slot) else [
                self.add_variable_from_reference(
                    variable, slot, initializer=keras.initializers.Constant(initial))
                for variable in var_list])

    def _uses(self, slot: str) -> bool:
        return True

    def _slot(self, attribute: str, variable):
        return getattr(self, attribute)[self._get_variable_index(variable)].handle


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1GradientDescent(_TF1Kernel):
    """tf.compat.v1.train.GradientDescentOptimizer: `var -= lr * grad`."""

    def __init__(self, learning_rate=0.01, name="tf1_gradient_descent", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        tf.raw_ops.ResourceApplyGradientDescent(
            var=variable.handle, alpha=ops.cast(learning_rate, variable.dtype),
            delta=ops.cast(gradient, variable.dtype), use_locking=False)


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1Momentum(_TF1Kernel):
    """tf.compat.v1.train.MomentumOptimizer(learning_rate, momentum, use_nesterov)."""

    SLOTS = (("_accumulators", "momentum", 0.0),)

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=False,
                 name="tf1_momentum", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum, self.nesterov = momentum, nesterov

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        tf.raw_ops.ResourceApplyMomentum(
            var=variable.handle, accum=self._slot("_accumulators", variable),
            lr=ops.cast(learning_rate, dtype), grad=ops.cast(gradient, dtype),
            momentum=ops.cast(self.momentum, dtype), use_locking=False,
            use_nesterov=self.nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1RMSProp(_TF1Kernel):
    """tf.compat.v1.train.RMSPropOptimizer(learning_rate, decay, momentum,
    epsilon, centered): the mean square starts at one."""

    SLOTS = (("_rms", "rms", 1.0), ("_moments", "momentum", 0.0), ("_mean_gradients", "mg", 0.0))

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-10,
                 centered=False, name="tf1_rmsprop", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _uses(self, slot: str) -> bool:
        return slot != "mg" or self.centered

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        common = dict(var=variable.handle, ms=self._slot("_rms", variable),
                      mom=self._slot("_moments", variable), lr=ops.cast(learning_rate, dtype),
                      rho=ops.cast(self.rho, dtype), momentum=ops.cast(self.momentum, dtype),
                      epsilon=ops.cast(self.epsilon, dtype), grad=ops.cast(gradient, dtype),
                      use_locking=False)
        if self.centered:
            tf.raw_ops.ResourceApplyCenteredRMSProp(
                mg=self._slot("_mean_gradients", variable), **common)
        else:
            tf.raw_ops.ResourceApplyRMSProp(**common)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1Adagrad(_TF1Kernel):
    """tf.compat.v1.train.AdagradOptimizer(learning_rate,
    initial_accumulator_value): no epsilon."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1,
                 name="tf1_adagrad", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.SLOTS = (("_accumulators", "accumulator", initial_accumulator_value),)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        tf.raw_ops.ResourceApplyAdagrad(
            var=variable.handle, accum=self._slot("_accumulators", variable),
            lr=ops.cast(learning_rate, dtype), grad=ops.cast(gradient, dtype),
            use_locking=False, update_slots=True)

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value}
