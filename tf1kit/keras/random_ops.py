"""TF1's random streams, drawn inside a `tf.function`: `TF1Dropout`, and
`philox_draw` for any recorded stateful random op.

FAITHFUL DEVIATION FROM IDIOM. A TF1 graph's stateful random op
(`RandomUniform`, `RandomStandardNormal`, `TruncatedNormal`: what
`tf.nn.dropout`, `tf.random_normal` noise and VAE-style sampling build)
holds a Philox generator keyed by its seed pair `(seed, seed2)` (the graph
seed and the op seed, in the op's attributes); every run of the op takes
`elements x 256` of the generator's 128-bit blocks
(`GuardedPhiloxRandom::ReserveRandomOutputs(n, 256)`), whether it ran for
training or for an evaluation. TensorFlow's stateless ops take the same
generator's key and counter as inputs, so a draw is reproduced exactly by
`StatelessRandom*V2(key=[seed], counter=[position, seed2], alg=Philox)`
where `position` counts the blocks the op consumed before (a trace records
it per step: `recorded.random_ops`). Stock `keras.layers.Dropout` draws
from Keras's own seed stream: other masks (MIGRATION.md).

TF1's `tf.nn.dropout(x, keep_prob)` with `keep_prob` a placeholder, as
TF 2.x's compat.v1 builds it: `rate = 1 - keep_prob`, then
`where(uniform >= rate, x / (1 - rate), 0)`, all in float32. The keep
probability must reach the step as a tensor (an argument of the
`tf.function`, as the script fed it): a Python constant lets Grappler
rewrite the division into a multiplication by the reciprocal, other bits.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tf1kit.trace.tracefile import PHILOX_BLOCKS_PER_ELEMENT

PHILOX = 1  # tf.random.Algorithm.PHILOX, the algorithm TF1's ops run
# The stateful op type -> its stateless twin with a key/counter input.
STATELESS = {"RandomUniform": tf.raw_ops.StatelessRandomUniformV2,
             "RandomStandardNormal": tf.raw_ops.StatelessRandomNormalV2,
             "TruncatedNormal": tf.raw_ops.StatelessTruncatedNormalV2}


def philox_draw(op_type: str, shape, seed: int, seed2: int, position, dtype=tf.float32):
    """The values TF1's stateful random op `op_type` with attributes
    (seed, seed2) outputs when its generator has consumed `position` blocks."""
    if op_type not in STATELESS:
        raise ValueError(f"no stateless twin of TF1's {op_type} (known: {', '.join(STATELESS)})")
    counter = tf.stack([tf.cast(position, tf.uint64), tf.constant(seed2, tf.uint64)])
    return STATELESS[op_type](shape=shape, key=tf.constant([seed], tf.uint64),
                              counter=counter, alg=PHILOX, dtype=dtype)


class TF1RandomOp(keras.layers.Layer):
    """A layer that draws the stream of a TF1 graph's stateful random op
    `op_type` with attributes (seed, seed2): `draw(shape)` at `position`
    (the blocks consumed so far), which advances by `elements x 256` per
    call as TF1's op did. Set `position` from a trace before a step
    (`layer.position.assign(recorded.random_position(op_name, step))`)
    where the script also ran the op outside training. `op_name` names the
    TF1 op it reproduces, for traces."""

    op_type = "RandomUniform"

    def __init__(self, seed: int, seed2: int, op_name: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed_pair, self.op_name = (int(seed), int(seed2)), op_name
        self.step_seeds = [self.seed_pair[1]]  # every seed2 it draws with (a static RNN's)
        self.position = self.add_weight(shape=(), dtype="int64", trainable=False,
                                        initializer="zeros", name="position")

    def draw(self, shape, position=None, seed2=None):
        """The draw for `shape` at the current position, and advance it; at
        `position` (a loop's, counted by its caller), leaving it; `seed2`:
        another op's of the same stream position (a static RNN's time step)."""
        seed2 = self.seed_pair[1] if seed2 is None else seed2
        if position is not None:
            return philox_draw(self.op_type, shape, self.seed_pair[0], seed2, position)
        values = philox_draw(self.op_type, shape, self.seed_pair[0], seed2, self.position)
        self.position.assign_add(tf.cast(tf.size(values), tf.int64) * PHILOX_BLOCKS_PER_ELEMENT)
        return values

    def get_config(self):
        return {**super().get_config(), "seed": self.seed_pair[0], "seed2": self.seed_pair[1],
                "op_name": self.op_name}


def draw_key(layer: TF1RandomOp, seed2=None) -> str:
    """The name a trace keeps a layer's draw under: the TF1 op's it
    reproduces; another time step's op (`seed2`: a static RNN's
    TF1DropoutWrapper) `<op name>#<seed2>`, which the map pairs with its
    TF1 name."""
    name = layer.op_name or layer.name
    return name if seed2 is None or seed2 == layer.seed_pair[1] else f"{name}#{seed2}"


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1Dropout(TF1RandomOp):
    """`tf.nn.dropout(x, keep_prob)` as a TF1 graph computed it, drawing the
    stream of the graph's `RandomUniform` op with attributes (seed, seed2)
    (TF1RandomOp: `position`, `op_name`).

    `call(inputs, keep_prob, training)`: `keep_prob` a float32 scalar
    tensor, or a Python number; `call(inputs, rate=r, training=...)` for
    the drop rate the script gave (`tf.layers.dropout(rate=0.3)`). An
    evaluation with keep_prob 1.0 in the script draws too: set `position`
    from the trace before each step."""

    def call(self, inputs, keep_prob=None, training=None, rate=None, position=None,
             seed2=None):
        """`position`, `seed2`: where and which op a time step draws
        (TF1DropoutWrapper)."""
        if not training or (keep_prob is None and rate is None):
            return inputs
        if rate is not None or isinstance(keep_prob, (int, float)):  # a number
            rate = 1.0 - keep_prob if rate is None else rate  # in Python's float64, as compat.v1
            scaled = inputs * tf.constant(1 / (1 - rate), inputs.dtype)  # dropout_v2: Mul
        else:                                    # a fed tensor (a placeholder in TF1)
            rate = 1 - tf.convert_to_tensor(keep_prob, inputs.dtype)  # Sub in float32
            scaled = inputs / (1 - rate)         # dropout_v2: RealDiv by (1 - rate)
        keep = self.draw(tf.shape(inputs), position, seed2) >= tf.cast(rate, inputs.dtype)
        return tf.where(keep, scaled, tf.zeros((), inputs.dtype))


@keras.saving.register_keras_serializable(package="tf1kit")
class TF1RandomNormal(TF1RandomOp):
    """`tf.random_normal(tf.shape(x), mean, stddev)` (or `truncated_normal`)
    as a TF1 graph drew it: `call(x)` gives the draw in x's shape, times
    stddev plus mean in float32, the ops TF1 built (noise a denoising
    autoencoder adds to its input)."""

    def __init__(self, seed: int, seed2: int, op_type: str = "RandomStandardNormal",
                 mean: float = 0.0, stddev: float = 1.0, op_name: str | None = None,
                 **kwargs):
        super().__init__(seed, seed2, op_name, **kwargs)
        self.op_type, self.mean, self.stddev = op_type, mean, stddev

    def call(self, inputs):
        drawn = self.draw(tf.shape(inputs))
        return tf.add(tf.multiply(drawn, tf.constant(self.stddev, drawn.dtype)),
                      tf.constant(self.mean, drawn.dtype))

    def get_config(self):
        return {**super().get_config(), "op_type": self.op_type, "mean": self.mean,
                "stddev": self.stddev}
