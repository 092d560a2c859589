"""TF1's MNIST loader, re-implemented: `read_data_sets`, `DataSet`.

A faithful copy of the behaviour of
`tensorflow/contrib/learn/python/learn/datasets/mnist.py` (r1.15), which
`tensorflow.examples.tutorials.mnist.input_data` re-exported and which no
TensorFlow >= 2.0 ships: same signature and defaults, the same split, the
same `* (1.0 / 255.0)` scaling (not bit-equal to `/ 255`), numpy's GLOBAL
RNG seeded through `get_seed`, and `next_batch`'s first-epoch shuffle and
wrap-around batch. Departures, each an addition, never a change of numbers:
- downloads are verified against the published SHA-256 and written
  atomically (TF1 wrote straight to the final name and checked nothing);
- a malformed file raises `DataError` (a ValueError) naming the file,
  where TF1 could fail in `reshape` or read garbage;
- `train_dir` may also be Keras's `mnist.npz`, split the TF1 way;
- with `log_batches(True)` (what `run_tf1 --trace` sets) each DataSet
  also keeps which examples every `next_batch` served (`served`), and the
  files `read_data_sets` read are listed in `files_read`: a trace then
  holds the batch order and the data's SHA-256. The permutations, and so
  the RNG draws, are unchanged.
"""

from __future__ import annotations

import collections
import os

import numpy
import tensorflow as tf

from tf1kit.data import mnist
from tf1kit.data.rows import RowIndex
from tf1kit.errors import DataError

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])

DEFAULT_SOURCE_URL = mnist.DEFAULT_SOURCE_URL
VALIDATION_SIZE = mnist.VALIDATION_SIZE
# DEPARTURE (bookkeeping only): see the module docstring.
_LOGGING = {"batches": False, "data_dir": None, "validation_size": None}
split = {}  # the validation_size read_data_sets last used: {"validation_size": N}
files_read = []  # every data file read_data_sets read, in order
_logged = []     # the DataSets that record what they serve


def log_batches(enabled: bool) -> None:
    """Whether DataSets made from now on record the examples they serve."""
    _LOGGING["batches"] = enabled


def served_by_role() -> list:
    """The logging DataSets that read_data_sets named (train, validation, test)."""
    return [data_set for data_set in _logged if data_set.role and data_set.served]


def redirect_data(folder: str | None, validation_size: int | None = None) -> None:
    """DEPARTURE, for `run_tf1 --data-dir` and `--validation-size`:
    read_data_sets reads `folder` whatever folder the script names, and
    keeps `validation_size` images aside whatever size the script asks."""
    _LOGGING["data_dir"] = folder
    _LOGGING["validation_size"] = validation_size


def log_fed_batch(fed: list) -> int | None:
    """DEPARTURE, for traces: a training step whose images the script cut
    from `mnist.train.images` itself (numpy slices, an index choice, a
    tf.data pipeline of them; no `next_batch` since the last step) is
    logged as the examples it fed,
    found row by row, as if `next_batch` had served them. `fed`: the arrays
    the step fed. Returns the position, among the batches served, of the
    step's batch (the last one `next_batch` served since the previous step,
    or the one found), None where the step took no new batch (a GAN's
    generator fed noise only)."""
    train = _train()
    if train is None or train.served is None:
        return None
    if len(train.served) > train.steps_logged:  # next_batch served it
        train.steps_logged = len(train.served)
        return len(train.served) - 1
    for array in fed:
        indices = train.indices_of(numpy.asarray(array))
        if indices is not None:
            train.served.append(indices)
            break
    new = len(train.served) > train.steps_logged
    train.steps_logged = len(train.served)
    return len(train.served) - 1 if new else None


def log_keras_train(images, loader: str) -> None:
    """DEPARTURE, for traces: keras.datasets' training images (uint8), in
    which the batches a script cuts from them are found (keras_arrays)."""
    if _LOGGING["batches"]:
        from tf1kit.data import keras_arrays
        _logged.append(keras_arrays.KerasTrainSet(images, loader))


