"""The faithful pieces: Keras 3 layers and optimizers that keep TF1's
arithmetic where the stock ones change the float32 bits. A rewrite that
must match its TF1 script bit for bit imports these, and nothing else of
the kit:

    from tf1kit.keras import AddBiasDense, TF1Adam, TF1Dropout

| piece | stands for (TF1) | the stock Keras trap it avoids |
|---|---|---|
| `AddBiasDense` | `tf.add(tf.matmul(x, W), b)` | `Dense` adds by BiasAdd: another bias gradient reduction (MIGRATION.md T4) |
| `BiasAddDense` | `tf.layers.dense(x, 1)`, `tf.nn.bias_add` of a one-unit layer | `Dense(1)` adds its bias by AddV2: another bias gradient reduction (T27) |
| `AddBiasConv2D` | `tf.nn.conv2d(x, W) + b` | `Conv2D` adds a reshaped bias: another reduction (docs/convert.md) |
| `BiasAddConv2D` | `tf.nn.bias_add(tf.nn.conv2d(x, W), b)` under `minimize` | `Conv2D`'s bias gradient ungated: oneDNN fuses it into the kernel's, other bits (T23) |
| `TiedDense` | `tf.matmul(x, tf.transpose(W)) + b`, W another layer's kernel | no stock layer reads another's kernel (a tied decoder) |
| `TF1Adam` | `tf.train.AdamOptimizer` | `Adam`: 1 - beta from Python floats, beta ** t by pow, epsilon 1e-7 (T5) |
| `TF1GradientDescent`, `TF1Momentum`, `TF1RMSProp`, `TF1Adagrad` | their `tf.train` optimizers | other update formulas, initial accumulators, epsilons |
| `TF1Dropout` | `tf.nn.dropout(x, keep_prob)`, `tf.layers.dropout(x, rate, training=...)` | `Dropout` draws Keras's own stream: other masks |
| `TF1BasicLSTMCell`, `TF1LSTMCell`, `TF1BasicRNNCell`, `TF1GRUCell` | `tf.nn.rnn_cell.BasicLSTMCell`, `LSTMCell` (peepholes, clips, projection), `BasicRNNCell`, `GRUCell` in `keras.layers.RNN` | `LSTM` / `GRU`: two kernels, gates (i, f, c, o), the forget bias in the starting bias, another GRU formula (T31) |
| `TF1DropoutWrapper` in `TF1RNN` | `tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=keep_prob)` in `dynamic_rnn` or `static_rnn`; `TF1RNN` alone: a `MultiRNNCell` | no stock cell wrapper draws TF1's streams (inside the loop, or an op per step); `RNN` calls a stack's cells once before the steps: other op names, other gradient sums (T32) |
| `TF1BatchNormalization` | `tf.layers.batch_normalization(x, training=...)` with UPDATE_OPS | `BatchNormalization` updates its moving statistics by another formula: other bits (T28) |
| `TF1RandomNormal` | `tf.random_normal(tf.shape(x), mean, stddev)` | no stock layer draws TF1's stream |

Each is proven where its trap was measured: the corpus of docs/convert.md
(MATCH for 100 steps in exact mode, the CPU kinds it names). "The same
bits" is a fact of a CPU kind, oneDNN setting and thread count: prove a
rewrite on yours (`tf1-convert --prove`).

Modules: `layers` (the four bias layers, TiedDense), `optimizers` (TF1Adam),
`tf1_optimizers` (the others, on TF1's kernels), `random_ops` (TF1's random
streams in a tf.function: `philox_draw`, `TF1Dropout`, `TF1RandomNormal`),
`normalization` (TF1BatchNormalization), `recurrent` (TF1's cells), `rnn`
(TF1RNN, the DropoutWrapper), `recurrent_weights` (TF1's weights for the stock
LSTM, GRU and SimpleRNN: T31),
`recorder` (StepRecorder, TraceCallback: a rewrite traced for a proof; a
rewrite does not import it).
"""

from tf1kit.keras.layers import (AddBiasConv2D, AddBiasDense, BiasAddConv2D, BiasAddDense,
                                 TiedDense)
from tf1kit.keras.normalization import TF1BatchNormalization
from tf1kit.keras.optimizers import TF1Adam
from tf1kit.keras.random_ops import TF1Dropout, TF1RandomNormal
from tf1kit.keras.recurrent import TF1BasicLSTMCell, TF1BasicRNNCell, TF1GRUCell, TF1LSTMCell
from tf1kit.keras.rnn import TF1RNN, TF1DropoutWrapper
from tf1kit.keras.recurrent_weights import (keras_gru_weights, keras_lstm_weights,
                                            keras_simple_rnn_weights)
from tf1kit.keras.tf1_optimizers import TF1Adagrad, TF1GradientDescent, TF1Momentum, TF1RMSProp

__all__ = ["AddBiasConv2D", "AddBiasDense", "BiasAddConv2D", "BiasAddDense", "TF1Adagrad",
           "TF1Adam", "TF1BasicLSTMCell", "TF1BasicRNNCell", "TF1BatchNormalization",
           "TF1Dropout", "TF1DropoutWrapper", "TF1GRUCell", "TF1RNN", "TF1GradientDescent",
           "TF1LSTMCell",
           "TF1Momentum", "TF1RMSProp", "TF1RandomNormal", "TiedDense", "keras_gru_weights",
           "keras_lstm_weights", "keras_simple_rnn_weights"]
