"""MultiWorkerMirroredStrategy through `python -m modern --strategy
multi-worker`: two loopback workers started by the launcher
(modern/launcher.py), a worker killed with SIGKILL, and runs resumed from
their per-epoch backups (modern/backup.py; Keras BackupAndRestore for fit).
All commands run at once, in a few subprocesses, on the bundled sample."""

import concurrent.futures
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modern import launcher
from tests.helpers import subprocess_environment

pytestmark = pytest.mark.slow

# Long enough epochs that a kill after the first backup lands before the end.
SHAPE = ("--epochs", "4", "--steps-per-epoch", "50")
MULTI_WORKER = ("--exact", "--strategy", "multi-worker", "--workers", "2", *SHAPE)
MIRRORED = ("--exact", "--strategy", "mirrored", "--replicas", "2", *SHAPE)
FIT = ("--loop", "fit", "--strategy", "mirrored", "--replicas", "2", "--epochs", "12")
FIT_SHORT = ("--exact", "--loop", "fit", "--epochs", "2")
# The launcher polls every WATCH_INTERVAL_S and gives the survivors
# STOP_GRACE_S; the rest is process start-up and teardown on a loaded
# 2-core machine (measured: 1.5 s from the kill to the launcher's exit).
NOTICE_BOUND_S = launcher.STOP_GRACE_S + 20
DIGEST = re.compile(r"^(?:\[worker (\d)\] )?final weights sha256 ([0-9a-f]{64})$", re.M)


def command(*args):
    return [sys.executable, "-m", "modern", *args]


def run(work: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), cwd=work, capture_output=True, text=True,
                          env=subprocess_environment(), timeout=600)


def digests(output: str) -> dict:
    """{worker index or None: the final weights' digest it printed}."""
    return {int(index) if index else None: digest for index, digest in DIGEST.findall(output)}


def run_killed(work: Path, args, appears: str, victim) -> dict:
    """Start `args`, wait until `work/appears` exists, SIGKILL the process
    `victim(pid, output so far)` names; the launcher's outcome."""
    log = work / "killed.log"
    with open(log, "w") as out:
        process = subprocess.Popen(command(*args), cwd=work, stdout=out,
                                   stderr=subprocess.STDOUT, text=True,
                                   env=subprocess_environment())
    deadline = time.monotonic() + 300
    while not (work / appears).exists():
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "no backup appeared"
        time.sleep(0.02)
    os.kill(victim(process.pid, log.read_text()), signal.SIGKILL)
    killed_at = time.monotonic()
    status = process.wait(timeout=120)
    return {"status": status, "seconds": time.monotonic() - killed_at,
            "output": log.read_text(), "left": sorted(os.listdir(work))}


def interrupt_launcher(work: Path) -> dict:
    """Start two workers on a long run, SIGINT the launcher (as Ctrl-C at
    the terminal would: the workers are in their own sessions) once both
    train; the outcome and whether the workers are still alive."""
    log = work / "interrupted.log"
    with open(log, "w") as out:
        process = subprocess.Popen(command(*MULTI_WORKER[:-4], "--epochs", "50"), cwd=work,
                                   stdout=out, stderr=subprocess.STDOUT, text=True,
                                   env=subprocess_environment())
    deadline = time.monotonic() + 300
    while log.read_text().count("Epoch: 0001") < 2:
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.05)
    pids = [int(pid) for pid in re.findall(r"started worker \d \(pid (\d+)\)", log.read_text())]
    process.send_signal(signal.SIGINT)
    status = process.wait(timeout=120)
    output = log.read_text()
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    log.unlink()
    return {"status": status, "output": output, "alive": alive, "left": sorted(os.listdir(work))}


def worker_pid(index):
    def find(launcher_pid, output):
        return int(re.search(rf"started worker {index} \(pid (\d+)\)", output).group(1))
    return find


