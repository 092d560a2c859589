"""tf1kit.data.input_data against the TF1 algorithm, worked out by hand."""

import numpy as np
import pytest
import tensorflow as tf

from common import sources
from tf1kit.data import input_data
from tests.helpers import write_synthetic_idx


def identified_images(n):
    """uint8 images [n, 1, 1, 1] whose single pixel is the example's index."""
    return np.arange(n, dtype=np.uint8).reshape(n, 1, 1, 1)


def make_dataset(n, seed, **kwargs):
    return input_data.DataSet(identified_images(n), np.arange(n), dtype=tf.uint8,
                              seed=seed, **kwargs)


def ids(batch_images):
    return batch_images.reshape(-1).astype(int).tolist()


def test_first_epoch_order_is_randomstate_permutation():
    dataset = make_dataset(50, seed=7)
    images, labels = dataset.next_batch(50)
    expected = np.random.RandomState(7).permutation(50)
    assert ids(images) == expected.tolist()
    assert labels.tolist() == expected.tolist()


def test_wrap_around_batch_takes_rest_then_start_of_reshuffled_order():
    dataset = make_dataset(10, seed=3)
    rng = np.random.RandomState(3)
    first = rng.permutation(10)
    # The second shuffle permutes the already-shuffled arrays.
    second = first[rng.permutation(10)]
    assert ids(dataset.next_batch(4)[0]) == first[0:4].tolist()
    assert ids(dataset.next_batch(4)[0]) == first[4:8].tolist()
    assert dataset.epochs_completed == 0
    wrapped = ids(dataset.next_batch(4)[0])
    assert wrapped == first[8:10].tolist() + second[0:2].tolist()
    assert dataset.epochs_completed == 1
    assert ids(dataset.next_batch(4)[0]) == second[2:6].tolist()


def test_shuffle_false_keeps_file_order_and_wraps():
    dataset = make_dataset(5, seed=1)
    assert ids(dataset.next_batch(3, shuffle=False)[0]) == [0, 1, 2]
    assert ids(dataset.next_batch(3, shuffle=False)[0]) == [3, 4, 0]
    assert dataset.epochs_completed == 1


def test_fake_data_batches():
    datasets = input_data.read_data_sets("unused", fake_data=True, one_hot=True)
    assert datasets.train.num_examples == 10000
    images, labels = datasets.train.next_batch(3, fake_data=True)
    assert images == [[1] * 784] * 3
    assert labels == [[1] + [0] * 9] * 3
    plain = input_data.read_data_sets("unused", fake_data=True)
    assert plain.test.next_batch(2, fake_data=True)[1] == [0, 0]


def test_float32_scaling_is_bit_equal_to_tf1_multiply_by_reciprocal():
    pixels = np.arange(256, dtype=np.uint8).reshape(256, 1, 1, 1)
    dataset = input_data.DataSet(pixels, np.zeros(256), seed=0)
    expected = pixels.reshape(256, 1).astype(np.float32) * (1.0 / 255.0)
    assert dataset.images.dtype == np.float32
    assert dataset.images.tobytes() == expected.astype(np.float32).tobytes()
    # And it is NOT x / 255 (MIGRATION.md trap T11: 126 values differ by 1 ulp).
    divided = pixels.reshape(256, 1).astype(np.float32) / np.float32(255)
    assert np.count_nonzero(dataset.images != divided) == 126


def test_uint8_dtype_keeps_raw_pixels_and_other_dtypes_raise():
    pixels = np.full((2, 28, 28, 1), 200, dtype=np.uint8)
    dataset = input_data.DataSet(pixels, np.zeros(2), dtype=tf.uint8, seed=0)
    assert dataset.images.dtype == np.uint8 and dataset.images.shape == (2, 784)
    with pytest.raises(TypeError, match="expected uint8 or float32"):
        input_data.DataSet(pixels, np.zeros(2), dtype=tf.int32, seed=0)


def test_reshape_false_keeps_four_dimensions():
    pixels = np.zeros((2, 28, 28, 1), dtype=np.uint8)
    dataset = input_data.DataSet(pixels, np.zeros(2), reshape=False, seed=0)
    assert dataset.images.shape == (2, 28, 28, 1)


