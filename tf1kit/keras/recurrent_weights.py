"""TF1's recurrent weights for the stock Keras layers: `keras_lstm_weights`
(BasicLSTMCell -> `keras.layers.LSTM`), `keras_gru_weights` (GRUCell ->
`GRU(reset_after=False)`), `keras_simple_rnn_weights` (BasicRNNCell ->
`SimpleRNN`). The same functions of the inputs, other float32 arithmetic
(MIGRATION.md T31): for migrating by hand, or measuring the trap; a
faithful rewrite keeps TF1's cells (tf1kit/keras/recurrent.py).
"""

from __future__ import annotations

import numpy as np


def keras_lstm_weights(kernel, bias, forget_bias: float = 1.0) -> list:
    """TF1's LSTM weights (`kernel` [inputs + units, 4 * units] over
    concat([x, h]), gates (i, j, f, o), `bias`) as `keras.layers.LSTM`'s
    [kernel, recurrent_kernel, bias]: rows split at the inputs, gates
    reordered to (i, f, c, o), the forget bias TF1 added at every step put
    into the bias. The same function of the inputs; not the same float32
    arithmetic (MIGRATION.md T31)."""
    kernel, bias = np.asarray(kernel), np.asarray(bias, np.float32)
    units = kernel.shape[1] // 4
    order = [0, 2, 1, 3]  # Keras's i, f, c, o among TF1's i, j, f, o

    def gates(array):
        return np.concatenate([array[..., index * units:(index + 1) * units]
                               for index in order], axis=-1)
    bias = gates(bias).copy()
    bias[units:2 * units] += np.float32(forget_bias)
    inputs = kernel.shape[0] - units
    return [gates(kernel[:inputs]), gates(kernel[inputs:]), bias]


def keras_gru_weights(gate_kernel, gate_bias, candidate_kernel, candidate_bias) -> list:
    """TF1's GRUCell weights (gates (r, u) over concat([x, h]), the candidate
    over concat([x, r * h])) as `keras.layers.GRU(reset_after=False)`'s
    [kernel, recurrent_kernel, bias]: rows split at the inputs, gates
    reordered to Keras's (z, r, h) (TF1's u is Keras's z). The same function
    (Keras's `reset_after=False` applies r before the recurrent matmul, as
    TF1 did); not the same float32 arithmetic (MIGRATION.md T31)."""
    gate_kernel, candidate_kernel = np.asarray(gate_kernel), np.asarray(candidate_kernel)
    units = candidate_kernel.shape[1]
    inputs = gate_kernel.shape[0] - units
    r, u = (slice(0, units), slice(units, 2 * units))

    def joined(gates, candidate):
        return np.concatenate([gates[..., u], gates[..., r], candidate], axis=-1)
    return [joined(gate_kernel[:inputs], candidate_kernel[:inputs]),
            joined(gate_kernel[inputs:], candidate_kernel[inputs:]),
            joined(np.asarray(gate_bias), np.asarray(candidate_bias))]


def keras_simple_rnn_weights(kernel, bias) -> list:
    """TF1's BasicRNNCell weights (one kernel over concat([x, h])) as
    `keras.layers.SimpleRNN`'s [kernel, recurrent_kernel, bias]: the rows
    split at the inputs. Keras computes `x @ W + b + h @ U`, TF1
    `concat([x, h]) @ K + b`: the same function rounded otherwise (T31)."""
    kernel = np.asarray(kernel)
    inputs = kernel.shape[0] - kernel.shape[1]
    return [kernel[:inputs], kernel[inputs:], np.asarray(bias)]
