"""What the hardware could do, as two references for "fraction of peak".

1. The large-matmul peak: the best of many readings of one 2048x2048x2048
   float32 `tf.matmul`, taken in the benchmark's own process between its
   rounds (a single reading on this shared machine ranged from 62 to 194
   GFLOP/s; the best of many is stable).
2. The step's own matmuls: the eight layers' forward products, weight
   gradients and input gradients at the benchmark's batch size, all in one
   `tf.function`, alone. Small matrices never reach the large-matmul rate,
   so this is the more honest ceiling for this model: a training step
   cannot do its matmuls faster than they run with nothing else around.
"""

from __future__ import annotations

import time


def layer_pairs(layer_sizes) -> list:
    """(fan_in, fan_out) of the 8 dense layers: encoder, then mirrored decoder."""
    encoder = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    return encoder + [(b, a) for a, b in reversed(encoder)]


def flops_per_step(layer_sizes, batch_size) -> int:
    """Matmul FLOPs of one training step (2 per multiply-add).

    Forward: 2B * sum(in*out) over the 8 layers. Backward: the weight
    gradients cost the same again, and the input gradients too except for
    the first layer (nothing upstream needs it): 0.284 GFLOP at batch 256.
    """
    products = [a * b for a, b in layer_pairs(layer_sizes)]
    return 2 * batch_size * (2 * sum(products) + sum(products[1:]))


class Reference:
    """One reference computation; `reading()` times one run of it and
    returns GFLOP/s; `best` is the best reading so far; `per_round`: how
    many readings the benchmark takes after each round."""

    def __init__(self, name: str, flops: int, run, per_round: int):
        self.name, self.flops, self._run, self.per_round = name, flops, run, per_round
        self.readings: list[float] = []
        run()  # trace and warm up

    def reading(self) -> float:
        started = time.perf_counter()
        self._run()
        rate = self.flops / (time.perf_counter() - started) / 1e9
        self.readings.append(rate)
        return rate

    @property
    def best(self) -> float:
        return max(self.readings)


def large_matmul(size: int = 2048) -> Reference:
    """A size^3 float32 matmul (the "peak" of the issue tracker's numbers)."""
    import tensorflow as tf
    a = tf.random.stateless_normal([size, size], seed=[1, 2])
    b = tf.random.stateless_normal([size, size], seed=[3, 4])
    multiply = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)[:1, :1]))
    return Reference(f"matmul {size}^3", 2 * size**3, lambda: multiply().numpy(), per_round=3)


def own_matmuls(layer_sizes, batch_size: int) -> Reference:
    """The training step's own matmul shapes, forward and backward, alone."""
    import tensorflow as tf
    pairs = layer_pairs(layer_sizes)
    inputs = [tf.random.stateless_normal([batch_size, a], seed=[1, i]) for i, (a, _) in
              enumerate(pairs)]
    weights = [tf.random.stateless_normal([a, b], seed=[2, i]) for i, (a, b) in
               enumerate(pairs)]
    upstream = [tf.random.stateless_normal([batch_size, b], seed=[3, i]) for i, (_, b) in
                enumerate(pairs)]

    @tf.function
    def products():
        outputs = []
        for i in range(len(pairs)):
            outputs.append(tf.matmul(inputs[i], weights[i]))                        # forward
            outputs.append(tf.matmul(inputs[i], upstream[i], transpose_a=True))     # dW
            if i:
                outputs.append(tf.matmul(upstream[i], weights[i], transpose_b=True))  # dx
        return tf.add_n([tf.reduce_sum(output[:1, :1]) for output in outputs])

    return Reference(f"own matmuls at batch {batch_size}",
                     flops_per_step(layer_sizes, batch_size), lambda: products().numpy(),
                     per_round=30)  # 1-2 ms each: its best needs more readings