def train_source() -> dict | None:
    """Where the traced training batches came from when not read_data_sets:
    {"loader", "scaling", "shape"} of keras.datasets' arrays, else None."""
    return getattr(_train(), "source", None)


def _train():
    """The logging data set of the training examples (read_data_sets' or
    keras.datasets'), or None."""
    return next((data_set for data_set in _logged if data_set.role == "train"), None)


def redirected_folder() -> str | None:
    """The folder `run_tf1 --data-dir` named, or None."""
    return _LOGGING["data_dir"]


def dense_to_one_hot(labels_dense, num_classes):
    """Convert class labels from scalars to float64 one-hot vectors (as TF1)."""
    num_labels = labels_dense.shape[0]
    index_offset = numpy.arange(num_labels) * num_classes
    labels_one_hot = numpy.zeros((num_labels, num_classes))
    labels_one_hot.flat[index_offset + labels_dense.ravel()] = 1
    return labels_one_hot


class DataSet:
    """TF1's in-memory dataset with `next_batch`.

    `images` are uint8 [N, rows, cols, 1]; with `reshape` they become
    [N, rows*cols] and with dtype float32 they are scaled by `1.0 / 255.0`.
    Batches come from numpy's global RNG, which the constructor seeds: with
    `seed=None` and no graph seed that is OS entropy (a new order every run),
    exactly as in TF1.
    """

    def __init__(self, images, labels, fake_data=False, one_hot=False,
                 dtype=tf.float32, reshape=True, seed=None):
        seed1, seed2 = tf.compat.v1.get_seed(seed)
        # If op level seed is not set, use whatever graph level seed is returned
        numpy.random.seed(seed1 if seed is None else seed2)
        dtype = tf.as_dtype(dtype).base_dtype
        if dtype not in (tf.uint8, tf.float32):
            raise TypeError(f"Invalid image dtype {dtype!r}, expected uint8 or float32")
        if fake_data:
            self._num_examples = 10000
            self.one_hot = one_hot
        else:
            assert images.shape[0] == labels.shape[0], (
                f"images.shape: {images.shape} labels.shape: {labels.shape}")
            self._num_examples = images.shape[0]
            # [num examples, rows, columns, depth] -> [num examples, rows*columns]
            if reshape:
                assert images.shape[3] == 1
                images = images.reshape(images.shape[0], images.shape[1] * images.shape[2])
            if dtype == tf.float32:
                # Convert from [0, 255] -> [0.0, 1.0] by multiplying with the
                # float64 reciprocal, then float32: TF1's exact arithmetic.
                images = images.astype(numpy.float32)
                images = numpy.multiply(images, 1.0 / 255.0)
        self._images = images
        self._labels = labels
        self._epochs_completed = 0
        self._index_in_epoch = 0
        # DEPARTURE: which original example each row now is, and each batch's.
        self.served = [] if _LOGGING["batches"] else None
        self._order = numpy.arange(self._num_examples) if self.served is not None else None
        self.role = None  # "train", "validation" or "test", from read_data_sets
        self.steps_logged, self._rows = 0, RowIndex(self._images)  # for log_fed_batch
        if self.served is not None:
            _logged.append(self)

    def indices_of(self, rows) -> numpy.ndarray | None:
        """The examples (original indices) whose images are `rows`, each
        equal bit for bit (in any shape of as many pixels: a script that
        reshaped the images to [28, 28, 1] before slicing), or None where
        one is not found."""
        if rows.ndim < 2 or not len(rows) or rows[0].size != self._images[0].size or \
                rows.dtype != self._images.dtype:
            return None
        found = self._rows.positions(rows.reshape(len(rows), *self._images.shape[1:]))
        return None if found is None else self._order[numpy.asarray(found)]

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return self._num_examples

    @property
    def epochs_completed(self):
        return self._epochs_completed

    def next_batch(self, batch_size, fake_data=False, shuffle=True):
        """Return the next `batch_size` examples from this data set.

        The first call shuffles (numpy's global RNG). A batch that runs past
        the end takes the rest of this epoch, reshuffles, and fills up from
        the start of the next one, so every batch has `batch_size` rows.
        """
        if fake_data:
            fake_image = [1] * 784
            fake_label = [1] + [0] * 9 if self.one_hot else 0
            return ([fake_image for _ in range(batch_size)],
                    [fake_label for _ in range(batch_size)])
        start = self._index_in_epoch
        # Shuffle for the first epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            perm0 = numpy.arange(self._num_examples)
            numpy.random.shuffle(perm0)
            self._images = self.images[perm0]
            self._labels = self.labels[perm0]
            if self._order is not None:
                self._order = self._order[perm0]
        # Go to the next epoch
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            rest_num_examples = self._num_examples - start
            images_rest_part = self._images[start:self._num_examples]
            labels_rest_part = self._labels[start:self._num_examples]
            order_rest_part = None if self._order is None else \
                self._order[start:self._num_examples]
            if shuffle:
                perm = numpy.arange(self._num_examples)
                numpy.random.shuffle(perm)
                self._images = self.images[perm]
                self._labels = self.labels[perm]
                if self._order is not None:
                    self._order = self._order[perm]
            start = 0
            self._index_in_epoch = batch_size - rest_num_examples
            end = self._index_in_epoch
            images_new_part = self._images[start:end]
            labels_new_part = self._labels[start:end]
            if self.served is not None:
                self.served.append(numpy.concatenate((order_rest_part, self._order[start:end])))
            return (numpy.concatenate((images_rest_part, images_new_part), axis=0),
                    numpy.concatenate((labels_rest_part, labels_new_part), axis=0))
        self._index_in_epoch += batch_size
        end = self._index_in_epoch
        if self.served is not None:
            self.served.append(self._order[start:end])
        return self._images[start:end], self._labels[start:end]


