"""TF1's recurrent cells as Keras 3 cells for `keras.layers.RNN`:
`TF1BasicLSTMCell` (`tf.nn.rnn_cell.BasicLSTMCell`), `TF1LSTMCell`
(`LSTMCell`, its peepholes, clips and projection), `TF1BasicRNNCell`,
`TF1GRUCell` (TF1's DropoutWrapper and the RNN layer that runs them as
TF1 did: tf1kit/keras/rnn.py).

FAITHFUL DEVIATION FROM IDIOM. TF1's LSTM keeps one kernel of shape
[inputs + units, 4 * units] applied to `concat([x, h])`, its gates in the
order (i, j, f, o) (input, new input, forget, output), and adds
`forget_bias` (1.0) to the forget gate at every step; Keras 3's LSTM keeps
a kernel and a recurrent kernel, computes `x @ kernel + h @ recurrent_kernel`
(two matmuls, another sum), orders its gates (i, f, c, o) and puts the
forget bias into the bias's starting value (`unit_forget_bias`): other
arithmetic from the first step, and TF1's weights do not load into it
without reordering (MIGRATION.md T31). TF1's GRU has a gate kernel for
(r, u) and a candidate kernel over `concat([x, r * h])`, with
`new_h = u * h + (1 - u) * c`; Keras's GRU computes `z * h + (1 - z) * hh`
with `reset_after=True` by default (another formula). These cells compute
TF1's ops in TF1's order, so `keras.layers.RNN(cell, unroll=True)` is
`tf.nn.static_rnn`, and `keras.layers.RNN(cell)` (a while loop) is
`tf.nn.dynamic_rnn`, bit for bit where measured (docs/convert.md).

`scope` gives the cell's ops TF1's names (`rnn/basic_lstm_cell/MatMul_7`):
a weight read at every step of an unrolled RNN has a gradient summed over
the steps by one AddN whose inputs Grappler orders by op name, so the sum's
order is the names' (MIGRATION.md T32); with TF1's names and TF1's
`tf.gradients(..., gate_gradients=True)` it is TF1's.
"""

from __future__ import annotations

import keras
import tensorflow as tf



