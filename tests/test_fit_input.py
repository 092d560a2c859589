"""What modern.training.fit hands Keras's fit (modern/input_data.py
make_fit_dataset): the array's own batches, a seeded new order each epoch,
and tf.data's autotuning off (trap T18)."""

import numpy as np
import pytest

from modern import input_data

EXAMPLES, BATCH = 10, 4


def epochs(dataset, count):
    return [[batch.numpy() for batch in dataset] for _ in range(count)]


def images():
    return np.arange(EXAMPLES * 3, dtype=np.float32).reshape(EXAMPLES, 3)


def test_unshuffled_it_serves_the_arrays_batches_in_order_the_last_one_short():
    [batches] = epochs(input_data.make_fit_dataset(images(), BATCH, False, seed=0), 1)
    expected = [images()[start:start + BATCH] for start in range(0, EXAMPLES, BATCH)]
    assert [b.shape[0] for b in batches] == [4, 4, 2]
    for got, want in zip(batches, expected):
        np.testing.assert_array_equal(got, want)


def test_shuffled_every_epoch_serves_each_example_once_in_a_new_seeded_order():
    first = epochs(input_data.make_fit_dataset(images(), BATCH, True, seed=3), 3)
    again = epochs(input_data.make_fit_dataset(images(), BATCH, True, seed=3), 3)
    other = epochs(input_data.make_fit_dataset(images(), BATCH, True, seed=4), 3)
    orders = [np.concatenate(epoch)[:, 0] // 3 for epoch in first]
    for order in orders:
        assert sorted(order) == list(range(EXAMPLES))
    assert len({tuple(order) for order in orders}) == 3
    for got, want in zip(again, first):
        np.testing.assert_array_equal(np.concatenate(got), np.concatenate(want))
    assert not np.array_equal(np.concatenate(other[0]), np.concatenate(first[0]))


@pytest.mark.parametrize("shuffle", [False, True])
def test_autotuning_is_off_and_the_batch_count_known(shuffle):
    dataset = input_data.make_fit_dataset(images(), BATCH, shuffle, seed=0)
    assert dataset.options().autotune.enabled is False
    assert int(dataset.cardinality()) == 3
