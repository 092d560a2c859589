"""How TF1 ran its cells, as Keras 3 layers: `TF1RNN`, a `keras.layers.RNN`
that calls a stack's cells at the time steps alone (T32), and
`TF1DropoutWrapper` (`tf.nn.rnn_cell.DropoutWrapper` around a cell of
tf1kit/keras/recurrent.py): in `dynamic_rnn` TF1's dropout stream inside
the while loop (T34), in `static_rnn` an op per time step, each its seed.
"""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

from tf1kit.keras.random_ops import TF1Dropout
from tf1kit.trace.tracefile import PHILOX_BLOCKS_PER_ELEMENT


def in_while_loop() -> bool:
    """Whether the ops being built are a while loop's body (Keras's RNN
    without `unroll`): its cell's call outside the body, before the loop, is
    Keras's probe of the output's shape, no time step."""
    return type(tf.compat.v1.get_default_graph()).__name__ == "WhileBodyFuncGraph"


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1DropoutWrapper(keras.layers.Layer):
    """`tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=...)` (inputs
    and state kept): the cell's output at every time step dropped as TF1's
    dropout ops drew it (a TF1Dropout of the ops' stream), in TF1RNN.

    In a `dynamic_rnn` (`seed2` a number): one op inside the while loop,
    taking the next blocks of its stream at each step; here step t draws at
    the position before the loop plus t steps' blocks (t counted in a state
    of the wrapper's own: a variable advanced inside Keras's while loop is
    read out of order), and TF1RNN advances the position by the whole
    loop's after it. In a `static_rnn` (`seed2` a list, one per time step):
    an op of its own at each step, its own seed2, every one at the same
    position (each ran once per Session.run), which TF1RNN advances by one
    step's blocks after the unrolled steps; None for a step whose op TF1
    never ran (the top cell's output at a step the script did not read);
    `scope`: TF1's name scope of step 0's dropout, numbered per step as
    TF1 numbered it (T32).

    The state carried on is the cell's own. `output_keep_prob` a number, or
    None for the keep probability the script fed, which
    `TF1RNN(...)(x, keep_prob=...)` hands to the wrapper."""

    def __init__(self, cell, seed: int, seed2, op_name=None, output_keep_prob=None, scope=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.cell, self.scope = cell, scope
        self.step_seeds = [None if each is None else int(each) for each in seed2] \
            if isinstance(seed2, (list, tuple)) else None
        ran = [each for each in self.step_seeds or [] if each is not None]
        # (a static RNN's: the last op that ran, the one `op_name` names)
        self.dropout = TF1Dropout(seed, ran[-1] if ran else seed2, op_name=op_name,
                                  name="dropout")
        if ran:
            self.dropout.step_seeds = ran
        self.output_keep_prob, self.keep_prob, self.time_step = output_keep_prob, None, 0
        inner = cell.state_size if isinstance(cell.state_size, (list, tuple)) \
            else [cell.state_size]
        self.state_size, self.output_size = [*inner, 1], cell.output_size  # + the step
        self.blocks_per_row = self.output_size * PHILOX_BLOCKS_PER_ELEMENT

    def build(self, input_shape):
        self.cell.build(input_shape)

    def call(self, inputs, states, training=None):
        *inner, step = states
        output, new_states = self.cell(inputs, list(inner))
        new_states = [*new_states, step + 1]
        keep = self.keep_prob if self.output_keep_prob is None else self.output_keep_prob
        if self.step_seeds is not None:  # unrolled: time step t is TF1's op t
            if in_while_loop():
                raise ValueError("a static_rnn's TF1DropoutWrapper runs unrolled: "
                                 "TF1RNN(..., unroll=True)")
            t, self.time_step = self.time_step, self.time_step + 1
            with self._step_scope():  # TF1's name, numbered per step (opened at every step)
                if self.step_seeds[t] is None:  # TF1's op never ran: nothing read its output
                    return output, new_states
                return self.dropout(output, keep_prob=keep, training=training,
                                    position=tf.convert_to_tensor(self.dropout.position),
                                    seed2=self.step_seeds[t]), new_states
        if not in_while_loop():  # Keras's probe: no time step, no draw (an unrolled
            return output, new_states  # dynamic_rnn is refused: TF1RNN)
        blocks = tf.cast(tf.size(output), tf.int64) * PHILOX_BLOCKS_PER_ELEMENT
        position = self.dropout.position + tf.cast(step[0, 0], tf.int64) * blocks
        return self.dropout(output, keep_prob=keep, training=training,
                            position=position), new_states

    @contextlib.contextmanager
    def _step_scope(self):
        """A static step's dropout under TF1's name scope for it, `scope`
        numbered as TF1 numbered it (`.../cell_0`, `.../cell_0_1`, ...):
        Grappler orders a gradient sum's terms by their op names (T32)."""
        if self.scope is None:
            yield
            return
        parent, _, numbered = self.scope.rpartition("/")
        with tf.name_scope(parent + "/" if parent else ""), tf.name_scope(numbered):
            yield

    def get_config(self):
        return {**super().get_config(), "scope": self.scope,
                "cell": keras.saving.serialize_keras_object(self.cell),
                "seed": self.dropout.seed_pair[0],
                "seed2": self.step_seeds or self.dropout.seed_pair[1],
                "op_name": self.dropout.op_name, "output_keep_prob": self.output_keep_prob}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["cell"] = keras.saving.deserialize_keras_object(config["cell"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1RNN(keras.layers.RNN):
    """`keras.layers.RNN` as TF1 built its RNNs: a stack's cells called at
    the time steps alone, and cells that may be TF1DropoutWrappers (its
    call takes the keep probability the script fed, `keep_prob=`, and
    after the steps advances each wrapper's stream past their draws)."""

    def build(self, sequences_shape, initial_state_shape=None, keep_prob_shape=None):
        for wrapper in self._wrappers():
            if self.unroll != (wrapper.step_seeds is not None):
                raise ValueError("a TF1DropoutWrapper of one seed2 (dynamic_rnn) runs in a "
                                 "while loop, one of a seed2 per time step (static_rnn) "
                                 "unrolled")
        super().build(sequences_shape, initial_state_shape)

    def _wrappers(self) -> list:
        return [layer for layer in self._flatten_layers(include_self=False)
                if isinstance(layer, TF1DropoutWrapper)]

    def _maybe_config_dropout_masks(self, cell, input_sequence, input_state):
        """FAITHFUL DEVIATION: Keras 3 calls each cell of a stack once on the
        first time step before the loop, to size dropout masks TF1's cells do
        not have; those dead ops take the first numbers of the cells' op
        names, and the gradient sums Grappler orders by name then add in
        another order than TF1's (MIGRATION.md T32). Not called."""

    def call(self, sequences, initial_state=None, mask=None, training=False, keep_prob=None):
        wrappers = self._wrappers()
        for wrapper in wrappers:
            wrapper.keep_prob, wrapper.time_step = keep_prob, 0
        result = super().call(sequences, initial_state=initial_state, mask=mask,
                              training=training)
        if training:  # each op drew batch x units elements' blocks at each of its runs
            shape = tf.shape(sequences, out_type=tf.int64)
            for wrapper in wrappers:
                runs = shape[0] if wrapper.step_seeds else shape[0] * shape[1]
                wrapper.dropout.position.assign_add(runs * wrapper.blocks_per_row)
        return result