# Where else a script's user can get the files, said when a download fails:
# under tf1-run, its --data-dir (tf1kit/run/cli.py).
MISSING_HINT = "or give run_tf1 --data-dir DIR, a folder that has them"


def maybe_download(filename, work_directory, source_url, expected_sha256=None):
    """Return the path of `filename` in `work_directory`, downloading it first
    from `source_url` (the full URL) if it is not there."""
    filepath = os.path.join(work_directory, filename)
    if mnist.fetch_if_missing(work_directory, filename, source_url, expected_sha256,
                              MISSING_HINT):
        print("Successfully downloaded", filename, os.path.getsize(filepath), "bytes.")
    return filepath


def _read_arrays(train_dir, source_url, checksums):
    if str(train_dir).endswith(".npz") and os.path.isfile(train_dir):
        print("Extracting", train_dir)
        files_read.append(train_dir)
        return mnist.read_keras_npz(train_dir)
    for filename in mnist.IDX_FILES:
        expected = checksums.get(filename) if checksums else None
        maybe_download(filename, train_dir, source_url + filename, expected)
        print("Extracting", os.path.join(train_dir, filename))
        files_read.append(os.path.join(train_dir, filename))
    return mnist.read_idx_folder(train_dir)


def read_data_sets(train_dir, fake_data=False, one_hot=False, dtype=tf.float32,
                   reshape=True, validation_size=VALIDATION_SIZE, seed=None,
                   source_url=DEFAULT_SOURCE_URL, *, checksums=mnist.MNIST_SHA256):
    """Load MNIST the way TF1 did: `Datasets(train, validation, test)`.

    `train_dir` holds the four IDX .gz files (missing ones are downloaded
    from `source_url`) or is a path to Keras's `mnist.npz`. The first
    `validation_size` training images become the validation set.
    `checksums` (keyword-only, not in TF1) maps file names to the SHA-256 a
    download must have; pass None to accept any file (e.g. another mirror of
    a different dataset with MNIST's file names).
    """
    if fake_data:
        def fake():
            return DataSet([], [], fake_data=True, one_hot=one_hot, dtype=dtype, seed=seed)
        return Datasets(train=fake(), validation=fake(), test=fake())

    if not source_url:  # empty string check, as TF1
        source_url = DEFAULT_SOURCE_URL
    if _LOGGING["data_dir"] is not None and os.fspath(train_dir) != _LOGGING["data_dir"]:
        print(f"[run_tf1] --data-dir: reading {_LOGGING['data_dir']} instead of {train_dir}")
        train_dir = _LOGGING["data_dir"]
    arrays = _read_arrays(os.fspath(train_dir), source_url, checksums)
    if _LOGGING["validation_size"] is not None and \
            _LOGGING["validation_size"] != validation_size:
        print(f"[run_tf1] --validation-size: keeping {_LOGGING['validation_size']:,} training "
              f"images for validation instead of {validation_size:,}")
        validation_size = _LOGGING["validation_size"]
    if _LOGGING["data_dir"] is not None and not 0 <= validation_size <= \
            len(arrays["train_images"]):  # run_tf1's folder: one line, naming the way out
        raise DataError(f"{train_dir} holds {len(arrays['train_images']):,} training images, "
                        f"fewer than the {validation_size:,} read_data_sets keeps for "
                        "validation: run_tf1 --validation-size N keeps fewer (the bundled "
                        "sample: 1000), or give a folder with the full set")
    split["validation_size"] = validation_size
    return data_sets_from_arrays(arrays, one_hot=one_hot, dtype=dtype, reshape=reshape,
                                 validation_size=validation_size, seed=seed)


