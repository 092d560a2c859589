"""Batches a script cut from keras.datasets' arrays itself, found in the
trace with the scaling that gives the fed float32 bit for bit
(tf1kit/data/keras_arrays.py)."""

import numpy as np
import pytest

from tf1kit.data import mnist
from tf1kit.data.keras_arrays import SCALINGS, KerasTrainSet, scaled

IMAGES = np.random.default_rng(0).integers(0, 256, (50, 28, 28, 1), dtype=np.uint8)


@pytest.mark.parametrize("fed,scaling", [
    (lambda x: x.reshape(-1, 784) / 255.0, "x / 255"),  # float64, cast by the feed
    (lambda x: x.reshape(-1, 784).astype("float32") / 255, "x / 255"),  # the same float32
    (lambda x: mnist.scale_pixels(x), "x.astype(float32) * (1 / 255)"),  # TF1's loader's
    (lambda x: x.reshape(-1, 28, 28, 1).astype("float32"), "x (not scaled)"),
    (lambda x: x.reshape(-1, 28, 28), "uint8"),
])
def test_a_fed_batch_is_found_with_the_scaling_that_gives_its_values(fed, scaling):
    train = KerasTrainSet(IMAGES, "keras.datasets.mnist")
    batch = [7, 3, 41, 3]  # a shuffled batch, an image twice
    arrays = fed(IMAGES)
    assert train.indices_of(arrays[batch]).tolist() == batch
    assert train.source["scaling"] == scaling
    assert train.source["shape"] == list(arrays.shape[1:])
    expected = np.asarray(arrays[batch])
    if scaling != "uint8":
        np.testing.assert_array_equal(scaled(IMAGES[batch], scaling, train.source["shape"]),
                                      expected.astype(np.float32))


def test_tf1s_reciprocal_and_a_division_are_told_apart():
    """T11: the two scalings differ on 126 of the 256 pixel values."""
    values = np.arange(256, dtype=np.uint8)
    divided, multiplied = (SCALINGS[name][0](values) for name in (
        "x / 255", "x.astype(float32) * (1 / 255)"))
    assert (divided != multiplied).sum() == 126


def test_another_scaling_later_or_an_unknown_image_is_not_a_batch():
    train = KerasTrainSet(IMAGES, "keras.datasets.mnist")
    assert train.indices_of(IMAGES[:4].reshape(-1, 784) / 255.0) is not None
    assert train.indices_of(mnist.scale_pixels(IMAGES[4:8])) is None  # not the same way
    other = IMAGES[:2].copy()
    other[0, 0, 0, 0] ^= 1
    assert train.indices_of(other.reshape(-1, 784) / 255.0) is None
    assert train.indices_of(np.full((2, 784), 0.3)) is None  # not pixels over 255


def test_a_fed_value_is_traced_as_its_placeholder_received_it():
    """TF1's feed converted uint8 images (or a float64 division) to the
    placeholder's float32: the trace holds that, as a rewrite feeds it."""
    import tensorflow as tf

    from tf1kit.run.session import _as_received
    with tf.Graph().as_default():
        images = tf.compat.v1.placeholder(tf.float32, [None, 784])
        digits = tf.compat.v1.placeholder(tf.int64, [None])
        handle = tf.compat.v1.placeholder(tf.string, [])
    pixels = IMAGES[:2].reshape(2, 784)
    received = _as_received(images, pixels)
    assert received.dtype == np.float32 and np.array_equal(received, pixels)
    assert _as_received(images, pixels / 255.0).dtype == np.float32
    assert _as_received(digits, np.array([3, 1], np.uint8)).dtype == np.int64
    assert _as_received(handle, b"iterator").dtype.kind == "S"  # as fed
    assert _as_received("x:0", pixels).dtype == np.uint8  # a name: no dtype to go by
