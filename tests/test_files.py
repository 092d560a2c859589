"""Output files appear whole or not at all, also under real signals."""

import contextlib
import os
import signal

import pytest

from tf1kit import files


@contextlib.contextmanager
def project_signal_handlers():
    """The handlers the entry points install, restored to pytest's after."""
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    files.install_signal_handlers()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_numbered_publishing_takes_the_next_free_run_folder(tmp_path):
    published = []
    for _ in range(2):
        with files.staged_folder(tmp_path / "comparisons") as staging:
            (open(os.path.join(staging, "report.json"), "w")).close()
            published.append(files.publish_numbered(staging, str(tmp_path / "comparisons")))
    assert [os.path.basename(path) for path in published] == ["run-001", "run-002"]
    assert sorted(os.listdir(tmp_path / "comparisons")) == ["run-001", "run-002"]


def test_a_failure_while_staging_leaves_nothing_not_even_new_parents(tmp_path):
    with pytest.raises(RuntimeError), files.staged_folder(tmp_path / "a" / "b") as staging:
        with open(os.path.join(staging, "plot.png"), "w") as stream:
            stream.write("half")
        raise RuntimeError("disk full")
    assert os.listdir(tmp_path) == []


def test_publishing_into_a_folder_with_files_replaces_file_by_file(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    (out / "report.json").write_text("old")
    with files.staged_folder(tmp_path) as staging:
        with open(os.path.join(staging, "report.json"), "w") as stream:
            stream.write("new")
        files.publish_folder(staging, str(out))
    assert sorted(os.listdir(out)) == ["keep.txt", "report.json"]
    assert (out / "report.json").read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["out"]  # no staging folder left


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_real_signal_while_writing_leaves_neither_file_nor_temporary(tmp_path, signum):
    target = tmp_path / "report.json"
    with project_signal_handlers(), pytest.raises(files.Interrupted) as caught:
        with files.atomic_path(target) as temporary:
            with open(temporary, "w") as stream:
                stream.write('{"half": ')
            os.kill(os.getpid(), signum)
            for _ in range(10_000_000):  # the handler runs between bytecodes
                pass
    assert caught.value.signum == signum
    assert os.listdir(tmp_path) == []


def test_a_signal_during_a_deferred_commit_lands_after_all_of_it(tmp_path):
    for name in ("a.part", "b.part"):
        (tmp_path / name).write_text(name)
    renamed = []
    with project_signal_handlers(), pytest.raises(files.Interrupted):
        with files.signals_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            for name in ("a", "b"):
                for _ in range(100_000):  # time for the handler to run, and defer
                    pass
                os.replace(tmp_path / f"{name}.part", tmp_path / name)
                renamed.append(name)
    assert renamed == ["a", "b"]
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]


def test_a_deferred_signal_waits_for_the_next_safe_point():
    with project_signal_handlers(), files.signals_deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100_000):  # time for the handler to run: it only records
            pass
        with pytest.raises(files.Interrupted) as caught:
            files.raise_if_interrupted()
        files.raise_if_interrupted()  # raised once, then cleared
    assert caught.value.signum == signal.SIGTERM


def test_published_files_and_folders_get_the_usual_permissions_not_tempfiles(tmp_path):
    previous = os.umask(0o022)
    try:
        with files.atomic_path(tmp_path / "report.json") as temporary:
            (open(temporary, "w")).close()
        with files.staged_folder(tmp_path) as staging:
            published = files.publish_numbered(staging, str(tmp_path))
    finally:
        os.umask(previous)
    # tempfile alone would leave 0600 and 0700: unreadable to anyone else.
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == 0o644
    assert os.stat(published).st_mode & 0o777 == 0o755
