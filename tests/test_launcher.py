"""The pieces of modern/launcher.py and modern/backup.py that need no
TensorFlow: TF_CONFIG, ports, how a worker's end is described, and the
refusal to resume another run's backup. (Launching, killing and resuming
real workers: tests/test_multi_worker.py.)"""

import argparse
import json
import socket
import subprocess
import sys

import pytest

from tf1kit.errors import DataError
from modern import launcher
from modern.backup import SETTINGS_FILE, EpochBackup

SETTINGS = {"data": "sample", "seed": 0, "batch_size": 256}


def test_tf_config_gives_the_workers_and_this_ones_index(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({
        "cluster": {"worker": ["host-a:1234", "host-b:1234"]},
        "task": {"type": "worker", "index": 1}}))
    assert launcher.cluster_from_environment() == (["host-a:1234", "host-b:1234"], 1)


@pytest.mark.parametrize("config, phrase", [
    ("{not json", "TF_CONFIG is not a cluster description"),
    (json.dumps({"task": {"type": "worker", "index": 0}}), "TF_CONFIG is not a cluster"),
    (json.dumps({"cluster": {"worker": []}, "task": {"type": "worker", "index": 0}}),
     "cluster.worker must list host:port addresses"),
    (json.dumps({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}),
     "task must be a worker with an index from 0 to 0"),
    (json.dumps({"cluster": {"worker": ["a:1"]}, "task": {"type": "ps", "index": 0}}),
     "task must be a worker"),
])
def test_a_bad_tf_config_is_one_line_naming_what_is_wrong(monkeypatch, config, phrase):
    monkeypatch.setenv("TF_CONFIG", config)
    with pytest.raises(DataError, match=phrase):
        launcher.cluster_from_environment()


def test_each_worker_gets_the_same_cluster_and_its_own_index():
    addresses = ["127.0.0.1:5000", "127.0.0.1:5001"]
    configs = [json.loads(launcher.worker_environment(addresses, index)["TF_CONFIG"])
               for index in range(2)]
    assert [config["cluster"]["worker"] for config in configs] == [addresses] * 2
    assert [config["task"] for config in configs] == [
        {"type": "worker", "index": 0}, {"type": "worker", "index": 1}]


def test_free_ports_are_distinct_and_bindable():
    ports = launcher.free_ports(3)
    assert len(set(ports)) == 3
    launcher.check_ports(ports)


def test_a_taken_port_is_named():
    with socket.socket() as holder:
        holder.bind((launcher.LOOPBACK, 0))
        port = holder.getsockname()[1]
        with pytest.raises(DataError, match=f"127.0.0.1:{port} is taken"):
            launcher.check_ports([port])


@pytest.mark.parametrize("text", ["80", "5000,5000", "5000,x", "70000"])
def test_ports_must_be_distinct_unprivileged_numbers(text):
    with pytest.raises(argparse.ArgumentTypeError):
        launcher.port_list(text)


def test_a_worker_killed_by_a_signal_is_described_by_the_signal():
    killed = subprocess.Popen([sys.executable, "-c", "import os, signal; "
                               "os.kill(os.getpid(), signal.SIGKILL)"])
    killed.wait()
    assert launcher.describe_exit(1, killed) == f"worker 1 (pid {killed.pid}) was killed by SIGKILL"
    failed = subprocess.Popen([sys.executable, "-c", "raise SystemExit(2)"])
    failed.wait()
    assert launcher.describe_exit(0, failed) == f"worker 0 (pid {failed.pid}) exited with status 2"


def test_a_backup_of_the_same_run_is_accepted_and_another_refused(tmp_path):
    first = EpochBackup(str(tmp_path / "bk"), SETTINGS)
    first.write_settings()
    EpochBackup(str(tmp_path / "bk"), dict(SETTINGS)).check_settings()
    with pytest.raises(DataError, match=r"holds a run with other settings \(batch_size, seed\)"):
        EpochBackup(str(tmp_path / "bk"), {**SETTINGS, "seed": 1, "batch_size": 128}
                    ).check_settings()


def test_an_unreadable_backup_is_refused_not_overwritten(tmp_path):
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / SETTINGS_FILE).write_text("{half")
    with pytest.raises(DataError, match="unreadable"):
        EpochBackup(str(tmp_path / "bk"), SETTINGS).check_settings()
    assert (tmp_path / "bk" / SETTINGS_FILE).read_text() == "{half"


def test_only_the_chief_writes_settings_and_other_workers_write_apart(tmp_path):
    other = EpochBackup(str(tmp_path / "bk"), SETTINGS, worker_index=1)
    other.write_settings()
    assert not (tmp_path / "bk").exists()
    assert other.write_directory == str(tmp_path / "bk" / ".worker-1")
