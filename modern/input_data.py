"""Data for the modern side: the TF1 split as float32 arrays, and tf.data.

Mirrors `legacy/input_data.py`: same sources (through `common.sources`), the
same split (first `validation_size` training images are validation) and the
same pixel scaling, so both implementations train on identical arrays.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from common import sources

# tf.data is TensorFlow's: the functions that build pipelines import it, so
# that the arrays serve every Keras backend (modern/portable.py) without it.
if TYPE_CHECKING:
    import tensorflow as tf


@dataclasses.dataclass
class Arrays:
    """The float32 images (flattened to 784) and labels both sides train on."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def scale_pixels(images: np.ndarray) -> np.ndarray:
    """uint8 [N, 28, 28, 1] -> float32 [N, 784] in [0, 1].

    FAITHFUL DEVIATION FROM IDIOM: the idiomatic `x.astype("float32") / 255`
    differs from TF1's `x.astype(float32) * (1.0 / 255.0)` by 1 ulp on 126
    of the 256 pixel values; we keep TF1's arithmetic so both sides see the
    same numbers.
    """
    flat = images.reshape(images.shape[0], -1).astype(np.float32)
    return np.multiply(flat, 1.0 / 255.0).astype(np.float32)


def arrays_from(raw: dict, validation_size: int) -> Arrays:
    """Scale and split checked uint8 arrays (`common.sources.load_raw`) the
    TF1 way: the first `validation_size` training images are set aside."""
    return Arrays(train_images=scale_pixels(raw["train_images"][validation_size:]),
                  train_labels=raw["train_labels"][validation_size:],
                  test_images=scale_pixels(raw["test_images"]),
                  test_labels=raw["test_labels"])


def load(source: sources.DataSource, source_url: str = sources.DEFAULT_SOURCE_URL) -> Arrays:
    """Read a `--data` source and split it the TF1 way (validation dropped)."""
    return arrays_from(sources.load_raw(source, source_url), source.validation_size)


def make_index_dataset(num_examples: int, batch_size: int, seed: int) -> tf.data.Dataset:
    """`make_dataset`'s batch order as batches of example indices (the same
    seeded shuffle of the same count gives the same permutation; tested),
    for the in-graph loop that gathers its batches from a resident copy of
    the training set."""
    import tensorflow as tf
    dataset = tf.data.Dataset.range(num_examples)
    dataset = dataset.shuffle(num_examples, seed=seed, reshuffle_each_iteration=True)
    return dataset.repeat().batch(batch_size, drop_remainder=True)


def make_dataset(images: np.ndarray, batch_size: int, seed: int, variant=None,
                 noise_seed: int = 0) -> tf.data.Dataset:
    """An endless, seeded, shuffled stream of full (inputs, targets) batches.

    Shuffling before `repeat` reshuffles every pass (seeded, so reproducible),
    and batching after `repeat` lets a batch span two passes - the same
    property as TF1's `next_batch`, whose batches are always full. The order
    itself is tf.data's, not numpy's: compare.py feeds TF1's exact order
    through `train(..., batches=...)` instead. Inputs are the targets, except
    for the denoising variant, whose inputs are corrupted per step by
    `common.variants.corrupt`, keyed by (noise_seed, step).
    """
    import tensorflow as tf

    from modern.variants import corrupting_map
    dataset = tf.data.Dataset.from_tensor_slices(images)
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.repeat().batch(batch_size, drop_remainder=True)
    if variant is not None and variant.denoising:
        dataset = dataset.enumerate().map(corrupting_map(variant, noise_seed))
    else:
        dataset = dataset.map(lambda batch: (batch, batch))
    return dataset.prefetch(tf.data.AUTOTUNE)