def kill_and_resume(work: Path, args, appears: str, victim) -> dict:
    killed = run_killed(work, args, appears, victim)
    (work / "killed.log").unlink()
    resumed = run(work, *args)
    return {"killed": killed, "resumed": resumed, "left": sorted(os.listdir(work))}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folders = {name: tmp_path_factory.mktemp(name) for name in
               ("mirrored", "killed", "fit", "fit workers", "fit mirrored", "interrupted")}
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        futures = {
            "mirrored": pool.submit(run, folders["mirrored"], *MIRRORED),
            "killed": pool.submit(kill_and_resume, folders["killed"],
                                  (*MULTI_WORKER, "--backup-dir", "bk"), "bk/checkpoint",
                                  worker_pid(1)),
            "fit": pool.submit(kill_and_resume, folders["fit"], (*FIT, "--backup-dir", "bk"),
                               "bk/training_metadata.json", lambda pid, output: pid),
            "interrupted": pool.submit(interrupt_launcher, folders["interrupted"]),
            "fit workers": pool.submit(run, folders["fit workers"], *FIT_SHORT, "--strategy",
                                       "multi-worker", "--workers", "2"),
            "fit mirrored": pool.submit(run, folders["fit mirrored"], *FIT_SHORT, "--strategy",
                                        "mirrored", "--replicas", "2"),
        }
        return {name: future.result() for name, future in futures.items()}


def test_two_loopback_workers_train_and_agree_on_the_weights(outcomes):
    done = outcomes["fit workers"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = digests(done.stdout)
    assert set(found) == {0, 1} and found[0] == found[1]
    assert "[worker 0] scatter plot saved to modern_codes.png" in done.stdout
    assert "[worker 1] worker 1 is done; the chief (worker 0) writes the outputs" in done.stdout


def test_a_killed_worker_is_named_the_others_stopped_and_nothing_half_written(outcomes):
    killed = outcomes["killed"]["killed"]
    assert killed["status"] != 0
    last = killed["output"].strip().splitlines()[-1]
    assert re.fullmatch(r"python -m modern: error: worker 1 \(pid \d+\) was killed by SIGKILL; "
                        r"stopped the other worker", last), killed["output"][-3000:]
    assert killed["seconds"] < NOTICE_BOUND_S
    assert killed["left"] == ["bk", "killed.log"]  # no plot, no temporary file
    assert "Traceback" not in killed["output"]


def test_a_resumed_run_ends_with_the_weights_of_a_run_never_stopped(outcomes):
    """The run never stopped is two mirrored replicas in one process: two
    workers give their bits (measured, TF 2.21.0, CPU: an all-reduce of two
    values adds them once, a + b = b + a; the fit test below checks the
    same relation without a resume in between)."""
    resumed, mirrored = outcomes["killed"]["resumed"], outcomes["mirrored"]
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert mirrored.returncode == 0, mirrored.stderr[-3000:]
    assert re.search(r"\[worker 0\] resumed from bk after epoch [1-3]\n", resumed.stdout)
    found = digests(resumed.stdout)
    assert found[0] == found[1] == digests(mirrored.stdout)[None]
    assert outcomes["killed"]["left"] == ["modern_codes.png"]  # the backup went at the end


def test_fit_resumes_after_its_last_backed_up_epoch(outcomes):
    killed, resumed = outcomes["fit"]["killed"], outcomes["fit"]["resumed"]
    assert killed["status"] == -signal.SIGKILL
    assert "bk" in killed["left"] and "modern_codes.png" not in killed["left"]
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming from the backup in bk" in resumed.stdout
    first = int(re.search(r"^Epoch: (\d{4}) ", resumed.stdout, re.M).group(1))
    assert 2 <= first <= 12  # starts after a backed-up epoch, not at 1
    assert "Epoch: 0012 cost=" in resumed.stdout


def test_fit_on_two_workers_trains_the_numbers_of_fit_on_two_mirrored_replicas(outcomes):
    """fit under MultiWorkerMirroredStrategy: each worker shuffles with the
    same seed (--seed) and takes its half of every global batch, as the two
    replicas of one process do: the same bits."""
    workers, mirrored = outcomes["fit workers"], outcomes["fit mirrored"]
    assert workers.returncode == 0, workers.stdout[-3000:]
    assert mirrored.returncode == 0, mirrored.stderr[-3000:]
    found = digests(workers.stdout)
    assert found[0] == found[1] == digests(mirrored.stdout)[None]


def test_ctrl_c_at_the_launcher_stops_every_worker_and_writes_nothing(outcomes):
    interrupted = outcomes["interrupted"]
    assert interrupted["status"] == 128 + signal.SIGINT, interrupted["output"][-3000:]
    assert interrupted["output"].strip().splitlines()[-1] == \
        "python -m modern: stopped by SIGINT; no partial output was left"
    assert interrupted["alive"] == []
    assert interrupted["left"] == []
