"""Each entry point gunzips and parses each data file once per run: the
arrays checked before TensorFlow loads are the arrays both sides train on."""

import collections
import contextlib
import io
import os

import pytest

import compare
from tf1kit.data import mnist
from tf1kit.data import idx
from legacy.__main__ import main as legacy_main
from modern.__main__ import main as modern_main
from tests.helpers import op_determinism_restored

SHORT = ["--epochs", "1", "--steps-per-epoch", "2"]
pytestmark = pytest.mark.slow  # three real runs (TensorFlow set up, trained, plotted)


@pytest.fixture
def reads(monkeypatch):
    """A count of parses per file name, through the one IDX reader."""
    counts = collections.Counter()
    read = idx._read_idx

    def counting(path, *args, **kwargs):
        counts[os.path.basename(path)] += 1
        return read(path, *args, **kwargs)
    monkeypatch.setattr(idx, "_read_idx", counting)
    return counts


@pytest.mark.parametrize("program", ["compare", "legacy", "modern"])
def test_each_file_is_read_once_per_run(tmp_path, reads, program):
    argv = {"compare": [*SHORT, "--quiet", "--out", str(tmp_path / "out")],
            "legacy": [*SHORT, "--plot", str(tmp_path / "codes.png")],
            "modern": [*SHORT, "--exact", "--plot", str(tmp_path / "codes.png")]}[program]
    main = {"compare": compare.main, "legacy": legacy_main, "modern": modern_main}[program]
    with op_determinism_restored(), contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 0
    assert reads == {name: 1 for name in mnist.IDX_FILES}
