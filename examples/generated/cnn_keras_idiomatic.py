"""cnn.py in Keras 3, written by tf1-convert (idiomatic mode)
from the script's graph; each layer carries the script lines it replaces.

    python cnn_keras_idiomatic.py --data-dir DATA    # trains as cnn.py did

Its proof against the script's trace, with the trace and the map
tf1-convert wrote beside it: tf1-convert --prove cnn_keras_idiomatic.py --data-dir DATA

Idiomatic mode uses stock Keras throughout: it trains like the script
but not to the bit (MIGRATION.md lists what differs).
"""

import argparse
import gzip
import os

import keras
import numpy as np
import tensorflow as tf


BATCH_SIZE = 128  # the batches its training calls were fed
STEPS = 200  # cnn.py:18  num_steps = 200
KEEP_PROB = 0.75  # fed to keep_prob in every training call
VALIDATION_SIZE = 5000  # the training images read_data_sets kept for validation


def read_mnist(data_dir):
    """The training split cnn.py's read_data_sets served: images as
    784 floats in [0, 1], labels one-hot."""
    # cnn.py:12  mnist = input_data.read_data_sets("/tmp/data/", one_hot=True)
    with gzip.open(os.path.join(data_dir, "train-images-idx3-ubyte.gz")) as stream:
        images = np.frombuffer(stream.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(data_dir, "train-labels-idx1-ubyte.gz")) as stream:
        labels = np.frombuffer(stream.read(), np.uint8, offset=8)
    images, labels = images[VALIDATION_SIZE:], labels[VALIDATION_SIZE:]
    images = images.astype("float32") / 255.0
    return images, np.eye(10, dtype=np.float32)[labels]


class ConvNet(keras.Model):
    """The script's `conv_net`, layer for layer."""

    def __init__(self):
        super().__init__(name="conv_net")
        self.reshape = keras.layers.Reshape((28, 28, 1), name="reshape")
        self.wc1 = keras.layers.Conv2D(8, (5, 5), padding="same", activation="relu", name="wc1")
        self.max_pool = keras.layers.MaxPooling2D((2, 2), (2, 2), padding="same", name="max_pool")
        self.wc2 = keras.layers.Conv2D(16, (5, 5), padding="same", activation="relu", name="wc2")
        self.max_pool_1 = keras.layers.MaxPooling2D((2, 2), (2, 2), padding="same",
                                                    name="max_pool_1")
        self.flatten = keras.layers.Flatten(name="flatten")
        self.wd1 = keras.layers.Dense(128, activation="relu", name="wd1")
        self.dropout = keras.layers.Dropout(1 - KEEP_PROB, seed=11, name="dropout")
        self.out = keras.layers.Dense(10, name="out")

    def call(self, X, training=False):
        # cnn.py:52  x = tf.reshape(x, shape=[-1, 28, 28, 1])
        x = self.reshape(X)
        # cnn.py:55  conv1 = conv2d(x, weights['wc1'], biases['bc1'])  (conv2d: Conv2D, BiasAdd, Relu)
        conv1 = self.wc1(x)
        # cnn.py:57  conv1 = maxpool2d(conv1, k=2)  (maxpool2d: MaxPool)
        conv1 = self.max_pool(conv1)
        # cnn.py:60  conv2 = conv2d(conv1, weights['wc2'], biases['bc2'])  (conv2d: Conv2D, BiasAdd, Relu)
        conv2 = self.wc2(conv1)
        # cnn.py:62  conv2 = maxpool2d(conv2, k=2)  (maxpool2d: MaxPool)
        conv2 = self.max_pool_1(conv2)
        # cnn.py:66  fc1 = tf.reshape(conv2, [-1, weights['wd1'].get_shape().as_list()[0]])
        fc1 = self.flatten(conv2)
        # cnn.py:67  fc1 = tf.add(tf.matmul(fc1, weights['wd1']), biases['bd1'])
        # cnn.py:68  fc1 = tf.nn.relu(fc1)
        fc1 = self.wd1(fc1)
        # cnn.py:70  fc1 = tf.nn.dropout(fc1, dropout)
        fc1 = self.dropout(fc1, training=training)
        # cnn.py:73  out = tf.add(tf.matmul(fc1, weights['out']), biases['out'])
        out = self.out(fc1)
        return out


def loss_op(logits, Y):
    # cnn.py:100  loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=Y))
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=Y, logits=logits))


def make_optimizer():
    # cnn.py:102  optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate)
    return keras.optimizers.Adam(learning_rate=0.001, epsilon=1e-08)


def make_train_step(model, optimizer):
    """One training call of the script (its Session.run of the train op)."""

    @tf.function
    def train_step(X, Y):
        with tf.GradientTape() as tape:
            logits = model(X, training=True)
            loss = loss_op(logits, Y)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    return train_step


def feeds(images, labels, indices):
    """The training call's feed_dict for the examples `indices`."""
    return {"X": images[indices], "Y": labels[indices]}


def batches(examples, seed):
    """(epoch, indices) of each training batch, STEPS batches, shuffled anew
    every epoch."""
    rng = np.random.default_rng(seed)
    served, epoch = 0, 0
    while True:
        order = rng.permutation(examples)
        for start in range(0, examples - BATCH_SIZE + 1, BATCH_SIZE):
            if served == STEPS:
                return
            served += 1
            yield epoch, order[start:start + BATCH_SIZE]
        epoch += 1


def main():
    parser = argparse.ArgumentParser(description="cnn.py in Keras 3")
    parser.add_argument("--data-dir", required=True,
                        help="the MNIST folder (its four IDX .gz files)")
    parser.add_argument("--seed", type=int, default=0, help="the shuffle's seed")
    args = parser.parse_args()
    images, labels = read_mnist(args.data_dir)
    if len(images) < BATCH_SIZE:  # one line, not a loop that never trains
        raise SystemExit(f"error: {len(images)} training examples, fewer than one batch "
                         f"of {BATCH_SIZE} (read_data_sets keeps the first "
                         f"{VALIDATION_SIZE:,} for validation)")
    model = ConvNet()
    optimizer = make_optimizer()
    train_step = make_train_step(model, optimizer)
    last_epoch, loss = 0, None
    for epoch, indices in batches(len(images), args.seed):
        if epoch != last_epoch:
            print(f"Epoch: {last_epoch + 1:04d} loss={float(loss):.9f}")
            last_epoch = epoch
        loss = train_step(**feeds(images, labels, indices))
    print(f"Epoch: {last_epoch + 1:04d} loss={float(loss):.9f}")
    print("Optimization Finished!")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