def data_sets_from_arrays(arrays, one_hot=False, dtype=tf.float32, reshape=True,
                          validation_size=VALIDATION_SIZE, seed=None):
    """The second half of `read_data_sets`: `Datasets(train, validation,
    test)` from the four uint8 arrays already read and checked
    (`[N, 28, 28, 1]` images, `[N]` labels, as tf1kit.data.mnist reads them).

    DEPARTURE: TF1 had one function that read and split; entry points that
    check the data before TensorFlow loads pass the arrays they read here,
    so each file is read once. Split, scaling and seeding are TF1's.
    """
    train_images, train_labels = arrays["train_images"], arrays["train_labels"]
    test_images, test_labels = arrays["test_images"], arrays["test_labels"]
    if one_hot:
        train_labels = dense_to_one_hot(train_labels, mnist.NUM_CLASSES)
        test_labels = dense_to_one_hot(test_labels, mnist.NUM_CLASSES)

    if not 0 <= validation_size <= len(train_images):
        raise ValueError(
            "Validation size should be between 0 and {}. Received: {}.".format(
                len(train_images), validation_size))

    validation_images = train_images[:validation_size]
    validation_labels = train_labels[:validation_size]
    train_images = train_images[validation_size:]
    train_labels = train_labels[validation_size:]

    options = dict(dtype=dtype, reshape=reshape, seed=seed)
    train = DataSet(train_images, train_labels, **options)
    validation = DataSet(validation_images, validation_labels, **options)
    test = DataSet(test_images, test_labels, **options)
    train.role, validation.role, test.role = "train", "validation", "test"
    return Datasets(train=train, validation=validation, test=test)


def tf1_batch_indices(num_examples, batch_size, steps, seed):
    """The example indices of each of the `steps` batches that
    a TF1 loop seeded with `seed` draws: `next_batch` run on
    a DataSet whose "images" are the example indices, with numpy's global
    RNG seeded as that loop seeds it. Not in TF1: lets another
    implementation (a Keras rewrite) train on the very same batches.
    """
    identities = numpy.arange(num_examples).reshape(num_examples, 1, 1, 1)
    dataset = DataSet(identities, numpy.zeros(num_examples), dtype=tf.uint8, seed=seed)
    numpy.random.seed(seed)
    return [dataset.next_batch(batch_size)[0][:, 0] for _ in range(steps)]


__all__ = ["DataSet", "DataError", "Datasets", "DEFAULT_SOURCE_URL", "data_sets_from_arrays",
           "dense_to_one_hot", "maybe_download", "read_data_sets", "tf1_batch_indices"]
