"""A Keras 3 rewrite of a TF1 script, checked against the script's trace:
the worked example of docs/your_own_model.md.

The original is tests/fixtures/tf1/mlp.py, a TF1-era MNIST multilayer
perceptron (placeholders, tf.random_normal, softmax cross-entropy,
AdamOptimizer(0.001), batch 100). Trace it, then run this with the trace:

    tf1-run --seed 0 --data-dir DATA --trace original.npz --max-session-runs 101 mlp.py
    python mlp_rewrite.py original.npz --data-dir DATA     # writes rewrite.npz
    tf1-trace-compare original.npz rewrite.npz

`--trap` makes the rewrite the way a migration often is, to see what the
comparison says: `stock-dense` (keras.layers.Dense: trap T4), `stock-adam`
(keras.optimizers.Adam: T5), `divide-255` (x / 255: T11), `own-order`
(its own shuffle instead of the script's batches).
"""

import argparse

import keras
import numpy as np
import tensorflow as tf

from tf1kit.data import mnist
from tf1kit.keras import AddBiasDense, TF1Adam
from tf1kit.keras.recorder import StepRecorder
from tf1kit.trace import tracefile

TRAPS = ("none", "stock-dense", "stock-adam", "divide-255", "own-order")
# The script's variables in the order it created them (its `weights` dict,
# then its `biases` dict): TF1 named them Variable, Variable_1, ...
ORIGINAL_NAMES = {("h1", "kernel"): "Variable", ("h2", "kernel"): "Variable_1",
                  ("out", "kernel"): "Variable_2", ("h1", "bias"): "Variable_3",
                  ("h2", "bias"): "Variable_4", ("out", "bias"): "Variable_5"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("original", help="the TF1 script's trace (tf1-run --trace)")
    parser.add_argument("--data-dir", required=True, help="the MNIST folder the script read")
    parser.add_argument("--out", default="rewrite.npz", help="the faithful rewrite's trace")
    parser.add_argument("--trap", choices=TRAPS, nargs="+", default=["none"],
                        help="rewrite with these traps instead, each to TRAP.npz")
    parser.add_argument("--trace-steps", default="1-3")
    args = parser.parse_args()
    recorded = tracefile.load(args.original)
    if not recorded.steps or recorded.batch_order("train") is None:
        raise SystemExit(f"{args.original}: the trace holds no training step with its "
                         "batches: trace the script while it trains (tf1-run --trace)")
    # The data as TF1's read_data_sets split it: the first 5,000 training
    # images (or as many as tf1-run --validation-size kept: the trace says)
    # are the validation set; labels one-hot.
    raw = mnist.read_idx_folder(args.data_dir)
    kept = recorded.manifest.get("validation_size")
    kept = 5000 if kept is None else kept
    images = raw["train_images"][kept:].reshape(-1, 784).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[raw["train_labels"][kept:]]
    for trap in args.trap:
        out = args.out if trap == "none" else f"{trap}.npz"
        steps, loss = rewrite(recorded, images, labels, trap, out, args.trace_steps)
        print(f"{trap}: trained {steps} steps, last loss {loss:.6f}; trace: {out}")


def rewrite(recorded, images, labels, trap: str, out: str, trace_steps: str):
    """Train the rewrite (with `trap`) on the script's batches from its
    starting weights, recording every step; returns (steps, last loss)."""
    if trap == "divide-255":
        x = images / 255            # MIGRATION TRAP T11: not TF1's arithmetic
    else:
        x = images * (1.0 / 255.0)  # TF1's DataSet: multiply by the reciprocal

    # The model: TF1's tf.add(tf.matmul(x, W), b), layer for layer.
    dense = keras.layers.Dense if trap == "stock-dense" else AddBiasDense
    model = keras.Sequential([keras.Input((784,)), dense(256, name="h1"),
                              dense(256, name="h2"), dense(10, name="out")], name="mlp")
    for (layer, part), name in ORIGINAL_NAMES.items():
        getattr(model.get_layer(layer), part).assign(recorded.variables[name])
    optimizer = keras.optimizers.Adam(0.001, epsilon=1e-8) if trap == "stock-adam" \
        else TF1Adam(0.001)

    @tf.function
    def train_step(inputs, targets):
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
                labels=targets, logits=logits))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    # The script's own batches, in its order, for the steps it trained (the
    # trace recorded which examples each next_batch served).
    order = recorded.batch_order("train")[:len(recorded.steps)]
    if trap == "own-order":
        rng = np.random.default_rng(0)
        order = np.stack([rng.choice(len(x), order.shape[1], replace=False) for _ in order])
    recorder = StepRecorder(model, optimizer, trace_steps=trace_steps)
    for indices in order:
        loss = train_step(x[indices], labels[indices])
        recorder.record(loss, x=x[indices], y=labels[indices])
    recorder.write(out)
    return len(order), float(loss)


if __name__ == "__main__":
    main()
