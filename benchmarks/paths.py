"""The four training paths, each timed on the same batches in the same order.

Each `time_*` function trains `warmup` steps, then `repeats` timed runs of
`steps` steps, and returns the steps per second of each timed run. The
batches are TF1's `next_batch` order (legacy.input_data.tf1_batch_indices), prepared
before timing, so every path does the same work.
"""

from __future__ import annotations

import time

import numpy as np


def _timed(run_steps, batches, warmup, steps, repeats):
    run_steps(batches[:warmup])
    rates = []
    for repeat in range(repeats):
        chunk = batches[warmup + repeat * steps: warmup + (repeat + 1) * steps]
        started = time.perf_counter()
        run_steps(chunk)
        rates.append(len(chunk) / (time.perf_counter() - started))
    return rates


def time_legacy(hyper, batches, warmup, steps, repeats, initial):
    """The original's loop: one Session.run([optimizer, cost], feed_dict) per batch."""
    import tensorflow as tf

    from legacy import autoencoder
    parts = autoencoder.build_graph(hyper, initial_weights=initial)
    with tf.compat.v1.Session(graph=parts.graph) as sess:
        sess.run(parts.init)

        def run_steps(chunk):
            for batch in chunk:
                sess.run([parts.optimizer, parts.cost], feed_dict={parts.X: batch})
        return _timed(run_steps, batches, warmup, steps, repeats)


def _modern(hyper, initial, exact):
    from modern import autoencoder, checkpoints, options
    choices = options.preset(exact)
    model = autoencoder.build_model(hyper, 0, choices)
    checkpoints.set_original_weights(model, initial)
    return model, autoencoder.make_optimizer(hyper, choices)


def time_modern_step(hyper, batches, warmup, steps, repeats, initial):
    """The modern exact tf.function step, called once per batch."""
    from modern import training
    model, optimizer = _modern(hyper, initial, exact=True)
    train_step = training.make_train_step(model, optimizer)

    def run_steps(chunk):
        for batch in chunk:
            float(train_step(batch, batch))  # fetch the loss, as the loop does
    return _timed(run_steps, batches, warmup, steps, repeats)


def time_modern_in_graph(hyper, batches, warmup, steps, repeats, initial, images, indices):
    """The modern exact path with the loop inside the graph: one call per
    timed run; the training set stays resident and batches are gathered in
    the graph by TF1's indices (bit-identical to the other paths)."""
    from modern import training
    model, optimizer = _modern(hyper, initial, exact=True)
    train_steps = training.make_multi_step(model, optimizer, images=images)

    def run_steps(chunk):
        train_steps(np.stack(chunk).astype(np.int32)).numpy()
    return _timed(run_steps, indices, warmup, steps, repeats)


def time_keras_fit(hyper, batches, warmup, steps, repeats, initial):
    """Keras model.fit on the idiomatic model, same batches, shuffle=False."""
    model, optimizer = _modern(hyper, initial, exact=False)
    model.compile(optimizer=optimizer, jit_compile=False)

    def run_steps(chunk):
        model.fit(np.concatenate(chunk), batch_size=hyper.batch_size, epochs=1,
                  shuffle=False, verbose=0)
    return _timed(run_steps, batches, warmup, steps, repeats)


PATHS = {"legacy": time_legacy, "modern_step": time_modern_step,
         "modern_in_graph": time_modern_in_graph, "keras_fit": time_keras_fit}


def flops_per_step(layer_sizes, batch_size) -> int:
    """Matmul FLOPs of one training step (2 per multiply-add).

    Forward: 2B * sum(in*out) over the 8 layers. Backward: the weight
    gradients cost the same again, and the input gradients too except for
    the first layer (nothing upstream needs it): 0.284 GFLOP at batch 256.
    """
    encoder = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    pairs = encoder + [(b, a) for a, b in reversed(encoder)]
    products = [a * b for a, b in pairs]
    return 2 * batch_size * (2 * sum(products) + sum(products[1:]))


def matmul_peak_gflops(size=1024, repeats=50) -> float:
    """Float32 matmul throughput of this process's TensorFlow: the best of
    `repeats` runs (a peak; a median let one noisy reading of 62 instead of
    ~100 GFLOP/s on this shared machine inflate every fraction of peak)."""
    import tensorflow as tf
    a = tf.random.stateless_normal([size, size], seed=[1, 2])
    b = tf.random.stateless_normal([size, size], seed=[3, 4])
    multiply = tf.function(lambda: tf.matmul(a, b))
    multiply().numpy()
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        multiply().numpy()
        rates.append(2 * size**3 / (time.perf_counter() - started) / 1e9)
    return float(np.max(rates))
