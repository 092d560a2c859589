"""Data for the modern side: the TF1 split as float32 arrays, and tf.data.

Mirrors `tf1kit/data/input_data.py`: same sources (through `common.sources`), the
same split (first `validation_size` training images are validation) and the
same pixel scaling, so both implementations train on identical arrays.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from common import sources
from tf1kit.data import mnist

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


def arrays_from(raw: dict, validation_size: int) -> Arrays:
    """Scale and split checked uint8 arrays (`common.sources.load_raw`) the
    TF1 way: the first `validation_size` training images are set aside."""
    return Arrays(train_images=mnist.scale_pixels(raw["train_images"][validation_size:]),
                  train_labels=raw["train_labels"][validation_size:],
                  test_images=mnist.scale_pixels(raw["test_images"]),
                  test_labels=raw["test_labels"])


def load(source: sources.DataSource, source_url: str = mnist.DEFAULT_SOURCE_URL) -> Arrays:
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


def make_fit_dataset(images: np.ndarray, batch_size: int, shuffle: bool,
                     seed: int) -> tf.data.Dataset:
    """What `modern.training.fit` hands `model.fit`: one pass of batches of
    `images` as inputs (the last batch may be smaller, as when fit is given
    the array), in a new seeded order each pass when `shuffle`, gathered
    from a resident copy. The order is one permutation per pass, cut into
    batches, as Keras's own pipeline for arrays does (a per-example
    `Dataset.shuffle` took twice its time).

    MIGRATION TRAP (T18): tf.data's autotuning is off. With it on (any
    pipeline's default, and the one Keras builds for arrays), deleting the
    finished epoch's iterator, which `fit` does when the next epoch starts,
    waits for the autotuning thread: about a third of the epochs then sat
    0.2-0.5 s idle (docs/speed.md). Nor is there a prefetch: gathering a
    batch takes a few percent of a step, and with no thread of its own the
    pipeline leaves the cores to the step (fit ran as fast on 2 cores).
    """
    import tensorflow as tf
    count = len(images)
    full = count // batch_size * batch_size
    resident = tf.constant(images)

    def permutation(pass_seed):
        indices = tf.range(count, dtype=tf.int64)
        if not shuffle:
            return indices
        return tf.random.experimental.stateless_shuffle(indices, tf.stack([pass_seed, 0]))

    def batches(order):
        cut = tf.data.Dataset.from_tensor_slices(tf.reshape(order[:full], [-1, batch_size]))
        return cut.concatenate(tf.data.Dataset.from_tensors(order[full:])) if full < count \
            else cut

    # One draw per pass: a new seed for each iteration of the dataset.
    passes = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    dataset = passes.map(permutation).flat_map(batches)
    # flat_map hides the count, which fit's progress and epochs want.
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(-(-count // batch_size)))
    dataset = dataset.map(lambda indices: tf.gather(resident, indices))
    options = tf.data.Options()
    options.autotune.enabled = False
    # As Keras's own pipeline for arrays: each worker of a multi-worker run
    # keeps its share of every batch.
    options.experimental_distribute.auto_shard_policy = \
        tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


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
