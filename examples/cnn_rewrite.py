"""A Keras 3 rewrite of a TF1 convolutional network with dropout, checked
against the script's trace: the second worked example of
docs/your_own_model.md.

The original is tests/fixtures/tf1/cnn.py (raw variables, conv2d + bias_add
+ relu, max_pool, two dense layers, dropout through a keep_prob placeholder,
softmax cross-entropy, AdamOptimizer(0.001), batch 128, an evaluation with
keep_prob 1.0 every 10 steps). Trace it, then run this with the trace:

    tf1-run --seed 0 --data-dir DATA --trace original.npz --max-session-runs 112 cnn.py
    python cnn_rewrite.py original.npz --data-dir DATA     # writes rewrite.npz
    tf1-trace-compare original.npz rewrite.npz

`--trap` makes the rewrite the way a migration often is: `stock-dropout`
(keras.layers.Dropout: Keras's own random stream), `constant-keep-prob`
(the keep probability as a Python number inside the step), `stock-dense`
(keras.layers.Dense: trap T4), `stock-adam` (keras.optimizers.Adam: T5),
`divide-255` (x / 255: T11), `own-order` (its own shuffle), `stock-conv`
(keras.layers.Conv2D: its bias gradient ungated, which oneDNN fuses into
the kernel's: T23; this CNN's 8 and 16 filters happened to give the same
bits, 32 and 64 did not).
"""

import argparse

import keras
import numpy as np
import tensorflow as tf

from tf1kit.data import mnist
from tf1kit.keras import AddBiasDense, BiasAddConv2D, TF1Adam, TF1Dropout
from tf1kit.keras.recorder import StepRecorder
from tf1kit.trace import tracefile

TRAPS = ("none", "stock-dropout", "constant-keep-prob", "stock-dense", "stock-adam",
         "divide-255", "own-order", "stock-conv")
# The script's variables in the order it created them (its `weights` dict,
# then its `biases` dict): TF1 named them Variable, Variable_1, ...
ORIGINAL_NAMES = {("conv1", "kernel"): "Variable", ("conv2", "kernel"): "Variable_1",
                  ("fc1", "kernel"): "Variable_2", ("out", "kernel"): "Variable_3",
                  ("conv1", "bias"): "Variable_4", ("conv2", "bias"): "Variable_5",
                  ("fc1", "bias"): "Variable_6", ("out", "bias"): "Variable_7"}
DROPOUT_OP = "dropout/random_uniform/RandomUniform"  # cnn.py:70, tf.nn.dropout(fc1, dropout)
KEEP_PROB = 0.75  # the script's `dropout`, fed to keep_prob in every training call


class ConvNet(keras.Model):
    """The script's conv_net, layer for layer."""

    def __init__(self, dropout_seeds, trap="none"):
        super().__init__(name="cnn")
        dense = keras.layers.Dense if trap == "stock-dense" else AddBiasDense
        self.image = keras.layers.Reshape((28, 28, 1), name="image")
        conv = keras.layers.Conv2D if trap == "stock-conv" else BiasAddConv2D
        self.conv1 = conv(8, 5, padding="same", activation="relu", name="conv1")
        self.pool1 = keras.layers.MaxPooling2D(2, 2, padding="same", name="pool1")
        self.conv2 = conv(16, 5, padding="same", activation="relu", name="conv2")
        self.pool2 = keras.layers.MaxPooling2D(2, 2, padding="same", name="pool2")
        self.flatten = keras.layers.Flatten(name="flatten")
        self.fc1 = dense(128, activation="relu", name="fc1")
        self.stock_dropout = trap == "stock-dropout"
        self.dropout = keras.layers.Dropout(1 - KEEP_PROB, seed=0, name="dropout") \
            if self.stock_dropout else TF1Dropout(*dropout_seeds, op_name=DROPOUT_OP,
                                                  name="dropout")
        self.out = dense(10, name="out")

    def call(self, x, keep_prob=None, training=False):
        x = self.pool1(self.conv1(self.image(x)))
        x = self.flatten(self.pool2(self.conv2(x)))
        x = self.fc1(x)
        x = self.dropout(x, training=training) if self.stock_dropout else \
            self.dropout(x, keep_prob=keep_prob, training=training)
        return self.out(x)


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
    """Train the rewrite (with `trap`) on the script's batches, from its
    starting weights and with its dropout draws, recording every step;
    returns (steps, last loss)."""
    if trap == "divide-255":
        x = images / 255            # MIGRATION TRAP T11: not TF1's arithmetic
    else:
        x = images * (1.0 / 255.0)  # TF1's DataSet: multiply by the reciprocal
    dropout_op = recorded.random_ops[DROPOUT_OP]
    model = ConvNet((dropout_op["seed"], dropout_op["seed2"]), trap)
    model(x[:1])  # build
    for (layer, part), name in ORIGINAL_NAMES.items():
        getattr(getattr(model, layer), part).assign(recorded.variables[name])
    optimizer = keras.optimizers.Adam(0.001, epsilon=1e-8) if trap == "stock-adam" \
        else TF1Adam(0.001)

    @tf.function
    def train_step(inputs, targets, keep_prob):
        with tf.GradientTape() as tape:
            logits = model(inputs, keep_prob=keep_prob, training=True)
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
                labels=targets, logits=logits))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    # The keep probability reaches the step as a tensor, as the script fed
    # it; a Python number there is the constant-keep-prob trap.
    keep_prob = KEEP_PROB if trap == "constant-keep-prob" else tf.constant(KEEP_PROB)
    order = recorded.batch_order("train")[:len(recorded.steps)]
    if trap == "own-order":
        rng = np.random.default_rng(0)
        order = np.stack([rng.choice(len(x), order.shape[1], replace=False) for _ in order])
    recorder = StepRecorder(model, optimizer, trace_steps=trace_steps)
    for step, indices in enumerate(order, start=1):
        if not model.stock_dropout:  # where TF1's stream stood (its evaluations drew too)
            model.dropout.position.assign(recorded.random_position(DROPOUT_OP, step))
        loss = train_step(x[indices], labels[indices], keep_prob)
        recorder.record(loss, x=x[indices], y=labels[indices],
                        keep_prob=np.float32(KEEP_PROB))
    recorder.write(out)
    return len(order), float(loss)


if __name__ == "__main__":
    main()