class _TF1Cell(keras.layers.Layer):
    """What the three cells share: units, activation, the weights TF1 made
    (glorot-uniform kernels and zero biases: `tf.get_variable`'s defaults)."""

    def __init__(self, units, activation="tanh", scope=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.scope = scope

    def call(self, inputs, states):
        if self.scope is None:
            return self.step(inputs, states)
        with tf.name_scope(self.scope + "/"):  # TF1's op names, each step's numbered as TF1's
            return self.step(inputs, states)

    def _weight(self, name, shape, bias=False):
        return self.add_weight(name=name, shape=shape,
                               initializer="zeros" if bias else "glorot_uniform")

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scope": self.scope,
                "activation": keras.activations.serialize(self.activation)}


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1BasicLSTMCell(_TF1Cell):
    """`BasicLSTMCell(units, forget_bias)` with `state_is_tuple=True`: state
    [c, h], `kernel` [inputs + units, 4 * units], `bias` [4 * units]."""

    def __init__(self, units, forget_bias=1.0, activation="tanh", **kwargs):
        super().__init__(units, activation, **kwargs)
        self.forget_bias = float(forget_bias)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        self.kernel = self._weight("kernel", (input_shape[-1] + self.units, 4 * self.units))
        self.bias = self._weight("bias", (4 * self.units,), bias=True)

    def step(self, inputs, states):
        c, h = states
        gate_inputs = tf.nn.bias_add(tf.matmul(tf.concat([inputs, h], 1), self.kernel),
                                     self.bias)
        i, j, f, o = tf.split(value=gate_inputs, num_or_size_splits=4, axis=tf.constant(1))
        forget_bias = tf.constant(self.forget_bias, dtype=f.dtype)
        new_c = tf.add(tf.multiply(c, tf.sigmoid(tf.add(f, forget_bias))),
                       tf.multiply(tf.sigmoid(i), self.activation(j)))
        new_h = tf.multiply(self.activation(new_c), tf.sigmoid(o))
        return new_h, [new_c, new_h]

    def get_config(self):
        return {**super().get_config(), "forget_bias": self.forget_bias}


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1LSTMCell(_TF1Cell):
    """`LSTMCell(units, use_peepholes, cell_clip, num_proj, proj_clip,
    forget_bias)` with `state_is_tuple=True`: state [c, m], `kernel`
    [inputs + (num_proj or units), 4 * units], `bias`; with peepholes
    `w_f_diag`, `w_i_diag`, `w_o_diag` [units] (c read into the gates); with
    a projection `proj_kernel` [units, num_proj] (the output m projected).
    Its ops are LSTMCell's (`f + forget_bias`, python operators): without
    peepholes the same arithmetic as BasicLSTMCell under other op names."""

    def __init__(self, units, forget_bias=1.0, use_peepholes=False, cell_clip=None,
                 num_proj=None, proj_clip=None, activation="tanh", **kwargs):
        super().__init__(units, activation, **kwargs)
        self.forget_bias, self.use_peepholes = float(forget_bias), bool(use_peepholes)
        self.cell_clip, self.proj_clip = cell_clip, proj_clip
        self.num_proj = None if num_proj is None else int(num_proj)
        self.state_size = [self.units, self.num_proj or self.units]
        self.output_size = self.num_proj or self.units

    def build(self, input_shape):
        self.kernel = self._weight("kernel", (input_shape[-1] + self.output_size,
                                              4 * self.units))
        self.bias = self._weight("bias", (4 * self.units,), bias=True)
        if self.use_peepholes:
            self.w_f_diag, self.w_i_diag, self.w_o_diag = (
                self._weight(name, (self.units,)) for name in ("w_f_diag", "w_i_diag",
                                                                "w_o_diag"))
        if self.num_proj is not None:
            self.proj_kernel = self._weight("proj_kernel", (self.units, self.num_proj))

    def step(self, inputs, states):
        c_prev, m_prev = states
        lstm_matrix = tf.nn.bias_add(tf.matmul(tf.concat([inputs, m_prev], 1), self.kernel),
                                     self.bias)
        i, j, f, o = tf.split(value=lstm_matrix, num_or_size_splits=4, axis=1)
        if self.use_peepholes:  # (tensors: a Keras variable's `*` would be named Mul, not mul)
            w_f_diag, w_i_diag, w_o_diag = (tf.convert_to_tensor(weight) for weight in (
                self.w_f_diag, self.w_i_diag, self.w_o_diag))
            c = tf.sigmoid(f + self.forget_bias + w_f_diag * c_prev) * c_prev + \
                tf.sigmoid(i + w_i_diag * c_prev) * self.activation(j)
        else:
            c = tf.sigmoid(f + self.forget_bias) * c_prev + tf.sigmoid(i) * self.activation(j)
        if self.cell_clip is not None:
            c = tf.clip_by_value(c, -self.cell_clip, self.cell_clip)
        if self.use_peepholes:
            m = tf.sigmoid(o + w_o_diag * c) * self.activation(c)
        else:
            m = tf.sigmoid(o) * self.activation(c)
        if self.num_proj is not None:
            m = tf.matmul(m, self.proj_kernel)
            if self.proj_clip is not None:
                m = tf.clip_by_value(m, -self.proj_clip, self.proj_clip)
        return m, [c, m]

    def get_config(self):
        return {**super().get_config(), "forget_bias": self.forget_bias,
                "use_peepholes": self.use_peepholes, "cell_clip": self.cell_clip,
                "num_proj": self.num_proj, "proj_clip": self.proj_clip}


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1BasicRNNCell(_TF1Cell):
    """`BasicRNNCell(units)`: `activation(concat([x, h]) @ kernel + bias)`."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation, **kwargs)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self.kernel = self._weight("kernel", (input_shape[-1] + self.units, self.units))
        self.bias = self._weight("bias", (self.units,), bias=True)

    def step(self, inputs, states):
        state = states[0] if isinstance(states, (list, tuple)) else states
        output = self.activation(tf.nn.bias_add(
            tf.matmul(tf.concat([inputs, state], 1), self.kernel), self.bias))
        return output, [output]


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1GRUCell(_TF1Cell):
    """`GRUCell(units)`: gates (r, u) = sigmoid(concat([x, h]) @ gate_kernel +
    gate_bias), c = activation(concat([x, r * h]) @ candidate_kernel +
    candidate_bias), new_h = u * h + (1 - u) * c. TF1's gate bias starts at
    ones (`bias_initializer` None: constant 1.0)."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation, **kwargs)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        width = input_shape[-1] + self.units
        self.gate_kernel = self._weight("gate_kernel", (width, 2 * self.units))
        self.gate_bias = self.add_weight(name="gate_bias", shape=(2 * self.units,),
                                         initializer="ones")
        self.candidate_kernel = self._weight("candidate_kernel", (width, self.units))
        self.candidate_bias = self._weight("candidate_bias", (self.units,), bias=True)

    def step(self, inputs, states):
        state = states[0] if isinstance(states, (list, tuple)) else states
        value = tf.sigmoid(tf.nn.bias_add(
            tf.matmul(tf.concat([inputs, state], 1), self.gate_kernel), self.gate_bias))
        r, u = tf.split(value=value, num_or_size_splits=2, axis=1)
        candidate = tf.nn.bias_add(
            tf.matmul(tf.concat([inputs, r * state], 1), self.candidate_kernel),
            self.candidate_bias)
        c = self.activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, [new_h]
