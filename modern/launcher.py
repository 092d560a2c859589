"""`python -m modern --strategy ...`: the flags of data-parallel training
and the loopback launcher of MultiWorkerMirroredStrategy workers.

`--strategy multi-worker --workers N` with no TF_CONFIG in the environment
makes this process a launcher: it picks N free ports on 127.0.0.1 (or
checks those given with --ports), starts N copies of the same command, each
with its own TF_CONFIG (the same cluster, its own task index), relays their
output line by line with a `[worker i]` prefix, and watches them. When one
fails or is killed, the launcher stops the others (SIGTERM, then SIGKILL
after STOP_GRACE_S: a worker blocked in an all-reduce with a dead peer
never reaches a safe point) and exits non-zero with one line naming it.
With TF_CONFIG set, the same command is one worker: on real hosts, set
TF_CONFIG on each and run the command there (docs/distributed.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from common import cli
from tf1kit import files
from tf1kit.errors import DataError

# How often the launcher checks its workers: a failure is noticed within
# this, and the others are stopped within STOP_GRACE_S more.
WATCH_INTERVAL_S = 0.1
STOP_GRACE_S = 3.0
LOOPBACK = "127.0.0.1"
PROGRAM = "python -m modern"


def add_flags(parser) -> None:
    """--strategy, --replicas, --workers, --ports, --backup-dir."""
    parser.add_argument(
        "--strategy", choices=("mirrored", "multi-worker"), default=None,
        help="train data-parallel with tf.distribute: 'mirrored' over --replicas devices "
             "of this machine (GPUs, else logical CPU devices), 'multi-worker' "
             "(MultiWorkerMirroredStrategy) over --workers processes on loopback ports, or "
             "over the hosts TF_CONFIG names; the global batch split in equal slices, the "
             "loss scaled by the global batch (modern/distributed.py); deep variant only")
    parser.add_argument(
        "--replicas", type=cli.integer_between(1, 64, "a number of replicas from 1 to 64"),
        default=None, help="replicas for --strategy mirrored (default 2)")
    parser.add_argument(
        "--workers", type=cli.integer_between(1, 16, "a number of workers from 1 to 16"),
        default=None,
        help="worker processes on this machine for --strategy multi-worker (default 2)")
    parser.add_argument(
        "--ports", type=port_list, default=None, metavar="P1,P2,...",
        help="the loopback ports of the --workers (default: free ones)")
    parser.add_argument(
        "--backup-dir", metavar="DIR", default=None,
        help="back up the model and optimizer after every epoch and, if DIR holds a "
             "backup of the same run, resume after its last epoch; deleted when training "
             "ends (custom loops: tf.train.CheckpointManager; fit: Keras BackupAndRestore)")


def port_list(text: str) -> list:
    """argparse type: distinct TCP ports from 1024 to 65535, comma-separated."""
    try:
        ports = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ports separated by commas, got {text!r}") \
            from None
    if not all(1024 <= port <= 65535 for port in ports) or len(set(ports)) != len(ports):
        raise argparse.ArgumentTypeError(f"expected distinct ports from 1024 to 65535, got {text}")
    return ports


def check_flags(parser, args, variant) -> None:
    """One parser error for any combination the strategies do not support."""
    if args.strategy != "mirrored" and args.replicas is not None:
        parser.error("--replicas applies to --strategy mirrored only")
    if args.strategy != "multi-worker" and (args.workers is not None or args.ports):
        parser.error("--workers and --ports apply to --strategy multi-worker only")
    if args.backup_dir is not None and (variant.denoising or args.from_tf1_checkpoint):
        parser.error("--backup-dir backs up training on batch indices: not with "
                     "--variant denoising or --from-tf1-checkpoint")
    if args.strategy is None:
        return
    for refused, why in ((variant.name != "deep", f"--variant {variant.name}"),
                         (args.device != "auto", f"--device {args.device}"),
                         (bool(args.from_tf1_checkpoint), "--from-tf1-checkpoint")):
        if refused:
            parser.error(f"--strategy trains the deep variant on the devices it picks: "
                         f"drop {why}")
    if args.strategy == "mirrored":
        args.replicas = args.replicas or 2
        flag, replicas = "--replicas", args.replicas
    else:
        flag, replicas = "--workers", args.workers or 2
        if args.ports is not None and len(args.ports) != replicas:
            parser.error(f"--ports names {len(args.ports)} port(s) for {replicas} workers")
    try:
        check_split(args.batch_size, replicas, flag)
    except DataError as error:
        parser.error(str(error))


def check_split(batch_size: int, replicas: int, flag: str = "--replicas") -> None:
    """The global batch must split into equal slices (TF1's batch,
    unchanged): a DataError naming `flag` otherwise."""
    if replicas < 1:
        raise DataError(f"{flag} {replicas}: expected 1 or more")
    if batch_size % replicas:
        raise DataError(f"{flag} {replicas} does not divide --batch-size {batch_size}: "
                        "each replica takes an equal slice of the global batch")


def free_ports(count: int) -> list:
    """`count` distinct ports free on the loopback interface right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for each in sockets:
            each.bind((LOOPBACK, 0))
        return [each.getsockname()[1] for each in sockets]
    finally:
        for each in sockets:
            each.close()


