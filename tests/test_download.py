"""Downloading missing IDX files, against a local HTTP server on 127.0.0.1."""

import functools
import http.server
import os
import socket
import threading

import pytest

from tf1kit.data import mnist
from tf1kit.errors import DataError
from tf1kit.data import input_data
from tests.helpers import write_synthetic_idx


@pytest.fixture
def served_folder(tmp_path):
    """Synthetic IDX files served over HTTP; yields (url, checksums)."""
    served = tmp_path / "served"
    write_synthetic_idx(served, n_train=12, n_test=3)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    checksums = {name: mnist.sha256_of(served / name) for name in mnist.IDX_FILES}
    yield f"http://127.0.0.1:{server.server_address[1]}/", checksums
    server.shutdown()
    server.server_close()


def test_download_with_matching_checksums_is_accepted(tmp_path, served_folder):
    url, checksums = served_folder
    target = tmp_path / "MNIST_data"
    datasets = input_data.read_data_sets(str(target), validation_size=2, source_url=url,
                                         checksums=checksums)
    assert datasets.train.num_examples == 10
    assert sorted(os.listdir(target)) == sorted(mnist.IDX_FILES)
    umask = os.umask(0)
    os.umask(umask)
    for name in mnist.IDX_FILES:  # readable like any download, not tempfile's 0600
        assert (target / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_checksum_mismatch_is_rejected_and_leaves_nothing(tmp_path, served_folder):
    url, checksums = served_folder
    wrong = dict(checksums, **{mnist.TRAIN_IMAGES: "0" * 64})
    target = tmp_path / "MNIST_data"
    with pytest.raises(DataError, match=r"SHA-256 is [0-9a-f]{64}, expected 0{64}; the file was discarded"):
        input_data.read_data_sets(str(target), source_url=url, checksums=wrong)
    assert not target.exists()  # the folder the download created is gone too


def test_published_mnist_checksums_reject_other_files(tmp_path, served_folder):
    url, _ = served_folder
    target = tmp_path / "MNIST_data"
    with pytest.raises(DataError, match="expected 440fcabf"):
        input_data.read_data_sets(str(target), source_url=url)  # default: MNIST's sums
    assert not target.exists()


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_no_network_gives_one_clear_line(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/"
    target = tmp_path / "MNIST_data"
    with pytest.raises(DataError) as caught:
        input_data.read_data_sets(str(target), source_url=url)
    message = str(caught.value)
    assert "\n" not in message
    assert f"train-images-idx3-ubyte.gz is missing from {target}" in message
    assert f"from {url}train-images-idx3-ubyte.gz" in message
    assert "or give run_tf1 --data-dir DIR" in message  # the TF1 loader runs under tf1-run
    assert not target.exists()


def test_failed_download_into_an_existing_folder_keeps_the_folder_and_adds_nothing(tmp_path):
    target = tmp_path / "MNIST_data"
    target.mkdir()
    with pytest.raises(DataError, match="could not be downloaded"):
        input_data.read_data_sets(str(target), source_url=f"http://127.0.0.1:{closed_port()}/")
    assert os.listdir(target) == []


def test_an_empty_debian_dataset_folder_names_the_package_that_fills_it(tmp_path, monkeypatch):
    """`--data /usr/share/datasets/fashion-mnist` on a machine without
    Debian's package: the one line says how to get the files offline; any
    other folder gets the usual hint only."""
    from common import sources
    debian = tmp_path / "fashion-mnist"
    monkeypatch.setattr(sources, "DEBIAN_FASHION_MNIST", str(debian))
    url = f"http://127.0.0.1:{closed_port()}/"
    for folder, named in ((debian, True), (tmp_path / "other", False)):
        with pytest.raises(DataError) as caught:
            sources.load_raw(sources.DataSource(str(folder)), url, log=lambda line: None)
        message = str(caught.value)
        assert ("apt-get install dataset-fashion-mnist" in message) == named, message
        assert message.endswith(sources.DATA_FLAGS_HINT)
