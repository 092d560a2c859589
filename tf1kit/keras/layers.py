"""`AddBiasDense`, `BiasAddDense`, `AddBiasConv2D`, `BiasAddConv2D`: Dense
and Conv2D layers that add their bias the way a TF1 script did.

FAITHFUL DEVIATION FROM IDIOM. Keras 3's `Dense` adds the bias with
`tf.nn.bias_add` (the BiasAdd op); the original wrote
`tf.add(tf.matmul(x, W), b)` (AddV2 with broadcasting). The forward values
are identical, but the bias gradients are different reductions
(BiasAddGrad vs a broadcast-gradient `reduce_sum`), which round differently,
and bit-equality with the TF1 run breaks after a few steps (MIGRATION.md
trap T4; sources in docs/numerics.md section 3). Everything else - weights, initializers, serialisation - is
stock `Dense`.

`BiasAddConv2D` keeps a script's `tf.nn.bias_add` and the gradient TF1's
`minimize` built for it: gated (GATE_OP groups an op's input gradients
before either is used), so the bias gradient stays a BiasAddGrad of its
own; a tape's ungated one is fused by oneDNN with the kernel's gradient
(MIGRATION.md T23).
"""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tf1kit")
class AddBiasDense(keras.layers.Dense):
    """`keras.layers.Dense` computing `activation(tf.add(tf.matmul(x, kernel), bias))`.

    `bias_shape=(1, units)` keeps a TF1 script's row-vector bias
    (`tf.Variable(tf.zeros([1, n]) + 0.1)`, added by broadcasting) in its
    shape, so its starting value and its updates are the script's as they
    are; the sum is the same either way."""

    def __init__(self, units, bias_shape=None, **kwargs):
        super().__init__(units, **kwargs)
        self.bias_shape = None if bias_shape is None else tuple(bias_shape)

    def build(self, input_shape):
        if self.bias_shape is None or not self.use_bias:
            super().build(input_shape)
            return
        self.use_bias = False  # the kernel as Dense makes it, then the bias in its shape
        super().build(input_shape)
        self.use_bias = True
        self.bias = self.add_weight(name="bias", shape=self.bias_shape,
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def get_config(self):
        config = super().get_config()
        if self.bias_shape is not None:
            config["bias_shape"] = list(self.bias_shape)
        return config

    def call(self, inputs, training=None):
        outputs = self.pre_activation(inputs)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def pre_activation(self, inputs):
        """`tf.add(tf.matmul(x, kernel), bias)`, before the activation."""
        return tf.add(tf.matmul(inputs, self.kernel), self.bias)


@keras.saving.register_keras_serializable(package="tf1kit")
class BiasAddDense(AddBiasDense):
    """`keras.layers.Dense` computing `activation(tf.nn.bias_add(tf.matmul(x,
    kernel), bias))` at every width, as TF1's `tf.layers.dense` did: stock
    Dense adds a one-unit bias (a GAN's score, a regression's output) by
    AddV2 instead (keras.ops.add takes BiasAdd only for a bias longer than
    one), whose gradient is another reduction (MIGRATION.md T27)."""

    def pre_activation(self, inputs):
        return tf.nn.bias_add(tf.matmul(inputs, self.kernel), self.bias)


@keras.saving.register_keras_serializable(package="tf1kit")
class AddBiasConv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` computing `activation(tf.nn.conv2d(x, kernel) + bias)`:
    the bias added by AddV2 of the rank-1 bias, as a TF1 script's `+ b`
    did, so that its gradient is TF1's broadcast reduction (stock Conv2D
    adds a reshaped bias: another reduction, other bits; measured on a
    conv net with oneDNN on, docs/convert.md)."""

    def call(self, inputs):
        outputs = tf.add(self.convolution_op(inputs, self.kernel), self.bias)
        return self.activation(outputs) if self.activation is not None else outputs


@tf.custom_gradient
def gated_bias_add(value, bias):
    """`tf.nn.bias_add(value, bias)` whose gradient is TF1's under
    `Optimizer.minimize`'s default `gate_gradients=GATE_OP`: the gradient
    passed on and the bias's BiasAddGrad grouped by `tf.tuple`. Ungated, as
    a GradientTape leaves it, TensorFlow with oneDNN fuses the BiasAddGrad
    into the convolution's filter gradient (Conv2DBackpropFilterWithBias),
    which sums the bias gradient in another order (T23)."""
    def gradient(upstream):
        return tf.tuple([upstream, tf.raw_ops.BiasAddGrad(out_backprop=upstream)])
    return tf.nn.bias_add(value, bias), gradient


@keras.saving.register_keras_serializable(package="tf1kit")
class BiasAddConv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` computing `activation(tf.nn.bias_add(tf.nn.conv2d(x,
    kernel), bias))` with TF1's gated bias gradient (`gated_bias_add`): stock
    Conv2D adds its bias by the same BiasAdd, ungated (T23)."""

    def call(self, inputs):
        outputs = self.convolution_op(inputs, self.kernel)
        if self.use_bias:
            outputs = gated_bias_add(outputs, tf.convert_to_tensor(self.bias))
        return self.activation(outputs) if self.activation is not None else outputs


class TiedDense(keras.layers.Layer):
    """`activation(tf.matmul(x, tf.transpose(W)) + b)`: a decoder that reads
    the kernel W of another Dense layer (`tied_to`), transposed as the
    script's `tf.transpose(W)` did, with a bias of its own, added by tf.add
    as the script's `+` (AddBiasDense's way, T4) or, `bias_add=True`, by
    BiasAdd (stock Dense's). The tied kernel stays the other layer's
    variable: one weight, its gradient the sum of both uses."""

    def __init__(self, tied_to, activation=None, use_bias=True, bias_add=False, **kwargs):
        super().__init__(**kwargs)
        self._tied = [tied_to]  # in a list: the other layer's weights stay its own
        self.activation = keras.activations.get(activation)
        self.use_bias, self.bias_add = use_bias, bias_add

    @property
    def tied_to(self):
        return self._tied[0]

    def build(self, input_shape):
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.tied_to.kernel.shape[0],),
                                        initializer="zeros")

    def call(self, inputs):
        outputs = tf.matmul(inputs, tf.transpose(self.tied_to.kernel))
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias) if self.bias_add else \
                tf.add(outputs, self.bias)
        return self.activation(outputs) if self.activation is not None else outputs


def pre_activation(layer, inputs):
    """A Dense layer's output before its activation, computed with the ops
    its `call` uses (`AddBiasDense`: tf.add; stock Dense: keras.ops.add)."""
    if isinstance(layer, AddBiasDense):
        return layer.pre_activation(inputs)
    return keras.ops.add(keras.ops.matmul(inputs, layer.kernel), layer.bias)