def check_ports(ports: list) -> None:
    """A DataError naming the first of `ports` another program holds."""
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind((LOOPBACK, port))
            except OSError as error:
                raise DataError(f"--ports: {LOOPBACK}:{port} is taken ({error.strerror}); "
                                "pick another port, or leave --ports out to use free ones") \
                    from None


def cluster_from_environment() -> tuple[list, int]:
    """(the workers' host:port addresses, this worker's index) from
    TF_CONFIG, as MultiWorkerMirroredStrategy reads it; a DataError naming
    what is wrong otherwise. Example, worker 1 of 2:
    {"cluster": {"worker": ["host-a:12345", "host-b:12345"]},
     "task": {"type": "worker", "index": 1}}"""
    text = os.environ.get("TF_CONFIG", "")
    try:
        config = json.loads(text)
        workers, task = config["cluster"]["worker"], config["task"]
        index = task["index"]
    except (ValueError, TypeError, KeyError) as error:
        raise DataError(f"TF_CONFIG is not a cluster description ({type(error).__name__}: "
                        f"{error}); expected {{\"cluster\": {{\"worker\": [\"host:port\", ...]}}, "
                        "\"task\": {\"type\": \"worker\", \"index\": N}}") from None
    if not isinstance(workers, list) or not workers or \
            not all(isinstance(w, str) and ":" in w for w in workers):
        raise DataError(f"TF_CONFIG: cluster.worker must list host:port addresses, got {workers!r}")
    if task.get("type") != "worker" or not isinstance(index, int) or \
            not 0 <= index < len(workers):
        raise DataError(f"TF_CONFIG: task must be a worker with an index from 0 to "
                        f"{len(workers) - 1}, got {task!r}")
    return workers, index


def worker_environment(addresses: list, index: int) -> dict:
    """This process's environment plus the TF_CONFIG of worker `index`."""
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    environment["TF_CONFIG"] = json.dumps({"cluster": {"worker": addresses},
                                           "task": {"type": "worker", "index": index}})
    return environment


def describe_exit(index: int, process) -> str:
    """'worker 1 (pid 123) was killed by SIGKILL' / '... exited with status 2'."""
    status = process.returncode
    how = f"was killed by {signal.Signals(-status).name}" if status < 0 else \
        f"exited with status {status}"
    return f"worker {index} (pid {process.pid}) {how}"


def stop(processes: list) -> None:
    """SIGTERM every live worker, SIGKILL those still alive STOP_GRACE_S later."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# TensorFlow's C++ INFO lines, which it prints before TF_CPP_MIN_LOG_LEVEL
# takes effect (absl's "before InitializeLog" start-up lines).
TENSORFLOW_INFO = re.compile(r"^(I\d{4} |WARNING: All log messages before absl)")


def relay(index: int, stream) -> None:
    """Print a worker's output with its prefix, but TensorFlow's INFO lines."""
    for line in stream:
        if TENSORFLOW_INFO.match(line):
            continue
        print(f"[worker {index}] {line}", end="", flush=True)


def launch(argv: list, workers: int, ports: list | None = None) -> int:
    """Run `python -m modern argv` as `workers` loopback workers; their
    exit status (0 when all succeed, else 1 or the failed worker's)."""
    if ports is not None:
        check_ports(ports)
    ports = ports or free_ports(workers)
    addresses = [f"{LOOPBACK}:{port}" for port in ports]
    processes, relays = [], []
    try:
        for index in range(workers):
            # Own session: a Ctrl-C at the terminal reaches the launcher, which stops them.
            process = subprocess.Popen(
                [sys.executable, "-m", "modern", *argv], env=worker_environment(addresses, index),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                start_new_session=True)
            processes.append(process)
            relays.append(threading.Thread(target=relay, args=(index, process.stdout),
                                           daemon=True))
            relays[-1].start()
            print(f"started worker {index} (pid {process.pid}) on {addresses[index]}", flush=True)
        while True:
            files.raise_if_interrupted()
            # A worker that only lost a peer is named last: the one that
            # died first is the news.
            failed = sorted((index for index, process in enumerate(processes)
                             if process.poll() not in (None, 0)),
                            key=lambda index: processes[index].returncode == cli.EXIT_PEER_LOST)
            if failed:
                stop(processes)
                for thread in relays:
                    thread.join(1.0)
                others = "s" if workers > 2 else ""
                print(f"{PROGRAM}: error: {describe_exit(failed[0], processes[failed[0]])}; "
                      f"stopped the other worker{others}", file=sys.stderr, flush=True)
                status = processes[failed[0]].returncode
                return status if status > 0 else 1
            if all(process.returncode == 0 for process in processes):
                for thread in relays:
                    thread.join(1.0)
                return 0
            time.sleep(WATCH_INTERVAL_S)
    finally:
        stop(processes)