def test_split_sizes_and_one_hot(tmp_path):
    arrays = write_synthetic_idx(tmp_path, n_train=30, n_test=7)
    datasets = input_data.read_data_sets(str(tmp_path), one_hot=True, validation_size=12)
    assert datasets.train.num_examples == 18
    assert datasets.validation.num_examples == 12
    assert datasets.test.num_examples == 7
    # validation = the first images of the file, train = the rest.
    np.testing.assert_array_equal(
        datasets.validation.images,
        arrays["train_images"][:12].reshape(12, 784).astype(np.float32) * (1.0 / 255.0))
    assert datasets.train.labels.dtype == np.float64
    assert datasets.train.labels.shape == (18, 10)
    np.testing.assert_array_equal(datasets.train.labels.argmax(1), arrays["train_labels"][12:])


@pytest.mark.parametrize("validation_size", [-1, 31])
def test_bad_validation_size_raises_tf1_value_error(tmp_path, validation_size):
    write_synthetic_idx(tmp_path, n_train=30, n_test=7)
    with pytest.raises(ValueError, match=f"Validation size should be between 0 and 30. "
                                         f"Received: {validation_size}."):
        input_data.read_data_sets(str(tmp_path), validation_size=validation_size)


def test_read_data_sets_seed_gives_the_documented_first_epoch(tmp_path):
    arrays = write_synthetic_idx(tmp_path, n_train=40, n_test=5)
    datasets = input_data.read_data_sets(str(tmp_path), validation_size=0, seed=11)
    _, labels = datasets.train.next_batch(40)
    order = np.random.RandomState(11).permutation(40)
    np.testing.assert_array_equal(labels, arrays["train_labels"][order])


def test_keras_npz_is_split_the_tf1_way(tmp_path):
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (20, 28, 28), dtype=np.uint8)
    y_train = rng.randint(0, 10, 20).astype(np.uint8)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_train[:4], y_test=y_train[:4])
    datasets = input_data.read_data_sets(str(path), validation_size=5)
    assert (datasets.train.num_examples, datasets.validation.num_examples) == (15, 5)
    expected = x_train[5:].reshape(15, 784).astype(np.float32) * (1.0 / 255.0)
    assert datasets.train.images.tobytes() == expected.astype(np.float32).tobytes()


def test_bundled_sample_loads_with_no_validation_split():
    datasets = input_data.read_data_sets(sources.SAMPLE_DIR, validation_size=0)
    assert (datasets.train.num_examples, datasets.test.num_examples) == (4000, 1000)
    assert datasets.train.images.shape == (4000, 784)


def test_batches_a_script_slices_itself_are_found_row_by_row():
    """tf1-run's trace of a script that feeds `mnist.train.images[a:b]`
    (no next_batch): the examples are found in the training set."""
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(40, 28, 28, 1)).astype(np.uint8)
    images[7] = images[3]  # a duplicate image: the slice's neighbour is chosen
    labels = rng.randint(0, 10, size=40).astype(np.uint8)
    input_data.log_batches(True)
    try:
        data = input_data.data_sets_from_arrays(
            {"train_images": images, "train_labels": labels, "test_images": images[:5],
             "test_labels": labels[:5]}, validation_size=10)
    finally:
        input_data.log_batches(False)
    train = data.train
    np.testing.assert_array_equal(train.indices_of(train.images[4:9]), np.arange(4, 9))
    np.testing.assert_array_equal(train.indices_of(train.images[[20, 2]]), [20, 2])
    assert train.indices_of(train.images[4:9] + 1e-3) is None  # not the data's rows
    assert train.indices_of(train.images[0]) is None  # not a batch
    reshaped = train.images.reshape(-1, 28, 28, 1)  # as a script reshaped them to slice
    np.testing.assert_array_equal(train.indices_of(reshaped[4:9]), np.arange(4, 9))
    assert train.indices_of(reshaped[4:9, :14]) is None  # not whole images
